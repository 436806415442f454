/*
 * Buddy page allocator over the frame table. Free blocks of 2^order frames
 * sit on one doubly linked list per order, linked through their head
 * descriptors by frame number (no pointers, so the table could move). A
 * freed block merges with its buddy while the buddy is free and whole.
 */
#include <baton/errno.h>
#include <baton/lib.h>
#include <baton/page_alloc.h>
#include <baton/printk.h>

static struct page_info *frames;
static pfn_t nr_frames;
static uint32_t free_head[MAX_ORDER + 1];
static uint64_t nr_free;
/*
 * The descriptors the allocator may read: [valid_lo, valid_hi). All of them
 * after a cold boot. After a live update only an early window until the
 * domains run again (page_alloc_init_window): clearing a descriptor per
 * frame of RAM would make the blackout grow with memory, so the rest is
 * cleared after the unpause (page_alloc_grow_window), as Linux defers
 * its struct page init. A buddy outside the window is never free.
 */
static pfn_t valid_lo, valid_hi;

struct page_info *pfn_to_page(pfn_t pfn)
{
    ASSERT(pfn < nr_frames);
    return &frames[pfn];
}

pfn_t page_max_pfn(void)
{
    return nr_frames;
}

uint64_t page_free_count(void)
{
    return nr_free;
}

int page_alloc_init(struct page_info *table, pfn_t nr_pfns)
{
    return page_alloc_init_window(table, nr_pfns, 0, nr_pfns);
}

int page_alloc_init_window(struct page_info *table, pfn_t nr_pfns, pfn_t lo, pfn_t hi)
{
    if (nr_pfns == 0 || nr_pfns >= PFN_NONE || lo > hi || hi > nr_pfns)
        return -BATON_EINVAL;
    frames = table;
    nr_frames = nr_pfns;
    nr_free = 0;
    valid_lo = lo;
    valid_hi = hi;
    memset(&table[lo], 0, (hi - lo) * sizeof(*table));
    for (unsigned int o = 0; o <= MAX_ORDER; o++)
        free_head[o] = PFN_NONE;
    return 0;
}

bool page_alloc_grow_window(pfn_t max, pfn_t *lo, pfn_t *hi)
{
    if (valid_hi < nr_frames) {             /* upwards first */
        *lo = valid_hi;
        *hi = valid_hi = valid_hi + MIN(max, nr_frames - valid_hi);
    } else if (valid_lo > 0) {
        *hi = valid_lo;
        *lo = valid_lo = valid_lo - MIN(max, valid_lo);
    } else {
        return false;
    }
    memset(&frames[*lo], 0, (*hi - *lo) * sizeof(*frames));
    return true;
}

static void list_push(unsigned int order, pfn_t pfn)
{
    struct page_info *pg = &frames[pfn];

    pg->flags = PGF_FREE;
    pg->order = (uint8_t)order;
    pg->prev = PFN_NONE;
    pg->next = free_head[order];
    if (free_head[order] != PFN_NONE)
        frames[free_head[order]].prev = (uint32_t)pfn;
    free_head[order] = (uint32_t)pfn;
}

static void list_remove(unsigned int order, pfn_t pfn)
{
    struct page_info *pg = &frames[pfn];

    if (pg->prev != PFN_NONE)
        frames[pg->prev].next = pg->next;
    else
        free_head[order] = pg->next;
    if (pg->next != PFN_NONE)
        frames[pg->next].prev = pg->prev;
    pg->flags = 0;
}

static bool is_free_block(pfn_t pfn, unsigned int order)
{
    return pfn >= valid_lo && pfn < valid_hi && (frames[pfn].flags & PGF_FREE) &&
           frames[pfn].order == order;
}

void page_free(pfn_t pfn, unsigned int order)
{
    ASSERT(order <= MAX_ORDER && pfn + (1ULL << order) <= nr_frames);
    ASSERT(pfn >= valid_lo && pfn + (1ULL << order) <= valid_hi);
    ASSERT(IS_ALIGNED(pfn, 1ULL << order));
    ASSERT(!(frames[pfn].flags & PGF_FREE));
    nr_free += 1ULL << order;
    while (order < MAX_ORDER) {
        pfn_t buddy = pfn ^ (1ULL << order);
        if (!is_free_block(buddy, order))
            break;
        list_remove(order, buddy);
        pfn = MIN(pfn, buddy);
        order++;
    }
    list_push(order, pfn);
}

void page_free_range(pfn_t start, pfn_t end)
{
    if (end > nr_frames)
        end = nr_frames;
    while (start < end) {
        unsigned int order = 0;
        /* the largest naturally aligned block that starts here and fits */
        while (order < MAX_ORDER && IS_ALIGNED(start, 2ULL << order) &&
               start + (2ULL << order) <= end)
            order++;
        frames[start].flags = 0;
        page_free(start, order);
        start += 1ULL << order;
    }
}

pfn_t page_alloc(unsigned int order)
{
    unsigned int o = order;
    pfn_t pfn;

    if (order > MAX_ORDER)
        return INVALID_PFN;
    while (o <= MAX_ORDER && free_head[o] == PFN_NONE)
        o++;
    if (o > MAX_ORDER)
        return INVALID_PFN;
    pfn = free_head[o];
    list_remove(o, pfn);
    /* split: give the upper halves back until the block is the right size */
    while (o > order) {
        o--;
        list_push(o, pfn + (1ULL << o));
    }
    frames[pfn].flags = PGF_ALLOCATED;
    frames[pfn].order = (uint8_t)order;
    nr_free -= 1ULL << order;
    return pfn;
}

int page_largest_free_order(void)
{
    for (int o = MAX_ORDER; o >= 0; o--)
        if (free_head[o] != PFN_NONE)
            return o;
    return -1;
}
