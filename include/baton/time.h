/*
 * System time: nanoseconds since boot, from the TSC. The TSC-to-ns scale is
 * the (mul, shift) pair guests also get in their shared info page:
 *   ns = ((delta shifted left by shift, or right by -shift) * mul) >> 32
 */
#ifndef BATON_TIME_H
#define BATON_TIME_H

#include <baton/types.h>

struct time_scale {
    uint32_t mul;
    int8_t shift;
};

/* The scale that turns ticks of a hz clock into nanoseconds. */
void time_scale_from_hz(struct time_scale *ts, uint64_t hz);
uint64_t time_scale_apply(uint64_t delta, const struct time_scale *ts);

void time_init(void);
uint64_t tsc_hz(void);
const struct time_scale *tsc_scale(void);
/* System time at a TSC reading. */
uint64_t tsc_to_stime(uint64_t tsc);
/* A live update boot: no calibration, the previous build's clock goes on
 * (LU_TIME). 0, or -BATON_EINVAL when the values are not believable. */
int time_init_continue(uint64_t hz, uint64_t tsc, uint64_t stime_ns);
/* System time in ns. */
uint64_t now_ns(void);
/* Busy-wait (interrupts may be off). */
void udelay(uint64_t us);

/* Local APIC and its timer. */
/* The local APIC timer at TIMER_HZ, calibrated against the TSC for
 * calibration_us (a busy wait: it counts in a live update's downtime). */
void apic_init(unsigned int calibration_us);
uint64_t apic_timer_ticks(void);
#define TIMER_HZ 1000

#endif
