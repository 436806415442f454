/*
 * Constants nasm needs, generated from the C definitions so that the two
 * can never drift (the asm-offsets of Linux and Jailhouse). This file is
 * compiled with -S, never linked: each DEFINE leaves a line
 *
 *     .ascii "->SYMBOL value expression"
 *
 * in the assembler output, which the Makefile turns into
 *
 *     %define SYMBOL (value) ; expression
 *
 * in $(O)/include/generated/asm-offsets.inc. Assembly sources include it
 * with %include "generated/asm-offsets.inc"; a change to any header below
 * regenerates it and rebuilds them. Values are printed in signed decimal:
 * nasm reads 0xffffffff80000000 and -2147483648 as the same 64-bit number.
 */
#include <asm/io.h>
#include <asm/kexec.h>
#include <asm/page.h>
#include <asm/regs.h>
#include <baton/kimage.h>
#include <baton/layout.h>
#include <public/lu.h>

#include <stddef.h>

#define DEFINE(sym, val) \
    __asm__ volatile("\n.ascii \"->" #sym " %0 " #val "\"" : : "i"((long long)(val)))
#define OFFSET(sym, str, mem) DEFINE(sym, offsetof(struct str, mem))

void asm_offsets(void);

void asm_offsets(void)
{
    /* include/baton/layout.h: the virtual and physical layout */
    DEFINE(HV_VIRT_START, HV_VIRT_START);
    DEFINE(HV_LINK_VIRT, HV_LINK_VIRT);
    DEFINE(HV_LINK_PHYS, HV_LINK_PHYS);
    DEFINE(HV_IMAGE_ALIGN, HV_IMAGE_ALIGN);
    DEFINE(DIRECTMAP_VIRT_START, DIRECTMAP_VIRT_START);
    DEFINE(BOOT_STACK_SIZE, BOOT_STACK_SIZE);
    DEFINE(BOOT_MAP_LIMIT, BOOT_MAP_LIMIT);

    /* include/asm/page.h: the page-table bits the boot tables use */
    DEFINE(PTE_P, PTE_P);
    DEFINE(PTE_RW, PTE_RW);
    DEFINE(PTE_PS, PTE_PS);
    DEFINE(L2_SHIFT, L2_SHIFT);
    DEFINE(L3_SHIFT, L3_SHIFT);
    DEFINE(L4_SHIFT, L4_SHIFT);

    /* include/asm/io.h */
    DEFINE(MSR_EFER, MSR_EFER);
    DEFINE(EFER_NXE, EFER_NXE);

    /* include/asm/regs.h: GDT selectors and the hypercall mark */
    DEFINE(GDT_HV_CS, GDT_HV_CS);
    DEFINE(GDT_HV_DS, GDT_HV_DS);
    DEFINE(GDT_USER_CS, GDT_USER_CS);
    DEFINE(GDT_USER_DS, GDT_USER_DS);
    DEFINE(VECTOR_HYPERCALL, VECTOR_HYPERCALL);

    /* include/asm/regs.h: the frame trap_common builds */
    DEFINE(REGS_SIZE, sizeof(struct cpu_user_regs));
    OFFSET(REGS_r15, cpu_user_regs, r15);
    OFFSET(REGS_r14, cpu_user_regs, r14);
    OFFSET(REGS_r13, cpu_user_regs, r13);
    OFFSET(REGS_r12, cpu_user_regs, r12);
    OFFSET(REGS_r11, cpu_user_regs, r11);
    OFFSET(REGS_r10, cpu_user_regs, r10);
    OFFSET(REGS_r9, cpu_user_regs, r9);
    OFFSET(REGS_r8, cpu_user_regs, r8);
    OFFSET(REGS_rbp, cpu_user_regs, rbp);
    OFFSET(REGS_rdi, cpu_user_regs, rdi);
    OFFSET(REGS_rsi, cpu_user_regs, rsi);
    OFFSET(REGS_rdx, cpu_user_regs, rdx);
    OFFSET(REGS_rcx, cpu_user_regs, rcx);
    OFFSET(REGS_rbx, cpu_user_regs, rbx);
    OFFSET(REGS_rax, cpu_user_regs, rax);
    OFFSET(REGS_vector, cpu_user_regs, vector);
    OFFSET(REGS_error_code, cpu_user_regs, error_code);
    OFFSET(REGS_rip, cpu_user_regs, rip);
    OFFSET(REGS_cs, cpu_user_regs, cs);
    OFFSET(REGS_rflags, cpu_user_regs, rflags);
    OFFSET(REGS_rsp, cpu_user_regs, rsp);
    OFFSET(REGS_ss, cpu_user_regs, ss);

    /* include/public/lu.h: the breadcrumb kexec_reloc writes last */
    DEFINE(LU_PAGE_SHIFT, LU_PAGE_SHIFT);
    DEFINE(LU_BREADCRUMB_MAGIC, LU_BREADCRUMB_MAGIC);
    DEFINE(LU_BREADCRUMB_SIZE, sizeof(struct lu_breadcrumb));
    OFFSET(LU_BREADCRUMB_magic, lu_breadcrumb, magic);
    OFFSET(LU_BREADCRUMB_mfn_array_pa, lu_breadcrumb, mfn_array_pa);
    OFFSET(LU_BREADCRUMB_shifted_nr_pages, lu_breadcrumb, shifted_nr_pages);

    /* include/baton/kimage.h: the indirection list kexec_reloc follows */
    DEFINE(PAGE_SIZE, PAGE_SIZE);
    DEFINE(IND_DESTINATION, IND_DESTINATION);
    DEFINE(IND_INDIRECTION, IND_INDIRECTION);
    DEFINE(IND_DONE, IND_DONE);
    DEFINE(IND_SOURCE, IND_SOURCE);
    DEFINE(IND_ZERO, IND_ZERO);
    DEFINE(IND_WRITE64, IND_WRITE64);
    DEFINE(KEXEC_RELOC_MAX, KEXEC_RELOC_MAX);
}
