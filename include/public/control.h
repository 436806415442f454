/*
 * control_op: the privileged hypercalls domain 0's agent turns control
 * requests into (docs/specs/pv-abi.md, "Control operations"). Every other
 * domain gets -EPERM for every command, checked before arg is read.
 *
 * control_op(cmd, arg): arg is the guest virtual address of a struct that
 * opens with struct control_op_header (cmd repeated, CONTROL_OP_VERSION).
 * Buffers named inside are guest virtual addresses in the caller's own
 * memory. Fixed-width, little-endian, explicit zero padding (checked).
 *
 * kexec_op is a hypercall of its own (HYPERCALL_kexec_op), with Xen's
 * numbering and structures: include/public/kexec.h.
 */
#ifndef BATON_PUBLIC_CONTROL_H
#define BATON_PUBLIC_CONTROL_H

#include <stdint.h>
#include <public/hypercall.h>

#define CONTROL_domain_list     1   /* struct control_domain_list */
#define CONTROL_domain_info     2   /* struct control_domain_op (info out) */
#define CONTROL_domain_pause    3   /* struct control_domain_op */
#define CONTROL_domain_unpause  4   /* struct control_domain_op */
#define CONTROL_domain_destroy  5   /* struct control_domain_op */
#define CONTROL_domain_create   6   /* struct control_domain_create */
#define CONTROL_console_read    7   /* struct control_console_read (dmesg) */
#define CONTROL_memory_map      8   /* struct control_memory_map */
#define CONTROL_lu_rehearse     9   /* struct control_op_header only: arms one
                                     * in-place rehearsal, run after the call
                                     * returns (it pauses the caller too); the
                                     * result is the "LU: rehearsal on request N"
                                     * log line. -EBUSY: one is already armed;
                                     * -ENOSYS: no live update in this build */
#define CONTROL_version         10  /* struct control_version: what is running */
#define NR_CONTROL_OPS          11

/* control_domain_info.state */
#define CONTROL_DOMAIN_ALIVE    1
#define CONTROL_DOMAIN_SHUTDOWN 2
#define CONTROL_DOMAIN_CRASHED  3
/* control_domain_info.flags */
#define CONTROL_DOMAIN_PRIVILEGED 0x1u
#define CONTROL_DOMAIN_PAUSED     0x2u   /* pause_count > 0 */

#define CONTROL_NAME_LEN        32

struct control_domain_info {
    uint16_t domid;             /* 0x00 */
    uint8_t state;              /* 0x02 CONTROL_DOMAIN_* */
    uint8_t flags;              /* 0x03 CONTROL_DOMAIN_* flags */
    uint32_t nr_vcpus;          /* 0x04 */
    uint64_t mem_size;          /* 0x08 octets */
    uint32_t pause_count;       /* 0x10 */
    uint32_t shutdown_reason;   /* 0x14 SHUTDOWN_* when SHUTDOWN */
    uint8_t handle[16];         /* 0x18 */
    char name[CONTROL_NAME_LEN];/* 0x28 NUL-terminated */
    uint32_t nr_extents;        /* 0x48 */
    uint32_t pad;               /* 0x4c */
};

/* CONTROL_domain_list: every domain into buf, ascending domid. With more
 * domains than max: -E2BIG, nothing written, nr = how many there are. */
struct control_domain_list {
    struct control_op_header hdr;
    uint32_t max;               /* in: room in buf, in entries */
    uint32_t nr;                /* out: domains written */
    uint64_t buf;               /* in: struct control_domain_info[max] */
};

/* CONTROL_domain_info / _pause / _unpause / _destroy. -ENOENT: no such
 * domain; -EINVAL: nonzero pad, domid 0 for pause/destroy (the caller
 * itself), or an unpause of a domain nobody paused; -EBUSY: a pause past
 * CONTROL_PAUSE_MAX, or a destroy while another domain still maps a page
 * the domain granted (nothing is changed then). Pauses nest. */
#define CONTROL_PAUSE_MAX       255u
struct control_domain_op {
    struct control_op_header hdr;
    uint16_t domid;             /* in */
    uint16_t pad[3];            /* 0 */
    struct control_domain_info info;   /* out: CONTROL_domain_info only */
};

/*
 * CONTROL_domain_create: a new domain from an ELF image in the caller's
 * memory and a configuration line (the boot-module syntax:
 * "name=... mem=... vcpus=... paused=... cmdline=\"...\""). The lowest free
 * domid is given; the new domain is never privileged. -EINVAL: nonzero pad,
 * image_size 0, a NUL inside the config line, or what the builder refuses
 * (reported on the hypervisor console); -E2BIG: image_size or config_len
 * above its maximum (checked before anything is copied); -ENOSPC: no free
 * domain slot; -ENOMEM; -EFAULT.
 */
struct control_domain_create {
    struct control_op_header hdr;
    uint64_t image;             /* in: gva of the ELF image */
    uint64_t image_size;        /* in: octets, at most CONTROL_IMAGE_MAX */
    uint64_t config;            /* in: gva of the configuration line */
    uint32_t config_len;        /* in: octets, at most CONTROL_CONFIG_MAX, no NUL needed */
    uint16_t domid;             /* out */
    uint16_t pad;               /* 0 */
};
#define CONTROL_IMAGE_MAX       (16u << 20)
#define CONTROL_CONFIG_MAX      1024u

/*
 * CONTROL_console_read: the hypervisor's log ring. offset is a position in
 * the log since boot; what the ring no longer holds is skipped (lost says
 * how much). Returns the octets copied in len and where to read next.
 * -EINVAL: offset past what was ever logged. Reading from next each time
 * gets every line once.
 */
struct control_console_read {
    struct control_op_header hdr;
    uint64_t buf;               /* in: gva */
    uint32_t size;              /* in: room in buf */
    uint32_t len;               /* out: octets copied */
    uint64_t offset;            /* in: where to read from */
    uint64_t next;              /* out: offset after the last octet copied */
    uint64_t lost;              /* out: octets skipped because overwritten */
};

/* CONTROL_memory_map: e820 types (1 RAM, 2 reserved, 3 ACPI, 4 NVS,
 * 5 unusable). The running image and the live update bootmem are RAM, as
 * kexec-tools requires of segment destinations. */
#define CONTROL_E820_RAM        1
struct control_e820 {
    uint64_t addr;
    uint64_t size;
    uint32_t type;
    uint32_t pad;
};
struct control_memory_map {
    struct control_op_header hdr;
    uint32_t max;               /* in: room in buf, in entries */
    uint32_t nr;                /* out: entries written; on -E2BIG (more than
                                 * max), how many there are: nothing written */
    uint64_t buf;               /* in: struct control_e820[max] */
};

/*
 * CONTROL_version: the running build, so that a tool can tell which build
 * answers (before and after a live update) and whether a target image can
 * read the handover stream this build would write (compare lu_write and
 * lu_compat with the target's ELF note, include/public/elfnote.h) and load
 * every domain context entry type it writes (domctx_types_write against
 * the target's BATON_NOTE_DOMCTX_TYPES).
 */
#define CONTROL_VERSION_TEXT_LEN    32
#define CONTROL_BUILD_ID_TEXT_LEN   72  /* up to 64 hex digits, NUL-padded */
#define CONTROL_VERSION_F_LIVE_UPDATE 0x1u  /* built with live update */
struct control_version_info {
    uint32_t major;             /* 0x00 */
    uint32_t minor;             /* 0x04 */
    uint32_t lu_write;          /* 0x08 stream version this build writes */
    uint32_t lu_compat;         /* 0x0c the compat_version it writes */
    uint32_t lu_read_min;       /* 0x10 stream versions it reads */
    uint32_t lu_read_max;       /* 0x14 */
    uint32_t flags;             /* 0x18 CONTROL_VERSION_F_* */
    uint32_t pad;               /* 0x1c 0 */
    char version[CONTROL_VERSION_TEXT_LEN];     /* 0x20 "0.1-b": NUL-terminated */
    char build_id[CONTROL_BUILD_ID_TEXT_LEN];   /* 0x40 GNU build id, lowercase hex,
                                                 * NUL-terminated; "unknown" without one */
    uint64_t domctx_types_write;    /* 0x88 domain context entry types its save
                                     * emits: bit t for DOMCTX_TYPE t (0..63) */
    uint64_t domctx_types_load;     /* 0x90 the types it loads: its image's
                                     * BATON_NOTE_DOMCTX_TYPES mask */
};
struct control_version {
    struct control_op_header hdr;
    struct control_version_info info;   /* out */
};

_Static_assert(sizeof(struct control_version_info) == 0x98, "control_version_info size");
_Static_assert(__builtin_offsetof(struct control_version_info, domctx_types_write) == 0x88,
               "domctx_types_write at 0x88");
_Static_assert(sizeof(struct control_version) == 8 + 0x98, "control_version size");
_Static_assert(sizeof(struct control_domain_info) == 0x50, "control_domain_info size");
_Static_assert(sizeof(struct control_domain_list) == 24, "control_domain_list size");
_Static_assert(sizeof(struct control_domain_op) == 16 + 0x50, "control_domain_op size");
_Static_assert(sizeof(struct control_domain_create) == 40, "control_domain_create size");
_Static_assert(sizeof(struct control_console_read) == 48, "control_console_read size");
_Static_assert(sizeof(struct control_e820) == 24, "control_e820 size");
_Static_assert(sizeof(struct control_memory_map) == 24, "control_memory_map size");

#endif
