/*
 * Live update stream reader, frame level: the breadcrumb, the MFN array,
 * RAM membership, and the overlap check between everything the stream
 * claims (domain extents, stream frames, the MFN array) and what the caller
 * reserves (its image, the LU bootmem). Then the entry points that tie the
 * record parser (stream_read.c) to the mappings.
 */
#include <baton/errno.h>
#include <baton/lib.h>
#include <baton/lu_stream.h>
#include <baton/printk.h>

#define PHYS_LIMIT (LU_FRAME_LIMIT << PAGE_SHIFT)

/* ------------------------------------------------------------ reader config */

static int check_ranges(struct lu_stream *s, const char *what, const struct lu_range *v,
                        unsigned int n, bool sorted)
{
    if (n > LU_RANGES_MAX || (n && !v))
        return lu_fail(s, -BATON_EINVAL, "reader: %u %s ranges, limit %u", n, what, LU_RANGES_MAX);
    for (unsigned int i = 0; i < n; i++) {
        if (v[i].start >= v[i].end || v[i].end > PHYS_LIMIT)
            return lu_fail(s, -BATON_EINVAL, "reader: %s range %u [0x%llx, 0x%llx) is empty or too high",
                           what, i, (unsigned long long)v[i].start,
                           (unsigned long long)v[i].end);
        if (sorted && i && v[i].start < v[i - 1].end)
            return lu_fail(s, -BATON_EINVAL, "reader: %s range %u starts at 0x%llx, before the end of range %u (0x%llx)",
                           what, i, (unsigned long long)v[i].start, i - 1,
                           (unsigned long long)v[i - 1].end);
    }
    return 0;
}

int lu_check_reader(const struct lu_reader *r, struct lu_stream *s)
{
    int rc;

    if (!r->nr_ram)
        return lu_fail(s, -BATON_EINVAL, "reader: no RAM ranges");
    if (!r->scratch_alloc || !r->scratch_free)
        return lu_fail(s, -BATON_EINVAL, "reader: no scratch allocator");
    rc = check_ranges(s, "RAM", r->ram, r->nr_ram, true);
    if (rc)
        return rc;
    return check_ranges(s, "reserved", r->reserved, r->nr_reserved, false);
}

/* Frames [mfn, mfn + count) lie in RAM (adjacent ranges may be crossed). */
bool lu_in_ram(const struct lu_reader *r, uint64_t mfn, uint64_t count)
{
    uint64_t start, end;
    unsigned int lo = 0, hi = r->nr_ram, i;

    if (!count || count > LU_FRAME_LIMIT || mfn > LU_FRAME_LIMIT - count)
        return false;
    start = mfn << PAGE_SHIFT;
    end = (mfn + count) << PAGE_SHIFT;
    while (lo < hi) {
        unsigned int mid = lo + (hi - lo) / 2;

        if (r->ram[mid].start <= start)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (!lo)
        return false;
    for (i = lo - 1; start < r->ram[i].end; i++) {
        if (end <= r->ram[i].end)
            return true;
        start = r->ram[i].end;
        if (i + 1 == r->nr_ram || r->ram[i + 1].start != start)
            return false;
    }
    return false;
}

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

static uint64_t array_pages(uint64_t nr_pages)
{
    return ALIGN_UP(nr_pages * sizeof(uint64_t), PAGE_SIZE) >> PAGE_SHIFT;
}

int lu_breadcrumb_decode(const struct lu_breadcrumb *bc, paddr_t *mfn_array_pa,
                         uint64_t *nr_pages, struct lu_stream *s)
{
    uint64_t nr = bc->shifted_nr_pages >> PAGE_SHIFT;
    paddr_t pa = bc->mfn_array_pa;

    if (bc->magic != LU_BREADCRUMB_MAGIC)
        return lu_fail(s, -BATON_ENOENT, "no breadcrumb: magic 0x%llx, expected 0x%llx",
                       (unsigned long long)bc->magic, (unsigned long long)LU_BREADCRUMB_MAGIC);
    if (!pa || (pa & ~PAGE_MASK) || pa >= PHYS_LIMIT)
        return lu_fail(s, -BATON_EINVAL,
                       "breadcrumb: MFN array at 0x%llx, expected a non-zero page-aligned address below 0x%llx",
                       (unsigned long long)pa, (unsigned long long)PHYS_LIMIT);
    if (bc->shifted_nr_pages & ~PAGE_MASK)
        return lu_fail(s, -BATON_EINVAL, "breadcrumb: shifted_nr_pages 0x%llx has low bits set",
                       (unsigned long long)bc->shifted_nr_pages);
    if (!nr || nr > LU_STREAM_PAGES_MAX)
        return lu_fail(s, -BATON_E2BIG, "breadcrumb: %llu stream pages, expected 1 to %u",
                       (unsigned long long)nr, LU_STREAM_PAGES_MAX);
    *mfn_array_pa = pa;
    *nr_pages = nr;
    return 0;
}

/* ------------------------------------------------------------ entry points */

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
