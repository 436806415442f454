/*
 * Unit tests for arch/x86/tsc_calibrate.c: what Baton believes of CPUID's
 * frequency leaves and of a PIT channel 0 read-back, garbage included.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <asm/tsc_calibrate.h>
#include <baton/errno.h>

static char why[256];

static void assert_why(const char *text)
{
    if (!strstr(why, text))
        fail_msg("reason '%s' does not say '%s'", why, text);
}

/* ------------------------------------------------------------ hypervisor leaf */

static struct tsc_cpuid hv(uint32_t max, uint32_t khz)
{
    return (struct tsc_cpuid){ .max_basic = 0xd, .hypervisor = true, .hv_max = max,
                               .hv_tsc_khz = khz };
}

static void test_hv_leaf_used(void **state)
{
    struct tsc_cpuid c = hv(0x40000010, 2096029);
    uint64_t hz = 0;

    (void)state;
    assert_int_equal(tsc_hz_from_hv_leaf(&c, &hz, why, sizeof(why)), 0);
    assert_int_equal(hz, 2096029000ULL);
}

static void test_hv_leaf_absent(void **state)
{
    struct tsc_cpuid c = hv(0x40000001, 2096029);   /* KVM's usual max leaf */
    uint64_t hz = 0;

    (void)state;
    assert_int_equal(tsc_hz_from_hv_leaf(&c, &hz, why, sizeof(why)), -BATON_ENOENT);
    assert_why("max leaf 0x40000001");
    c.hypervisor = false;
    c.hv_max = 0x40000010;
    assert_int_equal(tsc_hz_from_hv_leaf(&c, &hz, why, sizeof(why)), -BATON_ENOENT);
    assert_why("no hypervisor");
    /* a max leaf that is garbage, not a hypervisor range */
    c = hv(0xffffffff, 2096029);
    assert_int_equal(tsc_hz_from_hv_leaf(&c, &hz, why, sizeof(why)), -BATON_ENOENT);
    c = hv(0x12345678, 2096029);
    assert_int_equal(tsc_hz_from_hv_leaf(&c, &hz, why, sizeof(why)), -BATON_ENOENT);
    assert_int_equal(hz, 0);
}

static void test_hv_leaf_garbage(void **state)
{
    static const uint32_t bad_khz[] = { 0, 1, 999, 100000001, 0xffffffff };
    uint64_t hz = 0;

    (void)state;
    for (unsigned int i = 0; i < sizeof(bad_khz) / sizeof(bad_khz[0]); i++) {
        struct tsc_cpuid c = hv(0x40000010, bad_khz[i]);

        assert_int_equal(tsc_hz_from_hv_leaf(&c, &hz, why, sizeof(why)), -BATON_EINVAL);
        assert_why("expected 1000..100000000 kHz");
    }
    assert_int_equal(hz, 0);
}

/* ------------------------------------------------------------ leaves 0x15 / 0x16 */

static struct tsc_cpuid l15(uint32_t max, uint32_t den, uint32_t num, uint32_t crystal,
                            uint32_t base_mhz)
{
    return (struct tsc_cpuid){ .max_basic = max, .l15_eax = den, .l15_ebx = num,
                               .l15_ecx = crystal, .l16_eax = base_mhz };
}

static void test_cpuid15_crystal(void **state)
{
    struct tsc_cpuid c = l15(0x16, 2, 176, 24000000, 2100);   /* 24 MHz * 88 */
    const char *source = NULL;
    uint64_t hz = 0;

    (void)state;
    assert_int_equal(tsc_hz_from_cpuid_leaves(&c, &hz, &source, why, sizeof(why)), 0);
    assert_int_equal(hz, 2112000000ULL);
    assert_string_equal(source, "cpuid-0x15");
}

static void test_cpuid16_when_no_crystal(void **state)
{
    struct tsc_cpuid c = l15(0x16, 2, 176, 0, 2100);
    const char *source = NULL;
    uint64_t hz = 0;

    (void)state;
    assert_int_equal(tsc_hz_from_cpuid_leaves(&c, &hz, &source, why, sizeof(why)), 0);
    assert_int_equal(hz, 2100000000ULL);
    assert_string_equal(source, "cpuid-0x16");
    /* no leaf 0x16 to fall back on */
    c.max_basic = 0x15;
    hz = 0;
    assert_int_equal(tsc_hz_from_cpuid_leaves(&c, &hz, &source, why, sizeof(why)), -BATON_ENOENT);
    assert_why("has no 0x16");
    assert_int_equal(hz, 0);
}

static void test_cpuid15_absent(void **state)
{
    struct tsc_cpuid c = l15(0xd, 2, 176, 24000000, 2100);   /* TCG's qemu64 and max: 0xd */
    const char *source = NULL;
    uint64_t hz = 0;

    (void)state;
    assert_int_equal(tsc_hz_from_cpuid_leaves(&c, &hz, &source, why, sizeof(why)), -BATON_ENOENT);
    assert_why("max basic leaf 0xd");
    /* present but zero: what QEMU's -cpu max answers for 0x15 */
    c = l15(0x1f, 0, 0, 0, 0);
    assert_int_equal(tsc_hz_from_cpuid_leaves(&c, &hz, &source, why, sizeof(why)), -BATON_ENOENT);
    assert_why("no TSC/crystal ratio");
    c = l15(0x1f, 0, 176, 24000000, 0);     /* a zero denominator is no ratio */
    assert_int_equal(tsc_hz_from_cpuid_leaves(&c, &hz, &source, why, sizeof(why)), -BATON_ENOENT);
    c = l15(0x1f, 2, 0, 24000000, 0);
    assert_int_equal(tsc_hz_from_cpuid_leaves(&c, &hz, &source, why, sizeof(why)), -BATON_ENOENT);
    assert_int_equal(hz, 0);
}

static void test_cpuid15_garbage(void **state)
{
    static const struct { uint32_t den, num, crystal, base; } bad[] = {
        { 1, 1, 1, 0 },                     /* 1 Hz */
        { 0xffffffff, 1, 24000000, 0 },     /* under 1 Hz */
        { 1, 0xffffffff, 0xffffffff, 0 },   /* 1.8e19 Hz */
        { 1, 5000, 24000000, 0 },           /* 120 GHz */
        { 2, 176, 0, 0xffffffff },          /* base 4 PHz */
        { 2, 176, 0, 0 },                   /* base 0 */
    };
    const char *source = NULL;
    uint64_t hz = 0;

    (void)state;
    for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct tsc_cpuid c = l15(0x16, bad[i].den, bad[i].num, bad[i].crystal, bad[i].base);

        assert_int_equal(tsc_hz_from_cpuid_leaves(&c, &hz, &source, why, sizeof(why)),
                         -BATON_EINVAL);
        assert_why("expected 1");
    }
    assert_int_equal(hz, 0);
}

/* ------------------------------------------------------------ PIT window */

/*
 * A window over a PIT running at PIT_HZ and a TSC at tsc_hz from count
 * start, read every step PIT ticks, for `ticks` ticks in all.
 */
static uint64_t simulate(uint64_t tsc_hz, uint16_t start, uint64_t ticks, uint64_t step)
{
    struct pit_window w;
    uint64_t t = 0;

    pit_window_start(&w, 1000000, start);
    while (t < ticks) {
        t = t + step > ticks ? ticks : t + step;
        pit_window_poll(&w, 1000000 + t * tsc_hz / PIT_HZ, (uint16_t)(start - t));
    }
    assert_int_equal(w.ticks, ticks);
    return pit_window_hz(&w, why, sizeof(why));
}

static void test_pit_window_rates(void **state)
{
    static const uint64_t rates[] = { 1100000, 1193182, 2096029000, 3000000000, 99000000000 };

    (void)state;
    for (unsigned int i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
        uint64_t hz = simulate(rates[i], 0x1234, 11931, 7);
        uint64_t diff = hz > rates[i] ? hz - rates[i] : rates[i] - hz;

        if (diff * 5000 > rates[i])     /* 200 ppm: the simulated TSC is whole ticks */
            fail_msg("%llu Hz measured as %llu", (unsigned long long)rates[i],
                     (unsigned long long)hz);
    }
}

static void test_pit_window_wraps(void **state)
{
    uint64_t hz;

    (void)state;
    /* from 5 down through 0 and the reload at 65536, several times over */
    hz = simulate(2096029000, 5, 3 * 65536 + 100, 1000);
    assert_true(hz > 2096000000 && hz < 2096060000);
    /* a reading of 0 is 65536 in mode 2 */
    hz = simulate(2096029000, 0, 20000, 1);
    assert_true(hz > 2096000000 && hz < 2096060000);
}

static void test_pit_window_garbage(void **state)
{
    struct pit_window w;

    (void)state;
    /* a counter that never moves: no PIT (the bus floats at 0xffff) */
    pit_window_start(&w, 100, 0xffff);
    for (int i = 0; i < 1000; i++)
        pit_window_poll(&w, 100 + i * 50, 0xffff);
    assert_int_equal(w.ticks, 0);
    assert_int_equal(w.still, 1000);
    assert_int_equal(pit_window_hz(&w, why, sizeof(why)), 0);
    assert_why("never moved from 65535");
    /* a TSC that does not move, or goes back */
    pit_window_start(&w, 5000, 100);
    pit_window_poll(&w, 5000, 50);
    assert_int_equal(pit_window_hz(&w, why, sizeof(why)), 0);
    assert_why("the TSC went from 5000 to 5000");
    pit_window_start(&w, 5000, 100);
    pit_window_poll(&w, 4000, 50);
    assert_int_equal(pit_window_hz(&w, why, sizeof(why)), 0);
    /* rates out of range either way */
    pit_window_start(&w, 0, 100);
    pit_window_poll(&w, 1, 50);
    assert_int_equal(pit_window_hz(&w, why, sizeof(why)), 0);
    assert_why("expected 1000000..100000000000 Hz");
    pit_window_start(&w, 0, 100);
    pit_window_poll(&w, UINT64_MAX / 2, 99);
    assert_int_equal(pit_window_hz(&w, why, sizeof(why)), 0);
    assert_why("expected 1000000..100000000000 Hz");
}

/* ------------------------------------------------------------ agreement */

static void test_agreed(void **state)
{
    (void)state;
    assert_int_equal(tsc_hz_agreed((uint64_t[]){ 2096000000, 2096100000, 2095900000 }), 2096000000);
    /* one window ruined (a missed wrap: rate overstated), two agree */
    assert_int_equal(tsc_hz_agreed((uint64_t[]){ 13000000000, 2096100000, 2096000000 }), 2096100000);
    assert_int_equal(tsc_hz_agreed((uint64_t[]){ 2096100000, 0, 2096000000 }), 2096000000);
    /* within 0.2%: 2096 MHz +- 4.19 MHz */
    assert_int_equal(tsc_hz_agreed((uint64_t[]){ 2000000000, 2004000000, 3000000000 }), 2004000000);
    assert_int_equal(tsc_hz_agreed((uint64_t[]){ 2000000000, 2004100000, 3000000000 }), 0);
    assert_int_equal(tsc_hz_agreed((uint64_t[]){ 0, 0, 2096000000 }), 0);
    assert_int_equal(tsc_hz_agreed((uint64_t[]){ 0, 0, 0 }), 0);
    assert_int_equal(tsc_hz_agreed((uint64_t[]){ 1000000, 2096000000, 99000000000 }), 0);
}

static void test_median(void **state)
{
    (void)state;
    assert_int_equal(tsc_hz_median((uint64_t[]){ 3000000000, 1000000000, 2000000000 }), 2000000000);
    assert_int_equal(tsc_hz_median((uint64_t[]){ 0, 2096000000, 0 }), 0);
    assert_int_equal(tsc_hz_median((uint64_t[]){ 0, 2096000000, 2097000000 }), 2096000000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hv_leaf_used),
        cmocka_unit_test(test_hv_leaf_absent),
        cmocka_unit_test(test_hv_leaf_garbage),
        cmocka_unit_test(test_cpuid15_crystal),
        cmocka_unit_test(test_cpuid16_when_no_crystal),
        cmocka_unit_test(test_cpuid15_absent),
        cmocka_unit_test(test_cpuid15_garbage),
        cmocka_unit_test(test_pit_window_rates),
        cmocka_unit_test(test_pit_window_wraps),
        cmocka_unit_test(test_pit_window_garbage),
        cmocka_unit_test(test_agreed),
        cmocka_unit_test(test_median),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
