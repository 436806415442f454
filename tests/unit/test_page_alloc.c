/* Unit tests for common/page_alloc.c: the buddy page allocator over a host frame table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <baton/errno.h>
#include <baton/page_alloc.h>
#include <baton/printk.h>
#include "harness.h"

/* Two blocks of the largest order, so coalescing all the way can be seen. */
#define NR_FRAMES (2UL << MAX_ORDER)

static struct page_info table[NR_FRAMES];
static pfn_t allocated[NR_FRAMES];
static unsigned char shadow[NR_FRAMES];     /* 1: handed out by page_alloc */

static int setup(void **state)
{
    (void)state;
    harness_log_clear();
    memset(shadow, 0, sizeof(shadow));
    return 0;
}

static void init(pfn_t n)
{
    assert_int_equal(page_alloc_init(table, n), 0);
}

/* Deterministic PRNG (xorshift64*) so failures reproduce. */
static uint64_t rng_state;

static uint64_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dULL;
}

static void shuffle(pfn_t *v, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(rnd() % i);
        pfn_t t = v[i - 1];
        v[i - 1] = v[j];
        v[j] = t;
    }
}

/* Mark a block handed out in the shadow; fail if any frame of it already is. */
static void shadow_take(pfn_t pfn, unsigned int order, pfn_t lo, pfn_t hi)
{
    assert_true(pfn != INVALID_PFN);
    assert_true(pfn % (1ULL << order) == 0);
    assert_true(pfn >= lo && pfn + (1ULL << order) <= hi);
    for (pfn_t p = pfn; p < pfn + (1ULL << order); p++) {
        if (shadow[p])
            fail_msg("frame 0x%llx handed out twice", (unsigned long long)p);
        shadow[p] = 1;
    }
}

static void shadow_give(pfn_t pfn, unsigned int order)
{
    for (pfn_t p = pfn; p < pfn + (1ULL << order); p++) {
        assert_int_equal(shadow[p], 1);
        shadow[p] = 0;
    }
}

/* Take every remaining frame one at a time; returns how many. */
static size_t drain_order0(pfn_t lo, pfn_t hi)
{
    size_t n = 0;
    pfn_t p;

    while ((p = page_alloc(0)) != INVALID_PFN) {
        shadow_take(p, 0, lo, hi);
        allocated[n++] = p;
    }
    assert_true(page_free_count() == 0);
    assert_int_equal(page_largest_free_order(), -1);
    return n;
}

/* ---------------------------------------------------------------- init */

static void test_init(void **state)
{
    (void)state;
    assert_int_equal(page_alloc_init(table, 0), -BATON_EINVAL);
    assert_int_equal(page_alloc_init(table, PFN_NONE), -BATON_EINVAL);
    assert_int_equal(page_alloc_init(table, (pfn_t)PFN_NONE + 1), -BATON_EINVAL);

    memset(table, 0xff, 64 * sizeof(table[0]));
    init(64);
    assert_true(page_max_pfn() == 64);
    assert_true(page_free_count() == 0);
    assert_int_equal(page_largest_free_order(), -1);
    /* every frame starts in use */
    for (pfn_t p = 0; p < 64; p++) {
        assert_ptr_equal(pfn_to_page(p), &table[p]);
        assert_int_equal(pfn_to_page(p)->flags, 0);
    }
    assert_true(page_alloc(0) == INVALID_PFN);
}

static void test_reinit_forgets(void **state)
{
    (void)state;
    init(1024);
    page_free_range(0, 1024);
    assert_true(page_free_count() == 1024);
    init(512);
    assert_true(page_free_count() == 0);
    assert_int_equal(page_largest_free_order(), -1);
    assert_true(page_alloc(0) == INVALID_PFN);
}

/* ---------------------------------------------------------------- free_range */

static void test_free_range_unaligned(void **state)
{
    size_t n;
    (void)state;

    init(1024);
    page_free_range(3, 1000);
    assert_true(page_free_count() == 997);
    /* the largest aligned block inside [3, 1000) is [256, 512) */
    assert_int_equal(page_largest_free_order(), 8);
    n = drain_order0(3, 1000);
    assert_int_equal(n, 997);
    for (pfn_t p = 0; p < 1024; p++)
        assert_int_equal(shadow[p], p >= 3 && p < 1000);
}

static void test_free_range_clipped(void **state)
{
    (void)state;
    init(100);
    page_free_range(90, 5000);          /* past the frame table: clipped */
    assert_true(page_free_count() == 10);
    page_free_range(50, 50);            /* empty */
    page_free_range(60, 55);            /* inverted: nothing */
    assert_true(page_free_count() == 10);
    assert_int_equal(drain_order0(90, 100), 10);

    /* one frame past the end */
    init(100);
    page_free_range(96, 101);
    assert_true(page_free_count() == 4);
    assert_int_equal(page_largest_free_order(), 2);
}

static void test_free_range_pieces_coalesce(void **state)
{
    (void)state;
    init(4096);
    /* odd pieces that together make [0, 4096) */
    page_free_range(1, 7);
    page_free_range(7, 1000);
    page_free_range(2049, 4096);
    page_free_range(1000, 2049);
    assert_int_equal(page_largest_free_order(), 11);
    page_free_range(0, 1);
    assert_true(page_free_count() == 4096);
    assert_int_equal(page_largest_free_order(), 12);
    assert_true(page_alloc(12) == 0);
    assert_true(page_alloc(0) == INVALID_PFN);
}

/* ---------------------------------------------------------------- alloc */

static void test_alloc_each_order(void **state)
{
    pfn_t got[MAX_ORDER + 1];
    uint64_t expect = NR_FRAMES;
    (void)state;

    init(NR_FRAMES);
    page_free_range(0, NR_FRAMES);
    assert_true(page_free_count() == NR_FRAMES);
    assert_int_equal(page_largest_free_order(), MAX_ORDER);

    for (unsigned int o = 0; o <= MAX_ORDER; o++) {
        got[o] = page_alloc(o);
        shadow_take(got[o], o, 0, NR_FRAMES);
        expect -= 1ULL << o;
        assert_true(page_free_count() == expect);
        assert_int_equal(pfn_to_page(got[o])->flags, PGF_ALLOCATED);
        assert_int_equal(pfn_to_page(got[o])->order, o);
    }
    /* orders 0..MAX_ORDER took 2^(MAX_ORDER+1) - 1 frames: one is left */
    assert_true(page_free_count() == 1);
    assert_int_equal(page_largest_free_order(), 0);
    assert_true(page_alloc(1) == INVALID_PFN);

    for (unsigned int o = 0; o <= MAX_ORDER; o++) {
        shadow_give(got[o], o);
        page_free(got[o], o);
    }
    assert_true(page_free_count() == NR_FRAMES);
    assert_int_equal(page_largest_free_order(), MAX_ORDER);
    /* whole again: exactly two blocks of the largest order */
    got[0] = page_alloc(MAX_ORDER);
    got[1] = page_alloc(MAX_ORDER);
    assert_true(got[0] != INVALID_PFN && got[1] != INVALID_PFN);
    assert_true((got[0] ^ got[1]) == (1ULL << MAX_ORDER));
    assert_true(page_alloc(0) == INVALID_PFN);
}

static void test_alloc_order_too_big(void **state)
{
    (void)state;
    init(NR_FRAMES);
    page_free_range(0, NR_FRAMES);
    assert_true(page_alloc(MAX_ORDER + 1) == INVALID_PFN);
    assert_true(page_alloc(MAX_ORDER + 2) == INVALID_PFN);
    assert_true(page_alloc(64) == INVALID_PFN);
    assert_true(page_alloc(~0u) == INVALID_PFN);
    assert_true(page_free_count() == NR_FRAMES);
    assert_int_equal(page_largest_free_order(), MAX_ORDER);
    assert_true(page_alloc(MAX_ORDER) != INVALID_PFN);
}

static void test_alloc_alignment(void **state)
{
    (void)state;
    /* an odd start forces splits of smaller blocks everywhere */
    init(8192);
    page_free_range(1, 8191);
    for (int i = 0; i < 2000; i++) {
        unsigned int o = (unsigned int)(rnd() % 8);
        pfn_t p = page_alloc(o);
        if (p == INVALID_PFN)
            continue;
        shadow_take(p, o, 1, 8191);
    }
}

static void test_exhaustion(void **state)
{
    pfn_t p;
    (void)state;

    init(64);
    page_free_range(0, 64);
    p = page_alloc(5);
    shadow_take(p, 5, 0, 64);
    p = page_alloc(5);
    shadow_take(p, 5, 0, 64);
    assert_true(page_free_count() == 0);
    assert_true(page_alloc(0) == INVALID_PFN);
    assert_true(page_alloc(5) == INVALID_PFN);
    assert_true(page_alloc(MAX_ORDER) == INVALID_PFN);
    assert_int_equal(page_largest_free_order(), -1);
    /* a failed allocation changes nothing */
    assert_true(page_free_count() == 0);
    page_free(32, 5);
    assert_true(page_alloc(6) == INVALID_PFN);
    assert_true(page_alloc(5) == 32);
}

static void test_smaller_order_splits_smallest_block(void **state)
{
    (void)state;
    init(64);
    page_free_range(0, 32);            /* one block of 32 */
    page_free_range(40, 42);           /* one block of 2 */
    assert_true(page_alloc(0) == 40);    /* lower half; 41 stays free */
    assert_true(page_free_count() == 33);
    /* the order-5 block was not broken for that */
    assert_int_equal(page_largest_free_order(), 5);
    assert_true(page_alloc(5) == 0);
}

static void test_coalesce_random_order(void **state)
{
    size_t n;
    (void)state;

    init(NR_FRAMES);
    page_free_range(0, NR_FRAMES);
    n = drain_order0(0, NR_FRAMES);
    assert_int_equal(n, NR_FRAMES);
    rng_state = 0x9e3779b97f4a7c15ULL;
    shuffle(allocated, n);
    for (size_t i = 0; i < n; i++) {
        shadow_give(allocated[i], 0);
        page_free(allocated[i], 0);
        assert_true(page_free_count() == i + 1);
    }
    assert_int_equal(page_largest_free_order(), MAX_ORDER);
    assert_true(page_alloc(MAX_ORDER) != INVALID_PFN);
    assert_true(page_alloc(MAX_ORDER) != INVALID_PFN);
    assert_true(page_alloc(0) == INVALID_PFN);
}

static void test_coalesce_mixed_orders(void **state)
{
    pfn_t blocks[4096];
    unsigned int orders[4096];
    size_t n = 0;
    (void)state;

    init(1UL << 14);
    page_free_range(0, 1UL << 14);
    rng_state = 12345;
    for (;;) {
        unsigned int o = (unsigned int)(rnd() % 7);
        pfn_t p = page_alloc(o);
        if (p == INVALID_PFN) {
            p = page_alloc(0);
            o = 0;
            if (p == INVALID_PFN)
                break;
        }
        assert_true(n < ARRAY_SIZE(blocks));
        shadow_take(p, o, 0, 1UL << 14);
        blocks[n] = p;
        orders[n] = o;
        n++;
    }
    assert_true(page_free_count() == 0);
    /* free in random order */
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(rnd() % i);
        pfn_t tp = blocks[i - 1];
        unsigned int to = orders[i - 1];
        blocks[i - 1] = blocks[j];
        orders[i - 1] = orders[j];
        blocks[j] = tp;
        orders[j] = to;
    }
    for (size_t i = 0; i < n; i++) {
        shadow_give(blocks[i], orders[i]);
        page_free(blocks[i], orders[i]);
    }
    assert_true(page_free_count() == 1UL << 14);
    assert_int_equal(page_largest_free_order(), 14);
    assert_true(page_alloc(14) == 0);
}

/* ---------------------------------------------------------------- holes */

static bool in_ram(pfn_t p)
{
    return p < 1000 || (p >= 3000 && p < 4096);
}

static void test_holes(void **state)
{
    size_t n;
    (void)state;

    init(4096);
    page_free_range(0, 1000);
    page_free_range(3000, 4096);
    assert_true(page_free_count() == 1000 + 1096);
    assert_int_equal(page_largest_free_order(), 10);          /* [3072, 4096) */
    assert_true(page_alloc(11) == INVALID_PFN);               /* would span the hole */

    n = drain_order0(0, 4096);
    assert_int_equal(n, 2096);
    for (pfn_t p = 0; p < 4096; p++)
        assert_int_equal(shadow[p], in_ram(p));

    /* everything back: the two sides never merge across the hole */
    rng_state = 99;
    shuffle(allocated, n);
    for (size_t i = 0; i < n; i++) {
        shadow_give(allocated[i], 0);
        page_free(allocated[i], 0);
    }
    assert_true(page_free_count() == 2096);
    assert_int_equal(page_largest_free_order(), 10);
    assert_true(page_alloc(11) == INVALID_PFN);
    assert_true(page_alloc(10) == 3072);
    assert_true(page_alloc(10) == INVALID_PFN);
    /* below the hole, [0, 1000): 512 + 256 + 128 + 64 + 32 + 8 */
    assert_true(page_alloc(9) == 0);
    assert_true(page_alloc(9) == INVALID_PFN);
    for (unsigned int o = 0; o < 11; o++) {
        pfn_t p;
        while ((p = page_alloc(o)) != INVALID_PFN)
            assert_true(in_ram(p) && in_ram(p + (1ULL << o) - 1) && p % (1ULL << o) == 0);
    }
    assert_true(page_free_count() == 0);
}

static void test_hole_buddy_not_merged(void **state)
{
    pfn_t p;
    (void)state;

    /* frame 1 is never given to the allocator: 0 must not merge with it */
    init(8);
    page_free_range(0, 1);
    page_free_range(2, 8);
    assert_true(page_free_count() == 7);
    assert_true(page_alloc(3) == INVALID_PFN);
    assert_true(page_alloc(2) == 4);
    assert_true(page_alloc(1) == 2);
    p = page_alloc(0);
    assert_true(p == 0);
    assert_true(page_alloc(0) == INVALID_PFN);
    /* free 0 again with 1 still "in use": stays order 0 */
    page_free(0, 0);
    assert_int_equal(page_largest_free_order(), 0);
    assert_true(page_alloc(1) == INVALID_PFN);
}

/* ---------------------------------------------------------------- stress */

static void test_stress_random(void **state)
{
    enum { N = 1 << 13, LIVE_MAX = 1024, ROUNDS = 40000 };
    static pfn_t live[LIVE_MAX];
    static unsigned int live_order[LIVE_MAX];
    size_t nlive = 0;
    uint64_t model_free;
    (void)state;

    /* three RAM ranges with holes, unaligned ends */
    init(N);
    page_free_range(5, 3000);
    page_free_range(3333, 6000);
    page_free_range(6001, N - 3);
    model_free = (3000 - 5) + (6000 - 3333) + (N - 3 - 6001);
    for (pfn_t p = 0; p < N; p++)
        shadow[p] = !((p >= 5 && p < 3000) || (p >= 3333 && p < 6000) || (p >= 6001 && p < N - 3));
    assert_true(page_free_count() == model_free);

    rng_state = 0xdecafbadULL;
    for (int r = 0; r < ROUNDS; r++) {
        bool do_alloc = nlive == 0 || (nlive < LIVE_MAX && rnd() % 100 < 55);
        if (do_alloc) {
            unsigned int o = (unsigned int)(rnd() % 100 < 70 ? rnd() % 3 : rnd() % 10);
            pfn_t p = page_alloc(o);
            if (p == INVALID_PFN) {
                /* only fair when nothing of that order is free */
                assert_true(page_largest_free_order() < (int)o);
                continue;
            }
            shadow_take(p, o, 0, N);   /* holes are pre-marked taken */
            live[nlive] = p;
            live_order[nlive] = o;
            nlive++;
            model_free -= 1ULL << o;
        } else {
            size_t i = (size_t)(rnd() % nlive);
            shadow_give(live[i], live_order[i]);
            page_free(live[i], live_order[i]);
            model_free += 1ULL << live_order[i];
            live[i] = live[nlive - 1];
            live_order[i] = live_order[nlive - 1];
            nlive--;
        }
        assert_true(page_free_count() == model_free);
    }
    /* free the rest; everything coalesces back as it was */
    while (nlive) {
        nlive--;
        shadow_give(live[nlive], live_order[nlive]);
        page_free(live[nlive], live_order[nlive]);
    }
    assert_true(page_free_count() == (3000 - 5) + (6000 - 3333) + (N - 3 - 6001));
    /* the largest block inside the ranges is [1024, 2048) or [4096, 5120) ...: order 10 */
    assert_int_equal(page_largest_free_order(), 10);
    assert_true(page_alloc(11) == INVALID_PFN);
}

/*
 * A live update boot's window: only descriptors [lo, hi) are cleared and
 * read; garbage outside never looks like a free buddy; growing the window
 * clears the next descriptors (up first, then down) and stops at the table.
 */
static void test_window_grow(void **state)
{
    const pfn_t lo = 1UL << 10, hi = 3UL << 10, n = 1UL << 12;
    pfn_t glo, ghi;

    (void)state;
    memset(table, 0xa5, sizeof(table[0]) * n);      /* what the old build left */
    assert_int_equal(page_alloc_init_window(table, n, hi, lo), -BATON_EINVAL);
    assert_int_equal(page_alloc_init_window(table, n, lo, n + 1), -BATON_EINVAL);
    assert_int_equal(page_alloc_init_window(table, n, lo, hi), 0);
    assert_int_equal(table[lo - 1].flags, 0xa5a5);  /* outside: untouched */
    page_free_range(lo, hi);
    assert_true(page_free_count() == hi - lo);
    /* [1024, 2048) and [2048, 3072): order 10 each, never merged with the
     * garbage around them */
    assert_int_equal(page_largest_free_order(), 10);
    assert_true(page_alloc(11) == INVALID_PFN);
    assert_true(page_alloc_grow_window(512, &glo, &ghi));
    assert_true(glo == hi && ghi == hi + 512);
    assert_int_equal(table[hi].flags, 0);
    assert_int_equal(table[ghi].flags, 0xa5a5);
    assert_true(page_alloc_grow_window(4096, &glo, &ghi));     /* the rest above */
    assert_true(glo == hi + 512 && ghi == n);
    assert_true(page_alloc_grow_window(4096, &glo, &ghi));     /* then below */
    assert_true(glo == 0 && ghi == lo);
    assert_false(page_alloc_grow_window(4096, &glo, &ghi));
    page_free_range(hi, n);
    page_free_range(0, lo);
    assert_true(page_free_count() == n);
    assert_int_equal(page_largest_free_order(), 12 > MAX_ORDER ? MAX_ORDER : 12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_init, setup),
        cmocka_unit_test_setup(test_reinit_forgets, setup),
        cmocka_unit_test_setup(test_free_range_unaligned, setup),
        cmocka_unit_test_setup(test_free_range_clipped, setup),
        cmocka_unit_test_setup(test_free_range_pieces_coalesce, setup),
        cmocka_unit_test_setup(test_alloc_each_order, setup),
        cmocka_unit_test_setup(test_alloc_order_too_big, setup),
        cmocka_unit_test_setup(test_alloc_alignment, setup),
        cmocka_unit_test_setup(test_exhaustion, setup),
        cmocka_unit_test_setup(test_smaller_order_splits_smallest_block, setup),
        cmocka_unit_test_setup(test_coalesce_random_order, setup),
        cmocka_unit_test_setup(test_coalesce_mixed_orders, setup),
        cmocka_unit_test_setup(test_holes, setup),
        cmocka_unit_test_setup(test_hole_buddy_not_merged, setup),
        cmocka_unit_test_setup(test_stress_random, setup),
        cmocka_unit_test_setup(test_window_grow, setup),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
