/*
 * The domain builder: one domain per boot module. A module's command line
 * says what the domain is (name, memory, vCPUs, the guest's own command
 * line); the module's bytes are its ELF64 kernel.
 *
 * Memory comes from the page allocator in the largest blocks it has, so a
 * domain is a handful of extents rather than a list of pages: that is what
 * the live update will describe and preserve.
 */
#include <baton/arch.h>
#include <baton/cmdline.h>
#include <baton/domain.h>
#include <baton/domain_build.h>
#include <baton/errno.h>
#include <baton/lib.h>
#include <baton/memory.h>
#include <baton/page_alloc.h>
#include <baton/printk.h>
#include <baton/sched.h>
#include <baton/time.h>

static void copy_token_value(char *dst, size_t size, const struct cmdline_token *t)
{
    size_t n = MIN(t->val_len, size - 1);

    memcpy(dst, t->val, n);
    dst[n] = '\0';
}

static int config_option(struct domain_config *cfg, const struct cmdline_token *t)
{
    uint64_t v;

    if (!t->val) {
        pr_err("domain: option '%.*s' needs a value\n", (int)t->key_len, t->key);
        return -BATON_EINVAL;
    }
    if (cmdline_key_is(t, "name")) {
        copy_token_value(cfg->name, sizeof(cfg->name), t);
    } else if (cmdline_key_is(t, "mem")) {
        if (parse_size(t->val, t->val_len, &v) || v < PV_MIN_MEM_SIZE || v > DOMAIN_MEM_MAX ||
            !IS_ALIGNED(v, PAGE_SIZE)) {
            pr_err("domain: mem=%.*s: want a multiple of 4K from 2M to 4G\n", (int)t->val_len, t->val);
            return -BATON_EINVAL;
        }
        cfg->mem = v;
    } else if (cmdline_key_is(t, "vcpus")) {
        if (parse_u64(t->val, t->val_len, &v) || v < 1 || v > MAX_VIRT_CPUS) {
            pr_err("domain: vcpus=%.*s: want 1..%u\n", (int)t->val_len, t->val, MAX_VIRT_CPUS);
            return -BATON_EINVAL;
        }
        cfg->vcpus = (unsigned int)v;
    } else if (cmdline_key_is(t, "paused")) {
        if (parse_u64(t->val, t->val_len, &v) || v > 1) {
            pr_err("domain: paused=%.*s: want 0 or 1\n", (int)t->val_len, t->val);
            return -BATON_EINVAL;
        }
        cfg->paused = v;
    } else if (cmdline_key_is(t, "cmdline")) {
        copy_token_value(cfg->cmdline, sizeof(cfg->cmdline), t);
    } else {
        pr_warn("domain: unknown option '%.*s' ignored\n", (int)t->key_len, t->key);
    }
    return 0;
}

int domain_config_parse(const char *line, struct domain_config *cfg)
{
    const char *cursor = line;
    struct cmdline_token t;
    bool first = true;
    int rc;

    *cfg = (struct domain_config){ .mem = DOMAIN_MEM_DEFAULT, .vcpus = 1 };
    while ((rc = cmdline_next(&cursor, &t)) != 0) {
        bool is_path = first && !t.val && memchr(t.key, '/', t.key_len);
        first = false;
        if (rc < 0) {
            pr_err("domain: unterminated quote in '%s'\n", line);
            return rc;
        }
        if (is_path)
            continue;           /* GRUB and QEMU may put the module's path first */
        rc = config_option(cfg, &t);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---------------------------------------------------------------- memory */

/*
 * By extent, in the largest aligned blocks: the frame descriptors are not
 * asked how the memory was allocated, since after a live update they are
 * the new build's, cleared, and say nothing of it.
 */
void domain_free_memory(struct domain *d)
{
    for (unsigned int i = 0; i < d->nr_extents; i++) {
        struct mem_extent *e = &d->extents[i];

        page_free_range(e->mfn, e->mfn + e->count);
    }
    d->nr_extents = 0;
}

static void add_block(struct domain *d, uint64_t gpfn, pfn_t mfn, uint64_t count)
{
    struct mem_extent *last = d->nr_extents ? &d->extents[d->nr_extents - 1] : NULL;

    if (last && last->mfn + last->count == mfn && last->gpfn + last->count == gpfn) {
        last->count += count;
        return;
    }
    d->extents[d->nr_extents++] = (struct mem_extent){ gpfn, mfn, count };
}

static int alloc_memory(struct domain *d)
{
    uint64_t pages = d->mem_size >> PAGE_SHIFT, gpfn = 0;

    while (gpfn < pages) {
        int order = MIN(63 - __builtin_clzll(pages - gpfn), page_largest_free_order());
        pfn_t mfn;

        if (order < 0 || d->nr_extents == DOMAIN_EXTENTS_MAX) {
            pr_err("d%u: out of memory or too fragmented (%llu of %llu pages, %u extents)\n",
                   d->domid, (unsigned long long)gpfn, (unsigned long long)pages, d->nr_extents);
            domain_free_memory(d);
            return -BATON_ENOMEM;
        }
        mfn = page_alloc((unsigned int)order);
        BUG_ON(mfn == INVALID_PFN);
        pfn_to_page(mfn)->owner = d->domid;
        memset(phys_to_virt(mfn << PAGE_SHIFT), 0, PAGE_SIZE << order);
        add_block(d, gpfn, mfn, 1ULL << order);
        gpfn += 1ULL << order;
    }
    return 0;
}

/* ---------------------------------------------------------------- ABI pages */

static void make_handle(struct domain *d)
{
    uint64_t a = arch_cycles() ^ 0x9e3779b97f4a7c15ULL * (d->domid + 1), b = a * 0xbf58476d1ce4e5b9ULL;

    memcpy(d->handle, &a, 8);
    memcpy(d->handle + 8, &b, 8);
    d->handle[6] = (d->handle[6] & 0x0f) | 0x40;     /* a version 4 UUID */
    d->handle[8] = (d->handle[8] & 0x3f) | 0x80;
}

static void setup_abi_pages(struct domain *d, const struct domain_config *cfg)
{
    struct start_info *si = d->start_info;
    struct pv_time_info *t = &d->shared_info->time;
    uint64_t tsc = arch_cycles();

    /* guest time 0 is this TSC reading */
    d->time_base_ns = tsc_to_stime(tsc);

    si->magic = START_INFO_MAGIC;
    si->abi_version = PV_ABI_VERSION;
    si->domid = d->domid;
    si->flags = d->privileged ? SIF_PRIVILEGED : 0;
    si->mem_size = d->mem_size;
    si->shared_info = PV_SHARED_INFO_GPA;
    si->console_ring = PV_CONSOLE_RING_GPA;
    si->console_port = d->console_port;
    si->nr_vcpus = d->nr_vcpus;
    memcpy(si->handle, d->handle, sizeof(si->handle));
    memcpy(si->name, d->name, sizeof(si->name));
    memcpy(si->cmdline, cfg->cmdline, sizeof(si->cmdline));

    /* odd while the fields change (the guest retries), as pvclock wants */
    t->version = 1;
    __atomic_thread_fence(__ATOMIC_RELEASE);
    t->tsc_timestamp = tsc;
    t->system_time = 0;
    t->tsc_to_system_mul = tsc_scale()->mul;
    t->tsc_shift = tsc_scale()->shift;
    __atomic_thread_fence(__ATOMIC_RELEASE);
    t->version = 2;
}

/* ---------------------------------------------------------------- the builder */

/* vCPU 0 starts; others wait for an SMP bring-up op (not in this ABI yet). */
static int start_vcpu0(struct domain *d, uint64_t entry)
{
    arch_vcpu_init_regs(&d->vcpus[0], entry, d->mem_size, PV_START_INFO_GPA);
    return arch_vcpu_start(&d->vcpus[0]);
}

/* Fill in what the configuration and the builder decide about d. */
static void domain_identity(struct domain *d, const struct domain_config *cfg, bool privileged)
{
    memcpy(d->name, cfg->name, sizeof(d->name));
    if (!d->name[0])
        snprintf(d->name, sizeof(d->name), "d%u", d->domid);
    d->privileged = privileged;
    if (privileged) {
        d->ioport_first = DOM0_IOPORT_FIRST;
        d->ioport_count = DOM0_IOPORT_COUNT;
    }
    d->mem_size = cfg->mem;
    d->nr_vcpus = cfg->vcpus;
    make_handle(d);
}

int domain_build(const struct domain_build_args *a)
{
    struct domain_config cfg;
    struct domain *d;
    uint64_t entry;
    int rc;

    rc = domain_config_parse(a->config, &cfg);
    if (rc)
        return rc;
    rc = elf_check(a->image, a->size, cfg.mem, &entry);
    if (rc)
        return rc;
    if (domain_by_id_any(a->domid)) {
        pr_err("d%u: the domain id is in use\n", a->domid);
        return -BATON_EEXIST;
    }
    d = domain_claim_slot(a->domid);
    if (!d) {
        pr_err("d%u: more than CONFIG_MAX_DOMAINS (%d) domains\n", a->domid, CONFIG_MAX_DOMAINS);
        return -BATON_ENOSPC;
    }
    domain_identity(d, &cfg, a->privileged);

    rc = alloc_memory(d);
    if (rc)
        goto out_slot;
    rc = arch_domain_pt_build(d);
    if (rc)
        goto out_memory;
    rc = evtchn_init_domain(d);
    if (rc)
        goto out_pt;
    BUG_ON(!domain_map_abi_pages(d));   /* the extents cover [0, mem_size) */
    setup_abi_pages(d, &cfg);
    rc = elf_load(d, a->image, a->size);
    if (rc)
        goto out_pt;
    rc = start_vcpu0(d, entry);
    if (rc)
        goto out_pt;

    d->state = DOMAIN_ALIVE;
    /* a domain started paused waits for an unpause, as from a toolstack */
    d->pause_count = cfg.paused ? 1 : 0;
    sched_add_vcpu(&d->vcpus[0]);
    pr_info("d%u '%s': %llu MiB in %u extent(s), %u vCPU(s), entry 0x%llx%s%s\n", d->domid,
            d->name, (unsigned long long)(d->mem_size >> 20), d->nr_extents, d->nr_vcpus,
            (unsigned long long)entry, d->privileged ? ", privileged" : "",
            cfg.paused ? ", paused" : "");
    return 0;

out_pt:
    arch_domain_pt_free(d);
out_memory:
    domain_free_memory(d);
out_slot:
    memset(d, 0, sizeof(*d));           /* DOMAIN_FREE, and nothing left behind */
    return rc;
}

void build_boot_domains(const struct boot_info *bi)
{
    /* domain ids follow module order, failed ones included, so that a
     * domain's id does not depend on whether an earlier one started */
    for (unsigned int i = 0; i < bi->nr_mods; i++) {
        const struct boot_module *mod = &bi->mods[i];
        const struct domain_build_args a = {
            .domid = (uint16_t)i,
            .privileged = i == 0,
            .image = phys_to_virt(mod->start),
            .size = mod->end - mod->start,
            .config = mod->cmdline,
        };
        int rc = domain_build(&a);
        if (rc)
            pr_err("domain: module %u ('%s') not started (%d)\n", i, bi->mods[i].cmdline, rc);
    }
    if (!bi->nr_mods)
        pr_info("domain: no boot modules, no domains\n");
}
