/*
 * A PV domain's page tables: built by the hypervisor from the domain's
 * extents, never written by the guest. The upper half is the hypervisor's
 * (its top-level entries copied from the idle tables, so the tables below
 * them are shared); the lower half maps guest memory 1:1 (guest virtual ==
 * pseudo-physical), page 0 left out, plus the grant window. Restore builds
 * them the same way from the extents of the stream: a new build never takes
 * page tables over from an old one.
 */
#include <asm/io.h>
#include <asm/page.h>
#include <baton/arch.h>
#include <baton/domain.h>
#include <baton/errno.h>
#include <baton/lib.h>
#include <baton/memory.h>
#include <baton/page_alloc.h>

#define GUEST_L4_ENTRIES 256   /* the lower half */

/* Free the table at pa, whose entries each cover 2^shift octets, and every
 * table below it (a large page or an L1 entry maps memory: not ours). */
static void free_table(paddr_t pa, unsigned int shift)
{
    const uint64_t *t = phys_to_virt(pa);

    for (unsigned int i = 0; shift > L1_SHIFT && i < 512; i++)
        if ((t[i] & PTE_P) && !(t[i] & PTE_PS))
            free_table(t[i] & PTE_ADDR, shift - 9);
    page_free(pa >> PAGE_SHIFT, 0);
}

void arch_domain_pt_free(struct domain *d)
{
    uint64_t *l4;

    if (!d->pt_root)
        return;
    l4 = phys_to_virt(d->pt_root);
    for (unsigned int i = 0; i < GUEST_L4_ENTRIES; i++)
        if (l4[i] & PTE_P)
            free_table(l4[i] & PTE_ADDR, L3_SHIFT);
    page_free(d->pt_root >> PAGE_SHIFT, 0);
    d->pt_root = 0;
}

int arch_domain_pt_build(struct domain *d)
{
    paddr_t root = alloc_pt_page();
    int rc = 0;

    if (!root)
        return -BATON_ENOMEM;
    memcpy((uint64_t *)phys_to_virt(root) + GUEST_L4_ENTRIES,
           (uint64_t *)phys_to_virt(idle_pt_root) + GUEST_L4_ENTRIES,
           (512 - GUEST_L4_ENTRIES) * sizeof(uint64_t));
    d->pt_root = root;
    for (unsigned int i = 0; i < d->nr_extents && !rc; i++) {
        const struct mem_extent *e = &d->extents[i];
        uint64_t skip = e->gpfn == 0 ? 1 : 0;   /* page 0 stays unmapped */

        rc = map_range(root, (e->gpfn + skip) << PAGE_SHIFT, (e->mfn + skip) << PAGE_SHIFT,
                       (e->count - skip) << PAGE_SHIFT, PTE_P | PTE_RW | PTE_US, true,
                       alloc_pt_page);
    }
    if (rc)
        arch_domain_pt_free(d);
    return rc;
}

/* ---------------------------------------------------------------- grant window */

int guest_map_window(struct domain *d, unsigned int slot, uint64_t mfn, bool readonly)
{
    uint64_t flags = PTE_P | PTE_US | PTE_NX | (readonly ? 0 : PTE_RW);

    if (slot >= GNT_WINDOW_SLOTS)
        return -BATON_EINVAL;
    return map_range(d->pt_root, GNT_WINDOW_ADDR(slot), mfn << PAGE_SHIFT, PAGE_SIZE, flags,
                     false, alloc_pt_page);
}

void guest_unmap_window(struct domain *d, unsigned int slot)
{
    if (slot < GNT_WINDOW_SLOTS)
        unmap_range(d->pt_root, GNT_WINDOW_ADDR(slot), PAGE_SIZE);
}
