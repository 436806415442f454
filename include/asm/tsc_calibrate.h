/*
 * Where the TSC's frequency comes from, as arithmetic only
 * (arch/x86/tsc_calibrate.c): arch/x86/time.c reads CPUID and the PIT and
 * hands the raw values here; this code decides what to believe. Nothing in
 * it touches hardware, so host unit tests feed it garbage
 * (tests/unit/test_tsc_calibrate.c). docs/timekeeping.md has the order.
 */
#ifndef ASM_TSC_CALIBRATE_H
#define ASM_TSC_CALIBRATE_H

#include <baton/types.h>

/* TSC frequencies this build believes: 1 MHz to 100 GHz. */
#define TSC_HZ_MIN 1000000ULL
#define TSC_HZ_MAX 100000000000ULL

#define CPUID_TSC_CRYSTAL  0x15u        /* eax/ebx = TSC/crystal ratio, ecx = crystal Hz */
#define CPUID_BASE_FREQ    0x16u        /* eax = base frequency, MHz */
#define CPUID_HV_BASE      0x40000000u  /* eax = the hypervisor's max leaf */
#define CPUID_HV_LAST      0x4000ffffu  /* a max leaf beyond is garbage, not a hypervisor's */
#define CPUID_HV_TSC_FREQ  0x40000010u  /* eax = TSC kHz (VMware's leaf, also QEMU/KVM's) */

/* The CPUID registers that speak of the TSC's frequency, as read. */
struct tsc_cpuid {
    uint32_t max_basic;     /* leaf 0 eax */
    uint32_t l15_eax;       /* leaf 0x15: TSC/crystal ratio denominator */
    uint32_t l15_ebx;       /*            ... numerator */
    uint32_t l15_ecx;       /*            crystal Hz (0: not enumerated) */
    uint32_t l16_eax;       /* leaf 0x16: base frequency, MHz */
    bool hypervisor;        /* leaf 1 ecx bit 31 */
    uint32_t hv_max;        /* leaf 0x40000000 eax (when hypervisor) */
    uint32_t hv_tsc_khz;    /* leaf 0x40000010 eax (when hv_max reaches it) */
};

/*
 * The hypervisor's own word on this guest's TSC (leaf 0x40000010). 0 with
 * *hz set; -BATON_ENOENT when the leaf is not there, -BATON_EINVAL when its
 * value is not believable; why (len octets) then says what was expected and
 * what was found.
 */
int tsc_hz_from_hv_leaf(const struct tsc_cpuid *c, uint64_t *hz, char *why, size_t len);

/*
 * The TSC from the crystal (leaf 0x15: crystal Hz * ebx / eax), or, when
 * leaf 0x15 gives the ratio but not the crystal, the base frequency of leaf
 * 0x16. 0 with *hz and *source ("cpuid-0x15" or "cpuid-0x16") set; errors
 * as tsc_hz_from_hv_leaf.
 */
int tsc_hz_from_cpuid_leaves(const struct tsc_cpuid *c, uint64_t *hz, const char **source,
                             char *why, size_t len);

/*
 * PIT channel 0 in mode 2 (rate generator, reload 65536), read back with a
 * latch: the counter counts down at PIT_HZ and wraps every 55 ms. A window
 * follows it from a start sample through polls, adding up the ticks modulo
 * 65536 between consecutive readings.
 */
#define PIT_HZ 1193182ULL

struct pit_window {
    uint64_t tsc_start;     /* TSC at the start latch */
    uint64_t tsc_last;      /* TSC at the last reading */
    uint64_t ticks;         /* PIT ticks since the start */
    uint64_t still;         /* readings in a row that saw no tick */
    uint16_t last_count;
};

void pit_window_start(struct pit_window *w, uint64_t tsc, uint16_t count);
void pit_window_poll(struct pit_window *w, uint64_t tsc, uint16_t count);
/*
 * The TSC rate over the window, or 0 with why filled: no tick, no TSC
 * progress, or a rate outside TSC_HZ_MIN..TSC_HZ_MAX. A stall of 55 ms
 * between two readings hides a wrap and overstates the rate several times:
 * the window then disagrees with the others (tsc_hz_agreed).
 */
uint64_t pit_window_hz(const struct pit_window *w, char *why, size_t len);

/* Windows measured per calibration; their median counts when two agree. */
#define TSC_WINDOWS 3
/* Two windows agree when they differ by at most 1/TSC_AGREE_PARTS. */
#define TSC_AGREE_PARTS 500     /* 0.2% */
/*
 * The median of TSC_WINDOWS rates when it agrees with another of them
 * (rates of 0 are failed windows); 0 otherwise.
 */
uint64_t tsc_hz_agreed(const uint64_t hz[TSC_WINDOWS]);
/* The median of TSC_WINDOWS rates (0 when it is a failed window's 0). */
uint64_t tsc_hz_median(const uint64_t hz[TSC_WINDOWS]);

#endif
