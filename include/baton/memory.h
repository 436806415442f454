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

/* entry_tsc: the TSC at this build's first instruction (live update downtime). */
void memory_init(const struct boot_info *bi, const struct boot_options *opts, uint64_t entry_tsc);
/* A live update boot, once every domain is unpaused: the frame descriptors
 * and free RAM left out of the early heap go to the page allocator, in
 * steps while the domains run; then done() (on the idle vCPU). */
void memory_complete_after_live_update(void (*done)(void));

/* 2^order pages, early (the boot allocator) or late (the page allocator),
 * through the direct map; NULL when there are none. Freeing early pages is
 * a no-op: they are the boot allocator's, or the live update bootmem's. */
void *memory_alloc_pages(unsigned int order);
void memory_free_pages(void *p, unsigned int order);

/* A zeroed page for page tables: boot allocator early, page allocator later. */
paddr_t alloc_pt_page(void);

#endif
