/* Wrappers of the grant table sub-ops. */
#include "rt.h"

int gnttab_grant_access(uint32_t ref, uint16_t domid, const void *page, bool readonly)
{
    struct gnttab_grant_access op = {
        .ref = ref,
        .domid = domid,
        .flags = readonly ? GNTF_readonly : 0,
        .gpfn = (uint64_t)(uintptr_t)page >> PV_PAGE_SHIFT,
    };

    return (int)hc_grant_table_op(GNTTABOP_grant_access, &op);
}

int gnttab_end_access(uint32_t ref)
{
    struct gnttab_end_access op = { .ref = ref };

    return (int)hc_grant_table_op(GNTTABOP_end_access, &op);
}

int gnttab_map(uint16_t domid, uint32_t ref, uint32_t slot, bool readonly, void **va)
{
    struct gnttab_map op = {
        .domid = domid,
        .ref = ref,
        .slot = slot,
        .flags = readonly ? GNTMAP_readonly : 0,
    };
    int rc = (int)hc_grant_table_op(GNTTABOP_map, &op);

    if (rc == 0)
        *va = (void *)(uintptr_t)GNT_WINDOW_ADDR(slot);
    return rc;
}

int gnttab_unmap(uint32_t slot)
{
    struct gnttab_unmap op = { .slot = slot };

    return (int)hc_grant_table_op(GNTTABOP_unmap, &op);
}
