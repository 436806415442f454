/*
 * LU stream reader: every validation rule, each with a stream that breaks
 * it, checking the error code and that the message names what was expected
 * and what was found. Streams are built with the raw builder (not the
 * writer), so the reader is checked against a second encoding of the spec.
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
#include <baton/lu_stream.h>
#include "harness.h"
#include "../fuzz/lu_fixture.h"

/* Streams of this build's version carry a summary in version 2. */
#define SUMMARY (LU_STREAM_VERSION >= LU_STREAM_V2)

static struct lu_reader rd;
static struct lu_stream *s;
static struct fx_sb sb;

static int setup(void **state)
{
    (void)state;
    harness_log_clear();
    return fx_sb_case_setup(&rd, &s, &sb);
}

static int teardown(void **state)
{
    (void)state;
    fx_sb_case_teardown(s, &sb);
    return 0;
}

static void start(void)
{
    sb.len = 0;
    fx_sb_version(&sb, LU_STREAM_VERSION, LU_STREAM_COMPAT);
    fx_sb_time(&sb);
}

static void dom(uint16_t domid, uint64_t mfn)
{
    fx_sb_domain(&sb, domid, mfn, 2, SUMMARY);
}

static void put_u32(size_t off, uint32_t v)
{
    memcpy(sb.b + off, &v, sizeof(v));
}

static void put_u64(size_t off, uint64_t v)
{
    memcpy(sb.b + off, &v, sizeof(v));
}

/* Offsets in a stream that start()ed: VERSION body at 8, TIME at 64,
 * then the first domain's INFO at 96 and its MEMORY at 152. */
#define OFF_LENGTH (8 + 16)
#define OFF_TIME   64
#define OFF_INFO   96
#define OFF_MEMORY 152

static int parse(void)
{
    return lu_stream_parse(&rd, sb.b, sb.len, s);
}

static void expect_ok(void)
{
    int rc = parse();

    if (rc)
        fail_msg("rejected (%d): %s", rc, s->error);
}

static void expect(int want, const char *text)
{
    int rc = parse();

    if (rc != want || !strstr(s->error, text))
        fail_msg("rc %d (want %d), error \"%s\" (want \"%s\")", rc, want, s->error, text);
    assert_true(harness_log_has(text));
    assert_int_equal(s->nr_domains, 0);
}

/* ------------------------------------------------------------ framing */

static void test_first_record(void **state)
{
    (void)state;
    sb.len = 0;
    fx_sb_time(&sb);
    fx_sb_end(&sb);
    expect(-BATON_EINVAL, "first record is LU_TIME (0x40000004), expected LU_VERSION (0x40000000)");
    sb.len = 0;
    expect(-BATON_EINVAL, "LU_VERSION is missing: stream of 0 octets, expected LU_VERSION (0x40000000) first");
}

static void test_missing_end(void **state)
{
    (void)state;
    start();
    put_u64(OFF_LENGTH, sb.len);
    expect(-BATON_EINVAL, "END is missing: stream ends at offset 96");
}

/* A stream cut short whose tail is zeroes: the zeroes read as END. */
static void test_truncated_tail(void **state)
{
    (void)state;
    start();
    dom(1, 100);
    fx_sb_end(&sb);
    memset(sb.b + OFF_INFO, 0, sb.len - OFF_INFO);
    expect(-BATON_EINVAL, "END at offset 96, expected at offset");
}

static void test_body_length(void **state)
{
    (void)state;
    start();
    fx_sb_end(&sb);
    put_u32(OFF_TIME + 4, 0x10000);
    expect(-BATON_EINVAL, "LU_TIME (0x40000004) at offset 64: body_length 65536 (padded 65536) but 4024 octets left");
    put_u32(OFF_TIME + 4, 0xffffffff);
    expect(-BATON_EINVAL, "body_length 4294967295 (padded 4294967296) but 4024 octets left");
    put_u32(OFF_TIME + 4, 16);
    expect(-BATON_EINVAL, "LU_TIME (0x40000004) at offset 64: body_length 16, expected 24");
}

static void test_padding(void **state)
{
    (void)state;
    start();
    fx_sb_rec(&sb, 0xc0000042, "abcde", 5);
    fx_sb_end(&sb);
    expect_ok();
    sb.b[OFF_INFO + 8 + 6] = 0x33;
    expect(-BATON_EINVAL, "0xc0000042 at offset 96: padding octet 1 is 0x33, expected 0");
}

static void test_after_end(void **state)
{
    (void)state;
    start();
    fx_sb_end(&sb);
    sb.b[sb.len - 1] = 1;
    expect(-BATON_EINVAL, "octet at offset 4095 after END is 0x01, expected 0");
    /* the tail is read a word at a time: the first nonzero octet is named */
    start();
    fx_sb_end(&sb);
    sb.b[3003] = 0x80;
    sb.b[3005] = 0x01;
    expect(-BATON_EINVAL, "octet at offset 3003 after END is 0x80, expected 0");
}

static void test_end_body(void **state)
{
    const uint64_t v = 0;

    (void)state;
    start();
    fx_sb_rec(&sb, LU_REC_END, &v, sizeof(v));
    fx_sb_end(&sb);
    put_u64(OFF_LENGTH, 104);
    expect(-BATON_EINVAL, "END (0x00000000) at offset 96: body_length 8, expected 0");
}

static void test_unaligned(void **state)
{
    int rc;

    (void)state;
    start();
    fx_sb_end(&sb);
    rc = lu_stream_parse(&rd, sb.b + 4, sb.len - 8, s);
    assert_int_equal(rc, -BATON_EINVAL);
    assert_non_null(strstr(s->error, "expected an 8-aligned buffer"));
}

/* ------------------------------------------------------------ LU_VERSION */

static void version_with(const struct lu_rec_version *v)
{
    sb.len = 0;
    fx_sb_rec(&sb, LU_REC_VERSION, v, sizeof(*v));
    fx_sb_time(&sb);
    fx_sb_end(&sb);
}

static void test_version_numbers(void **state)
{
    struct lu_rec_version v = { .stream_version = LU_STREAM_VERSION + 1,
                                .compat_version = LU_STREAM_VERSION + 1 };
    char want[128];

    (void)state;
    version_with(&v);
    snprintf(want, sizeof(want),
             "LU_VERSION stream_version %u compat_version %u, this build reads versions %u to %u",
             LU_STREAM_VERSION + 1, LU_STREAM_VERSION + 1, LU_STREAM_VERSION_MIN, LU_STREAM_VERSION);
    expect(-BATON_EOPNOTSUPP, want);
    v = (struct lu_rec_version){ .stream_version = 0, .compat_version = 0 };
    version_with(&v);
    expect(-BATON_EINVAL, "LU_VERSION stream_version 0 compat_version 0, expected 1 <= compat_version <= stream_version");
    v = (struct lu_rec_version){ .stream_version = 1, .compat_version = 2 };
    version_with(&v);
    expect(-BATON_EINVAL, "stream_version 1 compat_version 2");
    /* V-2 is too old even when it claims compatibility. */
    v = (struct lu_rec_version){ .stream_version = 1, .compat_version = 1 };
    version_with(&v);
    if (LU_STREAM_VERSION_MIN > 1)
        expect(-BATON_EOPNOTSUPP, "stream version 1");
    else
        expect_ok();
}

static void test_version_extra(void **state)
{
    struct lu_rec_version v = { .stream_version = LU_STREAM_VERSION, .compat_version = 1 };

    (void)state;
    memset(v.hv_extra, 'A', sizeof(v.hv_extra));
    version_with(&v);
    expect(-BATON_EINVAL, "LU_VERSION hv_extra holds no NUL in its 32 octets, expected NUL-terminated");
    memset(v.hv_extra, 0, sizeof(v.hv_extra));
    memcpy(v.hv_extra, "a\tb", 3);
    version_with(&v);
    expect(-BATON_EINVAL, "LU_VERSION hv_extra octet 1 is 0x09, expected printable ASCII");
    memcpy(v.hv_extra, "ab\0c", 4);
    version_with(&v);
    expect(-BATON_EINVAL, "LU_VERSION hv_extra octet 3 is 0x63, expected NUL padding");
}

static void test_version_length(void **state)
{
    static const uint64_t bad[] = { 0, 8, 64, 100, 8192 };

    (void)state;
    start();
    fx_sb_end(&sb);
    expect_ok();
    for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
        char want[96];

        put_u64(OFF_LENGTH, bad[i]);
        snprintf(want, sizeof(want),
                 "LU_VERSION stream_length %llu, expected a multiple of 8 from 72 to 4096",
                 (unsigned long long)bad[i]);
        expect(-BATON_EINVAL, want);
    }
    sb.len = 0;
    fx_sb_rec(&sb, LU_REC_VERSION, "0123456789abcdef0123456789abcdef0123456789abcdef", 48);
    fx_sb_end(&sb);
    expect(-BATON_EINVAL, "LU_VERSION (0x40000000) at offset 0: body_length 48, expected 56");
}

static void test_version_duplicate(void **state)
{
    (void)state;
    start();
    fx_sb_version(&sb, LU_STREAM_VERSION, 1);
    fx_sb_end(&sb);
    expect(-BATON_EEXIST, "duplicate LU_VERSION (0x40000000) at offset 96");
}

/* ------------------------------------------------------------ LU_TIME */

static void test_time(void **state)
{
    const struct lu_rec_time t = { .tsc_hz = 0 };

    (void)state;
    sb.len = 0;
    fx_sb_version(&sb, LU_STREAM_VERSION, 1);
    fx_sb_rec(&sb, LU_REC_TIME, &t, sizeof(t));
    fx_sb_end(&sb);
    expect(-BATON_EINVAL, "LU_TIME tsc_hz is 0, expected the TSC frequency (non-zero)");

    sb.len = 0;
    fx_sb_version(&sb, LU_STREAM_VERSION, 1);
    dom(1, 100);
    fx_sb_end(&sb);
    expect(-BATON_EINVAL, "LU_DOMAIN_INFO at offset 64 before LU_TIME, expected LU_TIME first");

    sb.len = 0;
    fx_sb_version(&sb, LU_STREAM_VERSION, 1);
    fx_sb_end(&sb);
    expect(-BATON_EINVAL, "END at offset 64: no LU_TIME record, expected one");

    start();
    fx_sb_time(&sb);
    fx_sb_end(&sb);
    expect(-BATON_EEXIST, "duplicate LU_TIME (0x40000004) at offset 96");

    start();
    dom(1, 100);
    fx_sb_time(&sb);
    fx_sb_end(&sb);
    expect(-BATON_EINVAL, "after domain records, expected global records first");
}

/* ------------------------------------------------------------ record types */

static void test_unknown_mandatory(void **state)
{
    static const struct { uint32_t type; const char *text; } cases[] = {
        { 0x40000077, "unknown mandatory record 0x40000077 at offset 96" },
        { LU_REC_CPUS, "unknown mandatory record LU_CPUS (0x40000007) at offset 96" },
        { 0x00000005, "unknown mandatory record 0x00000005 at offset 96" },
        /* Reserved as in the original spec: Baton has no M2P to hand over. */
        { LU_REC_M2P, "unknown mandatory record LU_M2P (0x40000001) at offset 96" },
        { LU_REC_M2P_COMPAT, "unknown mandatory record LU_M2P_COMPAT (0x40000002) at offset 96" },
    };

    (void)state;
    for (unsigned int i = 0; i < ARRAY_SIZE(cases); i++) {
        start();
        fx_sb_rec(&sb, cases[i].type, "x", 1);
        fx_sb_end(&sb);
        expect(-BATON_EOPNOTSUPP, cases[i].text);
    }
}

static void test_unknown_optional(void **state)
{
    const struct lu_extent ext = { .gpfn = 0, .mfn = 100, .count = 1 };

    (void)state;
    start();
    fx_sb_rec(&sb, 0xc0000042, "global", 6);
    fx_sb_info(&sb, 1, 1);
    fx_sb_rec(&sb, 0x80000001, NULL, 0);
    fx_sb_memory(&sb, &ext, 1);
    if (SUMMARY)
        fx_sb_summary(&sb, 1, 1);
    fx_sb_rec(&sb, 0xffffffff, "in a domain", 11);
    fx_sb_context_min(&sb);
    fx_sb_end(&sb);
    expect_ok();
    assert_int_equal(s->nr_skipped, 3);
    assert_int_equal(s->nr_domains, 1);
    assert_int_equal(s->domains[0].nr_extents, 1);
}

/* ------------------------------------------------------------ domain order */

static void test_domain_order(void **state)
{
    const struct lu_extent ext = { .gpfn = 0, .mfn = 100, .count = 1 };

    (void)state;
    start();
    fx_sb_memory(&sb, &ext, 1);
    fx_sb_end(&sb);
    expect(-BATON_EINVAL, "LU_DOMAIN_MEMORY (0x40000005) at offset 96 outside a domain, expected LU_DOMAIN_INFO first");

    start();
    fx_sb_context_min(&sb);
    fx_sb_end(&sb);
    expect(-BATON_EINVAL, "LU_DOMAIN_CONTEXT (0x40000006) at offset 96 outside a domain");

    start();
    fx_sb_info(&sb, 1, 1);
    fx_sb_context_min(&sb);
    fx_sb_memory(&sb, &ext, 1);
    fx_sb_end(&sb);
    expect(-BATON_EINVAL, "domid 1: LU_DOMAIN_MEMORY (0x40000005) at offset 200 out of order, expected INFO, MEMORY, [SUMMARY,] CONTEXT");

    start();
    fx_sb_info(&sb, 1, 1);
    fx_sb_memory(&sb, &ext, 1);
    fx_sb_memory(&sb, &ext, 1);
    fx_sb_end(&sb);
    expect(-BATON_EEXIST, "domid 1: duplicate LU_DOMAIN_MEMORY (0x40000005) at offset 192");

    start();
    fx_sb_info(&sb, 1, 1);
    fx_sb_context_min(&sb);
    fx_sb_end(&sb);
    expect(-BATON_EINVAL, "domain 0 (domid 1): no LU_DOMAIN_MEMORY record, expected one");

    start();
    fx_sb_info(&sb, 1, 1);
    fx_sb_memory(&sb, &ext, 1);
    if (SUMMARY)
        fx_sb_summary(&sb, 1, 1);
    dom(2, 200);
    fx_sb_end(&sb);
    expect(-BATON_EINVAL, "domain 0 (domid 1): no LU_DOMAIN_CONTEXT record, expected one");

    start();
    dom(1, 100);
    fx_sb_info(&sb, 2, 1);
    fx_sb_memory(&sb, &ext, 1);
    fx_sb_end(&sb);
    expect(-BATON_EINVAL, "no LU_DOMAIN_CONTEXT record");
}

static void test_domids(void **state)
{
    (void)state;
    start();
    dom(9, 100);
    dom(3, 200);
    fx_sb_end(&sb);
    expect(-BATON_EEXIST, "domid 3 after domid 9: domains must come in ascending domid order, once each");
    start();
    dom(3, 100);
    dom(3, 200);
    fx_sb_end(&sb);
    expect(-BATON_EEXIST, "domid 3 after domid 3");
    start();
    dom(0, 100);
    dom(3, 200);
    dom(0x7fef, 300);
    fx_sb_end(&sb);
    expect_ok();
    assert_int_equal(s->nr_domains, 3);
}

/* ------------------------------------------------------------ LU_DOMAIN_INFO */

static void test_domain_info(void **state)
{
    static const struct {
        size_t off;     /* in the body */
        unsigned int size;
        uint32_t value;
        int rc;
        const char *text;
    } cases[] = {
        { 0, 4, 2, -BATON_EOPNOTSUPP, "domid 1: type 2, this build restores only 1 (x86 PV)" },
        { 0, 4, 0, -BATON_EOPNOTSUPP, "domid 1: type 0, this build restores only 1" },
        { 4, 2, 21, -BATON_EINVAL, "domid 1: page_shift 21, expected 12" },
        { 6, 2, 0x7ff0, -BATON_EINVAL, "domid 0x7ff0, expected below 0x7ff0 (higher domids are reserved)" },
        { 32, 4, 0, -BATON_E2BIG, "domid 1: max_vcpus 0, expected 1 to 512" },
        { 32, 4, 513, -BATON_E2BIG, "domid 1: max_vcpus 513, expected 1 to 512" },
        { 40, 4, 2, -BATON_EINVAL, "domid 1: extra_flags 0x2, expected only bits of 0x1" },
        { 44, 4, 5, -BATON_EINVAL, "domid 1: LU_DOMAIN_INFO pad 0x5, expected 0" },
    };

    (void)state;
    for (unsigned int i = 0; i < ARRAY_SIZE(cases); i++) {
        start();
        dom(1, 100);
        fx_sb_end(&sb);
        memcpy(sb.b + OFF_INFO + 8 + cases[i].off, &cases[i].value, cases[i].size);
        expect(cases[i].rc, cases[i].text);
    }
    static const uint8_t short_info[40];

    start();
    fx_sb_rec(&sb, LU_REC_DOMAIN_INFO, short_info, sizeof(short_info));
    fx_sb_end(&sb);
    expect(-BATON_EINVAL, "LU_DOMAIN_INFO (0x40000003) at offset 96: body_length 40, expected 48");
}

/* ------------------------------------------------------------ LU_DOMAIN_MEMORY */

static void memory_of(const struct lu_extent *ext, uint32_t nr)
{
    uint64_t pages = 0, p2m = 0;

    for (uint32_t i = 0; i < nr; i++) {
        pages += ext[i].count;
        p2m = ext[i].gpfn + ext[i].count;
    }
    start();
    fx_sb_info(&sb, 1, 1);
    fx_sb_memory(&sb, ext, nr);
    if (SUMMARY)
        fx_sb_summary(&sb, pages, p2m);
    fx_sb_context_min(&sb);
    fx_sb_end(&sb);
}

static void test_memory_body(void **state)
{
    const struct lu_extent ext[3] = { { 0, 100, 1 }, { 1, 101, 1 }, { 2, 102, 1 } };
    const uint32_t hdr_big[2] = { 70000, 0 };

    (void)state;
    /* The count is checked before the body behind it. */
    start();
    fx_sb_info(&sb, 1, 1);
    fx_sb_rec(&sb, LU_REC_DOMAIN_MEMORY, hdr_big, sizeof(hdr_big));
    fx_sb_end(&sb);
    expect(-BATON_E2BIG, "domid 1: 70000 extents, limit 65536");

    memory_of(ext, 3);
    expect_ok();
    put_u32(OFF_MEMORY + 8, 2);
    expect(-BATON_EINVAL, "LU_DOMAIN_MEMORY (0x40000005) at offset 152: body_length 80, expected 56");
    put_u32(OFF_MEMORY + 8, 3);
    put_u32(OFF_MEMORY + 12, 1);
    expect(-BATON_EINVAL, "domid 1: LU_DOMAIN_MEMORY pad 0x1, expected 0");

    start();
    fx_sb_info(&sb, 1, 1);
    fx_sb_rec(&sb, LU_REC_DOMAIN_MEMORY, hdr_big, 4);
    fx_sb_end(&sb);
    expect(-BATON_EINVAL, "LU_DOMAIN_MEMORY (0x40000005) at offset 152: body_length 4, expected 8");
}

static void test_extents(void **state)
{
    static const struct {
        struct lu_extent ext[2];
        int rc;
        const char *text;
    } cases[] = {
        { { { 0, 100, 0 }, { 1, 101, 1 } }, -BATON_EOVERFLOW,
          "domid 1 extent 0: gpfn 0x0 mfn 0x64 count 0x0, expected count >= 1 and ends below frame 0x10000000000" },
        { { { 0, 100, 1 }, { ~0ull, 101, 2 } }, -BATON_EOVERFLOW,
          "domid 1 extent 1: gpfn 0xffffffffffffffff mfn 0x65 count 0x2" },
        { { { 0, 100, 1 }, { 1, ~0ull - 0xf, 0x20 } }, -BATON_EOVERFLOW,
          "domid 1 extent 1: gpfn 0x1 mfn 0xfffffffffffffff0 count 0x20" },
        { { { 0, 100, 1 }, { 1, 101, ~0ull } }, -BATON_EOVERFLOW, "count 0xffffffffffffffff" },
        { { { 5, 100, 1 }, { 2, 101, 1 } }, -BATON_EINVAL,
          "domid 1 extent 1: gpfn 0x2, expected >= 0x6 (sorted by gpfn, no overlap)" },
        { { { 0, 100, 4 }, { 3, 200, 1 } }, -BATON_EINVAL, "domid 1 extent 1: gpfn 0x3, expected >= 0x4" },
        { { { 0, 100, 1 }, { 1, FX_PAGES, 1 } }, -BATON_ERANGE,
          "domid 1 extent 1: mfn 0x1000 count 0x1 is not inside RAM" },
        { { { 0, FX_PAGES - 1, 2 }, { 2, 100, 1 } }, -BATON_ERANGE,
          "domid 1 extent 0: mfn 0xfff count 0x2 is not inside RAM" },
        { { { 0, 100, 4 }, { 4, 102, 1 } }, -BATON_EEXIST,
          "domid 1 extent 1 (mfn 0x66, 0x1 frames) overlaps domid 1 extent 0 (mfn 0x64, 0x4 frames)" },
        { { { 0, 5, 1 }, { 1, 100, 1 } }, -BATON_EEXIST,
          "domid 1 extent 0 (mfn 0x5, 0x1 frames) overlaps reserved range 0 (mfn 0x1, 0xf frames)" },
        { { { 0, 0x10, 1 }, { 1, 0xf, 1 } }, -BATON_EEXIST,
          "domid 1 extent 1 (mfn 0xf, 0x1 frames) overlaps reserved range 0" },
    };

    (void)state;
    for (unsigned int i = 0; i < ARRAY_SIZE(cases); i++) {
        memory_of(cases[i].ext, 2);
        expect(cases[i].rc, cases[i].text);
    }
    /* Touching but not overlapping, and touching the reserved range. */
    const struct lu_extent ok[2] = { { 0, 0x10, 4 }, { 4, 0x14, 4 } };

    memory_of(ok, 2);
    expect_ok();
    assert_int_equal(s->domains[0].total_pages, 8);
    assert_int_equal(s->domains[0].p2m_size, 8);
}

static void test_extents_across_domains(void **state)
{
    const struct lu_extent ext = { .gpfn = 0, .mfn = 101, .count = 3 };

    (void)state;
    start();
    dom(1, 100);
    fx_sb_info(&sb, 2, 1);
    fx_sb_memory(&sb, &ext, 1);
    if (SUMMARY)
        fx_sb_summary(&sb, 3, 3);
    fx_sb_context_min(&sb);
    fx_sb_end(&sb);
    expect(-BATON_EEXIST,
           "domid 2 extent 0 (mfn 0x65, 0x3 frames) overlaps domid 1 extent 1 (mfn 0x65, 0x1 frames)");
}

/* ------------------------------------------------------------ LU_DOMAIN_CONTEXT */

static void context_with(const void *blob, uint32_t len)
{
    const struct lu_extent ext = { .gpfn = 0, .mfn = 100, .count = 1 };

    start();
    fx_sb_info(&sb, 1, 1);
    fx_sb_memory(&sb, &ext, 1);
    if (SUMMARY)
        fx_sb_summary(&sb, 1, 1);
    fx_sb_rec(&sb, LU_REC_DOMAIN_CONTEXT, blob, len);
    fx_sb_end(&sb);
}

static void test_context(void **state)
{
    struct {
        struct domctx_desc hd;
        struct domctx_header h;
        struct domctx_desc e;
        struct fx_dom_entry v;
        struct domctx_desc end;
    } blob = {
        .hd = { .typecode = DOMCTX_TYPE_HEADER, .length = 8 },
        .h = { .magic = DOMCTX_MAGIC, .version = DOMCTX_VERSION },
        .e = { .typecode = FX_TYPE_DOMAIN, .length = 8 },
        .v = { 77 },
        .end = { .typecode = DOMCTX_TYPE_END },
    };

    (void)state;
    context_with(&blob, sizeof(blob));
    expect_ok();
    assert_int_equal(s->domains[0].context_len, sizeof(blob));
    /* checked with the handlers: restore may load it without checking again */
    assert_true(s->domains[0].context_validated);
    blob.h.magic = 0;
    context_with(&blob, sizeof(blob));
    expect(-BATON_EINVAL, "domid 1 LU_DOMAIN_CONTEXT: HEADER magic 0x00000000, expected 0x58544344");
    blob.h.magic = DOMCTX_MAGIC;
    blob.e.vcpu_id = 1;
    context_with(&blob, sizeof(blob));
    expect(-BATON_EINVAL, "domid 1 LU_DOMAIN_CONTEXT: entry TEST_DOMAIN (0xff00) at offset 24: vcpu 1, expected below 1 (the domain's vCPUs)");
    blob.e.vcpu_id = 0;
    blob.e.typecode = 0x0077;
    context_with(&blob, sizeof(blob));
    expect(-BATON_EOPNOTSUPP, "unknown type, expected a type this build loads or the IGNORE flag");
    /* A tool without handlers checks the framing only. */
    rd.flags = LU_READ_CONTEXT_FRAMING_ONLY;
    expect_ok();
    /* ... and says so: a load from it must validate with the handlers */
    assert_false(s->domains[0].context_validated);
    rd.flags = 0;
    context_with(&blob, 0);
    expect(-BATON_EINVAL, "domid 1 LU_DOMAIN_CONTEXT: HEADER is missing: blob of 0 octets, expected a HEADER entry first");
}

/* ------------------------------------------------------------ limits */

static void test_domain_limit(void **state)
{
    (void)state;
    start();
    for (unsigned int i = 0; i < LU_DOMAINS_MAX; i++)
        fx_sb_domain(&sb, (uint16_t)i, 0, 0, SUMMARY);
    fx_sb_end(&sb);
    expect_ok();
    assert_int_equal(s->nr_domains, LU_DOMAINS_MAX);
    sb.len -= sb.len - (size_t)s->stream_len + 8;  /* drop END and padding */
    fx_sb_domain(&sb, LU_DOMAINS_MAX, 0, 0, SUMMARY);
    fx_sb_end(&sb);
    expect(-BATON_E2BIG, ": 1025 domains, limit 1024");
}

static void test_extent_limit(void **state)
{
    static const struct lu_range big_ram = { 0, 1ull << 40 };
    unsigned int per = LU_EXTENTS_MAX;

    (void)state;
    rd.ram = &big_ram;
    start();
    for (unsigned int i = 0; i <= LU_EXTENTS_TOTAL_MAX / per; i++)
        fx_sb_domain(&sb, (uint16_t)i, 0x100000 + (uint64_t)i * per, per, SUMMARY);
    fx_sb_end(&sb);
    expect(-BATON_E2BIG, "domid 4: 327680 extents in all, limit 262144");
    /* One domain fewer is fine, and the overlap check copes with it. */
    start();
    for (unsigned int i = 0; i < LU_EXTENTS_TOTAL_MAX / per; i++)
        fx_sb_domain(&sb, (uint16_t)i, 0x100000 + (uint64_t)i * per, per, SUMMARY);
    fx_sb_end(&sb);
    expect_ok();
    assert_int_equal(s->domains[3].nr_extents, per);
}

/* ------------------------------------------------------------ reader config */

static void test_reader_config(void **state)
{
    struct lu_range ram[LU_RANGES_MAX + 1];
    struct lu_reader r;

    (void)state;
    start();
    fx_sb_end(&sb);
    for (unsigned int i = 0; i <= LU_RANGES_MAX; i++)
        ram[i] = (struct lu_range){ i * PAGE_SIZE, (i + 1) * PAGE_SIZE };
    r = rd;
    r.nr_ram = 0;
    assert_int_equal(lu_stream_parse(&r, sb.b, sb.len, s), -BATON_EINVAL);
    assert_string_equal(s->error, "reader: no RAM ranges, expected at least one");
    r = rd;
    r.ram = ram;
    r.nr_ram = LU_RANGES_MAX + 1;
    assert_int_equal(lu_stream_parse(&r, sb.b, sb.len, s), -BATON_EINVAL);
    assert_string_equal(s->error, "reader: 257 RAM ranges, limit 256");
    r.nr_ram = LU_RANGES_MAX;
    assert_int_equal(lu_stream_parse(&r, sb.b, sb.len, s), 0);
    ram[1] = (struct lu_range){ 0, PAGE_SIZE };
    assert_int_equal(lu_stream_parse(&r, sb.b, sb.len, s), -BATON_EINVAL);
    assert_string_equal(s->error, "reader: RAM range 1 starts at 0x0, before the end of range 0 (0x1000)");
    ram[1] = (struct lu_range){ 0x3000, 0x3000 };
    assert_int_equal(lu_stream_parse(&r, sb.b, sb.len, s), -BATON_EINVAL);
    assert_string_equal(s->error, "reader: RAM range 1 [0x3000, 0x3000), expected non-empty and ending by 0x10000000000000");
    r = rd;
    r.scratch_alloc = NULL;
    assert_int_equal(lu_stream_parse(&r, sb.b, sb.len, s), -BATON_EINVAL);
    assert_string_equal(s->error, "reader: no scratch allocator, expected scratch_alloc and scratch_free");
}

/* Adjacent RAM ranges may be crossed by one extent; a hole may not. */
static void test_ram_ranges(void **state)
{
    const struct lu_range ram[] = { { 0, 0x100000 }, { 0x100000, 0x200000 }, { 0x300000, 0x400000 } };
    const struct lu_extent across[2] = { { 0, 0xf8, 0x10 }, { 0x10, 0x300, 2 } };
    const struct lu_extent hole[2] = { { 0, 0xf8, 0x10 }, { 0x10, 0x1ff, 2 } };

    (void)state;
    rd.ram = ram;
    rd.nr_ram = 3;
    memory_of(across, 2);
    expect_ok();
    memory_of(hole, 2);
    expect(-BATON_ERANGE, "extent 1: mfn 0x1ff count 0x2 is not inside RAM");
}

/* ------------------------------------------------------------ robustness */

static void standard_stream(struct lu_host_pool *fp, uint8_t **buf, size_t *len)
{
    struct lu_writer w;
    struct domain doms[3];

    fx_domain_init(&doms[0], 0, 1, 1);
    fx_domain_init(&doms[1], 4, 2, 2);
    fx_domain_init(&doms[2], 5, 3, 3);
    assert_int_equal(lu_writer_init(&w, &fp->ops), 0);
    assert_int_equal(fx_write_stream(&w, doms, 3), 0);
    *buf = fx_linearize(fp, &w, len);
    lu_writer_free(&w);
}

/* Every single-bit flip of a good stream: no crash, no half result. */
static void test_bit_flips(void **state)
{
    struct lu_host_pool fp;
    uint8_t *buf;
    size_t len;
    unsigned int accepted = 0, rejected = 0;

    (void)state;
    fx_phys_init(&fp);
    standard_stream(&fp, &buf, &len);
    assert_int_equal(lu_stream_parse(&rd, buf, len, s), 0);
    size_t used = s->stream_len;

    for (size_t i = 0; i < used + 16; i++) {
        for (unsigned int bit = 0; bit < 8; bit++) {
            buf[i] ^= (uint8_t)(1u << bit);
            if (lu_stream_parse(&rd, buf, len, s) == 0) {
                accepted++;
                assert_int_equal(s->nr_domains, 3);
            } else {
                rejected++;
                assert_int_equal(s->nr_domains, 0);
                assert_true(strlen(s->error) > 10);
            }
            buf[i] ^= (uint8_t)(1u << bit);
        }
    }
    /* Handles, ssidrefs, register values may change; framing may not. */
    assert_true(accepted > 100);
    assert_true(rejected > accepted);
    for (size_t n = 0; n < used; n += 8)
        assert_int_not_equal(lu_stream_parse(&rd, buf, n, s), 0);
    free(buf);
    fx_phys_fini(&fp);
}

static void test_garbage(void **state)
{
    uint64_t seed = 12345;
    uint64_t *buf = malloc(PAGE_SIZE);

    (void)state;
    assert_non_null(buf);
    for (unsigned int round = 0; round < 3000; round++) {
        for (unsigned int i = 0; i < PAGE_SIZE / 8; i++) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            buf[i] = seed;
        }
        /* Half the rounds start with a plausible header. */
        if (round & 1) {
            const struct lu_rec_hdr h = { LU_REC_VERSION, sizeof(struct lu_rec_version) };

            memcpy(buf, &h, sizeof(h));
        }
        assert_int_not_equal(lu_stream_parse(&rd, buf, (seed >> 20) % PAGE_SIZE & ~7ull, s), 0);
    }
    free(buf);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_first_record), T(test_missing_end), T(test_truncated_tail),
        T(test_body_length), T(test_padding), T(test_after_end), T(test_end_body),
        T(test_unaligned), T(test_version_numbers), T(test_version_extra),
        T(test_version_length), T(test_version_duplicate), T(test_time),
        T(test_unknown_mandatory), T(test_unknown_optional), T(test_domain_order),
        T(test_domids), T(test_domain_info), T(test_memory_body), T(test_extents),
        T(test_extents_across_domains), T(test_context), T(test_domain_limit),
        T(test_extent_limit), T(test_reader_config), T(test_ram_ranges),
        T(test_bit_flips), T(test_garbage),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
