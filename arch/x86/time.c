/*
 * TSC calibration against the PIT, and system time. Channel 2 of the PIT
 * counts down a fixed interval with its gate under our control, so the
 * measurement needs no interrupts.
 */
#include <asm/io.h>
#include <baton/arch.h>
#include <baton/errno.h>
#include <baton/printk.h>
#include <baton/time.h>

#define PIT_HZ            1193182
#define PIT_CH2           0x42
#define PIT_CMD           0x43
#define PIT_GATE          0x61
#define CALIBRATE_MS      20

static uint64_t tsc_rate;
static uint64_t tsc_boot;            /* the TSC at system time stime_base */
static uint64_t stime_base;          /* 0 at cold boot; continued by a live update */
static struct time_scale scale;

uint64_t tsc_hz(void)
{
    return tsc_rate;
}

const struct time_scale *tsc_scale(void)
{
    return &scale;
}

uint64_t tsc_to_stime(uint64_t tsc)
{
    return stime_base + time_scale_apply(tsc - tsc_boot, &scale);
}

static uint64_t measure_tsc_hz(void)
{
    uint32_t count = PIT_HZ * CALIBRATE_MS / 1000;
    uint64_t start, end;
    unsigned long spins = 0;

    /* gate high, speaker off; channel 2, lobyte/hibyte, mode 0 */
    outb(PIT_GATE, (inb(PIT_GATE) & ~0x02) | 0x01);
    outb(PIT_CMD, 0xb0);
    outb(PIT_CH2, count & 0xff);
    outb(PIT_CH2, count >> 8);
    start = rdtsc();
    /* OUT2 (bit 5) goes high when the count reaches zero */
    while (!(inb(PIT_GATE) & 0x20) && ++spins < 100000000UL)
        ;
    end = rdtsc();
    if (spins >= 100000000UL)
        return 0;
    return (end - start) * 1000 / CALIBRATE_MS;
}

void time_init(void)
{
    tsc_rate = measure_tsc_hz();
    if (!tsc_rate)
        panic("time: PIT channel 2 never counted down: cannot calibrate the TSC");
    tsc_boot = rdtsc();
    time_scale_from_hz(&scale, tsc_rate);
    pr_info("time: TSC %llu.%03llu MHz (scale mul 0x%08x shift %d)\n",
            (unsigned long long)(tsc_rate / 1000000),
            (unsigned long long)(tsc_rate / 1000 % 1000), scale.mul, scale.shift);
}

uint64_t now_ns(void)
{
    return tsc_to_stime(rdtsc());
}

/* TSC frequencies this build believes: 1 MHz to 100 GHz. */
#define TSC_HZ_MIN 1000000ULL
#define TSC_HZ_MAX 100000000000ULL

int time_init_continue(uint64_t hz, uint64_t tsc, uint64_t stime_ns)
{
    uint64_t now = rdtsc();

    if (hz < TSC_HZ_MIN || hz > TSC_HZ_MAX || now < tsc) {
        pr_err("time: LU_TIME says TSC %llu Hz, %llu at the save, and it reads %llu now: expected 1 MHz to 100 GHz and a TSC that went on counting\n",
               (unsigned long long)hz, (unsigned long long)tsc, (unsigned long long)now);
        return -BATON_EINVAL;
    }
    /* no recalibration: the same TSC, the same scale, the same clock */
    tsc_rate = hz;
    tsc_boot = tsc;
    stime_base = stime_ns;
    time_scale_from_hz(&scale, tsc_rate);
    pr_info("time: continued from the previous build: TSC %llu.%03llu MHz, system time %llu ms\n",
            (unsigned long long)(tsc_rate / 1000000), (unsigned long long)(tsc_rate / 1000 % 1000),
            (unsigned long long)(now_ns() / 1000000));
    return 0;
}

void udelay(uint64_t us)
{
    uint64_t end = rdtsc() + tsc_rate / 1000000 * us;

    while (rdtsc() < end)
        cpu_relax();
}

uint64_t arch_cycles(void)
{
    return rdtsc();
}
