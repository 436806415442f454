/*
 * Timers: each vCPU's one-shot set_timer deadline (VIRQ_TIMER when it
 * passes) and a short list of hypervisor timers, all checked on the
 * scheduler's tick. Deadlines are absolute system time, which a live update
 * continues (LU_TIME), so a pending timer crosses an update unchanged: its
 * context entry (DOMCTX_TYPE_TIMER) carries the deadline as it is.
 */
#include <baton/domain.h>
#include <baton/domctx.h>
#include <baton/errno.h>
#include <baton/lib.h>
#include <baton/printk.h>
#include <baton/sched.h>
#include <baton/timer.h>
#include <public/hypercall.h>

static struct hv_timer *hv_timers;

long vcpu_set_timer(struct vcpu *v, uint64_t abs_ns)
{
    if (abs_ns >= SET_TIMER_MAX_NS)
        return -BATON_EINVAL;
    /* +1: the guest's pvclock and our clock may round apart by a nanosecond,
     * and a timer must never fire early by the guest's reading */
    v->timer_deadline = abs_ns ? v->domain->time_base_ns + abs_ns + 1 : 0;
    return 0;
}

static void run_guest_timers(uint64_t now)
{
    for (unsigned int i = 0; i < CONFIG_MAX_DOMAINS; i++) {
        struct domain *d = domain_slot(i);

        if (d->state != DOMAIN_ALIVE)
            continue;
        for (unsigned int j = 0; j < d->nr_vcpus; j++) {
            struct vcpu *v = &d->vcpus[j];

            if (v->timer_deadline && v->timer_deadline <= now) {
                v->timer_deadline = 0;
                send_virq(v, VIRQ_TIMER);
                vcpu_wake(v);
            }
        }
    }
}

static void hv_timer_unlink(struct hv_timer *t)
{
    for (struct hv_timer **link = &hv_timers; *link; link = &(*link)->next) {
        if (*link == t) {
            *link = t->next;
            t->next = NULL;
            return;
        }
    }
}

void hv_timer_set(struct hv_timer *t, uint64_t deadline_ns)
{
    hv_timer_unlink(t);
    t->deadline_ns = deadline_ns;
    t->next = hv_timers;
    hv_timers = t;
}

static void run_hv_timers(uint64_t now)
{
    struct hv_timer *t = hv_timers;

    while (t) {
        struct hv_timer *next = t->next;

        if (t->deadline_ns <= now) {
            hv_timer_unlink(t);
            t->deadline_ns = 0;
            t->fn(t);       /* may re-arm itself */
        }
        t = next;
    }
}

void timers_run(uint64_t now)
{
    run_guest_timers(now);
    run_hv_timers(now);
}

/* ---------------------------------------------------------------- context */

static int timer_save(struct domain *d, unsigned int vcpu, struct domctx_save_ctx *c)
{
    const struct domctx_timer t = { .deadline_ns = d->vcpus[vcpu].timer_deadline };

    if (!t.deadline_ns)
        return 0;           /* no timer pending: no entry */
    return domctx_save_entry(c, &t, sizeof(t));
}

static int timer_load(struct domain *d, unsigned int vcpu, const struct domctx_entry *e)
{
    struct domctx_timer t;
    int rc = domctx_entry_read(e, &t, sizeof(t));

    if (rc)
        return rc;
    /* a dead domain's timers were cancelled (domain_stop), an offline vCPU
     * never set one */
    if (d->state != DOMAIN_ALIVE || d->vcpus[vcpu].state == VCPU_OFFLINE) {
        pr_err("d%u vcpu %u TIMER: a timer on a dead domain or an offline vCPU\n", d->domid, vcpu);
        return -BATON_EINVAL;
    }
    /* what vcpu_set_timer can produce: after the time base, bounded */
    if (t.deadline_ns <= d->time_base_ns ||
        t.deadline_ns - d->time_base_ns > SET_TIMER_MAX_NS) {
        pr_err("d%u vcpu %u TIMER: deadline %llu ns, expected after the time base %llu and within %llu ns of it\n",
               d->domid, vcpu, (unsigned long long)t.deadline_ns,
               (unsigned long long)d->time_base_ns, (unsigned long long)SET_TIMER_MAX_NS);
        return -BATON_EINVAL;
    }
    d->vcpus[vcpu].timer_deadline = t.deadline_ns;
    return 0;
}

DOMCTX_HANDLER(timer_ctx, DOMCTX_TYPE_TIMER, "TIMER", DOMCTX_PER_VCPU,
               sizeof(struct domctx_timer), timer_save, timer_load);
