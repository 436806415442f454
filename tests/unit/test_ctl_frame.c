/*
 * The control protocol's framing and CRC32 (tools/lib/ctl_frame.c, the
 * source domain 0's agent is built from too): known CRC vectors, the wire
 * layout of the header, and what the parser does with good frames split
 * anywhere, garbage, damaged headers and payloads, oversized lengths,
 * other versions and truncation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <public/errno.h>
#include "ctl_frame.h"

static void test_crc32_vectors(void **state)
{
    (void)state;
    assert_int_equal(ctl_crc32(0, "", 0), 0);
    assert_int_equal(ctl_crc32(0, "123456789", 9), 0xcbf43926u);
    assert_int_equal(ctl_crc32(0, "a", 1), 0xe8b7be43u);
    assert_int_equal(ctl_crc32(0, "The quick brown fox jumps over the lazy dog", 43),
                     0x414fa339u);
    /* in pieces, as zlib's crc32() */
    assert_int_equal(ctl_crc32(ctl_crc32(0, "12345", 5), "6789", 4), 0xcbf43926u);
    uint8_t zeros[32] = { 0 };
    assert_int_equal(ctl_crc32(0, zeros, 32), 0x190a55adu);
}

/* The header's octets on the wire, field by field (little-endian). */
static void test_header_layout(void **state)
{
    uint8_t f[CTL_FRAME_MAX];
    struct ctl_hdr h;
    size_t n;

    (void)state;
    n = ctl_frame_build(f, sizeof(f), 0x0102, CTL_F_REPLY, 0x11223344, -BATON_ENOENT, "xyz", 3);
    assert_int_equal(n, CTL_HDR_SIZE + 3);
    assert_memory_equal(f, "BCTL", 4);
    assert_int_equal(f[4], CTL_VERSION);
    assert_int_equal(f[5], CTL_F_REPLY);
    assert_int_equal(f[6], 0x02);
    assert_int_equal(f[7], 0x01);
    assert_memory_equal(f + 8, "\x44\x33\x22\x11", 4);
    assert_memory_equal(f + 12, "\xfe\xff\xff\xff", 4);
    assert_memory_equal(f + 16, "\x03\x00\x00\x00", 4);
    ctl_hdr_decode(f, &h);
    assert_int_equal(h.data_crc, ctl_crc32(0, "xyz", 3));
    assert_int_equal(h.hdr_crc, ctl_crc32(0, f, 28));
    assert_int_equal(h.reserved, 0);
    assert_int_equal(h.status, -BATON_ENOENT);
    assert_memory_equal(f + CTL_HDR_SIZE, "xyz", 3);
    /* too big for the protocol, too big for the buffer */
    assert_int_equal(ctl_frame_build(f, sizeof(f), 1, 0, 1, 0, f, CTL_PAYLOAD_MAX + 1), 0);
    assert_int_equal(ctl_frame_build(f, CTL_HDR_SIZE + 2, 1, 0, 1, 0, "xyz", 3), 0);
    /* the largest frame */
    assert_int_equal(ctl_frame_build(f, sizeof(f), 1, 0, 1, 0, f + 100, CTL_PAYLOAD_MAX),
                     CTL_FRAME_MAX);
}

static size_t frame(uint8_t *out, uint32_t seq, const char *payload)
{
    return ctl_frame_build(out, CTL_FRAME_MAX, CTL_T_PING, 0, seq, 0, payload,
                           (uint32_t)strlen(payload));
}

static void test_parse_good(void **state)
{
    uint8_t f[CTL_FRAME_MAX];
    size_t n = frame(f, 7, "hello");
    struct ctl_parse r;

    (void)state;
    ctl_parse(f, n, 0, &r);
    assert_int_equal(r.kind, CTL_PARSE_FRAME);
    assert_int_equal(r.consumed, n);
    assert_int_equal(r.skipped, 0);
    assert_int_equal(r.hdr.seq, 7);
    assert_int_equal(r.hdr.len, 5);
    assert_memory_equal(r.payload, "hello", 5);
    /* every prefix is NEED and consumes nothing */
    for (size_t i = 0; i < n; i++) {
        ctl_parse(f, i, 0, &r);
        assert_int_equal(r.kind, CTL_PARSE_NEED);
        assert_int_equal(r.consumed, 0);
    }
    /* empty payload */
    n = frame(f, 8, "");
    ctl_parse(f, n, 0, &r);
    assert_int_equal(r.kind, CTL_PARSE_FRAME);
    assert_int_equal(r.consumed, CTL_HDR_SIZE);
}

/* Run a byte stream through the parser the way the agent does (drop what
 * is consumed, stop at NEED), fed `step` octets at a time; record the seq
 * of every good frame and every error. */
struct outcome {
    uint32_t seqs[32];
    int errors[32];
    size_t nframes, nerrors, skipped;
};

static void run_stream(const uint8_t *s, size_t len, size_t step, int final_timeout,
                       struct outcome *o)
{
    static uint8_t buf[2 * CTL_FRAME_MAX];
    size_t have = 0, fed = 0;
    struct ctl_parse r;

    memset(o, 0, sizeof(*o));
    for (;;) {
        int timed_out = fed == len && final_timeout;

        for (;;) {
            ctl_parse(buf, have, timed_out, &r);
            o->skipped += r.skipped;
            if (r.kind == CTL_PARSE_FRAME && o->nframes < 32)
                o->seqs[o->nframes++] = r.hdr.seq;
            if (r.kind == CTL_PARSE_BAD && o->nerrors < 32)
                o->errors[o->nerrors++] = r.error;
            assert_true(r.consumed <= have);
            memmove(buf, buf + r.consumed, have - r.consumed);
            have -= r.consumed;
            if (r.kind == CTL_PARSE_NEED && (!timed_out || have == 0))
                break;
        }
        if (fed == len)
            break;
        size_t n = len - fed < step ? len - fed : step;
        assert_true(have + n <= sizeof(buf));
        memcpy(buf + have, s + fed, n);
        have += n;
        fed += n;
    }
}

static void test_resync_garbage(void **state)
{
    static uint8_t s[4 * CTL_FRAME_MAX];
    size_t n = 0;
    struct outcome o;

    (void)state;
    memcpy(s, "garbage BCT BCTBC \xff\x00", 20);      /* partial magics too */
    n = 20;
    n += frame(s + n, 1, "one");
    memcpy(s + n, "BCTLBCTL", 8);                   /* magics without a header */
    n += 8;
    n += frame(s + n, 2, "two");
    for (size_t step = 1; step <= 64; step *= 3) {
        run_stream(s, n, step, 0, &o);
        assert_int_equal(o.nframes, 2);
        assert_int_equal(o.seqs[0], 1);
        assert_int_equal(o.seqs[1], 2);
        /* "BCTLBCTL" looks like a header: with the 'B' of frame 2 that is
         * not enough octets to decide until more arrive; damaged headers
         * are reported, never a lost frame */
        for (size_t i = 0; i < o.nerrors; i++)
            assert_int_equal(o.errors[i], -BATON_EBADMSG);
    }
}

static void test_resync_bad_crc(void **state)
{
    uint8_t s[3 * CTL_FRAME_MAX];
    size_t n = 0, a;
    struct outcome o;

    (void)state;
    a = frame(s, 1, "payload damaged");
    s[CTL_HDR_SIZE + 3] ^= 0x40;
    n = a;
    a = frame(s + n, 2, "header damaged");
    s[n + 9] ^= 1;                                  /* seq */
    n += a;
    n += frame(s + n, 3, "fine");
    run_stream(s, n, 5, 0, &o);
    assert_int_equal(o.nframes, 1);
    assert_int_equal(o.seqs[0], 3);
    assert_int_equal(o.nerrors, 2);
    assert_int_equal(o.errors[0], -BATON_EBADMSG);
    assert_int_equal(o.errors[1], -BATON_EBADMSG);
}

/* A sealed header with any len and version, no payload behind it. */
static size_t raw_header(uint8_t *out, uint8_t version, uint32_t len, uint32_t seq)
{
    struct ctl_hdr h = { .magic = CTL_MAGIC, .version = version, .type = CTL_T_PING,
                         .seq = seq, .len = len };

    ctl_hdr_encode(&h, out);
    h.hdr_crc = ctl_crc32(0, out, 28);
    ctl_hdr_encode(&h, out);
    return CTL_HDR_SIZE;
}

static void test_oversized_and_version(void **state)
{
    uint8_t s[3 * CTL_FRAME_MAX];
    size_t n = 0;
    struct outcome o;
    struct ctl_parse r;

    (void)state;
    n += raw_header(s, CTL_VERSION, 0xffffffffu, 5);
    ctl_parse(s, n, 0, &r);
    assert_int_equal(r.kind, CTL_PARSE_BAD);
    assert_int_equal(r.error, -BATON_E2BIG);
    assert_true(r.hdr_ok);
    assert_int_equal(r.hdr.seq, 5);
    assert_int_equal(r.consumed, CTL_HDR_SIZE);
    n += raw_header(s + n, CTL_VERSION, CTL_PAYLOAD_MAX + 1, 6);
    n += raw_header(s + n, CTL_VERSION + 1, 0, 7);
    n += frame(s + n, 8, "after");
    run_stream(s, n, 7, 0, &o);
    assert_int_equal(o.nframes, 1);
    assert_int_equal(o.seqs[0], 8);
    assert_int_equal(o.nerrors, 3);
    assert_int_equal(o.errors[0], -BATON_E2BIG);
    assert_int_equal(o.errors[1], -BATON_E2BIG);
    assert_int_equal(o.errors[2], -BATON_EOPNOTSUPP);
}

static void test_truncated(void **state)
{
    uint8_t s[3 * CTL_FRAME_MAX];
    size_t n, a;
    struct ctl_parse r;
    struct outcome o;

    (void)state;
    /* a header that promises 100 octets, 10 come: NEED until the timeout */
    a = raw_header(s, CTL_VERSION, 100, 9);
    memset(s + a, 'x', 10);
    n = a + 10;
    ctl_parse(s, n, 0, &r);
    assert_int_equal(r.kind, CTL_PARSE_NEED);
    assert_int_equal(r.consumed, 0);
    ctl_parse(s, n, 1, &r);
    assert_int_equal(r.kind, CTL_PARSE_BAD);
    assert_int_equal(r.error, -BATON_EIO);
    assert_int_equal(r.hdr.seq, 9);
    assert_int_equal(r.consumed, CTL_HDR_SIZE);
    /* a truncated frame followed at once by a good one: the good one is
     * read as its payload, fails the CRC, and is then found again */
    a = frame(s, 10, "this frame is cut short");
    n = a - 8;
    n += frame(s + n, 11, "next");
    n += frame(s + n, 12, "and the next");
    run_stream(s, n, 3, 0, &o);
    assert_int_equal(o.nframes, 2);
    assert_int_equal(o.seqs[0], 11);
    assert_int_equal(o.seqs[1], 12);
    assert_int_equal(o.nerrors, 1);
    assert_int_equal(o.errors[0], -BATON_EBADMSG);
    /* a partial header at the end of the stream: dropped at the timeout */
    n = frame(s, 13, "x");
    run_stream(s, 20, 4, 1, &o);
    assert_int_equal(o.nframes, 0);
    run_stream(s, n, 4, 1, &o);
    assert_int_equal(o.nframes, 1);
}

/* Random bytes, then random bytes with frames inside: never a read out of
 * bounds (ASan in the fuzz build), never a lost good frame. */
static void test_random_noise(void **state)
{
    static uint8_t s[64 * 1024];
    struct outcome o;
    size_t n = 0;

    (void)state;
    srand(1234);
    for (int round = 0; round < 20; round++) {
        n = 0;
        for (int k = 0; k < 4; k++) {
            size_t junk = (size_t)(rand() % 3000);
            for (size_t i = 0; i < junk; i++)
                s[n++] = rand() % 4 == 0 ? "BCTL"[rand() % 4] : (uint8_t)rand();
            n += frame(s + n, (uint32_t)(100 + k), "in the noise");
        }
        run_stream(s, n, (size_t)(1 + rand() % 700), 1, &o);
        assert_int_equal(o.nframes, 4);
        for (int k = 0; k < 4; k++)
            assert_int_equal(o.seqs[k], 100 + k);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32_vectors),
        cmocka_unit_test(test_header_layout),
        cmocka_unit_test(test_parse_good),
        cmocka_unit_test(test_resync_garbage),
        cmocka_unit_test(test_resync_bad_crc),
        cmocka_unit_test(test_oversized_and_version),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_random_noise),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
