/*
 * LU stream writer and reader: round trips of every record through fake
 * physical memory, the MFN array and the breadcrumb; writer failure modes.
 * Built for stream version 1 and (test_lu_stream_v2) version 2.
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

struct ctx {
    struct lu_host_pool fp;
    struct lu_writer w;
    struct lu_reader r;
    struct lu_stream *s;
    struct domain doms[3];
};

static int setup(void **state)
{
    struct ctx *c = calloc(1, sizeof(*c));

    assert_non_null(c);
    harness_log_clear();
    fx_phys_init(&c->fp);
    fx_reader(&c->r, &c->fp);
    c->s = fx_stream_new();
    assert_int_equal(fx_register(), 0);
    fx_domain_init(&c->doms[0], 0, 1, 100);
    fx_domain_init(&c->doms[1], 3, 2, 200);
    fx_domain_init(&c->doms[2], 9, 4, 300);
    *state = c;
    return 0;
}

static int teardown(void **state)
{
    struct ctx *c = *state;

    lu_stream_close(&c->r, c->s);
    lu_writer_free(&c->w);
    assert_int_equal(c->fp.live, 0);
    fx_phys_fini(&c->fp);
    free(c->s);
    free(c);
    return 0;
}

/* Write the standard stream and leave its breadcrumb in the LU bootmem. */
static struct lu_breadcrumb *write_standard(struct ctx *c)
{
    struct lu_breadcrumb *bc = fx_phys_addr(&c->fp, FX_BOOTMEM_MFN * PAGE_SIZE);

    assert_int_equal(lu_writer_init(&c->w, &c->fp.ops), 0);
    assert_int_equal(fx_write_stream(&c->w, c->doms, 3), 0);
    assert_int_equal(lu_writer_finish(&c->w, bc), 0);
    return bc;
}

static void check_domain(struct ctx *c, unsigned int k)
{
    const struct lu_domain *d = &c->s->domains[k];
    struct lu_rec_domain_info info;
    struct lu_extent ext[FX_EXTENTS];
    struct domain e;

    fx_domain_info(&c->doms[k], &info);
    assert_memory_equal(&d->info, &info, sizeof(info));
    fx_extents(k, ext);
    assert_int_equal(d->nr_extents, FX_EXTENTS);
    assert_memory_equal(d->extents, ext, sizeof(ext));
    assert_int_equal(d->total_pages, 8 + 4 + 2);
    assert_int_equal(d->p2m_size, 0x102);
    assert_int_equal(d->summary_inferred, LU_STREAM_VERSION < LU_STREAM_V2);
    /* The context restores the domain exactly. */
    fx_domain_blank(&e, info.domid, info.max_vcpus);
    assert_int_equal(domctx_load(&e, info.max_vcpus, d->context, d->context_len,
                                 c->s->ctx_flags, NULL, 0), 0);
    assert_int_equal(e.dom_value, c->doms[k].dom_value);
    assert_memory_equal(e.vcpu, c->doms[k].vcpu, info.max_vcpus * sizeof(e.vcpu[0]));
    assert_memory_equal(e.items, c->doms[k].items, sizeof(e.items));
}

static void test_round_trip(void **state)
{
    struct ctx *c = *state;
    struct lu_breadcrumb *bc = write_standard(c);
    struct lu_stream *s = c->s;

    assert_int_equal(lu_stream_open(&c->r, bc, s), 0);
    assert_int_equal(s->version.stream_version, LU_STREAM_VERSION);
    assert_int_equal(s->version.compat_version, LU_STREAM_COMPAT);
    assert_int_equal(s->version.hv_major, 4);
    assert_int_equal(s->version.hv_minor, 2);
    assert_string_equal(s->version.hv_extra, "-fx");
    assert_int_equal(s->version.stream_length, c->w.bytes);
    assert_int_equal(s->stream_len, c->w.bytes);
    assert_int_equal(s->time.tsc_hz, FX_TSC_HZ);
    assert_int_equal(s->time.tsc, FX_TSC);
    assert_int_equal(s->time.stime_ns, FX_STIME);
    assert_int_equal(s->ctx_flags, 0);
    assert_int_equal(s->nr_skipped, 0);
    assert_int_equal(s->nr_pages, c->w.nr_pages);
    assert_memory_equal(s->mfns, c->w.mfns, c->w.nr_pages * sizeof(uint64_t));
    assert_int_equal(s->mfn_array_pa, c->w.mfns_mfn << PAGE_SHIFT);
    assert_int_equal(s->nr_domains, 3);
    for (unsigned int k = 0; k < 3; k++)
        check_domain(c, k);
    assert_int_equal(s->domains[0].info.extra_flags, LU_DOMAIN_EXTRA_PRIVILEGED);
    assert_int_equal(s->domains[1].info.extra_flags, 0);
}

static void test_breadcrumb(void **state)
{
    struct ctx *c = *state;
    struct lu_breadcrumb *bc = write_standard(c);
    paddr_t pa;
    uint64_t nr;

    assert_int_equal(bc->magic, 0x4c69766555706000ull);
    assert_int_equal(bc->mfn_array_pa, c->w.mfns_mfn * PAGE_SIZE);
    assert_int_equal(bc->mfn_array_pa & (PAGE_SIZE - 1), 0);
    assert_int_equal(bc->shifted_nr_pages, c->w.nr_pages << PAGE_SHIFT);
    assert_int_equal(lu_breadcrumb_decode(bc, &pa, &nr, c->s), 0);
    assert_int_equal(pa, bc->mfn_array_pa);
    assert_int_equal(nr, c->w.nr_pages);
    /* The MFN array in memory lists the stream frames, little-endian. */
    const uint8_t *array = fx_phys_addr(&c->fp, pa);
    uint64_t first = 0;

    for (int i = 7; i >= 0; i--)
        first = first << 8 | array[i];
    assert_int_equal(first, c->w.mfns[0]);
}

static void test_open_mfns(void **state)
{
    struct ctx *c = *state;

    write_standard(c);
    assert_int_equal(lu_stream_open_mfns(&c->r, c->w.mfns, c->w.nr_pages,
                                         c->w.mfns_mfn << PAGE_SHIFT, c->s), 0);
    assert_int_equal(c->s->nr_domains, 3);
    lu_stream_close(&c->r, c->s);
    assert_int_equal(lu_stream_open_mfns(&c->r, c->w.mfns, c->w.nr_pages, LU_PA_NONE, c->s), 0);
    assert_int_equal(c->s->nr_domains, 3);
}

/* Frames are scattered; a big record crosses many of them and the MFN
 * array outgrows its first page (512 entries) twice. */
static void test_large_scattered(void **state)
{
    struct ctx *c = *state;
    struct lu_breadcrumb bc;
    size_t big = 1200 * PAGE_SIZE + 123;
    uint8_t *body = malloc(big);

    assert_non_null(body);
    for (size_t i = 0; i < big; i++)
        body[i] = (uint8_t)(i * 7 + 1);
    assert_int_equal(lu_writer_init(&c->w, &c->fp.ops), 0);
    assert_int_equal(lu_write_version(&c->w, 1, 0, ""), 0);
    assert_int_equal(lu_write_time(&c->w, 1000, 1, 2), 0);
    assert_int_equal(lu_write_record(&c->w, 0xc0001234u, body, (uint32_t)big), 0);
    assert_int_equal(lu_write_end(&c->w), 0);
    assert_int_equal(lu_writer_finish(&c->w, &bc), 0);
    assert_true(c->w.nr_pages > 1200);
    assert_int_equal(c->w.mfns_cap, 4);
    for (uint64_t i = 0; i + 1 < c->w.nr_pages; i++)
        assert_int_not_equal(c->w.mfns[i] + 1, c->w.mfns[i + 1]);
    assert_int_equal(lu_stream_open(&c->r, &bc, c->s), 0);
    assert_int_equal(c->s->nr_skipped, 1);
    assert_int_equal(c->s->nr_domains, 0);
    /* The body crossed frames intact. */
    long off = fx_find_record(c->s->base, c->s->len, 0xc0001234u, 0);
    assert_true(off > 0);
    assert_memory_equal(c->s->base + off + 8, body, big);
    free(body);
}

static void test_zero_domains(void **state)
{
    struct ctx *c = *state;
    struct lu_breadcrumb bc;

    assert_int_equal(lu_writer_init(&c->w, &c->fp.ops), 0);
    assert_int_equal(fx_write_stream(&c->w, NULL, 0), 0);
    assert_int_equal(lu_writer_finish(&c->w, &bc), 0);
    assert_int_equal(c->w.bytes, 8 + 56 + 8 + 24 + 8);
    assert_int_equal(lu_stream_open(&c->r, &bc, c->s), 0);
    assert_int_equal(c->s->nr_domains, 0);
    assert_int_equal(c->s->stream_len, 104);
}

/* Version 2 follows every LU_DOMAIN_MEMORY with a LU_DOMAIN_SUMMARY. */
static void test_summary_records(void **state)
{
    struct ctx *c = *state;
    size_t len;
    uint8_t *buf;
    unsigned int want = LU_STREAM_VERSION >= LU_STREAM_V2 ? 3 : 0;

    write_standard(c);
    buf = fx_linearize(&c->fp, &c->w, &len);
    for (unsigned int k = 0; k < 3; k++) {
        long mem = fx_find_record(buf, len, LU_REC_DOMAIN_MEMORY, k);
        long sum = fx_find_record(buf, len, LU_REC_DOMAIN_SUMMARY, k);

        assert_true(mem > 0);
        if (k < want) {
            struct lu_rec_domain_summary body;

            assert_int_equal(sum, mem + 8 + 8 + 3 * 24);
            memcpy(&body, buf + sum + 8, sizeof(body));
            assert_int_equal(body.total_pages, 14);
            assert_int_equal(body.p2m_size, 0x102);
        } else {
            assert_int_equal(sum, -1);
        }
    }
    free(buf);
}

/* Every allocation the writer makes may fail: the error is sticky, and
 * freeing gives back every frame. */
static void test_alloc_failure(void **state)
{
    struct ctx *c = *state;
    struct lu_breadcrumb bc;
    uint64_t needed;

    write_standard(c);
    needed = c->fp.allocs;
    lu_writer_free(&c->w);
    assert_int_equal(c->fp.live, 0);
    for (uint64_t k = 0; k < needed; k++) {
        int rc;

        c->fp.allocs = 0;
        c->fp.fail_after = (int64_t)k;
        rc = lu_writer_init(&c->w, &c->fp.ops);
        if (!rc)
            rc = fx_write_stream(&c->w, c->doms, 3);
        assert_int_equal(rc, -BATON_ENOMEM);
        assert_int_equal(lu_writer_finish(&c->w, &bc), -BATON_ENOMEM);
        lu_writer_free(&c->w);
        assert_int_equal(c->fp.live, 0);
    }
    c->fp.fail_after = -1;
}

static void test_writer_misuse(void **state)
{
    struct ctx *c = *state;
    struct lu_breadcrumb bc;
    const uint64_t v = 0;

    assert_int_equal(lu_writer_init(&c->w, &c->fp.ops), 0);
    assert_int_equal(lu_record_begin(&c->w, LU_REC_TIME, 4), 0);
    assert_int_equal(lu_record_data(&c->w, &v, 8), -BATON_EINVAL);
    assert_true(harness_log_has("8 octets into a record with 4 left"));
    /* Sticky: everything after fails the same way. */
    assert_int_equal(lu_write_end(&c->w), -BATON_EINVAL);
    assert_int_equal(lu_writer_finish(&c->w, &bc), -BATON_EINVAL);
    lu_writer_free(&c->w);

    assert_int_equal(lu_writer_init(&c->w, &c->fp.ops), 0);
    assert_int_equal(lu_record_begin(&c->w, LU_REC_TIME, 24), 0);
    assert_int_equal(lu_record_begin(&c->w, LU_REC_TIME, 24), -BATON_EINVAL);
    lu_writer_free(&c->w);

    assert_int_equal(lu_writer_init(&c->w, &c->fp.ops), 0);
    assert_int_equal(lu_record_begin(&c->w, LU_REC_TIME, 24), 0);
    assert_int_equal(lu_record_end(&c->w), -BATON_EINVAL);
    assert_true(harness_log_has("record ends after 0 of 24 octets"));
    lu_writer_free(&c->w);

    assert_int_equal(lu_writer_init(&c->w, &c->fp.ops), 0);
    assert_int_equal(lu_writer_finish(&c->w, &bc), -BATON_EINVAL); /* nothing written */
    lu_writer_free(&c->w);

    /* A suffix the reader would refuse; a long one is truncated. */
    assert_int_equal(lu_writer_init(&c->w, &c->fp.ops), 0);
    assert_int_equal(lu_write_version(&c->w, 1, 0, "bad\n"), -BATON_EINVAL);
    lu_writer_free(&c->w);
}

static void test_long_extra(void **state)
{
    struct ctx *c = *state;
    struct lu_breadcrumb bc;
    const char *extra = "-a-very-long-version-suffix-that-does-not-fit";

    assert_int_equal(lu_writer_init(&c->w, &c->fp.ops), 0);
    assert_int_equal(lu_write_version(&c->w, 1, 0, extra), 0);
    assert_int_equal(lu_write_time(&c->w, 1000, 1, 2), 0);
    assert_int_equal(lu_write_end(&c->w), 0);
    assert_int_equal(lu_writer_finish(&c->w, &bc), 0);
    assert_int_equal(lu_stream_open(&c->r, &bc, c->s), 0);
    assert_int_equal(strlen(c->s->version.hv_extra), LU_VERSION_EXTRA_LEN - 1);
    assert_memory_equal(c->s->version.hv_extra, extra, LU_VERSION_EXTRA_LEN - 1);
}

static void test_writer_extents(void **state)
{
    struct ctx *c = *state;
    static const struct { uint64_t gpfn, mfn, count; } bad[] = {
        { 4, 100, 0 },                      /* empty */
        { 2, 100, 1 },                      /* overlaps the first */
        { 0, 100, 1 },                      /* unsorted */
        { LU_FRAME_LIMIT, 100, 1 },         /* gpfn too high */
        { 100, ~0ull - 1, 4 },              /* mfn + count wraps */
    };

    for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
        assert_int_equal(lu_writer_init(&c->w, &c->fp.ops), 0);
        assert_int_equal(lu_write_memory_begin(&c->w, 2), 0);
        assert_int_equal(lu_write_memory_extent(&c->w, 0, 50, 4), 0);
        assert_int_equal(lu_write_memory_extent(&c->w, bad[i].gpfn, bad[i].mfn, bad[i].count),
                         -BATON_EINVAL);
        lu_writer_free(&c->w);
    }
    /* Fewer extents than announced. */
    assert_int_equal(lu_writer_init(&c->w, &c->fp.ops), 0);
    assert_int_equal(lu_write_memory_begin(&c->w, 2), 0);
    assert_int_equal(lu_write_memory_extent(&c->w, 0, 50, 4), 0);
    assert_int_equal(lu_write_memory_end(&c->w), -BATON_EINVAL);
    lu_writer_free(&c->w);
    /* More than announced. */
    assert_int_equal(lu_writer_init(&c->w, &c->fp.ops), 0);
    assert_int_equal(lu_write_memory_begin(&c->w, 0), 0);
    assert_int_equal(lu_write_memory_extent(&c->w, 0, 50, 4), -BATON_EINVAL);
    lu_writer_free(&c->w);
    assert_int_equal(lu_writer_init(&c->w, &c->fp.ops), 0);
    assert_int_equal(lu_write_memory_begin(&c->w, LU_EXTENTS_MAX + 1), -BATON_E2BIG);
}

static void test_context_errors(void **state)
{
    struct ctx *c = *state;
    struct lu_rec_hdr hdr;

    assert_int_equal(lu_writer_init(&c->w, &c->fp.ops), 0);
    c->doms[1].fail_save_type = FX_TYPE_DOMAIN;
    assert_int_equal(lu_write_domain_context(&c->w, &c->doms[1], 2), -BATON_EIO);
    lu_writer_free(&c->w);

    /* One pass, the length patched after it: a handler that would save
     * more than a dry run measured (there is none) still makes one whole
     * record, whose header gives what was written. */
    assert_int_equal(lu_writer_init(&c->w, &c->fp.ops), 0);
    c->doms[1].fail_save_type = 0;
    c->doms[1].grow_on_save = true;
    assert_int_equal(lu_write_domain_context(&c->w, &c->doms[1], 2), 0);
    memcpy(&hdr, c->w.first, sizeof(hdr));
    assert_int_equal(hdr.type, LU_REC_DOMAIN_CONTEXT);
    assert_true(hdr.body_length > 0 && hdr.body_length < UINT32_MAX);
    assert_int_equal(sizeof(hdr) + ALIGN_UP((uint64_t)hdr.body_length, LU_REC_ALIGN), c->w.bytes);
    lu_writer_free(&c->w);
}

/*
 * The numbers of the original spec, and LU_VERSION's body as the writer lays
 * it out: hv_major, hv_minor first, then Baton's fields, stream_length
 * patched at END to the octets through the END header.
 */
static void test_numbering_and_version_body(void **state)
{
    struct ctx *c = *state;
    uint32_t words[4];
    uint64_t length;
    struct lu_rec_hdr h;
    uint8_t *buf;
    size_t len;

    assert_int_equal(LU_REC_VERSION, 0x40000000u);
    assert_int_equal(LU_REC_M2P, 0x40000001u);
    assert_int_equal(LU_REC_M2P_COMPAT, 0x40000002u);
    assert_int_equal(LU_REC_DOMAIN_INFO, 0x40000003u);
    assert_int_equal(LU_REC_TIME, 0x40000004u);
    assert_int_equal(LU_REC_DOMAIN_MEMORY, 0x40000005u);
    assert_int_equal(LU_REC_DOMAIN_CONTEXT, 0x40000006u);
    assert_int_equal(LU_STREAM_V1, 1);
    write_standard(c);
    buf = fx_linearize(&c->fp, &c->w, &len);
    memcpy(&h, buf, sizeof(h));
    assert_int_equal(h.type, 0x40000000u);
    assert_int_equal(h.body_length, 56);
    memcpy(words, buf + 8, sizeof(words));
    assert_int_equal(words[0], 4);                   /* hv_major (fx_write_stream) */
    assert_int_equal(words[1], 2);                   /* hv_minor */
    assert_int_equal(words[2], LU_STREAM_VERSION);   /* stream_version */
    assert_int_equal(words[3], LU_STREAM_COMPAT);    /* compat_version */
    memcpy(&length, buf + 8 + 16, sizeof(length));
    assert_int_equal(length, c->w.bytes);
    assert_memory_equal(buf + 8 + 24, "-fx", 4);
    memcpy(&h, buf + 64 + 32, sizeof(h));            /* after LU_TIME */
    assert_int_equal(h.type, 0x40000003u);
    free(buf);
}

static void test_rec_names(void **state)
{
    (void)state;
    assert_string_equal(lu_rec_name(LU_REC_END), "END");
    assert_string_equal(lu_rec_name(LU_REC_DOMAIN_INFO), "LU_DOMAIN_INFO");
    assert_string_equal(lu_rec_name(LU_REC_DOMAIN_SUMMARY), "LU_DOMAIN_SUMMARY");
    assert_null(lu_rec_name(0x40000077));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_numbering_and_version_body, setup, teardown),
        cmocka_unit_test_setup_teardown(test_breadcrumb, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_mfns, setup, teardown),
        cmocka_unit_test_setup_teardown(test_large_scattered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zero_domains, setup, teardown),
        cmocka_unit_test_setup_teardown(test_summary_records, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alloc_failure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_writer_misuse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_extra, setup, teardown),
        cmocka_unit_test_setup_teardown(test_writer_extents, setup, teardown),
        cmocka_unit_test_setup_teardown(test_context_errors, setup, teardown),
        cmocka_unit_test(test_rec_names),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
