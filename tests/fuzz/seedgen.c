/*
 * lu-seedgen OUTDIR: write the fuzz seed corpus with the real writer of
 * this build's stream version (lu-seedgen: version 1, lu-seedgen-v2:
 * version 2). Files are named v<version>-ok-* (valid) or v<version>-bad-*.
 * The unit tests of each version also read the other version's -ok- seeds.
 *
 *   make O=build tools && build/tools/lu-seedgen tests/fuzz/corpus &&
 *   build/tools/lu-seedgen-v2 tests/fuzz/corpus
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <baton/errno.h>
#include "lu_fixture.h"

static const char *outdir;

static void io_fail(const char *what)
{
    fprintf(stderr, "lu-seedgen: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void write_seed(const char *target, const char *name, const void *p, size_t len)
{
    char path[4096];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", outdir, target);
    if (mkdir(path, 0755) && errno != EEXIST)
        io_fail(path);
    snprintf(path, sizeof(path), "%s/%s/v%u-%s", outdir, target, LU_STREAM_VERSION, name);
    f = fopen(path, "wb");
    if (!f || fwrite(p, 1, len, f) != len || fclose(f))
        io_fail(path);
}

/* A contiguous stream goes to both stream fuzzers. */
static void stream_seed(const char *name, const void *p, size_t len)
{
    write_seed("fuzz_lu_stream", name, p, len);
    write_seed("fuzz_lu_stream_v2", name, p, len);
}

static void check(int rc, const char *what)
{
    if (rc) {
        fprintf(stderr, "lu-seedgen: %s: %d\n", what, rc);
        exit(1);
    }
}

/* ------------------------------------------------------------ streams */

static void standard(struct lu_host_pool *fp, unsigned int n, const char *name, size_t cut,
                     uint32_t extra)
{
    struct domain doms[3];
    struct lu_writer w;
    uint8_t *buf;
    size_t len;

    for (unsigned int k = 0; k < n; k++)
        fx_domain_init(&doms[k], (uint16_t)(k * 2), k + 1, 7 * k + 1);
    check(lu_writer_init(&w, &fp->ops), "init");
    if (extra) {
        check(lu_write_version(&w, 4, 2, "-seed"), "version");
        check(lu_write_time(&w, FX_TSC_HZ, FX_TSC, FX_STIME), "time");
        check(lu_write_record(&w, extra, "extra", 5), "extra");
        check(lu_write_end(&w), "end");
    } else {
        check(fx_write_stream(&w, doms, n), "stream");
    }
    buf = fx_linearize(fp, &w, &len);
    stream_seed(name, buf, cut ? cut : w.bytes);
    free(buf);
    lu_writer_free(&w);
}

/* Optional records a reader of either version skips, global and in a domain. */
static void with_optional(struct lu_host_pool *fp)
{
    struct domain d;
    struct lu_rec_domain_info info;
    struct lu_extent ext[FX_EXTENTS];
    struct lu_writer w;
    uint8_t *buf;
    size_t len;

    fx_domain_init(&d, 1, 2, 5);
    fx_domain_info(&d, &info);
    fx_extents(0, ext);
    check(lu_writer_init(&w, &fp->ops), "init");
    check(lu_write_version(&w, 4, 2, "-opt"), "version");
    check(lu_write_time(&w, FX_TSC_HZ, FX_TSC, FX_STIME), "time");
    check(lu_write_record(&w, 0xc0000100, "global", 6), "optional");
    check(lu_write_domain_info(&w, &info), "info");
    check(lu_write_domain_memory(&w, ext, FX_EXTENTS), "memory");
    check(lu_write_record(&w, 0x80000001, "domain", 6), "optional");
    check(lu_write_domain_context(&w, &d, 2), "context");
    check(lu_write_end(&w), "end");
    buf = fx_linearize(fp, &w, &len);
    stream_seed("ok-optional", buf, w.bytes);
    free(buf);
    lu_writer_free(&w);
}

/* ------------------------------------------------------------ contexts */

static int blob_write(void *priv, const void *p, size_t n)
{
    struct fx_sb *x = priv;

    memcpy(x->b + x->len, p, n);
    x->len += n;
    return 0;
}

static void context_seeds(void)
{
    uint8_t out[4096];
    struct fx_sb x = { .b = out + 2, .len = 0 };
    struct domain d;
    size_t len;

    fx_domain_init(&d, 3, 4, 9);
    check(domctx_save(&d, 4, blob_write, &x, &len), "domctx_save");
    out[0] = 3; /* 4 vCPUs */
    out[1] = 0;
    write_seed("fuzz_domctx", "ok-4vcpu", out, len + 2);
    out[1] = DOMCTX_ALLOW_LONGER;
    write_seed("fuzz_domctx", "ok-longer", out, len + 2);
    check(domctx_set_ignore(x.b, len, FX_TYPE_ITEMS) < 0, "ignore");
    out[1] = 0;
    write_seed("fuzz_domctx", "ok-ignore", out, len + 2);
}

/* ------------------------------------------------------------ memory images */

#define IMG_PAGES 8

static void image_seed(unsigned int nr_domains, const char *name)
{
    static uint8_t buf[sizeof(struct lu_breadcrumb) + IMG_PAGES * PAGE_SIZE];
    /* Frame 0 is the bootmem, 6 and 7 domain memory; the stream and its MFN
     * array take frames 1 to 5, out of order (stride 3). */
    struct lu_host_pool im;
    const struct lu_extent ext = { .gpfn = 0, .mfn = 6, .count = 2 };
    struct lu_breadcrumb bc;
    struct lu_writer w;
    struct domain d;
    struct lu_rec_domain_info info;

    memset(buf, 0, sizeof(buf));
    lu_host_pool_init(&im, 0, IMG_PAGES, 1, 5, 3, 0, 0);
    fx_domain_init(&d, 0, 1, 3);
    fx_domain_info(&d, &info);
    check(lu_writer_init(&w, &im.ops), "init");
    check(lu_write_version(&w, 4, 2, "-img"), "version");
    check(lu_write_time(&w, FX_TSC_HZ, FX_TSC, FX_STIME), "time");
    for (unsigned int k = 0; k < nr_domains; k++) {
        check(lu_write_domain_info(&w, &info), "info");
        check(lu_write_domain_memory(&w, &ext, 1), "memory");
        check(lu_write_domain_context(&w, &d, 1), "context");
    }
    check(lu_write_end(&w), "end");
    check(lu_writer_finish(&w, &bc), "finish");
    memcpy(buf, &bc, sizeof(bc));
    memcpy(buf + sizeof(bc), im.mem, IMG_PAGES * PAGE_SIZE);
    write_seed("fuzz_lu_open", name, buf, sizeof(buf));
    lu_host_pool_fini(&im);
}

int main(int argc, char **argv)
{
    struct lu_host_pool fp;

    if (argc != 2) {
        fprintf(stderr, "usage: lu-seedgen OUTDIR\n");
        return 2;
    }
    outdir = argv[1];
    check(fx_register(), "register");
    fx_phys_init(&fp);
    standard(&fp, 0, "ok-0dom", 0, 0);
    standard(&fp, 1, "ok-1dom", 0, 0);
    standard(&fp, 3, "ok-3dom", 0, 0);
    with_optional(&fp);
    standard(&fp, 3, "bad-truncated", 200, 0);
    standard(&fp, 0, "bad-mandatory", 0, 0x40000100);
    context_seeds();
    image_seed(0, "ok-img-0dom");
    image_seed(1, "ok-img-1dom");
    fx_phys_fini(&fp);
    return 0;
}
