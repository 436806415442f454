/*
 * Live update stream reader, shared helpers: the error message, record
 * names, the reader's own configuration (RAM and reserved ranges) and RAM
 * membership. Depends on nothing else in common/lu (see lu_private.h).
 */
#include <stdarg.h>
#include <baton/errno.h>
#include <baton/lib.h>
#include <baton/printk.h>
#include "lu_private.h"

static const struct {
    uint32_t type;
    const char *name;
} rec_names[] = {
    { LU_REC_END, "END" },
    { LU_REC_VERSION, "LU_VERSION" },
    { LU_REC_M2P, "LU_M2P" },
    { LU_REC_M2P_COMPAT, "LU_M2P_COMPAT" },
    { LU_REC_DOMAIN_INFO, "LU_DOMAIN_INFO" },
    { LU_REC_TIME, "LU_TIME" },
    { LU_REC_DOMAIN_MEMORY, "LU_DOMAIN_MEMORY" },
    { LU_REC_DOMAIN_CONTEXT, "LU_DOMAIN_CONTEXT" },
    { LU_REC_CPUS, "LU_CPUS" },
    { LU_REC_DOMAIN_IMAGE, "LU_DOMAIN_IMAGE" },
    { LU_REC_DOMAIN_SUMMARY, "LU_DOMAIN_SUMMARY" },
    { LU_REC_DOWNTIME, "LU_DOWNTIME" },
};

const char *lu_rec_name(uint32_t type)
{
    for (unsigned int i = 0; i < ARRAY_SIZE(rec_names); i++)
        if (rec_names[i].type == type)
            return rec_names[i].name;
    return NULL;
}

struct lu_rec_label lu_rec_label(uint32_t type)
{
    struct lu_rec_label l;
    const char *name = lu_rec_name(type);

    if (name)
        snprintf(l.s, sizeof(l.s), "%s (0x%08x)", name, type);
    else
        snprintf(l.s, sizeof(l.s), "0x%08x", type);
    return l;
}

int lu_fail(struct lu_stream *s, int rc, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(s->error, sizeof(s->error), fmt, ap);
    va_end(ap);
    pr_err("LU stream: %s\n", s->error);
    return rc;
}

/* ------------------------------------------------------------ reader config */

static int check_ranges(struct lu_stream *s, const char *what, const struct lu_range *v,
                        unsigned int n, bool sorted)
{
    if (n > LU_RANGES_MAX)
        return lu_fail(s, -BATON_EINVAL, "reader: %u %s ranges, limit %u", n, what,
                       LU_RANGES_MAX);
    if (n && !v)
        return lu_fail(s, -BATON_EINVAL, "reader: %u %s ranges but no array", n, what);
    for (unsigned int i = 0; i < n; i++) {
        if (v[i].start >= v[i].end || v[i].end > LU_PHYS_LIMIT)
            return lu_fail(s, -BATON_EINVAL,
                           "reader: %s range %u [0x%llx, 0x%llx), expected non-empty and ending by 0x%llx",
                           what, i, (unsigned long long)v[i].start,
                           (unsigned long long)v[i].end, (unsigned long long)LU_PHYS_LIMIT);
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
        return lu_fail(s, -BATON_EINVAL, "reader: no RAM ranges, expected at least one");
    if (!r->scratch_alloc || !r->scratch_free)
        return lu_fail(s, -BATON_EINVAL, "reader: no scratch allocator, expected scratch_alloc and scratch_free");
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
