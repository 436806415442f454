/* Memory bring-up: memory map, reservations, page tables, frame table. */
#ifndef BATON_MEMORY_H
#define BATON_MEMORY_H

#include <baton/bootinfo.h>
#include <baton/cmdline.h>

struct phys_region {
    paddr_t start, end;   /* [start, end); end == 0: none */
};

/* The running image's slot (KEXEC_RANGE_MA_XEN). */
extern struct phys_region image_region;
/* The live update bootmem (KEXEC_RANGE_MA_LIVEUPDATE). */
extern struct phys_region lu_bootmem;

/* The sanitized memory map. */
extern struct mem_range memory_map[BOOT_MEM_MAX];
extern unsigned int memory_map_entries;
uint64_t memory_ram_bytes(void);

void memory_init(const struct boot_info *bi, const struct boot_options *opts);

/* A zeroed page for page tables: boot allocator early, page allocator later. */
paddr_t alloc_pt_page(void);

/* Reserve the live update bootmem at cold boot as the options say; 0 or -BATON_E*. */
int lu_bootmem_reserve(const struct liveupdate_opt *opt, uint64_t default_bytes);

#endif
