/*
 * Unit tests for common/guest_console.c: console_write argument checks
 * (lengths, bad and straddling pointers: all or nothing), line assembly,
 * sanitising, the rate limit and its drop report, and the console ring
 * (wrap-around, corrupt indices).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <baton/domain.h>
#include <baton/errno.h>
#include <baton/printk.h>
#include <public/hypercall.h>
#include "harness.h"
#include "pv_fake.h"

#define NS_PER_SEC      UINT64_C(1000000000)
#define RATE            8192u           /* bytes per second */
#define BURST           16384u
#define ALL_RATE        10240u          /* all guests together */
#define ALL_BURST       24576u
#define ALL_RESERVE     8192u           /* kept for output within a share */

static struct domain *d0, *d7;

static int setup(void **state)
{
    (void)state;
    harness_log_clear();
    pv_fake_reset();
    guest_console_init();
    d0 = pv_fake_domain(0, 1, FAKE_MEM_SIZE);
    d7 = pv_fake_domain(7, 1, FAKE_MEM_SIZE);
    return 0;
}

/* ------------------------------------------------------------------ helpers */

/* console_write of s, placed in d's memory at FAKE_ARG_GVA. */
static long cwrite(struct domain *d, const char *s, size_t n)
{
    memcpy(pv_fake_ptr(d, FAKE_ARG_GVA), s, n);
    return do_console_write(d, FAKE_ARG_GVA, n);
}

static long cputs(struct domain *d, const char *s)
{
    return cwrite(d, s, strlen(s));
}

/* Put s into d's console ring at the current out_prod and publish it. */
static void ring_put(struct domain *d, const char *s)
{
    struct console_ring *r = d->console_ring;

    for (size_t i = 0; s[i]; i++)
        r->out[CONSOLE_OUT_IDX(r->out_prod + (uint32_t)i)] = s[i];
    r->out_prod += (uint32_t)strlen(s);
}

/* ----------------------------------------------------------- console_write */

static void test_write_lengths(void **state)
{
    (void)state;

    assert_int_equal(do_console_write(d0, FAKE_ARG_GVA, CONSOLE_WRITE_MAX + 1), -BATON_EINVAL);
    assert_int_equal(do_console_write(d0, FAKE_ARG_GVA, UINT64_C(1) << 32), -BATON_EINVAL);
    assert_int_equal(do_console_write(d0, FAKE_ARG_GVA, ~UINT64_C(0)), -BATON_EINVAL);
    /* a bad pointer with a bad length: the length is what is wrong */
    assert_int_equal(do_console_write(d0, 0, ~UINT64_C(0)), -BATON_EINVAL);
    assert_int_equal(do_console_write(d0, FAKE_ARG_GVA, 0), 0);
    assert_string_equal(pv_fake_console(), "");
}

static void test_write_bad_pointers(void **state)
{
    const uint64_t ptrs[] = {
        0, 0x800, PV_PAGE_SIZE - 1, FAKE_MEM_SIZE - 8, FAKE_MEM_SIZE,
        UINT64_C(0x0000600000000000), GNT_WINDOW_ADDR(GNT_WINDOW_SLOTS - 1),
        UINT64_C(0x0000800000000000), UINT64_C(0xffff800000000000),
        UINT64_C(0xfffffffffffffff8), ~UINT64_C(0) - 8,
    };
    (void)state;

    for (unsigned int i = 0; i < ARRAY_SIZE(ptrs); i++)
        assert_int_equal(do_console_write(d0, ptrs[i], 16), -BATON_EFAULT);
    /* straddling the end by one byte, over several chunks */
    memset(pv_fake_ptr(d0, FAKE_MEM_SIZE - 4000), 'x', 4000);
    assert_int_equal(do_console_write(d0, FAKE_MEM_SIZE - 4000, 4001), -BATON_EFAULT);
    assert_int_equal(do_console_write(d0, FAKE_MEM_SIZE - 300, 400), -BATON_EFAULT);
    assert_string_equal(pv_fake_console(), "");
    assert_int_equal(d0->console.line_len, 0);      /* nothing was taken in */
    /* up to the very last byte is fine */
    assert_int_equal(do_console_write(d0, FAKE_MEM_SIZE - 4000, 4000), 4000);
}

/* A hole in the middle of the range: nothing printed, even from before it. */
static void test_write_hole(void **state)
{
    uint64_t hole = (FAKE_ARG_GVA >> PV_PAGE_SHIFT) + 1;
    (void)state;

    memset(pv_fake_ptr(d0, FAKE_ARG_GVA), '\n', 2 * PV_PAGE_SIZE);
    d0->extents[0].count = hole;
    d0->extents[1] = (struct mem_extent){ hole + 1, 0x5000, 100 };
    d0->nr_extents = 2;
    /* the first 256-byte chunk is fine, the second runs into the hole */
    assert_int_equal(do_console_write(d0, FAKE_ARG_GVA + PV_PAGE_SIZE - 300, 400), -BATON_EFAULT);
    assert_int_equal(d0->console.line_len, 0);
    assert_string_equal(pv_fake_console(), "");
}

static void test_write_line(void **state)
{
    (void)state;

    assert_int_equal(cputs(d0, "hello\n"), 6);
    assert_string_equal(pv_fake_console(), "(d0) hello\n");
    pv_fake_console_clear();
    assert_int_equal(cputs(d7, "two\nlines\n"), 10);
    assert_string_equal(pv_fake_console(), "(d7) two\n(d7) lines\n");
}

static void test_partial_lines(void **state)
{
    (void)state;

    assert_int_equal(cputs(d0, "hel"), 3);
    assert_int_equal(cputs(d7, "other "), 6);
    assert_string_equal(pv_fake_console(), "");
    assert_int_equal(cputs(d0, "lo wor"), 6);
    assert_int_equal(cputs(d0, "ld\nnext"), 7);
    assert_string_equal(pv_fake_console(), "(d0) hello world\n");
    assert_int_equal(cputs(d7, "domain\n"), 7);
    assert_int_equal(cputs(d0, "\n\n"), 2);
    assert_string_equal(pv_fake_console(),
                        "(d0) hello world\n(d7) other domain\n(d0) next\n(d0) \n");
}

static void test_non_printable(void **state)
{
    const char in[] = "a\x1b[31mb\x07\tc\x7f\xff\x80\r\0z\n";
    (void)state;

    assert_int_equal(cwrite(d0, in, sizeof(in) - 1), (long)sizeof(in) - 1);
    assert_string_equal(pv_fake_console(), "(d0) a?[31mb?\tc?????z\n");
}

static void test_long_line(void **state)
{
    char buf[600];
    char want[700];
    (void)state;

    /* exactly one line's worth, then '\n': one line, no empty one after */
    memset(buf, 'x', GUEST_CONSOLE_LINE);
    buf[GUEST_CONSOLE_LINE] = '\n';
    assert_int_equal(cwrite(d0, buf, GUEST_CONSOLE_LINE + 1), GUEST_CONSOLE_LINE + 1);
    snprintf(want, sizeof(want), "(d0) %.*s\n", GUEST_CONSOLE_LINE, buf);
    assert_string_equal(pv_fake_console(), want);

    /* longer: split at the buffer size */
    pv_fake_console_clear();
    memset(buf, 'y', 300);
    buf[300] = '\n';
    assert_int_equal(cwrite(d0, buf, 301), 301);
    snprintf(want, sizeof(want), "(d0) %.*s\n(d0) %.*s\n", GUEST_CONSOLE_LINE, buf,
             300 - GUEST_CONSOLE_LINE, buf);
    assert_string_equal(pv_fake_console(), want);
}

static void test_write_max(void **state)
{
    char buf[CONSOLE_WRITE_MAX];
    (void)state;

    for (unsigned int i = 0; i < sizeof(buf); i++)
        buf[i] = (i % 64 == 63) ? '\n' : (char)('a' + i % 26);
    assert_int_equal(cwrite(d0, buf, sizeof(buf)), CONSOLE_WRITE_MAX);
    /* 64 lines of 63 characters, each with its prefix */
    assert_int_equal(strlen(pv_fake_console()), 64 * (5 + 63 + 1));
    assert_int_equal(d0->console.line_len, 0);
}

/* ---------------------------------------------------------------- rate limit */

/* What a line costs on the wire beyond its text: "(d0) " and CR LF. */
#define LINE_OVERHEAD   7u

/* Print lines that cost exactly `cost` tokens (the last ones absorb the rest). */
static void spend(struct domain *d, size_t cost)
{
    char line[64];

    memset(line, 'z', sizeof(line));
    while (cost) {
        size_t text = 0;                /* characters before the newline */
        if (cost >= 2 * (sizeof(line) + LINE_OVERHEAD))
            text = sizeof(line) - 1;
        else if (cost >= sizeof(line) + LINE_OVERHEAD)
            text = cost / 2 - LINE_OVERHEAD - 1;
        else if (cost > LINE_OVERHEAD)
            text = cost - LINE_OVERHEAD - 1;
        else
            fail_msg("spend(%zu): cannot end on a line", cost);
        line[text] = '\n';
        assert_int_equal(cwrite(d, line, text + 1), (long)(text + 1));
        line[text] = 'z';
        cost -= text + 1 + LINE_OVERHEAD;
    }
}

static void test_rate_limit(void **state)
{
    (void)state;

    spend(d0, BURST);                       /* the whole burst */
    assert_int_equal(d0->console.dropped, 0);
    pv_fake_console_clear();
    /* the bucket is empty: dropped, still "written" */
    assert_int_equal(cputs(d0, "lost\n"), 5);
    assert_int_equal(cputs(d0, "also lost\n"), 10);
    assert_int_equal(d0->console.dropped, 15);
    assert_string_equal(pv_fake_console(), "");
    /* another domain has its own bucket */
    assert_int_equal(cputs(d7, "fine\n"), 5);
    assert_string_equal(pv_fake_console(), "(d7) fine\n");

    pv_fake_console_clear();
    /* a trickle of tokens is not enough: still silent, still counting */
    pv_fake.now += NS_PER_SEC / 1000;       /* 8 bytes of tokens */
    assert_int_equal(cputs(d0, "back\n"), 5);
    assert_int_equal(d0->console.dropped, 20);
    assert_string_equal(pv_fake_console(), "");
    /* a second's eighth refills 1 KiB: the report, then the text */
    pv_fake.now += NS_PER_SEC / 8;
    assert_int_equal(cputs(d0, "back\n"), 5);
    assert_string_equal(pv_fake_console(),
                        "(d0) [console: 20 bytes dropped by the rate limit]\n(d0) back\n");
    assert_int_equal(d0->console.dropped, 0);
    /* the report and the line after it were charged as they go out on the wire */
    assert_int_equal(d0->console.tokens, RATE / 1000 + RATE / 8 -
                     (strlen("[console: 20 bytes dropped by the rate limit]") + LINE_OVERHEAD) -
                     (strlen("back\n") + LINE_OVERHEAD));
}

/* Empty lines cost what they carry: a guest cannot multiply its output. */
static void test_rate_counts_line_overhead(void **state)
{
    char newlines[CONSOLE_WRITE_MAX];
    (void)state;

    memset(newlines, '\n', sizeof(newlines));
    for (int i = 0; i < 8; i++)
        assert_int_equal(cwrite(d0, newlines, sizeof(newlines)), (long)sizeof(newlines));
    /* each "(d0) \r\n" costs 8 tokens: the burst buys BURST / 8 lines */
    assert_int_equal(d0->console.dropped, 8 * sizeof(newlines) - BURST / (1 + LINE_OVERHEAD));
}

/* Domains share one budget for the line: together they cannot exceed it. */
static void test_rate_all_guests(void **state)
{
    struct domain *d[4];
    uint64_t printed = 0;
    (void)state;

    for (unsigned int i = 0; i < 4; i++) {
        d[i] = pv_fake_domain((uint16_t)(i + 1), 1, FAKE_MEM_SIZE);
        spend(d[i], BURST / 2);
    }
    /*
     * 4 x 8 KiB wanted; 24 KiB is all the guests together may send at once,
     * and what is left of the 8 KiB reserve is kept for output within a
     * share: d1 and d2 took everything above it, d3 and d4 only their shares.
     */
    for (unsigned int i = 0; i < 4; i++)
        printed += BURST - d[i]->console.tokens;
    assert_in_range(printed, 20u * 1024u, 24u * 1024u);
    assert_int_equal(d[0]->console.dropped, 0);
    assert_int_equal(d[1]->console.dropped, 0);
    assert_true(d[2]->console.dropped > 0);
    assert_true(d[3]->console.dropped > 0);
    assert_true(BURST - d[3]->console.tokens >= ALL_RESERVE / 4 - 2 * 64);
}

/* ------------------------------------------------------------------ fairness */

/*
 * Wire bytes of each domain's lines in the console since the last call
 * (text, prefix, and CR LF for the '\n'), added to bytes[domid].
 */
static void count_console(uint64_t bytes[], unsigned int nr)
{
    const char *p = pv_fake_console();
    unsigned int id;

    while (*p) {
        const char *nl = strchr(p, '\n');
        assert_non_null(nl);
        assert_int_equal(sscanf(p, "(d%u) ", &id), 1);
        if (id < nr)
            bytes[id] += (uint64_t)(nl - p) + 2;
        p = nl + 1;
    }
    pv_fake_console_clear();
}

/*
 * nr_flood domains loop console_write of 4 KiB of valid text, flat out,
 * for `seconds`; a quiet one prints a heartbeat line every 250 ms (some
 * 150 bytes a second, well within any share). Every heartbeat must come
 * out, each when it is printed; the flooders get the rest of the line.
 * `quiet_first`: in each round the quiet domain goes before the flooders
 * (else after them, when they have just emptied what they could).
 */
static void flood_with_heartbeat(unsigned int nr_flood, unsigned int seconds, bool quiet_first)
{
    const uint64_t step = NS_PER_SEC / 100;             /* 10 ms rounds */
    char text[CONSOLE_WRITE_MAX];
    struct domain *flood[8], *quiet = d7;
    uint64_t bytes[16] = { 0 }, flooded = 0, start = pv_fake.now;
    unsigned int beats = 0;

    assert_true(nr_flood <= ARRAY_SIZE(flood));
    for (unsigned int i = 0; i < sizeof(text); i++)
        text[i] = (i % 80 == 79) ? '\n' : (char)('a' + i % 26);
    for (unsigned int i = 0; i < nr_flood; i++)
        flood[i] = pv_fake_domain((uint16_t)(i + 1), 1, FAKE_MEM_SIZE);

    for (unsigned int round = 0; round < seconds * 100; round++) {
        bool beat = round % 25 == 0;
        char line[32], want[48];

        snprintf(line, sizeof(line), "heartbeat %u\n", beats);
        snprintf(want, sizeof(want), "(d7) heartbeat %u\n", beats);
        if (beat && quiet_first)
            assert_int_equal(cputs(quiet, line), (long)strlen(line));
        for (unsigned int i = 0; i < nr_flood; i++)
            for (unsigned int k = 0; k < 2; k++)
                assert_int_equal(cwrite(flood[i], text, sizeof(text)), (long)sizeof(text));
        if (beat && !quiet_first)
            assert_int_equal(cputs(quiet, line), (long)strlen(line));
        if (beat) {
            if (!strstr(pv_fake_console(), want))
                fail_msg("%u flooders: heartbeat %u at %.2f s was dropped (%llu bytes)", nr_flood,
                         beats, (double)(pv_fake.now - start) / NS_PER_SEC,
                         (unsigned long long)quiet->console.dropped);
            beats++;
        }
        assert_int_equal(quiet->console.dropped, 0);
        count_console(bytes, ARRAY_SIZE(bytes));
        pv_fake.now += step;
    }
    assert_int_equal(beats, seconds * 4);
    for (unsigned int i = 0; i < nr_flood; i++) {
        flooded += bytes[i + 1];
        /* every flooder was cut, none was shut out */
        assert_true(flood[i]->console.dropped > 0);
        assert_true(bytes[i + 1] >= seconds * ALL_RATE / nr_flood / 2);
    }
    /* the line is used, never beyond the shared rate and burst */
    assert_true(flooded + bytes[7] <= seconds * ALL_RATE + ALL_BURST);
    assert_true(flooded >= seconds * (ALL_RATE - 256) - ALL_RESERVE);
}

static void test_fair_two_flooders(void **state)
{
    (void)state;
    flood_with_heartbeat(2, 30, false);
}

static void test_fair_two_flooders_quiet_first(void **state)
{
    (void)state;
    flood_with_heartbeat(2, 10, true);
}

static void test_fair_four_flooders(void **state)
{
    (void)state;
    flood_with_heartbeat(4, 30, false);
}

/*
 * A domain that comes along while others flood gets its share at once:
 * its first lines (a boot banner) go through in full, up to its share.
 */
static void test_fair_newcomer(void **state)
{
    char text[CONSOLE_WRITE_MAX];
    struct domain *f1 = pv_fake_domain(1, 1, FAKE_MEM_SIZE);
    struct domain *f2 = pv_fake_domain(2, 1, FAKE_MEM_SIZE);
    (void)state;

    memset(text, 'f', sizeof(text));
    for (int round = 0; round < 500; round++) {
        assert_int_equal(cwrite(f1, text, sizeof(text)), (long)sizeof(text));
        assert_int_equal(cwrite(f2, text, sizeof(text)), (long)sizeof(text));
        pv_fake.now += NS_PER_SEC / 100;
    }
    pv_fake_console_clear();
    /* 3 domains with output: a share holds ALL_RESERVE / 3, some 2.7 KiB */
    spend(d7, ALL_RESERVE / 3 - 64);
    assert_int_equal(d7->console.dropped, 0);
    /* and flat out, it is cut like the others */
    spend(d7, 4096);
    assert_true(d7->console.dropped > 0);
}

/* With nobody else printing, one domain still has the whole of its own rate. */
static void test_fair_alone(void **state)
{
    char text[CONSOLE_WRITE_MAX];
    uint64_t bytes[16] = { 0 };
    (void)state;

    for (unsigned int i = 0; i < sizeof(text); i++)
        text[i] = (i % 64 == 63) ? '\n' : 'x';
    for (int round = 0; round < 1000; round++) {      /* 10 s */
        assert_int_equal(cwrite(d0, text, sizeof(text)), (long)sizeof(text));
        count_console(bytes, ARRAY_SIZE(bytes));
        pv_fake.now += NS_PER_SEC / 100;
    }
    /* 10 s at 8 KiB/s and the 16 KiB burst, give or take a line */
    assert_in_range(bytes[0], 10 * RATE + BURST - 2 * 1024, 10 * RATE + BURST);
}

/* A partial line from before the drop comes out before the report. */
static void test_rate_limit_partial_line(void **state)
{
    (void)state;

    spend(d0, BURST - 64);
    pv_fake_console_clear();
    assert_int_equal(cputs(d0, "0123456789"), 10);
    /* 51 characters of the same unfinished line: 3 tokens left */
    assert_int_equal(cputs(d0, "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"), 51);
    assert_int_equal(cputs(d0, "abcdef\n"), 7);     /* "abc" fits */
    assert_string_equal(pv_fake_console(), "");
    pv_fake.now += NS_PER_SEC;
    assert_int_equal(cputs(d0, "xyz\n"), 4);
    assert_string_equal(pv_fake_console(),
                        "(d0) 0123456789zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzabc\n"
                        "(d0) [console: 4 bytes dropped by the rate limit]\n(d0) xyz\n");
}

static void test_rate_refill(void **state)
{
    (void)state;

    spend(d0, BURST);
    assert_int_equal(d0->console.tokens, 0);
    pv_fake.now += NS_PER_SEC / 2;
    spend(d0, 64);
    assert_int_equal(d0->console.tokens, RATE / 2 - 64);
    /* time in tiny steps still adds up */
    for (int i = 0; i < 1000; i++) {
        pv_fake.now += 100000;              /* 0.1 ms: 0.8 bytes */
        guest_console_output(d0, "", 0);
    }
    /* 0.1 s: 819.2 bytes */
    assert_in_range(d0->console.tokens, RATE / 2 - 64 + 818, RATE / 2 - 64 + 820);
    /* a long pause fills the bucket, never beyond the burst */
    pv_fake.now += 100 * NS_PER_SEC;
    guest_console_output(d0, "", 0);
    assert_int_equal(d0->console.tokens, BURST);
    /* and a clock far in the future does not overflow anything */
    pv_fake.now = ~UINT64_C(0) - 5;
    guest_console_output(d0, "", 0);
    assert_int_equal(d0->console.tokens, BURST);
}

/* -------------------------------------------------------------- console ring */

static void test_drain(void **state)
{
    struct console_ring *r = d0->console_ring;
    (void)state;

    guest_console_drain(d0);                        /* empty */
    assert_string_equal(pv_fake_console(), "");
    ring_put(d0, "from the ring\npart");
    guest_console_drain(d0);
    assert_string_equal(pv_fake_console(), "(d0) from the ring\n");
    assert_int_equal(r->out_cons, r->out_prod);
    ring_put(d0, "ial\n");
    guest_console_drain(d0);
    assert_string_equal(pv_fake_console(), "(d0) from the ring\n(d0) partial\n");
}

static void test_drain_wrap(void **state)
{
    struct console_ring *r = d0->console_ring;
    (void)state;

    /* indices about to wrap around 2^32, data across the end of out[] */
    r->out_prod = r->out_cons = UINT32_C(0xfffffff8);
    ring_put(d0, "wrapped around\n");
    assert_true(r->out_prod < 16);
    guest_console_drain(d0);
    assert_string_equal(pv_fake_console(), "(d0) wrapped around\n");
    assert_int_equal(r->out_cons, r->out_prod);
}

static void test_drain_full_ring(void **state)
{
    struct console_ring *r = d0->console_ring;
    (void)state;

    memset(r->out, 'q', sizeof(r->out));
    r->out_cons = 100;
    r->out_prod = 100 + CONSOLE_OUT_SIZE;           /* exactly full: valid */
    guest_console_drain(d0);
    assert_int_equal(r->out_cons, 100 + CONSOLE_OUT_SIZE);
    /* the last full line waits in the buffer for its '\n' */
    assert_int_equal(d0->console.line_len, GUEST_CONSOLE_LINE);
    assert_int_equal(strlen(pv_fake_console()),
                     (CONSOLE_OUT_SIZE / GUEST_CONSOLE_LINE - 1) * (5 + GUEST_CONSOLE_LINE + 1));
    assert_false(harness_log_has("corrupt"));
}

static void test_drain_corrupt(void **state)
{
    struct console_ring *r = d0->console_ring;
    (void)state;

    memset(r->out, 'q', sizeof(r->out));
    r->out_cons = 0;
    r->out_prod = 5000;
    guest_console_drain(d0);
    assert_true(harness_log_has("d0: console ring indices corrupt (prod 5000 cons 0)"));
    assert_string_equal(pv_fake_console(), "");
    assert_int_equal(r->out_cons, 5000);            /* resynced */
    /* and it works again from there */
    harness_log_clear();
    ring_put(d0, "ok\n");
    guest_console_drain(d0);
    assert_string_equal(pv_fake_console(), "(d0) ok\n");
    assert_false(harness_log_has("corrupt"));

    /* prod behind cons is just as corrupt */
    r->out_cons = 10;
    r->out_prod = 9;
    guest_console_drain(d0);
    assert_true(harness_log_has("(prod 9 cons 10)"));
    assert_int_equal(r->out_cons, 9);
}

/* A guest that keeps corrupting its ring cannot flood the hypervisor log. */
static void test_drain_corrupt_rate_limited(void **state)
{
    struct console_ring *r = d0->console_ring;
    unsigned int reports = 0;
    (void)state;

    for (int i = 0; i < 10000; i++) {
        harness_log_clear();
        r->out_cons = 0;
        r->out_prod = 0x80000000u;
        guest_console_drain(d0);
        reports += harness_log_has("corrupt");
    }
    assert_in_range(reports, 1, BURST / 50);
}

static void test_drain_no_ring(void **state)
{
    (void)state;

    d0->console_ring = NULL;
    guest_console_drain(d0);
    assert_string_equal(pv_fake_console(), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_write_lengths, setup),
        cmocka_unit_test_setup(test_write_bad_pointers, setup),
        cmocka_unit_test_setup(test_write_hole, setup),
        cmocka_unit_test_setup(test_write_line, setup),
        cmocka_unit_test_setup(test_partial_lines, setup),
        cmocka_unit_test_setup(test_non_printable, setup),
        cmocka_unit_test_setup(test_long_line, setup),
        cmocka_unit_test_setup(test_write_max, setup),
        cmocka_unit_test_setup(test_rate_limit, setup),
        cmocka_unit_test_setup(test_rate_limit_partial_line, setup),
        cmocka_unit_test_setup(test_rate_counts_line_overhead, setup),
        cmocka_unit_test_setup(test_rate_all_guests, setup),
        cmocka_unit_test_setup(test_fair_two_flooders, setup),
        cmocka_unit_test_setup(test_fair_two_flooders_quiet_first, setup),
        cmocka_unit_test_setup(test_fair_four_flooders, setup),
        cmocka_unit_test_setup(test_fair_newcomer, setup),
        cmocka_unit_test_setup(test_fair_alone, setup),
        cmocka_unit_test_setup(test_rate_refill, setup),
        cmocka_unit_test_setup(test_drain, setup),
        cmocka_unit_test_setup(test_drain_wrap, setup),
        cmocka_unit_test_setup(test_drain_full_ring, setup),
        cmocka_unit_test_setup(test_drain_corrupt, setup),
        cmocka_unit_test_setup(test_drain_corrupt_rate_limited, setup),
        cmocka_unit_test_setup(test_drain_no_ring, setup),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
