/* Host fixture for LU tests, fuzzers and seeds: see lu_fixture.h. */
#include <stdlib.h>
#include <string.h>

#include <baton/errno.h>
#include "lu_fixture.h"

/* ------------------------------------------------------------ fake memory */

/* Single frames come scattered (stride 37 through the pool), so no two
 * consecutive stream frames are adjacent; runs come first-fit. */
void fx_phys_init(struct lu_host_pool *fp)
{
    lu_host_pool_init(fp, 0, FX_PAGES, FX_STREAM_MFN, FX_STREAM_PAGES, 37,
                      FX_CONTIG_MFN, FX_CONTIG_PAGES);
    /* What the reader sees cannot alias the fake memory. */
    fp->phys.copy = true;
}

void fx_phys_fini(struct lu_host_pool *fp)
{
    lu_host_pool_fini(fp);
}

void *fx_phys_addr(struct lu_host_pool *fp, uint64_t pa)
{
    return lu_host_pool_addr(fp, pa);
}

/* ------------------------------------------------------------ reader */

static const struct lu_range fx_ram[] = {
    { 0, (uint64_t)FX_PAGES * PAGE_SIZE },
};
static const struct lu_range fx_reserved[] = {
    { FX_BOOTMEM_MFN * PAGE_SIZE, (FX_BOOTMEM_MFN + FX_BOOTMEM_PAGES) * PAGE_SIZE },
};

void fx_reader(struct lu_reader *r, struct lu_host_pool *fp)
{
    static struct lu_host_mem none;

    memset(r, 0, sizeof(*r));
    lu_host_reader(r, fp ? &fp->phys : &none);
    if (!fp) {
        /* A plain buffer: nothing to map. */
        r->map_phys = NULL;
        r->unmap_phys = NULL;
        r->vmap = NULL;
        r->vunmap = NULL;
    }
    r->ram = fx_ram;
    r->nr_ram = 1;
    r->reserved = fx_reserved;
    r->nr_reserved = 1;
}

struct lu_stream *fx_stream_new(void)
{
    struct lu_stream *s = calloc(1, sizeof(*s));

    if (!s)
        abort();
    return s;
}

int fx_sb_case_setup(struct lu_reader *rd, struct lu_stream **s, struct fx_sb *sb)
{
    fx_reader(rd, NULL);
    *s = fx_stream_new();
    fx_sb_init(sb);
    return fx_register();
}

void fx_sb_case_teardown(struct lu_stream *s, struct fx_sb *sb)
{
    fx_sb_free(sb);
    free(s);
}

/* ------------------------------------------------------------ handlers */

static int save_dom(struct domain *d, unsigned int vcpu, struct domctx_save_ctx *c)
{
    const struct fx_dom_entry e = { .value = d->dom_value };

    (void)vcpu;
    if (d->fail_save_type == FX_TYPE_DOMAIN)
        return -BATON_EIO;
    return domctx_save_entry(c, &e, sizeof(e));
}

static int load_dom(struct domain *d, unsigned int vcpu, const struct domctx_entry *e)
{
    struct fx_dom_entry x;
    int rc;

    (void)vcpu;
    if (d->fail_load_type == FX_TYPE_DOMAIN)
        return -BATON_EIO;
    rc = domctx_entry_read(e, &x, sizeof(x));
    if (rc)
        return rc;
    d->dom_value = x.value;
    d->loads++;
    return 0;
}

/* This build's layout is a prefix of fx_vcpu_v2. */
static int save_vcpu(struct domain *d, unsigned int vcpu, struct domctx_save_ctx *c)
{
    fx_vcpu_t v;

    if (d->fail_save_type == FX_TYPE_VCPU)
        return -BATON_EIO;
    if (vcpu >= FX_VCPUS_MAX)
        return -BATON_EINVAL;
    memcpy(&v, &d->vcpu[vcpu], sizeof(v));
    return domctx_save_entry(c, &v, sizeof(v));
}

static int load_vcpu(struct domain *d, unsigned int vcpu, const struct domctx_entry *e)
{
    fx_vcpu_t v;
    int rc;

    if (d->fail_load_type == FX_TYPE_VCPU)
        return -BATON_EIO;
    /* The framework bounds vcpu by the domain's max_vcpus; ours is smaller. */
    if (vcpu >= FX_VCPUS_MAX)
        return -BATON_EINVAL;
    rc = domctx_entry_read(e, &v, sizeof(v));
    if (rc)
        return rc;
    memset(&d->vcpu[vcpu], 0, sizeof(d->vcpu[vcpu]));
    memcpy(&d->vcpu[vcpu], &v, sizeof(v));
    d->loads++;
    return 0;
}

static int save_items(struct domain *d, unsigned int vcpu, struct domctx_save_ctx *c)
{
    unsigned int n = d->nr_items;
    int rc;

    (void)vcpu;
    /* A misbehaving handler: writes more than it measured. */
    if (d->grow_on_save && !domctx_save_is_dry_run(c))
        n++;
    for (unsigned int i = 0; i < n; i++) {
        const struct fx_item it = { .index = i, .value = d->items[i % FX_ITEMS_MAX] };

        rc = domctx_save_entry(c, &it, sizeof(it));
        if (rc)
            return rc;
    }
    return 0;
}

static int load_items(struct domain *d, unsigned int vcpu, const struct domctx_entry *e)
{
    struct fx_item it;
    int rc;

    (void)vcpu;
    rc = domctx_entry_read(e, &it, sizeof(it));
    if (rc)
        return rc;
    if (it.index >= FX_ITEMS_MAX)
        return -BATON_EINVAL;
    d->items[it.index] = it.value;
    d->nr_items = MAX(d->nr_items, it.index + 1);
    d->loads++;
    return 0;
}

int fx_register(void)
{
    int rc;

    domctx_unregister_all();
    /* Out of order on purpose: the framework sorts. */
    rc = domctx_register(FX_TYPE_VCPU, "TEST_VCPU", DOMCTX_PER_VCPU, sizeof(fx_vcpu_t),
                         save_vcpu, load_vcpu);
    if (!rc)
        rc = domctx_register(FX_TYPE_ITEMS, "TEST_ITEMS", DOMCTX_MULTI, sizeof(struct fx_item),
                             save_items, load_items);
    if (!rc)
        rc = domctx_register(FX_TYPE_DOMAIN, "TEST_DOMAIN", 0, sizeof(struct fx_dom_entry),
                             save_dom, load_dom);
    return rc;
}

void fx_domain_init(struct domain *d, uint16_t domid, unsigned int nr_vcpus, uint64_t seed)
{
    memset(d, 0, sizeof(*d));
    d->domid = domid;
    d->nr_vcpus = nr_vcpus;
    d->dom_value = seed * 0x1000 + domid;
    for (unsigned int i = 0; i < nr_vcpus && i < FX_VCPUS_MAX; i++) {
        d->vcpu[i].rip = 0xffff800000100000ull + seed * 0x100 + i;
        d->vcpu[i].rsp = 0x7fff0000ull - i * 0x1000;
        /* Only a version 2 entry carries fsbase. */
        d->vcpu[i].fsbase = sizeof(fx_vcpu_t) > sizeof(struct fx_vcpu_v1) ? 0xf5000 + i : 0;
    }
    d->nr_items = 3;
    for (unsigned int i = 0; i < d->nr_items; i++)
        d->items[i] = seed ^ (0x1111ull * (i + 1));
}

void fx_domain_blank(struct domain *d, uint16_t domid, unsigned int nr_vcpus)
{
    memset(d, 0, sizeof(*d));
    d->domid = domid;
    d->nr_vcpus = nr_vcpus;
    /* Garbage where the load must write, zero-extended fields included. */
    memset(d->vcpu, 0xa5, sizeof(d->vcpu));
}

/* ------------------------------------------------------------ streams */

void fx_extents(unsigned int k, struct lu_extent ext[FX_EXTENTS])
{
    uint64_t base = FX_DOMAIN_MFN + (uint64_t)k * 32;

    ext[0] = (struct lu_extent){ .gpfn = 0, .mfn = base + 16, .count = 8 };
    ext[1] = (struct lu_extent){ .gpfn = 8, .mfn = base, .count = 4 };
    ext[2] = (struct lu_extent){ .gpfn = 0x100, .mfn = base + 8, .count = 2 };
}

void fx_domain_info(const struct domain *d, struct lu_rec_domain_info *info)
{
    memset(info, 0, sizeof(*info));
    info->type = LU_DOMAIN_TYPE_PV;
    info->page_shift = PAGE_SHIFT;
    info->domid = d->domid;
    for (unsigned int i = 0; i < LU_DOMAIN_HANDLE_LEN; i++)
        info->handle[i] = (uint8_t)(d->domid * 16 + i);
    info->ssidref = 0x10 + d->domid;
    info->flags = 0x5;
    info->max_vcpus = d->nr_vcpus;
    info->emulation_flags = 0x3;
    info->extra_flags = d->domid == 0 ? LU_DOMAIN_EXTRA_PRIVILEGED : 0;
}

int fx_write_stream(struct lu_writer *w, struct domain *doms, unsigned int n)
{
    int rc;

    rc = lu_write_version(w, 4, 2, "-fx");
    if (!rc)
        rc = lu_write_time(w, FX_TSC_HZ, FX_TSC, FX_STIME);
    for (unsigned int k = 0; !rc && k < n; k++) {
        struct lu_rec_domain_info info;
        struct lu_extent ext[FX_EXTENTS];

        fx_domain_info(&doms[k], &info);
        fx_extents(k, ext);
        rc = lu_write_domain_info(w, &info);
        if (!rc)
            rc = lu_write_domain_memory(w, ext, FX_EXTENTS);
        if (!rc)
            rc = lu_write_domain_context(w, &doms[k], doms[k].nr_vcpus);
    }
    return rc ? rc : lu_write_end(w);
}

uint8_t *fx_linearize(struct lu_host_pool *fp, const struct lu_writer *w, size_t *len)
{
    uint8_t *buf = aligned_alloc(PAGE_SIZE, w->nr_pages * PAGE_SIZE);

    if (!buf)
        abort();
    for (uint64_t i = 0; i < w->nr_pages; i++)
        memcpy(buf + i * PAGE_SIZE, fx_phys_addr(fp, w->mfns[i] * PAGE_SIZE), PAGE_SIZE);
    *len = w->nr_pages * PAGE_SIZE;
    return buf;
}

long fx_find_record(const uint8_t *buf, size_t len, uint32_t type, unsigned int n)
{
    size_t off = 0;

    while (off + sizeof(struct lu_rec_hdr) <= len) {
        struct lu_rec_hdr h;

        memcpy(&h, buf + off, sizeof(h));
        if (h.type == type && n-- == 0)
            return (long)off;
        if (h.type == LU_REC_END)
            break;
        off += sizeof(h) + ALIGN_UP((uint64_t)h.body_length, LU_REC_ALIGN);
    }
    return -1;
}

/* ------------------------------------------------------------ raw builder */

void fx_sb_init(struct fx_sb *x)
{
    x->cap = 2 * PAGE_SIZE;
    x->len = 0;
    x->b = aligned_alloc(PAGE_SIZE, x->cap);
    if (!x->b)
        abort();
}

void fx_sb_free(struct fx_sb *x)
{
    free(x->b);
    x->b = NULL;
}

static void sb_put(struct fx_sb *x, const void *p, size_t n)
{
    if (x->len + n + PAGE_SIZE > x->cap) {
        size_t cap = ALIGN_UP((x->len + n) * 2 + PAGE_SIZE, PAGE_SIZE);
        uint8_t *b = aligned_alloc(PAGE_SIZE, cap);

        if (!b)
            abort();
        memcpy(b, x->b, x->len);
        free(x->b);
        x->b = b;
        x->cap = cap;
    }
    if (p)
        memcpy(x->b + x->len, p, n);
    else
        memset(x->b + x->len, 0, n);
    x->len += n;
}

void fx_sb_rec(struct fx_sb *x, uint32_t type, const void *body, uint32_t len)
{
    const struct lu_rec_hdr h = { .type = type, .body_length = len };

    sb_put(x, &h, sizeof(h));
    sb_put(x, body, len);
    sb_put(x, NULL, ALIGN_UP((uint64_t)len, LU_REC_ALIGN) - len);
}

void fx_sb_version(struct fx_sb *x, uint32_t version, uint32_t compat)
{
    struct lu_rec_version v = {
        .stream_version = version, .compat_version = compat, .hv_major = 9, .hv_minor = 1,
    };

    memcpy(v.hv_extra, "-sb", 3);
    fx_sb_rec(x, LU_REC_VERSION, &v, sizeof(v));
}

void fx_sb_time(struct fx_sb *x)
{
    const struct lu_rec_time t = { .tsc_hz = FX_TSC_HZ, .tsc = FX_TSC, .stime_ns = FX_STIME };

    fx_sb_rec(x, LU_REC_TIME, &t, sizeof(t));
}

void fx_sb_info(struct fx_sb *x, uint16_t domid, uint32_t max_vcpus)
{
    struct domain d = { .domid = domid, .nr_vcpus = max_vcpus };
    struct lu_rec_domain_info info;

    fx_domain_info(&d, &info);
    fx_sb_rec(x, LU_REC_DOMAIN_INFO, &info, sizeof(info));
}

void fx_sb_memory(struct fx_sb *x, const struct lu_extent *ext, uint32_t nr)
{
    const struct lu_rec_domain_memory hdr = { .nr_extents = nr };
    const struct lu_rec_hdr h = {
        .type = LU_REC_DOMAIN_MEMORY,
        .body_length = (uint32_t)(sizeof(hdr) + (size_t)nr * sizeof(*ext)),
    };

    sb_put(x, &h, sizeof(h));
    sb_put(x, &hdr, sizeof(hdr));
    sb_put(x, ext, (size_t)nr * sizeof(*ext));
}

void fx_sb_summary(struct fx_sb *x, uint64_t total_pages, uint64_t p2m_size)
{
    const struct lu_rec_domain_summary sum = { .total_pages = total_pages, .p2m_size = p2m_size };

    fx_sb_rec(x, LU_REC_DOMAIN_SUMMARY, &sum, sizeof(sum));
}

void fx_sb_context_min(struct fx_sb *x)
{
    struct {
        struct domctx_desc hd;
        struct domctx_header h;
        struct domctx_desc end;
    } blob = {
        .hd = { .typecode = DOMCTX_TYPE_HEADER, .length = sizeof(struct domctx_header) },
        .h = { .magic = DOMCTX_MAGIC, .version = DOMCTX_VERSION },
        .end = { .typecode = DOMCTX_TYPE_END },
    };

    fx_sb_rec(x, LU_REC_DOMAIN_CONTEXT, &blob, sizeof(blob));
}

void fx_sb_domain(struct fx_sb *x, uint16_t domid, uint64_t mfn, uint32_t nr, bool summary)
{
    const struct lu_rec_domain_memory hdr = { .nr_extents = nr };
    const struct lu_rec_hdr h = {
        .type = LU_REC_DOMAIN_MEMORY,
        .body_length = (uint32_t)(sizeof(hdr) + (size_t)nr * sizeof(struct lu_extent)),
    };

    fx_sb_info(x, domid, 1);
    sb_put(x, &h, sizeof(h));
    sb_put(x, &hdr, sizeof(hdr));
    for (uint32_t i = 0; i < nr; i++) {
        const struct lu_extent e = { .gpfn = i, .mfn = mfn + i, .count = 1 };

        sb_put(x, &e, sizeof(e));
    }
    if (summary)
        fx_sb_summary(x, nr, nr);
    fx_sb_context_min(x);
}

void fx_sb_end(struct fx_sb *x)
{
    struct lu_rec_hdr h;
    uint64_t len;

    fx_sb_rec(x, LU_REC_END, NULL, 0);
    len = x->len;
    memcpy(&h, x->b, sizeof(h));
    if (h.type == LU_REC_VERSION && h.body_length == sizeof(struct lu_rec_version))
        memcpy(x->b + sizeof(h) + __builtin_offsetof(struct lu_rec_version, stream_length),
               &len, sizeof(len));
    sb_put(x, NULL, ALIGN_UP(x->len, PAGE_SIZE) - x->len);
}
