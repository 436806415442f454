/*
 * The one seam between common/ and arch/x86: every hook common code calls
 * in arch/x86 is declared here, and nowhere else. Common code includes this
 * header rather than writing a prototype by hand or reaching for <asm/...>.
 *
 * Sections: time and the tick, idle, PV domains (page tables, the grant
 * window), vCPUs (stacks, registers, context switch). Memory bring-up hooks
 * and kexec are in their own sections below.
 */
#ifndef BATON_ARCH_H
#define BATON_ARCH_H

#include <baton/types.h>
/* The direct map (phys_to_virt, virt_to_phys), page sizes and page-table
 * bits: inline, so they come as arch/x86's header, through this one. */
#include <asm/page.h>

struct domain;
struct vcpu;
struct cpu_user_regs;
struct domctx_vcpu;
struct kimage;

/* ---------------------------------------------------------------- time and the tick */

/* The CPU's cycle counter (the TSC): what system time and the live update
 * cost figures count in. */
uint64_t arch_cycles(void);
/* Called from every timer interrupt with interrupts off (the scheduler's tick). */
void arch_set_tick_hook(void (*hook)(void));

/* ---------------------------------------------------------------- idle */

/* Wait for an interrupt with interrupts enabled for exactly that wait, so
 * no wake-up is lost between the caller's last check and the halt. Returns
 * with interrupts off. */
void arch_idle_wait(void);
void arch_irq_disable(void);
/* Interrupts off, returning whether they were on, and back as they were. */
unsigned long arch_irq_save(void);
void arch_irq_restore(unsigned long flags);
/* Stop this CPU for good (panic). */
__noreturn void arch_halt(void);

/* ---------------------------------------------------------------- PV domains */

/*
 * Build d's page tables from its extents: the hypervisor half shared, guest
 * memory mapped 1:1 (page 0 left out), the grant window empty. Used by the
 * domain builder and by restore alike: page tables are never taken over
 * from a previous build. 0 or -BATON_ENOMEM (nothing left allocated).
 */
int arch_domain_pt_build(struct domain *d);
/* Free every page-table page of d (its memory is untouched). */
void arch_domain_pt_free(struct domain *d);

/* The grant window in d's page tables. */
int guest_map_window(struct domain *d, unsigned int slot, uint64_t mfn, bool readonly);
void guest_unmap_window(struct domain *d, unsigned int slot);

/* ---------------------------------------------------------------- vCPUs */

/* A first-boot register state: rip = entry, rsp, rdi, ring 3, IF set. */
void arch_vcpu_init_regs(struct vcpu *v, uint64_t entry, uint64_t rsp, uint64_t rdi);
/*
 * Give v a hypervisor stack whose first switch to it enters the guest with
 * the registers in v->arch.regs (through the usual exit path: upcalls are
 * delivered). 0 or -BATON_ENOMEM.
 */
int arch_vcpu_start(struct vcpu *v);
/* Set the result a switched-out vCPU's hypercall returns when it resumes. */
void arch_vcpu_set_return(struct vcpu *v, long rc);
/* Free v's hypervisor stack. v must not be running. */
void arch_vcpu_destroy(struct vcpu *v);
/* Switch hypervisor stacks and address spaces from prev to next. */
void arch_context_switch(struct vcpu *prev, struct vcpu *next);

/* ---------------------------------------------------------------- memory */

/* Called by memory_init (common/memory.c), in this order. */
struct phys_region;

/* First, before anything is allocated: the CPU's paging features (x86: NX). */
void arch_memory_early_init(void);
/* Where the running image sits, whole pages (KEXEC_RANGE_MA_XEN). */
void arch_image_region(struct phys_region *image);
/*
 * Build the hypervisor's page tables from alloc_pt_page() (a direct map of
 * every RAM range of memory_map, the image, the vmap area) and switch to
 * them: from then on all RAM is reachable through phys_to_virt(). Panics
 * when out of memory.
 */
void arch_build_page_tables(void);

/* ---------------------------------------------------------------- kexec */

/*
 * At load, once kimage_load has staged the image (common/kexec.c): copy
 * kexec_reloc into a control page and build the identity page tables
 * (every segment, the low 1 MiB, all RAM), in heap pages outside every
 * destination, freed with the image. Exec then allocates nothing. 0 or
 * -BATON_ENOMEM.
 */
int arch_kexec_prepare(struct kimage *image);
/*
 * Interrupts off, the timer stopped, and kexec_reloc: copy the staged
 * pages, do the 64-bit writes last, enter image->entry as the exec
 * contract of public/kexec.h says. Never returns.
 */
__noreturn void arch_kexec_exec(const struct kimage *image);

#endif
