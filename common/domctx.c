/*
 * Domain context framework: typed entries with registered save and load
 * handlers (see include/baton/domctx.h and public/domctx.h).
 *
 * The blob comes from another build (live update) or from a file (save and
 * restore), so the loader distrusts it: the whole blob is validated before
 * any handler runs, so a malformed blob never half-loads a domain.
 */
#include <stdarg.h>
#include <baton/domctx.h>
#include <baton/domctx_types.h>
#include <baton/errno.h>
#include <baton/lib.h>
#include <baton/printk.h>

/* Sorted by typecode: saves emit types in ascending order. */
static struct domctx_handler_desc handlers[DOMCTX_HANDLERS_MAX];
static unsigned int nr_handlers;

/* Names of the public types, for tools that link no handler (lu-dump). */
static const char *const public_names[] = {
    [DOMCTX_TYPE_END] = "END",
    [DOMCTX_TYPE_HEADER] = "HEADER",
    [DOMCTX_TYPE_DOMAIN] = "DOMAIN",
    [DOMCTX_TYPE_VCPU] = "VCPU",
    [DOMCTX_TYPE_EVTCHN] = "EVTCHN",
    [DOMCTX_TYPE_GRANT] = "GRANT",
    [DOMCTX_TYPE_GRANT_MAP] = "GRANT_MAP",
    [DOMCTX_TYPE_TIMER] = "TIMER",
    [DOMCTX_TYPE_CONSOLE] = "CONSOLE",
    [DOMCTX_TYPE_FPU] = "FPU",
};

static const uint8_t zeroes[DOMCTX_ALIGN];

/* ------------------------------------------------------------ registry */

static const struct domctx_handler_desc *find_handler(uint16_t typecode)
{
    for (unsigned int i = 0; i < nr_handlers; i++)
        if (handlers[i].typecode == typecode)
            return &handlers[i];
    return NULL;
}

int domctx_register(uint16_t typecode, const char *name, unsigned int flags,
                    size_t size, domctx_save_fn save, domctx_load_fn load)
{
    unsigned int pos = nr_handlers;

    if (typecode == DOMCTX_TYPE_END || typecode == DOMCTX_TYPE_HEADER || !name ||
        size == 0 || size > DOMCTX_ENTRY_MAX ||
        (flags & ~(DOMCTX_PER_VCPU | DOMCTX_MULTI)))
        return -BATON_EINVAL;
    if (find_handler(typecode))
        return -BATON_EEXIST;
    if (nr_handlers == DOMCTX_HANDLERS_MAX)
        return -BATON_ENOSPC;

    while (pos > 0 && handlers[pos - 1].typecode > typecode) {
        handlers[pos] = handlers[pos - 1];
        pos--;
    }
    handlers[pos] = (struct domctx_handler_desc){
        .typecode = typecode, .flags = flags, .size = size,
        .name = name, .save = save, .load = load,
    };
    nr_handlers++;
    return 0;
}

void domctx_unregister_all(void)
{
    nr_handlers = 0;
}

/*
 * The table the linker builds from every DOMCTX_HANDLER() linked in. Weak:
 * a host program that links no handler has no such section, and then no
 * __start_/__stop_ symbols either; both read as NULL.
 */
extern const struct domctx_handler_desc __start_domctx_handlers[] __attribute__((weak));
extern const struct domctx_handler_desc __stop_domctx_handlers[] __attribute__((weak));

int domctx_init(void)
{
    const struct domctx_handler_desc *h = __start_domctx_handlers;
    int rc;

    for (; h && h < __stop_domctx_handlers; h++) {
        rc = domctx_register(h->typecode, h->name, h->flags, h->size, h->save, h->load);
        if (rc) {
            pr_err("domctx: handler %s (0x%04x): %s\n", h->name ? h->name : "(no name)",
                   h->typecode,
                   rc == -BATON_EEXIST ? "type already registered, expected one handler per type" :
                   rc == -BATON_ENOSPC ? "registry full, expected at most DOMCTX_HANDLERS_MAX types" :
                   "refused (name, size or flags invalid)");
            return rc;
        }
    }
    return 0;
}

const char *domctx_type_name(uint16_t typecode)
{
    const struct domctx_handler_desc *h = find_handler(typecode);

    if (h)
        return h->name;
    if (typecode < ARRAY_SIZE(public_names))
        return public_names[typecode];
    return NULL;
}

/* ------------------------------------------------------------ type masks */

uint64_t domctx_registered_types(bool loads)
{
    uint64_t mask = 0;

    for (unsigned int i = 0; i < nr_handlers; i++) {
        const struct domctx_handler_desc *h = &handlers[i];
        bool has = loads ? h->load != NULL : h->save != NULL;

        if (has && h->typecode < 64)
            mask |= UINT64_C(1) << h->typecode;
    }
    return mask;
}

/* A handler whose type no mask can carry (64..0xfeff) would be missing
 * from the note, so a loader could never learn that the image has it. */
static int check_types_fit(char *err, size_t errsz)
{
    for (unsigned int i = 0; i < nr_handlers; i++) {
        uint16_t t = handlers[i].typecode;

        if (t >= 64 && t < DOMCTX_TYPE_TEST_FIRST) {
            snprintf(err, errsz, "handler %s has type 0x%04x, expected below 64 "
                     "(the ELF note's mask) or a test type", handlers[i].name, t);
            return -BATON_EINVAL;
        }
    }
    return 0;
}

static int check_mask(const char *what, uint64_t registered, uint64_t declared,
                      char *err, size_t errsz)
{
    if (registered == declared)
        return 0;
    snprintf(err, errsz, "types with a %s handler 0x%016llx, include/baton/domctx_types.h "
             "says 0x%016llx (registered only 0x%016llx, declared only 0x%016llx)", what,
             (unsigned long long)registered, (unsigned long long)declared,
             (unsigned long long)(registered & ~declared),
             (unsigned long long)(declared & ~registered));
    return -BATON_EINVAL;
}

int domctx_types_check(char *err, size_t errsz)
{
    int rc;

    rc = check_types_fit(err, errsz);
    if (rc)
        return rc;
    rc = check_mask("load", domctx_registered_types(true), DOMCTX_TYPES_LOADS, err, errsz);
    if (rc)
        return rc;
    return check_mask("save", domctx_registered_types(false), DOMCTX_TYPES_WRITES, err, errsz);
}

/* "NAME (0x1234)" or "0x1234" for messages. */
struct type_label {
    char s[48];
};

static struct type_label label(uint16_t typecode)
{
    struct type_label l;
    const char *name = domctx_type_name(typecode);

    if (name)
        snprintf(l.s, sizeof(l.s), "%s (0x%04x)", name, typecode);
    else
        snprintf(l.s, sizeof(l.s), "0x%04x", typecode);
    return l;
}

/* ------------------------------------------------------------ save */

struct domctx_save_ctx {
    struct domain *d;
    domctx_write_fn write;   /* NULL: dry run */
    void *priv;
    const struct domctx_handler_desc *h;
    uint32_t vcpu;
    unsigned int emitted;    /* entries emitted by the current save call */
    size_t total;
};

static int emit(struct domctx_save_ctx *c, const void *p, size_t n)
{
    c->total += n;
    return c->write && n ? c->write(c->priv, p, n) : 0;
}

static int emit_entry(struct domctx_save_ctx *c, uint16_t typecode, uint32_t vcpu,
                      const void *data, size_t len)
{
    struct domctx_desc desc = {
        .typecode = typecode, .vcpu_id = vcpu, .length = (uint32_t)len,
    };
    int rc;

    rc = emit(c, &desc, sizeof(desc));
    if (rc)
        return rc;
    rc = emit(c, data, len);
    if (rc)
        return rc;
    return emit(c, zeroes, ALIGN_UP(len, DOMCTX_ALIGN) - len);
}

bool domctx_save_is_dry_run(const struct domctx_save_ctx *c)
{
    return c->write == NULL;
}

int domctx_save_entry(struct domctx_save_ctx *c, const void *data, size_t len)
{
    const struct domctx_handler_desc *h = c->h;

    if (!h)
        return -BATON_EINVAL;
    if (len > h->size) {
        pr_err("domctx: save %s: entry of %zu octets, type registered %zu\n",
               h->name, len, h->size);
        return -BATON_E2BIG;
    }
    if (c->emitted && !(h->flags & DOMCTX_MULTI)) {
        pr_err("domctx: save %s vcpu %u: second entry of a single-entry type\n",
               h->name, c->vcpu);
        return -BATON_EEXIST;
    }
    c->emitted++;
    return emit_entry(c, h->typecode, c->vcpu, data, len);
}

static int save_type(struct domctx_save_ctx *c, unsigned int nr_vcpus)
{
    unsigned int n = (c->h->flags & DOMCTX_PER_VCPU) ? nr_vcpus : 1;
    int rc;

    for (unsigned int v = 0; v < n; v++) {
        c->vcpu = v;
        c->emitted = 0;
        rc = c->h->save(c->d, v, c);
        if (rc)
            return rc;
    }
    return 0;
}

int domctx_save(struct domain *d, unsigned int nr_vcpus, domctx_write_fn write,
                void *priv, size_t *len)
{
    struct domctx_save_ctx c = { .d = d, .write = write, .priv = priv };
    const struct domctx_header hdr = {
        .magic = DOMCTX_MAGIC, .version = DOMCTX_VERSION,
    };
    int rc;

    rc = emit_entry(&c, DOMCTX_TYPE_HEADER, 0, &hdr, sizeof(hdr));
    if (rc)
        goto out;
    for (unsigned int i = 0; i < nr_handlers; i++) {
        if (!handlers[i].save)
            continue;
        c.h = &handlers[i];
        rc = save_type(&c, nr_vcpus);
        if (rc)
            goto out;
    }
    c.h = NULL;
    rc = emit_entry(&c, DOMCTX_TYPE_END, 0, NULL, 0);
out:
    if (len)
        *len = c.total;
    return rc;
}

int domctx_size(struct domain *d, unsigned int nr_vcpus, size_t *len)
{
    return domctx_save(d, nr_vcpus, NULL, NULL, len);
}

/* ------------------------------------------------------------ walk */

struct walk {
    const uint8_t *p;
    size_t len;
    size_t off;               /* of the current descriptor */
    unsigned int nr_vcpus;
    unsigned int flags;
    char *err;
    size_t errsz;
    bool have_prev;
    bool prev_ignored;        /* the previous entry was IGNORE */
    uint16_t prev_type;
    uint32_t prev_vcpu;
};

static int __printf(3, 4) walk_fail(struct walk *w, int rc, const char *fmt, ...)
{
    char local[160];
    char *buf = w->err ? w->err : local;
    size_t size = w->err ? w->errsz : sizeof(local);
    va_list ap;

    if (size == 0) {
        buf = local;
        size = sizeof(local);
    }
    va_start(ap, fmt);
    vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    pr_err("domctx: %s\n", buf);
    return rc;
}

static int read_desc(struct walk *w, struct domctx_desc *d)
{
    size_t left = w->len - w->off;

    if (left < sizeof(*d) && w->off == 0)
        return walk_fail(w, -BATON_EINVAL,
                         "HEADER is missing: blob of %zu octets, expected a HEADER entry first",
                         w->len);
    if (left < sizeof(*d))
        return walk_fail(w, -BATON_EINVAL,
                         "END is missing: truncated descriptor at offset %zu: need %zu octets, %zu left",
                         w->off, sizeof(*d), left);
    memcpy(d, w->p + w->off, sizeof(*d));
    if (d->reserved)
        return walk_fail(w, -BATON_EINVAL,
                         "descriptor at offset %zu: reserved is 0x%x, expected 0",
                         w->off, d->reserved);
    if (d->flags & ~DOMCTX_FLAGS_KNOWN)
        return walk_fail(w, -BATON_EINVAL,
                         "descriptor at offset %zu: unknown flags 0x%x (known 0x%x)",
                         w->off, d->flags, DOMCTX_FLAGS_KNOWN);
    return 0;
}

/* The body and its padding must lie inside the blob; the padding is zero. */
static int check_body(struct walk *w, const struct domctx_desc *d)
{
    size_t left = w->len - w->off - sizeof(*d);
    size_t padded = ALIGN_UP((size_t)d->length, DOMCTX_ALIGN);
    const uint8_t *body = w->p + w->off + sizeof(*d);

    if (padded > left)
        return walk_fail(w, -BATON_EINVAL,
                         "entry %s at offset %zu: length %u (padded %zu) but %zu octets left",
                         label(d->typecode).s, w->off, d->length, padded, left);
    for (size_t i = d->length; i < padded; i++)
        if (body[i])
            return walk_fail(w, -BATON_EINVAL,
                             "entry %s at offset %zu: padding octet %zu is 0x%02x, expected 0",
                             label(d->typecode).s, w->off, i - d->length, body[i]);
    return 0;
}

static int check_header(struct walk *w)
{
    struct domctx_desc d;
    struct domctx_header h;
    int rc;

    rc = read_desc(w, &d);
    if (rc)
        return rc;
    if (d.typecode != DOMCTX_TYPE_HEADER || d.vcpu_id || d.flags ||
        d.length != sizeof(h))
        return walk_fail(w, -BATON_EINVAL,
                         "first entry is %s vcpu %u flags 0x%x length %u, expected HEADER vcpu 0 flags 0 length %zu",
                         label(d.typecode).s, d.vcpu_id, d.flags, d.length, sizeof(h));
    rc = check_body(w, &d);
    if (rc)
        return rc;
    memcpy(&h, w->p + w->off + sizeof(d), sizeof(h));
    if (h.magic != DOMCTX_MAGIC)
        return walk_fail(w, -BATON_EINVAL, "HEADER magic 0x%08x, expected 0x%08x",
                         h.magic, DOMCTX_MAGIC);
    if (h.version != DOMCTX_VERSION)
        return walk_fail(w, -BATON_EOPNOTSUPP, "HEADER version %u, this build reads %u",
                         h.version, DOMCTX_VERSION);
    w->off += sizeof(d) + sizeof(h);
    return 0;
}

static int check_end(struct walk *w, const struct domctx_desc *d)
{
    size_t after = w->len - w->off - sizeof(*d);

    if (d->vcpu_id || d->flags || d->length)
        return walk_fail(w, -BATON_EINVAL,
                         "END at offset %zu: vcpu %u flags 0x%x length %u, expected all 0",
                         w->off, d->vcpu_id, d->flags, d->length);
    if (after)
        return walk_fail(w, -BATON_EINVAL,
                         "END at offset %zu followed by %zu octets, expected none",
                         w->off, after);
    return 0;
}

/*
 * Entries are sorted by (type, vcpu); equal keys only for MULTI types. An
 * IGNORE entry (h NULL) takes its place in the order but is no duplicate:
 * it is never loaded.
 */
static int check_order(struct walk *w, const struct domctx_desc *d,
                       const struct domctx_handler_desc *h)
{
    bool multi = !h || (h->flags & DOMCTX_MULTI) || w->prev_ignored;

    if (w->have_prev) {
        bool same = d->typecode == w->prev_type && d->vcpu_id == w->prev_vcpu;
        bool before = d->typecode < w->prev_type ||
                      (d->typecode == w->prev_type && d->vcpu_id < w->prev_vcpu);

        if (before)
            return walk_fail(w, -BATON_EINVAL,
                             "entry %s vcpu %u at offset %zu after %s vcpu %u: entries must be sorted by type, then vcpu",
                             label(d->typecode).s, d->vcpu_id, w->off,
                             label(w->prev_type).s, w->prev_vcpu);
        if (same && !multi)
            return walk_fail(w, -BATON_EEXIST,
                             "duplicate entry %s vcpu %u at offset %zu, expected one per vcpu (type not multi-entry)",
                             label(d->typecode).s, d->vcpu_id, w->off);
    }
    w->have_prev = true;
    w->prev_ignored = d->flags & DOMCTX_FLAG_IGNORE;
    w->prev_type = d->typecode;
    w->prev_vcpu = d->vcpu_id;
    return 0;
}

/* What this build's handlers require of an entry. */
static int check_known(struct walk *w, const struct domctx_desc *d,
                       const struct domctx_handler_desc *h)
{
    if (!h || !h->load)
        return walk_fail(w, -BATON_EOPNOTSUPP,
                         "entry %s at offset %zu: %s, expected a type this build loads or the IGNORE flag",
                         label(d->typecode).s, w->off,
                         h ? "type has no load handler" : "unknown type");
    if (!(h->flags & DOMCTX_PER_VCPU) && d->vcpu_id)
        return walk_fail(w, -BATON_EINVAL,
                         "entry %s at offset %zu: vcpu %u on a per-domain type, expected 0",
                         label(d->typecode).s, w->off, d->vcpu_id);
    if (d->length > h->size && !(w->flags & DOMCTX_ALLOW_LONGER))
        return walk_fail(w, -BATON_E2BIG,
                         "entry %s vcpu %u at offset %zu: length %u, this build's structure is %zu",
                         label(d->typecode).s, d->vcpu_id, w->off, d->length, h->size);
    return 0;
}

static int check_entry(struct walk *w, const struct domctx_desc *d)
{
    const struct domctx_handler_desc *h = NULL;
    int rc;

    if (d->typecode == DOMCTX_TYPE_HEADER)
        return walk_fail(w, -BATON_EINVAL,
                         "second HEADER at offset %zu, expected HEADER only as the first entry",
                         w->off);
    rc = check_body(w, d);
    if (rc)
        return rc;
    /* IGNORE: framing and order only, whatever the type, length or vCPU. */
    if (d->flags & DOMCTX_FLAG_IGNORE)
        return check_order(w, d, NULL);
    if (d->vcpu_id && d->vcpu_id >= w->nr_vcpus)
        return walk_fail(w, -BATON_EINVAL,
                         "entry %s at offset %zu: vcpu %u, expected below %u (the domain's vCPUs)",
                         label(d->typecode).s, w->off, d->vcpu_id, w->nr_vcpus);
    if (!(w->flags & DOMCTX_FRAMING_ONLY)) {
        h = find_handler(d->typecode);
        rc = check_known(w, d, h);
        if (rc)
            return rc;
    }
    return check_order(w, d, h);
}

int domctx_walk(const void *blob, size_t len, unsigned int nr_vcpus,
                unsigned int flags, domctx_entry_fn fn, void *priv,
                char *err, size_t errsz)
{
    struct walk w = {
        .p = blob, .len = len, .nr_vcpus = nr_vcpus, .flags = flags,
        .err = err, .errsz = errsz,
    };
    struct domctx_desc d;
    int rc;

    if (!blob && len)
        return walk_fail(&w, -BATON_EINVAL, "no blob, expected %zu octets", len);
    /* Entry offsets are 32-bit, as the LU record that carries a blob. */
    if (len > UINT32_MAX)
        return walk_fail(&w, -BATON_E2BIG, "blob of %zu octets, limit %u", len, UINT32_MAX);
    rc = check_header(&w);
    while (!rc) {
        rc = read_desc(&w, &d);
        if (rc)
            break;
        if (d.typecode == DOMCTX_TYPE_END)
            return check_end(&w, &d);
        rc = check_entry(&w, &d);
        if (rc)
            break;
        if (fn) {
            struct domctx_entry e = {
                .typecode = d.typecode, .flags = d.flags, .vcpu_id = d.vcpu_id,
                .length = d.length, .offset = (uint32_t)w.off,
                .body = w.p + w.off + sizeof(d),
                .allow_longer = flags & DOMCTX_ALLOW_LONGER,
            };
            rc = fn(priv, &e);
            if (rc)
                break;
        }
        w.off += sizeof(d) + ALIGN_UP((size_t)d.length, DOMCTX_ALIGN);
    }
    return rc;
}

int domctx_validate(const void *blob, size_t len, unsigned int nr_vcpus,
                    unsigned int flags, char *err, size_t errsz)
{
    return domctx_walk(blob, len, nr_vcpus, flags, NULL, NULL, err, errsz);
}

/* ------------------------------------------------------------ load */

static int load_one(void *priv, const struct domctx_entry *e)
{
    const struct domctx_handler_desc *h;
    int rc;

    if (e->flags & DOMCTX_FLAG_IGNORE)
        return 0;
    h = find_handler(e->typecode);
    rc = h->load((struct domain *)priv, e->vcpu_id, e);
    if (rc)
        pr_err("domctx: load %s vcpu %u at offset %u failed: %d\n",
               h->name, e->vcpu_id, e->offset, rc);
    return rc;
}

int domctx_load(struct domain *d, unsigned int nr_vcpus, const void *blob,
                size_t len, unsigned int flags, char *err, size_t errsz)
{
    int rc;

    /* Handlers are needed to load, so framing alone is never enough. */
    flags &= ~DOMCTX_FRAMING_ONLY;
    if (!(flags & DOMCTX_VALIDATED)) {
        rc = domctx_validate(blob, len, nr_vcpus, flags, err, errsz);
        if (rc)
            return rc;
    }
    return domctx_walk(blob, len, nr_vcpus, flags & ~DOMCTX_VALIDATED, load_one, d, err,
                       errsz);
}

int domctx_entry_read(const struct domctx_entry *e, void *dst, size_t size)
{
    size_t n = MIN((size_t)e->length, size);

    if (e->length > size && !e->allow_longer)
        return -BATON_E2BIG;
    memcpy(dst, e->body, n);
    memset((uint8_t *)dst + n, 0, size - n);
    return 0;
}

/* ------------------------------------------------------------ tools */

struct ignore_state {
    uint8_t *blob;
    uint16_t typecode;
    int count;
};

static int mark_ignore(void *priv, const struct domctx_entry *e)
{
    struct ignore_state *st = priv;
    uint8_t *at = st->blob + e->offset + __builtin_offsetof(struct domctx_desc, flags);
    uint16_t flags;

    if (e->typecode == st->typecode) {
        memcpy(&flags, at, sizeof(flags));
        flags |= DOMCTX_FLAG_IGNORE;
        memcpy(at, &flags, sizeof(flags));
        st->count++;
    }
    return 0;
}

int domctx_set_ignore(void *blob, size_t len, uint16_t typecode)
{
    struct ignore_state st = { .blob = blob, .typecode = typecode };
    int rc;

    if (typecode == DOMCTX_TYPE_HEADER || typecode == DOMCTX_TYPE_END)
        return -BATON_EINVAL;
    rc = domctx_walk(blob, len, UINT32_MAX, DOMCTX_FRAMING_ONLY, mark_ignore, &st,
                     NULL, 0);
    return rc ? rc : st.count;
}
