/* Unit tests for common/time_scale.c: the TSC-to-nanosecond (mul, shift) scale. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <baton/time.h>

#define NS_PER_SEC 1000000000ULL

static const uint64_t rates[] = {
    1000000ULL,             /* 1 MHz */
    100000000ULL,           /* 100 MHz */
    1000000000ULL,          /* 1 GHz */
    1999000000ULL,          /* 1.999 GHz */
    2000000000ULL,          /* 2 GHz */
    2400000000ULL,          /* 2.4 GHz */
    3000000000ULL,          /* 3 GHz */
    10000000000ULL,         /* 10 GHz */
    /* odd rates as a calibration really gives them */
    2893437123ULL,
    1000000001ULL,
    3579545ULL,             /* ACPI PM timer */
    1193182ULL,             /* PIT */
    32768ULL,
    1ULL,
    ~0ULL,
};

/* |got - want| <= want * ppm / 1e6, without overflow */
static void assert_close_ppm(uint64_t got, unsigned __int128 want, unsigned int ppm, uint64_t hz)
{
    unsigned __int128 diff = got > want ? got - want : want - got;

    if (diff * 1000000 > want * ppm)
        fail_msg("%llu Hz: got %llu ns, want %llu ns (off by %llu)",
                 (unsigned long long)hz, (unsigned long long)got,
                 (unsigned long long)want, (unsigned long long)diff);
}

/* The exact answer: delta / hz seconds in ns. */
static unsigned __int128 exact_ns(uint64_t delta, uint64_t hz)
{
    return (unsigned __int128)delta * NS_PER_SEC / hz;
}

static void test_scale_shape(void **state)
{
    struct time_scale ts;
    (void)state;

    for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
        time_scale_from_hz(&ts, rates[i]);
        /* the fraction is normalised to [0.5, 1): full 32-bit precision */
        assert_true(ts.mul >= 0x80000000u);
        assert_true(ts.shift >= -34 && ts.shift <= 32);
    }

    time_scale_from_hz(&ts, 2000000000ULL);
    assert_int_equal(ts.mul, 0x80000000u);
    assert_int_equal(ts.shift, 0);
    time_scale_from_hz(&ts, 1000000000ULL);
    assert_int_equal(ts.mul, 0x80000000u);
    assert_int_equal(ts.shift, 1);
    time_scale_from_hz(&ts, 4000000000ULL);
    assert_int_equal(ts.mul, 0x80000000u);
    assert_int_equal(ts.shift, -1);
}

static void test_one_second(void **state)
{
    struct time_scale ts;
    (void)state;

    for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
        uint64_t hz = rates[i];
        uint64_t ns;

        if (hz < 1000 || hz == ~0ULL)
            continue;           /* too coarse or too fast for a 1 ppm second; see below */
        time_scale_from_hz(&ts, hz);
        ns = time_scale_apply(hz, &ts);
        assert_close_ppm(ns, NS_PER_SEC, 1, hz);
        /* and a second is never more than a second */
        assert_true(ns <= NS_PER_SEC);
    }
}

static void test_exact_rates(void **state)
{
    struct time_scale ts;
    (void)state;

    /* rates that are powers of two times 1 GHz convert exactly */
    time_scale_from_hz(&ts, 1000000000ULL);
    assert_true(time_scale_apply(1000000000ULL, &ts) == NS_PER_SEC);
    assert_true(time_scale_apply(1, &ts) == 1);
    assert_true(time_scale_apply(123456789, &ts) == 123456789);
    time_scale_from_hz(&ts, 2000000000ULL);
    assert_true(time_scale_apply(2000000000ULL, &ts) == NS_PER_SEC);
    assert_true(time_scale_apply(2, &ts) == 1);
    /* 1 MHz: a tick is 1000 ns, to within the 32-bit fraction */
    time_scale_from_hz(&ts, 1000000ULL);
    assert_true(time_scale_apply(1, &ts) >= 999 && time_scale_apply(1, &ts) <= 1000);
    assert_true(time_scale_apply(0, &ts) == 0);
}

static void test_small_deltas(void **state)
{
    struct time_scale ts;
    (void)state;

    /* 1 ms and 1 us at every rate, to within one ns plus 1 ppm */
    for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
        uint64_t hz = rates[i];
        if (hz < 1000000)
            continue;
        time_scale_from_hz(&ts, hz);
        for (uint64_t div = 1000; div <= 1000000; div *= 1000) {
            uint64_t delta = hz / div;
            uint64_t got = time_scale_apply(delta, &ts);
            unsigned __int128 want = exact_ns(delta, hz);
            unsigned __int128 diff = got > want ? got - want : want - got;
            assert_true(diff <= 1 + want / 1000000);
        }
    }
}

static void test_large_deltas(void **state)
{
    static const uint64_t seconds[] = {
        3600, 10 * 3600, 24 * 3600, 365ULL * 24 * 3600, 10 * 365ULL * 24 * 3600,
    };
    struct time_scale ts;
    (void)state;

    for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
        uint64_t hz = rates[i];
        if (hz < 1000 || hz == ~0ULL)
            continue;
        time_scale_from_hz(&ts, hz);
        for (size_t k = 0; k < sizeof(seconds) / sizeof(seconds[0]); k++) {
            unsigned __int128 ticks = (unsigned __int128)hz * seconds[k];
            uint64_t got;
            if (ticks > UINT64_MAX)
                continue;
            got = time_scale_apply((uint64_t)ticks, &ts);
            assert_close_ppm(got, (unsigned __int128)seconds[k] * NS_PER_SEC, 1, hz);
        }
    }
}

static void test_monotonic(void **state)
{
    struct time_scale ts;
    (void)state;

    for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
        uint64_t prev = 0;
        time_scale_from_hz(&ts, rates[i]);
        for (uint64_t d = 0; d < 5000; d++) {
            uint64_t ns = time_scale_apply(d, &ts);
            assert_true(ns >= prev);
            prev = ns;
        }
        /* and around a large value */
        prev = time_scale_apply(1ULL << 40, &ts);
        for (uint64_t d = (1ULL << 40) + 1; d < (1ULL << 40) + 1000; d++) {
            uint64_t ns = time_scale_apply(d, &ts);
            assert_true(ns >= prev);
            prev = ns;
        }
    }
}

static void test_extreme_rates(void **state)
{
    struct time_scale ts;
    uint64_t ns;
    (void)state;

    /* 1 Hz: one tick is a second */
    time_scale_from_hz(&ts, 1);
    ns = time_scale_apply(1, &ts);
    assert_close_ppm(ns, NS_PER_SEC, 1, 1);
    ns = time_scale_apply(3600, &ts);
    assert_close_ppm(ns, 3600 * NS_PER_SEC, 1, 1);

    /* the fastest rate representable: 2^64 - 1 ticks is about a second */
    time_scale_from_hz(&ts, ~0ULL);
    ns = time_scale_apply(~0ULL, &ts);
    assert_close_ppm(ns, NS_PER_SEC, 1, ~0ULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scale_shape),
        cmocka_unit_test(test_one_second),
        cmocka_unit_test(test_exact_rates),
        cmocka_unit_test(test_small_deltas),
        cmocka_unit_test(test_large_deltas),
        cmocka_unit_test(test_monotonic),
        cmocka_unit_test(test_extreme_rates),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
