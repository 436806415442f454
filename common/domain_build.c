/*
 * The domain builder: one domain per boot module. A module's command line
 * says what the domain is (name, memory, vCPUs, the guest's own command
 * line); the module's bytes are its ELF64 kernel.
 *
 * Memory comes from the page allocator in the largest blocks it has, so a
 * domain is a handful of extents rather than a list of pages: that is what
 * the live update will describe and preserve.
 */
#include <asm/page.h>
#include <baton/cmdline.h>
#include <baton/domain.h>
#include <baton/domain_build.h>
#include <baton/errno.h>
#include <baton/lib.h>
#include <baton/memory.h>
#include <baton/mm.h>
#include <baton/printk.h>
#include <baton/sched.h>
#include <baton/time.h>
#include <asm/io.h>

int arch_vcpu_create(struct vcpu *v, uint64_t entry, uint64_t rsp, uint64_t rdi);

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

static void free_memory(struct domain *d)
{
    for (unsigned int i = 0; i < d->nr_extents; i++) {
        struct mem_extent *e = &d->extents[i];
        for (uint64_t off = 0; off < e->count;) {
            /* extents were built from whole buddy blocks: give them back as such */
            unsigned int order = pfn_to_page(e->mfn + off)->order;
            page_free(e->mfn + off, order);
            off += 1ULL << order;
        }
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
            free_memory(d);
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

/* Guest page tables: the hypervisor half shared, guest memory 1:1 but page 0. */
static int build_page_tables(struct domain *d)
{
    paddr_t root = alloc_pt_page();
    int rc = 0;

    if (!root)
        return -BATON_ENOMEM;
    memcpy((uint64_t *)phys_to_virt(root) + 256, (uint64_t *)phys_to_virt(idle_pt_root) + 256,
           256 * sizeof(uint64_t));
    for (unsigned int i = 0; i < d->nr_extents && !rc; i++) {
        const struct mem_extent *e = &d->extents[i];
        uint64_t skip = e->gpfn == 0 ? 1 : 0;   /* page 0 stays unmapped */
        rc = map_range(root, (e->gpfn + skip) << PAGE_SHIFT, (e->mfn + skip) << PAGE_SHIFT,
                       (e->count - skip) << PAGE_SHIFT, PTE_P | PTE_RW | PTE_US, true,
                       alloc_pt_page);
    }
    d->pt_root = root;
    return rc;
}

/* ---------------------------------------------------------------- ABI pages */

static void *abi_page(struct domain *d, uint64_t gpa)
{
    return phys_to_virt(guest_gpfn_to_mfn(d, gpa >> PAGE_SHIFT) << PAGE_SHIFT);
}

static void make_handle(struct domain *d)
{
    uint64_t a = rdtsc() ^ 0x9e3779b97f4a7c15ULL * (d->domid + 1), b = a * 0xbf58476d1ce4e5b9ULL;

    memcpy(d->handle, &a, 8);
    memcpy(d->handle + 8, &b, 8);
    d->handle[6] = (d->handle[6] & 0x0f) | 0x40;     /* a version 4 UUID */
    d->handle[8] = (d->handle[8] & 0x3f) | 0x80;
}

static void setup_abi_pages(struct domain *d, const struct domain_config *cfg)
{
    struct start_info *si = abi_page(d, PV_START_INFO_GPA);
    struct pv_time_info *t;
    uint64_t tsc = rdtsc();

    d->start_info = si;
    d->shared_info = abi_page(d, PV_SHARED_INFO_GPA);
    d->console_ring = abi_page(d, PV_CONSOLE_RING_GPA);
    t = &d->shared_info->time;
    /* guest time 0 is this TSC reading */
    d->time_base_ns = time_scale_apply(tsc - tsc_at_boot(), tsc_scale());

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

static int create_vcpus(struct domain *d, uint64_t entry)
{
    for (unsigned int i = 0; i < d->nr_vcpus; i++) {
        d->vcpus[i].id = i;
        d->vcpus[i].domain = d;
        d->vcpus[i].state = VCPU_OFFLINE;
    }
    /* vCPU 0 starts; others wait for an SMP bring-up op (not in this ABI yet) */
    return arch_vcpu_create(&d->vcpus[0], entry, d->mem_size, PV_START_INFO_GPA);
}

static struct domain *claim_slot(uint16_t domid)
{
    for (unsigned int i = 0; i < CONFIG_MAX_DOMAINS; i++) {
        struct domain *d = domain_slot(i);
        if (d->state == DOMAIN_FREE) {
            memset(d, 0, sizeof(*d));
            d->domid = domid;
            return d;
        }
    }
    return NULL;
}

int domain_build(uint16_t domid, const struct boot_module *mod)
{
    struct domain_config cfg;
    const uint8_t *img = phys_to_virt(mod->start);
    size_t size = mod->end - mod->start;
    struct domain *d;
    uint64_t entry;
    int rc;

    rc = domain_config_parse(mod->cmdline, &cfg);
    if (rc)
        return rc;
    rc = elf_check(img, size, cfg.mem, &entry);
    if (rc)
        return rc;
    d = claim_slot(domid);
    if (!d) {
        pr_err("d%u: more than CONFIG_MAX_DOMAINS (%d) domains\n", domid, CONFIG_MAX_DOMAINS);
        return -BATON_ENOSPC;
    }
    memcpy(d->name, cfg.name, sizeof(d->name));
    if (!d->name[0])
        snprintf(d->name, sizeof(d->name), "d%u", domid);
    d->privileged = domid == 0;
    d->mem_size = cfg.mem;
    d->nr_vcpus = cfg.vcpus;
    make_handle(d);

    rc = alloc_memory(d);
    if (rc)
        goto out_slot;
    rc = build_page_tables(d);
    if (rc)
        goto out_memory;
    rc = evtchn_init_domain(d);
    if (rc)
        goto out_memory;
    setup_abi_pages(d, &cfg);
    rc = elf_load(d, img, size);
    if (rc)
        goto out_memory;
    rc = create_vcpus(d, entry);
    if (rc)
        goto out_memory;

    d->state = DOMAIN_ALIVE;
    sched_add_vcpu(&d->vcpus[0]);
    pr_info("d%u '%s': %llu MiB in %u extent(s), %u vCPU(s), entry 0x%llx%s\n", domid, d->name,
            (unsigned long long)(d->mem_size >> 20), d->nr_extents, d->nr_vcpus,
            (unsigned long long)entry, d->privileged ? ", privileged" : "");
    return 0;

out_memory:
    /* page-table pages of a failed build are not reclaimed (a boot-time failure) */
    free_memory(d);
out_slot:
    d->state = DOMAIN_FREE;
    return rc;
}

void build_boot_domains(const struct boot_info *bi)
{
    /* domain ids follow module order, failed ones included, so that a
     * domain's id does not depend on whether an earlier one started */
    for (unsigned int i = 0; i < bi->nr_mods; i++) {
        int rc = domain_build((uint16_t)i, &bi->mods[i]);
        if (rc)
            pr_err("domain: module %u ('%s') not started (%d)\n", i, bi->mods[i].cmdline, rc);
    }
    if (!bi->nr_mods)
        pr_info("domain: no boot modules, no domains\n");
}
