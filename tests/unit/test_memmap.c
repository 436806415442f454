/* Unit tests for common/memmap.c: memmap_sanitize() and memmap_type_name(). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <baton/memmap.h>
#include <baton/printk.h>
#include "harness.h"

#define CANARY 0xc5c5c5c5c5c5c5c5ULL
#define OUT_SLACK 4

/* The output array and a canary zone after it. */
static struct {
    struct mem_range out[BOOT_MEM_MAX];
    struct mem_range guard[OUT_SLACK];
} buf;

static int setup(void **state)
{
    (void)state;
    harness_log_clear();
    memset(&buf, 0xc5, sizeof(buf));
    return 0;
}

/* Everything from out[first] on, including the guard, still holds the canary. */
static void check_untouched_from(unsigned int first)
{
    const unsigned char *p = (const unsigned char *)&buf.out[first];
    const unsigned char *end = (const unsigned char *)(&buf + 1);

    for (; p < end; p++)
        assert_int_equal(*p, 0xc5);
}

struct exp { uint64_t start, end; uint32_t type; };

static void check_out(unsigned int n, const struct exp *e, unsigned int ne)
{
    assert_int_equal(n, ne);
    for (unsigned int i = 0; i < ne; i++) {
        assert_true(buf.out[i].start == e[i].start);
        assert_true(buf.out[i].size == e[i].end - e[i].start);
        assert_int_equal(buf.out[i].type, e[i].type);
    }
    check_untouched_from(ne);
}

/* Properties every sanitized map has: sorted, disjoint, non-empty, merged. */
static void check_sane(unsigned int n)
{
    for (unsigned int i = 0; i < n; i++) {
        assert_true(buf.out[i].size > 0);
        assert_true(buf.out[i].start + buf.out[i].size > buf.out[i].start ||
                    buf.out[i].start + buf.out[i].size == 0);
        if (i) {
            uint64_t prev_end = buf.out[i - 1].start + buf.out[i - 1].size;
            assert_true(prev_end <= buf.out[i].start);
            if (prev_end == buf.out[i].start)
                assert_int_not_equal(buf.out[i - 1].type, buf.out[i].type);
        }
    }
}

#define R(s, e, t) { .start = (s), .size = (e) - (s), .type = (t) }
#define SAN(in, max) memmap_sanitize((in), ARRAY_SIZE(in), buf.out, (max))

static void test_empty(void **state)
{
    struct mem_range in[1] = { R(0x1000, 0x1000, MEM_RAM) };
    (void)state;

    assert_int_equal(memmap_sanitize(in, 0, buf.out, BOOT_MEM_MAX), 0);
    assert_int_equal(SAN(in, BOOT_MEM_MAX), 0);    /* zero size only */
    check_untouched_from(0);
}

static void test_sorted_passthrough(void **state)
{
    struct mem_range in[] = {
        R(0, 0x9f000, MEM_RAM),
        R(0x9f000, 0x100000, MEM_RESERVED),
        R(0x100000, 0x7fe0000, MEM_RAM),
        R(0x7fe0000, 0x8000000, MEM_ACPI),
        R(0xfffc0000, 0x100000000, MEM_RESERVED),
    };
    static const struct exp e[] = {
        { 0, 0x9f000, MEM_RAM },
        { 0x9f000, 0x100000, MEM_RESERVED },
        { 0x100000, 0x7fe0000, MEM_RAM },
        { 0x7fe0000, 0x8000000, MEM_ACPI },
        { 0xfffc0000, 0x100000000, MEM_RESERVED },
    };
    (void)state;

    check_out(SAN(in, BOOT_MEM_MAX), e, ARRAY_SIZE(e));
}

static void test_unsorted(void **state)
{
    struct mem_range in[] = {
        R(0x100000000, 0x200000000, MEM_RAM),
        R(0x100000, 0x8000000, MEM_RAM),
        R(0xfec00000, 0xfec01000, MEM_RESERVED),
        R(0, 0x9fc00, MEM_RAM),
    };
    static const struct exp e[] = {
        { 0, 0x9fc00, MEM_RAM },
        { 0x100000, 0x8000000, MEM_RAM },
        { 0xfec00000, 0xfec01000, MEM_RESERVED },
        { 0x100000000, 0x200000000, MEM_RAM },
    };
    (void)state;

    check_out(SAN(in, BOOT_MEM_MAX), e, ARRAY_SIZE(e));
}

static void test_reserved_splits_ram(void **state)
{
    /* both orders of the input give the same answer */
    struct mem_range a[] = {
        R(0x100000, 0x1000000, MEM_RAM),
        R(0x400000, 0x500000, MEM_RESERVED),
    };
    struct mem_range b[] = {
        R(0x400000, 0x500000, MEM_RESERVED),
        R(0x100000, 0x1000000, MEM_RAM),
    };
    static const struct exp e[] = {
        { 0x100000, 0x400000, MEM_RAM },
        { 0x400000, 0x500000, MEM_RESERVED },
        { 0x500000, 0x1000000, MEM_RAM },
    };
    (void)state;

    check_out(SAN(a, BOOT_MEM_MAX), e, ARRAY_SIZE(e));
    setup(NULL);
    check_out(SAN(b, BOOT_MEM_MAX), e, ARRAY_SIZE(e));
}

static void test_partial_overlap(void **state)
{
    struct mem_range in[] = {
        R(0x0, 0x3000, MEM_RAM),
        R(0x2000, 0x5000, MEM_RESERVED),
        R(0x4000, 0x8000, MEM_RAM),
    };
    static const struct exp e[] = {
        { 0x0, 0x2000, MEM_RAM },
        { 0x2000, 0x5000, MEM_RESERVED },
        { 0x5000, 0x8000, MEM_RAM },
    };
    (void)state;

    check_out(SAN(in, BOOT_MEM_MAX), e, ARRAY_SIZE(e));
}

static void test_nested(void **state)
{
    struct mem_range in[] = {
        R(0x0, 0x100000, MEM_RAM),
        R(0x10000, 0x80000, MEM_ACPI),
        R(0x20000, 0x30000, MEM_NVS),
        R(0x22000, 0x23000, MEM_RESERVED),
        R(0x40000, 0x50000, MEM_RAM),      /* RAM inside ACPI: ACPI stays */
    };
    static const struct exp e[] = {
        { 0x0, 0x10000, MEM_RAM },
        { 0x10000, 0x20000, MEM_ACPI },
        { 0x20000, 0x22000, MEM_NVS },
        { 0x22000, 0x23000, MEM_RESERVED },
        { 0x23000, 0x30000, MEM_NVS },
        { 0x30000, 0x80000, MEM_ACPI },
        { 0x80000, 0x100000, MEM_RAM },
    };
    (void)state;

    check_out(SAN(in, BOOT_MEM_MAX), e, ARRAY_SIZE(e));
}

static void test_duplicates(void **state)
{
    struct mem_range in[] = {
        R(0x100000, 0x200000, MEM_RAM),
        R(0x100000, 0x200000, MEM_RAM),
        R(0x100000, 0x200000, MEM_RAM),
        R(0x300000, 0x400000, MEM_RESERVED),
        R(0x300000, 0x400000, MEM_RESERVED),
    };
    static const struct exp e[] = {
        { 0x100000, 0x200000, MEM_RAM },
        { 0x300000, 0x400000, MEM_RESERVED },
    };
    (void)state;

    check_out(SAN(in, BOOT_MEM_MAX), e, ARRAY_SIZE(e));
}

static void test_adjacent_merged(void **state)
{
    struct mem_range in[] = {
        R(0x3000, 0x4000, MEM_RAM),
        R(0x0, 0x1000, MEM_RAM),
        R(0x1000, 0x2000, MEM_RAM),
        R(0x2000, 0x3000, MEM_RAM),
        R(0x4000, 0x5000, MEM_RESERVED),
        R(0x5000, 0x6000, MEM_RESERVED),
        R(0x6000, 0x7000, MEM_RAM),
        R(0x8000, 0x9000, MEM_RAM),        /* gap before it: not merged */
    };
    static const struct exp e[] = {
        { 0x0, 0x4000, MEM_RAM },
        { 0x4000, 0x6000, MEM_RESERVED },
        { 0x6000, 0x7000, MEM_RAM },
        { 0x8000, 0x9000, MEM_RAM },
    };
    (void)state;

    check_out(SAN(in, BOOT_MEM_MAX), e, ARRAY_SIZE(e));
}

static void test_zero_size_dropped(void **state)
{
    struct mem_range in[] = {
        { .start = 0x5000, .size = 0, .type = MEM_RESERVED },     /* inside RAM: no effect */
        R(0x0, 0x10000, MEM_RAM),
        { .start = 0x20000, .size = 0, .type = MEM_RAM },
        { .start = 0, .size = 0, .type = MEM_RAM },
    };
    static const struct exp e[] = {
        { 0x0, 0x10000, MEM_RAM },
    };
    (void)state;

    check_out(SAN(in, BOOT_MEM_MAX), e, ARRAY_SIZE(e));
}

static void test_wrap_clipped(void **state)
{
    struct mem_range in[] = {
        R(0x0, 0x1000, MEM_RAM),
        { .start = 0xfffffffffff00000ULL, .size = 0x200000, .type = MEM_RAM },
    };
    static const struct exp e[] = {
        { 0x0, 0x1000, MEM_RAM },
        { 0xfffffffffff00000ULL, UINT64_MAX, MEM_RAM },
    };
    unsigned int n;
    (void)state;

    n = SAN(in, BOOT_MEM_MAX);
    check_out(n, e, ARRAY_SIZE(e));
    assert_true(buf.out[1].start + buf.out[1].size >= buf.out[1].start);   /* no wrap out */
    assert_true(harness_log_has("wraps past 2^64"));
}

static void test_wrap_huge_size(void **state)
{
    /* a reserved range with a size of ~0 covers everything above its start */
    struct mem_range in[] = {
        R(0x0, 0x100000000ULL, MEM_RAM),
        { .start = 0x80000000ULL, .size = UINT64_MAX, .type = MEM_RESERVED },
    };
    static const struct exp e[] = {
        { 0x0, 0x80000000ULL, MEM_RAM },
        { 0x80000000ULL, UINT64_MAX, MEM_RESERVED },
    };
    (void)state;

    check_out(SAN(in, BOOT_MEM_MAX), e, ARRAY_SIZE(e));
}

static void test_unknown_type_beats_ram(void **state)
{
    struct mem_range in[] = {
        R(0x0, 0x100000, MEM_RAM),
        R(0x40000, 0x50000, 12),          /* e.g. persistent memory */
        R(0x60000, 0x70000, 0xdead),
    };
    (void)state;

    unsigned int n = SAN(in, BOOT_MEM_MAX);
    static const struct exp e[] = {
        { 0x0, 0x40000, MEM_RAM },
        { 0x40000, 0x50000, 12 },
        { 0x50000, 0x60000, MEM_RAM },
        { 0x60000, 0x70000, 0xdead },
        { 0x70000, 0x100000, MEM_RAM },
    };
    check_out(n, e, ARRAY_SIZE(e));

    /* and stronger than ACPI, NVS and unusable too */
    struct mem_range in2[] = {
        R(0x0, 0x4000, MEM_ACPI),
        R(0x1000, 0x2000, 9),
        R(0x4000, 0x8000, MEM_UNUSABLE),
        R(0x5000, 0x6000, 9),
    };
    static const struct exp e2[] = {
        { 0x0, 0x1000, MEM_ACPI },
        { 0x1000, 0x2000, 9 },
        { 0x2000, 0x4000, MEM_ACPI },
        { 0x4000, 0x5000, MEM_UNUSABLE },
        { 0x5000, 0x6000, 9 },
        { 0x6000, 0x8000, MEM_UNUSABLE },
    };
    setup(NULL);
    check_out(SAN(in2, BOOT_MEM_MAX), e2, ARRAY_SIZE(e2));
}

static void test_acpi_vs_ram(void **state)
{
    struct mem_range in[] = {
        R(0x7fe0000, 0x8000000, MEM_ACPI),
        R(0x100000, 0x8000000, MEM_RAM),    /* the loader also calls it RAM */
        R(0x7ff0000, 0x8010000, MEM_NVS),   /* NVS beats ACPI */
    };
    static const struct exp e[] = {
        { 0x100000, 0x7fe0000, MEM_RAM },
        { 0x7fe0000, 0x7ff0000, MEM_ACPI },
        { 0x7ff0000, 0x8010000, MEM_NVS },
    };
    (void)state;

    check_out(SAN(in, BOOT_MEM_MAX), e, ARRAY_SIZE(e));
}

static void test_out_max_small(void **state)
{
    /* five alternating ranges, room for three */
    struct mem_range in[] = {
        R(0x0, 0x1000, MEM_RAM),
        R(0x1000, 0x2000, MEM_RESERVED),
        R(0x2000, 0x3000, MEM_RAM),
        R(0x3000, 0x4000, MEM_RESERVED),
        R(0x4000, 0x5000, MEM_RAM),
    };
    static const struct exp e[] = {
        { 0x0, 0x1000, MEM_RAM },
        { 0x1000, 0x2000, MEM_RESERVED },
        { 0x2000, 0x3000, MEM_RAM },
    };
    (void)state;

    check_out(SAN(in, 3), e, ARRAY_SIZE(e));
    assert_true(harness_log_has("more than 3 ranges"));

    setup(NULL);
    assert_int_equal(SAN(in, 0), 0);
    check_untouched_from(0);
    assert_true(harness_log_has("dropping"));

    setup(NULL);
    check_out(SAN(in, 1), e, 1);
}

static void test_out_max_full_map(void **state)
{
    /* BOOT_MEM_MAX disjoint ranges in, with a gap between each: all fit exactly */
    static struct mem_range in[BOOT_MEM_MAX];
    unsigned int n;
    (void)state;

    for (unsigned int i = 0; i < BOOT_MEM_MAX; i++) {
        /* reversed order */
        unsigned int k = BOOT_MEM_MAX - 1 - i;
        in[i] = (struct mem_range){ .start = (uint64_t)k * 0x10000, .size = 0x8000,
                                    .type = k % 2 ? MEM_RESERVED : MEM_RAM };
    }
    n = memmap_sanitize(in, BOOT_MEM_MAX, buf.out, BOOT_MEM_MAX);
    assert_int_equal(n, BOOT_MEM_MAX);
    for (unsigned int k = 0; k < BOOT_MEM_MAX; k++) {
        assert_true(buf.out[k].start == (uint64_t)k * 0x10000);
        assert_true(buf.out[k].size == 0x8000);
        assert_int_equal(buf.out[k].type, k % 2 ? MEM_RESERVED : MEM_RAM);
    }
    check_untouched_from(BOOT_MEM_MAX);
    assert_false(harness_log_has("dropping"));

    /* one fewer slot: the last one is dropped with a warning, nothing written past it */
    setup(NULL);
    n = memmap_sanitize(in, BOOT_MEM_MAX, buf.out, BOOT_MEM_MAX - 1);
    assert_int_equal(n, BOOT_MEM_MAX - 1);
    check_untouched_from(BOOT_MEM_MAX - 1);
    assert_true(harness_log_has("dropping"));
}

static void test_full_map_overlapping(void **state)
{
    /*
     * BOOT_MEM_MAX ranges that all overlap: RAM everywhere plus reserved
     * pages; more intervals come out than the output has room for.
     */
    static struct mem_range in[BOOT_MEM_MAX];
    unsigned int n;
    (void)state;

    in[0] = (struct mem_range){ .start = 0, .size = 0x1000000, .type = MEM_RAM };
    for (unsigned int i = 1; i < BOOT_MEM_MAX; i++)
        in[i] = (struct mem_range){ .start = (uint64_t)i * 0x2000, .size = 0x1000,
                                    .type = MEM_RESERVED };
    /* (BOOT_MEM_MAX - 1) reserved + BOOT_MEM_MAX RAM pieces > BOOT_MEM_MAX */
    n = memmap_sanitize(in, BOOT_MEM_MAX, buf.out, BOOT_MEM_MAX);
    assert_int_equal(n, BOOT_MEM_MAX);
    check_sane(n);
    for (unsigned int i = 0; i < n; i++)
        assert_int_equal(buf.out[i].type, i % 2 ? MEM_RESERVED : MEM_RAM);
    check_untouched_from(BOOT_MEM_MAX);
    assert_true(harness_log_has("dropping"));
}

/* A random map against a brute-force page-by-page model. */
static uint32_t stronger(uint32_t a, uint32_t b)
{
    static const int rank[] = { 0, 1, 5, 2, 3, 4 };
    int ra = a == 0 ? 0 : a <= 5 ? rank[a] : 5;
    int rb = b == 0 ? 0 : b <= 5 ? rank[b] : 5;
    return rb > ra ? b : a;
}

static void test_random_vs_model(void **state)
{
    enum { PAGES = 256, ITER = 300 };
    uint32_t model[PAGES];
    struct mem_range in[24];
    (void)state;

    srand(12345);
    for (int it = 0; it < ITER; it++) {
        unsigned int nin = 1 + (unsigned int)rand() % 24, n;

        memset(model, 0, sizeof(model));
        for (unsigned int i = 0; i < nin; i++) {
            unsigned int s = (unsigned int)rand() % PAGES;
            unsigned int len = (unsigned int)rand() % (PAGES - s + 1);
            /* types 1..5, with RAM twice as likely; no unknown ties to keep the model exact */
            uint32_t t = (uint32_t)(rand() % 6);
            if (t == 0)
                t = MEM_RAM;
            in[i] = (struct mem_range){ .start = (uint64_t)s * 0x1000,
                                        .size = (uint64_t)len * 0x1000, .type = t };
            for (unsigned int p = s; p < s + len; p++)
                model[p] = stronger(model[p], t);
        }
        setup(NULL);
        n = memmap_sanitize(in, nin, buf.out, BOOT_MEM_MAX);
        check_sane(n);
        check_untouched_from(n);
        /* expand the output page by page and compare */
        uint32_t got[PAGES];
        memset(got, 0, sizeof(got));
        for (unsigned int i = 0; i < n; i++) {
            assert_true(buf.out[i].start % 0x1000 == 0 && buf.out[i].size % 0x1000 == 0);
            for (uint64_t p = buf.out[i].start / 0x1000;
                 p < (buf.out[i].start + buf.out[i].size) / 0x1000; p++) {
                assert_true(p < PAGES);
                got[p] = buf.out[i].type;
            }
        }
        for (unsigned int p = 0; p < PAGES; p++) {
            if (got[p] != model[p])
                fail_msg("iteration %d: page %u type %u, want %u", it, p, got[p], model[p]);
        }
    }
}

static void test_input_untouched(void **state)
{
    struct mem_range in[] = {
        R(0x100000, 0x1000000, MEM_RAM),
        R(0x400000, 0x500000, MEM_RESERVED),
        R(0x0, 0x1000, MEM_RAM),
    };
    struct mem_range copy[ARRAY_SIZE(in)];
    (void)state;

    memcpy(copy, in, sizeof(in));
    SAN(in, BOOT_MEM_MAX);
    assert_memory_equal(in, copy, sizeof(in));
}

static void test_type_names(void **state)
{
    (void)state;
    assert_string_equal(memmap_type_name(MEM_RAM), "RAM");
    assert_string_equal(memmap_type_name(MEM_RESERVED), "reserved");
    assert_string_equal(memmap_type_name(MEM_ACPI), "ACPI data");
    assert_string_equal(memmap_type_name(MEM_NVS), "ACPI NVS");
    assert_string_equal(memmap_type_name(MEM_UNUSABLE), "unusable");
    assert_string_equal(memmap_type_name(0), "unknown");
    assert_string_equal(memmap_type_name(77), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_empty, setup),
        cmocka_unit_test_setup(test_sorted_passthrough, setup),
        cmocka_unit_test_setup(test_unsorted, setup),
        cmocka_unit_test_setup(test_reserved_splits_ram, setup),
        cmocka_unit_test_setup(test_partial_overlap, setup),
        cmocka_unit_test_setup(test_nested, setup),
        cmocka_unit_test_setup(test_duplicates, setup),
        cmocka_unit_test_setup(test_adjacent_merged, setup),
        cmocka_unit_test_setup(test_zero_size_dropped, setup),
        cmocka_unit_test_setup(test_wrap_clipped, setup),
        cmocka_unit_test_setup(test_wrap_huge_size, setup),
        cmocka_unit_test_setup(test_unknown_type_beats_ram, setup),
        cmocka_unit_test_setup(test_acpi_vs_ram, setup),
        cmocka_unit_test_setup(test_out_max_small, setup),
        cmocka_unit_test_setup(test_out_max_full_map, setup),
        cmocka_unit_test_setup(test_full_map_overlapping, setup),
        cmocka_unit_test_setup(test_random_vs_model, setup),
        cmocka_unit_test_setup(test_input_untouched, setup),
        cmocka_unit_test_setup(test_type_names, setup),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
