/*
 * Page-table construction: a four-level walker that allocates the tables
 * it needs from a caller-supplied allocator (the boot allocator early, the
 * page allocator later). Table pages are reached through the direct map.
 */
#include <asm/io.h>
#include <asm/page.h>
#include <baton/errno.h>
#include <baton/lib.h>
#include <baton/printk.h>

paddr_t idle_pt_root;

/* PTE bits this CPU accepts: without NX, bit 63 is reserved and faults. */
static uint64_t pte_supported = ~0ULL;

void paging_set_nx(bool available)
{
    pte_supported = available ? ~0ULL : ~PTE_NX;
}

static uint64_t *table_of(uint64_t entry)
{
    return phys_to_virt(entry & PTE_ADDR);
}

/*
 * The entry for va at the level whose entries cover 2^shift bytes,
 * allocating intermediate tables on the way; NULL when out of memory or a
 * large page is in the way.
 */
static uint64_t *walk(paddr_t root_pa, uint64_t va, unsigned int shift, pt_alloc_fn alloc)
{
    uint64_t *table = phys_to_virt(root_pa);

    for (unsigned int level_shift = L4_SHIFT; level_shift > shift; level_shift -= 9) {
        uint64_t *e = &table[PT_INDEX(va, level_shift)];

        if (!(*e & PTE_P)) {
            paddr_t pa;
            if (!alloc || !(pa = alloc()))
                return NULL;
            /* user bit on intermediate levels: the leaf decides */
            *e = pa | PTE_P | PTE_RW | PTE_US;
        } else if (*e & PTE_PS) {
            return NULL;
        }
        table = table_of(*e);
    }
    return &table[PT_INDEX(va, shift)];
}

int map_range(paddr_t root_pa, uint64_t va, paddr_t pa, uint64_t size, uint64_t flags,
              bool large, pt_alloc_fn alloc)
{
    uint64_t end = va + size;

    if (!IS_ALIGNED(va | pa | size, PAGE_SIZE))
        return -BATON_EINVAL;
    flags &= pte_supported;
    while (va < end) {
        bool big = large && IS_ALIGNED(va | pa, MiB(2)) && end - va >= MiB(2);
        uint64_t step = big ? MiB(2) : PAGE_SIZE;
        uint64_t *e = walk(root_pa, va, big ? L2_SHIFT : L1_SHIFT, alloc);

        if (!e)
            return -BATON_ENOMEM;
        *e = pa | flags | (big ? PTE_PS : 0);
        invlpg(va);
        va += step;
        pa += step;
    }
    return 0;
}

void unmap_range(paddr_t root_pa, uint64_t va, uint64_t size)
{
    for (uint64_t end = va + size; va < end; va += PAGE_SIZE) {
        uint64_t *e = walk(root_pa, va, L1_SHIFT, NULL);
        if (e) {
            *e = 0;
            invlpg(va);
        }
    }
}

paddr_t translate(paddr_t root_pa, uint64_t va)
{
    uint64_t *table = phys_to_virt(root_pa);

    for (unsigned int shift = L4_SHIFT;; shift -= 9) {
        uint64_t e = table[PT_INDEX(va, shift)];

        if (!(e & PTE_P))
            return ~(paddr_t)0;
        if (shift == L1_SHIFT || (e & PTE_PS))
            return (e & PTE_ADDR & ~((1ULL << shift) - 1)) + (va & ((1ULL << shift) - 1));
        table = table_of(e);
    }
}
