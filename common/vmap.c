/*
 * vmap: a bitmap of the pages of the vmap area, first fit. The live update
 * reader uses it to see the discontiguous stream pages as one buffer.
 */
#include <baton/arch.h>
#include <baton/lib.h>
#include <baton/memory.h>
#include <baton/page_alloc.h>
#include <baton/printk.h>
#include <baton/vmap.h>

#define VMAP_PAGES (VMAP_SIZE >> PAGE_SHIFT)

static uint64_t used[VMAP_PAGES / 64];
static unsigned int hint;

static bool page_used(unsigned int i)
{
    return used[i / 64] & (1ULL << (i % 64));
}

static void mark(unsigned int first, unsigned int nr, bool on)
{
    for (unsigned int i = first; i < first + nr; i++) {
        if (on)
            used[i / 64] |= 1ULL << (i % 64);
        else
            used[i / 64] &= ~(1ULL << (i % 64));
    }
}

/* First run of nr free pages (plus a guard page after it), or -1. */
static long find_free(unsigned int nr)
{
    unsigned int run = 0;

    for (unsigned int pass = 0; pass < 2; pass++) {
        unsigned int start = pass ? 0 : hint;
        run = 0;
        for (unsigned int i = start; i < VMAP_PAGES; i++) {
            run = page_used(i) ? 0 : run + 1;
            if (run == nr + 1)
                return (long)(i - nr);
        }
    }
    return -1;
}


void vmap_init(void)
{
    memset(used, 0, sizeof(used));
    hint = 0;
}

void *vmap(const mfn_t *mfns, unsigned int nr)
{
    long first;
    uint64_t va;

    if (nr == 0 || nr >= VMAP_PAGES)
        return NULL;
    first = find_free(nr);
    if (first < 0) {
        pr_err("vmap: no room for %u pages\n", nr);
        return NULL;
    }
    va = VMAP_VIRT_START + ((uint64_t)first << PAGE_SHIFT);
    for (unsigned int i = 0; i < nr; i++) {
        if (map_range(idle_pt_root, va + ((uint64_t)i << PAGE_SHIFT), mfns[i] << PAGE_SHIFT,
                      PAGE_SIZE, PAGE_HV_RW, false, alloc_pt_page)) {
            unmap_range(idle_pt_root, va, (uint64_t)i << PAGE_SHIFT);
            return NULL;
        }
    }
    /* the guard page is taken too, so no later mapping can start on it */
    mark((unsigned int)first, nr + 1, true);
    hint = (unsigned int)first + nr + 1;
    return (void *)(uintptr_t)va;
}

void vunmap(void *va, unsigned int nr)
{
    uint64_t v = (uint64_t)(uintptr_t)va;
    unsigned int first = (unsigned int)((v - VMAP_VIRT_START) >> PAGE_SHIFT);

    BUG_ON(v < VMAP_VIRT_START || first + nr + 1 > VMAP_PAGES);
    unmap_range(idle_pt_root, v, (uint64_t)nr << PAGE_SHIFT);
    mark(first, nr + 1, false);
    if (first < hint)
        hint = first;
}

void vmap_self_test(void)
{
    pfn_t block = page_alloc(2);
    mfn_t mfns[3];
    uint64_t *va;

    BUG_ON(block == INVALID_PFN);
    /* frames out of order and with a gap, as a stream's pages may be */
    mfns[0] = block + 3;
    mfns[1] = block + 0;
    mfns[2] = block + 2;
    va = vmap(mfns, 3);
    BUG_ON(!va);
    for (unsigned int i = 0; i < 3; i++)
        va[i * (PAGE_SIZE / 8)] = 0xba70000000000000ULL | mfns[i];
    for (unsigned int i = 0; i < 3; i++) {
        uint64_t *direct = phys_to_virt(mfns[i] << PAGE_SHIFT);
        if (*direct != (0xba70000000000000ULL | mfns[i]))
            panic("vmap: frame 0x%llx reads 0x%llx through the direct map",
                  (unsigned long long)mfns[i], (unsigned long long)*direct);
    }
    vunmap(va, 3);
    page_free(block, 2);
    pr_info("vmap: self-test ok (3 scattered frames mapped contiguously)\n");
}
