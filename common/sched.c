/*
 * Round-robin scheduler for one CPU. Runnable vCPUs wait in a FIFO; the
 * running one goes to its tail when its slice ends or it yields. The
 * hypervisor itself is not preemptible: it runs with interrupts off, so a
 * switch only happens in schedule(), called on the way back to a guest or
 * from the idle loop.
 */
#include <baton/arch.h>
#include <baton/domain.h>
#include <baton/errno.h>
#include <baton/lib.h>
#include <baton/printk.h>
#include <baton/sched.h>
#include <baton/time.h>

struct vcpu idle_vcpu;
struct vcpu *current = &idle_vcpu;
bool need_resched;

static struct vcpu *runq_head, *runq_tail;
static unsigned int slice_left = SLICE_TICKS;
/* Work for the idle vCPU, first in first out: a rehearsal, a live update's
 * exec and a step of the deferred frame table may be due at once. */
#define IDLE_WORK_MAX 4
static void (*idle_work[IDLE_WORK_MAX])(void);
static unsigned int idle_work_count;

bool is_idle_vcpu(const struct vcpu *v)
{
    return v == &idle_vcpu;
}

static void runq_push(struct vcpu *v)
{
    if (v->on_runq || is_idle_vcpu(v))
        return;
    v->on_runq = true;
    v->runq_next = NULL;
    if (runq_tail)
        runq_tail->runq_next = v;
    else
        runq_head = v;
    runq_tail = v;
}

static struct vcpu *runq_pop(void)
{
    struct vcpu *v = runq_head;

    if (!v)
        return NULL;
    runq_head = v->runq_next;
    if (!runq_head)
        runq_tail = NULL;
    v->on_runq = false;
    return v;
}

static void runq_remove(struct vcpu *v)
{
    struct vcpu **link = &runq_head, *prev = NULL;

    if (!v->on_runq)
        return;
    while (*link && *link != v) {
        prev = *link;
        link = &(*link)->runq_next;
    }
    BUG_ON(!*link);
    *link = v->runq_next;
    if (runq_tail == v)
        runq_tail = prev;
    v->on_runq = false;
    v->runq_next = NULL;
}

void sched_forget_domain(struct domain *d)
{
    for (unsigned int i = 0; i < MAX_VIRT_CPUS; i++)
        runq_remove(&d->vcpus[i]);
}

static bool can_run(const struct vcpu *v)
{
    return v->state == VCPU_RUNNABLE && v->domain->state == DOMAIN_ALIVE &&
           v->domain->pause_count == 0;
}

/* Next vCPU to run: the idle vCPU while it has work (a guest that never
 * blocks must not starve it), else the first runnable one queued. */
static struct vcpu *pick_next(void)
{
    struct vcpu *v;

    if (idle_work_count)
        return &idle_vcpu;
    while ((v = runq_pop()) != NULL)
        if (can_run(v))
            return v;
    return &idle_vcpu;
}

void schedule(void)
{
    struct vcpu *prev = current, *next;

    need_resched = false;
    if (!is_idle_vcpu(prev) && can_run(prev))
        runq_push(prev);
    next = pick_next();
    slice_left = SLICE_TICKS;
    if (next == prev)
        return;
    current = next;
    arch_context_switch(prev, next);
}

void sched_yield(void)
{
    need_resched = true;
}

void sched_add_vcpu(struct vcpu *v)
{
    v->state = VCPU_RUNNABLE;
    runq_push(v);
}

void vcpu_wake(struct vcpu *v)
{
    if (v->state != VCPU_BLOCKED)
        return;
    v->state = VCPU_RUNNABLE;
    runq_push(v);
    if (is_idle_vcpu(current))
        need_resched = true;
}

void vcpu_block(struct vcpu *v)
{
    const struct vcpu_info *vi = &v->domain->shared_info->vcpu_info[v->id];

    /* an event that is already pending ends the block at once */
    if (__atomic_load_n(&vi->evtchn_upcall_pending, __ATOMIC_SEQ_CST))
        return;
    v->state = VCPU_BLOCKED;
    need_resched = true;
}

void domain_pause(struct domain *d)
{
    d->pause_count++;
    if (current->domain == d)
        need_resched = true;
}

void domain_unpause(struct domain *d)
{
    BUG_ON(d->pause_count == 0);
    if (--d->pause_count)
        return;
    for (unsigned int i = 0; i < d->nr_vcpus; i++)
        if (d->vcpus[i].state == VCPU_RUNNABLE && &d->vcpus[i] != current)
            runq_push(&d->vcpus[i]);
    if (is_idle_vcpu(current))
        need_resched = true;
}

/* Every tick: what is due fires; the slice runs down. */
static void sched_tick(void)
{
    timers_run(now_ns());
    if (slice_left)
        slice_left--;
    /* an exhausted slice ends as soon as someone else wants the CPU */
    if (slice_left == 0 && runq_head)
        need_resched = true;
}

void sched_init(void)
{
    idle_work_count = 0;
    idle_vcpu.state = VCPU_RUNNABLE;
    current = &idle_vcpu;
    arch_set_tick_hook(sched_tick);
}

int sched_run_on_idle(void (*fn)(void))
{
    unsigned long flags = arch_irq_save();
    int rc = 0;

    for (unsigned int i = 0; i < idle_work_count; i++)
        if (idle_work[i] == fn)
            goto out;                   /* already due */
    if (idle_work_count == IDLE_WORK_MAX) {
        rc = -BATON_EBUSY;
        goto out;
    }
    idle_work[idle_work_count++] = fn;
    need_resched = true;
out:
    arch_irq_restore(flags);
    return rc;
}

/* The oldest idle work, taken off the queue; NULL when none (irqs off). */
static void (*next_idle_work(void))(void)
{
    void (*fn)(void) = idle_work_count ? idle_work[0] : NULL;

    if (fn) {
        idle_work_count--;
        memmove(&idle_work[0], &idle_work[1], idle_work_count * sizeof(idle_work[0]));
    }
    return fn;
}

void idle_loop(void)
{
    for (;;) {
        arch_irq_disable();
        void (*fn)(void) = next_idle_work();

        if (fn) {
            fn();
            continue;
        }
        if (need_resched || runq_head) {
            schedule();
            continue;
        }
        arch_idle_wait();
    }
}
