/*
 * Each vCPU's x87 and SSE state (arch/x86/fpu.c): the 512-octet FXSAVE
 * image, switched eagerly with the vCPU, and its domain context entry
 * (DOMCTX_TYPE_FPU, public/domctx.h).
 */
#ifndef ASM_FPU_H
#define ASM_FPU_H

#include <baton/types.h>

#define FPU_AREA_SIZE 512

/* FXSAVE and FXRSTOR want their operand 16-aligned. */
struct fpu_area {
    _Alignas(16) uint8_t fxsave[FPU_AREA_SIZE];
};
_Static_assert(sizeof(struct fpu_area) == FPU_AREA_SIZE, "fpu_area is one FXSAVE image");

/* At boot, before any guest runs: CR0 and CR4 for guest x87/SSE, and this
 * CPU's MXCSR_MASK. */
void fpu_init(void);
/* The state a new vCPU starts with: FNINIT's, MXCSR 0x1f80, registers 0. */
void fpu_state_reset(struct fpu_area *f);
/* The CPU's x87/SSE registers into f, and back (f 16-aligned). */
void fpu_save(struct fpu_area *f);
void fpu_restore(const struct fpu_area *f);
/* MXCSR bits FXRSTOR accepts on this CPU (the default until fpu_init). */
uint32_t fpu_mxcsr_mask(void);
/* Host tests: pretend the CPU reported mask. */
void fpu_set_mxcsr_mask(uint32_t mask);

#endif
