/*
 * The live update bootmem at cold boot: reserve the region the command line
 * names (liveupdate=SIZE@ADDR), or find one (liveupdate=SIZE, or
 * CONFIG_LU_BOOTMEM_DEFAULT_MB when the option is absent), before the boot
 * allocator hands anything out. Everything the next build must find at a
 * fixed place (the breadcrumb, its boot info and modules) goes there.
 */
#include <baton/bootmem.h>
#include <baton/config.h>
#include <baton/errno.h>
#include <baton/lu_bootmem.h>
#include <baton/printk.h>

struct phys_region lu_bootmem;

/* [start, start + size) exactly where asked: it must be free RAM. */
static int reserve_at(paddr_t start, uint64_t size)
{
    if (!bootmem_is_free(start, start + size)) {
        pr_err("liveupdate: %llu MiB at 0x%llx is not free RAM (overlaps RAM holes, the image "
               "or modules): no live update bootmem\n",
               (unsigned long long)(size >> 20), (unsigned long long)start);
        return -BATON_EBUSY;
    }
    bootmem_reserve(start, start + size);
    return 0;
}

/* Anywhere below 4 GiB: multiboot2 module addresses handed to the next build are 32-bit. */
static int reserve_anywhere(uint64_t size, paddr_t *start)
{
    *start = bootmem_alloc(size, MiB(2), GiB(4));
    if (*start == INVALID_PADDR) {
        pr_err("liveupdate: no free %llu MiB region below 4 GiB: no live update bootmem\n",
               (unsigned long long)(size >> 20));
        return -BATON_ENOMEM;
    }
    return 0;
}

int lu_bootmem_reserve(const struct liveupdate_opt *opt)
{
    uint64_t size = opt->present ? opt->size : MiB(CONFIG_LU_BOOTMEM_DEFAULT_MB);
    paddr_t start = opt->addr;
    int rc;

    if (!size)
        return 0;
    if (opt->present && opt->has_addr)
        rc = reserve_at(start, size);
    else
        rc = reserve_anywhere(size, &start);
    if (rc)
        return rc;

    lu_bootmem = (struct phys_region){ start, start + size };
    pr_info("liveupdate: reserved %llu MiB at %016llx-%016llx (KEXEC_RANGE_MA_LIVEUPDATE)\n",
            (unsigned long long)(size >> 20), (unsigned long long)start,
            (unsigned long long)(start + size - 1));
    return 0;
}
