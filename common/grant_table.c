/*
 * Grant table: a domain lets another map one of its pages (GNTTABOP_*), and
 * the grantee maps it into its grant window.
 *
 * The tables (d->grants, d->gnt_maps) are hypervisor-private and change only
 * in hypercalls and hypervisor paths; the hypervisor is not preemptible on
 * its one CPU, so they need no lock. d->grants_in_use and d->gnt_maps_in_use
 * have a bit per entry in use: entries are taken only by grant_take() and
 * map_take() and given back only by grant_drop() and unmap_slot(), so the
 * bitmaps are exact, and the walks of save, restore and release visit the
 * entries in use instead of all 256 refs and 64 slots.
 *
 * Error codes (docs/specs/pv-abi.md, "Grant table"):
 *   -EFAULT  the argument struct is not in guest memory
 *   -ENOSYS  unknown cmd
 *   -EINVAL  nonzero pad; unknown flags; ref >= NR_GRANT_REFS;
 *            slot >= GNT_WINDOW_SLOTS; domid reserved (>= DOMID_FIRST_RESERVED)
 *            or the caller's own; gpfn below PV_KERNEL_FIRST_PFN or outside
 *            the granter's memory
 *   -EEXIST  grant_access: ref in use
 *   -EBUSY   end_access: still mapped; map: slot in use (checked after the
 *            grant itself, as the spec orders it)
 *   -ENOENT  end_access: ref not granted; map: granter does not exist or
 *            has not granted ref to the caller (yet: backends retry);
 *            unmap: slot not mapped
 *   -EPERM   map: writable mapping of a read-only grant
 *   other    map: what guest_map_window() returned (nothing is recorded)
 */
#include <baton/arch.h>
#include <baton/domain.h>
#include <baton/domctx.h>
#include <baton/errno.h>
#include <baton/lib.h>
#include <baton/printk.h>

/* A domid the caller may name as the other side of a grant. */
static bool other_domid_ok(const struct domain *d, uint16_t domid)
{
    return domid < DOMID_FIRST_RESERVED && domid != d->domid;
}

static bool gpfn_grantable(const struct domain *d, uint64_t gpfn)
{
    /* the ABI pages below 1 MiB are the hypervisor's business */
    if (gpfn < PV_KERNEL_FIRST_PFN || gpfn >= d->mem_size >> PV_PAGE_SHIFT)
        return false;
    return guest_gpfn_to_mfn(d, gpfn) != INVALID_MFN;
}

/*
 * The granter's entry behind mapping m of grantee d, or NULL when it is
 * gone. The granter may have crashed (its memory, and so its grant table,
 * is kept until the slot is freed), so any non-FREE domain with the id
 * counts; among those the one whose entry still matches this mapping.
 */
static struct grant_entry *mapped_entry(const struct domain *d, const struct grant_mapping *m)
{
    if (m->ref >= NR_GRANT_REFS)
        return NULL;
    for (unsigned int i = 0; i < CONFIG_MAX_DOMAINS; i++) {
        struct domain *gd = domain_slot(i);
        struct grant_entry *ge;

        if (!gd || gd->state == DOMAIN_FREE || gd->domid != m->granter)
            continue;
        ge = &gd->grants[m->ref];
        if (ge->in_use && ge->grantee == d->domid && ge->map_count > 0)
            return ge;
    }
    return NULL;
}

/* The lowest granted ref of d at or above from, or NR_GRANT_REFS. */
static uint32_t next_grant(const struct domain *d, uint32_t from)
{
    return bitmap_next_set(d->grants_in_use, NR_GRANT_REFS, from);
}

/* The lowest mapped window slot of d at or above from, or GNT_WINDOW_SLOTS. */
static uint32_t next_mapped_slot(const struct domain *d, uint32_t from)
{
    return bitmap_next_set(d->gnt_maps_in_use, GNT_WINDOW_SLOTS, from);
}

/* Ref (not in use) of d becomes ge: the one way a grant is taken. */
static void grant_take(struct domain *d, uint32_t ref, struct grant_entry ge)
{
    ASSERT(!d->grants[ref].in_use && ge.in_use);
    d->grants[ref] = ge;
    bitmap_set(d->grants_in_use, ref);
}

static void grant_drop(struct domain *d, uint32_t ref)
{
    memset(&d->grants[ref], 0, sizeof(d->grants[ref]));
    bitmap_clear(d->grants_in_use, ref);
}

/* Window slot (free) of d holds m: the one way a slot is taken. */
static void map_take(struct domain *d, uint32_t slot, struct grant_mapping m)
{
    ASSERT(!d->gnt_maps[slot].in_use && m.in_use);
    d->gnt_maps[slot] = m;
    bitmap_set(d->gnt_maps_in_use, slot);
}

/* Take down window slot of d and drop the granter's count. */
static void unmap_slot(struct domain *d, unsigned int slot)
{
    struct grant_mapping *m = &d->gnt_maps[slot];
    struct grant_entry *ge = mapped_entry(d, m);

    guest_unmap_window(d, slot);
    if (ge)
        ge->map_count--;
    memset(m, 0, sizeof(*m));
    bitmap_clear(d->gnt_maps_in_use, slot);
}

/* ------------------------------------------------------------------ sub-ops */

static long op_grant_access(struct domain *d, uint64_t arg)
{
    struct gnttab_grant_access op;

    if (copy_from_guest(d, &op, arg, sizeof(op)))
        return -BATON_EFAULT;
    if (op.ref >= NR_GRANT_REFS || (op.flags & ~GNTF_MASK) ||
        !other_domid_ok(d, op.domid) || !gpfn_grantable(d, op.gpfn))
        return -BATON_EINVAL;
    if (d->grants[op.ref].in_use)
        return -BATON_EEXIST;
    grant_take(d, op.ref, (struct grant_entry){
        .in_use = true, .grantee = op.domid, .flags = op.flags, .gpfn = op.gpfn,
    });
    return 0;
}

static long op_end_access(struct domain *d, uint64_t arg)
{
    struct gnttab_end_access op;
    struct grant_entry *ge;

    if (copy_from_guest(d, &op, arg, sizeof(op)))
        return -BATON_EFAULT;
    if (op.ref >= NR_GRANT_REFS)
        return -BATON_EINVAL;
    ge = &d->grants[op.ref];
    if (!ge->in_use)
        return -BATON_ENOENT;
    /* the page must not be handed back while another domain can reach it */
    if (ge->map_count)
        return -BATON_EBUSY;
    grant_drop(d, op.ref);
    return 0;
}

static long map_check_args(const struct domain *d, const struct gnttab_map *op)
{
    if (op->pad || (op->flags & ~GNTMAP_MASK) || op->ref >= NR_GRANT_REFS ||
        op->slot >= GNT_WINDOW_SLOTS || !other_domid_ok(d, op->domid))
        return -BATON_EINVAL;
    return 0;
}

static long op_map(struct domain *d, uint64_t arg)
{
    struct gnttab_map op;
    struct domain *gd;
    struct grant_entry *ge;
    bool readonly;
    uint64_t mfn;
    long rc;

    if (copy_from_guest(d, &op, arg, sizeof(op)))
        return -BATON_EFAULT;
    rc = map_check_args(d, &op);
    if (rc)
        return rc;
    gd = domain_by_id(op.domid);
    if (!gd)
        return -BATON_ENOENT;
    ge = &gd->grants[op.ref];
    if (!ge->in_use || ge->grantee != d->domid)
        return -BATON_ENOENT;
    if (d->gnt_maps[op.slot].in_use)
        return -BATON_EBUSY;
    readonly = op.flags & GNTMAP_readonly;
    if ((ge->flags & GNTF_readonly) && !readonly)
        return -BATON_EPERM;
    /* checked at grant time, and the granter's memory does not move */
    mfn = guest_gpfn_to_mfn(gd, ge->gpfn);
    if (mfn == INVALID_MFN)
        return -BATON_EINVAL;
    rc = guest_map_window(d, op.slot, mfn, readonly);
    if (rc)
        return rc;

    map_take(d, op.slot, (struct grant_mapping){
        .in_use = true,
        .readonly = readonly,
        .granter = op.domid,
        .ref = op.ref,
    });
    ge->map_count++;
    return 0;
}

static long op_unmap(struct domain *d, uint64_t arg)
{
    struct gnttab_unmap op;

    if (copy_from_guest(d, &op, arg, sizeof(op)))
        return -BATON_EFAULT;
    if (op.slot >= GNT_WINDOW_SLOTS)
        return -BATON_EINVAL;
    if (!d->gnt_maps[op.slot].in_use)
        return -BATON_ENOENT;
    unmap_slot(d, op.slot);
    return 0;
}

long do_grant_table_op(struct domain *d, uint32_t cmd, uint64_t arg)
{
    switch (cmd) {
    case GNTTABOP_grant_access:
        return op_grant_access(d, arg);
    case GNTTABOP_end_access:
        return op_end_access(d, arg);
    case GNTTABOP_map:
        return op_map(d, arg);
    case GNTTABOP_unmap:
        return op_unmap(d, arg);
    default:
        return -BATON_ENOSYS;
    }
}

/* ------------------------------------------------------------- life cycle */

/*
 * A dying domain: its own window slots are unmapped (the granters' counts
 * drop, so they can end access). Grants it gave that others still map are
 * left alone: those domains keep their mappings until they unmap. That is
 * safe only because the memory of a dead domain is not freed in this
 * version (common/domain.c); freeing it would first have to revoke those
 * mappings. Grants nobody maps are dropped, so nothing new can map them.
 */
void gnttab_release(struct domain *d)
{
    for (uint32_t slot = next_mapped_slot(d, 0); slot < GNT_WINDOW_SLOTS;
         slot = next_mapped_slot(d, slot + 1))
        unmap_slot(d, slot);
    for (uint32_t ref = next_grant(d, 0); ref < NR_GRANT_REFS; ref = next_grant(d, ref + 1))
        if (!d->grants[ref].map_count)
            grant_drop(d, ref);
}

unsigned int gnttab_mapped_by_others(const struct domain *d)
{
    unsigned int n = 0;

    for (uint32_t ref = next_grant(d, 0); ref < NR_GRANT_REFS; ref = next_grant(d, ref + 1))
        n += d->grants[ref].map_count != 0;
    return n;
}

/* ---------------------------------------------------------------- context */

/* GRANT: one entry per granted ref, ascending. Map counts are not carried:
 * restore counts the grantees' GRANT_MAP entries. */
static int grant_save(struct domain *d, unsigned int vcpu, struct domctx_save_ctx *c)
{
    int rc = 0;

    (void)vcpu;
    for (uint32_t ref = next_grant(d, 0); ref < NR_GRANT_REFS && !rc; ref = next_grant(d, ref + 1)) {
        const struct grant_entry *ge = &d->grants[ref];
        const struct domctx_grant e = {
            .ref = ref, .grantee = ge->grantee, .flags = ge->flags, .gpfn = ge->gpfn,
        };

        rc = domctx_save_entry(c, &e, sizeof(e));
    }
    return rc;
}

static int grant_load(struct domain *d, unsigned int vcpu, const struct domctx_entry *ent)
{
    struct domctx_grant e;
    const char *problem = NULL;
    int rc;

    (void)vcpu;
    rc = domctx_entry_read(ent, &e, sizeof(e));
    if (rc)
        return rc;
    if (e.ref >= NR_GRANT_REFS)
        problem = "ref out of range";
    else if (d->grants[e.ref].in_use)
        problem = "ref given twice";
    else if (e.flags & ~GNTF_MASK)
        problem = "unknown flags";
    else if (!other_domid_ok(d, e.grantee))
        problem = "grantee reserved or the granter itself";
    else if (!gpfn_grantable(d, e.gpfn))
        problem = "frame below the kernel or outside the domain's memory";
    if (problem) {
        pr_err("d%u GRANT: %s (ref %u grantee d%u flags 0x%x gpfn 0x%llx)\n", d->domid, problem,
               e.ref, e.grantee, e.flags, (unsigned long long)e.gpfn);
        return -BATON_EINVAL;
    }
    grant_take(d, e.ref, (struct grant_entry){
        .in_use = true, .grantee = e.grantee, .flags = e.flags, .gpfn = e.gpfn,
    });
    return 0;
}

DOMCTX_HANDLER(grant_ctx, DOMCTX_TYPE_GRANT, "GRANT", DOMCTX_MULTI,
               sizeof(struct domctx_grant), grant_save, grant_load);

/* GRANT_MAP: one entry per mapped window slot, ascending. */
static int grant_map_save(struct domain *d, unsigned int vcpu, struct domctx_save_ctx *c)
{
    int rc = 0;

    (void)vcpu;
    for (uint32_t slot = next_mapped_slot(d, 0); slot < GNT_WINDOW_SLOTS && !rc;
         slot = next_mapped_slot(d, slot + 1)) {
        const struct grant_mapping *m = &d->gnt_maps[slot];
        const struct domctx_grant_map e = {
            .slot = slot, .granter = m->granter, .readonly = m->readonly, .ref = m->ref,
        };

        rc = domctx_save_entry(c, &e, sizeof(e));
    }
    return rc;
}

static int grant_map_load(struct domain *d, unsigned int vcpu, const struct domctx_entry *ent)
{
    struct domctx_grant_map e;
    const char *problem = NULL;
    int rc;

    (void)vcpu;
    rc = domctx_entry_read(ent, &e, sizeof(e));
    if (rc)
        return rc;
    if (d->state != DOMAIN_ALIVE)
        problem = "a mapping of a dead domain (its window was emptied when it died)";
    else if (e.slot >= GNT_WINDOW_SLOTS)
        problem = "slot out of range";
    else if (d->gnt_maps[e.slot].in_use)
        problem = "slot given twice";
    else if (e.ref >= NR_GRANT_REFS || e.readonly > 1 || e.pad || e.pad1)
        problem = "ref out of range, readonly not 0 or 1, or nonzero padding";
    else if (!other_domid_ok(d, e.granter))
        problem = "granter reserved or the domain itself";
    if (problem) {
        pr_err("d%u GRANT_MAP: %s (slot %u granter d%u ref %u readonly %u)\n", d->domid,
               problem, e.slot, e.granter, e.ref, e.readonly);
        return -BATON_EINVAL;
    }
    map_take(d, e.slot, (struct grant_mapping){
        .in_use = true, .readonly = e.readonly, .granter = e.granter, .ref = e.ref,
    });
    return 0;
}

DOMCTX_HANDLER(grant_map_ctx, DOMCTX_TYPE_GRANT_MAP, "GRANT_MAP", DOMCTX_MULTI,
               sizeof(struct domctx_grant_map), grant_map_save, grant_map_load);

/* The grant behind a decoded mapping of d, as its granter gave it. */
static struct grant_entry *restored_grant(const struct domain *d, const struct grant_mapping *m)
{
    struct domain *gd = domain_by_id_any(m->granter);
    struct grant_entry *ge;

    if (!gd)
        return NULL;
    ge = &gd->grants[m->ref];
    if (!ge->in_use || ge->grantee != d->domid || (m->readonly == false && (ge->flags & GNTF_readonly)))
        return NULL;
    return ge;
}

int gnttab_restore_check(struct domain *d)
{
    for (uint32_t slot = next_mapped_slot(d, 0); slot < GNT_WINDOW_SLOTS;
         slot = next_mapped_slot(d, slot + 1)) {
        const struct grant_mapping *m = &d->gnt_maps[slot];
        struct grant_entry *ge;

        ge = restored_grant(d, m);
        if (!ge) {
            pr_err("d%u window slot %u: maps d%u ref %u, which d%u did not grant it%s\n",
                   d->domid, slot, m->granter, m->ref, m->granter,
                   m->readonly ? "" : " writable");
            return -BATON_EINVAL;
        }
        ge->map_count++;
    }
    return 0;
}

int gnttab_restore_map(struct domain *d)
{
    for (uint32_t slot = next_mapped_slot(d, 0); slot < GNT_WINDOW_SLOTS;
         slot = next_mapped_slot(d, slot + 1)) {
        const struct grant_mapping *m = &d->gnt_maps[slot];
        const struct domain *gd;
        int rc;

        /* checked by gnttab_restore_check; the granter's memory is in place */
        gd = domain_by_id_any(m->granter);
        rc = guest_map_window(d, slot, guest_gpfn_to_mfn(gd, gd->grants[m->ref].gpfn),
                              m->readonly);
        if (rc)
            return rc;
    }
    return 0;
}
