/*
 * LU stream reader, frame level: the breadcrumb, the MFN array and the
 * stream frames, opened through fake physical memory the way the new build
 * opens the real thing (lu_stream_open), each rule broken once.
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

static struct lu_stream *s;

static int setup(void **state)
{
    (void)state;
    harness_log_clear();
    s = fx_stream_new();
    return fx_register();
}

static int teardown(void **state)
{
    (void)state;
    free(s);
    return 0;
}

struct open_ctx {
    struct lu_host_pool fp;
    struct lu_writer w;
    struct lu_reader r;
    struct lu_breadcrumb bc;
};

static void open_setup(struct open_ctx *c)
{
    struct domain doms[2];

    fx_phys_init(&c->fp);
    fx_reader(&c->r, &c->fp);
    fx_domain_init(&doms[0], 1, 1, 1);
    fx_domain_init(&doms[1], 2, 2, 2);
    assert_int_equal(lu_writer_init(&c->w, &c->fp.ops), 0);
    assert_int_equal(fx_write_stream(&c->w, doms, 2), 0);
    assert_int_equal(lu_writer_finish(&c->w, &c->bc), 0);
}

static void open_teardown(struct open_ctx *c)
{
    lu_writer_free(&c->w);
    fx_phys_fini(&c->fp);
}

static void expect_open(struct open_ctx *c, const struct lu_breadcrumb *bc, int want,
                        const char *text)
{
    int rc = lu_stream_open(&c->r, bc, s);

    if (rc != want || !strstr(s->error, text))
        fail_msg("rc %d (want %d), error \"%s\" (want \"%s\")", rc, want, s->error, text);
    assert_int_equal(s->nr_domains, 0);
    assert_int_equal(s->mapped, 0);
}

/* Write octets at a stream offset, through the MFN array. */
static void poke(struct open_ctx *c, size_t off, const void *p, size_t n)
{
    const uint8_t *src = p;

    for (size_t i = 0; i < n; i++, off++)
        *(uint8_t *)fx_phys_addr(&c->fp, c->w.mfns[off / PAGE_SIZE] * PAGE_SIZE + off % PAGE_SIZE) = src[i];
}

static void test_breadcrumb_rules(void **state)
{
    struct open_ctx c;
    struct lu_breadcrumb bc;

    (void)state;
    open_setup(&c);
    assert_int_equal(lu_stream_open(&c.r, &c.bc, s), 0);
    lu_stream_close(&c.r, s);

    bc = c.bc;
    bc.magic = 0;
    expect_open(&c, &bc, -BATON_ENOENT, "no breadcrumb: magic 0x0, expected 0x4c69766555706000");
    bc.magic = LU_BREADCRUMB_MAGIC_RAW;
    expect_open(&c, &bc, -BATON_ENOENT, "magic 0x4c69766555706461, expected 0x4c69766555706000");
    bc = c.bc;
    bc.mfn_array_pa += 8;
    expect_open(&c, &bc, -BATON_EINVAL, "expected a non-zero page-aligned address");
    bc.mfn_array_pa = 0;
    expect_open(&c, &bc, -BATON_EINVAL, "breadcrumb: MFN array at 0x0");
    bc = c.bc;
    bc.shifted_nr_pages |= 1;
    expect_open(&c, &bc, -BATON_EINVAL, "shifted_nr_pages 0x1001, expected the low 12 bits zero");
    bc.shifted_nr_pages = 0;
    expect_open(&c, &bc, -BATON_E2BIG, "breadcrumb: 0 stream pages, expected 1 to 16384");
    bc.shifted_nr_pages = (uint64_t)(LU_STREAM_PAGES_MAX + 1) << PAGE_SHIFT;
    expect_open(&c, &bc, -BATON_E2BIG, "breadcrumb: 16385 stream pages");
    bc = c.bc;
    bc.mfn_array_pa = (uint64_t)FX_PAGES * PAGE_SIZE;
    expect_open(&c, &bc, -BATON_ERANGE, "the MFN array (mfn 0x1000, 0x1 frames) is not inside RAM");
    bc.mfn_array_pa = 2 * PAGE_SIZE;
    expect_open(&c, &bc, -BATON_EEXIST, "the MFN array (mfn 0x2) is inside reserved range 0");
    open_teardown(&c);
}

static void test_stream_page_rules(void **state)
{
    struct open_ctx c;
    uint64_t *array;
    uint64_t saved;

    (void)state;
    open_setup(&c);
    assert_true(c.w.nr_pages >= 1);
    array = fx_phys_addr(&c.fp, c.bc.mfn_array_pa);
    saved = array[0];
    array[0] = FX_PAGES + 5;
    expect_open(&c, &c.bc, -BATON_ERANGE, "stream page 0 (mfn 0x1005, 0x1 frames) is not inside RAM");
    array[0] = 3;
    expect_open(&c, &c.bc, -BATON_EEXIST, "stream page 0 (mfn 0x3) is inside reserved range 0");
    array[0] = saved;
    open_teardown(&c);
}

/*
 * The MFN array lists one frame twice. To get past the record checks the
 * stream must read the same either way: page 1 lies inside the body of an
 * optional record and holds a copy of page 0, then page 1 is replaced by
 * page 0 in the array. Only the frame check can tell.
 */
static void test_duplicate_stream_page(void **state)
{
    struct open_ctx c;
    uint64_t *array, saved;
    uint8_t *body = calloc(1, 2 * PAGE_SIZE);

    (void)state;
    assert_non_null(body);
    fx_phys_init(&c.fp);
    fx_reader(&c.r, &c.fp);
    assert_int_equal(lu_writer_init(&c.w, &c.fp.ops), 0);
    assert_int_equal(lu_write_version(&c.w, 1, 0, ""), 0);
    assert_int_equal(lu_write_time(&c.w, 1000, 1, 2), 0);
    /* 104 octets so far: the body fills the rest of page 0 and all of page 1. */
    assert_int_equal(lu_write_record(&c.w, 0xc00000ff, body, 2 * PAGE_SIZE - 104 + 8), 0);
    assert_int_equal(lu_write_end(&c.w), 0);
    assert_int_equal(lu_writer_finish(&c.w, &c.bc), 0);
    assert_int_equal(c.w.nr_pages, 3);
    memcpy(fx_phys_addr(&c.fp, c.w.mfns[1] * PAGE_SIZE),
           fx_phys_addr(&c.fp, c.w.mfns[0] * PAGE_SIZE), PAGE_SIZE);
    assert_int_equal(lu_stream_open(&c.r, &c.bc, s), 0);
    lu_stream_close(&c.r, s);
    /* The writer's own MFN array is the one in memory: put it back after. */
    array = fx_phys_addr(&c.fp, c.bc.mfn_array_pa);
    saved = array[1];
    array[1] = array[0];
    expect_open(&c, &c.bc, -BATON_EEXIST, "stream page 1 (mfn");
    assert_non_null(strstr(s->error, "overlaps stream page 0"));
    array[1] = saved;
    open_teardown(&c);
    free(body);
}

/* Domain memory claiming a frame of the stream, or of the MFN array. */
static void test_extent_vs_stream(void **state)
{
    struct open_ctx c;
    uint8_t *buf;
    size_t len;
    long mem;
    uint64_t mfn;

    (void)state;
    open_setup(&c);
    buf = fx_linearize(&c.fp, &c.w, &len);
    mem = fx_find_record(buf, len, LU_REC_DOMAIN_MEMORY, 0);
    assert_true(mem > 0);
    free(buf);
    /* Extent 1 of domid 1 is one... make it a single frame on a stream page. */
    mfn = c.w.mfns[0];
    poke(&c, (size_t)mem + 16 + 24 + 8, &mfn, sizeof(mfn));
    expect_open(&c, &c.bc, -BATON_EEXIST, "overlaps");
    assert_non_null(strstr(s->error, "domid 1 extent 1"));
    assert_non_null(strstr(s->error, "stream page 0"));
    mfn = c.w.mfns_mfn;
    poke(&c, (size_t)mem + 16 + 24 + 8, &mfn, sizeof(mfn));
    expect_open(&c, &c.bc, -BATON_EEXIST, "the MFN array");
    open_teardown(&c);
}

static const void *no_map(void *priv, paddr_t pa, size_t len)
{
    (void)priv;
    (void)pa;
    (void)len;
    return NULL;
}

static const void *no_vmap(void *priv, const uint64_t *mfns, uint64_t nr)
{
    (void)priv;
    (void)mfns;
    (void)nr;
    return NULL;
}

static void test_map_failures(void **state)
{
    struct open_ctx c;

    (void)state;
    open_setup(&c);
    c.r.map_phys = no_map;
    expect_open(&c, &c.bc, -BATON_ENOMEM, "cannot map the MFN array at 0x");
    fx_reader(&c.r, &c.fp);
    c.r.vmap = no_vmap;
    expect_open(&c, &c.bc, -BATON_ENOMEM, "cannot map ");
    open_teardown(&c);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_breadcrumb_rules), T(test_stream_page_rules), T(test_duplicate_stream_page),
        T(test_extent_vs_stream), T(test_map_failures),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
