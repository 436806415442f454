/*
 * Domain context: the per-domain hypervisor state (vCPU registers, event
 * channels, grants, timers, console, ...) as a blob of typed entries. It is
 * the body of the LU_REC_DOMAIN_CONTEXT live update record and is meant to
 * serve domain save/restore as well. Specified in
 * docs/specs/live-update-handover.md ("Domain context").
 *
 * Blob layout, little-endian, every entry 8-aligned:
 *   desc(HEADER) struct domctx_header
 *   desc(type, vcpu) body, zero padding to 8 octets   (any number)
 *   desc(END)                                          (no body)
 * Entries come sorted by (typecode, vcpu_id). An entry shorter than the
 * reader's structure is zero-extended; a longer one is refused unless the
 * stream's version rules say a newer writer appended fields.
 */
#ifndef PUBLIC_DOMCTX_H
#define PUBLIC_DOMCTX_H

#include <stdint.h>

struct domctx_desc {
    uint16_t typecode; /* DOMCTX_TYPE_* */
    uint16_t flags;    /* DOMCTX_FLAG_* */
    uint32_t vcpu_id;  /* 0 for per-domain entries */
    uint32_t length;   /* octets of body, padding excluded */
    uint32_t reserved; /* zero */
};
_Static_assert(sizeof(struct domctx_desc) == 16, "domctx_desc is 16 octets");

/* The loader skips the entry, whatever its type (a tool may neutralise
 * entries of a saved image this way). Never valid on HEADER or END. */
#define DOMCTX_FLAG_IGNORE 0x0001u
#define DOMCTX_FLAGS_KNOWN DOMCTX_FLAG_IGNORE

#define DOMCTX_ALIGN 8

#define DOMCTX_MAGIC   0x58544344u /* "DCTX" */
#define DOMCTX_VERSION 1

struct domctx_header {
    uint32_t magic;   /* DOMCTX_MAGIC */
    uint32_t version; /* DOMCTX_VERSION: the entry framing, not the entries */
};
_Static_assert(sizeof(struct domctx_header) == 8, "domctx_header is 8 octets");

/*
 * Type codes. Entries of a blob come sorted by type code, so a loader sees
 * DOMAIN before the vCPUs and the vCPUs before anything that names them.
 * Every entry type below is specified in docs/specs/domain-context.md.
 */
#define DOMCTX_TYPE_END         0x0000 /* last entry, empty */
#define DOMCTX_TYPE_HEADER      0x0001 /* first entry */
#define DOMCTX_TYPE_DOMAIN      0x0002 /* per domain, once: struct domctx_domain */
#define DOMCTX_TYPE_VCPU        0x0003 /* per vCPU, once each: struct domctx_vcpu */
#define DOMCTX_TYPE_EVTCHN      0x0004 /* per domain, one per open port: struct domctx_evtchn */
#define DOMCTX_TYPE_GRANT       0x0005 /* per domain, one per granted ref: struct domctx_grant */
#define DOMCTX_TYPE_GRANT_MAP   0x0006 /* per domain, one per mapped window slot: struct domctx_grant_map */
#define DOMCTX_TYPE_TIMER       0x0007 /* per vCPU, when a timer is pending: struct domctx_timer */
#define DOMCTX_TYPE_CONSOLE     0x0008 /* per domain, once: struct domctx_console */
#define DOMCTX_TYPE_FPU         0x0009 /* per vCPU, 0 or 1 each: struct domctx_fpu */
/* 0x000a - 0xfeff: future types. */
/* 0xff00 - 0xffff: test builds only; never in a production stream. */
#define DOMCTX_TYPE_TEST_FIRST  0xff00
#define DOMCTX_TYPE_TEST_LAST   0xffff

/* ------------------------------------------------------------ DOMAIN */

#define DOMCTX_NAME_LEN 32

#define DOMCTX_DOMAIN_ALIVE     1
#define DOMCTX_DOMAIN_SHUTDOWN  2 /* asked to stop; shutdown_reason says why */
#define DOMCTX_DOMAIN_CRASHED   3 /* killed for a fault; memory kept */

#define DOMCTX_DOMAIN_PRIVILEGED 0x00000001u /* may use control hypercalls */
#define DOMCTX_DOMAIN_FLAGS_KNOWN DOMCTX_DOMAIN_PRIVILEGED

struct domctx_domain {
    char name[DOMCTX_NAME_LEN];  /* printable, NUL-terminated, NUL-padded */
    uint32_t state;              /* DOMCTX_DOMAIN_* */
    uint32_t shutdown_reason;    /* SHUTDOWN_* when state is SHUTDOWN, else 0 */
    uint32_t pause_count;        /* pauses held by others than the saver */
    uint32_t flags;              /* DOMCTX_DOMAIN_* flags */
    uint64_t time_base_ns;       /* system time at the domain's guest time 0 */
    uint16_t ioport_first;       /* I/O ports granted: [first, first + count) */
    uint16_t ioport_count;       /* 0: none */
    uint32_t pad;                /* zero */
};
_Static_assert(sizeof(struct domctx_domain) == 64, "domctx_domain is 64 octets");

/* ------------------------------------------------------------ VCPU */

#define DOMCTX_VCPU_RUNNABLE 1   /* runs when its domain is not paused */
#define DOMCTX_VCPU_BLOCKED  2   /* waits for an event (sched_block done) */
#define DOMCTX_VCPU_OFFLINE  3   /* not started, or its domain is dead */

/*
 * The guest's registers at a restartable point: a vCPU is only ever saved
 * switched out, when its frame is complete; a vCPU blocked in sched_block
 * has its return value in rax already and resumes in the guest when woken.
 * evtchn_upcall_pending and _mask are copies of the vcpu_info fields in the
 * shared info page (guest memory, which stays in place): the loader checks
 * they still agree, it does not write guest memory.
 */
struct domctx_vcpu {
    uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp;
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t rip;
    uint64_t rflags;
    uint64_t fs_base;
    uint64_t gs_base;
    uint64_t gs_base_kernel;
    uint64_t upcall_entry;       /* VCPUOP_register_upcall; 0: none */
    uint16_t cs, ss, ds, es, fs, gs;
    uint8_t state;               /* DOMCTX_VCPU_* */
    uint8_t upcall_pending;
    uint8_t upcall_mask;
    uint8_t pad[9];              /* zero */
};
_Static_assert(sizeof(struct domctx_vcpu) == 200, "domctx_vcpu is 200 octets");
_Static_assert(__builtin_offsetof(struct domctx_vcpu, rip) == 128, "rip at 128");
_Static_assert(__builtin_offsetof(struct domctx_vcpu, cs) == 176, "cs at 176");

/* ------------------------------------------------------------ EVTCHN */

/* One open port. Pending and mask bits live in guest memory and stay there. */
struct domctx_evtchn {
    uint32_t port;               /* 1 .. NR_EVTCHN_PORTS - 1, ascending */
    uint8_t state;               /* EVTCHNSTAT_unbound, _interdomain or _virq */
    uint8_t pad0;                /* zero */
    uint16_t remote_dom;         /* unbound: who may bind; interdomain: peer
                                  * (DOMID_HYPERVISOR: the console port) */
    uint32_t remote_port;        /* interdomain: the peer's port */
    uint32_t virq;               /* virq: which VIRQ_* */
    uint32_t vcpu;               /* virq: the notified vCPU */
    uint32_t pad1;               /* zero */
};
_Static_assert(sizeof(struct domctx_evtchn) == 24, "domctx_evtchn is 24 octets");

/* ------------------------------------------------------------ GRANT */

/* One granted ref of this domain's table. How many mappings it has is
 * counted from the grantees' GRANT_MAP entries, not carried. */
struct domctx_grant {
    uint32_t ref;                /* < NR_GRANT_REFS, ascending */
    uint16_t grantee;            /* domid allowed to map it */
    uint16_t flags;              /* GNTF_* */
    uint64_t gpfn;               /* granted frame of this domain */
};
_Static_assert(sizeof(struct domctx_grant) == 16, "domctx_grant is 16 octets");

/* One slot of this domain's grant window holding another domain's page. */
struct domctx_grant_map {
    uint32_t slot;               /* < GNT_WINDOW_SLOTS, ascending */
    uint16_t granter;            /* domid whose grant is mapped */
    uint8_t readonly;            /* 1: mapped read-only */
    uint8_t pad;                 /* zero */
    uint32_t ref;                /* the granter's ref */
    uint32_t pad1;               /* zero */
};
_Static_assert(sizeof(struct domctx_grant_map) == 16, "domctx_grant_map is 16 octets");

/* ------------------------------------------------------------ TIMER */

/* A pending set_timer of one vCPU. Absolute system time: the next build
 * continues system time from LU_TIME, so the deadline keeps its meaning. */
struct domctx_timer {
    uint64_t deadline_ns;        /* system time (ns) when VIRQ_TIMER fires; > 0 */
};
_Static_assert(sizeof(struct domctx_timer) == 8, "domctx_timer is 8 octets");

/* ------------------------------------------------------------ CONSOLE */

#define DOMCTX_CONSOLE_LINE 256

/* The hypervisor side of the console: the line being assembled and the
 * rate-limit budgets (the domain's own, and its fair share of the budget
 * all guests share). The ring's indices live in guest memory and stay. */
struct domctx_console {
    uint64_t tokens;             /* own budget left, octets on the wire */
    uint64_t last_refill_ns;     /* system time of its last refill; 0: never */
    uint64_t dropped;            /* octets dropped since the last report */
    uint64_t share_tokens;       /* fair share left */
    uint64_t share_last_refill_ns;
    uint64_t share_last_output_ns; /* system time of the last output; 0: none */
    uint64_t share_burst;        /* the share's size at its last refill */
    uint32_t line_len;           /* <= DOMCTX_CONSOLE_LINE */
    uint32_t pad;                /* zero */
    char line[DOMCTX_CONSOLE_LINE]; /* line_len octets, then zeroes */
};
_Static_assert(sizeof(struct domctx_console) == 320, "domctx_console is 320 octets");

/* ------------------------------------------------------------ FPU */

#define DOMCTX_FPU_FCW_DEFAULT   0x037fu /* after FNINIT: every x87 exception masked */
#define DOMCTX_FPU_MXCSR_DEFAULT 0x1f80u /* after reset: every SSE exception masked */
/* MXCSR bits every CPU with SSE accepts when its FXSAVE reports no mask. */
#define DOMCTX_FPU_MXCSR_MASK_DEFAULT 0x0000ffbfu

/*
 * A vCPU's x87 and SSE state: exactly the layout of the 512-octet 64-bit
 * FXSAVE image (FXSAVE with REX.W), so a build restores it with FXRSTOR
 * after checking it; written for every vCPU that is not OFFLINE. A vCPU
 * without this entry (a stream from a build before it) restores with the
 * default state: FCW 0x037f, MXCSR 0x1f80, every other field zero.
 * Reserved octets of the image are zero in the entry whatever the CPU
 * wrote there.
 */
struct domctx_fpu {
    uint16_t fcw;                /* x87 control word */
    uint16_t fsw;                /* x87 status word */
    uint8_t ftw;                 /* abridged tag word: bit i set = register i not empty */
    uint8_t pad0;                /* zero */
    uint16_t fop;                /* last x87 opcode */
    uint64_t fip;                /* last x87 instruction pointer */
    uint64_t fdp;                /* last x87 data pointer */
    uint32_t mxcsr;              /* within this CPU's MXCSR_MASK */
    uint32_t mxcsr_mask;         /* the saving CPU's (informational) */
    uint8_t st[8][16];           /* ST0..ST7 / MM0..MM7: 10 octets, then 6 zero */
    uint8_t xmm[16][16];         /* XMM0..XMM15 */
    uint8_t pad1[96];            /* zero */
};
_Static_assert(sizeof(struct domctx_fpu) == 512, "domctx_fpu is 512 octets");
_Static_assert(__builtin_offsetof(struct domctx_fpu, mxcsr) == 24, "mxcsr at 24");
_Static_assert(__builtin_offsetof(struct domctx_fpu, st) == 32, "st at 32");
_Static_assert(__builtin_offsetof(struct domctx_fpu, xmm) == 160, "xmm at 160");
_Static_assert(__builtin_offsetof(struct domctx_fpu, pad1) == 416, "pad1 at 416");

#endif
