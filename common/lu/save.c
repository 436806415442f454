/*
 * Save: every domain into a handover stream. The domains are paused and
 * switched out (their vCPUs at a restartable point), so what is written is
 * all of their hypervisor-side state; their memory is described by extent
 * and stays where it is.
 */
#include <baton/arch.h>
#include <baton/config.h>
#include <baton/domain.h>
#include <baton/errno.h>
#include <baton/lib.h>
#include <baton/lu.h>
#include <baton/page_alloc.h>
#include <baton/printk.h>
#include <baton/time.h>

/* ------------------------------------------------------------ stream memory */

static unsigned int order_of(uint64_t nr)
{
    unsigned int order = 0;

    while ((1ULL << order) < nr)
        order++;
    return order;
}

static int heap_alloc(void *priv, uint64_t nr, mfn_t *mfn)
{
    pfn_t pfn;

    (void)priv;
    if (!nr || order_of(nr) > MAX_ORDER)
        return -BATON_E2BIG;
    pfn = page_alloc(order_of(nr));
    if (pfn == INVALID_PFN)
        return -BATON_ENOMEM;
    *mfn = pfn;
    return 0;
}

static void heap_free(void *priv, mfn_t mfn, uint64_t nr)
{
    (void)priv;
    page_free(mfn, order_of(nr));
}

static void *heap_map(void *priv, mfn_t mfn, uint64_t nr)
{
    (void)priv;
    (void)nr;
    return phys_to_virt(mfn << PAGE_SHIFT);
}

const struct lu_mem_ops lu_heap_ops = {
    .alloc = heap_alloc, .free = heap_free, .map = heap_map,
};

/* ------------------------------------------------------------ save */

/* Domains that exist, in ascending domid order (the stream's order). */
static unsigned int domains_by_id(struct domain **out)
{
    unsigned int n = 0;

    for (unsigned int i = 0; i < CONFIG_MAX_DOMAINS; i++) {
        struct domain *d = domain_slot(i);
        unsigned int j;

        if (d->state == DOMAIN_FREE)
            continue;
        /* insertion sort: a handful of domains */
        for (j = n++; j > 0 && out[j - 1]->domid > d->domid; j--)
            out[j] = out[j - 1];
        out[j] = d;
    }
    return n;
}

static int save_domain(struct lu_writer *w, struct domain *d)
{
    struct lu_rec_domain_info info = {
        .type = LU_DOMAIN_TYPE_PV,
        .page_shift = PAGE_SHIFT,
        .domid = d->domid,
        .max_vcpus = d->nr_vcpus,
        .extra_flags = d->privileged ? LU_DOMAIN_EXTRA_PRIVILEGED : 0,
    };
    int rc;

    memcpy(info.handle, d->handle, sizeof(info.handle));
    rc = lu_write_domain_info(w, &info);
    if (rc)
        return rc;
    rc = lu_write_memory_begin(w, d->nr_extents);
    for (unsigned int i = 0; !rc && i < d->nr_extents; i++)
        rc = lu_write_memory_extent(w, d->extents[i].gpfn, d->extents[i].mfn,
                                    d->extents[i].count);
    if (!rc)
        rc = lu_write_memory_end(w);
    if (!rc)
        rc = lu_write_domain_context(w, d, d->nr_vcpus);
    if (rc)
        pr_err("LU save: d%u '%s': %d\n", d->domid, d->name, rc);
    return rc;
}

int lu_save(struct lu_writer *w, const struct lu_rec_downtime *dt, uint64_t *dt_at,
            struct lu_breadcrumb *bc)
{
    struct domain *doms[CONFIG_MAX_DOMAINS];
    unsigned int n = domains_by_id(doms);
    uint64_t tsc = arch_cycles();
    int rc;

    rc = lu_writer_init(w, &lu_heap_ops);
    if (rc)
        return rc;
    rc = lu_write_version(w, BATON_VERSION_MAJOR, BATON_VERSION_MINOR, BATON_VERSION_EXTRA);
    if (!rc)
        rc = lu_write_time(w, tsc_hz(), tsc, tsc_to_stime(tsc));
    if (!rc)
        rc = lu_write_downtime(w, dt, dt_at);
    for (unsigned int i = 0; !rc && i < n; i++)
        rc = save_domain(w, doms[i]);
    if (!rc)
        rc = lu_write_end(w);
    if (!rc)
        rc = lu_writer_finish(w, bc);
    if (rc)
        lu_writer_free(w);
    return rc;
}
