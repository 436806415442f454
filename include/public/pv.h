/*
 * Baton PV guest interface: memory layout, start info page, shared info page,
 * console ring and upcall frame. Specified in docs/specs/pv-abi.md.
 *
 * This header is an ABI shared by the hypervisor, the guests and host tests:
 * fixed-width little-endian fields, explicit padding, every size and key
 * offset checked with _Static_assert. Change it only by adding fields in
 * reserved space and bumping PV_ABI_VERSION's minor number.
 */
#ifndef BATON_PUBLIC_PV_H
#define BATON_PUBLIC_PV_H

#include <stddef.h>
#include <stdint.h>

#define PV_ABI_VERSION_MAJOR    1
#define PV_ABI_VERSION_MINOR    1   /* 1.1: x87, MMX and SSE, per vCPU */
/* start_info.abi_version: major in bits 31..16, minor in bits 15..0. */
#define PV_ABI_VERSION          ((PV_ABI_VERSION_MAJOR << 16) | PV_ABI_VERSION_MINOR)

#define PV_PAGE_SHIFT           12
#define PV_PAGE_SIZE            4096u

/* ------------------------------------------------------------ memory layout */

/*
 * A guest's pseudo-physical memory [0, mem_size) is mapped at the same guest
 * virtual addresses (gva == gpa), user, read-write, 4 KiB pages, except page
 * 0 (never mapped: null pointers fault). Pages 1..3 hold the ABI pages below;
 * pages 4..0xff are reserved for future ABI pages; the kernel is loaded from
 * 1 MiB. The rest of the lower half is unmapped except the grant window.
 */
#define PV_START_INFO_GPA       UINT64_C(0x1000)
#define PV_SHARED_INFO_GPA      UINT64_C(0x2000)
#define PV_CONSOLE_RING_GPA     UINT64_C(0x3000)
#define PV_RESERVED_START_GPA   UINT64_C(0x4000)
#define PV_KERNEL_BASE          UINT64_C(0x100000)     /* first gpa a kernel may use */
#define PV_KERNEL_FIRST_PFN     (PV_KERNEL_BASE >> PV_PAGE_SHIFT)
#define PV_MIN_MEM_SIZE         UINT64_C(0x200000)     /* 2 MiB: a kernel page and more */

/* Foreign pages mapped by GNTTABOP_map appear at these addresses. */
#define GNT_WINDOW_BASE         UINT64_C(0x0000700000000000)
#define GNT_WINDOW_SLOTS        64u
#define GNT_WINDOW_ADDR(slot)   (GNT_WINDOW_BASE + (uint64_t)(slot) * PV_PAGE_SIZE)

/* The lower canonical half ends here; the hypervisor owns the upper half. */
#define PV_USER_TOP             UINT64_C(0x0000800000000000)

/* Limits the shared info page is sized for. */
#define MAX_VIRT_CPUS           4u
#define NR_EVTCHN_PORTS         1024u
#define EVTCHN_WORDS            (NR_EVTCHN_PORTS / 64u)   /* u64 words: 16 */

/* -------------------------------------------------------------- start info */

/* "BatonPV1" read as a little-endian u64. */
#define START_INFO_MAGIC        UINT64_C(0x3156506e6f746142)

/* start_info.flags */
#define SIF_PRIVILEGED          (1u << 0)   /* domain 0: may use control_op */

#define START_INFO_NAME_LEN     32u
#define START_INFO_CMDLINE_LEN  1024u
#define START_INFO_SIZE         4096u

/*
 * At PV_START_INFO_GPA, written by the domain builder before the first
 * instruction, then left alone: the guest may overwrite it. Strings are
 * NUL-terminated (the builder truncates).
 */
struct start_info {
    uint64_t magic;                 /* 0x000 START_INFO_MAGIC */
    uint32_t abi_version;           /* 0x008 PV_ABI_VERSION */
    uint16_t domid;                 /* 0x00c */
    uint16_t flags;                 /* 0x00e SIF_* */
    uint64_t mem_size;              /* 0x010 bytes, multiple of 4 KiB */
    uint64_t shared_info;           /* 0x018 gva of struct shared_info */
    uint64_t console_ring;          /* 0x020 gva of struct console_ring */
    uint32_t console_port;          /* 0x028 pre-bound event channel */
    uint32_t nr_vcpus;              /* 0x02c 1..MAX_VIRT_CPUS */
    uint8_t  handle[16];            /* 0x030 domain handle (UUID) */
    char     name[START_INFO_NAME_LEN];         /* 0x040 */
    char     cmdline[START_INFO_CMDLINE_LEN];   /* 0x060 */
    uint8_t  reserved[START_INFO_SIZE - 0x460]; /* 0x460 zero */
};

/* ------------------------------------------------------------- shared info */

/*
 * System time, Xen pvclock style. The hypervisor makes version odd, updates
 * the fields, then makes it even. A guest reads version, the fields and
 * version again, and retries while they differ or version is odd:
 *   delta = rdtsc() - tsc_timestamp;
 *   delta = tsc_shift >= 0 ? delta << tsc_shift : delta >> -tsc_shift;
 *   ns    = system_time + (uint64_t)(((unsigned __int128)delta * tsc_to_system_mul) >> 32);
 * System time is nanoseconds since the domain was created; it never goes
 * backwards, across live updates too.
 */
struct pv_time_info {
    uint32_t version;               /* 0x00 odd while being updated */
    uint32_t pad0;                  /* 0x04 */
    uint64_t tsc_timestamp;         /* 0x08 TSC at system_time */
    uint64_t system_time;           /* 0x10 ns */
    uint32_t tsc_to_system_mul;     /* 0x18 32.32 fixed point ns per tick */
    int8_t   tsc_shift;             /* 0x1c */
    uint8_t  pad1[3];               /* 0x1d */
};

/*
 * Per-vCPU event state. evtchn_upcall_mask belongs to the guest (1: no
 * upcall is delivered, like cli); the hypervisor sets evtchn_upcall_pending
 * and bits of evtchn_pending_sel (bit w: word w of evtchn_pending has news).
 */
struct vcpu_info {
    uint8_t  evtchn_upcall_pending; /* 0x00 */
    uint8_t  evtchn_upcall_mask;    /* 0x01 */
    uint8_t  pad[6];                /* 0x02 */
    uint64_t evtchn_pending_sel;    /* 0x08 */
    uint64_t reserved[6];           /* 0x10 zero */
};

#define SHARED_INFO_SIZE        4096u

/* At PV_SHARED_INFO_GPA; zeroed by the builder (every port unmasked). */
struct shared_info {
    struct vcpu_info vcpu_info[MAX_VIRT_CPUS];  /* 0x000 */
    uint64_t evtchn_pending[EVTCHN_WORDS];      /* 0x100 bit p%64 of word p/64 */
    uint64_t evtchn_mask[EVTCHN_WORDS];         /* 0x180 guest-owned */
    struct pv_time_info time;                   /* 0x200 */
    uint8_t  reserved[SHARED_INFO_SIZE - 0x220];/* 0x220 zero */
};

/* ------------------------------------------------------------ console ring */

#define CONSOLE_OUT_SIZE        2048u
#define CONSOLE_IN_SIZE         1024u
#define CONSOLE_RING_SIZE       4096u
/* Free-running u32 indices; the byte lives at index & (size - 1). */
#define CONSOLE_OUT_IDX(i)      ((i) & (CONSOLE_OUT_SIZE - 1))
#define CONSOLE_IN_IDX(i)       ((i) & (CONSOLE_IN_SIZE - 1))

/*
 * At PV_CONSOLE_RING_GPA. Output: the guest writes out[] then out_prod; the
 * hypervisor reads up to out_prod then writes out_cons. Input (reserved, not
 * fed yet): the hypervisor writes in[] then in_prod; the guest in_cons.
 */
struct console_ring {
    uint32_t out_prod;              /* 0x000 guest */
    uint32_t out_cons;              /* 0x004 hypervisor */
    uint32_t in_prod;               /* 0x008 hypervisor */
    uint32_t in_cons;               /* 0x00c guest */
    char     out[CONSOLE_OUT_SIZE]; /* 0x010 */
    char     in[CONSOLE_IN_SIZE];   /* 0x810 */
    uint8_t  reserved[CONSOLE_RING_SIZE - 0xc10];  /* 0xc10 */
};

/* -------------------------------------------------------------- upcall frame */

/*
 * Written by the hypervisor on the guest stack when it delivers an upcall,
 * read back by upcall_return. The order is fixed: rax rbx rcx rdx rsi rdi
 * rbp rsp r8..r15 (the "a b c d, si di, bp sp" mnemonic order, not the
 * instruction encoding order), then rip, rflags; u64 each.
 */
struct upcall_frame {
    uint64_t rax;                   /* 0x00 */
    uint64_t rbx;                   /* 0x08 */
    uint64_t rcx;                   /* 0x10 */
    uint64_t rdx;                   /* 0x18 */
    uint64_t rsi;                   /* 0x20 */
    uint64_t rdi;                   /* 0x28 */
    uint64_t rbp;                   /* 0x30 */
    uint64_t rsp;                   /* 0x38 interrupted rsp */
    uint64_t r8;                    /* 0x40 */
    uint64_t r9;                    /* 0x48 */
    uint64_t r10;                   /* 0x50 */
    uint64_t r11;                   /* 0x58 */
    uint64_t r12;                   /* 0x60 */
    uint64_t r13;                   /* 0x68 */
    uint64_t r14;                   /* 0x70 */
    uint64_t r15;                   /* 0x78 */
    uint64_t rip;                   /* 0x80 */
    uint64_t rflags;                /* 0x88 */
};

#define UPCALL_FRAME_SIZE       0x90u
#define UPCALL_RED_ZONE         128u    /* bytes below rsp left untouched */
#define UPCALL_FRAME_ALIGN      16u
/* rflags bits upcall_return takes from the frame: CF PF AF ZF SF DF OF. */
#define UPCALL_RFLAGS_GUEST     UINT64_C(0x0cd5)
#define RFLAGS_IF               UINT64_C(0x0200)

/* ------------------------------------------------------------ layout checks */

_Static_assert(sizeof(struct start_info) == START_INFO_SIZE, "start_info size");
_Static_assert(offsetof(struct start_info, abi_version) == 0x08, "start_info.abi_version");
_Static_assert(offsetof(struct start_info, domid) == 0x0c, "start_info.domid");
_Static_assert(offsetof(struct start_info, flags) == 0x0e, "start_info.flags");
_Static_assert(offsetof(struct start_info, mem_size) == 0x10, "start_info.mem_size");
_Static_assert(offsetof(struct start_info, shared_info) == 0x18, "start_info.shared_info");
_Static_assert(offsetof(struct start_info, console_ring) == 0x20, "start_info.console_ring");
_Static_assert(offsetof(struct start_info, console_port) == 0x28, "start_info.console_port");
_Static_assert(offsetof(struct start_info, nr_vcpus) == 0x2c, "start_info.nr_vcpus");
_Static_assert(offsetof(struct start_info, handle) == 0x30, "start_info.handle");
_Static_assert(offsetof(struct start_info, name) == 0x40, "start_info.name");
_Static_assert(offsetof(struct start_info, cmdline) == 0x60, "start_info.cmdline");
_Static_assert(offsetof(struct start_info, reserved) == 0x460, "start_info.reserved");

_Static_assert(sizeof(struct pv_time_info) == 0x20, "pv_time_info size");
_Static_assert(offsetof(struct pv_time_info, tsc_timestamp) == 0x08, "time.tsc_timestamp");
_Static_assert(offsetof(struct pv_time_info, system_time) == 0x10, "time.system_time");
_Static_assert(offsetof(struct pv_time_info, tsc_to_system_mul) == 0x18, "time.mul");
_Static_assert(offsetof(struct pv_time_info, tsc_shift) == 0x1c, "time.shift");

_Static_assert(sizeof(struct vcpu_info) == 0x40, "vcpu_info size");
_Static_assert(offsetof(struct vcpu_info, evtchn_upcall_mask) == 0x01, "vcpu_info.mask");
_Static_assert(offsetof(struct vcpu_info, evtchn_pending_sel) == 0x08, "vcpu_info.sel");

_Static_assert(sizeof(struct shared_info) == SHARED_INFO_SIZE, "shared_info size");
_Static_assert(offsetof(struct shared_info, evtchn_pending) == 0x100, "shared_info.pending");
_Static_assert(offsetof(struct shared_info, evtchn_mask) == 0x180, "shared_info.mask");
_Static_assert(offsetof(struct shared_info, time) == 0x200, "shared_info.time");
_Static_assert(offsetof(struct shared_info, reserved) == 0x220, "shared_info.reserved");
_Static_assert(EVTCHN_WORDS <= 64, "evtchn_pending_sel has one bit per word");

_Static_assert(sizeof(struct console_ring) == CONSOLE_RING_SIZE, "console_ring size");
_Static_assert(offsetof(struct console_ring, out) == 0x010, "console_ring.out");
_Static_assert(offsetof(struct console_ring, in) == 0x810, "console_ring.in");
_Static_assert((CONSOLE_OUT_SIZE & (CONSOLE_OUT_SIZE - 1)) == 0, "out size power of 2");
_Static_assert((CONSOLE_IN_SIZE & (CONSOLE_IN_SIZE - 1)) == 0, "in size power of 2");

_Static_assert(sizeof(struct upcall_frame) == UPCALL_FRAME_SIZE, "upcall_frame size");
_Static_assert(UPCALL_FRAME_SIZE % UPCALL_FRAME_ALIGN == 0, "upcall_frame keeps alignment");
_Static_assert(offsetof(struct upcall_frame, rsp) == 0x38, "upcall_frame.rsp");
_Static_assert(offsetof(struct upcall_frame, r8) == 0x40, "upcall_frame.r8");
_Static_assert(offsetof(struct upcall_frame, rip) == 0x80, "upcall_frame.rip");
_Static_assert(offsetof(struct upcall_frame, rflags) == 0x88, "upcall_frame.rflags");

#endif
