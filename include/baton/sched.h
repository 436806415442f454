/* The scheduler: round robin over runnable vCPUs on one CPU. */
#ifndef BATON_SCHED_H
#define BATON_SCHED_H

#include <baton/domain.h>

#define SLICE_TICKS 10            /* 10 ms at TIMER_HZ 1000 */

extern struct vcpu *current;
extern struct vcpu idle_vcpu;
extern bool need_resched;

void sched_init(void);
/* Make v runnable for the first time (the domain builder). */
void sched_add_vcpu(struct vcpu *v);
/* Switch to the next runnable vCPU (or idle); returns when the caller runs again. */
void schedule(void);
void sched_yield(void);
/* The idle loop: never returns. */
__noreturn void idle_loop(void);
bool is_idle_vcpu(const struct vcpu *v);

void vcpu_wake(struct vcpu *v);
void vcpu_block(struct vcpu *v);
/*
 * Pause counts nest. On one CPU the hypervisor code calling this is the only
 * thing running, so when it returns no vCPU of d is on the CPU; the caller's
 * own vCPU, if d is its domain, stops at its next exit to the guest.
 */
void domain_pause(struct domain *d);
void domain_unpause(struct domain *d);
/* Take d's vCPUs off the run queue (d is being torn down or dropped). */
void sched_forget_domain(struct domain *d);

/*
 * Work that must run on the idle vCPU, where no guest stack is in use (the
 * live update rehearsal throws vCPU stacks away) and no hypercall is half
 * done. The idle loop runs fn once, with interrupts off, at the next
 * schedule: the idle vCPU is picked first while it has work. Queued in
 * order, at most four; fn already queued is not queued twice. 0, or
 * -BATON_EBUSY when the queue is full.
 */
int sched_run_on_idle(void (*fn)(void));

#endif
