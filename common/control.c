/*
 * control_op: the privileged hypercalls domain 0's agent turns control
 * requests into (include/public/control.h; docs/specs/pv-abi.md, "Control
 * operations"). In order, for every command:
 *   1. a caller other than the privileged domain gets -EPERM, before its
 *      argument is read;
 *   2. an unknown command is -ENOSYS;
 *   3. the command's whole argument struct is copied in (-EFAULT), its
 *      header must repeat the command and CONTROL_OP_VERSION, and every
 *      pad must be zero (-EINVAL);
 *   4. sizes are checked against their maximum before anything is
 *      allocated or copied, then the command runs and its results are
 *      copied out.
 * The hypervisor is not preemptible on its one CPU: nothing else changes
 * the domain table while a command runs.
 */
#include <baton/arch.h>
#include <baton/control.h>
#include <baton/domain.h>
#include <baton/domain_build.h>
#include <baton/domctx_types.h>
#include <baton/errno.h>
#include <baton/lib.h>
#include <baton/lu.h>
#include <baton/lu_stream.h>
#include <baton/memory.h>
#include <baton/page_alloc.h>
#include <baton/printk.h>
#include <baton/sched.h>
#include <baton/version.h>
#include <baton/vmap.h>
#include <public/control.h>

/* Images are copied out of domain 0 this much at a time. */
#define CONTROL_COPY_CHUNK  (64u << 10)

union control_arg {
    struct control_op_header hdr;
    struct control_domain_list list;
    struct control_domain_op dom;
    struct control_domain_create create;
    struct control_console_read cons;
    struct control_memory_map map;
    struct control_version version;
};

/* What CONTROL_version says of the build's live update support. */
#ifdef CONFIG_LIVE_UPDATE
#define VERSION_FLAGS CONTROL_VERSION_F_LIVE_UPDATE
#else
#define VERSION_FLAGS 0u
#endif

/* ---------------------------------------------------------------- domains */

static const uint8_t state_to_control[] = {
    [DOMAIN_ALIVE] = CONTROL_DOMAIN_ALIVE,
    [DOMAIN_SHUTDOWN] = CONTROL_DOMAIN_SHUTDOWN,
    [DOMAIN_CRASHED] = CONTROL_DOMAIN_CRASHED,
};

/* A domain the control plane can see: any but a FREE slot (or one being
 * restored, which only exists inside a rehearsal). */
static struct domain *control_domain(uint16_t domid)
{
    struct domain *d = domain_by_id_any(domid);

    return d && d->state != DOMAIN_RESTORING ? d : NULL;
}

static void fill_info(const struct domain *d, struct control_domain_info *i)
{
    memset(i, 0, sizeof(*i));
    i->domid = d->domid;
    i->state = state_to_control[d->state];
    i->flags = (d->privileged ? CONTROL_DOMAIN_PRIVILEGED : 0) |
               (d->pause_count ? CONTROL_DOMAIN_PAUSED : 0);
    i->nr_vcpus = d->nr_vcpus;
    i->mem_size = d->mem_size;
    i->pause_count = d->pause_count;
    i->shutdown_reason = d->state == DOMAIN_SHUTDOWN ? d->shutdown_reason : 0;
    memcpy(i->handle, d->handle, sizeof(i->handle));
    memcpy(i->name, d->name, MIN(sizeof(i->name) - 1, strnlen(d->name, sizeof(d->name))));
    i->nr_extents = d->nr_extents;
}

/* The visible domain with the lowest id above `after` (-1: any), or NULL. */
static struct domain *next_domain(int after)
{
    struct domain *best = NULL;

    for (unsigned int i = 0; i < CONFIG_MAX_DOMAINS; i++) {
        struct domain *d = domain_slot(i);

        if (d->state == DOMAIN_FREE || d->state == DOMAIN_RESTORING || (int)d->domid <= after)
            continue;
        if (!best || d->domid < best->domid)
            best = d;
    }
    return best;
}

static uint32_t count_domains(void)
{
    uint32_t n = 0;

    for (struct domain *d = next_domain(-1); d; d = next_domain(d->domid))
        n++;
    return n;
}

static long op_domain_list(struct domain *caller, union control_arg *a, uint64_t arg)
{
    struct control_domain_list *l = &a->list;
    uint32_t total = count_domains(), n = 0;
    struct control_domain_info info;

    /* too little room: nothing written, nr says how much is needed */
    if (total > l->max) {
        l->nr = total;
        return copy_to_guest(caller, arg, l, sizeof(*l)) ? -BATON_EFAULT : -BATON_E2BIG;
    }
    for (struct domain *d = next_domain(-1); d; d = next_domain(d->domid), n++) {
        fill_info(d, &info);
        if (copy_to_guest(caller, l->buf + (uint64_t)n * sizeof(info), &info, sizeof(info)))
            return -BATON_EFAULT;
    }
    l->nr = n;
    return copy_to_guest(caller, arg, l, sizeof(*l)) ? -BATON_EFAULT : 0;
}

static long op_domain_info(struct domain *caller, struct control_domain_op *op,
                           struct domain *d, uint64_t arg)
{
    fill_info(d, &op->info);
    return copy_to_guest(caller, arg, op, sizeof(*op)) ? -BATON_EFAULT : 0;
}

static long op_domain_pause(const struct control_domain_op *op, struct domain *d)
{
    if (op->domid == 0 || d->privileged)
        return -BATON_EINVAL;       /* the caller itself */
    if (d->pause_count >= CONTROL_PAUSE_MAX)
        return -BATON_EBUSY;
    domain_pause(d);
    pr_info("d%u '%s' paused by d0 (pause count %u)\n", d->domid, d->name, d->pause_count);
    return 0;
}

static long op_domain_unpause(struct domain *d)
{
    if (d->pause_count == 0)
        return -BATON_EINVAL;       /* nobody paused it */
    domain_unpause(d);
    pr_info("d%u '%s' unpaused by d0 (pause count %u)\n", d->domid, d->name, d->pause_count);
    return 0;
}

static long op_domain(struct domain *caller, uint32_t cmd, union control_arg *a, uint64_t arg)
{
    struct control_domain_op *op = &a->dom;
    struct domain *d;

    if (!mem_is_zero(op->pad, sizeof(op->pad)))
        return -BATON_EINVAL;
    d = control_domain(op->domid);
    if (!d)
        return -BATON_ENOENT;
    switch (cmd) {
    case CONTROL_domain_info:
        return op_domain_info(caller, op, d, arg);
    case CONTROL_domain_pause:
        return op_domain_pause(op, d);
    case CONTROL_domain_unpause:
        return op_domain_unpause(d);
    default:
        return op->domid == 0 ? -BATON_EINVAL : domain_destroy(d);
    }
}

/* ---------------------------------------------------------------- create */

/* The image, copied out of the caller into pages of the hypervisor's own,
 * mapped contiguously (vmap): never read in place in domain memory. */
struct staging {
    mfn_t *mfns;            /* one page per image page, from the allocator */
    unsigned int mfns_order;
    unsigned int nr;        /* pages allocated */
    uint8_t *va;
};

static void unstage(struct staging *s)
{
    if (s->va)
        vunmap(s->va, s->nr);
    for (unsigned int i = 0; i < s->nr; i++)
        page_free(s->mfns[i], 0);
    if (s->mfns)
        page_free(virt_to_phys(s->mfns) >> PAGE_SHIFT, s->mfns_order);
    memset(s, 0, sizeof(*s));
}

static int stage(struct staging *s, uint64_t size)
{
    unsigned int pages = (unsigned int)(ALIGN_UP(size, PAGE_SIZE) >> PAGE_SHIFT);
    pfn_t pfn;

    memset(s, 0, sizeof(*s));
    while ((PAGE_SIZE << s->mfns_order) < pages * sizeof(mfn_t))
        s->mfns_order++;
    pfn = page_alloc(s->mfns_order);
    if (pfn == INVALID_PFN)
        return -BATON_ENOMEM;
    s->mfns = phys_to_virt(pfn << PAGE_SHIFT);
    for (; s->nr < pages; s->nr++) {
        pfn = page_alloc(0);
        if (pfn == INVALID_PFN)
            goto fail;
        s->mfns[s->nr] = pfn;
    }
    s->va = vmap(s->mfns, s->nr);
    if (!s->va)
        goto fail;
    return 0;

fail:
    unstage(s);
    return -BATON_ENOMEM;
}

/* Copy [gva, gva + size) of the caller into the staging pages, a chunk at a time. */
static int stage_copy(struct domain *caller, struct staging *s, uint64_t gva, uint64_t size)
{
    for (uint64_t off = 0; off < size; off += CONTROL_COPY_CHUNK) {
        size_t n = (size_t)MIN(size - off, (uint64_t)CONTROL_COPY_CHUNK);

        if (copy_from_guest(caller, s->va + off, gva + off, n))
            return -BATON_EFAULT;
    }
    return 0;
}

/* The configuration line, NUL-terminated; one with a NUL inside is refused. */
static int copy_config(struct domain *caller, const struct control_domain_create *c,
                       char line[CONTROL_CONFIG_MAX + 1])
{
    if (c->config_len && copy_from_guest(caller, line, c->config, c->config_len))
        return -BATON_EFAULT;
    line[c->config_len] = '\0';
    return strlen(line) == c->config_len ? 0 : -BATON_EINVAL;
}

/* The lowest domain id nobody holds, or DOMID_INVALID. */
static uint16_t free_domid(void)
{
    for (uint32_t id = 1; id < DOMID_FIRST_RESERVED; id++)
        if (!domain_by_id_any((uint16_t)id))
            return (uint16_t)id;
    return DOMID_INVALID;
}

static bool slot_free(void)
{
    for (unsigned int i = 0; i < CONFIG_MAX_DOMAINS; i++)
        if (domain_slot(i)->state == DOMAIN_FREE)
            return true;
    return false;
}

int control_check_create(const struct control_domain_create *c)
{
    if (c->pad)
        return -BATON_EINVAL;
    if (c->image_size > CONTROL_IMAGE_MAX || c->config_len > CONTROL_CONFIG_MAX)
        return -BATON_E2BIG;
    if (c->image_size == 0)
        return -BATON_EINVAL;
    return 0;
}

static long op_domain_create(struct domain *caller, union control_arg *a, uint64_t arg)
{
    struct control_domain_create *c = &a->create;
    char line[CONTROL_CONFIG_MAX + 1];
    struct domain_build_args b = { .privileged = false, .config = line };
    struct staging s;
    int rc = control_check_create(c);

    if (rc)
        return rc;
    rc = copy_config(caller, c, line);
    if (rc)
        return rc;
    b.domid = free_domid();
    if (b.domid == DOMID_INVALID || !slot_free()) {
        pr_err("control: domain_create: no free domain slot (CONFIG_MAX_DOMAINS %d)\n",
               CONFIG_MAX_DOMAINS);
        return -BATON_ENOSPC;
    }
    rc = stage(&s, c->image_size);
    if (rc)
        return rc;
    rc = stage_copy(caller, &s, c->image, c->image_size);
    if (!rc) {
        b.image = s.va;
        b.size = (size_t)c->image_size;
        rc = domain_build(&b);
    }
    unstage(&s);
    if (rc)
        return rc;
    c->domid = b.domid;
    return copy_to_guest(caller, arg, c, sizeof(*c)) ? -BATON_EFAULT : 0;
}

/* ---------------------------------------------------------------- console */

static long op_console_read(struct domain *caller, union control_arg *a, uint64_t arg)
{
    struct control_console_read *r = &a->cons;
    uint64_t start = log_ring_start(), end = log_ring_end(), pos;
    uint32_t len = 0;

    if (r->offset > end)
        return -BATON_EINVAL;       /* not logged yet */
    r->lost = r->offset < start ? start - r->offset : 0;
    pos = MAX(r->offset, start);
    while (len < r->size && pos < end) {
        const char *at;
        size_t n = log_ring_span(pos, r->size - len, &at);

        BUG_ON(n == 0);
        if (copy_to_guest(caller, r->buf + len, at, n))
            return -BATON_EFAULT;
        len += (uint32_t)n;
        pos += n;
    }
    r->len = len;
    r->next = pos;
    return copy_to_guest(caller, arg, r, sizeof(*r)) ? -BATON_EFAULT : 0;
}

/* ---------------------------------------------------------------- memory map */

/*
 * The sanitized memory map. The running image (KEXEC_RANGE_MA_XEN) and the
 * live update bootmem (KEXEC_RANGE_MA_LIVEUPDATE) were taken from RAM
 * ranges, reserved in the boot allocator only: they stay type RAM here, as
 * kexec-tools wants of segment destinations.
 */
static long op_memory_map(struct domain *caller, union control_arg *a, uint64_t arg)
{
    struct control_memory_map *m = &a->map;

    if (memory_map_entries > m->max) {
        m->nr = memory_map_entries;
        return copy_to_guest(caller, arg, m, sizeof(*m)) ? -BATON_EFAULT : -BATON_E2BIG;
    }
    for (unsigned int i = 0; i < memory_map_entries; i++) {
        const struct control_e820 e = {
            .addr = memory_map[i].start,
            .size = memory_map[i].size,
            .type = memory_map[i].type,
        };

        if (copy_to_guest(caller, m->buf + (uint64_t)i * sizeof(e), &e, sizeof(e)))
            return -BATON_EFAULT;
    }
    m->nr = memory_map_entries;
    return copy_to_guest(caller, arg, m, sizeof(*m)) ? -BATON_EFAULT : 0;
}

/* ---------------------------------------------------------------- version */

/*
 * The running build: its version, GNU build id and the handover stream
 * versions it writes and reads, the same numbers as its image's ELF notes
 * (common/lu/elfnote.c), and the domain context entry types it writes and
 * loads (the masks domctx_types_check() holds to the registered handlers),
 * so a tool can check a target before loading it.
 */
static long op_version(struct domain *caller, union control_arg *a, uint64_t arg)
{
    struct control_version_info *v = &a->version.info;
    const char *text = baton_version(), *id = baton_build_id();

    memset(v, 0, sizeof(*v));
    v->major = BATON_VERSION_MAJOR;
    v->minor = BATON_VERSION_MINOR;
    v->lu_write = LU_STREAM_VERSION;
    v->lu_compat = LU_STREAM_COMPAT;
    v->lu_read_min = LU_STREAM_VERSION_MIN;
    v->lu_read_max = LU_STREAM_VERSION;
    v->flags = VERSION_FLAGS;
    v->domctx_types_write = DOMCTX_TYPES_WRITES;
    v->domctx_types_load = DOMCTX_TYPES_LOADS;
    memcpy(v->version, text, MIN(sizeof(v->version) - 1, strlen(text)));
    memcpy(v->build_id, id, MIN(sizeof(v->build_id) - 1, strlen(id)));
    return copy_to_guest(caller, arg, &a->version, sizeof(a->version)) ? -BATON_EFAULT : 0;
}

/* ---------------------------------------------------------------- dispatch */

static long op_lu_rehearse(void)
{
    long rc = lu_rehearse_now();

    if (!rc)
        pr_info("control: in-place rehearsal armed by d0\n");
    return rc;
}

static const uint32_t arg_size[NR_CONTROL_OPS] = {
    [CONTROL_domain_list] = sizeof(struct control_domain_list),
    [CONTROL_domain_info] = sizeof(struct control_domain_op),
    [CONTROL_domain_pause] = sizeof(struct control_domain_op),
    [CONTROL_domain_unpause] = sizeof(struct control_domain_op),
    [CONTROL_domain_destroy] = sizeof(struct control_domain_op),
    [CONTROL_domain_create] = sizeof(struct control_domain_create),
    [CONTROL_console_read] = sizeof(struct control_console_read),
    [CONTROL_memory_map] = sizeof(struct control_memory_map),
    [CONTROL_lu_rehearse] = sizeof(struct control_op_header),
    [CONTROL_version] = sizeof(struct control_version),
};

long do_control_op(struct domain *d, uint32_t cmd, uint64_t arg)
{
    union control_arg a;

    if (!d->privileged)
        return -BATON_EPERM;
    if (cmd >= NR_CONTROL_OPS || !arg_size[cmd])
        return -BATON_ENOSYS;
    if (copy_from_guest(d, &a, arg, arg_size[cmd]))
        return -BATON_EFAULT;
    if (a.hdr.cmd != cmd || a.hdr.version != CONTROL_OP_VERSION)
        return -BATON_EINVAL;
    switch (cmd) {
    case CONTROL_domain_list:
        return op_domain_list(d, &a, arg);
    case CONTROL_domain_create:
        return op_domain_create(d, &a, arg);
    case CONTROL_console_read:
        return op_console_read(d, &a, arg);
    case CONTROL_memory_map:
        return op_memory_map(d, &a, arg);
    case CONTROL_lu_rehearse:
        return op_lu_rehearse();
    case CONTROL_version:
        return op_version(d, &a, arg);
    default:
        return op_domain(d, cmd, &a, arg);
    }
}
