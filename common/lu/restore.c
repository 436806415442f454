/*
 * Restore: every domain of an opened handover stream rebuilt, in two
 * steps. Decode claims a slot per domain and loads its context entries
 * into it (every entry checked against this build's limits as it is
 * loaded, then references between domains: event channel peers, grant
 * mappings), allocating nothing. Commit then builds what the running
 * system needs: page tables from the extents, grant windows, vCPU stacks.
 * A failure at either step frees every slot and everything commit took,
 * so no domain is ever half-built. Guest memory is never touched: it is
 * where the stream says, and stays there.
 */
#include <baton/arch.h>
#include <baton/domain.h>
#include <baton/domain_build.h>
#include <baton/errno.h>
#include <baton/lib.h>
#include <baton/lu.h>
#include <baton/lu_bootmem.h>
#include <baton/memory.h>
#include <baton/page_alloc.h>
#include <baton/printk.h>
#include <baton/sched.h>
#include <baton/vmap.h>

/* ------------------------------------------------------------ the reader */

static const void *map_phys(void *priv, paddr_t pa, size_t len)
{
    (void)priv;
    (void)len;
    return phys_to_virt(pa);
}

static const void *map_frames(void *priv, const uint64_t *mfns, uint64_t nr)
{
    (void)priv;
    return nr > UINT32_MAX ? NULL : vmap(mfns, (unsigned int)nr);
}

static void unmap_frames(void *priv, const void *va, uint64_t nr)
{
    (void)priv;
    vunmap((void *)(uintptr_t)va, (unsigned int)nr);
}

static unsigned int order_for(size_t size)
{
    unsigned int order = 0;

    while ((PAGE_SIZE << order) < size)
        order++;
    return order;
}

static void *scratch_alloc(void *priv, size_t size)
{
    pfn_t pfn;

    (void)priv;
    if (order_for(size) > MAX_ORDER)
        return NULL;
    pfn = page_alloc(order_for(size));
    return pfn == INVALID_PFN ? NULL : phys_to_virt(pfn << PAGE_SHIFT);
}

static void scratch_free(void *priv, void *p, size_t size)
{
    (void)priv;
    page_free(virt_to_phys(p) >> PAGE_SHIFT, order_for(size));
}

static struct lu_range ram[BOOT_MEM_MAX];
static struct lu_range reserved[2];

void lu_reader_init(struct lu_reader *r)
{
    unsigned int n = 0, nr = 0;

    for (unsigned int i = 0; i < memory_map_entries; i++)
        if (memory_map[i].type == MEM_RAM)
            ram[n++] = (struct lu_range){ memory_map[i].start,
                                          memory_map[i].start + memory_map[i].size };
    reserved[nr++] = (struct lu_range){ image_region.start, image_region.end };
    if (lu_bootmem.end)
        reserved[nr++] = (struct lu_range){ lu_bootmem.start, lu_bootmem.end };
    *r = (struct lu_reader){
        .map_phys = map_phys, .vmap = map_frames, .vunmap = unmap_frames,
        .scratch_alloc = scratch_alloc, .scratch_free = scratch_free,
        .ram = ram, .nr_ram = n, .reserved = reserved, .nr_reserved = nr,
    };
}

/* ------------------------------------------------------------ decode */

/* The slots this restore claimed, in stream order: all it may free. */
static struct domain *claimed[CONFIG_MAX_DOMAINS];
static unsigned int nr_claimed;

/* The entries a domain cannot be rebuilt without (IGNORE ones do not count). */
struct required {
    unsigned int domain, console, vcpus;
};

static int count_required(void *priv, const struct domctx_entry *e)
{
    struct required *req = priv;

    if (e->flags & DOMCTX_FLAG_IGNORE)
        return 0;
    req->domain += e->typecode == DOMCTX_TYPE_DOMAIN;
    req->console += e->typecode == DOMCTX_TYPE_CONSOLE;
    req->vcpus += e->typecode == DOMCTX_TYPE_VCPU;
    return 0;
}

static int check_required(const struct lu_domain *ld, unsigned int flags)
{
    struct required req = { 0 };
    int rc;

    rc = domctx_walk(ld->context, ld->context_len, ld->info.max_vcpus, flags, count_required,
                     &req, NULL, 0);
    if (rc)
        return rc;
    if (req.domain == 1 && req.console == 1 && req.vcpus == ld->info.max_vcpus)
        return 0;
    pr_err("LU restore: d%u has %u DOMAIN, %u CONSOLE and %u VCPU entries, expected 1, 1 and %u\n",
           ld->info.domid, req.domain, req.console, req.vcpus, ld->info.max_vcpus);
    return -BATON_EINVAL;
}

/* What this build can hold of LU_DOMAIN_INFO and LU_DOMAIN_MEMORY. */
static int check_shape(const struct lu_domain *ld)
{
    uint64_t mem = ld->p2m_size << PAGE_SHIFT;
    const char *problem = NULL;

    if (domain_by_id_any(ld->info.domid))
        problem = "a domain with this id exists already";
    else if (ld->info.max_vcpus > MAX_VIRT_CPUS)
        problem = "more vCPUs than this build's MAX_VIRT_CPUS (4)";
    else if (ld->nr_extents > DOMAIN_EXTENTS_MAX)
        problem = "more extents than this build's DOMAIN_EXTENTS_MAX (64)";
    else if (ld->total_pages != ld->p2m_size)
        problem = "memory with holes (extents do not cover 0..p2m_size)";
    else if (mem < PV_MIN_MEM_SIZE || mem > DOMAIN_MEM_MAX)
        problem = "memory outside 2 MiB..4 GiB";
    if (!problem)
        return 0;
    pr_err("LU restore: d%u: %s (%u vCPUs, %u extents, %llu of %llu frames)\n",
           ld->info.domid, problem, ld->info.max_vcpus, ld->nr_extents,
           (unsigned long long)ld->total_pages, (unsigned long long)ld->p2m_size);
    return -BATON_EINVAL;
}

static void take_memory(struct domain *d, const struct lu_domain *ld)
{
    for (uint32_t i = 0; i < ld->nr_extents; i++) {
        struct lu_extent e;

        memcpy(&e, &ld->extents[i], sizeof(e));     /* the stream is only 8-aligned */
        d->extents[i] = (struct mem_extent){ e.gpfn, e.mfn, e.count };
    }
    d->nr_extents = ld->nr_extents;
    d->mem_size = ld->p2m_size << PAGE_SHIFT;
}

static int decode_domain(const struct lu_stream *s, const struct lu_domain *ld)
{
    struct domain *d;
    char err[160];
    int rc;

    rc = check_shape(ld);
    if (!rc)
        rc = check_required(ld, s->ctx_flags);
    if (rc)
        return rc;
    d = domain_claim_slot(ld->info.domid);
    if (!d) {
        pr_err("LU restore: d%u: no free slot (this build holds %d domains)\n",
               ld->info.domid, CONFIG_MAX_DOMAINS);
        return -BATON_ENOSPC;
    }
    claimed[nr_claimed++] = d;
    memcpy(d->handle, ld->info.handle, sizeof(d->handle));
    d->privileged = ld->info.extra_flags & LU_DOMAIN_EXTRA_PRIVILEGED;
    d->nr_vcpus = ld->info.max_vcpus;
    take_memory(d, ld);
    if (!domain_map_abi_pages(d)) {
        pr_err("LU restore: d%u: memory does not hold the ABI pages\n", d->domid);
        return -BATON_EINVAL;
    }
    rc = domctx_load(d, d->nr_vcpus, ld->context, ld->context_len, s->ctx_flags, err,
                     sizeof(err));
    if (rc)
        pr_err("LU restore: d%u: %s\n", d->domid, err);
    return rc;
}

/* Every slot this restore claimed, whatever it got to. */
static void free_claimed(void)
{
    while (nr_claimed)
        domain_drop_state(claimed[--nr_claimed]);
}

static int decode_all(const struct lu_stream *s)
{
    int rc = 0;

    nr_claimed = 0;
    for (uint32_t i = 0; !rc && i < s->nr_domains; i++)
        rc = decode_domain(s, &s->domains[i]);
    for (unsigned int i = 0; !rc && i < nr_claimed; i++) {
        rc = evtchn_restore_check(claimed[i]);
        if (!rc)
            rc = gnttab_restore_check(claimed[i]);
    }
    return rc;
}

/* ------------------------------------------------------------ commit */

static int commit_domain(struct domain *d)
{
    int rc;

    rc = arch_domain_pt_build(d);
    if (!rc)
        rc = gnttab_restore_map(d);
    for (unsigned int i = 0; !rc && i < d->nr_vcpus; i++)
        if (d->vcpus[i].state != VCPU_OFFLINE)
            rc = arch_vcpu_start(&d->vcpus[i]);
    return rc;
}

int lu_restore(const struct lu_stream *s)
{
    int rc;

    rc = decode_all(s);
    for (unsigned int i = 0; !rc && i < nr_claimed; i++) {
        rc = commit_domain(claimed[i]);
        if (rc)
            pr_err("LU restore: d%u: cannot build its page tables or stacks (%d)\n",
                   claimed[i]->domid, rc);
    }
    if (rc)
        free_claimed();
    return rc;
}

void lu_restore_unpause(void)
{
    while (nr_claimed)
        domain_unpause(claimed[--nr_claimed]);
}
