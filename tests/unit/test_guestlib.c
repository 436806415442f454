/*
 * Host tests of the guest runtime's pure code (guests/lib/fmt.c, pvclock.c,
 * cmdline.c), memcheck's pattern, pingpong's rings, and the PV ABI layout.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <baton/errno.h>
#include <public/hypercall.h>
#include "fmt.h"
#include "pvclock.h"
#include "cmdline.h"
#include "pattern.h"
#include "ppring.h"

/* ------------------------------------------------------------------ fmt */

/* rt_snprintf must agree with the host's snprintf, output and length. */
#define CHECK_FMT(...) do {                                                 \
        char want[256], got[256];                                           \
        int nw = snprintf(want, sizeof(want), __VA_ARGS__);                 \
        int ng = rt_snprintf(got, sizeof(got), __VA_ARGS__);                \
        assert_string_equal(got, want);                                     \
        assert_int_equal(ng, nw);                                           \
    } while (0)

static void test_fmt_integers(void **state)
{
    (void)state;
    CHECK_FMT("%d %i %u", 0, -1, 42u);
    CHECK_FMT("%d", INT32_MIN);
    CHECK_FMT("%ld %lu", (long)INT64_MIN, (unsigned long)UINT64_MAX);
    CHECK_FMT("%lld %llu", -5LL, 5ULL);
    CHECK_FMT("%x %X %o", 0xdeadbeefu, 0xabcdefu, 0755u);
    CHECK_FMT("%lx %#lx %#x %#o %#o", 0x1234567890abcdefUL, 0xffUL, 0u, 8u, 0u);
    CHECK_FMT("%hhd %hhu %hd %hu", 300, 300, 70000, 70000);
    CHECK_FMT("%zu %zd %jd %td", (size_t)12, (ssize_t)-12, (intmax_t)-7, (ptrdiff_t)-3);
    CHECK_FMT("[%5d] [%-5d] [%05d] [%+d] [% d] [%+05d]", 42, 42, -42, 7, 7, -7);
    CHECK_FMT("[%.3d] [%8.3d] [%-8.3x] [%.0d] [%.0x]", 5, -5, 0xa, 0, 0u);
    CHECK_FMT("[%*d] [%-*d] [%.*d] [%*d]", 6, 1, 6, 2, 4, 3, -6, 4);
    CHECK_FMT("[%#10x] [%#010x] [%-#10x]", 0xbeefu, 0xbeefu, 0xbeefu);
}

static void test_fmt_strings(void **state)
{
    (void)state;
    CHECK_FMT("%s|%10s|%-10s|%.2s|%5.1s|", "abc", "abc", "abc", "abc", "abc");
    CHECK_FMT("%c%c%3c%-3c|", 'a', 'b', 'c', 'd');
    CHECK_FMT("100%% %s", "done");
    CHECK_FMT("%.*s", 3, "abcdef");
    CHECK_FMT("%p", (void *)0x1234);
    CHECK_FMT("plain text, no conversion");
}

static void test_fmt_truncation(void **state)
{
    char buf[8];
    (void)state;

    memset(buf, 'x', sizeof(buf));
    assert_int_equal(rt_snprintf(buf, 5, "%s", "abcdefgh"), 8);
    assert_string_equal(buf, "abcd");
    assert_int_equal(buf[5], 'x');          /* nothing written past size */
    assert_int_equal(rt_snprintf(buf, 1, "%d", 12345), 5);
    assert_string_equal(buf, "");
    buf[0] = 'q';
    assert_int_equal(rt_snprintf(NULL, 0, "%d", 12345), 5);
    assert_int_equal(rt_snprintf(buf, 0, "abc"), 3);
    assert_int_equal(buf[0], 'q');          /* size 0: untouched */
    assert_int_equal(rt_snprintf(buf, sizeof(buf), "%p", NULL), 3);
    assert_string_equal(buf, "0x0");
    const char *volatile null_str = NULL;   /* hidden from -Wformat-overflow */
    assert_int_equal(rt_snprintf(buf, sizeof(buf), "%s", null_str), 6);
    assert_string_equal(buf, "(null)");
}

/* -------------------------------------------------------------- pvclock */

static void test_pvclock_scale(void **state)
{
    (void)state;
    /* 2 GHz: half a ns per tick */
    assert_int_equal(pvclock_scale(2000000000ULL, 0x80000000u, 0), 1000000000ULL);
    /* 1 GHz as shift 1, mul 1/2 */
    assert_int_equal(pvclock_scale(1ULL << 40, 0x80000000u, 1), 1ULL << 40);
    /* 4 GHz: shift -1 then mul 1/2 = 1/4 */
    assert_int_equal(pvclock_scale(4000, 0x80000000u, -1), 1000);
    /* the product needs more than 64 bits: 2^63 * 2^31 >> 32 */
    assert_int_equal(pvclock_scale(1ULL << 62, 0x80000000u, 1), 1ULL << 62);
    /* 3 GHz: mul = 2^32/3 rounded; 3e9 ticks ~ 1e9 ns */
    uint64_t ns = pvclock_scale(3000000000ULL, 0x55555555u, 0);
    assert_true(ns >= 999999999ULL && ns <= 1000000000ULL);
    assert_int_equal(pvclock_scale(0, 0xffffffffu, 5), 0);
}

static struct pv_time_info fake_time;
static uint64_t fake_tsc;
static int tsc_reads;

/* The first read finds the record mid-update (odd version), as a racing hypervisor would. */
static uint64_t racing_tsc(void)
{
    if (tsc_reads++ == 0) {
        fake_time.version = 3;
        fake_time.system_time = 5000;
        fake_time.version = 4;
    }
    return fake_tsc;
}

static uint64_t plain_tsc(void)
{
    tsc_reads++;
    return fake_tsc;
}

static void test_pvclock_read(void **state)
{
    (void)state;
    memset(&fake_time, 0, sizeof(fake_time));
    fake_time.version = 2;
    fake_time.tsc_timestamp = 1000;
    fake_time.system_time = 100;
    fake_time.tsc_to_system_mul = 0x80000000u;
    fake_tsc = 3000;
    tsc_reads = 0;
    /* (3000 - 1000) / 2 + 5000, read after the retry */
    assert_int_equal(pvclock_read(&fake_time, racing_tsc), 6000);
    assert_int_equal(tsc_reads, 2);
    /* a TSC behind the stamp gives the stamp's time, not a huge one */
    fake_tsc = 10;
    assert_int_equal(pvclock_read(&fake_time, plain_tsc), 5000);
}

/* -------------------------------------------------------------- cmdline */

static void test_cmdline_find(void **state)
{
    const char *cl = "period=500 xperiod=1 periodic=2  seed=7\tfill=all period=700";
    char buf[8];
    size_t len;
    const char *v;
    (void)state;

    v = cmdline_find(cl, "period", &len);
    assert_non_null(v);
    assert_int_equal(len, 3);
    assert_memory_equal(v, "700", 3);               /* the last one wins */
    assert_null(cmdline_find(cl, "perio", &len));
    assert_null(cmdline_find(cl, "role", &len));
    assert_true(cmdline_str(cl, "fill", buf, sizeof(buf)));
    assert_string_equal(buf, "all");
    assert_true(cmdline_str("name=abcdefghij", "name", buf, sizeof(buf)));
    assert_string_equal(buf, "abcdefg");            /* truncated */
    assert_false(cmdline_str("", "name", buf, sizeof(buf)));
    assert_true(cmdline_str("empty=", "empty", buf, sizeof(buf)));
    assert_string_equal(buf, "");
}

static void test_cmdline_numbers(void **state)
{
    uint64_t v;
    (void)state;

    assert_int_equal(cmdline_u64("seed=7", "seed", &v), 0);
    assert_int_equal(v, 7);
    assert_int_equal(cmdline_u64("fill=16M", "fill", &v), 0);
    assert_int_equal(v, 16ULL << 20);
    assert_int_equal(cmdline_u64("a=4k b=2G", "b", &v), 0);
    assert_int_equal(v, 2ULL << 30);
    assert_int_equal(cmdline_u64("a=4k", "a", &v), 0);
    assert_int_equal(v, 4096);
    assert_int_equal(cmdline_u64("x=0x1F", "x", &v), 0);
    assert_int_equal(v, 31);
    assert_int_equal(cmdline_u64("x=18446744073709551615", "x", &v), 0);
    assert_int_equal(v, UINT64_MAX);
    assert_int_equal(cmdline_u64("x=18446744073709551616", "x", &v), -BATON_ERANGE);
    assert_int_equal(cmdline_u64("x=17179869184G", "x", &v), -BATON_ERANGE);
    assert_int_equal(cmdline_u64("x=12a", "x", &v), -BATON_EINVAL);
    assert_int_equal(cmdline_u64("x=", "x", &v), -BATON_EINVAL);
    assert_int_equal(cmdline_u64("x=0x", "x", &v), -BATON_EINVAL);
    assert_int_equal(cmdline_u64("x=M", "x", &v), -BATON_EINVAL);
    assert_int_equal(cmdline_u64("y=1", "x", &v), -BATON_ENOENT);
}

/* -------------------------------------------------------------- memcheck */

struct bad_log {
    int count;
    uint64_t addr, want, got;
};

static void log_bad(uint64_t addr, uint64_t want, uint64_t got, void *ctx)
{
    struct bad_log *l = ctx;

    l->count++;
    l->addr = addr;
    l->want = want;
    l->got = got;
}

static void test_memcheck_pattern(void **state)
{
    (void)state;
    /* every input changes the word */
    uint64_t w = memcheck_word(7, 3, 0x200000);
    assert_int_not_equal(w, memcheck_word(8, 3, 0x200000));
    assert_int_not_equal(w, memcheck_word(7, 4, 0x200000));
    assert_int_not_equal(w, memcheck_word(7, 3, 0x200008));
    assert_int_not_equal(w, memcheck_word(7, 3, 0x201000));
    assert_int_equal(w, memcheck_word(7, 3, 0x200000));   /* and is deterministic */
    /* neighbouring words of one page are all different */
    for (uint64_t a = 0x300000; a < 0x301000 - 8; a += 8)
        assert_int_not_equal(memcheck_word(1, 0, a), memcheck_word(1, 0, a + 8));
}

static void test_memcheck_fill_verify(void **state)
{
    const size_t nwords = 3 * 512;
    uint64_t *buf = aligned_alloc(4096, nwords * 8);
    struct memcheck_params p = { .seed = 42, .domid = 5 };
    struct bad_log log = { 0 };
    (void)state;

    assert_non_null(buf);
    uint64_t filled = memcheck_fill(&p, buf, nwords, MEMCHECK_CSUM_INIT);
    assert_int_equal(memcheck_verify(&p, buf, nwords, MEMCHECK_CSUM_INIT, log_bad, &log), filled);
    assert_int_equal(log.count, 0);
    /* filling in two pieces continues the same checksum */
    uint64_t half = memcheck_fill(&p, buf, 700, MEMCHECK_CSUM_INIT);
    assert_int_equal(memcheck_fill(&p, buf + 700, nwords - 700, half), filled);

    uint64_t want = buf[1000];
    buf[1000] ^= 1;
    uint64_t csum = memcheck_verify(&p, buf, nwords, MEMCHECK_CSUM_INIT, log_bad, &log);
    assert_int_equal(log.count, 1);
    assert_int_equal(log.addr, (uint64_t)(uintptr_t)&buf[1000]);
    assert_int_equal(log.want, want);
    assert_int_equal(log.got, want ^ 1);
    assert_int_not_equal(csum, filled);
    /* another domain's pattern in the same place: every word differs */
    struct memcheck_params other = { .seed = 42, .domid = 6 };
    log.count = 0;
    memcheck_verify(&other, buf, 512, MEMCHECK_CSUM_INIT, log_bad, &log);
    assert_int_equal(log.count, 512);
    free(buf);
}

/* -------------------------------------------------------------- pingpong */

static struct pp_msg msg(uint64_t seq)
{
    return (struct pp_msg){ .seq = seq, .check = pp_check(seq) };
}

static void test_pp_seq(void **state)
{
    struct pp_seq s;
    struct pp_msg m;
    (void)state;

    pp_seq_init(&s);
    m = msg(1); assert_int_equal(pp_seq_accept(&s, &m), PP_OK);
    m = msg(2); assert_int_equal(pp_seq_accept(&s, &m), PP_OK);
    m = msg(2); assert_int_equal(pp_seq_accept(&s, &m), PP_DUP);
    m = msg(1); assert_int_equal(pp_seq_accept(&s, &m), PP_DUP);
    m = msg(4); assert_int_equal(pp_seq_accept(&s, &m), PP_GAP);
    m = msg(3); m.check ^= 1;
    assert_int_equal(pp_seq_accept(&s, &m), PP_CORRUPT);
    m = msg(3); assert_int_equal(pp_seq_accept(&s, &m), PP_OK);   /* errors consumed nothing */
    assert_int_equal(s.next, 4);
    assert_string_equal(pp_verdict_name(PP_GAP), "gap");
}

static void test_pp_ring(void **state)
{
    static struct pp_ring r;
    struct pp_msg m;
    struct pp_seq s;
    (void)state;

    pp_ring_init(&r);
    assert_false(pp_ring_get(&r, &m));
    /* start near the u32 wrap so the indices overflow on the way */
    r.prod = r.cons = 0xfffffff0u;
    pp_seq_init(&s);
    uint64_t next = 1;
    for (int round = 0; round < 5; round++) {
        while (pp_ring_put(&r, next))
            next++;
        assert_int_equal(pp_ring_used(&r), PP_SLOTS);
        for (int i = 0; i < 20 && pp_ring_get(&r, &m); i++)
            assert_int_equal(pp_seq_accept(&s, &m), PP_OK);
    }
    while (pp_ring_get(&r, &m))
        assert_int_equal(pp_seq_accept(&s, &m), PP_OK);
    assert_int_equal(s.next, next);
    assert_int_equal(pp_ring_used(&r), 0);
    /* impossible indices from a hostile peer: refuse, do not index */
    r.prod = r.cons + PP_SLOTS + 1;
    assert_int_equal(pp_ring_used(&r), -1);
    assert_false(pp_ring_get(&r, &m));
    assert_false(pp_ring_put(&r, 1));
}

/* ------------------------------------------------------------- ABI layout */

static void test_abi_layout(void **state)
{
    uint64_t magic = START_INFO_MAGIC;
    (void)state;

    assert_memory_equal(&magic, "BatonPV1", 8);     /* little-endian bytes */
    assert_int_equal(sizeof(struct start_info), 4096);
    assert_int_equal(sizeof(struct shared_info), 4096);
    assert_int_equal(sizeof(struct console_ring), 4096);
    assert_int_equal(sizeof(struct upcall_frame), 144);
    assert_int_equal(NR_EVTCHN_PORTS, 64 * EVTCHN_WORDS);
    assert_int_equal(GNT_WINDOW_ADDR(GNT_WINDOW_SLOTS), GNT_WINDOW_BASE + 64 * 4096);
    assert_true(GNT_WINDOW_ADDR(GNT_WINDOW_SLOTS) <= PV_USER_TOP);
    /* error numbers: the public header and the hypervisor's agree */
    assert_int_equal(BATON_EFAULT, 14);
    assert_int_equal(BATON_ENOSYS, 38);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fmt_integers),
        cmocka_unit_test(test_fmt_strings),
        cmocka_unit_test(test_fmt_truncation),
        cmocka_unit_test(test_pvclock_scale),
        cmocka_unit_test(test_pvclock_read),
        cmocka_unit_test(test_cmdline_find),
        cmocka_unit_test(test_cmdline_numbers),
        cmocka_unit_test(test_memcheck_pattern),
        cmocka_unit_test(test_memcheck_fill_verify),
        cmocka_unit_test(test_pp_seq),
        cmocka_unit_test(test_pp_ring),
        cmocka_unit_test(test_abi_layout),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
