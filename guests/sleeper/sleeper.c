/*
 * sleeper: arms ONE timer and sleeps through whatever happens meanwhile (live
 * update rehearsals, for one): the deadline must cross them unchanged.
 *
 * cmdline: delay=MS (default 1000).
 *
 * Reads system time, sets one timer (set_timer) for now + delay, prints
 * "sleeper: armed deadline=<ns>", then blocks (sched_block) until the timer
 * VIRQ has fired, never setting the timer again. Then prints
 * "sleeper: woke at=<ns> deadline=<ns> late=<ns> wakeups=<n>" (wakeups:
 * how many times sched_block returned) and idles blocked with no timer.
 *
 * Failures, each printing SLEEPER FAIL:
 *   - woke before the deadline (by its own pvclock reading);
 *   - the timer VIRQ fires again afterwards (it was set once).
 */
#include "rt.h"

/* Block until the timer port has fired more than `seen` times. */
static uint64_t block_until_timer(uint32_t port, uint64_t seen, uint64_t *wakeups)
{
    for (;;) {
        events_disable();
        /* masked: a VIRQ arriving from here on leaves upcall_pending set,
         * and sched_block returns at once */
        if (evtchn_count(port) > seen) {
            events_enable();
            return evtchn_count(port);
        }
        if (!rt_shared_info->vcpu_info[0].evtchn_upcall_pending) {
            hc_sched_block();
            (*wakeups)++;
        }
        events_enable();        /* handles what is pending */
    }
}

int guest_main(void)
{
    uint64_t delay_ms = rt_param_u64("delay", 1000);
    uint32_t port = evtchn_timer_port();
    uint64_t wakeups = 0;
    bool was = events_disable();
    uint64_t seen = evtchn_count(port);
    uint64_t now = now_ns();
    uint64_t deadline = now + delay_ms * NS_PER_MS;
    int64_t rc = hc_set_timer(deadline);

    events_restore(was);
    if (rc < 0) {
        printf("SLEEPER FAIL set_timer(%lu) rc=%ld\n", deadline, rc);
        return 1;
    }
    printf("sleeper: dom%u delay=%lums now=%lu\n", rt_domid(), delay_ms, now);
    printf("sleeper: armed deadline=%lu\n", deadline);

    seen = block_until_timer(port, seen, &wakeups);
    uint64_t woke = now_ns();

    printf("sleeper: woke at=%lu deadline=%lu late=%lu wakeups=%lu\n", woke, deadline,
           woke >= deadline ? woke - deadline : 0, wakeups);
    if (woke < deadline)
        printf("SLEEPER FAIL woke early: at=%lu deadline=%lu (%lu ns early)\n", woke,
               deadline, deadline - woke);

    /* Idle with no timer: the VIRQ must not fire again. */
    for (;;) {
        uint64_t n = block_until_timer(port, seen, &wakeups);
        printf("SLEEPER FAIL timer fired again (%lu times in all) at=%lu\n", n, now_ns());
        seen = n;
    }
}
