/*
 * System time from the shared info time record (Xen pvclock). Pure code:
 * also built by the host unit tests, with a fake TSC.
 */
#ifndef GUEST_PVCLOCK_H
#define GUEST_PVCLOCK_H

#include <stdint.h>
#include <public/pv.h>

/* ns for delta TSC ticks: (delta shifted by shift) * mul / 2^32. */
uint64_t pvclock_scale(uint64_t delta, uint32_t mul, int8_t shift);

/*
 * System time now: a consistent snapshot of t (retrying while the
 * hypervisor updates it) combined with read_tsc().
 */
uint64_t pvclock_read(const volatile struct pv_time_info *t, uint64_t (*read_tsc)(void));

#endif
