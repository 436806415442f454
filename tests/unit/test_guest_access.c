/*
 * Unit tests for common/guest_access.c: gpfn translation through extents
 * listed out of order with holes, copies that straddle pages and extents,
 * and every way a range can be bad (-EFAULT, nothing copied). Machine
 * memory is the host buffer of core_fakes.h, every byte of it patterned so
 * a copy from the wrong frame shows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <baton/domain.h>
#include <baton/errno.h>
#include "core_fakes.h"
#include "harness.h"

#define NR_GPFNS   16u
#define MEM_SIZE   ((uint64_t)NR_GPFNS << PAGE_SHIFT)
#define NO_PAGE    (~0u)

/*
 * The layout, independent of the code under test: gpfn -> machine page
 * index in the fake memory. gpfn 0 and 6..7 are holes.
 */
static const unsigned int model[NR_GPFNS] = {
    NO_PAGE, 200, 201, 202, 50, 51, NO_PAGE, NO_PAGE,
    100, 101, 102, 103, 300, 301, 302, 303,
};

static struct domain *d;

static uint8_t pattern(unsigned int page, unsigned int off)
{
    return (uint8_t)(page * 31 + off * 7 + 3);
}

static int setup(void **state)
{
    (void)state;
    harness_log_clear();
    core_fake_reset();
    for (unsigned int p = 0; p < 400; p++)
        for (unsigned int o = 0; o < PAGE_SIZE; o++)
            core_fake_page(p)[o] = pattern(p, o);
    d = core_fake_domain(3, 1);
    d->mem_size = MEM_SIZE;
    d->nr_extents = 4;
    /* deliberately not in gpfn order; 3 -> 4 is contiguous in gpfns only */
    d->extents[0] = (struct mem_extent){ 8, CORE_FAKE_PHYS_PFN(100), 4 };
    d->extents[1] = (struct mem_extent){ 1, CORE_FAKE_PHYS_PFN(200), 3 };
    d->extents[2] = (struct mem_extent){ 12, CORE_FAKE_PHYS_PFN(300), 4 };
    d->extents[3] = (struct mem_extent){ 4, CORE_FAKE_PHYS_PFN(50), 2 };
    return 0;
}

/* Host address of guest byte gva, by the model. */
static uint8_t *model_ptr(uint64_t gva)
{
    unsigned int page = model[gva >> PAGE_SHIFT];

    assert_int_not_equal(page, NO_PAGE);
    return core_fake_page(page) + (gva & ~PAGE_MASK);
}

/* --------------------------------------------------------- translation */

static void test_gpfn_to_mfn(void **state)
{
    (void)state;
    for (unsigned int g = 0; g < NR_GPFNS; g++) {
        uint64_t want = model[g] == NO_PAGE ? INVALID_MFN : CORE_FAKE_PHYS_PFN(model[g]);
        assert_int_equal(guest_gpfn_to_mfn(d, g), want);
    }
    assert_int_equal(guest_gpfn_to_mfn(d, NR_GPFNS), INVALID_MFN);
    assert_int_equal(guest_gpfn_to_mfn(d, UINT64_MAX), INVALID_MFN);
    assert_int_equal(guest_gpfn_to_mfn(d, UINT64_C(1) << 52), INVALID_MFN);
    /* only the first nr_extents count */
    d->nr_extents = 2;
    assert_int_equal(guest_gpfn_to_mfn(d, 12), INVALID_MFN);
    assert_int_equal(guest_gpfn_to_mfn(d, 4), INVALID_MFN);
    assert_int_equal(guest_gpfn_to_mfn(d, 3), CORE_FAKE_PHYS_PFN(202));
}

static void test_gpfn_extent_near_top(void **state)
{
    (void)state;
    /* gpfn + count would wrap: only gpfns inside the extent match */
    d->extents[0] = (struct mem_extent){ UINT64_MAX - 1, CORE_FAKE_PHYS_PFN(7), 2 };
    assert_int_equal(guest_gpfn_to_mfn(d, UINT64_MAX), CORE_FAKE_PHYS_PFN(8));
    assert_int_equal(guest_gpfn_to_mfn(d, UINT64_MAX - 1), CORE_FAKE_PHYS_PFN(7));
    assert_int_equal(guest_gpfn_to_mfn(d, UINT64_MAX - 2), INVALID_MFN);
    assert_int_equal(guest_gpfn_to_mfn(d, 8), INVALID_MFN);
    assert_int_equal(guest_gpfn_to_mfn(d, 0), INVALID_MFN);
}

/* ------------------------------------------------------------- reading */

/* copy_from_guest of [gva, gva + len) equals the model's bytes. */
static void read_and_compare(uint64_t gva, size_t len)
{
    static uint8_t buf[NR_GPFNS * 4096 + 16];

    assert_true(len + 16 <= sizeof(buf));
    memset(buf, 0xa5, sizeof(buf));
    assert_int_equal(copy_from_guest(d, buf, gva, len), 0);
    for (size_t i = 0; i < len; i++)
        if (buf[i] != *model_ptr(gva + i))
            fail_msg("gva 0x%llx len %zu: byte %zu is 0x%02x, want 0x%02x",
                     (unsigned long long)gva, len, i, buf[i], *model_ptr(gva + i));
    for (size_t i = len; i < len + 16; i++)
        assert_int_equal(buf[i], 0xa5);   /* not one byte more */
}

static void test_read_in_page(void **state)
{
    (void)state;
    read_and_compare(0x1000, 1);
    read_and_compare(0x1000, 4096);
    read_and_compare(0x8123, 100);
    read_and_compare(0xffff, 1);           /* the last byte of guest memory */
    read_and_compare(0xf000, 4096);
}

static void test_read_straddles(void **state)
{
    (void)state;
    read_and_compare(0x1ff8, 16);          /* page boundary inside an extent */
    read_and_compare(0x3ff8, 16);          /* gpfn 3 -> 4: another extent, far away */
    read_and_compare(0x3fff, 2);
    read_and_compare(0xbffc, 8);           /* gpfn 11 -> 12: extent 0 -> extent 2 */
    read_and_compare(0x1800, 0x4000);      /* gpfn 1..5, two extents */
    read_and_compare(0x8001, 0x7fff);      /* gpfn 8..15 up to the very end */
}

/* ------------------------------------------------------------- writing */

static void test_write_straddles(void **state)
{
    uint8_t src[0x2000];

    (void)state;
    for (unsigned int i = 0; i < sizeof(src); i++)
        src[i] = (uint8_t)(0x80 ^ (i * 13));
    /* gpfn 3 -> 4 -> 5: machine pages 202, 50, 51 */
    assert_int_equal(copy_to_guest(d, 0x3ff8, src, sizeof(src)), 0);
    for (unsigned int i = 0; i < sizeof(src); i++)
        assert_int_equal(*model_ptr(0x3ff8 + i), src[i]);
    /* neighbours untouched: the byte before, the byte after, and the machine
     * page right after 202 (gpfn 4 is not there) */
    assert_int_equal(*model_ptr(0x3ff7), pattern(202, 0xff7));
    assert_int_equal(*model_ptr(0x3ff8 + sizeof(src)), pattern(51, 0xff8));
    for (unsigned int o = 0; o < PAGE_SIZE; o++)
        assert_int_equal(core_fake_page(203)[o], pattern(203, o));
    /* gpfn 11 -> 12 */
    assert_int_equal(copy_to_guest(d, 0xbffe, "wxyz", 4), 0);
    assert_memory_equal(core_fake_page(103) + 0xffe, "wx", 2);
    assert_memory_equal(core_fake_page(300), "yz", 2);
    assert_int_equal(core_fake_page(104)[0], pattern(104, 0));
}

static void test_write_to_end(void **state)
{
    (void)state;
    assert_int_equal(copy_to_guest(d, MEM_SIZE - 3, "abc", 3), 0);
    assert_memory_equal(core_fake_page(303) + 0xffd, "abc", 3);
    assert_int_equal(core_fake_page(304)[0], pattern(304, 0));
    assert_int_equal(copy_to_guest(d, 0x1000, "Q", 1), 0);
    assert_int_equal(core_fake_page(200)[0], 'Q');
    assert_int_equal(core_fake_page(199)[0xfff], pattern(199, 0xfff));
}

/* ---------------------------------------------------------- bad ranges */

/* Both directions fail with -EFAULT and copy nothing. */
static void expect_fault(uint64_t gva, size_t len)
{
    static uint8_t buf[0x3000];
    static uint8_t before[400 * 4096];

    /* (a huge len only matters if the check is wrong: then the test crashes) */
    memset(buf, 0x5a, sizeof(buf));
    memcpy(before, core_fake_page(0), sizeof(before));
    if (copy_from_guest(d, buf, gva, len) != -BATON_EFAULT)
        fail_msg("copy_from_guest(0x%llx, %zu) did not fault", (unsigned long long)gva, len);
    for (size_t i = 0; i < sizeof(buf); i++)
        if (buf[i] != 0x5a)
            fail_msg("copy_from_guest(0x%llx, %zu) faulted but wrote byte %zu of the destination",
                     (unsigned long long)gva, len, i);
    memset(buf, 0xc3, sizeof(buf));
    if (copy_to_guest(d, gva, buf, len) != -BATON_EFAULT)
        fail_msg("copy_to_guest(0x%llx, %zu) did not fault", (unsigned long long)gva, len);
    if (memcmp(before, core_fake_page(0), sizeof(before)))
        fail_msg("copy_to_guest(0x%llx, %zu) faulted but changed guest memory",
                 (unsigned long long)gva, len);
}

static void test_fault_low(void **state)
{
    (void)state;
    expect_fault(0, 1);
    expect_fault(0, 0x2000);               /* from page 0 into good memory */
    expect_fault(0xfff, 1);
    expect_fault(0xfff, 2);
    expect_fault(1, 0);                    /* len 0 at a bad address: still a bad pointer */
}

static void test_fault_high(void **state)
{
    (void)state;
    expect_fault(MEM_SIZE, 1);
    expect_fault(MEM_SIZE - 1, 2);
    expect_fault(MEM_SIZE - 0x10, 0x11);
    expect_fault(MEM_SIZE + 1, 0);
    expect_fault(UINT64_MAX, 1);
    expect_fault(UINT64_C(1) << 47, 8);
}

static void test_fault_len_overflow(void **state)
{
    (void)state;
    /* gva + len wraps around to a small, harmless-looking end */
    expect_fault(0x1000, SIZE_MAX);
    expect_fault(MEM_SIZE - 1, SIZE_MAX);
    expect_fault(0x2000, (size_t)0 - 0x1000);
}

static void test_fault_hole(void **state)
{
    (void)state;
    expect_fault(0x6000, 1);               /* inside the hole */
    expect_fault(0x7fff, 1);
    expect_fault(0x7ff0, 0x20);            /* starts in the hole, ends in memory */
}

/* The range starts in backed memory and runs into the hole at gpfn 6:
 * the copy must fail before it moves a byte. */
static void test_fault_into_hole(void **state)
{
    (void)state;
    expect_fault(0x5ff0, 0x20);
    expect_fault(0x4000, 0x2001);
    expect_fault(0x5000, 0x3000);          /* across the whole hole into gpfn 8 */
}

static void test_len_zero(void **state)
{
    uint8_t buf[4] = { 1, 2, 3, 4 };
    uint8_t before = *model_ptr(0x1000);

    (void)state;
    assert_int_equal(copy_from_guest(d, buf, 0x1000, 0), 0);
    assert_memory_equal(buf, ((uint8_t[]){ 1, 2, 3, 4 }), 4);
    assert_int_equal(copy_to_guest(d, 0x1000, buf, 0), 0);
    assert_int_equal(*model_ptr(0x1000), before);
    /* the empty range at the very end is inside guest memory */
    assert_int_equal(copy_from_guest(d, buf, MEM_SIZE, 0), 0);
    assert_int_equal(copy_to_guest(d, MEM_SIZE, buf, 0), 0);
    assert_memory_equal(buf, ((uint8_t[]){ 1, 2, 3, 4 }), 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_gpfn_to_mfn, setup),
        cmocka_unit_test_setup(test_gpfn_extent_near_top, setup),
        cmocka_unit_test_setup(test_read_in_page, setup),
        cmocka_unit_test_setup(test_read_straddles, setup),
        cmocka_unit_test_setup(test_write_straddles, setup),
        cmocka_unit_test_setup(test_write_to_end, setup),
        cmocka_unit_test_setup(test_fault_low, setup),
        cmocka_unit_test_setup(test_fault_high, setup),
        cmocka_unit_test_setup(test_fault_len_overflow, setup),
        cmocka_unit_test_setup(test_fault_hole, setup),
        cmocka_unit_test_setup(test_fault_into_hole, setup),
        cmocka_unit_test_setup(test_len_zero, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
