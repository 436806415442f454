/*
 * heartbeat: prints "heartbeat <n> t=<ms>ms" every period ms (cmdline
 * period=, default 1000; count=N stops after N beats, 0 = forever).
 *
 * Invariants it checks, each printing HEARTBEAT FAIL:
 *   - system time never goes backwards (across live updates too);
 *   - a sleep never ends before its deadline.
 */
#include "rt.h"

int guest_main(void)
{
    uint64_t period_ms = rt_param_u64("period", 1000);
    uint64_t count = rt_param_u64("count", 0);
    uint64_t period = (period_ms ? period_ms : 1) * NS_PER_MS;
    uint64_t last = now_ns();
    uint64_t deadline = last + period;

    printf("heartbeat: dom%u period=%lums\n", rt_domid(), period_ms);
    for (uint64_t n = 0; count == 0 || n < count; n++) {
        sleep_until(deadline);
        uint64_t t = now_ns();
        if (t < last)
            printf("HEARTBEAT FAIL time went backwards: %lu -> %lu ns\n", last, t);
        if (t < deadline)
            printf("HEARTBEAT FAIL woke early: t=%lu deadline=%lu ns\n", t, deadline);
        printf("heartbeat %lu t=%lums\n", n, t / NS_PER_MS);
        last = t;
        deadline += period;
        if (deadline <= t)          /* fell behind (paused): no burst of beats */
            deadline = t + period;
    }
    return 0;
}
