/*
 * Restore, step one: decode every domain of an opened stream into the
 * domain table, allocating nothing. Shared by the hypervisor's restore
 * (common/lu/restore.c), which then commits, and by tools/lu-dump, which
 * runs it on the host so that what it accepts the hypervisor accepts.
 */
#include <baton/arch.h>
#include <baton/domain.h>
#include <baton/domain_build.h>
#include <baton/errno.h>
#include <baton/lib.h>
#include <baton/lu.h>
#include <baton/printk.h>

/* The entries a domain cannot be rebuilt without, as the reader counted
 * them while checking the blob (IGNORE ones do not count). */
static int check_required(const struct lu_domain *ld)
{
    const struct lu_context_required *req = &ld->context_required;

    if (req->domain == 1 && req->console == 1 && req->vcpus == ld->info.max_vcpus)
        return 0;
    pr_err("LU restore: d%u has %u DOMAIN, %u CONSOLE and %u VCPU entries, expected 1, 1 and %u\n",
           ld->info.domid, req->domain, req->console, req->vcpus, ld->info.max_vcpus);
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

static int decode_domain(const struct lu_stream *s, const struct lu_domain *ld,
                         bool guest_memory, struct lu_decoded *out)
{
    struct domain *d;
    char err[160] = "";
    int rc;

    rc = check_shape(ld);
    if (!rc)
        rc = check_required(ld);
    if (rc)
        return rc;
    d = domain_claim_slot(ld->info.domid);
    if (!d) {
        pr_err("LU restore: d%u: no free slot (this build holds %d domains)\n",
               ld->info.domid, CONFIG_MAX_DOMAINS);
        return -BATON_ENOSPC;
    }
    out->claimed[out->nr++] = d;
    memcpy(d->handle, ld->info.handle, sizeof(d->handle));
    d->privileged = ld->info.extra_flags & LU_DOMAIN_EXTRA_PRIVILEGED;
    d->nr_vcpus = ld->info.max_vcpus;
    take_memory(d, ld);
    if (guest_memory && !domain_map_abi_pages(d)) {
        pr_err("LU restore: d%u: memory does not hold the ABI pages\n", d->domid);
        return -BATON_EINVAL;
    }
    rc = domctx_load(d, d->nr_vcpus, ld->context, ld->context_len,
                     s->ctx_flags | (ld->context_validated ? DOMCTX_VALIDATED : 0), err,
                     sizeof(err));
    /* a handler's refusal was reported by the handler; err holds framing errors */
    if (rc && err[0])
        pr_err("LU restore: d%u: %s\n", d->domid, err);
    return rc;
}

int lu_decode_domains(const struct lu_stream *s, bool guest_memory, struct lu_decoded *out)
{
    int rc = 0;

    out->nr = 0;
    for (uint32_t i = 0; !rc && i < s->nr_domains; i++)
        rc = decode_domain(s, &s->domains[i], guest_memory, out);
    for (unsigned int i = 0; !rc && i < out->nr; i++) {
        rc = evtchn_restore_check(out->claimed[i]);
        if (!rc)
            rc = gnttab_restore_check(out->claimed[i]);
    }
    return rc;
}

