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
#include <baton/lu.h>
#include <baton/lu_bootmem.h>
#include <baton/memmap.h>
#include <baton/memory.h>
#include <baton/page_alloc.h>
#include <baton/printk.h>
#include <baton/sched.h>
#include <baton/time.h>
#include <baton/timer.h>
#include <baton/vmap.h>

#define LOW_MEMORY_END   MiB(1)

struct phys_region image_region;
struct mem_range memory_map[BOOT_MEM_MAX];
unsigned int memory_map_entries;

/* Until arch_build_page_tables() has switched to the hypervisor's own
 * tables, phys_to_virt() reaches only what the boot tables map. */
static paddr_t pt_limit = BOOT_MAP_LIMIT;
static bool page_allocator_live;

/*
 * A live update boot allocates only from the bootmem until the stream is
 * consumed: anything else could be a domain's frame or a stream page.
 * The boot allocator holds nothing else then, so this cannot fire unless
 * that breaks; it names the caller if it does.
 */
static void check_lu_discipline(paddr_t pa, uint64_t size, const void *caller)
{
    if (lu_handover_early() && (pa < lu_bootmem.start || pa + size > lu_bootmem.end)) {
        lu_boot_log_flush();
        panic("LU: %p allocated 0x%llx+0x%llx outside the live update bootmem before the stream was consumed",
              caller, (unsigned long long)pa, (unsigned long long)size);
    }
}

static paddr_t early_or_heap_alloc(unsigned int order, paddr_t limit, const void *caller)
{
    paddr_t pa;

    if (page_allocator_live) {
        pfn_t pfn = page_alloc(order);
        pa = pfn == INVALID_PFN ? INVALID_PADDR : pfn << PAGE_SHIFT;
    } else {
        pa = bootmem_alloc(PAGE_SIZE << order, PAGE_SIZE, limit);
    }
    if (pa != INVALID_PADDR)
        check_lu_discipline(pa, PAGE_SIZE << order, caller);
    return pa;
}

paddr_t alloc_pt_page(void)
{
    paddr_t pa = early_or_heap_alloc(0, pt_limit, __builtin_return_address(0));

    if (pa == INVALID_PADDR)
        return 0;
    memset(phys_to_virt(pa), 0, PAGE_SIZE);
    return pa;
}

void *memory_alloc_pages(unsigned int order)
{
    paddr_t pa;

    if (order > MAX_ORDER)
        return NULL;
    pa = early_or_heap_alloc(order, INVALID_PADDR, __builtin_return_address(0));
    return pa == INVALID_PADDR ? NULL : phys_to_virt(pa);
}

void memory_free_pages(void *p, unsigned int order)
{
    paddr_t pa = virt_to_phys(p);

    /* the boot allocator's pages are not given back: it is gone by now, or
     * they lie in the live update bootmem, which stays reserved */
    if (page_allocator_live && !(pa >= lu_bootmem.start && pa < lu_bootmem.end))
        page_free(pa >> PAGE_SHIFT, order);
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
    lu_boot_log("memory map:\n");
    for (unsigned int i = 0; i < memory_map_entries; i++)
        lu_boot_log("  %016llx-%016llx %s\n", (unsigned long long)memory_map[i].start,
                (unsigned long long)(memory_map[i].start + memory_map[i].size - 1),
                memmap_type_name(memory_map[i].type));
}

static void reserve(const char *what, paddr_t start, paddr_t end)
{
    lu_boot_log("reserved: %016llx-%016llx %s\n", (unsigned long long)start,
            (unsigned long long)(end - 1), what);
    bootmem_reserve(start, end);
}

/* All RAM but low memory, the image and the modules. */
static void boot_allocator_all_ram(const struct boot_info *bi)
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

/* One struct page_info per frame up to the end of RAM, from the boot
 * allocator; page_alloc_init*() decide which descriptors are cleared. */
static struct page_info *alloc_frame_table(pfn_t *nr)
{
    paddr_t ram_end = 0, table;
    uint64_t table_bytes;

    for (unsigned int i = 0; i < memory_map_entries; i++)
        if (memory_map[i].type == MEM_RAM)
            ram_end = MAX(ram_end, memory_map[i].start + memory_map[i].size);
    *nr = ram_end >> PAGE_SHIFT;
    table_bytes = ALIGN_UP(*nr * sizeof(struct page_info), PAGE_SIZE);
    table = bootmem_alloc(table_bytes, PAGE_SIZE, INVALID_PADDR);
    if (table == INVALID_PADDR) {
        lu_boot_log_flush();
        panic("memory: no room for a %llu KiB frame table", (unsigned long long)(table_bytes >> 10));
    }
    lu_boot_log("memory: frame table %llu KiB for %llu frames at %016llx\n",
            (unsigned long long)(table_bytes >> 10), (unsigned long long)*nr,
            (unsigned long long)table);
    return phys_to_virt(table);
}

static void hand_to_page_allocator(paddr_t start, paddr_t end, void *arg)
{
    (void)arg;
    page_free_range(start >> PAGE_SHIFT, end >> PAGE_SHIFT);
}

/*
 * The boot allocator's first contents. A cold boot: all RAM but what is in
 * use, then the live update bootmem taken out. A live update boot: only
 * the bootmem, until the stream says what else is in use.
 */
static void setup_boot_allocator(const struct boot_info *bi, const struct boot_options *opts,
                                 bool live_update)
{
    if (live_update) {
        lu_handover_boot_allocator(bi);
        return;
    }
    boot_allocator_all_ram(bi);
    /* reported on the console by itself; a failure only means no live update */
    lu_bootmem_reserve(&opts->liveupdate);
}

/*
 * The early heap of a live update boot, from the largest free range: what
 * the restore needs before the unpause, sized from the stream. A domain
 * takes a kernel stack per vCPU (16 KiB, at most MAX_VIRT_CPUS) and a few
 * page-table pages (its tables, the grant window's): 128 KiB is twice
 * that. Only its frame descriptors are cleared before the domains run;
 * everything else waits for memory_complete_after_live_update(), after
 * the unpause, so the blackout grows with domains, not with the RAM of the
 * host.
 */
#define LU_EARLY_HEAP_BASE        MiB(4)
#define LU_EARLY_HEAP_PER_DOMAIN  KiB(128)

static void early_heap_window(paddr_t *lo, paddr_t *hi)
{
    const uint64_t size = LU_EARLY_HEAP_BASE +
                          (uint64_t)lu_handover_nr_domains() * LU_EARLY_HEAP_PER_DOMAIN;
    paddr_t s, e;

    *lo = *hi = 0;
    for (unsigned int i = 0; bootmem_range(i, &s, &e); i++)
        if (e - s > *hi - *lo) {
            *lo = s;
            *hi = e;
        }
    *hi = MIN(*hi, *lo + size);
}

/*
 * The page allocator: the frame table, then the free RAM the boot
 * allocator holds inside the window of descriptors cleared now (all of it
 * at a cold boot, the early heap after a live update).
 */
static void setup_page_allocator(bool live_update)
{
    pfn_t nr;
    struct page_info *table = alloc_frame_table(&nr);
    paddr_t lo = 0, hi = (paddr_t)nr << PAGE_SHIFT;

    if (live_update)
        early_heap_window(&lo, &hi);
    if (page_alloc_init_window(table, nr, lo >> PAGE_SHIFT, hi >> PAGE_SHIFT)) {
        lu_boot_log_flush();
        panic("memory: %llu frames is more than the frame table can index",
              (unsigned long long)nr);
    }
    bootmem_drain_window(lo, hi, hand_to_page_allocator, NULL);
    if (live_update)
        lu_boot_log("memory: early heap %016llx-%016llx until the domains run; the rest of the frame table after\n",
                (unsigned long long)lo, (unsigned long long)(hi - 1));
    page_allocator_live = true;
}

/*
 * After a live update, with the domains running: the rest of the frame
 * table, LU_DEFERRED_STEP of RAM at a time, each step on the idle vCPU
 * (never inside a hypercall that may hold the allocator) and the next one
 * a millisecond later, so the guests run between steps.
 */
#define LU_DEFERRED_STEP   (MiB(256) >> PAGE_SHIFT)

static struct {
    struct hv_timer timer;
    void (*done)(void);
    uint64_t steps, ticks;
} deferred;

static void deferred_step(void)
{
    uint64_t t0 = arch_cycles();
    pfn_t lo, hi;

    if (!page_alloc_grow_window(LU_DEFERRED_STEP, &lo, &hi)) {
        bootmem_drain(hand_to_page_allocator, NULL);     /* empty by now */
        pr_info("memory: frame table complete after the live update: %llu step(s), %llu ticks, the domains running between them\n",
                (unsigned long long)deferred.steps, (unsigned long long)deferred.ticks);
        deferred.done();
        return;
    }
    bootmem_drain_window(lo << PAGE_SHIFT, hi << PAGE_SHIFT, hand_to_page_allocator, NULL);
    deferred.steps++;
    deferred.ticks += arch_cycles() - t0;
    hv_timer_set(&deferred.timer, now_ns() + 1000000);
}

/* The next step on the idle vCPU; its queue full, a millisecond later. */
static void deferred_timer(struct hv_timer *t)
{
    if (sched_run_on_idle(deferred_step))
        hv_timer_set(t, now_ns() + 1000000);
}

void memory_complete_after_live_update(void (*done)(void))
{
    deferred.done = done;
    deferred.timer.fn = deferred_timer;
    deferred_timer(&deferred.timer);
}

/* A live update boot: validate the stream (from the bootmem alone), then
 * the boot allocator gets all RAM but every frame the stream names. */
static void consume_stream(const struct boot_info *bi)
{
    lu_handover_open();
    boot_allocator_all_ram(bi);
    lu_handover_reserve();
}

void memory_init(const struct boot_info *bi, const struct boot_options *opts, uint64_t entry_tsc)
{
    bool live_update;

    arch_memory_early_init();
    arch_image_region(&image_region);

    memory_map_entries = memmap_sanitize(bi->mem, bi->nr_mem, memory_map, BOOT_MEM_MAX);
    if (!memory_ram_bytes())
        panic("memory: the boot loader reported no RAM");
    /* probed first, so that a live update boot holds its lines back
     * (lu_boot_log) from the memory map on */
    live_update = lu_handover_probe(&opts->liveupdate, entry_tsc);
    show_memory_map();
    setup_boot_allocator(bi, opts, live_update);

    arch_build_page_tables();
    pt_limit = INVALID_PADDR;
    vmap_init();
    if (live_update)
        consume_stream(bi);
    setup_page_allocator(live_update);
    if (live_update)
        lu_handover_reserved();

    vmap_self_test();
    lu_boot_log("memory: %llu MiB usable RAM, %llu MiB free after boot\n",
            (unsigned long long)(memory_ram_bytes() >> 20),
            (unsigned long long)(page_free_count() >> (20 - PAGE_SHIFT)));
}
