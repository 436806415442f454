/*
 * The domain table; the ends of a domain's life (shutdown, crash, destroy);
 * dropping a domain's hypervisor state for a restore; and the domain's own
 * context entry (DOMCTX_TYPE_DOMAIN).
 */
#include <baton/arch.h>
#include <baton/domain.h>
#include <baton/domain_build.h>
#include <baton/domctx.h>
#include <baton/errno.h>
#include <baton/lib.h>
#include <baton/printk.h>
#include <baton/sched.h>
#include <baton/time.h>
#include <public/hypercall.h>

static struct domain domains[CONFIG_MAX_DOMAINS];

struct domain *domain_slot(unsigned int i)
{
    return i < CONFIG_MAX_DOMAINS ? &domains[i] : NULL;
}

unsigned int domain_for_each(void (*fn)(struct domain *d))
{
    unsigned int n = 0;

    for (unsigned int i = 0; i < CONFIG_MAX_DOMAINS; i++)
        if (domain_slot(i)->state != DOMAIN_FREE) {
            fn(domain_slot(i));
            n++;
        }
    return n;
}

struct domain *domain_by_id(uint16_t domid)
{
    for (unsigned int i = 0; i < CONFIG_MAX_DOMAINS; i++)
        if (domains[i].state == DOMAIN_ALIVE && domains[i].domid == domid)
            return &domains[i];
    return NULL;
}

struct domain *domain_by_id_any(uint16_t domid)
{
    for (unsigned int i = 0; i < CONFIG_MAX_DOMAINS; i++)
        if (domains[i].state != DOMAIN_FREE && domains[i].domid == domid)
            return &domains[i];
    return NULL;
}

/* The table fills from slot 0 up; from the top down in a LAYOUT_SHUFFLE build. */
static unsigned int claim_order(unsigned int n)
{
    return LAYOUT_SHUFFLED ? CONFIG_MAX_DOMAINS - 1 - n : n;
}

/*
 * A FREE slot, as the live update's restore claims one per domain: it is
 * not cleared here, because a FREE slot is all zero already. The table is
 * in bss (zero at boot, a live update's too: the new image's bss is
 * cleared before its C code runs), and a slot goes back to FREE only
 * cleared whole: domain_slot_clear() (domain_drop_state, domain_destroy)
 * or domain_build's failure path. Nothing writes to a FREE slot: every
 * walk of the table skips FREE slots (domain_by_id*, domain_for_each,
 * mapped_entry, the timers, the control plane). Clearing the 37 KiB struct
 * again cost 5,300 instructions per domain inside the blackout. The
 * ASSERT looks at the fields a half-cleared slot would most likely keep.
 */
struct domain *domain_claim_slot(uint16_t domid)
{
    for (unsigned int i = 0; i < CONFIG_MAX_DOMAINS; i++) {
        struct domain *d = &domains[claim_order(i)];

        if (d->state == DOMAIN_FREE) {
            ASSERT(!d->domid && !d->nr_vcpus && !d->nr_extents && !d->pt_root &&
                   !d->console_port && !d->vcpus[0].domain);
            d->domid = domid;
            d->state = DOMAIN_RESTORING;
            for (unsigned int v = 0; v < MAX_VIRT_CPUS; v++) {
                d->vcpus[v].id = v;
                d->vcpus[v].domain = d;
                d->vcpus[v].state = VCPU_OFFLINE;
            }
            return d;
        }
    }
    return NULL;
}

static void *abi_page(const struct domain *d, uint64_t gpa)
{
    uint64_t mfn = guest_gpfn_to_mfn(d, gpa >> PAGE_SHIFT);

    return mfn == INVALID_MFN ? NULL : phys_to_virt(mfn << PAGE_SHIFT);
}

bool domain_map_abi_pages(struct domain *d)
{
    d->start_info = abi_page(d, PV_START_INFO_GPA);
    d->shared_info = abi_page(d, PV_SHARED_INFO_GPA);
    d->console_ring = abi_page(d, PV_CONSOLE_RING_GPA);
    return d->start_info && d->shared_info && d->console_ring;
}

/* Back to FREE, cleared whole: what domain_claim_slot relies on. */
static void domain_slot_clear(struct domain *d)
{
    memset(d, 0, sizeof(*d));
}

void domain_drop_state(struct domain *d)
{
    sched_forget_domain(d);
    for (unsigned int i = 0; i < MAX_VIRT_CPUS; i++)
        arch_vcpu_destroy(&d->vcpus[i]);
    arch_domain_pt_free(d);
    domain_slot_clear(d);
}

uint64_t domain_guest_time(const struct domain *d)
{
    return now_ns() - d->time_base_ns;
}

/* Stop every vCPU and let go of what other domains could reach. */
static void domain_stop(struct domain *d)
{
    for (unsigned int i = 0; i < d->nr_vcpus; i++) {
        d->vcpus[i].state = VCPU_OFFLINE;
        d->vcpus[i].timer_deadline = 0;
    }
    evtchn_release(d);
    gnttab_release(d);
    if (current->domain == d)
        need_resched = true;
}

void domain_crash(struct domain *d, const char *why)
{
    if (d->state != DOMAIN_ALIVE)
        return;
    d->state = DOMAIN_CRASHED;
    domain_stop(d);
    /* Its memory is kept, not freed: pages it granted may still be mapped
     * elsewhere, and a crashed domain stays inspectable. */
    pr_err("d%u '%s' crashed: %s\n", d->domid, d->name, why);
}

static const char *const shutdown_names[NR_SHUTDOWN_REASONS] = {
    [SHUTDOWN_poweroff] = "poweroff",
    [SHUTDOWN_reboot] = "reboot",
    [SHUTDOWN_crash] = "crash",
};

void domain_shutdown(struct domain *d, unsigned int reason)
{
    if (d->state != DOMAIN_ALIVE)
        return;
    d->state = DOMAIN_SHUTDOWN;
    d->shutdown_reason = reason;
    domain_stop(d);
    pr_info("d%u '%s' shut down (%s)\n", d->domid, d->name,
            reason < NR_SHUTDOWN_REASONS ? shutdown_names[reason] : "?");
}

int domain_destroy(struct domain *d)
{
    unsigned int mapped;

    if (d->state == DOMAIN_FREE || d->state == DOMAIN_RESTORING)
        return -BATON_ENOENT;
    if (d->privileged || d == current->domain) {
        pr_err("d%u '%s': not destroyed: %s\n", d->domid, d->name,
               d->privileged ? "the privileged domain" : "the caller itself");
        return -BATON_EINVAL;
    }
    /* its pages must not go back to the allocator while another domain
     * maps one: refuse, and change nothing (the grantee may unmap first) */
    mapped = gnttab_mapped_by_others(d);
    if (mapped) {
        pr_err("d%u '%s': not destroyed: %u of its grants still mapped by other domains\n",
               d->domid, d->name, mapped);
        return -BATON_EBUSY;
    }
    if (d->state == DOMAIN_ALIVE)
        domain_stop(d);     /* a dead domain was stopped when it died */
    pr_info("d%u '%s' destroyed: %llu MiB in %u extent(s) freed\n", d->domid, d->name,
            (unsigned long long)(d->mem_size >> 20), d->nr_extents);
    sched_forget_domain(d);
    for (unsigned int i = 0; i < MAX_VIRT_CPUS; i++)
        arch_vcpu_destroy(&d->vcpus[i]);
    arch_domain_pt_free(d);
    domain_free_memory(d);
    domain_slot_clear(d);       /* DOMAIN_FREE: the slot and the id are free again */
    return 0;
}

/* ---------------------------------------------------------------- context */

static const uint32_t state_to_ctx[] = {
    [DOMAIN_ALIVE] = DOMCTX_DOMAIN_ALIVE,
    [DOMAIN_SHUTDOWN] = DOMCTX_DOMAIN_SHUTDOWN,
    [DOMAIN_CRASHED] = DOMCTX_DOMAIN_CRASHED,
};

static const enum domain_state ctx_to_state[] = {
    [DOMCTX_DOMAIN_ALIVE] = DOMAIN_ALIVE,
    [DOMCTX_DOMAIN_SHUTDOWN] = DOMAIN_SHUTDOWN,
    [DOMCTX_DOMAIN_CRASHED] = DOMAIN_CRASHED,
};

/* The saver holds one pause of its own: the entry carries the others. */
static int domain_save(struct domain *d, unsigned int vcpu, struct domctx_save_ctx *c)
{
    struct domctx_domain e = {
        .state = state_to_ctx[d->state],
        .shutdown_reason = d->state == DOMAIN_SHUTDOWN ? d->shutdown_reason : 0,
        .flags = d->privileged ? DOMCTX_DOMAIN_PRIVILEGED : 0,
        .time_base_ns = d->time_base_ns,
        .ioport_first = d->ioport_first,
        .ioport_count = d->ioport_count,
    };

    (void)vcpu;
    BUG_ON(d->pause_count == 0);
    e.pause_count = d->pause_count - 1;
    memcpy(e.name, d->name, MIN(sizeof(e.name), sizeof(d->name)));
    e.name[sizeof(e.name) - 1] = '\0';
    return domctx_save_entry(c, &e, sizeof(e));
}

/* Printable, NUL-terminated, NUL-padded. */
static bool name_ok(const char *name, size_t size)
{
    size_t n = strnlen(name, size);

    if (n == 0 || n == size)
        return false;
    for (size_t i = 0; i < n; i++)
        if (name[i] < 0x20 || name[i] >= 0x7f)
            return false;
    return mem_is_zero(name + n, size - n);
}

#define DOMCTX_PAUSE_MAX 0xffffu

static const char *domain_entry_problem(const struct domain *d, const struct domctx_domain *e)
{
    bool privileged = e->flags & DOMCTX_DOMAIN_PRIVILEGED;

    if (!name_ok(e->name, sizeof(e->name)))
        return "name not printable, NUL-terminated and NUL-padded";
    if (e->state < DOMCTX_DOMAIN_ALIVE || e->state > DOMCTX_DOMAIN_CRASHED)
        return "state not ALIVE, SHUTDOWN or CRASHED";
    if (e->state == DOMCTX_DOMAIN_SHUTDOWN ? e->shutdown_reason >= NR_SHUTDOWN_REASONS
                                           : e->shutdown_reason != 0)
        return "shutdown reason unknown, or given for a domain not shut down";
    if (e->pause_count > DOMCTX_PAUSE_MAX)
        return "pause count above 65535";
    if (e->flags & ~DOMCTX_DOMAIN_FLAGS_KNOWN)
        return "unknown flags";
    if (privileged != d->privileged)
        return "privilege differs from the domain's LU_DOMAIN_INFO";
    if (e->ioport_count && (!privileged || e->ioport_first + e->ioport_count > 0x10000))
        return "I/O ports for an unprivileged domain, or past port 0xffff";
    if (e->pad)
        return "nonzero padding";
    return NULL;
}

static int domain_load(struct domain *d, unsigned int vcpu, const struct domctx_entry *ent)
{
    struct domctx_domain e;
    const char *problem;
    int rc;

    (void)vcpu;
    rc = domctx_entry_read(ent, &e, sizeof(e));
    if (rc)
        return rc;
    problem = domain_entry_problem(d, &e);
    if (problem) {
        pr_err("d%u DOMAIN: %s (state %u reason %u pauses %u flags 0x%x ports 0x%x+%u)\n",
               d->domid, problem, e.state, e.shutdown_reason, e.pause_count, e.flags,
               e.ioport_first, e.ioport_count);
        return -BATON_EINVAL;
    }
    memset(d->name, 0, sizeof(d->name));
    memcpy(d->name, e.name, MIN(sizeof(e.name), sizeof(d->name) - 1));
    d->state = ctx_to_state[e.state];
    d->shutdown_reason = e.shutdown_reason;
    /* and the restorer's own pause, released when the restore commits */
    d->pause_count = e.pause_count + 1;
    d->time_base_ns = e.time_base_ns;
    d->ioport_first = e.ioport_first;
    d->ioport_count = e.ioport_count;
    return 0;
}

DOMCTX_HANDLER(domain_ctx, DOMCTX_TYPE_DOMAIN, "DOMAIN", 0,
               sizeof(struct domctx_domain), domain_save, domain_load);
