/*
 * The live update bootmem (common/lu/bootmem.c): a physically contiguous
 * region reserved at cold boot, liveupdate=SIZE[@ADDR] on the command line
 * (or CONFIG_LU_BOOTMEM_DEFAULT_MB), reported as KEXEC_RANGE_MA_LIVEUPDATE.
 * The next build's boot info, modules and the breadcrumb go there; domain
 * memory never does.
 */
#ifndef BATON_LU_BOOTMEM_H
#define BATON_LU_BOOTMEM_H

#include <baton/cmdline.h>
#include <baton/memory.h>

/* The region; end == 0 when none was reserved. */
extern struct phys_region lu_bootmem;

#ifdef CONFIG_LIVE_UPDATE
/*
 * Take the region out of the boot allocator, as the options say: 0 (also
 * when no region is asked for) or -BATON_EBUSY / -BATON_ENOMEM with a
 * message, and then no region. Called by memory_init at cold boot.
 */
int lu_bootmem_reserve(const struct liveupdate_opt *opt);
#else
static inline int lu_bootmem_reserve(const struct liveupdate_opt *opt)
{
    (void)opt;
    return 0;
}
#endif

#endif
