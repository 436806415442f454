/*
 * The TSC's frequency, and system time from it. At a cold boot the frequency
 * comes from the first source that answers believably (docs/timekeeping.md):
 *   1. the hypervisor's leaf 0x40000010 (TSC kHz): under a hypervisor it is
 *      the word on this guest's TSC, which may be scaled from the host's
 *      crystal that leaf 0x15 describes;
 *   2. CPUID 0x15 (crystal and TSC/crystal ratio), or 0x16's base frequency
 *      when 0x15 leaves the crystal out;
 *   3. PIT channel 0, read back by latch against the TSC. Every PC and QEMU
 *      model has it, -M microvm included, where channel 2's gate (port
 *      0x61) does not exist and the old method measured nonsense.
 * What each source says is judged in tsc_calibrate.c; a source passed over
 * is logged with its reason. After a live update the previous build's
 * frequency goes on (LU_TIME): the same TSC, the same clock.
 */
#include <asm/io.h>
#include <asm/tsc_calibrate.h>
#include <baton/arch.h>
#include <baton/errno.h>
#include <baton/lib.h>
#include <baton/printk.h>
#include <baton/time.h>

#define PIT_CH0             0x40
#define PIT_CMD             0x43
#define PIT_CH0_MODE2       0x34    /* channel 0, low then high byte, rate generator, binary */
#define PIT_CH0_LATCH       0x00    /* channel 0: latch the count for the next two reads */
#define PIT_WINDOW_MS       10
#define PIT_WINDOW_TICKS    (PIT_HZ * PIT_WINDOW_MS / 1000)
/* Readings in a row without a tick before deciding there is no PIT: one
 * reading takes a microsecond on hardware, a tick is 0.84 us. */
#define PIT_STILL_MAX       10000
#define PIT_READINGS_MAX    10000000UL
#define PIT_TRIES           5
#define PIT_DOUBT_PARTS     2000    /* a window's end points within 0.05% of it */
#define PIT_STRETCH         8
#define WHY_LEN             192

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

static void read_tsc_cpuid(struct tsc_cpuid *c)
{
    uint32_t a, b, cx, d;

    *c = (struct tsc_cpuid){ 0 };
    cpuid(0, 0, &c->max_basic, &b, &cx, &d);
    cpuid(1, 0, &a, &b, &cx, &d);
    c->hypervisor = cx & (1u << 31);
    if (c->max_basic >= CPUID_TSC_CRYSTAL)
        cpuid(CPUID_TSC_CRYSTAL, 0, &c->l15_eax, &c->l15_ebx, &c->l15_ecx, &d);
    if (c->max_basic >= CPUID_BASE_FREQ)
        cpuid(CPUID_BASE_FREQ, 0, &c->l16_eax, &b, &cx, &d);
    if (!c->hypervisor)
        return;
    cpuid(CPUID_HV_BASE, 0, &c->hv_max, &b, &cx, &d);
    if (c->hv_max >= CPUID_HV_TSC_FREQ && c->hv_max <= CPUID_HV_LAST)
        cpuid(CPUID_HV_TSC_FREQ, 0, &c->hv_tsc_khz, &b, &cx, &d);
}

/* One read-back of channel 0: the count, and the TSC around the latch command. */
struct pit_reading {
    uint64_t tsc;           /* halfway through the latch command */
    uint64_t bracket;       /* TSC ticks the latch command took: how far tsc may be off */
    uint16_t count;
};

static struct pit_reading pit0_read(void)
{
    struct pit_reading r;
    uint64_t before = rdtsc(), after;
    uint8_t lo, hi;

    outb(PIT_CMD, PIT_CH0_LATCH);
    after = rdtsc();
    lo = inb(PIT_CH0);
    hi = inb(PIT_CH0);
    r.tsc = before + (after - before) / 2;
    r.bracket = after - before;
    r.count = lo | (uint16_t)hi << 8;
    return r;
}

/*
 * A window's end points are the tightest of PIT_BEST_OF readings in a row:
 * a vCPU stalled (by the host, under TCG) inside the latch command would
 * otherwise move an end point by the stall. Readings before the chosen one
 * still count the window's ticks; those after it are dropped.
 */
#define PIT_BEST_OF 5

static struct pit_reading pit0_read_tight(struct pit_window *w)
{
    struct pit_reading r[PIT_BEST_OF];
    unsigned int best = 0;

    for (unsigned int i = 0; i < PIT_BEST_OF; i++) {
        r[i] = pit0_read();
        if (r[i].bracket < r[best].bracket)
            best = i;
    }
    for (unsigned int i = 0; w && i <= best; i++)
        pit_window_poll(w, r[i].tsc, r[i].count);
    return r[best];
}

/*
 * Mode 2 from 65536 (written as 0). Nothing listens: interrupts are off
 * here, apic_init masks the PICs next, and Baton's timer is the local
 * APIC's. A count is only valid once the counter has loaded it, so wait
 * for it to move.
 */
static int pit0_start(char *why, size_t len)
{
    uint16_t first, now;
    unsigned int still = 0;

    outb(PIT_CMD, PIT_CH0_MODE2);
    outb(PIT_CH0, 0);
    outb(PIT_CH0, 0);
    first = pit0_read().count;
    do {
        now = pit0_read().count;
    } while (now == first && ++still < PIT_STILL_MAX);
    if (now == first) {
        snprintf(why, len, "the counter stayed at %u over %u readings", now, PIT_STILL_MAX);
        return -BATON_ENOENT;
    }
    return 0;
}

/* Poll until the window holds `ticks`; false (why filled) when the PIT stops counting. */
static bool pit0_poll_until(struct pit_window *w, uint64_t ticks, char *why, size_t len)
{
    unsigned long readings = 0;

    while (w->ticks < ticks && w->still < PIT_STILL_MAX && ++readings < PIT_READINGS_MAX) {
        struct pit_reading r = pit0_read();

        pit_window_poll(w, r.tsc, r.count);
    }
    if (w->ticks >= ticks)
        return true;
    snprintf(why, len, "%llu of %llu ticks after %lu readings (%llu in a row without one)",
             (unsigned long long)w->ticks, (unsigned long long)ticks, readings,
             (unsigned long long)w->still);
    return false;
}

/*
 * One window of at least PIT_WINDOW_MS: the TSC rate, or 0 with why filled.
 * Its end points' time is known to half their brackets; where port accesses
 * are slow (a nested KVM emulates them), the window stretches, up to
 * PIT_STRETCH times, until that doubt is under 1/PIT_DOUBT_PARTS of it.
 */
static uint64_t pit0_window(char *why, size_t len)
{
    struct pit_window w;
    struct pit_reading start = pit0_read_tight(NULL), end;
    uint64_t target = PIT_WINDOW_TICKS;

    pit_window_start(&w, start.tsc, start.count);
    for (;;) {
        if (!pit0_poll_until(&w, target, why, len))
            return 0;
        end = pit0_read_tight(&w);
        if ((start.bracket + end.bracket) / 2 * PIT_DOUBT_PARTS <= w.tsc_last - w.tsc_start ||
            target >= PIT_WINDOW_TICKS * PIT_STRETCH)
            break;
        target += PIT_WINDOW_TICKS;
    }
    return pit_window_hz(&w, why, len);
}

static void log_windows(const uint64_t hz[TSC_WINDOWS], const char *verdict)
{
    pr_info("time: PIT channel 0, %u windows of %u ms or more: %llu, %llu, %llu Hz (%s)\n",
            TSC_WINDOWS, PIT_WINDOW_MS, (unsigned long long)hz[0],
            (unsigned long long)hz[1], (unsigned long long)hz[2], verdict);
}

/* TSC_WINDOWS windows whose median another agrees with, up to PIT_TRIES times. */
static int tsc_hz_from_pit0(uint64_t *hz, char *why, size_t len)
{
    uint64_t rates[TSC_WINDOWS];
    int rc = pit0_start(why, len);

    for (unsigned int try = 0; !rc && try < PIT_TRIES; try++) {
        for (unsigned int i = 0; i < TSC_WINDOWS; i++) {
            rates[i] = pit0_window(why, len);
            if (!rates[i])
                pr_info("time: PIT channel 0 window %u not used: %s\n", i, why);
        }
        *hz = tsc_hz_agreed(rates);
        log_windows(rates, *hz ? "median used" : "no two agree within 0.2%");
        if (*hz)
            return 0;
    }
    if (rc)
        return rc;
    /* a clock a little off beats no machine: the last round's median, said plainly */
    *hz = tsc_hz_median(rates);
    if (*hz) {
        pr_warn("time: PIT channel 0: no two of %u windows agreed within 0.2%% in %u tries: "
                "using the last median, %llu Hz\n", TSC_WINDOWS, PIT_TRIES, (unsigned long long)*hz);
        return 0;
    }
    snprintf(why, len, "no window of the last %u gave a rate", TSC_WINDOWS);
    return -BATON_EIO;
}

static void log_passed_over(const char *source, int rc, const char *why)
{
    if (rc == -BATON_ENOENT)
        pr_info("time: %s not available: %s\n", source, why);
    else
        pr_warn("time: %s not believed: %s\n", source, why);
}

/* The first believable source's frequency; *source names it. */
static uint64_t calibrate_tsc(const char **source)
{
    struct tsc_cpuid c;
    char why[WHY_LEN];
    uint64_t hz = 0;
    int rc;

    read_tsc_cpuid(&c);
    *source = "cpuid-0x40000010";
    rc = tsc_hz_from_hv_leaf(&c, &hz, why, sizeof(why));
    if (!rc)
        return hz;
    log_passed_over("CPUID 0x40000010", rc, why);
    rc = tsc_hz_from_cpuid_leaves(&c, &hz, source, why, sizeof(why));
    if (!rc)
        return hz;
    log_passed_over("CPUID 0x15/0x16", rc, why);
    *source = "pit0";
    rc = tsc_hz_from_pit0(&hz, why, sizeof(why));
    if (!rc)
        return hz;
    panic("time: cannot calibrate the TSC: PIT channel 0: %s; and CPUID gave no frequency", why);
}

void time_init(void)
{
    const char *source;

    tsc_rate = calibrate_tsc(&source);
    tsc_boot = rdtsc();
    time_scale_from_hz(&scale, tsc_rate);
    pr_info("time: TSC %llu.%03llu MHz (source: %s), scale mul 0x%08x shift %d\n",
            (unsigned long long)(tsc_rate / 1000000),
            (unsigned long long)(tsc_rate / 1000 % 1000), source, scale.mul, scale.shift);
}

uint64_t now_ns(void)
{
    return tsc_to_stime(rdtsc());
}

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
