/*
 * x86 kexec: kexec_reloc (arch/x86/kexec_reloc.asm), copied by
 * arch/x86/machine_kexec.c into a control page whose top is its stack.
 */
#ifndef ASM_KEXEC_H
#define ASM_KEXEC_H

#include <baton/types.h>

/* kexec_reloc's code and data at most; the rest of the control page (3 KiB) is its stack. */
#define KEXEC_RELOC_MAX 1024

/*
 * Switch to the identity page tables at pt_root, go on in the copy at
 * control, copy the pages the list starting at head describes, do its
 * 64-bit writes, enter entry. Interrupts must be off. Never returns.
 */
__noreturn void kexec_reloc(paddr_t control, paddr_t pt_root, uint64_t head, uint64_t entry);
/* The end of kexec_reloc's code and data (its start is kexec_reloc). */
extern const char kexec_reloc_end[];

#endif
