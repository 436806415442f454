/*
 * The new build's side of a live update, at early boot (DESIGN.md steps 5
 * and 6). In order:
 *   1. probe: liveupdate=SIZE@ADDR names the bootmem and its first page
 *      holds a breadcrumb whose MFN array lies in RAM, outside the image and
 *      the bootmem. Anything else is a cold boot, and the console says why.
 *   2. the boot allocator holds only the bootmem (less the breadcrumb page
 *      and any module): everything until the stream is consumed comes from
 *      there -- page tables, the vmap of the stream, the reader's scratch.
 *      memory.c panics, naming the caller, on any allocation outside it.
 *   3. open: map the MFN array, vmap the stream, run the reader's full
 *      validation. A stream that fails it halts the machine with the
 *      reader's error: no domain frame has been touched or handed out.
 *   4. reserve: the boot allocator gets all RAM except what is in use --
 *      low memory, the image, the bootmem, and, extent by extent, every
 *      domain's memory, the stream pages and the MFN array. Only then does
 *      the page allocator take the rest. Frame-table entries are set in
 *      bulk: the table is cleared as a whole (every frame "in use"), free
 *      RAM goes in by buddy block, and domain extents need no per-page work
 *      at all (in use is the cleared state).
 *   5. restore (after time, APIC and PV set-up): every domain rebuilt with
 *      restore.c, the stream pages and the MFN array freed, the breadcrumb
 *      cleared, every domain unpaused, and one "LU: downtime" line.
 * From 1 to 5 the lines of this file and of memory.c are held back
 * (lu_boot_log) and printed after the unpause, ahead of the downtime line.
 */
#include <baton/arch.h>
#include <baton/bootmem.h>
#include <baton/domain.h>
#include <baton/errno.h>
#include <baton/lib.h>
#include <baton/lu.h>
#include <baton/lu_bootmem.h>
#include <baton/memory.h>
#include <baton/page_alloc.h>
#include <baton/printk.h>
#include <baton/time.h>
#include <stdarg.h>

static struct handover {
    bool active;                    /* this boot is a live update */
    bool consumed;                  /* the stream is reserved: RAM is ours */
    struct lu_breadcrumb bc;
    struct lu_reader reader;
    struct lu_stream stream;
    uint64_t t_entry, t_opened, t_reserved, t_restore, t_restored, t_unpaused;
} h;

/* ------------------------------------------------------------ the blackout's log */

/*
 * What the new build logs from the probe to the last unpause waits here
 * and goes to the console once the domains run (or just before a panic):
 * every console octet is polled out of the UART, dozens of instructions
 * each, and a spin whenever the far end is slow to read, all of it inside
 * every domain's blackout. Outside that window lines print at once.
 */
static char held[4096];
static size_t held_len;
static bool holding;

void lu_boot_log_flush(void)
{
    size_t at = 0;

    holding = false;
    while (at < held_len) {
        const char *nl = memchr(held + at, '\n', held_len - at);
        size_t n = nl ? (size_t)(nl - (held + at)) + 1 : held_len - at;

        pr_info("%.*s", (int)n, held + at);
        at += n;
    }
    held_len = 0;
}

void lu_boot_log(const char *fmt, ...)
{
    char line[256];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    n = MIN(n, (int)sizeof(line) - 1);
    if (holding && held_len + (size_t)n > sizeof(held))
        lu_boot_log_flush();        /* order kept; the rest prints at once */
    if (!holding) {
        pr_info("%s", line);
        return;
    }
    memcpy(held + held_len, line, (size_t)n);
    held_len += (size_t)n;
}

bool lu_handover_active(void)
{
    return h.active;
}

bool lu_handover_early(void)
{
    return h.active && !h.consumed;
}

/* ------------------------------------------------------------ 1. probe */

static bool cold(const char *why, const char *detail)
{
    pr_info("LU: cold boot: %s%s\n", why, detail);
    return false;
}

/* Frames [mfn, mfn + nr) in RAM and clear of the image and the bootmem. */
static const char *frames_problem(uint64_t mfn, uint64_t nr)
{
    paddr_t start = mfn << PAGE_SHIFT, end = (mfn + nr) << PAGE_SHIFT;
    bool in_ram = false;

    for (unsigned int i = 0; i < memory_map_entries; i++) {
        const struct mem_range *r = &memory_map[i];

        if (r->type == MEM_RAM && start >= r->start && end <= r->start + r->size)
            in_ram = true;
    }
    if (!in_ram)
        return "the MFN array is not inside one RAM range";
    if (start < image_region.end && image_region.start < end)
        return "the MFN array overlaps the image";
    if (start < lu_bootmem.end && lu_bootmem.start < end)
        return "the MFN array overlaps the live update bootmem";
    return NULL;
}

bool lu_handover_probe(const struct liveupdate_opt *opt, uint64_t entry_tsc)
{
    const struct lu_breadcrumb *bc;
    paddr_t array_pa;
    uint64_t nr;
    const char *problem;
    char detail[160];

    if (!opt->present || !opt->has_addr)
        return cold("no liveupdate=SIZE@ADDR on the command line", "");
    if (opt->addr + PAGE_SIZE > BOOT_MAP_LIMIT)
        return cold("the live update bootmem is above 4 GiB", "");
    bc = phys_to_virt(opt->addr);
    h.bc = *bc;
    lu_bootmem = (struct phys_region){ opt->addr, opt->addr + opt->size };
    if (lu_breadcrumb_decode(&h.bc, &array_pa, &nr, &h.stream)) {
        lu_bootmem = (struct phys_region){ 0, 0 };
        return cold(h.stream.error, "");
    }
    problem = frames_problem(array_pa >> PAGE_SHIFT,
                             ALIGN_UP(nr * sizeof(uint64_t), PAGE_SIZE) >> PAGE_SHIFT);
    if (problem) {
        lu_bootmem = (struct phys_region){ 0, 0 };
        snprintf(detail, sizeof(detail), " (at 0x%llx, %llu stream pages)",
                 (unsigned long long)array_pa, (unsigned long long)nr);
        return cold(problem, detail);
    }
    h.active = true;
    h.t_entry = entry_tsc;
    holding = true;
    lu_boot_log("LU: live update boot: breadcrumb at 0x%llx, MFN array at 0x%llx, %llu stream pages\n",
            (unsigned long long)opt->addr, (unsigned long long)array_pa, (unsigned long long)nr);
    return true;
}

/* ------------------------------------------------------------ 2. bootmem only */

void lu_handover_boot_allocator(const struct boot_info *bi)
{
    bootmem_reset();
    bootmem_add(lu_bootmem.start, lu_bootmem.end);
    bootmem_reserve(lu_bootmem.start, lu_bootmem.start + PAGE_SIZE);    /* the breadcrumb */
    for (unsigned int i = 0; i < bi->nr_mods; i++)
        bootmem_reserve(bi->mods[i].start, bi->mods[i].end);
    lu_boot_log("liveupdate: %llu MiB at %016llx-%016llx (KEXEC_RANGE_MA_LIVEUPDATE), the only memory until the stream is consumed\n",
            (unsigned long long)((lu_bootmem.end - lu_bootmem.start) >> 20),
            (unsigned long long)lu_bootmem.start, (unsigned long long)(lu_bootmem.end - 1));
}

/* ------------------------------------------------------------ 3. open */

void lu_handover_open(void)
{
    int rc;

    lu_reader_init(&h.reader);
    rc = lu_stream_open(&h.reader, &h.bc, &h.stream);
    if (rc) {
        lu_boot_log_flush();
        panic("LU: the handover stream is refused (%d): %s; no domain frame was touched, halting",
              rc, h.stream.error);
    }
    h.t_opened = arch_cycles();
    lu_boot_log("LU: stream of %llu octets from Baton %u.%u%s: %u domain(s)\n",
            (unsigned long long)h.stream.stream_len, h.stream.version.hv_major,
            h.stream.version.hv_minor, h.stream.version.hv_extra, h.stream.nr_domains);
}

/* ------------------------------------------------------------ 4. reserve */

void lu_handover_reserve(void)
{
    const struct lu_stream *s = &h.stream;
    uint64_t frames = 0, extents = 0;

    bootmem_reserve(lu_bootmem.start, lu_bootmem.end);
    for (uint32_t d = 0; d < s->nr_domains; d++) {
        for (uint32_t i = 0; i < s->domains[d].nr_extents; i++) {
            struct lu_extent e;

            memcpy(&e, &s->domains[d].extents[i], sizeof(e));
            bootmem_reserve(e.mfn << PAGE_SHIFT, (e.mfn + e.count) << PAGE_SHIFT);
            frames += e.count;
            extents++;
        }
    }
    for (uint64_t i = 0; i < s->nr_pages; i++)
        bootmem_reserve(s->mfns[i] << PAGE_SHIFT, (s->mfns[i] + 1) << PAGE_SHIFT);
    bootmem_reserve(s->mfn_array_pa, s->mfn_array_pa + (s->mfn_array_pages << PAGE_SHIFT));
    h.consumed = true;
    lu_boot_log("LU: reserved %llu extent(s), %llu MiB of guest memory, %llu stream page(s)\n",
            (unsigned long long)extents, (unsigned long long)(frames >> (20 - PAGE_SHIFT)),
            (unsigned long long)s->nr_pages);
}

void lu_handover_reserved(void)
{
    h.t_reserved = arch_cycles();
}

uint32_t lu_handover_nr_domains(void)
{
    return h.stream.nr_domains;
}

const struct lu_rec_time *lu_handover_time(void)
{
    return &h.stream.time;
}

/* ------------------------------------------------------------ 5. restore */

/* The stream's frames go back to the allocator: they were reserved. */
static void free_stream(void)
{
    const uint64_t *mfns = h.stream.mfns;
    uint64_t nr = h.stream.nr_pages, array_pa = h.stream.mfn_array_pa;
    uint64_t array_pages = h.stream.mfn_array_pages;

    /* the frames are read from the array before the array itself goes */
    for (uint64_t i = 0; i < nr; i++)
        page_free(mfns[i], 0);
    lu_stream_close(&h.reader, &h.stream);
    for (uint64_t i = 0; i < array_pages; i++)
        page_free((array_pa >> PAGE_SHIFT) + i, 0);
}

static uint64_t ticks(uint64_t from, uint64_t to)
{
    return from && to >= from ? to - from : 0;
}

static void report_downtime(void)
{
    const struct lu_rec_downtime *dt = &h.stream.downtime;
    uint64_t early = ticks(h.t_entry, h.t_opened) + ticks(h.t_reserved, h.t_restore);
    uint64_t total = ticks(dt->pause_tsc, h.t_unpaused);

    pr_info("LU: downtime %llu us (%llu ticks): pause %llu save %llu kexec %llu early-boot %llu reserve %llu restore %llu unpause %llu ticks\n",
            (unsigned long long)(total * 1000000 / tsc_hz()), (unsigned long long)total,
            (unsigned long long)ticks(dt->pause_tsc, dt->save_tsc),
            (unsigned long long)ticks(dt->save_tsc, dt->exec_tsc),
            (unsigned long long)ticks(dt->exec_tsc, h.t_entry), (unsigned long long)early,
            (unsigned long long)ticks(h.t_opened, h.t_reserved),
            (unsigned long long)ticks(h.t_restore, h.t_restored),
            (unsigned long long)ticks(h.t_restored, h.t_unpaused));
}

void lu_handover_restore(void)
{
    struct lu_breadcrumb *bc = phys_to_virt(lu_bootmem.start);
    int rc;

    h.t_restore = arch_cycles();
    rc = lu_restore(&h.stream);
    if (rc) {
        lu_boot_log_flush();
        panic("LU: restore refused the stream (%d): no domain was kept and no domain frame was given to the allocator, halting",
              rc);
    }
    h.t_restored = arch_cycles();
    /* consumed: the next boot, if not a live update, is a cold one */
    memset(bc, 0, sizeof(*bc));
    lu_restore_unpause();
    h.t_unpaused = arch_cycles();
    lu_boot_log_flush();
    report_downtime();
    /* the rest of memory joins the allocator while the domains run; the
     * stream's frames last, since their buddies may lie anywhere */
    memory_complete_after_live_update(free_stream);
}
