/*
 * Timers (common/timer.c): each vCPU's one-shot set_timer deadline, and a
 * few hypervisor timers, all checked on the scheduler's tick.
 */
#ifndef BATON_TIMER_H
#define BATON_TIMER_H

#include <baton/types.h>

struct vcpu;

/* set_timer: abs_ns is guest time (0 cancels). 0 or -BATON_EINVAL. */
long vcpu_set_timer(struct vcpu *v, uint64_t abs_ns);
/* Fire what is due at system time now: expired guest timers send
 * VIRQ_TIMER and wake their vCPU; due hypervisor timers run. */
void timers_run(uint64_t now);

/* A hypervisor timer: fn runs from the tick, with interrupts off. */
struct hv_timer {
    uint64_t deadline_ns;     /* system time; 0: not armed */
    void (*fn)(struct hv_timer *t);
    struct hv_timer *next;
};
/* Arm (or re-arm) t for system time deadline_ns. */
void hv_timer_set(struct hv_timer *t, uint64_t deadline_ns);

#endif
