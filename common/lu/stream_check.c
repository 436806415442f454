/*
 * Live update stream reader, frame level: the breadcrumb, and the overlap
 * check between everything the stream claims (domain extents, stream
 * frames, the MFN array) and what the caller reserves (its image, the LU
 * bootmem). Uses stream_common.c only (see lu_private.h).
 */
#include <baton/errno.h>
#include <baton/lib.h>
#include <baton/printk.h>
#include "lu_private.h"

/* ------------------------------------------------------------ overlap */

enum run_kind { RUN_EXTENT, RUN_STREAM, RUN_ARRAY, RUN_RESERVED };

struct run {
    uint64_t start, end;    /* frames */
    uint32_t kind, a, b, pad;
};

static bool run_less(const struct run *x, const struct run *y)
{
    return x->start < y->start || (x->start == y->start && x->end < y->end);
}

static void sift_down(struct run *v, size_t root, size_t n)
{
    for (;;) {
        size_t child = 2 * root + 1;
        struct run t;

        if (child >= n)
            return;
        if (child + 1 < n && run_less(&v[child], &v[child + 1]))
            child++;
        if (!run_less(&v[root], &v[child]))
            return;
        t = v[root];
        v[root] = v[child];
        v[child] = t;
        root = child;
    }
}

/* Heapsort: in place, no recursion, O(n log n) whatever the input. */
static void sort_runs(struct run *v, size_t n)
{
    for (size_t i = n / 2; i-- > 0;)
        sift_down(v, i, n);
    for (size_t end = n; end-- > 1;) {
        struct run t = v[0];

        v[0] = v[end];
        v[end] = t;
        sift_down(v, 0, end);
    }
}

static size_t collect_runs(const struct lu_reader *r, const struct lu_stream *s, struct run *v)
{
    size_t n = 0;

    for (uint32_t d = 0; d < s->nr_domains; d++) {
        const struct lu_domain *dom = &s->domains[d];

        for (uint32_t i = 0; i < dom->nr_extents; i++) {
            struct lu_extent e;

            memcpy(&e, &dom->extents[i], sizeof(e));
            v[n++] = (struct run){ e.mfn, e.mfn + e.count, RUN_EXTENT, d, i, 0 };
        }
    }
    for (uint64_t i = 0; s->mfns && i < s->nr_pages; i++)
        v[n++] = (struct run){ s->mfns[i], s->mfns[i] + 1, RUN_STREAM, (uint32_t)i, 0, 0 };
    if (s->mfn_array_pa != LU_PA_NONE) {
        uint64_t m = s->mfn_array_pa >> PAGE_SHIFT;

        v[n++] = (struct run){ m, m + s->mfn_array_pages, RUN_ARRAY, 0, 0, 0 };
    }
    for (unsigned int i = 0; i < r->nr_reserved; i++)
        v[n++] = (struct run){ r->reserved[i].start >> PAGE_SHIFT,
                               ALIGN_UP(r->reserved[i].end, PAGE_SIZE) >> PAGE_SHIFT,
                               RUN_RESERVED, i, 0, 0 };
    return n;
}

struct run_text {
    char s[96];
};

static struct run_text describe(const struct lu_stream *s, const struct run *x)
{
    struct run_text t;
    unsigned long long start = x->start, len = x->end - x->start;

    switch (x->kind) {
    case RUN_EXTENT:
        snprintf(t.s, sizeof(t.s), "domid %u extent %u (mfn 0x%llx, 0x%llx frames)",
                 s->domains[x->a].info.domid, x->b, start, len);
        break;
    case RUN_STREAM:
        snprintf(t.s, sizeof(t.s), "stream page %u (mfn 0x%llx)", x->a, start);
        break;
    case RUN_ARRAY:
        snprintf(t.s, sizeof(t.s), "the MFN array (mfn 0x%llx, 0x%llx frames)", start, len);
        break;
    default:
        snprintf(t.s, sizeof(t.s), "reserved range %u (mfn 0x%llx, 0x%llx frames)",
                 x->a, start, len);
        break;
    }
    return t;
}

/* Sorted by start: a run overlaps an earlier one iff it starts before the
 * furthest end seen so far. Reserved ranges may overlap each other. */
static int sweep(struct lu_stream *s, const struct run *v, size_t n)
{
    const struct run *far = &v[0];

    for (size_t i = 1; i < n; i++) {
        const struct run *x = &v[i];

        if (x->start < far->end && !(x->kind == RUN_RESERVED && far->kind == RUN_RESERVED))
            return lu_fail(s, -BATON_EEXIST, "%s overlaps %s",
                           describe(s, x).s, describe(s, far).s);
        if (x->end > far->end)
            far = x;
    }
    return 0;
}

int lu_check_frames(const struct lu_reader *r, struct lu_stream *s)
{
    uint64_t n = r->nr_reserved + (s->mfns ? s->nr_pages : 0) + 1;
    struct run *v;
    size_t size;
    int rc;

    for (uint32_t d = 0; d < s->nr_domains; d++)
        n += s->domains[d].nr_extents;
    size = n * sizeof(*v);
    v = r->scratch_alloc(r->priv, size);
    if (!v)
        return lu_fail(s, -BATON_ENOMEM, "no scratch memory for %llu frame runs",
                       (unsigned long long)n);
    n = collect_runs(r, s, v);
    sort_runs(v, n);
    rc = n ? sweep(s, v, n) : 0;
    r->scratch_free(r->priv, v, size);
    return rc;
}

/* ------------------------------------------------------------ breadcrumb */

int lu_breadcrumb_decode(const struct lu_breadcrumb *bc, paddr_t *mfn_array_pa,
                         uint64_t *nr_pages, struct lu_stream *s)
{
    uint64_t nr = bc->shifted_nr_pages >> PAGE_SHIFT;
    paddr_t pa = bc->mfn_array_pa;

    if (bc->magic != LU_BREADCRUMB_MAGIC)
        return lu_fail(s, -BATON_ENOENT, "no breadcrumb: magic 0x%llx, expected 0x%llx",
                       (unsigned long long)bc->magic, (unsigned long long)LU_BREADCRUMB_MAGIC);
    if (!pa || (pa & ~PAGE_MASK) || pa >= LU_PHYS_LIMIT)
        return lu_fail(s, -BATON_EINVAL,
                       "breadcrumb: MFN array at 0x%llx, expected a non-zero page-aligned address below 0x%llx",
                       (unsigned long long)pa, (unsigned long long)LU_PHYS_LIMIT);
    if (bc->shifted_nr_pages & ~PAGE_MASK)
        return lu_fail(s, -BATON_EINVAL, "breadcrumb: shifted_nr_pages 0x%llx, expected the low %u bits zero",
                       (unsigned long long)bc->shifted_nr_pages, PAGE_SHIFT);
    if (!nr || nr > LU_STREAM_PAGES_MAX)
        return lu_fail(s, -BATON_E2BIG, "breadcrumb: %llu stream pages, expected 1 to %u",
                       (unsigned long long)nr, LU_STREAM_PAGES_MAX);
    *mfn_array_pa = pa;
    *nr_pages = nr;
    return 0;
}
