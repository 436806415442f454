/*
 * start_baton: the C entry point, called by boot/head.asm on the boot stack
 * with the image mapped at its link address and the first 4 GiB of physical
 * memory reachable through the direct map.
 */
#include <asm/io.h>
#include <asm/page.h>
#include <asm/regs.h>
#include <baton/arch.h>
#include <baton/bootinfo.h>
#include <baton/cmdline.h>
#include <baton/domain.h>
#include <baton/domain_build.h>
#include <baton/domctx.h>
#include <baton/domctx_types.h>
#include <baton/lu.h>
#include <baton/sched.h>
#include <baton/console.h>
#include <baton/lib.h>
#include <baton/memory.h>
#include <baton/printk.h>
#include <baton/time.h>
#include <baton/version.h>

#define TICKS_TO_CONFIRM 10


static struct boot_info boot_info;
static struct boot_options boot_opts;

/* Until our own page tables exist, the boot ones map the first 4 GiB. */
static const void *early_map(paddr_t pa, size_t len)
{
    if (pa + len < pa || pa + len > BOOT_MAP_LIMIT)
        return NULL;
    return phys_to_virt(pa);
}

static void show_boot_info(void)
{
    pr_info("boot: multiboot%u from '%s'\n", boot_info.protocol,
            boot_info.loader[0] ? boot_info.loader : "unknown loader");
    pr_info("boot: command line '%s'\n", boot_info.cmdline);
    pr_info("boot: image at %016llx-%016llx (KEXEC_RANGE_MA_XEN)\n",
            (unsigned long long)image_region.start, (unsigned long long)(image_region.end - 1));
    for (unsigned int i = 0; i < boot_info.nr_mods; i++)
        pr_info("boot: module %u at %016llx-%016llx '%s'\n", i,
                (unsigned long long)boot_info.mods[i].start,
                (unsigned long long)boot_info.mods[i].end, boot_info.mods[i].cmdline);
}

/* Interrupts on; wait (bounded) for the timer to prove it ticks. */
static void confirm_timer(void)
{
    uint64_t t0 = now_ns(), start = apic_timer_ticks();

    irq_enable();
    while (apic_timer_ticks() - start < TICKS_TO_CONFIRM && now_ns() - t0 < 5000000000ULL)
        halt();
    if (apic_timer_ticks() - start < TICKS_TO_CONFIRM)
        panic("time: APIC timer gave %llu ticks in 5 s",
              (unsigned long long)(apic_timer_ticks() - start));
    pr_info("time: %u timer ticks in %llu ms of system time\n", TICKS_TO_CONFIRM,
            (unsigned long long)((now_ns() - t0) / 1000000));
}

/* Time: calibrated at a cold boot, continued from LU_TIME after a live update. */
static void time_start(void)
{
    const struct lu_rec_time *t = lu_handover_time();

    if (!lu_handover_active()) {
        time_init();
        return;
    }
    if (time_init_continue(t->tsc_hz, t->tsc, t->stime_ns))
        panic("LU: the stream's LU_TIME is not believable: no domain was restored, halting");
}

/* The domain context handlers, and the promise the image's ELF note and
 * the version query make about them (include/baton/domctx_types.h). */
static void context_handlers_init(void)
{
    static char err[192];

    if (domctx_init())
        panic("domctx: the context handlers this build links do not register");
    if (domctx_types_check(err, sizeof(err)))
        panic("domctx: %s", err);
}

void start_baton(uint32_t magic, uint32_t mbi_pa, paddr_t phys_base)
{
    uint64_t entry_tsc = rdtsc();
    int rc;

    hv_phys_start = phys_base;
    serial_init();
    pr_info("Baton %s (build-id %s)\n", baton_version(), baton_build_id());
    traps_init();

    rc = bootinfo_parse(&boot_info, magic, mbi_pa, early_map);
    if (rc)
        panic("boot: cannot read the boot information at 0x%x (%d)", mbi_pa, rc);
    cmdline_parse(boot_info.cmdline, &boot_opts);
    printk_set_level(boot_opts.loglvl);
    /* before memory_init: a live update boot validates the stream's
     * context entries there, with every handler's checks */
    context_handlers_init();

    memory_init(&boot_info, &boot_opts, entry_tsc);
    show_boot_info();

    time_start();
    /* 10 ms at a cold boot; 100 us after a live update, where the wait is
     * part of every domain's blackout (and the TSC is already known) */
    apic_init(lu_handover_active() ? 100 : 10000);
    /* after a live update the old build's timer worked on this machine, and
     * waiting for ticks would add to the domains' blackout */
    if (!lu_handover_active())
        confirm_timer();

    irq_disable();
    pv_init();
    sched_init();
    guest_console_init();
    if (lu_handover_active())
        lu_handover_restore();
    else
        build_boot_domains(&boot_info);
    lu_rehearse_init(boot_opts.lu_rehearse.count, boot_opts.lu_rehearse.period_ms);
    lu_exec_set_test(boot_opts.lu_test);

    pr_info("Baton: boot complete\n");
    idle_loop();
}

void arch_irq_disable(void)
{
    irq_disable();
}

unsigned long arch_irq_save(void)
{
    return irq_save();
}

void arch_irq_restore(unsigned long flags)
{
    irq_restore(flags);
}

void arch_halt(void)
{
    for (;;)
        halt();
}

void arch_idle_wait(void)
{
    /* sti takes effect after hlt starts: no wake-up is lost in between */
    __asm__ volatile("sti; hlt; cli" : : : "memory");
}
