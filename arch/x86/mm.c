/*
 * Memory bring-up, in order: the loader's memory map made sane, the boot
 * allocator fed with RAM minus what is in use (low memory, the image,
 * modules, the live update bootmem), the hypervisor's own page tables with
 * a direct map of all RAM, the frame table, and finally the page allocator
 * given everything the boot allocator still holds.
 */
#include <asm/io.h>
#include <asm/page.h>
#include <baton/bootmem.h>
#include <baton/config.h>
#include <baton/errno.h>
#include <baton/lib.h>
#include <baton/memmap.h>
#include <baton/memory.h>
#include <baton/mm.h>
#include <baton/printk.h>
#include <baton/vmap.h>

#define LOW_MEMORY_END   MiB(1)

extern char __image_start[], __image_end[];

paddr_t hv_phys_start;
struct phys_region image_region;
struct phys_region lu_bootmem;
struct mem_range memory_map[BOOT_MEM_MAX];
unsigned int memory_map_entries;

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

static void setup_boot_allocator(const struct boot_info *bi)
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
}

int lu_bootmem_reserve(const struct liveupdate_opt *opt, uint64_t default_bytes)
{
    uint64_t size = opt->present ? opt->size : default_bytes;
    paddr_t start;

    if (!size)
        return 0;
    if (opt->present && opt->has_addr) {
        start = opt->addr;
        if (!bootmem_is_free(start, start + size)) {
            pr_err("liveupdate: %llu MiB at 0x%llx is not free RAM (overlaps RAM holes, the image "
                   "or modules): no live update bootmem\n",
                   (unsigned long long)(size >> 20), (unsigned long long)start);
            return -BATON_EBUSY;
        }
        bootmem_reserve(start, start + size);
    } else {
        /* below 4 GiB: multiboot2 module addresses handed to the next build are 32-bit */
        start = bootmem_alloc(size, MiB(2), GiB(4));
        if (start == INVALID_PADDR) {
            pr_err("liveupdate: no free %llu MiB region below 4 GiB: no live update bootmem\n",
                   (unsigned long long)(size >> 20));
            return -BATON_ENOMEM;
        }
    }
    lu_bootmem = (struct phys_region){ start, start + size };
    pr_info("liveupdate: reserved %llu MiB at %016llx-%016llx (KEXEC_RANGE_MA_LIVEUPDATE)\n",
            (unsigned long long)(size >> 20), (unsigned long long)start,
            (unsigned long long)(start + size - 1));
    return 0;
}

/* The hypervisor's page tables: direct map of all RAM, the image, the vmap area. */
static void build_page_tables(void)
{
    paddr_t root = alloc_pt_page();
    uint64_t image_size = image_region.end - image_region.start;
    int rc = root ? 0 : -BATON_ENOMEM;

    for (unsigned int i = 0; i < memory_map_entries && !rc; i++) {
        const struct mem_range *r = &memory_map[i];
        paddr_t s = ALIGN_UP(r->start, PAGE_SIZE), e = ALIGN_DOWN(r->start + r->size, PAGE_SIZE);
        if (r->type != MEM_RAM || e <= s)
            continue;
        rc = map_range(root, DIRECTMAP_VIRT_START + s, s, e - s, PAGE_HV_RW | PTE_G, true,
                       alloc_pt_page);
    }
    if (!rc)
        rc = map_range(root, HV_LINK_VIRT, image_region.start, image_size, PAGE_HV_RWX | PTE_G,
                       true, alloc_pt_page);
    /* Create the vmap area's top-level entry now, so every address space
     * that copies the hypervisor half sees later vmaps too. */
    if (!rc) {
        paddr_t l3 = alloc_pt_page();
        uint64_t *l4 = phys_to_virt(root);
        if (!l3)
            rc = -BATON_ENOMEM;
        else
            l4[PT_INDEX(VMAP_VIRT_START, L4_SHIFT)] = l3 | PTE_P | PTE_RW;
    }
    if (rc)
        panic("memory: cannot build the hypervisor page tables (%d)", rc);
    write_cr3(root);
    idle_pt_root = root;
    pt_limit = INVALID_PADDR;
}

static void setup_page_allocator(void)
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
    /* head.asm turned NX on if the CPU has it */
    bool nx = rdmsr(MSR_EFER) & EFER_NXE;

    paging_set_nx(nx);
    if (!nx)
        pr_warn("memory: CPU without NX: hypervisor data is executable\n");
    image_region = (struct phys_region){ hv_phys_start,
        hv_phys_start + ALIGN_UP((uint64_t)(__image_end - __image_start), PAGE_SIZE) };

    memory_map_entries = memmap_sanitize(bi->mem, bi->nr_mem, memory_map, BOOT_MEM_MAX);
    if (!memory_ram_bytes())
        panic("memory: the boot loader reported no RAM");
    show_memory_map();
    setup_boot_allocator(bi);
    lu_bootmem_reserve(&opts->liveupdate, (uint64_t)CONFIG_LU_BOOTMEM_DEFAULT_MB << 20);

    build_page_tables();
    setup_page_allocator();
    bootmem_drain(hand_to_page_allocator, NULL);
    page_allocator_live = true;

    vmap_init();
    vmap_self_test();
    pr_info("memory: %llu MiB usable RAM, %llu MiB free after boot\n",
            (unsigned long long)(memory_ram_bytes() >> 20),
            (unsigned long long)(page_free_count() >> (20 - PAGE_SHIFT)));
}
