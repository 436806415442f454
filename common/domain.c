/* The domain table, and the ends of a domain's life: shutdown and crash. */
#include <baton/domain.h>
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

struct domain *domain_by_id(uint16_t domid)
{
    for (unsigned int i = 0; i < CONFIG_MAX_DOMAINS; i++)
        if (domains[i].state == DOMAIN_ALIVE && domains[i].domid == domid)
            return &domains[i];
    return NULL;
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
