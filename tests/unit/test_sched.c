/*
 * Unit tests for common/sched.c: round-robin order, idle, block and wake,
 * pause and unpause, dead domains, guest timers and the time slice, against
 * the fakes in core_fakes.c (context switches are recorded, the tick is
 * called by hand).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <baton/errno.h>
#include <baton/domain.h>
#include <baton/sched.h>
#include "core_fakes.h"
#include "harness.h"

static int setup(void **state)
{
    (void)state;
    /* Drain what an earlier test left queued: nothing can run, so one
     * schedule() pops every entry and lands on idle. */
    for (unsigned int i = 0; i < CONFIG_MAX_DOMAINS; i++) {
        struct domain *d = domain_slot(i);
        d->state = DOMAIN_FREE;
        for (unsigned int v = 0; v < MAX_VIRT_CPUS; v++)
            d->vcpus[v].state = VCPU_OFFLINE;
    }
    core_fake.nr_switches = 0;
    schedule();
    assert_true(is_idle_vcpu(current));
    core_fake_reset();
    harness_log_clear();
    sched_init();
    need_resched = false;
    return 0;
}

/* schedule() and what runs afterwards. */
static struct vcpu *next(void)
{
    schedule();
    return current;
}

/* A domain with n vCPUs, every one handed to the scheduler. */
static struct domain *queued_domain(uint16_t domid, unsigned int n)
{
    struct domain *d = core_fake_domain(domid, n);

    for (unsigned int i = 0; i < n; i++)
        sched_add_vcpu(&d->vcpus[i]);
    return d;
}

static void tick_n(unsigned int n)
{
    for (unsigned int i = 0; i < n; i++)
        core_fake_tick();
}

/* ------------------------------------------------------------ round robin */

static void test_init_registers_tick(void **state)
{
    (void)state;
    assert_int_equal(core_fake.tick_hooks, 1);
    assert_true(is_idle_vcpu(current));
    assert_true(is_idle_vcpu(&idle_vcpu));
    assert_int_equal(idle_vcpu.state, VCPU_RUNNABLE);
}

static void test_rr_order(void **state)
{
    struct vcpu *a = &queued_domain(0, 1)->vcpus[0];
    struct vcpu *b = &queued_domain(1, 1)->vcpus[0];
    struct vcpu *c = &queued_domain(2, 1)->vcpus[0];
    struct vcpu *want[] = { a, b, c, a, b, c, a };

    (void)state;
    assert_false(is_idle_vcpu(a));
    for (unsigned int i = 0; i < ARRAY_SIZE(want); i++)
        assert_ptr_equal(next(), want[i]);
    /* every schedule() switched, from the one before */
    assert_int_equal(core_fake.nr_switches, ARRAY_SIZE(want));
    assert_ptr_equal(core_fake.switches[0].prev, &idle_vcpu);
    assert_ptr_equal(core_fake.switches[0].next, a);
    for (unsigned int i = 1; i < ARRAY_SIZE(want); i++) {
        assert_ptr_equal(core_fake.switches[i].prev, want[i - 1]);
        assert_ptr_equal(core_fake.switches[i].next, want[i]);
    }
}

static void test_rr_vcpus_of_one_domain(void **state)
{
    struct domain *d = queued_domain(0, 3);
    struct vcpu *e = &queued_domain(1, 1)->vcpus[0];
    struct vcpu *want[] = { &d->vcpus[0], &d->vcpus[1], &d->vcpus[2], e, &d->vcpus[0] };

    (void)state;
    for (unsigned int i = 0; i < ARRAY_SIZE(want); i++)
        assert_ptr_equal(next(), want[i]);
}

static void test_idle_when_nothing_runs(void **state)
{
    (void)state;
    need_resched = true;
    assert_true(is_idle_vcpu(next()));
    assert_false(need_resched);                 /* schedule() consumed it */
    assert_int_equal(core_fake.nr_switches, 0); /* idle to idle: no switch */
    /* offline vCPUs (never added) are not run */
    core_fake_domain(0, 2)->vcpus[1].state = VCPU_OFFLINE;
    assert_true(is_idle_vcpu(next()));
    assert_int_equal(core_fake.nr_switches, 0);
}

static void work_a(void) {}
static void work_b(void) {}
static void work_c(void) {}
static void work_d(void) {}
static void work_e(void) {}

/* Idle work is queued in order, once per function, at most four, and the
 * idle vCPU is picked over a runnable guest while any is queued. */
static void test_idle_work_queue(void **state)
{
    struct vcpu *a = &queued_domain(0, 1)->vcpus[0];

    (void)state;
    sched_init();
    assert_ptr_equal(next(), a);
    assert_int_equal(sched_run_on_idle(work_a), 0);
    assert_true(need_resched);
    assert_int_equal(sched_run_on_idle(work_a), 0);         /* already due: once */
    assert_int_equal(sched_run_on_idle(work_b), 0);
    assert_int_equal(sched_run_on_idle(work_c), 0);
    assert_int_equal(sched_run_on_idle(work_d), 0);
    assert_int_equal(sched_run_on_idle(work_e), -BATON_EBUSY);
    /* a never-blocking guest does not starve the idle vCPU's work */
    assert_true(is_idle_vcpu(next()));
    assert_true(is_idle_vcpu(next()));
    sched_init();                                           /* forgets the work */
    assert_int_equal(sched_run_on_idle(work_e), 0);
    sched_init();
}

static void test_lone_vcpu_keeps_running(void **state)
{
    struct vcpu *a = &queued_domain(0, 1)->vcpus[0];

    (void)state;
    assert_ptr_equal(next(), a);
    assert_ptr_equal(next(), a);
    assert_ptr_equal(next(), a);
    assert_int_equal(core_fake.nr_switches, 1); /* only idle -> a */
}

static void test_add_twice_queues_once(void **state)
{
    struct domain *d0 = core_fake_domain(0, 1), *d1 = core_fake_domain(1, 1);
    struct vcpu *a = &d0->vcpus[0], *b = &d1->vcpus[0];

    (void)state;
    a->state = VCPU_OFFLINE;
    sched_add_vcpu(a);
    assert_int_equal(a->state, VCPU_RUNNABLE);
    sched_add_vcpu(b);
    sched_add_vcpu(a);                  /* already queued: stays where it is */
    assert_ptr_equal(next(), a);
    assert_ptr_equal(next(), b);
    assert_ptr_equal(next(), a);
    assert_ptr_equal(next(), b);
}

static void test_yield(void **state)
{
    struct vcpu *a = &queued_domain(0, 1)->vcpus[0];
    struct vcpu *b = &queued_domain(1, 1)->vcpus[0];

    (void)state;
    assert_ptr_equal(next(), a);
    need_resched = false;
    sched_yield();
    assert_true(need_resched);
    assert_ptr_equal(next(), b);
    assert_false(need_resched);
    assert_ptr_equal(next(), a);
}

/* ------------------------------------------------------------ block, wake */

static void test_block_without_pending(void **state)
{
    struct domain *d = queued_domain(0, 1);
    struct vcpu *a = &d->vcpus[0];
    struct vcpu *b = &queued_domain(1, 1)->vcpus[0];

    (void)state;
    assert_ptr_equal(next(), a);
    vcpu_block(a);
    assert_int_equal(a->state, VCPU_BLOCKED);
    assert_true(need_resched);
    assert_ptr_equal(next(), b);
    /* a blocked vCPU is never picked, however often we schedule */
    assert_ptr_equal(next(), b);
    assert_ptr_equal(next(), b);
    b->state = VCPU_BLOCKED;
    assert_true(is_idle_vcpu(next()));
    assert_ptr_equal(core_fake.switches[core_fake.nr_switches - 1].prev, b);
    assert_ptr_equal(core_fake.switches[core_fake.nr_switches - 1].next, &idle_vcpu);
}

static void test_block_with_pending(void **state)
{
    struct domain *d = queued_domain(0, 2);
    struct vcpu *v1 = &d->vcpus[1];

    (void)state;
    assert_ptr_equal(next(), &d->vcpus[0]);
    assert_ptr_equal(next(), v1);
    /* pending for v1 itself: the block ends at once */
    d->shared_info->vcpu_info[1].evtchn_upcall_pending = 1;
    vcpu_block(v1);
    assert_int_equal(v1->state, VCPU_RUNNABLE);
    assert_false(need_resched);
    /* pending for another vCPU does not count: v1 reads its own vcpu_info */
    d->shared_info->vcpu_info[1].evtchn_upcall_pending = 0;
    d->shared_info->vcpu_info[0].evtchn_upcall_pending = 1;
    vcpu_block(v1);
    assert_int_equal(v1->state, VCPU_BLOCKED);
    assert_true(need_resched);
}

static void test_wake_from_idle(void **state)
{
    struct vcpu *a = &queued_domain(0, 1)->vcpus[0];

    (void)state;
    assert_ptr_equal(next(), a);
    vcpu_block(a);
    assert_true(is_idle_vcpu(next()));
    assert_false(need_resched);
    vcpu_wake(a);
    assert_int_equal(a->state, VCPU_RUNNABLE);
    assert_true(need_resched);          /* idle must give way */
    assert_ptr_equal(next(), a);
}

static void test_wake_while_other_runs(void **state)
{
    struct vcpu *a = &queued_domain(0, 1)->vcpus[0];
    struct vcpu *b = &queued_domain(1, 1)->vcpus[0];
    struct vcpu *c = &queued_domain(2, 1)->vcpus[0];

    (void)state;
    assert_ptr_equal(next(), a);
    vcpu_block(a);
    assert_ptr_equal(next(), b);        /* queue: c */
    vcpu_wake(a);                       /* queue: c a */
    assert_int_equal(a->state, VCPU_RUNNABLE);
    assert_false(need_resched);         /* b keeps its slice */
    assert_ptr_equal(next(), c);
    assert_ptr_equal(next(), a);
    assert_ptr_equal(next(), b);
}

static void test_wake_only_blocked(void **state)
{
    struct domain *d = queued_domain(0, 1);
    struct vcpu *a = &d->vcpus[0];
    struct vcpu *b = &queued_domain(1, 1)->vcpus[0];
    struct domain *off = core_fake_domain(2, 1);

    (void)state;
    off->vcpus[0].state = VCPU_OFFLINE;
    assert_true(is_idle_vcpu(current));
    vcpu_wake(&off->vcpus[0]);          /* offline: not a wake-up */
    assert_int_equal(off->vcpus[0].state, VCPU_OFFLINE);
    assert_false(need_resched);
    vcpu_wake(a);                       /* runnable and queued: not queued twice */
    assert_false(need_resched);
    assert_ptr_equal(next(), a);
    assert_ptr_equal(next(), b);
    assert_ptr_equal(next(), a);
    assert_ptr_equal(next(), b);
}

/* --------------------------------------------------------------- pausing */

static void test_pause_other_domain(void **state)
{
    struct vcpu *a = &queued_domain(0, 1)->vcpus[0];
    struct domain *d1 = queued_domain(1, 2);
    struct vcpu *c = &queued_domain(2, 1)->vcpus[0];

    (void)state;
    assert_ptr_equal(next(), a);        /* queue: b0 b1 c */
    domain_pause(d1);
    assert_int_equal(d1->pause_count, 1);
    assert_false(need_resched);         /* a is not d1's */
    for (unsigned int i = 0; i < 4; i++) {
        assert_ptr_equal(next(), c);
        assert_ptr_equal(next(), a);
    }
    for (unsigned int i = 0; i < core_fake.nr_switches; i++)
        assert_ptr_not_equal(core_fake.switches[i].next->domain, d1);
    domain_unpause(d1);                 /* queue: c b0 b1 */
    assert_int_equal(d1->pause_count, 0);
    assert_false(need_resched);         /* a runs on */
    assert_ptr_equal(next(), c);
    assert_ptr_equal(next(), &d1->vcpus[0]);
    assert_ptr_equal(next(), &d1->vcpus[1]);
    assert_ptr_equal(next(), a);
}

static void test_pause_current_domain(void **state)
{
    struct domain *d0 = queued_domain(0, 1);
    struct vcpu *a = &d0->vcpus[0];
    struct vcpu *b = &queued_domain(1, 1)->vcpus[0];

    (void)state;
    assert_ptr_equal(next(), a);
    domain_pause(d0);
    assert_true(need_resched);          /* the running vCPU must stop */
    assert_ptr_equal(next(), b);
    assert_ptr_equal(next(), b);
    domain_pause(b->domain);
    assert_true(is_idle_vcpu(next()));  /* everything paused */
    domain_unpause(d0);
    assert_true(need_resched);          /* idle gives way */
    assert_ptr_equal(next(), a);
    assert_ptr_equal(next(), a);        /* b's domain is still paused */
}

static void test_pause_nested(void **state)
{
    struct domain *d0 = queued_domain(0, 1);
    struct vcpu *a = &d0->vcpus[0];
    struct vcpu *b = &queued_domain(1, 1)->vcpus[0];

    (void)state;
    assert_ptr_equal(next(), a);
    domain_pause(d0);
    domain_pause(d0);
    assert_int_equal(d0->pause_count, 2);
    assert_ptr_equal(next(), b);
    domain_unpause(d0);
    assert_int_equal(d0->pause_count, 1);
    assert_ptr_equal(next(), b);        /* still paused once */
    assert_ptr_equal(next(), b);
    domain_unpause(d0);
    assert_int_equal(d0->pause_count, 0);
    assert_ptr_equal(next(), a);
    assert_ptr_equal(next(), b);
    /* from idle: a partial unpause has nothing to run, the last one does */
    domain_pause(d0);
    domain_pause(d0);
    domain_pause(b->domain);
    assert_true(is_idle_vcpu(next()));
    domain_unpause(d0);
    assert_false(need_resched);
    assert_true(is_idle_vcpu(next()));
    domain_unpause(d0);
    assert_true(need_resched);
    assert_ptr_equal(next(), a);
}

static void test_unpause_skips_blocked(void **state)
{
    struct domain *d0 = queued_domain(0, 2);
    struct vcpu *b = &queued_domain(1, 1)->vcpus[0];

    (void)state;
    assert_ptr_equal(next(), &d0->vcpus[0]);
    domain_pause(d0);
    d0->vcpus[1].state = VCPU_BLOCKED;
    assert_ptr_equal(next(), b);
    domain_unpause(d0);
    assert_ptr_equal(next(), &d0->vcpus[0]);
    assert_ptr_equal(next(), b);        /* vcpus[1] is blocked: not requeued */
    assert_ptr_equal(next(), &d0->vcpus[0]);
}

static void test_dead_domains_never_run(void **state)
{
    struct vcpu *a = &queued_domain(0, 1)->vcpus[0];
    struct domain *crashed = queued_domain(1, 2);
    struct domain *shut = queued_domain(2, 1);

    (void)state;
    crashed->state = DOMAIN_CRASHED;
    shut->state = DOMAIN_SHUTDOWN;
    for (unsigned int i = 0; i < 5; i++)
        assert_ptr_equal(next(), a);
    assert_int_equal(core_fake.nr_switches, 1);
    /* the running vCPU's domain dies: it is switched away from, for good */
    a->domain->state = DOMAIN_CRASHED;
    assert_true(is_idle_vcpu(next()));
    assert_true(is_idle_vcpu(next()));
    assert_int_equal(core_fake.nr_switches, 2);
    /* a wake-up does not bring a dead domain's vCPU back */
    a->state = VCPU_BLOCKED;
    vcpu_wake(a);
    assert_true(is_idle_vcpu(next()));
}

/* ------------------------------------------------------------------ tick */

static void test_tick_fires_timers(void **state)
{
    struct domain *d0 = queued_domain(0, 2);
    struct domain *d1 = queued_domain(1, 1);
    struct domain *dead = queued_domain(2, 1);
    uint64_t now = core_fake.now;

    (void)state;
    d0->vcpus[0].timer_deadline = now - 1;     /* expired */
    d0->vcpus[1].timer_deadline = now + 1000;  /* not yet */
    d1->vcpus[0].timer_deadline = now;         /* exactly now: expired */
    d0->vcpus[3].timer_deadline = now - 1;     /* beyond nr_vcpus: not a vCPU */
    dead->vcpus[0].timer_deadline = now - 1;
    dead->state = DOMAIN_CRASHED;
    core_fake_tick();
    assert_int_equal(core_fake.nr_virqs, 2);
    assert_ptr_equal(core_fake.virqs[0].v, &d0->vcpus[0]);
    assert_int_equal(core_fake.virqs[0].virq, VIRQ_TIMER);
    assert_ptr_equal(core_fake.virqs[1].v, &d1->vcpus[0]);
    assert_int_equal(core_fake.virqs[1].virq, VIRQ_TIMER);
    assert_int_equal(d0->vcpus[0].timer_deadline, 0);
    assert_int_equal(d1->vcpus[0].timer_deadline, 0);
    assert_int_equal(d0->vcpus[1].timer_deadline, now + 1000);
    assert_int_equal(dead->vcpus[0].timer_deadline, now - 1);

    /* a fired timer does not fire again */
    core_fake_tick();
    assert_int_equal(core_fake.nr_virqs, 2);
    core_fake.now = now + 999;
    core_fake_tick();
    assert_int_equal(core_fake.nr_virqs, 2);
    core_fake.now = now + 1000;
    core_fake_tick();
    assert_int_equal(core_fake.nr_virqs, 3);
    assert_ptr_equal(core_fake.virqs[2].v, &d0->vcpus[1]);
    assert_int_equal(core_fake.virqs[2].virq, VIRQ_TIMER);
    assert_int_equal(d0->vcpus[1].timer_deadline, 0);
}

static void test_tick_timer_wakes_blocked(void **state)
{
    struct domain *d0 = queued_domain(0, 1);
    struct vcpu *a = &d0->vcpus[0];

    (void)state;
    assert_ptr_equal(next(), a);
    a->timer_deadline = core_fake.now + 500;
    vcpu_block(a);
    assert_true(is_idle_vcpu(next()));
    core_fake_tick();
    assert_int_equal(a->state, VCPU_BLOCKED);
    assert_false(need_resched);
    core_fake.now += 500;
    core_fake_tick();
    assert_int_equal(core_fake.nr_virqs, 1);
    assert_int_equal(a->state, VCPU_RUNNABLE);
    assert_true(need_resched);
    assert_ptr_equal(next(), a);
}

static void test_slice_expiry(void **state)
{
    struct vcpu *a = &queued_domain(0, 1)->vcpus[0];
    struct vcpu *b = &queued_domain(1, 1)->vcpus[0];

    (void)state;
    assert_ptr_equal(next(), a);
    tick_n(SLICE_TICKS - 1);
    assert_false(need_resched);
    core_fake_tick();
    assert_true(need_resched);
    assert_ptr_equal(next(), b);
    /* schedule() starts a full slice */
    tick_n(SLICE_TICKS - 1);
    assert_false(need_resched);
    core_fake_tick();
    assert_true(need_resched);
    assert_ptr_equal(next(), a);
}

static void test_slice_reset_by_schedule(void **state)
{
    struct vcpu *a = &queued_domain(0, 1)->vcpus[0];
    struct vcpu *b = &queued_domain(1, 1)->vcpus[0];

    (void)state;
    assert_ptr_equal(next(), a);
    tick_n(SLICE_TICKS / 2);
    sched_yield();
    assert_ptr_equal(next(), b);
    tick_n(SLICE_TICKS - 1);            /* not SLICE_TICKS / 2 - 1: b has its own slice */
    assert_false(need_resched);
    core_fake_tick();
    assert_true(need_resched);
}

static void test_slice_alone_no_resched(void **state)
{
    struct vcpu *a = &queued_domain(0, 1)->vcpus[0];

    (void)state;
    assert_ptr_equal(next(), a);
    tick_n(3 * SLICE_TICKS);
    assert_false(need_resched);         /* nobody else wants the CPU */
}

/*
 * A vCPU that ran alone past its slice, then another one becomes runnable:
 * the slice is over, so a tick must hand the CPU over (within a slice at
 * worst); otherwise a guest that never blocks keeps the CPU for ever.
 */
static void test_slice_expired_then_other_queued(void **state)
{
    struct vcpu *a = &queued_domain(0, 1)->vcpus[0];
    struct domain *d1 = core_fake_domain(1, 1);
    struct vcpu *b = &d1->vcpus[0];

    (void)state;
    assert_ptr_equal(next(), a);
    tick_n(SLICE_TICKS);
    assert_false(need_resched);
    sched_add_vcpu(b);
    assert_false(need_resched);
    tick_n(SLICE_TICKS);
    assert_true(need_resched);
    assert_ptr_equal(next(), b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_init_registers_tick, setup),
        cmocka_unit_test_setup(test_rr_order, setup),
        cmocka_unit_test_setup(test_rr_vcpus_of_one_domain, setup),
        cmocka_unit_test_setup(test_idle_when_nothing_runs, setup),
        cmocka_unit_test_setup(test_lone_vcpu_keeps_running, setup),
        cmocka_unit_test_setup(test_add_twice_queues_once, setup),
        cmocka_unit_test_setup(test_yield, setup),
        cmocka_unit_test_setup(test_block_without_pending, setup),
        cmocka_unit_test_setup(test_block_with_pending, setup),
        cmocka_unit_test_setup(test_wake_from_idle, setup),
        cmocka_unit_test_setup(test_wake_while_other_runs, setup),
        cmocka_unit_test_setup(test_wake_only_blocked, setup),
        cmocka_unit_test_setup(test_pause_other_domain, setup),
        cmocka_unit_test_setup(test_pause_current_domain, setup),
        cmocka_unit_test_setup(test_pause_nested, setup),
        cmocka_unit_test_setup(test_unpause_skips_blocked, setup),
        cmocka_unit_test_setup(test_dead_domains_never_run, setup),
        cmocka_unit_test_setup(test_tick_fires_timers, setup),
        cmocka_unit_test_setup(test_tick_timer_wakes_blocked, setup),
        cmocka_unit_test_setup(test_slice_expiry, setup),
        cmocka_unit_test_setup(test_slice_reset_by_schedule, setup),
        cmocka_unit_test_setup(test_slice_alone_no_resched, setup),
        cmocka_unit_test_setup(test_slice_expired_then_other_queued, setup),
        cmocka_unit_test_setup(test_idle_work_queue, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
