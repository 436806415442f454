/*
 * kexec_op hypercall interface. The numbering is Xen's public kexec.h, so
 * that kexec-tools' --load-live-update / --exec-live-update path (through
 * tools/kexec-patch) drives Baton unchanged. Layouts follow Xen's x86-64
 * ABI with guest handles as plain 64-bit guest virtual addresses.
 */
#ifndef PUBLIC_KEXEC_H
#define PUBLIC_KEXEC_H

#include <stdint.h>

/* Sub-operations (first argument of kexec_op). */
#define KEXEC_CMD_kexec           0 /* struct kexec_exec: jump to the loaded image */
/* 1 and 2 were Xen's obsolete v1 load/unload: never reuse. */
#define KEXEC_CMD_kexec_get_range 3 /* struct kexec_range */
#define KEXEC_CMD_kexec_load      4 /* struct kexec_load */
#define KEXEC_CMD_kexec_unload    5 /* struct kexec_unload */
#define KEXEC_CMD_kexec_status    6 /* struct kexec_status: 1 loaded, 0 not */

/* Image types. */
#define KEXEC_TYPE_DEFAULT     0
#define KEXEC_TYPE_CRASH       1
#define KEXEC_TYPE_LIVE_UPDATE 2

/* Ranges for KEXEC_CMD_kexec_get_range. */
#define KEXEC_RANGE_MA_CRASH       0 /* crash kernel area */
#define KEXEC_RANGE_MA_XEN         1 /* the running hypervisor image */
#define KEXEC_RANGE_MA_CPU         2 /* per-CPU crash notes */
#define KEXEC_RANGE_MA_XENHEAP     3
#define KEXEC_RANGE_MA_BOOT_PARAM  4
#define KEXEC_RANGE_MA_EFI_MEMMAP  5
#define KEXEC_RANGE_MA_VMCOREINFO  6
#define KEXEC_RANGE_MA_LIVEUPDATE  7 /* live update bootmem */

/* ELF machine of the image, as kexec-tools passes it. */
#define KEXEC_ARCH_X86_64 62

/* Most segments one load may carry (as Xen). */
#define KEXEC_SEGMENT_MAX 16

/*
 * ---------------------------------------------------------------- the exec contract
 *
 * KEXEC_CMD_kexec copies every segment to its destination and then, for a
 * live update, stores the breadcrumb (public/lu.h) as its very last write.
 * It then enters entry_maddr in the state Xen gives a 64-bit kexec image
 * (docs/boot-protocol.md, "kexec: load, exec, the entry contract"):
 *
 *  - 64-bit long mode, CPL 0, one CPU (the one that ran the hypercall);
 *  - paging on with identity page tables (virtual == physical) covering at
 *    least every segment (null-buffer ones included), the low 1 MiB and
 *    all RAM of the memory map, in 2 MiB pages, writable and executable;
 *    the tables lie in RAM outside every segment;
 *  - CR0: PE, PG on; WP, AM, TS, EM off. CR4: PAE only (no PGE, SMEP,
 *    SMAP). EFER: LME and LMA on, NXE as the CPU allowed it;
 *  - a GDT of three entries (null, 0x08 64-bit code, 0x10 flat data) in
 *    the control page; CS = 0x08, DS = ES = FS = GS = SS = 0x10; the IDT
 *    has limit 0 (an exception resets the machine): load your own GDT
 *    before you rely on it, and never return into the old hypervisor;
 *  - interrupts off (RFLAGS = 0x2: IF, DF and AC clear), the local APIC
 *    timer stopped, the legacy PICs masked;
 *  - a usable stack: RSP points into the control page, a heap page
 *    outside every segment, identity mapped, with at least 2 KiB free
 *    below it; [RSP] holds a return address that stops the CPU (the entry
 *    is called, as in Xen, and must not return);
 *  - every general-purpose register other than RSP is zero: a purgatory
 *    finds its data in its own segment (kexec-tools' and hvctl's do).
 */

struct kexec_exec {
    int32_t type;   /* KEXEC_TYPE_* */
};
_Static_assert(sizeof(struct kexec_exec) == 4, "kexec_exec is 4 octets");

struct kexec_range {
    int32_t range;  /* IN: KEXEC_RANGE_MA_* */
    int32_t nr;     /* IN: CPU number for KEXEC_RANGE_MA_CPU */
    uint64_t size;  /* OUT: octets */
    uint64_t start; /* OUT: machine address */
};
_Static_assert(sizeof(struct kexec_range) == 24, "kexec_range is 24 octets");

struct kexec_segment {
    uint64_t buf;        /* guest virtual address of the bytes */
    uint64_t buf_size;
    uint64_t dest_maddr; /* machine address the bytes go to */
    uint64_t dest_size;  /* >= buf_size; the rest is zeroed */
};
_Static_assert(sizeof(struct kexec_segment) == 32, "kexec_segment is 32 octets");

struct kexec_load {
    uint8_t type;          /* KEXEC_TYPE_* */
    uint8_t pad;           /* zero */
    uint16_t arch;         /* KEXEC_ARCH_X86_64 */
    uint32_t nr_segments;
    uint64_t segments;     /* guest virtual address of struct kexec_segment[] */
    uint64_t entry_maddr;  /* machine address of the image entry */
};
_Static_assert(sizeof(struct kexec_load) == 24, "kexec_load is 24 octets");

struct kexec_unload {
    uint8_t type;          /* KEXEC_TYPE_* */
};
_Static_assert(sizeof(struct kexec_unload) == 1, "kexec_unload is 1 octet (as in Xen)");

struct kexec_status {
    uint8_t type;          /* KEXEC_TYPE_* */
};
_Static_assert(sizeof(struct kexec_status) == 1, "kexec_status is 1 octet (as in Xen)");

#endif
