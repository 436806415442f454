/* Time: system time from the shared info page, sleeping with set_timer. */
#include "rt.h"
#include "pvclock.h"

uint64_t rdtsc_ordered(void)
{
    uint32_t lo, hi;

    /* lfence: rdtsc must not run ahead of the time record loads */
    __asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
    return ((uint64_t)hi << 32) | lo;
}

uint64_t now_ns(void)
{
    return pvclock_read(&rt_shared_info->time, rdtsc_ordered);
}

uint64_t now_ms(void)
{
    return now_ns() / NS_PER_MS;
}

void sleep_until(uint64_t deadline_ns)
{
    for (;;) {
        uint64_t gen = evtchn_generation();
        if (now_ns() >= deadline_ns)
            return;
        wait_events(gen, deadline_ns);
    }
}

void sleep_ms(uint64_t ms)
{
    sleep_until(now_ns() + ms * NS_PER_MS);
}
