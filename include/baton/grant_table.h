/* Grant table (common/grant_table.c): grants given and the grant window. */
#ifndef BATON_GRANT_TABLE_H
#define BATON_GRANT_TABLE_H

#include <baton/types.h>
#include <baton/layout_shuffle.h>
#include <public/grant_table.h>

struct domain;

/* Fields in this order; reversed and padded by LAYOUT_SHUFFLE. */
struct grant_entry {
    LAYOUT_PAD(shuffle_pad, 16)
    LAYOUT_GROUPS((
        bool in_use;
    ), (
        uint16_t grantee;
    ), (
        uint16_t flags;           /* GNTF_* */
    ), (
        uint64_t gpfn;
    ), (
        uint32_t map_count;       /* live mappings by the grantee */
    ))
};

/* A page of another domain mapped in this domain's grant window
 * (fields reversed and padded by LAYOUT_SHUFFLE). */
struct grant_mapping {
    LAYOUT_PAD(shuffle_pad, 4)
    LAYOUT_GROUPS((
        bool in_use;
    ), (
        bool readonly;
    ), (
        uint16_t granter;
    ), (
        uint32_t ref;
    ))
};

long do_grant_table_op(struct domain *d, uint32_t cmd, uint64_t arg);
/* A dying domain: drop its window mappings. */
void gnttab_release(struct domain *d);
/* Grant entries of d that another domain still has mapped. */
unsigned int gnttab_mapped_by_others(const struct domain *d);
/*
 * Restore, once every domain is decoded (state RESTORING): each window slot
 * of d must map a grant its granter gave d, read-only where the grant says
 * so; the granters' map counts are rebuilt. 0 or -BATON_EINVAL, reported.
 */
int gnttab_restore_check(struct domain *d);
/* Restore, commit: map d's window slots into its (new) page tables. */
int gnttab_restore_map(struct domain *d);

#endif
