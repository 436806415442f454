/*
 * Local APIC: the legacy PICs are masked, the APIC is enabled and its timer
 * runs periodically at TIMER_HZ, calibrated against the TSC.
 */
#include <asm/io.h>
#include <asm/page.h>
#include <asm/regs.h>
#include <baton/arch.h>
#include <baton/memory.h>
#include <baton/printk.h>
#include <baton/time.h>
#include <baton/traps.h>

#define MSR_APIC_BASE     0x1b
#define APIC_BASE_ENABLE  (1ULL << 11)
#define APIC_ID           0x020
#define APIC_EOI          0x0b0
#define APIC_SVR          0x0f0
#define APIC_LVT_TIMER    0x320
#define APIC_TIMER_INIT   0x380
#define APIC_TIMER_CUR    0x390
#define APIC_TIMER_DIV    0x3e0
#define LVT_MASKED        (1u << 16)
#define LVT_PERIODIC      (1u << 17)

static volatile uint32_t *apic;
static volatile uint64_t ticks;
static void (*tick_hook)(void);

static uint32_t apic_read(unsigned int reg)
{
    return apic[reg / 4];
}

static void apic_write(unsigned int reg, uint32_t v)
{
    apic[reg / 4] = v;
}

uint64_t apic_timer_ticks(void)
{
    return ticks;
}

void arch_set_tick_hook(void (*hook)(void))
{
    tick_hook = hook;
}

static void timer_interrupt(struct cpu_user_regs *regs)
{
    ticks++;
    apic_write(APIC_EOI, 0);
    (void)regs;
    if (tick_hook)
        tick_hook();
}

static void mask_legacy_pics(void)
{
    /* Remap them away from the exception vectors first, then mask every line. */
    outb(0x20, 0x11); outb(0xa0, 0x11);
    outb(0x21, 0x20); outb(0xa1, 0x28);
    outb(0x21, 0x04); outb(0xa1, 0x02);
    outb(0x21, 0x01); outb(0xa1, 0x01);
    outb(0x21, 0xff); outb(0xa1, 0xff);
}

/*
 * The APIC timer (divide by 16) measured against the TSC. Each end of the
 * window is an MMIO access bracketed by two TSC reads: its time is known to
 * half the bracket, the sample's doubt. Under TCG a vCPU can stall for
 * milliseconds inside one access (the host, the big QEMU lock), which once
 * made the timer's rate twice too slow; a sample is used when its doubt is
 * under 1/APIC_CAL_DOUBT_PARTS of its span. The end is read again (the count
 * goes on) until that holds; a bad start is retried. All of it within
 * APIC_CAL_STRETCH windows, since after a live update the wait is every
 * domain's blackout: then the least doubtful sample serves, with a warning.
 * (The tick only polls deadlines kept in system time: a rate a few percent
 * off makes timers no less punctual than a tick.)
 */
#define APIC_CAL_DOUBT_PARTS 64         /* the tick's rate within 1.6% */
#define APIC_CAL_STRETCH     8

struct apic_sample {
    uint64_t counts;        /* timer counts between the two ends */
    uint64_t span;          /* TSC ticks between the ends' midpoints */
    uint64_t doubt;         /* half of both brackets together */
};

static bool apic_sample_good(const struct apic_sample *s)
{
    return s->span && s->doubt * APIC_CAL_DOUBT_PARTS <= s->span;
}

/* One sample of at least window TSC ticks, its end re-read until good or the TSC reaches give_up. */
static void apic_window(struct apic_sample *s, uint64_t window, uint64_t give_up)
{
    uint64_t t0 = rdtsc(), t1, t2, t3, start;
    uint32_t left;

    apic_write(APIC_TIMER_INIT, 0xffffffff);
    t1 = rdtsc();
    start = t0 + (t1 - t0) / 2;
    /* a start doubtful beyond what the budget's span can absorb: no stretching, a new try */
    if ((t1 - t0) / 2 * APIC_CAL_DOUBT_PARTS > give_up - MIN(give_up, start))
        give_up = 0;
    while (rdtsc() - t1 < window)
        cpu_relax();
    do {
        t2 = rdtsc();
        left = apic_read(APIC_TIMER_CUR);
        t3 = rdtsc();
        s->counts = 0xffffffffu - left;
        s->span = t2 + (t3 - t2) / 2 - start;
        s->doubt = (t1 - t0 + t3 - t2) / 2;
    } while (!apic_sample_good(s) && t3 < give_up);
    apic_write(APIC_TIMER_INIT, 0);
}

/* a less doubtful than b, relative to their spans (128-bit products: no overflow) */
static bool apic_sample_better(const struct apic_sample *a, const struct apic_sample *b)
{
    return !b->span || (unsigned __int128)a->doubt * b->span < (unsigned __int128)b->doubt * a->span;
}

static uint64_t measure_apic_hz(unsigned int window_us)
{
    uint64_t window = tsc_hz() * window_us / 1000000;
    uint64_t give_up = rdtsc() + window * APIC_CAL_STRETCH;
    struct apic_sample s, best = { 0 };
    unsigned int tries = 0;

    apic_write(APIC_TIMER_DIV, 0x3);
    apic_write(APIC_LVT_TIMER, LVT_MASKED | VECTOR_APIC_TIMER);
    /* another try only while a whole window still fits the budget */
    do {
        apic_window(&s, window, give_up);
        tries++;
        if (apic_sample_better(&s, &best))
            best = s;
    } while (!apic_sample_good(&best) && rdtsc() + window < give_up);
    if (!best.span)
        return 0;
    if (!apic_sample_good(&best))
        pr_warn("apic: timer calibration doubtful: ends known to %llu of %llu TSC ticks after %u tries in %u us, expected 1/%u\n",
                (unsigned long long)best.doubt, (unsigned long long)best.span, tries,
                window_us * APIC_CAL_STRETCH, APIC_CAL_DOUBT_PARTS);
    /* counts < 2^32 times kHz < 2^27: no overflow; the kHz rounding is 1 ppm */
    return best.counts * (tsc_hz() / 1000) / best.span * 1000;
}

void apic_init(unsigned int calibration_us)
{
    uint64_t base = rdmsr(MSR_APIC_BASE);
    paddr_t pa = base & PTE_ADDR;
    uint64_t hz;

    mask_legacy_pics();
    wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE);
    if (map_range(idle_pt_root, (uint64_t)(uintptr_t)phys_to_virt(pa), pa, PAGE_SIZE,
                  PAGE_HV_MMIO, false, alloc_pt_page))
        panic("apic: cannot map the local APIC at 0x%llx", (unsigned long long)pa);
    apic = phys_to_virt(pa);
    apic_write(APIC_SVR, 0x100 | VECTOR_SPURIOUS);
    hz = measure_apic_hz(calibration_us);
    if (hz < TIMER_HZ)
        panic("apic: timer does not count (%llu Hz)", (unsigned long long)hz);
    traps_set_irq_handler(VECTOR_APIC_TIMER, timer_interrupt);
    apic_write(APIC_LVT_TIMER, LVT_PERIODIC | VECTOR_APIC_TIMER);
    apic_write(APIC_TIMER_INIT, (uint32_t)(hz / TIMER_HZ));
    pr_info("apic: local APIC id %u at 0x%llx, timer %llu kHz, tick %u Hz\n",
            apic_read(APIC_ID) >> 24, (unsigned long long)pa,
            (unsigned long long)(hz / 1000), TIMER_HZ);
}
