/*
 * Live update stream reader: record framing, each record's body, and the
 * order of records. The previous build is distrusted: every length is
 * checked before the octets behind it are read, padding must be zero,
 * counts are checked against their limits before anything else, and the
 * result (struct lu_stream) is only usable when every check passed.
 * Uses stream_common.c only; the overlap of frames is stream_check.c's.
 */
#include <baton/errno.h>
#include <baton/lib.h>
#include <baton/printk.h>
#include "lu_private.h"

/* ------------------------------------------------------------ parse state */

/* LU_VERSION and END: the shortest stream there is. */
#define LU_STREAM_MIN_LENGTH \
    (unsigned int)(2 * sizeof(struct lu_rec_hdr) + sizeof(struct lu_rec_version))

enum scope { GLOBAL, DOMAIN_OPEN, DOMAIN };

/* A domain's records, in this order; each at most once. */
enum rank { R_INFO, R_MEMORY, R_SUMMARY, R_CONTEXT };

struct parse {
    const struct lu_reader *r;
    struct lu_stream *s;
    const uint8_t *p;
    size_t len;
    size_t off;             /* of the current record header */
    uint32_t type;
    uint32_t blen;
    const uint8_t *body;
    bool seen_time;
    bool seen_downtime;
    struct lu_domain *dom;  /* being parsed, or NULL */
    unsigned int seen;      /* 1 << rank for the current domain */
    uint64_t total_extents;
};

struct rec_kind {
    uint32_t type;
    enum scope scope;
    enum rank rank;
    int (*parse)(struct parse *ps);
};

static unsigned int dom_index(const struct parse *ps)
{
    return (unsigned int)(ps->dom - ps->s->domains);
}

/* ------------------------------------------------------------ globals */

static int check_blen(struct parse *ps, uint32_t want)
{
    if (ps->blen == want)
        return 0;
    return lu_fail(ps->s, -BATON_EINVAL, "%s at offset %zu: body_length %u, expected %u",
                   lu_rec_label(ps->type).s, ps->off, ps->blen, want);
}

static int check_extra_string(struct parse *ps, const char *str, size_t size)
{
    size_t n = strnlen(str, size);

    if (n == size)
        return lu_fail(ps->s, -BATON_EINVAL, "LU_VERSION hv_extra holds no NUL in its %zu octets, expected NUL-terminated", size);
    for (size_t i = 0; i < size; i++) {
        bool ok = i < n ? (str[i] >= 0x20 && str[i] < 0x7f) : str[i] == 0;

        if (!ok)
            return lu_fail(ps->s, -BATON_EINVAL,
                           "LU_VERSION hv_extra octet %zu is 0x%02x, expected %s", i,
                           (uint8_t)str[i], i < n ? "printable ASCII" : "NUL padding");
    }
    return 0;
}

/* Reads V and V-1, and a newer stream that says V can read it. */
static bool version_readable(uint32_t v, uint32_t compat)
{
    if (v >= LU_STREAM_VERSION_MIN && v <= LU_STREAM_VERSION)
        return true;
    return v > LU_STREAM_VERSION && compat <= LU_STREAM_VERSION;
}

static int parse_version(struct parse *ps)
{
    struct lu_rec_version *v = &ps->s->version;
    int rc;

    rc = check_blen(ps, sizeof(*v));
    if (rc)
        return rc;
    memcpy(v, ps->body, sizeof(*v));
    if (!v->stream_version || !v->compat_version || v->compat_version > v->stream_version)
        return lu_fail(ps->s, -BATON_EINVAL,
                       "LU_VERSION stream_version %u compat_version %u, expected 1 <= compat_version <= stream_version",
                       v->stream_version, v->compat_version);
    if (!version_readable(v->stream_version, v->compat_version))
        return lu_fail(ps->s, -BATON_EOPNOTSUPP,
                       "LU_VERSION stream_version %u compat_version %u, this build reads versions %u to %u (and newer streams with compat_version <= %u)",
                       v->stream_version, v->compat_version, LU_STREAM_VERSION_MIN,
                       LU_STREAM_VERSION, LU_STREAM_VERSION);
    if (v->stream_length < LU_STREAM_MIN_LENGTH || v->stream_length > ps->len ||
        (v->stream_length & (LU_REC_ALIGN - 1)))
        return lu_fail(ps->s, -BATON_EINVAL,
                       "LU_VERSION stream_length %llu, expected a multiple of 8 from %u to %zu",
                       (unsigned long long)v->stream_length, LU_STREAM_MIN_LENGTH, ps->len);
    /* A newer writer may append fields to context entries: ignore the tails. */
    if (v->stream_version > LU_STREAM_VERSION)
        ps->s->ctx_flags |= DOMCTX_ALLOW_LONGER;
    return check_extra_string(ps, v->hv_extra, sizeof(v->hv_extra));
}

static int parse_time(struct parse *ps)
{
    struct lu_rec_time *t = &ps->s->time;
    int rc;

    rc = check_blen(ps, sizeof(*t));
    if (rc)
        return rc;
    memcpy(t, ps->body, sizeof(*t));
    if (!t->tsc_hz)
        return lu_fail(ps->s, -BATON_EINVAL, "LU_TIME tsc_hz is 0, expected the TSC frequency (non-zero)");
    ps->seen_time = true;
    return 0;
}

/* Optional: a reader that does not know it skips it; this one logs with it. */
static int parse_downtime(struct parse *ps)
{
    struct lu_rec_downtime *dt = &ps->s->downtime;
    int rc;

    if (!ps->seen_time)
        return lu_fail(ps->s, -BATON_EINVAL, "LU_DOWNTIME at offset %zu before LU_TIME, expected after it",
                       ps->off);
    rc = check_blen(ps, sizeof(*dt));
    if (rc)
        return rc;
    memcpy(dt, ps->body, sizeof(*dt));
    ps->seen_downtime = true;
    if (dt->save_tsc < dt->pause_tsc || (dt->exec_tsc && dt->exec_tsc < dt->save_tsc))
        return lu_fail(ps->s, -BATON_EINVAL,
                       "LU_DOWNTIME pause %llu save %llu exec %llu, expected them in that order",
                       (unsigned long long)dt->pause_tsc, (unsigned long long)dt->save_tsc,
                       (unsigned long long)dt->exec_tsc);
    return 0;
}

/* ------------------------------------------------------------ domains */

static int close_domain(struct parse *ps)
{
    struct lu_domain *d = ps->dom;
    bool summary_known = LU_STREAM_VERSION >= LU_STREAM_V2;
    unsigned int i;

    if (!d)
        return 0;
    i = dom_index(ps);
    ps->dom = NULL;
    if (!(ps->seen & (1u << R_MEMORY)))
        return lu_fail(ps->s, -BATON_EINVAL,
                       "domain %u (domid %u): no LU_DOMAIN_MEMORY record, expected one",
                       i, d->info.domid);
    if (!(ps->seen & (1u << R_CONTEXT)))
        return lu_fail(ps->s, -BATON_EINVAL,
                       "domain %u (domid %u): no LU_DOMAIN_CONTEXT record, expected one",
                       i, d->info.domid);
    if (ps->seen & (1u << R_SUMMARY))
        return 0;
    /* Version 1 has no summary: the totals from the extents stand (inferred). */
    if (summary_known && ps->s->version.stream_version >= LU_STREAM_V2)
        return lu_fail(ps->s, -BATON_EINVAL,
                       "domain %u (domid %u): stream version %u requires LU_DOMAIN_SUMMARY, found none",
                       i, d->info.domid, ps->s->version.stream_version);
    d->summary_inferred = true;
    return 0;
}

static int check_domain_info(struct parse *ps, const struct lu_rec_domain_info *in)
{
    struct lu_stream *s = ps->s;

    if (in->type != LU_DOMAIN_TYPE_PV)
        return lu_fail(s, -BATON_EOPNOTSUPP, "domid %u: type %u, this build restores only %u (x86 PV)",
                       in->domid, in->type, LU_DOMAIN_TYPE_PV);
    if (in->page_shift != PAGE_SHIFT)
        return lu_fail(s, -BATON_EINVAL, "domid %u: page_shift %u, expected %u",
                       in->domid, in->page_shift, PAGE_SHIFT);
    if (in->domid >= LU_DOMID_LIMIT)
        return lu_fail(s, -BATON_EINVAL, "domid 0x%x, expected below 0x%x (higher domids are reserved)",
                       in->domid, LU_DOMID_LIMIT);
    if (!in->max_vcpus || in->max_vcpus > LU_VCPUS_MAX)
        return lu_fail(s, -BATON_E2BIG, "domid %u: max_vcpus %u, expected 1 to %u",
                       in->domid, in->max_vcpus, LU_VCPUS_MAX);
    if (in->extra_flags & ~LU_DOMAIN_EXTRA_KNOWN)
        return lu_fail(s, -BATON_EINVAL, "domid %u: extra_flags 0x%x, expected only bits of 0x%x",
                       in->domid, in->extra_flags, LU_DOMAIN_EXTRA_KNOWN);
    if (in->pad)
        return lu_fail(s, -BATON_EINVAL, "domid %u: LU_DOMAIN_INFO pad 0x%x, expected 0",
                       in->domid, in->pad);
    return 0;
}

static int parse_domain_info(struct parse *ps)
{
    struct lu_stream *s = ps->s;
    struct lu_rec_domain_info in;
    struct lu_domain *d;
    int rc;

    rc = close_domain(ps);
    if (rc)
        return rc;
    if (!ps->seen_time)
        return lu_fail(s, -BATON_EINVAL, "LU_DOMAIN_INFO at offset %zu before LU_TIME, expected LU_TIME first",
                       ps->off);
    rc = check_blen(ps, sizeof(in));
    if (rc)
        return rc;
    if (s->nr_domains == LU_DOMAINS_MAX)
        return lu_fail(s, -BATON_E2BIG, "LU_DOMAIN_INFO at offset %zu: %u domains, limit %u",
                       ps->off, s->nr_domains + 1, LU_DOMAINS_MAX);
    memcpy(&in, ps->body, sizeof(in));
    rc = check_domain_info(ps, &in);
    if (rc)
        return rc;
    /* Ascending domids: a duplicate cannot hide anywhere but next door. */
    if (s->nr_domains && in.domid <= s->domains[s->nr_domains - 1].info.domid)
        return lu_fail(s, -BATON_EEXIST,
                       "domid %u after domid %u: domains must come in ascending domid order, once each",
                       in.domid, s->domains[s->nr_domains - 1].info.domid);
    d = &s->domains[s->nr_domains++];
    memset(d, 0, sizeof(*d));
    d->info = in;
    d->offset = ps->off;
    ps->dom = d;
    ps->seen = 1u << R_INFO;
    return 0;
}

static int check_extent(struct parse *ps, const struct lu_extent *e, uint32_t i)
{
    struct lu_domain *d = ps->dom;

    if (!e->count || e->count > LU_FRAME_LIMIT ||
        e->gpfn > LU_FRAME_LIMIT - e->count || e->mfn > LU_FRAME_LIMIT - e->count)
        return lu_fail(ps->s, -BATON_EOVERFLOW,
                       "domid %u extent %u: gpfn 0x%llx mfn 0x%llx count 0x%llx, expected count >= 1 and ends below frame 0x%llx",
                       d->info.domid, i, (unsigned long long)e->gpfn,
                       (unsigned long long)e->mfn, (unsigned long long)e->count,
                       (unsigned long long)LU_FRAME_LIMIT);
    if (e->gpfn < d->p2m_size)
        return lu_fail(ps->s, -BATON_EINVAL,
                       "domid %u extent %u: gpfn 0x%llx, expected >= 0x%llx (sorted by gpfn, no overlap)",
                       d->info.domid, i, (unsigned long long)e->gpfn,
                       (unsigned long long)d->p2m_size);
    if (!lu_in_ram(ps->r, e->mfn, e->count))
        return lu_fail(ps->s, -BATON_ERANGE,
                       "domid %u extent %u: mfn 0x%llx count 0x%llx is not inside RAM",
                       d->info.domid, i, (unsigned long long)e->mfn,
                       (unsigned long long)e->count);
    return 0;
}

static int parse_memory(struct parse *ps)
{
    struct lu_domain *d = ps->dom;
    struct lu_rec_domain_memory hdr;
    uint64_t want;
    int rc;

    if (ps->blen < sizeof(hdr))
        return check_blen(ps, sizeof(hdr));
    memcpy(&hdr, ps->body, sizeof(hdr));
    if (hdr.nr_extents > LU_EXTENTS_MAX)
        return lu_fail(ps->s, -BATON_E2BIG, "domid %u: %u extents, limit %u",
                       d->info.domid, hdr.nr_extents, LU_EXTENTS_MAX);
    if (ps->total_extents + hdr.nr_extents > LU_EXTENTS_TOTAL_MAX)
        return lu_fail(ps->s, -BATON_E2BIG, "domid %u: %llu extents in all, limit %u",
                       d->info.domid,
                       (unsigned long long)(ps->total_extents + hdr.nr_extents),
                       LU_EXTENTS_TOTAL_MAX);
    want = sizeof(hdr) + (uint64_t)hdr.nr_extents * sizeof(struct lu_extent);
    rc = check_blen(ps, (uint32_t)want);
    if (rc)
        return rc;
    if (hdr.pad)
        return lu_fail(ps->s, -BATON_EINVAL, "domid %u: LU_DOMAIN_MEMORY pad 0x%x, expected 0",
                       d->info.domid, hdr.pad);
    for (uint32_t i = 0; i < hdr.nr_extents; i++) {
        struct lu_extent e;

        memcpy(&e, ps->body + sizeof(hdr) + (size_t)i * sizeof(e), sizeof(e));
        rc = check_extent(ps, &e, i);
        if (rc)
            return rc;
        d->total_pages += e.count;
        d->p2m_size = e.gpfn + e.count;
    }
    d->extents = (const struct lu_extent *)(ps->body + sizeof(hdr));
    d->nr_extents = hdr.nr_extents;
    ps->total_extents += hdr.nr_extents;
    return 0;
}

/* Version 2: the totals come stated; they must agree with the extents. */
static __unused int parse_summary(struct parse *ps)
{
    struct lu_domain *d = ps->dom;
    struct lu_rec_domain_summary sum;
    int rc;

    /* It states totals of the extents: they must have been seen. */
    if (!(ps->seen & (1u << R_MEMORY)))
        return lu_fail(ps->s, -BATON_EINVAL,
                       "domid %u: LU_DOMAIN_SUMMARY at offset %zu before LU_DOMAIN_MEMORY, expected after it",
                       d->info.domid, ps->off);
    rc = check_blen(ps, sizeof(sum));
    if (rc)
        return rc;
    memcpy(&sum, ps->body, sizeof(sum));
    if (sum.total_pages != d->total_pages)
        return lu_fail(ps->s, -BATON_EINVAL,
                       "domid %u: LU_DOMAIN_SUMMARY total_pages 0x%llx, expected 0x%llx (the extents' sum)",
                       d->info.domid, (unsigned long long)sum.total_pages,
                       (unsigned long long)d->total_pages);
    if (sum.p2m_size < d->p2m_size || sum.p2m_size > LU_FRAME_LIMIT)
        return lu_fail(ps->s, -BATON_EINVAL,
                       "domid %u: LU_DOMAIN_SUMMARY p2m_size 0x%llx, expected 0x%llx to 0x%llx",
                       d->info.domid, (unsigned long long)sum.p2m_size,
                       (unsigned long long)d->p2m_size, (unsigned long long)LU_FRAME_LIMIT);
    d->p2m_size = sum.p2m_size;
    return 0;
}

/* Counts what decode's check_required asks of every domain. */
static int count_required(void *priv, const struct domctx_entry *e)
{
    struct lu_domain *d = priv;

    if (e->flags & DOMCTX_FLAG_IGNORE)
        return 0;
    d->context_required.domain += e->typecode == DOMCTX_TYPE_DOMAIN;
    d->context_required.console += e->typecode == DOMCTX_TYPE_CONSOLE;
    d->context_required.vcpus += e->typecode == DOMCTX_TYPE_VCPU;
    return 0;
}

static int parse_context(struct parse *ps)
{
    struct lu_domain *d = ps->dom;
    unsigned int flags = ps->s->ctx_flags;
    char err[160];
    int rc;

    if (ps->r->flags & LU_READ_CONTEXT_FRAMING_ONLY)
        flags |= DOMCTX_FRAMING_ONLY;
    memset(&d->context_required, 0, sizeof(d->context_required));
    /* domctx_validate's walk, counting on the way */
    rc = domctx_walk(ps->body, ps->blen, d->info.max_vcpus, flags, count_required, d, err,
                     sizeof(err));
    if (rc)
        return lu_fail(ps->s, rc, "domid %u LU_DOMAIN_CONTEXT: %s", d->info.domid, err);
    d->context = ps->body;
    d->context_len = ps->blen;
    d->context_validated = !(flags & DOMCTX_FRAMING_ONLY);
    return 0;
}

/* ------------------------------------------------------------ dispatch */

static const struct rec_kind kinds[] = {
    { LU_REC_VERSION, GLOBAL, R_INFO, parse_version },
    { LU_REC_TIME, GLOBAL, R_INFO, parse_time },
    { LU_REC_DOWNTIME, GLOBAL, R_INFO, parse_downtime },
    { LU_REC_DOMAIN_INFO, DOMAIN_OPEN, R_INFO, parse_domain_info },
    { LU_REC_DOMAIN_MEMORY, DOMAIN, R_MEMORY, parse_memory },
#if LU_STREAM_VERSION >= 2
    { LU_REC_DOMAIN_SUMMARY, DOMAIN, R_SUMMARY, parse_summary },
#endif
    { LU_REC_DOMAIN_CONTEXT, DOMAIN, R_CONTEXT, parse_context },
};

static const struct rec_kind *find_kind(uint32_t type)
{
    for (unsigned int i = 0; i < ARRAY_SIZE(kinds); i++)
        if (kinds[i].type == type)
            return &kinds[i];
    return NULL;
}

/* Header, body length and padding of the record at ps->off. */
static int next_record(struct parse *ps)
{
    struct lu_rec_hdr hdr;
    size_t left = ps->len - ps->off;
    uint64_t padded;

    if (left < sizeof(hdr) && ps->off == 0)
        return lu_fail(ps->s, -BATON_EINVAL,
                       "LU_VERSION is missing: stream of %zu octets, expected LU_VERSION (0x%08x) first",
                       ps->len, LU_REC_VERSION);
    if (left < sizeof(hdr))
        return lu_fail(ps->s, -BATON_EINVAL,
                       "END is missing: stream ends at offset %zu (%zu octets left, a record header needs %zu)",
                       ps->off, left, sizeof(hdr));
    memcpy(&hdr, ps->p + ps->off, sizeof(hdr));
    padded = ALIGN_UP((uint64_t)hdr.body_length, LU_REC_ALIGN);
    if (padded > left - sizeof(hdr))
        return lu_fail(ps->s, -BATON_EINVAL,
                       "%s at offset %zu: body_length %u (padded %llu) but %zu octets left",
                       lu_rec_label(hdr.type).s, ps->off, hdr.body_length,
                       (unsigned long long)padded, left - sizeof(hdr));
    ps->type = hdr.type;
    ps->blen = hdr.body_length;
    ps->body = ps->p + ps->off + sizeof(hdr);
    for (uint64_t i = hdr.body_length; i < padded; i++)
        if (ps->body[i])
            return lu_fail(ps->s, -BATON_EINVAL,
                           "%s at offset %zu: padding octet %llu is 0x%02x, expected 0",
                           lu_rec_label(hdr.type).s, ps->off,
                           (unsigned long long)(i - hdr.body_length), ps->body[i]);
    return 0;
}

static int check_scope(struct parse *ps, const struct rec_kind *k)
{
    struct lu_stream *s = ps->s;

    if (k->scope == GLOBAL) {
        if (ps->dom || s->nr_domains)
            return lu_fail(s, -BATON_EINVAL,
                           "%s at offset %zu after domain records, expected global records first",
                           lu_rec_label(k->type).s, ps->off);
        if (k->type == LU_REC_VERSION || (k->type == LU_REC_TIME && ps->seen_time) ||
            (k->type == LU_REC_DOWNTIME && ps->seen_downtime))
            return lu_fail(s, -BATON_EEXIST, "duplicate %s at offset %zu",
                           lu_rec_label(k->type).s, ps->off);
        return 0;
    }
    if (k->scope == DOMAIN_OPEN)
        return 0;
    if (!ps->dom)
        return lu_fail(s, -BATON_EINVAL, "%s at offset %zu outside a domain, expected LU_DOMAIN_INFO first",
                       lu_rec_label(k->type).s, ps->off);
    if (ps->seen & (1u << k->rank))
        return lu_fail(s, -BATON_EEXIST, "domid %u: duplicate %s at offset %zu",
                       ps->dom->info.domid, lu_rec_label(k->type).s, ps->off);
    if (ps->seen >> (k->rank + 1))
        return lu_fail(s, -BATON_EINVAL,
                       "domid %u: %s at offset %zu out of order, expected INFO, MEMORY, [SUMMARY,] CONTEXT",
                       ps->dom->info.domid, lu_rec_label(k->type).s, ps->off);
    return 0;
}

static int one_record(struct parse *ps)
{
    const struct rec_kind *k = find_kind(ps->type);
    int rc;

    if (!k) {
        if (!(ps->type & LU_REC_OPTIONAL))
            return lu_fail(ps->s, -BATON_EOPNOTSUPP,
                           "unknown mandatory record %s at offset %zu, expected a record this build reads or an optional one (bit 31 set)",
                           lu_rec_label(ps->type).s, ps->off);
        ps->s->nr_skipped++;
        return 0;
    }
    rc = check_scope(ps, k);
    if (rc)
        return rc;
    if (k->scope == DOMAIN)
        ps->seen |= 1u << k->rank;
    return k->parse(ps);
}

/*
 * Only zeroes from `from` to the end of the buffer. Eight octets at a time
 * where aligned (the tail after END is, since records are padded to eight
 * and the buffer is 8-aligned): up to a frame of them is read inside the
 * blackout, at every update.
 */
static int check_tail_zero(struct parse *ps, size_t from)
{
    size_t i = from;

    while (i < ps->len && (i & 7))
        if (ps->p[i++])
            goto nonzero;
    for (; i + 8 <= ps->len; i += 8) {
        uint64_t w;

        memcpy(&w, ps->p + i, sizeof(w));
        if (w)
            goto nonzero;
    }
    for (; i < ps->len; i++)
        if (ps->p[i])
            goto nonzero;
    return 0;
nonzero:
    /* the first nonzero octet, for the message */
    for (i = from; !ps->p[i]; i++)
        ;
    return lu_fail(ps->s, -BATON_EINVAL, "octet at offset %zu after END is 0x%02x, expected 0",
                   i, ps->p[i]);
}

/* After END: only zeroes up to the end of the last frame. */
static int finish(struct parse *ps)
{
    size_t end = ps->off + sizeof(struct lu_rec_hdr);
    int rc;

    if (ps->blen)
        return check_blen(ps, 0);
    if (end != ps->s->version.stream_length)
        return lu_fail(ps->s, -BATON_EINVAL,
                       "END at offset %zu, expected at offset %llu (LU_VERSION stream_length %llu)",
                       ps->off,
                       (unsigned long long)(ps->s->version.stream_length - sizeof(struct lu_rec_hdr)),
                       (unsigned long long)ps->s->version.stream_length);
    rc = close_domain(ps);
    if (rc)
        return rc;
    if (!ps->seen_time)
        return lu_fail(ps->s, -BATON_EINVAL, "END at offset %zu: no LU_TIME record, expected one",
                       ps->off);
    rc = check_tail_zero(ps, end);
    if (rc)
        return rc;
    ps->s->stream_len = end;
    return 0;
}

int lu_parse_records(const struct lu_reader *r, const void *buf, size_t len,
                     struct lu_stream *s)
{
    struct parse ps = { .r = r, .s = s, .p = buf, .len = len };
    int rc;

    if (!buf || ((uintptr_t)buf & (LU_REC_ALIGN - 1)))
        return lu_fail(s, -BATON_EINVAL, "stream at %p, expected an 8-aligned buffer", buf);
    s->base = buf;
    s->len = len;
    for (;;) {
        rc = next_record(&ps);
        if (rc)
            return rc;
        if (ps.off == 0 && ps.type != LU_REC_VERSION)
            return lu_fail(s, -BATON_EINVAL, "first record is %s, expected LU_VERSION (0x%08x)",
                           lu_rec_label(ps.type).s, LU_REC_VERSION);
        if (ps.type == LU_REC_END)
            return finish(&ps);
        rc = ps.off == 0 ? parse_version(&ps) : one_record(&ps);
        if (rc)
            return rc;
        ps.off += sizeof(struct lu_rec_hdr) + ALIGN_UP((size_t)ps.blen, LU_REC_ALIGN);
    }
}
