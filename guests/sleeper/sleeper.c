/*
 * sleeper: arms ONE timer and sleeps through whatever happens meanwhile (live
 * update rehearsals, for one): the deadline must cross them unchanged.
 * With event=1 it also holds ONE pending-but-masked event channel event
 * while it sleeps, which must still be there, and be delivered, afterwards.
 *
 * cmdline: delay=MS (default 1000), event=0|1 (default 0).
 *
 * With event=1, first: a loopback pair of ports (alloc_unbound to itself,
 * then bind_interdomain to that port), so a send on the bound port raises
 * the unbound one, the receiving port <n>; masks <n> (its bit in
 * evtchn_mask), sends, checks that <n>'s pending bit is set and nothing was
 * delivered, and prints "sleeper: event pending port=<n>". A masked port
 * never sets evtchn_upcall_pending, so it neither wakes sched_block nor
 * counts as a timer wakeup.
 *
 * Reads system time, sets one timer (set_timer) for now + delay, prints
 * "sleeper: armed deadline=<ns>", then blocks (sched_block) until the timer
 * VIRQ has fired, never setting the timer again. Then prints
 * "sleeper: woke at=<ns> deadline=<ns> late=<ns> wakeups=<n>" (wakeups:
 * how many times sched_block returned).
 *
 * With event=1, next: unmasks <n> as the ABI says (clear the mask bit; the
 * guest itself then sets pending_sel and upcall_pending, since the port is
 * pending), waits up to 2 s of guest time for <n>'s handler, and prints
 * "sleeper: event delivered port=<n>". The handler normally runs during the
 * unmask itself; only if it does not does the wait use the timer (cancelled
 * after, and not counted as the timer firing again).
 *
 * Then it idles blocked with no timer.
 *
 * Failures, each printing SLEEPER FAIL:
 *   - woke before the deadline (by its own pvclock reading);
 *   - the timer VIRQ fires again afterwards (it was set once);
 *   - event=1: setting up the pair or sending fails ("SLEEPER FAIL event
 *     setup ..."), the pending bit is not set after the send, or was lost
 *     during the sleep, or the event was handled while masked ("SLEEPER
 *     FAIL event port=<n> ..."), or it is not handled within 2 s of the
 *     unmask ("SLEEPER FAIL event port=<n> not delivered").
 */
#include "rt.h"

#define EVENT_WAIT_NS   (2 * NS_PER_SEC)

static volatile uint64_t event_handled;

static void on_event(uint32_t port, void *data)
{
    (void)port;
    (void)data;
    event_handled++;
}

static bool port_bit(const volatile uint64_t *words, uint32_t port)
{
    return (words[port / 64] >> (port % 64)) & 1;
}

/*
 * A loopback pair; *rx is the receiving port, left masked and pending.
 * Returns false (after printing SLEEPER FAIL) when something did not work.
 */
static bool event_setup(uint32_t *rx)
{
    uint16_t self = rt_domid();
    uint32_t tx;
    int rc;

    rc = evtchn_alloc_unbound(self, rx);
    if (rc < 0) {
        printf("SLEEPER FAIL event setup: alloc_unbound(d%u) rc=%d\n", self, rc);
        return false;
    }
    rc = evtchn_bind_interdomain(self, *rx, &tx);
    if (rc < 0) {
        printf("SLEEPER FAIL event setup: bind_interdomain(d%u, %u) rc=%d\n", self, *rx, rc);
        return false;
    }
    evtchn_set_handler(*rx, on_event, NULL);
    evtchn_mask(*rx);
    rc = evtchn_send(tx);
    if (rc < 0) {
        printf("SLEEPER FAIL event setup: send(%u) rc=%d\n", tx, rc);
        return false;
    }
    if (!port_bit(rt_shared_info->evtchn_pending, *rx)) {
        printf("SLEEPER FAIL event port=%u not pending after send on port %u\n", *rx, tx);
        return false;
    }
    if (event_handled || evtchn_count(*rx)) {
        printf("SLEEPER FAIL event port=%u delivered while masked\n", *rx);
        return false;
    }
    return true;
}

/*
 * Unmask rx and wait (bounded) for its handler; true when it ran.
 * *timer_used: the wait set (and then cancelled) the timer.
 */
static bool event_deliver(uint32_t rx, bool *timer_used)
{
    uint64_t deadline = now_ns() + EVENT_WAIT_NS;

    evtchn_unmask(rx);          /* re-raises the upcall: rx is pending */
    for (;;) {
        uint64_t gen = evtchn_generation();
        if (event_handled)
            break;
        if (now_ns() >= deadline)
            break;
        wait_events(gen, deadline);     /* sets the timer to deadline */
        *timer_used = true;
    }
    if (*timer_used)
        hc_set_timer(0);
    return event_handled != 0;
}

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
    uint64_t event = rt_param_u64("event", 0);
    uint32_t port = evtchn_timer_port();
    uint32_t rx = 0;
    uint64_t wakeups = 0;

    if (event > 1)
        panic("sleeper: event=%lu: want 0 or 1", event);
    if (event) {
        if (!event_setup(&rx))
            return 1;
        printf("sleeper: event pending port=%u\n", rx);
    }

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

    if (event) {
        bool timer_used = false;

        if (event_handled || evtchn_count(rx))
            printf("SLEEPER FAIL event port=%u delivered while masked\n", rx);
        else if (!port_bit(rt_shared_info->evtchn_pending, rx))
            printf("SLEEPER FAIL event port=%u no longer pending after the sleep\n", rx);
        else if (event_deliver(rx, &timer_used))
            printf("sleeper: event delivered port=%u\n", rx);
        else
            printf("SLEEPER FAIL event port=%u not delivered\n", rx);
        /* the bounded wait's own timer does not count as firing again */
        if (timer_used)
            seen = evtchn_count(port);
    }

    /* Idle with no timer: the VIRQ must not fire again. */
    for (;;) {
        uint64_t n = block_until_timer(port, seen, &wakeups);
        printf("SLEEPER FAIL timer fired again (%lu times in all) at=%lu\n", n, now_ns());
        seen = n;
    }
}
