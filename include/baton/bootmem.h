/*
 * The boot allocator: a short list of free physical ranges, used until the
 * frame table and page allocator exist. It can start restricted to one
 * region (a live update boot may only use the live update bootmem until it
 * has read the handover stream) and be given more RAM later.
 */
#ifndef BATON_BOOTMEM_H
#define BATON_BOOTMEM_H

#include <baton/types.h>

#define BOOTMEM_RANGES_MAX 128
#define INVALID_PADDR      (~(paddr_t)0)

/* Forget everything (start empty). */
void bootmem_reset(void);
/* Add free RAM [start, end), trimmed inward to whole pages. */
int bootmem_add(paddr_t start, paddr_t end);
/* Take [start, end), widened to whole pages, out of the free ranges. */
void bootmem_reserve(paddr_t start, paddr_t end);
/* True when all of [start, end) is free. */
bool bootmem_is_free(paddr_t start, paddr_t end);
/*
 * Allocate size bytes (rounded up to pages) aligned to align (a power of two,
 * at least a page) ending at or below limit, from the top down.
 * INVALID_PADDR when nothing fits.
 */
paddr_t bootmem_alloc(uint64_t size, uint64_t align, paddr_t limit);
uint64_t bootmem_free_bytes(void);
unsigned int bootmem_nr_ranges(void);
/* The i-th free range; false past the end. */
bool bootmem_range(unsigned int i, paddr_t *start, paddr_t *end);
/* Hand every free range to fn and empty the allocator. */
void bootmem_drain(void (*fn)(paddr_t start, paddr_t end, void *arg), void *arg);
/* Hand what is free inside [lo, hi) to fn and take it out; the rest stays. */
void bootmem_drain_window(paddr_t lo, paddr_t hi,
                          void (*fn)(paddr_t start, paddr_t end, void *arg), void *arg);

#endif
