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
 * APIC timer counts (divide by 16) in one second, measured against the TSC
 * over window_us. The count runs at tens of MHz, so even 1 ms gives a few
 * parts in 10^5.
 */
static uint64_t measure_apic_hz(unsigned int window_us)
{
    uint64_t window = tsc_hz() * window_us / 1000000, start;
    uint32_t left;

    apic_write(APIC_TIMER_DIV, 0x3);
    apic_write(APIC_LVT_TIMER, LVT_MASKED | VECTOR_APIC_TIMER);
    apic_write(APIC_TIMER_INIT, 0xffffffff);
    start = rdtsc();
    while (rdtsc() - start < window)
        cpu_relax();
    left = apic_read(APIC_TIMER_CUR);
    apic_write(APIC_TIMER_INIT, 0);
    return (uint64_t)(0xffffffffu - left) * 1000000 / window_us;
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
