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

/* arch: switch hypervisor stacks and address spaces from prev to next. */
void arch_context_switch(struct vcpu *prev, struct vcpu *next);

#endif
