/*
 * memcheck: fills its free memory with a pattern derived from its domid and
 * a seed, then verifies it pass after pass, printing a checksum that must
 * stay the same forever (before and after any number of live updates).
 *
 * cmdline: seed=N (default 1); fill=all (default) or a size (e.g. 16M) from
 * the end of the image; period=MS between progress lines (default 1000).
 *
 * Markers: "memcheck: filled <N> pages", "memcheck: pass <k> ok
 * checksum=<hex>", and per bad word "MEMCHECK FAIL addr=<hex> want=<hex>
 * got=<hex>" (at most MAX_REPORTS per pass, then a count).
 */
#include "rt.h"
#include "pattern.h"

#define CHUNK_PAGES     256     /* verify 1 MiB, then let others run */
#define WORDS_PER_PAGE  (PV_PAGE_SIZE / sizeof(uint64_t))
#define MAX_REPORTS     8

struct region {
    uint64_t *base;
    uint64_t pages;
};

struct pass_errors {
    uint64_t count;
};

/* Everything from the end of our image to the top of memory, or fill= of it. */
static struct region choose_region(void)
{
    char fill[32];
    uint64_t start = (uint64_t)(uintptr_t)__image_end;
    uint64_t avail = (rt_mem_size() - start) / PV_PAGE_SIZE;
    struct region r = { .base = (uint64_t *)(uintptr_t)start, .pages = avail };

    rt_param_str("fill", fill, sizeof(fill), "all");
    if (strcmp(fill, "all") != 0) {
        uint64_t bytes = rt_param_u64("fill", 0);
        uint64_t pages = bytes / PV_PAGE_SIZE;
        if (pages > avail)
            printf("memcheck: fill=%s is more than the %lu free pages: using them all\n",
                   fill, avail);
        else
            r.pages = pages;
    }
    return r;
}

static void report_bad(uint64_t addr, uint64_t want, uint64_t got, void *ctx)
{
    struct pass_errors *e = ctx;

    if (e->count++ < MAX_REPORTS)
        printf("MEMCHECK FAIL addr=%#lx want=%#lx got=%#lx\n", addr, want, got);
}

static uint64_t fill_region(const struct memcheck_params *p, const struct region *r)
{
    uint64_t csum = MEMCHECK_CSUM_INIT;

    for (uint64_t pg = 0; pg < r->pages; pg += CHUNK_PAGES) {
        uint64_t n = r->pages - pg < CHUNK_PAGES ? r->pages - pg : CHUNK_PAGES;
        csum = memcheck_fill(p, r->base + pg * WORDS_PER_PAGE, n * WORDS_PER_PAGE, csum);
        hc_sched_yield();
    }
    return csum;
}

static uint64_t verify_region(const struct memcheck_params *p, const struct region *r,
                              struct pass_errors *e)
{
    uint64_t csum = MEMCHECK_CSUM_INIT;

    for (uint64_t pg = 0; pg < r->pages; pg += CHUNK_PAGES) {
        uint64_t n = r->pages - pg < CHUNK_PAGES ? r->pages - pg : CHUNK_PAGES;
        csum = memcheck_verify(p, r->base + pg * WORDS_PER_PAGE, n * WORDS_PER_PAGE,
                               csum, report_bad, e);
        hc_sched_yield();
    }
    return csum;
}

int guest_main(void)
{
    struct memcheck_params p = { .seed = rt_param_u64("seed", 1), .domid = rt_domid() };
    uint64_t period = rt_param_u64("period", 1000) * NS_PER_MS;
    struct region r = choose_region();
    uint64_t filled_csum, next_report;

    printf("memcheck: dom%u seed=%lu region %p..%#lx\n", p.domid, p.seed, (void *)r.base,
           (uint64_t)(uintptr_t)r.base + r.pages * PV_PAGE_SIZE);
    filled_csum = fill_region(&p, &r);
    printf("memcheck: filled %lu pages checksum=%#lx\n", r.pages, filled_csum);
    next_report = now_ns();
    for (uint64_t k = 1;; k++) {
        struct pass_errors e = { 0 };
        uint64_t csum = verify_region(&p, &r, &e);
        if (e.count)
            printf("MEMCHECK FAIL pass %lu: %lu bad words checksum=%#lx\n", k, e.count, csum);
        else if (csum != filled_csum)   /* cannot happen without a bad word */
            printf("MEMCHECK FAIL pass %lu checksum=%#lx want %#lx\n", k, csum, filled_csum);
        else if (now_ns() >= next_report) {
            printf("memcheck: pass %lu ok checksum=%#lx\n", k, csum);
            next_report = now_ns() + period;
        }
    }
}
