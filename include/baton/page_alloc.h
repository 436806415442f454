/*
 * The frame table (one descriptor per page frame) and the page allocator,
 * a binary buddy allocator over it (common/page_alloc.c).
 */
#ifndef BATON_PAGE_ALLOC_H
#define BATON_PAGE_ALLOC_H

#include <baton/types.h>
#include <baton/layout_shuffle.h>

#define PFN_NONE       0xffffffffu
#define INVALID_PFN    (~(pfn_t)0)
#define MAX_ORDER      18            /* 1 GiB blocks */

#define PGF_FREE       (1u << 0)     /* head of a free block of 2^order pages */
#define PGF_ALLOCATED  (1u << 1)     /* handed out by the page allocator */

/*
 * 16 octets; a LAYOUT_SHUFFLE build makes it 32, its field groups reversed.
 * Nothing but this assertion depends on the size: the frame table is sized
 * and indexed with sizeof.
 */
struct page_info {
    LAYOUT_PAD(shuffle_pad_head, 12)
    LAYOUT_GROUPS((
        uint32_t next;       /* free list links, as frame numbers */
        uint32_t prev;
    ), (
        uint16_t flags;
        uint8_t order;       /* of a free block, at its head */
        uint8_t reserved;
    ), (
        uint16_t owner;      /* domain id of a page given to a domain */
        uint16_t pad;
        LAYOUT_PAD(shuffle_pad_owner, 4)
    ))
};
_Static_assert(sizeof(struct page_info) == LAYOUT_CHOOSE(16, 32),
               "page_info is 16 octets (32 in a LAYOUT_SHUFFLE build)");

/* Use table[0 .. nr_pfns) as the frame table; every frame starts in use. */
int page_alloc_init(struct page_info *table, pfn_t nr_pfns);
/* The same, but only descriptors [lo, hi) are cleared and usable until
 * page_alloc_grow_window() has cleared the rest (a live update boot). */
int page_alloc_init_window(struct page_info *table, pfn_t nr_pfns, pfn_t lo, pfn_t hi);
/* Clear up to max more descriptors next to the window and add them to it:
 * true with the new ones in [*lo, *hi); false when the window is the
 * whole table. Their frames are not free until page_free*(). */
bool page_alloc_grow_window(pfn_t max, pfn_t *lo, pfn_t *hi);
/* Give frames [start, end) to the allocator. */
void page_free_range(pfn_t start, pfn_t end);
/* A block of 2^order frames, naturally aligned; INVALID_PFN when none. */
pfn_t page_alloc(unsigned int order);
void page_free(pfn_t pfn, unsigned int order);
uint64_t page_free_count(void);
pfn_t page_max_pfn(void);
struct page_info *pfn_to_page(pfn_t pfn);
/* Largest order with a free block, or -1. */
int page_largest_free_order(void);

#endif
