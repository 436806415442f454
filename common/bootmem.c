/*
 * Boot allocator: sorted, disjoint, page-aligned free ranges in a fixed
 * array. Everything is linear in the number of ranges, which stays small
 * (one per RAM range plus one per hole punched by a reservation).
 */
#include <baton/bootmem.h>
#include <baton/errno.h>
#include <baton/lib.h>
#include <baton/printk.h>

struct range {
    paddr_t start, end;    /* [start, end), page aligned */
};

static struct range ranges[BOOTMEM_RANGES_MAX];
static unsigned int nr_ranges;

void bootmem_reset(void)
{
    nr_ranges = 0;
}

static void remove_at(unsigned int i)
{
    memmove(&ranges[i], &ranges[i + 1], (nr_ranges - i - 1) * sizeof(ranges[0]));
    nr_ranges--;
}

static int insert_at(unsigned int i, paddr_t start, paddr_t end)
{
    if (nr_ranges == BOOTMEM_RANGES_MAX) {
        pr_err("bootmem: more than %d free ranges, losing 0x%llx-0x%llx\n",
               BOOTMEM_RANGES_MAX, (unsigned long long)start, (unsigned long long)end);
        return -BATON_ENOSPC;
    }
    memmove(&ranges[i + 1], &ranges[i], (nr_ranges - i) * sizeof(ranges[0]));
    ranges[i] = (struct range){ start, end };
    nr_ranges++;
    return 0;
}

/* Merge range i with its neighbours where they touch or overlap. */
static void merge_around(unsigned int i)
{
    while (i + 1 < nr_ranges && ranges[i + 1].start <= ranges[i].end) {
        ranges[i].end = MAX(ranges[i].end, ranges[i + 1].end);
        remove_at(i + 1);
    }
    if (i > 0 && ranges[i - 1].end >= ranges[i].start) {
        ranges[i - 1].end = MAX(ranges[i - 1].end, ranges[i].end);
        remove_at(i);
    }
}

int bootmem_add(paddr_t start, paddr_t end)
{
    unsigned int i;
    int rc;

    if (end < start)
        return -BATON_EINVAL;
    if (start > UINT64_MAX - PAGE_SIZE)
        return 0;               /* no whole page fits up there */
    start = ALIGN_UP(start, PAGE_SIZE);
    end = ALIGN_DOWN(end, PAGE_SIZE);
    if (end <= start)
        return 0;
    for (i = 0; i < nr_ranges && ranges[i].start < start; i++)
        ;
    rc = insert_at(i, start, end);
    if (rc)
        return rc;
    merge_around(i);
    return 0;
}

void bootmem_reserve(paddr_t start, paddr_t end)
{
    if (end <= start)
        return;
    start = ALIGN_DOWN(start, PAGE_SIZE);
    end = end > ALIGN_DOWN(UINT64_MAX, PAGE_SIZE) ? ALIGN_DOWN(UINT64_MAX, PAGE_SIZE)
                                                  : ALIGN_UP(end, PAGE_SIZE);
    for (unsigned int i = 0; i < nr_ranges; i++) {
        struct range *r = &ranges[i];

        if (r->end <= start || r->start >= end)
            continue;
        if (r->start >= start && r->end <= end) {          /* swallowed */
            remove_at(i--);
        } else if (r->start < start && r->end > end) {     /* split in two */
            paddr_t tail_end = r->end;
            r->end = start;
            insert_at(i + 1, end, tail_end);
            return;
        } else if (r->start < start) {                     /* tail cut */
            r->end = start;
        } else {                                           /* head cut */
            r->start = end;
        }
    }
}

bool bootmem_is_free(paddr_t start, paddr_t end)
{
    for (unsigned int i = 0; i < nr_ranges; i++)
        if (ranges[i].start <= start && end <= ranges[i].end)
            return true;
    return false;
}

paddr_t bootmem_alloc(uint64_t size, uint64_t align, paddr_t limit)
{
    if (size == 0 || size > UINT64_MAX - (PAGE_SIZE - 1) || align < PAGE_SIZE ||
        (align & (align - 1)))
        return INVALID_PADDR;
    size = ALIGN_UP(size, PAGE_SIZE);
    for (unsigned int i = nr_ranges; i-- > 0;) {
        paddr_t top = MIN(ranges[i].end, limit), base;

        if (top < ranges[i].start || top - ranges[i].start < size)
            continue;
        base = ALIGN_DOWN(top - size, align);
        if (base < ranges[i].start)
            continue;
        bootmem_reserve(base, base + size);
        return base;
    }
    return INVALID_PADDR;
}

uint64_t bootmem_free_bytes(void)
{
    uint64_t total = 0;

    for (unsigned int i = 0; i < nr_ranges; i++)
        total += ranges[i].end - ranges[i].start;
    return total;
}

unsigned int bootmem_nr_ranges(void)
{
    return nr_ranges;
}

bool bootmem_range(unsigned int i, paddr_t *start, paddr_t *end)
{
    if (i >= nr_ranges)
        return false;
    *start = ranges[i].start;
    *end = ranges[i].end;
    return true;
}

void bootmem_drain(void (*fn)(paddr_t start, paddr_t end, void *arg), void *arg)
{
    for (unsigned int i = 0; i < nr_ranges; i++)
        fn(ranges[i].start, ranges[i].end, arg);
    nr_ranges = 0;
}

void bootmem_drain_window(paddr_t lo, paddr_t hi,
                          void (*fn)(paddr_t start, paddr_t end, void *arg), void *arg)
{
    for (unsigned int i = 0; i < nr_ranges; i++) {
        paddr_t s = MAX(ranges[i].start, lo), e = MIN(ranges[i].end, hi);
        if (s < e)
            fn(s, e, arg);
    }
    bootmem_reserve(lo, hi);
}
