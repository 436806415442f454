/*
 * Live update stream reader, the entry points: check the reader, decode the
 * breadcrumb, check and map the MFN array and the stream frames, parse the
 * records (stream_read.c), then the overlap check (stream_check.c). A failed
 * open leaves nothing mapped and no domain to restore.
 */
#include <baton/errno.h>
#include <baton/lib.h>
#include <baton/printk.h>
#include "lu_private.h"

static uint64_t array_pages(uint64_t nr_pages)
{
    return ALIGN_UP(nr_pages * sizeof(uint64_t), PAGE_SIZE) >> PAGE_SHIFT;
}

static void reset(struct lu_stream *s)
{
    memset(s, 0, __builtin_offsetof(struct lu_stream, domains));
    s->mfn_array_pa = LU_PA_NONE;
}

static int check_not_reserved(const struct lu_reader *r, struct lu_stream *s,
                              uint64_t mfn, uint64_t count, const char *what)
{
    uint64_t start = mfn << PAGE_SHIFT, end = (mfn + count) << PAGE_SHIFT;

    if (!lu_in_ram(r, mfn, count))
        return lu_fail(s, -BATON_ERANGE, "%s (mfn 0x%llx, 0x%llx frames) is not inside RAM",
                       what, (unsigned long long)mfn, (unsigned long long)count);
    for (unsigned int i = 0; i < r->nr_reserved; i++)
        if (start < r->reserved[i].end && r->reserved[i].start < end)
            return lu_fail(s, -BATON_EEXIST, "%s (mfn 0x%llx) is inside reserved range %u [0x%llx, 0x%llx)",
                           what, (unsigned long long)mfn, i,
                           (unsigned long long)r->reserved[i].start,
                           (unsigned long long)r->reserved[i].end);
    return 0;
}

static int check_stream_pages(const struct lu_reader *r, struct lu_stream *s)
{
    char what[40];
    int rc;

    for (uint64_t i = 0; i < s->nr_pages; i++) {
        snprintf(what, sizeof(what), "stream page %llu", (unsigned long long)i);
        rc = check_not_reserved(r, s, s->mfns[i], 1, what);
        if (rc)
            return rc;
    }
    return 0;
}

/* Validate the frames, vmap them, parse, then the global frame check. */
static int open_pages(const struct lu_reader *r, const uint64_t *mfns, uint64_t nr,
                      struct lu_stream *s)
{
    const void *base;
    int rc;

    s->mfns = mfns;
    s->nr_pages = nr;
    rc = check_stream_pages(r, s);
    if (rc)
        return rc;
    if (!r->vmap)
        return lu_fail(s, -BATON_EINVAL, "reader: no vmap callback");
    base = r->vmap(r->priv, mfns, nr);
    if (!base)
        return lu_fail(s, -BATON_ENOMEM, "cannot map %llu stream pages", (unsigned long long)nr);
    s->base = base;
    s->mapped |= LU_MAPPED_STREAM;
    rc = lu_parse_records(r, base, nr * PAGE_SIZE, s);
    if (rc)
        return rc;
    return lu_check_frames(r, s);
}

static int open_array(const struct lu_reader *r, paddr_t pa, uint64_t nr,
                      const uint64_t **mfns, struct lu_stream *s)
{
    int rc;

    s->mfn_array_pa = pa;
    s->mfn_array_pages = array_pages(nr);
    rc = check_not_reserved(r, s, pa >> PAGE_SHIFT, s->mfn_array_pages, "the MFN array");
    if (rc)
        return rc;
    if (!r->map_phys)
        return lu_fail(s, -BATON_EINVAL, "reader: no map_phys callback");
    *mfns = r->map_phys(r->priv, pa, nr * sizeof(uint64_t));
    if (!*mfns)
        return lu_fail(s, -BATON_ENOMEM, "cannot map the MFN array at 0x%llx",
                       (unsigned long long)pa);
    s->mapped |= LU_MAPPED_ARRAY;
    return 0;
}

/* A failed open leaves nothing mapped and no domains to restore. */
static int opened(const struct lu_reader *r, struct lu_stream *s, int rc)
{
    if (rc) {
        lu_stream_close(r, s);
        s->nr_domains = 0;
    }
    return rc;
}

int lu_stream_open(const struct lu_reader *r, const struct lu_breadcrumb *bc,
                   struct lu_stream *s)
{
    const uint64_t *mfns = NULL;
    paddr_t pa;
    uint64_t nr;
    int rc;

    reset(s);
    rc = lu_check_reader(r, s);
    if (!rc)
        rc = lu_breadcrumb_decode(bc, &pa, &nr, s);
    if (!rc)
        rc = open_array(r, pa, nr, &mfns, s);
    if (!rc)
        rc = open_pages(r, mfns, nr, s);
    return opened(r, s, rc);
}

int lu_stream_open_mfns(const struct lu_reader *r, const uint64_t *mfns, uint64_t nr,
                        paddr_t array_pa, struct lu_stream *s)
{
    int rc;

    reset(s);
    rc = lu_check_reader(r, s);
    if (!rc && (!nr || nr > LU_STREAM_PAGES_MAX))
        rc = lu_fail(s, -BATON_E2BIG, "%llu stream pages, expected 1 to %u",
                     (unsigned long long)nr, LU_STREAM_PAGES_MAX);
    if (!rc && array_pa != LU_PA_NONE) {
        s->mfn_array_pa = array_pa;
        s->mfn_array_pages = array_pages(nr);
        rc = check_not_reserved(r, s, array_pa >> PAGE_SHIFT, s->mfn_array_pages,
                                "the MFN array");
    }
    if (!rc)
        rc = open_pages(r, mfns, nr, s);
    return opened(r, s, rc);
}

int lu_stream_parse(const struct lu_reader *r, const void *buf, size_t len,
                    struct lu_stream *s)
{
    int rc;

    reset(s);
    rc = lu_check_reader(r, s);
    if (!rc && len > (size_t)LU_STREAM_PAGES_MAX * PAGE_SIZE)
        rc = lu_fail(s, -BATON_E2BIG, "stream of %zu octets, limit %llu", len,
                     (unsigned long long)LU_STREAM_PAGES_MAX * PAGE_SIZE);
    if (!rc)
        rc = lu_parse_records(r, buf, len, s);
    if (!rc)
        rc = lu_check_frames(r, s);
    return opened(r, s, rc);
}

void lu_stream_close(const struct lu_reader *r, struct lu_stream *s)
{
    if ((s->mapped & LU_MAPPED_STREAM) && r->vunmap && s->base)
        r->vunmap(r->priv, s->base, s->nr_pages);
    if ((s->mapped & LU_MAPPED_ARRAY) && r->unmap_phys && s->mfns)
        r->unmap_phys(r->priv, s->mfns, s->nr_pages * sizeof(uint64_t));
    s->mapped = 0;
    s->base = NULL;
}
