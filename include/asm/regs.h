/* Saved register frame built by arch/x86/entry.asm on every trap. */
#ifndef ASM_REGS_H
#define ASM_REGS_H

#include <baton/types.h>

struct cpu_user_regs {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error_code;
    /* pushed by the CPU */
    uint64_t rip, cs, rflags, rsp, ss;
};
_Static_assert(sizeof(struct cpu_user_regs) == 22 * 8, "frame layout is shared with entry.asm");

#define GDT_HV_CS     0x08
#define GDT_HV_DS     0x10
#define GDT_USER_DS   0x1b   /* 0x18 | RPL 3 */
#define GDT_USER_CS   0x23   /* 0x20 | RPL 3 */
#define GDT_TSS       0x28

#define VECTOR_NMI        2
#define VECTOR_APIC_TIMER 0xf0
#define VECTOR_SPURIOUS   0xff
#define VECTOR_HYPERCALL  0x100  /* not an IDT vector: syscall_entry's mark */

static inline bool regs_from_guest(const struct cpu_user_regs *r)
{
    return (r->cs & 3) == 3;
}

void traps_init(void);
void show_registers(const struct cpu_user_regs *regs);
void do_trap(struct cpu_user_regs *regs);

/* arch/x86/pv.c: the guest side of the trap path */
void pv_hypercall(struct cpu_user_regs *regs);
void pv_guest_exception(struct cpu_user_regs *regs);
/* Last work before returning to ring 3: scheduling, upcall delivery. */
void pv_exit_to_guest(struct cpu_user_regs *regs);
/* syscall entry, the FPU and CR4 policy for guests (boot). */
void pv_init(void);

/* arch/x86/entry.asm: the symbols C refers to. */
extern const uint64_t trap_stubs[256];   /* each vector's entry stub */
void syscall_entry(void);                /* LSTAR */
void vcpu_start_trampoline(void);        /* a new vCPU stack's first return */
/* Save the callee-saved registers, park this stack in *save_rsp, resume new_rsp. */
void switch_stacks(uint64_t *save_rsp, uint64_t new_rsp);

/* arch/x86/setup.c, called by boot/head.asm on the boot stack. */
void start_baton(uint32_t magic, uint32_t mbi_pa, paddr_t phys_base);


#endif
