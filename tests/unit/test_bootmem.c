/* Unit tests for common/bootmem.c: the boot allocator. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <baton/bootmem.h>
#include <baton/errno.h>
#include <baton/printk.h>
#include "harness.h"

static int setup(void **state)
{
    (void)state;
    harness_log_clear();
    bootmem_reset();
    return 0;
}

struct rng { paddr_t start, end; };

/* The free list is exactly these ranges, and the byte count matches. */
static void check_ranges(const struct rng *e, unsigned int n)
{
    uint64_t total = 0;
    paddr_t s, en;

    assert_int_equal(bootmem_nr_ranges(), n);
    for (unsigned int i = 0; i < n; i++) {
        assert_true(bootmem_range(i, &s, &en));
        if (s != e[i].start || en != e[i].end)
            fail_msg("range %u is 0x%llx-0x%llx, want 0x%llx-0x%llx", i,
                     (unsigned long long)s, (unsigned long long)en,
                     (unsigned long long)e[i].start, (unsigned long long)e[i].end);
        total += e[i].end - e[i].start;
    }
    assert_false(bootmem_range(n, &s, &en));
    assert_true(bootmem_free_bytes() == total);
}

#define CHECK(...) do { \
    static const struct rng e_[] = { __VA_ARGS__ }; \
    check_ranges(e_, ARRAY_SIZE(e_)); \
} while (0)

static void check_empty(void)
{
    paddr_t s, e;

    assert_int_equal(bootmem_nr_ranges(), 0);
    assert_true(bootmem_free_bytes() == 0);
    assert_false(bootmem_range(0, &s, &e));
}

/* ---------------------------------------------------------------- add */

static void test_reset_empty(void **state)
{
    (void)state;
    check_empty();
    assert_int_equal(bootmem_add(0x1000, 0x5000), 0);
    bootmem_reset();
    check_empty();
    assert_true(bootmem_alloc(0x1000, 0x1000, INVALID_PADDR) == INVALID_PADDR);
}

static void test_add_disjoint_sorted(void **state)
{
    (void)state;
    assert_int_equal(bootmem_add(0x100000, 0x200000), 0);
    assert_int_equal(bootmem_add(0x10000, 0x20000), 0);
    assert_int_equal(bootmem_add(0x400000, 0x500000), 0);
    assert_int_equal(bootmem_add(0x300000, 0x380000), 0);
    CHECK({ 0x10000, 0x20000 }, { 0x100000, 0x200000 }, { 0x300000, 0x380000 },
          { 0x400000, 0x500000 });
}

static void test_add_touching_merge(void **state)
{
    (void)state;
    assert_int_equal(bootmem_add(0x2000, 0x3000), 0);
    assert_int_equal(bootmem_add(0x3000, 0x4000), 0);     /* after */
    assert_int_equal(bootmem_add(0x1000, 0x2000), 0);     /* before */
    CHECK({ 0x1000, 0x4000 });
    assert_int_equal(bootmem_add(0x6000, 0x7000), 0);
    CHECK({ 0x1000, 0x4000 }, { 0x6000, 0x7000 });
    assert_int_equal(bootmem_add(0x4000, 0x6000), 0);     /* fills the gap: three become one */
    CHECK({ 0x1000, 0x7000 });
}

static void test_add_overlap_merge(void **state)
{
    (void)state;
    assert_int_equal(bootmem_add(0x10000, 0x20000), 0);
    assert_int_equal(bootmem_add(0x18000, 0x28000), 0);
    CHECK({ 0x10000, 0x28000 });
    assert_int_equal(bootmem_add(0x8000, 0x12000), 0);
    CHECK({ 0x8000, 0x28000 });
    assert_int_equal(bootmem_add(0x9000, 0xa000), 0);     /* inside */
    CHECK({ 0x8000, 0x28000 });
    assert_int_equal(bootmem_add(0x8000, 0x28000), 0);    /* identical */
    CHECK({ 0x8000, 0x28000 });

    /* one range that swallows several */
    assert_int_equal(bootmem_add(0x40000, 0x41000), 0);
    assert_int_equal(bootmem_add(0x50000, 0x51000), 0);
    assert_int_equal(bootmem_add(0x60000, 0x61000), 0);
    assert_int_equal(bootmem_add(0x30000, 0x58000), 0);
    CHECK({ 0x8000, 0x28000 }, { 0x30000, 0x58000 }, { 0x60000, 0x61000 });
    assert_int_equal(bootmem_add(0x0, 0x100000), 0);
    CHECK({ 0x0, 0x100000 });
}

static void test_add_same_start(void **state)
{
    (void)state;
    assert_int_equal(bootmem_add(0x10000, 0x12000), 0);
    assert_int_equal(bootmem_add(0x10000, 0x30000), 0);
    CHECK({ 0x10000, 0x30000 });
    assert_int_equal(bootmem_add(0x10000, 0x11000), 0);
    CHECK({ 0x10000, 0x30000 });
}

static void test_add_unaligned_trimmed(void **state)
{
    (void)state;
    assert_int_equal(bootmem_add(0x1001, 0x5fff), 0);
    CHECK({ 0x2000, 0x5000 });
    /* less than a whole page after trimming: nothing */
    assert_int_equal(bootmem_add(0x10001, 0x11fff), 0);
    assert_int_equal(bootmem_add(0x20800, 0x20c00), 0);
    CHECK({ 0x2000, 0x5000 });
    /* exactly one page */
    assert_int_equal(bootmem_add(0x20fff, 0x22000), 0);
    CHECK({ 0x2000, 0x5000 }, { 0x21000, 0x22000 });
}

static void test_add_empty_and_inverted(void **state)
{
    (void)state;
    assert_int_equal(bootmem_add(0x5000, 0x5000), 0);
    check_empty();
    assert_int_equal(bootmem_add(0x6000, 0x5000), -BATON_EINVAL);
    check_empty();
    assert_int_equal(bootmem_add(UINT64_MAX, 0), -BATON_EINVAL);
    check_empty();
}

static void test_add_near_top(void **state)
{
    (void)state;
    /* the very last whole page has no representable end: nothing to add */
    assert_int_equal(bootmem_add(0xfffffffffffff000ULL, UINT64_MAX), 0);
    check_empty();
    assert_int_equal(bootmem_add(UINT64_MAX, UINT64_MAX), 0);
    check_empty();
    assert_int_equal(bootmem_add(0xfffffffffffff001ULL, UINT64_MAX), 0);
    check_empty();

    assert_int_equal(bootmem_add(0xffffffffffff0001ULL, UINT64_MAX), 0);
    CHECK({ 0xffffffffffff1000ULL, 0xfffffffffffff000ULL });
    assert_true(bootmem_free_bytes() == 0xe000);

    /* an allocation up there, with no limit */
    assert_true(bootmem_alloc(0x1000, 0x1000, INVALID_PADDR) == 0xffffffffffffe000ULL);
    assert_true(bootmem_alloc(0x2000, 0x2000, INVALID_PADDR) == 0xffffffffffffc000ULL);
    /* reserving up to the top of the address space */
    bootmem_reserve(0xffffffffffff8000ULL, UINT64_MAX);
    CHECK({ 0xffffffffffff1000ULL, 0xffffffffffff8000ULL });
}

/* ---------------------------------------------------------------- reserve */

static void test_reserve_cases(void **state)
{
    (void)state;
    assert_int_equal(bootmem_add(0x10000, 0x20000), 0);
    assert_int_equal(bootmem_add(0x30000, 0x40000), 0);

    bootmem_reserve(0x14000, 0x16000);                     /* split */
    CHECK({ 0x10000, 0x14000 }, { 0x16000, 0x20000 }, { 0x30000, 0x40000 });
    bootmem_reserve(0x10000, 0x11000);                     /* head cut */
    CHECK({ 0x11000, 0x14000 }, { 0x16000, 0x20000 }, { 0x30000, 0x40000 });
    bootmem_reserve(0x1f000, 0x24000);                     /* tail cut, past the end */
    CHECK({ 0x11000, 0x14000 }, { 0x16000, 0x1f000 }, { 0x30000, 0x40000 });
    bootmem_reserve(0x8000, 0x12000);                      /* head cut, from before */
    CHECK({ 0x12000, 0x14000 }, { 0x16000, 0x1f000 }, { 0x30000, 0x40000 });
    bootmem_reserve(0x16000, 0x1f000);                     /* swallow exactly */
    CHECK({ 0x12000, 0x14000 }, { 0x30000, 0x40000 });
    bootmem_reserve(0x20000, 0x30000);                     /* in a hole: nothing */
    CHECK({ 0x12000, 0x14000 }, { 0x30000, 0x40000 });
    bootmem_reserve(0x35000, 0x35000);                     /* empty: nothing */
    bootmem_reserve(0x36000, 0x35000);                     /* inverted: nothing */
    CHECK({ 0x12000, 0x14000 }, { 0x30000, 0x40000 });
    bootmem_reserve(0x0, 0x100000);                        /* everything */
    check_empty();
}

static void test_reserve_spanning(void **state)
{
    (void)state;
    for (paddr_t a = 0x10000; a < 0x90000; a += 0x10000)
        assert_int_equal(bootmem_add(a, a + 0x8000), 0);
    assert_int_equal(bootmem_nr_ranges(), 8);
    /* tail of the 2nd, all of 3rd..6th, head of the 7th */
    bootmem_reserve(0x24000, 0x74000);
    CHECK({ 0x10000, 0x18000 }, { 0x20000, 0x24000 }, { 0x74000, 0x78000 },
          { 0x80000, 0x88000 });
}

static void test_reserve_unaligned_widened(void **state)
{
    (void)state;
    assert_int_equal(bootmem_add(0x10000, 0x20000), 0);
    bootmem_reserve(0x14001, 0x14002);                     /* one byte: its page goes */
    CHECK({ 0x10000, 0x14000 }, { 0x15000, 0x20000 });
    bootmem_reserve(0x16fff, 0x17001);                     /* two bytes, two pages */
    CHECK({ 0x10000, 0x14000 }, { 0x15000, 0x16000 }, { 0x18000, 0x20000 });
    bootmem_reserve(0x1ffff, 0x20000);
    CHECK({ 0x10000, 0x14000 }, { 0x15000, 0x16000 }, { 0x18000, 0x1f000 });
    assert_false(bootmem_is_free(0x14000, 0x14001));
    assert_false(bootmem_is_free(0x14fff, 0x15000));
}

static void test_reserve_then_add_back(void **state)
{
    (void)state;
    assert_int_equal(bootmem_add(0x10000, 0x20000), 0);
    bootmem_reserve(0x14000, 0x16000);
    assert_int_equal(bootmem_add(0x14000, 0x16000), 0);
    CHECK({ 0x10000, 0x20000 });
}

/* ---------------------------------------------------------------- is_free */

static void test_is_free(void **state)
{
    (void)state;
    assert_false(bootmem_is_free(0x1000, 0x2000));
    assert_int_equal(bootmem_add(0x10000, 0x20000), 0);
    assert_int_equal(bootmem_add(0x30000, 0x40000), 0);
    assert_true(bootmem_is_free(0x10000, 0x20000));
    assert_true(bootmem_is_free(0x12345, 0x12346));
    assert_true(bootmem_is_free(0x1f000, 0x20000));
    assert_false(bootmem_is_free(0xf000, 0x11000));        /* starts before */
    assert_false(bootmem_is_free(0x1f000, 0x20001));       /* ends after */
    assert_false(bootmem_is_free(0x18000, 0x38000));       /* spans a hole */
    assert_false(bootmem_is_free(0x20000, 0x30000));       /* in the hole */
    assert_true(bootmem_is_free(0x30000, 0x40000));
    bootmem_reserve(0x38000, 0x39000);
    assert_false(bootmem_is_free(0x30000, 0x40000));
    assert_true(bootmem_is_free(0x30000, 0x38000));
    assert_true(bootmem_is_free(0x39000, 0x40000));
}

/* ---------------------------------------------------------------- alloc */

static void test_alloc_top_down(void **state)
{
    (void)state;
    assert_int_equal(bootmem_add(0x100000, 0x200000), 0);
    assert_int_equal(bootmem_add(0x400000, 0x404000), 0);
    assert_true(bootmem_alloc(0x1000, 0x1000, INVALID_PADDR) == 0x403000);
    assert_true(bootmem_alloc(0x1000, 0x1000, INVALID_PADDR) == 0x402000);
    /* size rounded up to pages */
    assert_true(bootmem_alloc(0x1001, 0x1000, INVALID_PADDR) == 0x400000);
    CHECK({ 0x100000, 0x200000 });
    /* the top range is used up: the next one down */
    assert_true(bootmem_alloc(1, 0x1000, INVALID_PADDR) == 0x1ff000);
    CHECK({ 0x100000, 0x1ff000 });
    assert_false(bootmem_is_free(0x1ff000, 0x200000));
}

static void test_alloc_alignment(void **state)
{
    paddr_t p;
    (void)state;

    assert_int_equal(bootmem_add(0x1000, 0x1003000), 0);   /* [4K, 16M + 12K) */
    p = bootmem_alloc(0x1000, MiB(2), INVALID_PADDR);
    assert_true(p == 0x1000000);
    CHECK({ 0x1000, 0x1000000 }, { 0x1001000, 0x1003000 });
    p = bootmem_alloc(MiB(2), MiB(2), INVALID_PADDR);
    assert_true(p == 0xe00000);
    assert_true(p % MiB(2) == 0);
    p = bootmem_alloc(0x3000, 0x4000, INVALID_PADDR);
    assert_true(p == 0xdfc000);
    p = bootmem_alloc(0x1000, 0x1000, INVALID_PADDR);
    assert_true(p == 0x1002000);
    p = bootmem_alloc(0x1000, 0x1000, INVALID_PADDR);
    assert_true(p == 0x1001000);
    /* 1 GiB alignment: only address 0 would do, and it is not free */
    assert_true(bootmem_alloc(0x1000, GiB(1), INVALID_PADDR) == INVALID_PADDR);
    CHECK({ 0x1000, 0xdfc000 }, { 0xdff000, 0xe00000 });
}

static void test_alloc_align_falls_to_lower_range(void **state)
{
    (void)state;
    /* the top range is big enough but has no 2M-aligned 2M block */
    assert_int_equal(bootmem_add(0x1100000, 0x1380000), 0);
    assert_int_equal(bootmem_add(0x200000, 0x400000), 0);
    assert_true(bootmem_alloc(MiB(2), MiB(2), INVALID_PADDR) == 0x200000);
    CHECK({ 0x1100000, 0x1380000 });
    /* a smaller alignment fits at the top */
    assert_true(bootmem_alloc(MiB(2), MiB(1), INVALID_PADDR) == 0x1100000);
    CHECK({ 0x1300000, 0x1380000 });
}

static void test_alloc_limit(void **state)
{
    (void)state;
    assert_int_equal(bootmem_add(0x100000, 0x10000000), 0);     /* 1M - 256M */
    assert_true(bootmem_alloc(0x1000, 0x1000, 0x800000) == 0x7ff000);
    assert_true(bootmem_alloc(MiB(2), MiB(2), 0x800000) == 0x400000);
    /* a limit that is not page aligned: the block still ends at or below it */
    assert_true(bootmem_alloc(0x1000, 0x1000, 0x300800) == 0x2ff000);
    /* limit below all RAM */
    assert_true(bootmem_alloc(0x1000, 0x1000, 0x80000) == INVALID_PADDR);
    /* limit right at the bottom of RAM: nothing fits */
    assert_true(bootmem_alloc(0x1000, 0x1000, 0x100000) == INVALID_PADDR);
    assert_true(bootmem_alloc(0x1000, 0x1000, 0x100fff) == INVALID_PADDR);
    assert_true(bootmem_alloc(0x1000, 0x1000, 0x101000) == 0x100000);
    CHECK({ 0x101000, 0x2ff000 }, { 0x300000, 0x400000 }, { 0x600000, 0x7ff000 },
          { 0x800000, 0x10000000 });
    /* no limit: the top of RAM */
    assert_true(bootmem_alloc(0x1000, 0x1000, INVALID_PADDR) == 0xffff000);
}

static void test_alloc_exact_fit(void **state)
{
    (void)state;
    assert_int_equal(bootmem_add(0x200000, 0x400000), 0);
    assert_int_equal(bootmem_add(0x800000, 0x801000), 0);
    assert_true(bootmem_alloc(MiB(2), MiB(2), INVALID_PADDR) == 0x200000);
    CHECK({ 0x800000, 0x801000 });
    assert_true(bootmem_alloc(0x1000, 0x1000, INVALID_PADDR) == 0x800000);
    check_empty();
    assert_true(bootmem_alloc(0x1000, 0x1000, INVALID_PADDR) == INVALID_PADDR);
}

static void test_alloc_no_fit(void **state)
{
    (void)state;
    assert_int_equal(bootmem_add(0x100000, 0x180000), 0);
    assert_int_equal(bootmem_add(0x200000, 0x280000), 0);
    /* 1 MiB of free RAM, but no single 768K range */
    assert_true(bootmem_alloc(0xc0000, 0x1000, INVALID_PADDR) == INVALID_PADDR);
    assert_true(bootmem_alloc(GiB(1), 0x1000, INVALID_PADDR) == INVALID_PADDR);
    assert_true(bootmem_alloc(1ULL << 63, 0x1000, INVALID_PADDR) == INVALID_PADDR);
    CHECK({ 0x100000, 0x180000 }, { 0x200000, 0x280000 });
}

static void test_alloc_bad_args(void **state)
{
    (void)state;
    assert_int_equal(bootmem_add(0x0, 0x10000000), 0);
    assert_true(bootmem_alloc(0, 0x1000, INVALID_PADDR) == INVALID_PADDR);
    assert_true(bootmem_alloc(0x1000, 0, INVALID_PADDR) == INVALID_PADDR);
    assert_true(bootmem_alloc(0x1000, 1, INVALID_PADDR) == INVALID_PADDR);
    assert_true(bootmem_alloc(0x1000, 0x800, INVALID_PADDR) == INVALID_PADDR);
    assert_true(bootmem_alloc(0x1000, 0x3000, INVALID_PADDR) == INVALID_PADDR);
    assert_true(bootmem_alloc(0x1000, 0x1800, INVALID_PADDR) == INVALID_PADDR);
    assert_true(bootmem_alloc(0x1000, 0x300000, INVALID_PADDR) == INVALID_PADDR);
    assert_true(bootmem_alloc(0x1000, UINT64_MAX, INVALID_PADDR) == INVALID_PADDR);
    CHECK({ 0x0, 0x10000000 });
}

/*
 * A size so large that rounding it up to pages wraps to 0 must not succeed:
 * nothing is reserved, so "allocating" it would hand out an address the
 * allocator still considers free.
 */
static void test_alloc_size_wraps(void **state)
{
    (void)state;
    assert_int_equal(bootmem_add(0x100000, 0x200000), 0);
    assert_true(bootmem_alloc(UINT64_MAX, 0x1000, INVALID_PADDR) == INVALID_PADDR);
    assert_true(bootmem_alloc(UINT64_MAX - 0xffe, 0x1000, INVALID_PADDR) == INVALID_PADDR);
    CHECK({ 0x100000, 0x200000 });
}

static void test_alloc_free_accounting(void **state)
{
    uint64_t before;
    paddr_t p;
    (void)state;

    assert_int_equal(bootmem_add(0x100000, 0x8000000), 0);
    bootmem_reserve(0x400000, 0x500000);
    before = bootmem_free_bytes();
    assert_true(before == 0x8000000 - 0x100000 - 0x100000);
    for (int i = 0; i < 50; i++) {
        uint64_t sz = (uint64_t)(i % 7 + 1) * 0x1000;
        uint64_t al = 0x1000ULL << (i % 5);
        p = bootmem_alloc(sz, al, INVALID_PADDR);
        assert_true(p != INVALID_PADDR);
        assert_true(p % al == 0);
        assert_false(bootmem_is_free(p, p + 1));
        assert_false(bootmem_is_free(p + sz - 1, p + sz));
        before -= sz;
        assert_true(bootmem_free_bytes() == before);
    }
}

static void test_alloc_no_overlap_random(void **state)
{
    /* model: one bit per page of a 16 MiB space */
    enum { PAGES = 4096 };
    static unsigned char used[PAGES];
    uint64_t free_model = 0;
    (void)state;

    memset(used, 1, sizeof(used));
    srand(777);
    for (int i = 0; i < 40; i++) {
        paddr_t a = (paddr_t)(rand() % PAGES) << 12, b = (paddr_t)(rand() % PAGES) << 12;
        if (a > b) { paddr_t t = a; a = b; b = t; }
        if (rand() % 3) {
            assert_int_equal(bootmem_add(a, b), 0);
            for (paddr_t p = a; p < b; p += 0x1000)
                used[p >> 12] = 0;
        } else {
            bootmem_reserve(a, b);
            for (paddr_t p = a; p < b; p += 0x1000)
                used[p >> 12] = 1;
        }
    }
    for (unsigned int i = 0; i < PAGES; i++)
        free_model += used[i] ? 0 : 0x1000;
    assert_true(bootmem_free_bytes() == free_model);
    for (;;) {
        uint64_t sz = (uint64_t)(rand() % 4 + 1) << 12;
        uint64_t align = 0x1000ULL << (rand() % 3);
        paddr_t limit = (paddr_t)(rand() % PAGES + 1) << 12;
        paddr_t p = INVALID_PADDR;

        /*
         * An aligned or limited allocation may split a range; keep clear of
         * a full table, where a split loses the tail (see test_ranges_full).
         */
        if (bootmem_nr_ranges() < BOOTMEM_RANGES_MAX - 1)
            p = bootmem_alloc(sz, align, limit);
        if (p == INVALID_PADDR) {
            p = bootmem_alloc(0x1000, 0x1000, INVALID_PADDR);
            if (p == INVALID_PADDR)
                break;
            sz = 0x1000;
        } else {
            assert_true(p + sz <= limit);
            assert_true(p % align == 0);
        }
        for (paddr_t q = p; q < p + sz; q += 0x1000) {
            assert_true(q >> 12 < PAGES);
            assert_int_equal(used[q >> 12], 0);
            used[q >> 12] = 1;
        }
        free_model -= sz;
        assert_true(bootmem_free_bytes() == free_model);
    }
    assert_true(free_model == 0);
    check_empty();
}

/* ---------------------------------------------------------------- full table */

static void fill_ranges(void)
{
    for (unsigned int i = 0; i < BOOTMEM_RANGES_MAX; i++)
        assert_int_equal(bootmem_add((paddr_t)i * 0x10000 + 0x10000,
                                     (paddr_t)i * 0x10000 + 0x18000), 0);
    assert_int_equal(bootmem_nr_ranges(), BOOTMEM_RANGES_MAX);
}

static void check_filled(unsigned int skip)
{
    paddr_t s, e;

    assert_int_equal(bootmem_nr_ranges(), BOOTMEM_RANGES_MAX);
    for (unsigned int i = 0; i < BOOTMEM_RANGES_MAX; i++) {
        if (i == skip)
            continue;
        assert_true(bootmem_range(i, &s, &e));
        assert_true(s == (paddr_t)i * 0x10000 + 0x10000);
        assert_true(e == (paddr_t)i * 0x10000 + 0x18000);
    }
}

static void test_ranges_full(void **state)
{
    paddr_t s, e;
    (void)state;

    fill_ranges();
    /* a new separate range: no room, reported, nothing overwritten */
    assert_int_equal(bootmem_add(0x4000000, 0x4001000), -BATON_ENOSPC);
    assert_true(harness_log_has("more than"));
    check_filled(~0u);
    assert_int_equal(bootmem_add(0x0, 0x1000), -BATON_ENOSPC);
    check_filled(~0u);
    assert_int_equal(bootmem_add(0x1c000, 0x1d000), -BATON_ENOSPC);   /* between two */
    check_filled(~0u);
    assert_false(bootmem_is_free(0x1c000, 0x1d000));
    assert_true(bootmem_free_bytes() == (uint64_t)BOOTMEM_RANGES_MAX * 0x8000);

    /* a reservation that needs a split when full: the range is not overrun */
    harness_log_clear();
    bootmem_reserve(0x12000, 0x13000);
    assert_true(harness_log_has("more than"));
    assert_int_equal(bootmem_nr_ranges(), BOOTMEM_RANGES_MAX);
    assert_true(bootmem_range(0, &s, &e));
    assert_true(s == 0x10000 && e == 0x12000);
    assert_false(bootmem_is_free(0x12000, 0x13000));
    check_filled(0);

    /* room again after a range goes */
    bootmem_reserve(0x20000, 0x28000);
    assert_int_equal(bootmem_nr_ranges(), BOOTMEM_RANGES_MAX - 1);
    assert_int_equal(bootmem_add(0x4000000, 0x4001000), 0);
    assert_int_equal(bootmem_nr_ranges(), BOOTMEM_RANGES_MAX);
    assert_true(bootmem_range(BOOTMEM_RANGES_MAX - 1, &s, &e));
    assert_true(s == 0x4000000 && e == 0x4001000);
}

/* ---------------------------------------------------------------- restricted start */

static void test_restricted_then_extend(void **state)
{
    /* RAM: [1M, 512M); live update bootmem: [64M, 96M) */
    const paddr_t lu_s = MiB(64), lu_e = MiB(96);
    paddr_t a, b, c, p;
    (void)state;

    assert_int_equal(bootmem_add(lu_s, lu_e), 0);
    a = bootmem_alloc(MiB(4), MiB(2), INVALID_PADDR);
    b = bootmem_alloc(0x3000, 0x1000, INVALID_PADDR);
    assert_true(a == MiB(92));
    assert_true(b == MiB(92) - 0x3000);
    assert_true(bootmem_free_bytes() == MiB(32) - MiB(4) - 0x3000);
    /* nothing above or below the region is handed out while restricted */
    assert_true(bootmem_alloc(MiB(64), 0x1000, INVALID_PADDR) == INVALID_PADDR);
    assert_true(bootmem_alloc(0x1000, 0x1000, lu_s) == INVALID_PADDR);

    /* the rest of RAM, around the region (touching it on both sides) */
    assert_int_equal(bootmem_add(MiB(1), lu_s), 0);
    assert_int_equal(bootmem_add(lu_e, MiB(512)), 0);
    /* what was allocated stays allocated; the rest merged into two ranges */
    CHECK({ MiB(1), MiB(92) - 0x3000 }, { MiB(96), MiB(512) });
    assert_false(bootmem_is_free(a, a + 1));
    assert_false(bootmem_is_free(b, b + 0x3000));

    c = bootmem_alloc(MiB(2), MiB(2), INVALID_PADDR);
    assert_true(c == MiB(510));
    p = bootmem_alloc(0x1000, 0x1000, MiB(96));
    assert_true(p == MiB(92) - 0x4000);
    assert_true(bootmem_free_bytes() ==
                MiB(511) - MiB(4) - 0x3000 - MiB(2) - 0x1000);
}

/* ---------------------------------------------------------------- drain */

struct drain_log {
    unsigned int n;
    struct rng r[BOOTMEM_RANGES_MAX + 1];
};

static void drain_cb(paddr_t start, paddr_t end, void *arg)
{
    struct drain_log *l = arg;

    assert_true(l->n < ARRAY_SIZE(l->r));
    l->r[l->n].start = start;
    l->r[l->n].end = end;
    l->n++;
}

static void test_drain(void **state)
{
    static struct drain_log l;
    paddr_t s, e;
    (void)state;

    memset(&l, 0, sizeof(l));
    assert_int_equal(bootmem_add(0x100000, 0x200000), 0);
    assert_int_equal(bootmem_add(0x10000, 0x20000), 0);
    assert_int_equal(bootmem_add(0x400000, 0x800000), 0);
    bootmem_reserve(0x500000, 0x600000);
    bootmem_drain(drain_cb, &l);
    assert_int_equal(l.n, 4);
    static const struct rng want[] = {
        { 0x10000, 0x20000 }, { 0x100000, 0x200000 }, { 0x400000, 0x500000 },
        { 0x600000, 0x800000 },
    };
    for (unsigned int i = 0; i < 4; i++) {
        assert_true(l.r[i].start == want[i].start);
        assert_true(l.r[i].end == want[i].end);
    }
    check_empty();
    assert_false(bootmem_range(0, &s, &e));
    /* a second drain hands out nothing */
    bootmem_drain(drain_cb, &l);
    assert_int_equal(l.n, 4);
    assert_true(bootmem_alloc(0x1000, 0x1000, INVALID_PADDR) == INVALID_PADDR);
}

static void test_drain_full(void **state)
{
    static struct drain_log l;
    (void)state;

    memset(&l, 0, sizeof(l));
    fill_ranges();
    bootmem_drain(drain_cb, &l);
    assert_int_equal(l.n, BOOTMEM_RANGES_MAX);
    for (unsigned int i = 0; i < BOOTMEM_RANGES_MAX; i++) {
        assert_true(l.r[i].start == (paddr_t)i * 0x10000 + 0x10000);
        assert_true(l.r[i].end == (paddr_t)i * 0x10000 + 0x18000);
    }
    check_empty();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_reset_empty, setup),
        cmocka_unit_test_setup(test_add_disjoint_sorted, setup),
        cmocka_unit_test_setup(test_add_touching_merge, setup),
        cmocka_unit_test_setup(test_add_overlap_merge, setup),
        cmocka_unit_test_setup(test_add_same_start, setup),
        cmocka_unit_test_setup(test_add_unaligned_trimmed, setup),
        cmocka_unit_test_setup(test_add_empty_and_inverted, setup),
        cmocka_unit_test_setup(test_add_near_top, setup),
        cmocka_unit_test_setup(test_reserve_cases, setup),
        cmocka_unit_test_setup(test_reserve_spanning, setup),
        cmocka_unit_test_setup(test_reserve_unaligned_widened, setup),
        cmocka_unit_test_setup(test_reserve_then_add_back, setup),
        cmocka_unit_test_setup(test_is_free, setup),
        cmocka_unit_test_setup(test_alloc_top_down, setup),
        cmocka_unit_test_setup(test_alloc_alignment, setup),
        cmocka_unit_test_setup(test_alloc_align_falls_to_lower_range, setup),
        cmocka_unit_test_setup(test_alloc_limit, setup),
        cmocka_unit_test_setup(test_alloc_exact_fit, setup),
        cmocka_unit_test_setup(test_alloc_no_fit, setup),
        cmocka_unit_test_setup(test_alloc_bad_args, setup),
        cmocka_unit_test_setup(test_alloc_size_wraps, setup),
        cmocka_unit_test_setup(test_alloc_free_accounting, setup),
        cmocka_unit_test_setup(test_alloc_no_overlap_random, setup),
        cmocka_unit_test_setup(test_ranges_full, setup),
        cmocka_unit_test_setup(test_restricted_then_extend, setup),
        cmocka_unit_test_setup(test_drain, setup),
        cmocka_unit_test_setup(test_drain_full, setup),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
