/*
 * Stream version compatibility, both directions, in both builds:
 *  - an older writer: a version 1 stream read by a version 2 reader, which
 *    infers the missing LU_DOMAIN_SUMMARY and zero-extends short entries;
 *  - a newer writer with optional extras: a version 2 (or 3) stream whose
 *    compat_version admits this reader, which skips the optional record and
 *    ignores the appended entry tails.
 * Streams are built by hand here, and the other build's real writer output
 * is read from the committed seed corpus (tests/fuzz/corpus/fuzz_lu_stream).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <cmocka.h>

#include <baton/errno.h>
#include <baton/lu_stream.h>
#include "harness.h"
#include "../fuzz/lu_fixture.h"

#define V2_BUILD (LU_STREAM_VERSION >= LU_STREAM_V2)

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

/* ------------------------------------------------------------ stream shapes */

struct shape {
    uint32_t version, compat;
    uint32_t vcpu_entry;    /* octets of each TEST_VCPU entry: 16, 24 or 32 */
    bool summary;
    bool summary_first;     /* before LU_DOMAIN_MEMORY: out of order */
    uint64_t summary_pages; /* 0: the true total */
    uint64_t summary_p2m;   /* 0: the true size */
    uint32_t extra_optional;/* a further optional record in each domain, 0: none */
    uint32_t extra_mandatory;
};

#define NR_VCPUS 2

static uint64_t rip_of(unsigned int d, unsigned int v) { return 0x1000 * (d + 1) + v; }
static uint64_t rsp_of(unsigned int d, unsigned int v) { return 0x2000 * (d + 1) + v; }
static uint64_t fsb_of(unsigned int d, unsigned int v) { return 0x3000 * (d + 1) + v; }

static void ctx_entry(uint8_t *blob, size_t *len, uint16_t type, uint32_t vcpu,
                      const void *body, uint32_t n)
{
    const struct domctx_desc d = { .typecode = type, .vcpu_id = vcpu, .length = n };

    memcpy(blob + *len, &d, sizeof(d));
    memcpy(blob + *len + sizeof(d), body, n);
    *len += sizeof(d) + ALIGN_UP(n, 8);
}

/* A context as a writer of the given entry size would save it. */
static void context_for(unsigned int k, uint32_t vcpu_entry)
{
    static uint8_t blob[512];
    const struct domctx_header h = { .magic = DOMCTX_MAGIC, .version = DOMCTX_VERSION };
    const struct fx_dom_entry de = { .value = 0xd0 + k };
    size_t len = 0;

    memset(blob, 0, sizeof(blob));
    ctx_entry(blob, &len, DOMCTX_TYPE_HEADER, 0, &h, sizeof(h));
    ctx_entry(blob, &len, FX_TYPE_DOMAIN, 0, &de, sizeof(de));
    for (unsigned int v = 0; v < NR_VCPUS; v++) {
        const uint64_t regs[4] = { rip_of(k, v), rsp_of(k, v), fsb_of(k, v), 0xeeee };

        ctx_entry(blob, &len, FX_TYPE_VCPU, v, regs, vcpu_entry);
    }
    ctx_entry(blob, &len, DOMCTX_TYPE_END, 0, NULL, 0);
    fx_sb_rec(&sb, LU_REC_DOMAIN_CONTEXT, blob, (uint32_t)len);
}

static void build(const struct shape *sh, unsigned int nr_domains)
{
    sb.len = 0;
    fx_sb_version(&sb, sh->version, sh->compat);
    fx_sb_time(&sb);
    for (unsigned int k = 0; k < nr_domains; k++) {
        struct lu_extent ext[FX_EXTENTS];
        uint64_t pages = sh->summary_pages ? sh->summary_pages : 14;
        uint64_t p2m = sh->summary_p2m ? sh->summary_p2m : 0x102;

        fx_extents(k, ext);
        fx_sb_info(&sb, (uint16_t)(k + 1), NR_VCPUS);
        if (sh->summary && sh->summary_first)
            fx_sb_summary(&sb, pages, p2m);
        fx_sb_memory(&sb, ext, FX_EXTENTS);
        if (sh->summary && !sh->summary_first)
            fx_sb_summary(&sb, pages, p2m);
        if (sh->extra_optional)
            fx_sb_rec(&sb, sh->extra_optional, "newer", 5);
        if (sh->extra_mandatory)
            fx_sb_rec(&sb, sh->extra_mandatory, "newer", 5);
        context_for(k, sh->vcpu_entry);
    }
    fx_sb_end(&sb);
}

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
    assert_int_equal(s->nr_domains, 0);
}

/* Load domain k and check what this build's structure can hold. */
static void check_load(unsigned int k, uint32_t written_entry)
{
    const struct lu_domain *d = &s->domains[k];
    struct domain e;
    bool have_fsbase = sizeof(fx_vcpu_t) >= 24 && written_entry >= 24;

    fx_domain_blank(&e, d->info.domid, d->info.max_vcpus);
    assert_int_equal(domctx_load(&e, d->info.max_vcpus, d->context, d->context_len,
                                 s->ctx_flags, NULL, 0), 0);
    assert_int_equal(e.dom_value, 0xd0 + k);
    for (unsigned int v = 0; v < NR_VCPUS; v++) {
        assert_int_equal(e.vcpu[v].rip, rip_of(k, v));
        assert_int_equal(e.vcpu[v].rsp, rsp_of(k, v));
        /* Zero-extended when the writer was older than this build. */
        assert_int_equal(e.vcpu[v].fsbase, have_fsbase ? fsb_of(k, v) : 0);
    }
}

/* ------------------------------------------------------------ older writer */

static void test_read_v1(void **state)
{
    const struct shape v1 = { .version = 1, .compat = 1, .vcpu_entry = 16 };

    (void)state;
    build(&v1, 3);
    expect_ok();
    assert_int_equal(s->nr_domains, 3);
    assert_int_equal(s->ctx_flags, 0);
    assert_int_equal(s->nr_skipped, 0);
    for (unsigned int k = 0; k < 3; k++) {
        /* Inferred: version 1 has no summary. */
        assert_true(s->domains[k].summary_inferred);
        assert_int_equal(s->domains[k].total_pages, 14);
        assert_int_equal(s->domains[k].p2m_size, 0x102);
        check_load(k, 16);
    }
}

/* ------------------------------------------------------------ newer writer */

static void test_read_v2(void **state)
{
    const struct shape v2 = { .version = 2, .compat = 1, .vcpu_entry = 24, .summary = true,
                              .summary_p2m = 0x400 };

    (void)state;
    build(&v2, 3);
    expect_ok();
    assert_int_equal(s->nr_domains, 3);
    for (unsigned int k = 0; k < 3; k++) {
        assert_int_equal(s->domains[k].summary_inferred, !V2_BUILD);
        assert_int_equal(s->domains[k].total_pages, 14);
        /* A version 1 reader skips the summary and keeps its own count. */
        assert_int_equal(s->domains[k].p2m_size, V2_BUILD ? 0x400 : 0x102);
        check_load(k, 24);
    }
    /* The version 1 reader skipped one summary per domain, and was told
     * that context entries may carry tails it does not know. */
    assert_int_equal(s->nr_skipped, V2_BUILD ? 0 : 3);
    assert_int_equal(s->ctx_flags, V2_BUILD ? 0 : DOMCTX_ALLOW_LONGER);
}

static void test_v2_summary_rules(void **state)
{
    struct shape sh = { .version = 2, .compat = 1, .vcpu_entry = 24 };

    (void)state;
    /* Version 2 requires the summary a version 2 reader knows. */
    build(&sh, 1);
    if (V2_BUILD)
        expect(-BATON_EINVAL, "domain 0 (domid 1): stream version 2 requires LU_DOMAIN_SUMMARY, found none");
    else
        expect_ok();
    sh.summary = true;
    sh.summary_pages = 5;
    build(&sh, 1);
    if (V2_BUILD)
        expect(-BATON_EINVAL, "domid 1: LU_DOMAIN_SUMMARY total_pages 0x5, expected 0xe (the extents' sum)");
    else
        expect_ok();
    sh.summary_pages = 0;
    sh.summary_p2m = 0x101;
    build(&sh, 1);
    if (V2_BUILD)
        expect(-BATON_EINVAL, "domid 1: LU_DOMAIN_SUMMARY p2m_size 0x101, expected 0x102 to 0x10000000000");
    else
        expect_ok();
    sh.summary_p2m = 0;
    sh.summary_first = true;
    build(&sh, 1);
    if (V2_BUILD)
        expect(-BATON_EINVAL, "domid 1: LU_DOMAIN_SUMMARY at offset 152 before LU_DOMAIN_MEMORY, expected after it");
    else
        expect_ok();
}

/*
 * The summary rule, stated in the spec: a version 2 reader requires
 * LU_DOMAIN_SUMMARY in every stream of version 2 or more, whatever the
 * compat_version (1 or 2, and a version 3 stream with compat 2); it infers
 * the totals in a version 1 stream only.
 */
static void test_summary_required(void **state)
{
    struct shape sh = { .version = 2, .compat = 2, .vcpu_entry = 24 };

    (void)state;
    build(&sh, 1);
    if (V2_BUILD)
        expect(-BATON_EINVAL, "domain 0 (domid 1): stream version 2 requires LU_DOMAIN_SUMMARY, found none");
    else
        expect(-BATON_EOPNOTSUPP, "LU_VERSION stream_version 2 compat_version 2, this build reads versions 1 to 1");
    sh = (struct shape){ .version = 3, .compat = 2, .vcpu_entry = 24 };
    build(&sh, 1);
    if (V2_BUILD)
        expect(-BATON_EINVAL, "domain 0 (domid 1): stream version 3 requires LU_DOMAIN_SUMMARY, found none");
    else
        expect(-BATON_EOPNOTSUPP, "LU_VERSION stream_version 3 compat_version 2, this build reads versions 1 to 1");
    sh.summary = true;
    build(&sh, 1);
    if (V2_BUILD) {
        expect_ok();
        assert_false(s->domains[0].summary_inferred);
    }
    /* Version 1: computed from the extents, as the Versions table says. */
    sh = (struct shape){ .version = 1, .compat = 1, .vcpu_entry = 16 };
    build(&sh, 1);
    expect_ok();
    assert_true(s->domains[0].summary_inferred);
    assert_int_equal(s->domains[0].total_pages, 8 + 4 + 2);
    assert_int_equal(s->domains[0].p2m_size, 0x102);
}

/* A future version declaring itself readable by this build. */
static void test_future_compat(void **state)
{
    struct shape sh = { .version = LU_STREAM_VERSION + 1, .compat = LU_STREAM_VERSION,
                        .vcpu_entry = 32, .summary = V2_BUILD, .extra_optional = 0xc0000077 };
    char want[128];

    (void)state;
    build(&sh, 2);
    expect_ok();
    assert_int_equal(s->ctx_flags, DOMCTX_ALLOW_LONGER);
    assert_int_equal(s->nr_skipped, 2);
    check_load(0, 32);
    check_load(1, 32);
    /* Not readable by this build: refused before any record is used. */
    sh.compat = LU_STREAM_VERSION + 1;
    build(&sh, 2);
    snprintf(want, sizeof(want), "LU_VERSION stream_version %u compat_version %u, this build reads",
             LU_STREAM_VERSION + 1, LU_STREAM_VERSION + 1);
    expect(-BATON_EOPNOTSUPP, want);
    /* Compatibility never covers a mandatory record this build lacks. */
    sh.compat = LU_STREAM_VERSION;
    sh.extra_mandatory = 0x40000077;
    build(&sh, 2);
    expect(-BATON_EOPNOTSUPP, "unknown mandatory record 0x40000077");
}

/* Longer entries from a writer of this very version are a bug, not news. */
static void test_longer_same_version(void **state)
{
    const struct shape sh = { .version = LU_STREAM_VERSION, .compat = 1, .vcpu_entry = 32,
                              .summary = V2_BUILD };
    char want[96];

    (void)state;
    build(&sh, 1);
    snprintf(want, sizeof(want), "vcpu 0 at offset 48: length 32, this build's structure is %zu",
             sizeof(fx_vcpu_t));
    expect(-BATON_E2BIG, want);
}

/* ------------------------------------------------------------ the other build */

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf;
    long n;

    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n > 0);
    rewind(f);
    buf = aligned_alloc(PAGE_SIZE, ALIGN_UP((size_t)n, PAGE_SIZE));
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* Seeds named vN-ok-* were written by the real writer of version N. */
static void test_other_build_writer(void **state)
{
    const char *dir = LU_SRCDIR "/tests/fuzz/corpus/fuzz_lu_stream";
    const char *prefix = V2_BUILD ? "v1-ok-" : "v2-ok-";
    uint32_t other = V2_BUILD ? 1 : 2;
    DIR *d = opendir(dir);
    struct dirent *de;
    unsigned int files = 0;

    (void)state;
    assert_non_null(d);
    while ((de = readdir(d))) {
        char path[4096];
        uint8_t *buf;
        size_t len;

        if (strncmp(de->d_name, prefix, strlen(prefix)))
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        buf = read_file(path, &len);
        if (lu_stream_parse(&rd, buf, len, s))
            fail_msg("%s: %s", de->d_name, s->error);
        assert_int_equal(s->version.stream_version, other);
        for (unsigned int k = 0; k < s->nr_domains; k++) {
            const struct lu_domain *dd = &s->domains[k];
            struct domain e;

            fx_domain_blank(&e, dd->info.domid, dd->info.max_vcpus);
            assert_int_equal(domctx_load(&e, dd->info.max_vcpus, dd->context,
                                         dd->context_len, s->ctx_flags, NULL, 0), 0);
            /* fsbase crosses only from a version 2 writer to a version 2 reader. */
            for (unsigned int v = 0; v < dd->info.max_vcpus; v++)
                assert_int_equal(e.vcpu[v].fsbase, 0);
            assert_int_equal(dd->summary_inferred, true);
        }
        files++;
        free(buf);
    }
    closedir(d);
    assert_true(files >= 2);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_read_v1), T(test_read_v2), T(test_v2_summary_rules), T(test_summary_required),
        T(test_future_compat), T(test_longer_same_version), T(test_other_build_writer),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
