/*
 * Memory bring-up, in order: the loader's memory map made sane, the boot
 * allocator fed with RAM minus what is in use (low memory, the image,
 * modules, the live update bootmem), the hypervisor's own page tables with
 * a direct map of all RAM (built by arch: arch_build_page_tables), the
 * frame table, the page allocator given everything the boot allocator
 * still holds, and vmap. The order and what is reserved are decided here;
 * arch/x86/mm.c only builds the page tables.
 */
#include <baton/arch.h>
#include <baton/bootmem.h>
#include <baton/lib.h>
#include <baton/lu_bootmem.h>
#include <baton/memmap.h>
#include <baton/memory.h>
#include <baton/page_alloc.h>
#include <baton/printk.h>
#include <baton/vmap.h>

#define LOW_MEMORY_END   MiB(1)

struct phys_region image_region;
struct mem_range memory_map[BOOT_MEM_MAX];
unsigned int memory_map_entries;

/* Until arch_build_page_tables() has switched to the hypervisor's own
 * tables, phys_to_virt() reaches only what the boot tables map. */
static paddr_t pt_limit = BOOT_MAP_LIMIT;
static bool page_allocator_live;

paddr_t alloc_pt_page(void)
{
    paddr_t pa;

    if (page_allocator_live) {
        pfn_t pfn = page_alloc(0);
        pa = pfn == INVALID_PFN ? INVALID_PADDR : pfn << PAGE_SHIFT;
    } else {
        pa = bootmem_alloc(PAGE_SIZE, PAGE_SIZE, pt_limit);
    }
    if (pa == INVALID_PADDR)
        return 0;
    memset(phys_to_virt(pa), 0, PAGE_SIZE);
    return pa;
}

uint64_t memory_ram_bytes(void)
{
    uint64_t total = 0;

    for (unsigned int i = 0; i < memory_map_entries; i++)
        if (memory_map[i].type == MEM_RAM)
            total += memory_map[i].size;
    return total;
}

static void show_memory_map(void)
{
    pr_info("memory map:\n");
    for (unsigned int i = 0; i < memory_map_entries; i++)
        pr_info("  %016llx-%016llx %s\n", (unsigned long long)memory_map[i].start,
                (unsigned long long)(memory_map[i].start + memory_map[i].size - 1),
                memmap_type_name(memory_map[i].type));
}

static void reserve(const char *what, paddr_t start, paddr_t end)
{
    pr_info("reserved: %016llx-%016llx %s\n", (unsigned long long)start,
            (unsigned long long)(end - 1), what);
    bootmem_reserve(start, end);
}

static void setup_boot_allocator(const struct boot_info *bi, const struct boot_options *opts)
{
    bootmem_reset();
    for (unsigned int i = 0; i < memory_map_entries; i++)
        if (memory_map[i].type == MEM_RAM)
            bootmem_add(memory_map[i].start, memory_map[i].start + memory_map[i].size);

    reserve("low memory (BIOS, real mode)", 0, LOW_MEMORY_END);
    reserve("Baton image (KEXEC_RANGE_MA_XEN)", image_region.start, image_region.end);
    for (unsigned int i = 0; i < bi->nr_mods; i++)
        if (bi->mods[i].end > bi->mods[i].start)
            reserve("boot module", bi->mods[i].start, bi->mods[i].end);
    /* reported on the console by itself; a failure only means no live update */
    lu_bootmem_reserve(&opts->liveupdate);
}

/* One 16-byte struct page_info per frame up to the end of RAM. */
static void setup_frame_table(void)
{
    paddr_t ram_end = 0, table;
    pfn_t nr_pfns;
    uint64_t table_bytes;

    for (unsigned int i = 0; i < memory_map_entries; i++)
        if (memory_map[i].type == MEM_RAM)
            ram_end = MAX(ram_end, memory_map[i].start + memory_map[i].size);
    nr_pfns = ram_end >> PAGE_SHIFT;
    table_bytes = ALIGN_UP(nr_pfns * sizeof(struct page_info), PAGE_SIZE);
    table = bootmem_alloc(table_bytes, PAGE_SIZE, INVALID_PADDR);
    if (table == INVALID_PADDR)
        panic("memory: no room for a %llu KiB frame table", (unsigned long long)(table_bytes >> 10));
    if (page_alloc_init(phys_to_virt(table), nr_pfns))
        panic("memory: %llu frames is more than the frame table can index",
              (unsigned long long)nr_pfns);
    pr_info("memory: frame table %llu KiB for %llu frames at %016llx\n",
            (unsigned long long)(table_bytes >> 10), (unsigned long long)nr_pfns,
            (unsigned long long)table);
}

static void hand_to_page_allocator(paddr_t start, paddr_t end, void *arg)
{
    (void)arg;
    page_free_range(start >> PAGE_SHIFT, end >> PAGE_SHIFT);
}

void memory_init(const struct boot_info *bi, const struct boot_options *opts)
{
    arch_memory_early_init();
    arch_image_region(&image_region);

    memory_map_entries = memmap_sanitize(bi->mem, bi->nr_mem, memory_map, BOOT_MEM_MAX);
    if (!memory_ram_bytes())
        panic("memory: the boot loader reported no RAM");
    show_memory_map();
    setup_boot_allocator(bi, opts);

    arch_build_page_tables();
    pt_limit = INVALID_PADDR;
    setup_frame_table();
    bootmem_drain(hand_to_page_allocator, NULL);
    page_allocator_live = true;

    vmap_init();
    vmap_self_test();
    pr_info("memory: %llu MiB usable RAM, %llu MiB free after boot\n",
            (unsigned long long)(memory_ram_bytes() >> 20),
            (unsigned long long)(page_free_count() >> (20 - PAGE_SHIFT)));
}
