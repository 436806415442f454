/*
 * Baton PV grant table: sub-ops of HYPERCALL_grant_table_op(cmd, arg).
 * Specified in docs/specs/pv-abi.md ("Grant table").
 *
 * The table is managed by the hypervisor; the granting guest chooses the
 * reference (0..NR_GRANT_REFS-1). A grantee maps a granted page into its
 * grant window (pv.h: GNT_WINDOW_BASE + slot * 4096). Pad fields must be
 * zero (-EINVAL otherwise).
 */
#ifndef BATON_PUBLIC_GRANT_TABLE_H
#define BATON_PUBLIC_GRANT_TABLE_H

#include <stddef.h>
#include <stdint.h>
#include <public/pv.h>

#define NR_GRANT_REFS               256u

#define GNTTABOP_grant_access       0
#define GNTTABOP_end_access         1
#define GNTTABOP_map                2
#define GNTTABOP_unmap              3
#define NR_GNTTABOPS                4

/* gnttab_grant_access.flags */
#define GNTF_readonly               (1u << 0)   /* grantee may only read */
#define GNTF_MASK                   GNTF_readonly

/* gnttab_map.flags */
#define GNTMAP_readonly             (1u << 0)   /* map read-only */
#define GNTMAP_MASK                 GNTMAP_readonly

/* GNTTABOP_grant_access: let domid map my page gpfn under ref. */
struct gnttab_grant_access {
    uint32_t ref;                   /* 0x0 in: < NR_GRANT_REFS, not in use */
    uint16_t domid;                 /* 0x4 in: grantee, need not exist yet */
    uint16_t flags;                 /* 0x6 in: GNTF_* */
    uint64_t gpfn;                  /* 0x8 in: my page, >= PV_KERNEL_FIRST_PFN */
};

/* GNTTABOP_end_access: revoke ref (-EBUSY while the grantee has it mapped). */
struct gnttab_end_access {
    uint32_t ref;                   /* 0x0 in */
};

/* GNTTABOP_map: map (domid, ref) at GNT_WINDOW_ADDR(slot). */
struct gnttab_map {
    uint16_t domid;                 /* 0x0 in: granter */
    uint16_t pad;                   /* 0x2 */
    uint32_t ref;                   /* 0x4 in */
    uint32_t slot;                  /* 0x8 in: < GNT_WINDOW_SLOTS, free */
    uint32_t flags;                 /* 0xc in: GNTMAP_* */
};

/* GNTTABOP_unmap: drop the mapping in slot. */
struct gnttab_unmap {
    uint32_t slot;                  /* 0x0 in */
};

_Static_assert(sizeof(struct gnttab_grant_access) == 16, "gnttab_grant_access size");
_Static_assert(offsetof(struct gnttab_grant_access, domid) == 4, "grant_access.domid");
_Static_assert(offsetof(struct gnttab_grant_access, flags) == 6, "grant_access.flags");
_Static_assert(offsetof(struct gnttab_grant_access, gpfn) == 8, "grant_access.gpfn");
_Static_assert(sizeof(struct gnttab_end_access) == 4, "gnttab_end_access size");
_Static_assert(sizeof(struct gnttab_map) == 16, "gnttab_map size");
_Static_assert(offsetof(struct gnttab_map, ref) == 4, "map.ref");
_Static_assert(offsetof(struct gnttab_map, slot) == 8, "map.slot");
_Static_assert(offsetof(struct gnttab_map, flags) == 12, "map.flags");
_Static_assert(sizeof(struct gnttab_unmap) == 4, "gnttab_unmap size");

#endif
