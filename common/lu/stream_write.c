/*
 * Live update stream writer. Records go into single frames from the
 * caller's allocator, wherever they happen to be: the stream is only
 * virtually contiguous, through the MFN array the next build vmaps. The MFN
 * array itself must be physically contiguous (the breadcrumb holds one
 * address), so it grows by reallocation, doubling.
 */
#include <baton/errno.h>
#include <baton/lib.h>
#include <baton/lu_stream.h>
#include <baton/printk.h>

#define MFNS_PER_PAGE (PAGE_SIZE / sizeof(uint64_t))

/* Version 2 (test builds) follows each LU_DOMAIN_MEMORY with a summary. */
static const bool writes_summary = LU_STREAM_VERSION >= LU_STREAM_V2;

static const uint8_t zeroes[LU_REC_ALIGN];

/* Remember the first failure: a save is all or nothing. */
static int sticky(struct lu_writer *w, int rc)
{
    if (rc && !w->error)
        w->error = rc;
    return rc;
}

static int grow_mfn_array(struct lu_writer *w)
{
    uint64_t cap = w->mfns_cap * 2;
    mfn_t mfn;
    uint64_t *mfns;
    int rc;

    rc = w->ops->alloc(w->ops->priv, cap, &mfn);
    if (rc)
        return rc;
    mfns = w->ops->map(w->ops->priv, mfn, cap);
    if (!mfns) {
        w->ops->free(w->ops->priv, mfn, cap);
        return -BATON_ENOMEM;
    }
    memset(mfns, 0, cap * PAGE_SIZE);
    memcpy(mfns, w->mfns, w->nr_pages * sizeof(uint64_t));
    w->ops->free(w->ops->priv, w->mfns_mfn, w->mfns_cap);
    w->mfns = mfns;
    w->mfns_mfn = mfn;
    w->mfns_cap = cap;
    return 0;
}

static int new_page(struct lu_writer *w)
{
    mfn_t mfn;
    uint8_t *page;
    int rc;

    if (w->nr_pages == LU_STREAM_PAGES_MAX)
        return -BATON_E2BIG;
    if (w->nr_pages == w->mfns_cap * MFNS_PER_PAGE) {
        rc = grow_mfn_array(w);
        if (rc)
            return rc;
    }
    rc = w->ops->alloc(w->ops->priv, 1, &mfn);
    if (rc)
        return rc;
    page = w->ops->map(w->ops->priv, mfn, 1);
    if (!page) {
        w->ops->free(w->ops->priv, mfn, 1);
        return -BATON_ENOMEM;
    }
    memset(page, 0, PAGE_SIZE);
    if (!w->nr_pages)
        w->first = page;
    w->mfns[w->nr_pages++] = mfn;
    w->page = page;
    w->page_used = 0;
    return 0;
}

/* Append octets, taking a fresh frame whenever the current one is full. */
static int put(struct lu_writer *w, const void *data, size_t len)
{
    const uint8_t *p = data;
    int rc;

    while (len) {
        size_t chunk;

        if (!w->page || w->page_used == PAGE_SIZE) {
            rc = new_page(w);
            if (rc)
                return rc;
        }
        chunk = MIN(len, PAGE_SIZE - w->page_used);
        memcpy(w->page + w->page_used, p, chunk);
        w->page_used += chunk;
        w->bytes += chunk;
        p += chunk;
        len -= chunk;
    }
    return 0;
}

int lu_writer_init(struct lu_writer *w, const struct lu_mem_ops *ops)
{
    int rc;

    memset(w, 0, sizeof(*w));
    w->ops = ops;
    rc = ops->alloc(ops->priv, 1, &w->mfns_mfn);
    if (rc)
        goto fail;
    w->mfns = ops->map(ops->priv, w->mfns_mfn, 1);
    if (!w->mfns) {
        rc = -BATON_ENOMEM;
        goto fail_free;
    }
    memset(w->mfns, 0, PAGE_SIZE);
    w->mfns_cap = 1;
    return 0;

fail_free:
    ops->free(ops->priv, w->mfns_mfn, 1);
fail:
    w->error = rc;
    return rc;
}

/* ------------------------------------------------------------ raw records */

int lu_record_begin(struct lu_writer *w, uint32_t type, uint32_t body_length)
{
    const struct lu_rec_hdr hdr = { .type = type, .body_length = body_length };
    int rc;

    if (w->error)
        return w->error;
    if (w->in_record)
        return sticky(w, -BATON_EINVAL);
    rc = put(w, &hdr, sizeof(hdr));
    if (rc)
        return sticky(w, rc);
    w->in_record = true;
    w->rec_len = body_length;
    w->rec_done = 0;
    return 0;
}

int lu_record_data(struct lu_writer *w, const void *data, size_t len)
{
    if (w->error)
        return w->error;
    if (!w->in_record || len > (size_t)(w->rec_len - w->rec_done)) {
        pr_err("LU write: %zu octets into a record with %u left\n", len,
               w->in_record ? w->rec_len - w->rec_done : 0);
        return sticky(w, -BATON_EINVAL);
    }
    w->rec_done += (uint32_t)len;
    return sticky(w, put(w, data, len));
}

int lu_record_end(struct lu_writer *w)
{
    size_t pad;

    if (w->error)
        return w->error;
    if (!w->in_record || w->rec_done != w->rec_len) {
        pr_err("LU write: record ends after %u of %u octets\n", w->rec_done, w->rec_len);
        return sticky(w, -BATON_EINVAL);
    }
    w->in_record = false;
    pad = ALIGN_UP((uint64_t)w->rec_len, LU_REC_ALIGN) - w->rec_len;
    return sticky(w, put(w, zeroes, pad));
}

int lu_write_record(struct lu_writer *w, uint32_t type, const void *body, uint32_t len)
{
    int rc;

    rc = lu_record_begin(w, type, len);
    if (rc)
        return rc;
    rc = lu_record_data(w, body, len);
    if (rc)
        return rc;
    return lu_record_end(w);
}

/* ------------------------------------------------------------ typed records */

int lu_write_version(struct lu_writer *w, uint32_t hv_major, uint32_t hv_minor,
                     const char *hv_extra)
{
    struct lu_rec_version v = {
        .stream_version = LU_STREAM_VERSION,
        .compat_version = LU_STREAM_COMPAT,
        .hv_major = hv_major,
        .hv_minor = hv_minor,
    };

    size_t n = hv_extra ? strnlen(hv_extra, sizeof(v.hv_extra) - 1) : 0;

    /* Printable and NUL-terminated (truncated if need be): as the reader
     * insists. */
    for (size_t i = 0; i < n; i++)
        if (hv_extra[i] < 0x20 || hv_extra[i] >= 0x7f)
            return sticky(w, -BATON_EINVAL);
    memcpy(v.hv_extra, hv_extra, n);
    return lu_write_record(w, LU_REC_VERSION, &v, sizeof(v));
}

int lu_write_time(struct lu_writer *w, uint64_t tsc_hz, uint64_t tsc, uint64_t stime_ns)
{
    const struct lu_rec_time t = { .tsc_hz = tsc_hz, .tsc = tsc, .stime_ns = stime_ns };

    return lu_write_record(w, LU_REC_TIME, &t, sizeof(t));
}

int lu_write_downtime(struct lu_writer *w, const struct lu_rec_downtime *dt, uint64_t *at)
{
    *at = w->bytes + sizeof(struct lu_rec_hdr);
    return lu_write_record(w, LU_REC_DOWNTIME, dt, sizeof(*dt));
}

int lu_writer_patch(struct lu_writer *w, uint64_t off, const void *data, size_t len)
{
    const uint8_t *p = data;

    if (off > w->bytes || len > w->bytes - off)
        return -BATON_EINVAL;
    while (len) {
        uint64_t page = off / PAGE_SIZE;
        size_t in_page = (size_t)(off % PAGE_SIZE), chunk = MIN(len, PAGE_SIZE - in_page);
        uint8_t *va = w->ops->map(w->ops->priv, w->mfns[page], 1);

        memcpy(va + in_page, p, chunk);
        p += chunk;
        off += chunk;
        len -= chunk;
    }
    return 0;
}

int lu_write_domain_info(struct lu_writer *w, const struct lu_rec_domain_info *info)
{
    struct lu_rec_domain_info i = *info;

    i.pad = 0;
    return lu_write_record(w, LU_REC_DOMAIN_INFO, &i, sizeof(i));
}

int lu_write_memory_begin(struct lu_writer *w, uint32_t nr_extents)
{
    const struct lu_rec_domain_memory hdr = { .nr_extents = nr_extents };
    uint64_t len = sizeof(hdr) + (uint64_t)nr_extents * sizeof(struct lu_extent);
    int rc;

    if (nr_extents > LU_EXTENTS_MAX)
        return sticky(w, -BATON_E2BIG);
    rc = lu_record_begin(w, LU_REC_DOMAIN_MEMORY, (uint32_t)len);
    if (rc)
        return rc;
    w->ext_left = nr_extents;
    w->ext_pages = 0;
    w->ext_end = 0;
    return lu_record_data(w, &hdr, sizeof(hdr));
}

/* The writer refuses what the reader would: catch a save bug at its source. */
int lu_write_memory_extent(struct lu_writer *w, uint64_t gpfn, mfn_t mfn, uint64_t count)
{
    const struct lu_extent e = { .gpfn = gpfn, .mfn = mfn, .count = count };

    if (w->error)
        return w->error;
    if (!w->ext_left || !count || gpfn < w->ext_end ||
        count > LU_FRAME_LIMIT || gpfn > LU_FRAME_LIMIT - count ||
        mfn > LU_FRAME_LIMIT - count) {
        pr_err("LU write: bad extent gpfn 0x%llx mfn 0x%llx count 0x%llx (next gpfn >= 0x%llx, %u due)\n",
               (unsigned long long)gpfn, (unsigned long long)mfn,
               (unsigned long long)count, (unsigned long long)w->ext_end, w->ext_left);
        return sticky(w, -BATON_EINVAL);
    }
    w->ext_left--;
    w->ext_pages += count;
    w->ext_end = gpfn + count;
    return lu_record_data(w, &e, sizeof(e));
}

int lu_write_memory_end(struct lu_writer *w)
{
    const struct lu_rec_domain_summary sum = {
        .total_pages = w->ext_pages, .p2m_size = w->ext_end,
    };
    int rc;

    if (w->ext_left)
        return sticky(w, -BATON_EINVAL);
    rc = lu_record_end(w);
    if (rc || !writes_summary)
        return rc;
    return lu_write_record(w, LU_REC_DOMAIN_SUMMARY, &sum, sizeof(sum));
}

int lu_write_domain_memory(struct lu_writer *w, const struct lu_extent *ext, uint32_t nr)
{
    int rc;

    rc = lu_write_memory_begin(w, nr);
    for (uint32_t i = 0; !rc && i < nr; i++)
        rc = lu_write_memory_extent(w, ext[i].gpfn, ext[i].mfn, ext[i].count);
    return rc ? rc : lu_write_memory_end(w);
}

static int context_write(void *priv, const void *buf, size_t len)
{
    return lu_record_data(priv, buf, len);
}

/*
 * One pass over the domain's state: the context is written with the
 * record's length still open, then the length is patched into the header
 * (a dry run to size it first would walk every handler's state twice, and
 * the event channel and grant walks are most of a domain's save).
 */
int lu_write_domain_context(struct lu_writer *w, struct domain *d, unsigned int nr_vcpus)
{
    const uint64_t hdr_at = w->bytes;
    uint32_t len;
    size_t written;
    int rc;

    rc = lu_record_begin(w, LU_REC_DOMAIN_CONTEXT, UINT32_MAX);
    if (rc)
        return rc;
    rc = domctx_save(d, nr_vcpus, context_write, w, &written);
    if (rc)
        return sticky(w, rc);
    /* every octet went through lu_record_data, which counted it */
    if (written != w->rec_done) {
        pr_err("LU write: context of %zu octets, %u reached the record\n", written,
               w->rec_done);
        return sticky(w, -BATON_EIO);
    }
    len = w->rec_done;
    rc = lu_writer_patch(w, hdr_at + __builtin_offsetof(struct lu_rec_hdr, body_length), &len,
                         sizeof(len));
    if (rc)
        return sticky(w, rc);
    w->rec_len = len;
    return lu_record_end(w);
}

/* Record the final length in LU_VERSION, when the stream starts with one. */
static void patch_length(struct lu_writer *w)
{
    struct lu_rec_hdr hdr;
    const size_t at = sizeof(hdr) + __builtin_offsetof(struct lu_rec_version, stream_length);

    memcpy(&hdr, w->first, sizeof(hdr));
    if (hdr.type == LU_REC_VERSION && hdr.body_length == sizeof(struct lu_rec_version))
        memcpy(w->first + at, &w->bytes, sizeof(w->bytes));
}

int lu_write_end(struct lu_writer *w)
{
    int rc;

    rc = lu_write_record(w, LU_REC_END, NULL, 0);
    if (!rc)
        patch_length(w);
    return rc;
}

int lu_writer_finish(struct lu_writer *w, struct lu_breadcrumb *bc)
{
    if (w->error)
        return w->error;
    if (w->in_record || !w->nr_pages)
        return sticky(w, -BATON_EINVAL);
    bc->magic = LU_BREADCRUMB_MAGIC;
    bc->mfn_array_pa = w->mfns_mfn << PAGE_SHIFT;
    bc->shifted_nr_pages = w->nr_pages << PAGE_SHIFT;
    return 0;
}

void lu_writer_free(struct lu_writer *w)
{
    for (uint64_t i = 0; w->mfns && i < w->nr_pages; i++)
        w->ops->free(w->ops->priv, w->mfns[i], 1);
    if (w->mfns)
        w->ops->free(w->ops->priv, w->mfns_mfn, w->mfns_cap);
    w->mfns = NULL;
    w->nr_pages = 0;
    w->page = NULL;
}
