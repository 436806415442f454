/*
 * Memory bring-up (common/memory.c): the sanitized memory map, the boot
 * allocator and what it keeps out (low memory, the image, modules, the live
 * update bootmem), the hypervisor's page tables (built by arch, see the
 * memory section of baton/arch.h), the frame table, the page allocator and
 * vmap, in that order.
 */
#ifndef BATON_MEMORY_H
#define BATON_MEMORY_H

#include <baton/bootinfo.h>
#include <baton/cmdline.h>

struct phys_region {
    paddr_t start, end;   /* [start, end); end == 0: none */
};

/* The running image's slot (KEXEC_RANGE_MA_XEN). */
extern struct phys_region image_region;

/* The sanitized memory map. */
extern struct mem_range memory_map[BOOT_MEM_MAX];
extern unsigned int memory_map_entries;
uint64_t memory_ram_bytes(void);

void memory_init(const struct boot_info *bi, const struct boot_options *opts);

/* A zeroed page for page tables: boot allocator early, page allocator later. */
paddr_t alloc_pt_page(void);

#endif
