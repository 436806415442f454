/*
 * Restore: every domain of an opened handover stream rebuilt, in two
 * steps. Decode (decode.c) claims a slot per domain and loads its context
 * entries into it (every entry checked against this build's limits as it
 * is loaded, then references between domains: event channel peers, grant
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

    while ((PAGE_SIZE << order) < size && order <= MAX_ORDER)
        order++;
    return order;
}

/* Early in a live update boot this comes from the bootmem (memory.c). */
static void *scratch_alloc(void *priv, size_t size)
{
    (void)priv;
    return memory_alloc_pages(order_for(size));
}

static void scratch_free(void *priv, void *p, size_t size)
{
    (void)priv;
    memory_free_pages(p, order_for(size));
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
static struct lu_decoded decoded;

/* Every slot this restore claimed, whatever it got to. */
static void free_claimed(void)
{
    while (decoded.nr)
        domain_drop_state(decoded.claimed[--decoded.nr]);
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

    rc = lu_decode_domains(s, true, &decoded);
    for (unsigned int i = 0; !rc && i < decoded.nr; i++) {
        rc = commit_domain(decoded.claimed[i]);
        if (rc)
            pr_err("LU restore: d%u: cannot build its page tables or stacks (%d)\n",
                   decoded.claimed[i]->domid, rc);
    }
    if (rc)
        free_claimed();
    return rc;
}

void lu_restore_unpause(void)
{
    while (decoded.nr)
        domain_unpause(decoded.claimed[--decoded.nr]);
}
