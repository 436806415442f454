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
/* The largest leaf a `large` mapping may use: 1 GiB where the CPU has
 * 1 GiB pages (CPUID 0x80000001 EDX.Page1GB), else 2 MiB. */
static unsigned int large_leaf_shift = L2_SHIFT;

void paging_set_nx(bool available)
{
    pte_supported = available ? ~0ULL : ~PTE_NX;
}

void paging_set_gbpages(bool available)
{
    large_leaf_shift = available ? L3_SHIFT : L2_SHIFT;
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

/* The largest leaf, up to 2^max_shift, that fits at va -> pa with `left`
 * octets to map. */
static unsigned int leaf_shift(uint64_t va, paddr_t pa, uint64_t left, unsigned int max_shift)
{
    unsigned int shift = max_shift;

    while (shift > L1_SHIFT && !(IS_ALIGNED(va | pa, 1ULL << shift) && left >= 1ULL << shift))
        shift -= 9;
    return shift;
}

/*
 * Whether a TLB may hold translations through these tables: when they are
 * the running address space, or the idle tables, whose hypervisor half
 * every address space shares. Tables being built (the direct map before
 * the CR3 switch, a domain's tables at creation or restore) need no
 * invalidation: nothing was ever cached through them.
 */
static bool tables_live(paddr_t root_pa)
{
    return (read_cr3() & PTE_ADDR) == root_pa || root_pa == idle_pt_root;
}

/*
 * n consecutive leaves from v, step apart. Four stores per turn: a leaf
 * is a store, and the loop's own instructions would otherwise cost more
 * than the stores (a domain's first GiB alone is up to 1022 leaves).
 */
static void fill_leaves(uint64_t *e, uint64_t n, uint64_t v, uint64_t step)
{
    uint64_t i = 0;

    for (; i + 4 <= n; i += 4, v += 4 * step) {
        e[i] = v;
        e[i + 1] = v + step;
        e[i + 2] = v + 2 * step;
        e[i + 3] = v + 3 * step;
    }
    for (; i < n; i++, v += step)
        e[i] = v;
}

int map_range(paddr_t root_pa, uint64_t va, paddr_t pa, uint64_t size, uint64_t flags,
              bool large, pt_alloc_fn alloc)
{
    unsigned int max_shift = large ? large_leaf_shift : L1_SHIFT;
    bool live = tables_live(root_pa);
    uint64_t end = va + size;

    if (!IS_ALIGNED(va | pa | size, PAGE_SIZE))
        return -BATON_EINVAL;
    flags &= pte_supported;
    /*
     * One walk per run of same-sized leaves in one table, then a plain
     * fill: the cost is per table and per leaf, and the largest leaf that
     * fits is taken, so memory mapped in 1 GiB or 2 MiB pages costs one
     * entry per 1 GiB or 2 MiB. A run ends at the table's end, which is
     * also the next boundary where a larger leaf may fit.
     */
    while (va < end) {
        unsigned int shift = leaf_shift(va, pa, end - va, max_shift);
        uint64_t step = 1ULL << shift, bits = flags | (shift > L1_SHIFT ? PTE_PS : 0);
        uint64_t n = MIN(512 - PT_INDEX(va, shift), (end - va) >> shift);
        uint64_t *e = walk(root_pa, va, shift, alloc);

        if (!e)
            return -BATON_ENOMEM;
        fill_leaves(e, n, pa | bits, step);
        for (uint64_t i = 0; live && i < n; i++)
            invlpg(va + i * step);
        va += n * step;
        pa += n * step;
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
