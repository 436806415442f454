/*
 * lu-bench: cost of the live update handover stream (common/lu) against
 * the number of domains D, extents per domain E and guest memory per domain
 * M. Guest memory is only described by extents, never touched: the extents
 * are synthetic, non-overlapping, inside a synthetic RAM map; only the
 * stream frames are backed by host memory.
 *
 *   lu-bench --list          the configurations, one per line, in order
 *   lu-bench --callgrind [--only N]
 *                            write and open each configuration (or only
 *                            number N of --list) once, for callgrind:
 *                            --toggle-collect=bench_write and bench_open,
 *                            --dump-after=do_write and do_open
 *   lu-bench [--instr FILE]  time each operation natively and print the
 *                            table; FILE holds "TRIGGER INSTRUCTIONS" per
 *                            callgrind dump (do_write or do_open), in
 *                            --callgrind order
 *
 * scripts/bench-stream.sh (make bench) runs both passes. See docs/benchmarks.md.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <baton/errno.h>
#include <baton/lu_stream.h>
#include <baton/printk.h>
#include "../lib/host_shim.h"
#include "../lib/lu_host.h"

/* ------------------------------------------------------------ configurations */

static const unsigned int doms_set[] = { 1, 4, 16, 64 };
static const unsigned int exts_set[] = { 1, 16, 256 };
static const uint64_t mem_set[] = { MiB(64), GiB(4), GiB(64) };

#define NR_D ARRAY_SIZE(doms_set)
#define NR_E ARRAY_SIZE(exts_set)
#define NR_M ARRAY_SIZE(mem_set)
#define NR_CONFIGS (NR_D * NR_E * NR_M)

struct config {
    unsigned int doms, exts;
    uint64_t mem;          /* octets per domain */
};

static struct config config_at(unsigned int i)
{
    return (struct config){
        .doms = doms_set[i / (NR_E * NR_M)],
        .exts = exts_set[i / NR_M % NR_E],
        .mem = mem_set[i % NR_M],
    };
}

static const char *mem_label(uint64_t mem)
{
    static char buf[16];

    if (mem >= GiB(1))
        snprintf(buf, sizeof(buf), "%llu GiB", (unsigned long long)(mem >> 30));
    else
        snprintf(buf, sizeof(buf), "%llu MiB", (unsigned long long)(mem >> 20));
    return buf;
}

/* ------------------------------------------------------------ synthetic machine */

/*
 * Physical memory: a PC-like RAM map; the hypervisor image and the LU
 * bootmem reserved; stream frames from a host-backed pool at 1 GiB
 * (tools/lib/lu_host.c; single frames one after the other, so the stream is
 * contiguous and vmap costs a check per frame, like installing one PTE
 * each); domain memory from 4 GiB on, never backed. 64 domains of 64 GiB fit in the 8 TiB above 4 GiB.
 */
#define SINGLE_MFN   (GiB(1) >> PAGE_SHIFT)
#define SINGLE_PAGES 2048u
#define CONTIG_MFN   (SINGLE_MFN + SINGLE_PAGES)
#define CONTIG_PAGES 64u
#define POOL_PAGES   (SINGLE_PAGES + CONTIG_PAGES)
#define DOMAIN_MFN   (GiB(4) >> PAGE_SHIFT)

static const struct lu_range ram_map[] = {
    { 0, 0x9f000 },
    { MiB(1), GiB(3) },
    { GiB(4), GiB(4) + GiB(8192) },
};
static const struct lu_range reserved_map[] = {
    { MiB(2), MiB(16) },   /* the hypervisor image */
    { MiB(16), MiB(80) },  /* the LU bootmem */
};

/* Single frames with stride 1: consecutive, so the stream maps in place. */
static void pool_init(struct lu_host_pool *p)
{
    lu_host_pool_init(p, SINGLE_MFN, POOL_PAGES, SINGLE_MFN, SINGLE_PAGES, 1,
                      CONTIG_MFN, CONTIG_PAGES);
}

/*
 * Scratch for the reader's overlap check: a bump arena, as the next build
 * has before it hands RAM to its allocator (malloc's heuristics would add
 * noise from one configuration to the next).
 */
#define SCRATCH_SIZE MiB(4)

static struct {
    uint8_t *base;
    size_t top;
} scratch;

static void *rd_scratch_alloc(void *priv, size_t size)
{
    size_t at = scratch.top;

    (void)priv;
    if (size > SCRATCH_SIZE - at)
        return NULL;
    scratch.top = ALIGN_UP(at + size, 64);
    return scratch.base + at;
}

/* Last in, first out. */
static void rd_scratch_free(void *priv, void *ptr, size_t size)
{
    (void)priv;
    (void)size;
    if (ptr)
        scratch.top = (size_t)((uint8_t *)ptr - scratch.base);
}

static void scratch_init(void)
{
    scratch.base = aligned_alloc(PAGE_SIZE, SCRATCH_SIZE);
    if (!scratch.base)
        die("no memory for the scratch arena");
    memset(scratch.base, 0, SCRATCH_SIZE);
}

/* ------------------------------------------------------------ domains */

/* Stand-ins for the context a real domain saves: 2 vCPUs of registers
 * and one domain-wide entry (test typecodes). */
#define NR_VCPUS       2
#define TYPE_BENCH_DOM  0xff10u
#define TYPE_BENCH_VCPU 0xff11u

struct bench_vcpu {
    uint64_t regs[32];     /* 256 octets: GPRs, segments, control state */
};
struct bench_dom {
    uint64_t words[8];     /* 64 octets */
};

struct domain {
    struct bench_dom dom;
    struct bench_vcpu vcpu[NR_VCPUS];
};

static int save_dom(struct domain *d, unsigned int vcpu, struct domctx_save_ctx *c)
{
    (void)vcpu;
    return domctx_save_entry(c, &d->dom, sizeof(d->dom));
}

static int save_vcpu(struct domain *d, unsigned int vcpu, struct domctx_save_ctx *c)
{
    return domctx_save_entry(c, &d->vcpu[vcpu], sizeof(d->vcpu[vcpu]));
}

/* Never called: validation only wants every type to be loadable. */
static int load_any(struct domain *d, unsigned int vcpu, const struct domctx_entry *e)
{
    (void)d;
    (void)vcpu;
    (void)e;
    return 0;
}

static void register_types(void)
{
    if (domctx_register(TYPE_BENCH_DOM, "BENCH_DOM", 0, sizeof(struct bench_dom),
                        save_dom, load_any) ||
        domctx_register(TYPE_BENCH_VCPU, "BENCH_VCPU", DOMCTX_PER_VCPU,
                        sizeof(struct bench_vcpu), save_vcpu, load_any))
        die("cannot register the context types");
}

/* ------------------------------------------------------------ one configuration */

struct bench {
    struct config cfg;
    struct lu_host_pool pool;
    struct domain *doms;
    struct lu_rec_domain_info *info;
    struct lu_extent *ext;         /* cfg.exts per domain, by domain */
    struct lu_writer w;
    struct lu_breadcrumb bc;
    struct lu_reader r;
    struct lu_stream *s;
};

/*
 * Domain k owns frames [base, base + pages + exts) at 4 GiB + k * stride.
 * Extent i covers pages / exts frames; guest frames ascend with a
 * one-frame hole between extents, machine frames descend with a one-frame
 * gap, so no two extents could be merged and the reader sorts for real.
 */
static void make_extents(const struct config *c, unsigned int k, struct lu_extent *ext)
{
    uint64_t pages = c->mem >> PAGE_SHIFT, per = pages / c->exts;
    uint64_t base = DOMAIN_MFN + k * (pages + 2 * c->exts);

    for (unsigned int i = 0; i < c->exts; i++)
        ext[i] = (struct lu_extent){
            .gpfn = i * (per + 1),
            .mfn = base + (uint64_t)(c->exts - 1 - i) * (per + 1),
            .count = per,
        };
}

static void make_domain(struct bench *b, unsigned int k)
{
    struct lu_rec_domain_info *in = &b->info[k];
    struct domain *d = &b->doms[k];

    memset(in, 0, sizeof(*in));
    in->type = LU_DOMAIN_TYPE_PV;
    in->page_shift = PAGE_SHIFT;
    in->domid = (uint16_t)k;
    for (unsigned int i = 0; i < LU_DOMAIN_HANDLE_LEN; i++)
        in->handle[i] = (uint8_t)(k * 16 + i);
    in->max_vcpus = NR_VCPUS;
    in->extra_flags = k ? 0 : LU_DOMAIN_EXTRA_PRIVILEGED;
    for (unsigned int i = 0; i < ARRAY_SIZE(d->dom.words); i++)
        d->dom.words[i] = k * 0x100 + i;
    for (unsigned int v = 0; v < NR_VCPUS; v++)
        for (unsigned int i = 0; i < ARRAY_SIZE(d->vcpu[v].regs); i++)
            d->vcpu[v].regs[i] = (uint64_t)k << 32 | v << 16 | i;
    make_extents(&b->cfg, k, &b->ext[(size_t)k * b->cfg.exts]);
}

static void bench_setup(struct bench *b, const struct config *c)
{
    memset(b, 0, sizeof(*b));
    b->cfg = *c;
    pool_init(&b->pool);
    b->doms = calloc(c->doms, sizeof(*b->doms));
    b->info = calloc(c->doms, sizeof(*b->info));
    b->ext = calloc((size_t)c->doms * c->exts, sizeof(*b->ext));
    b->s = calloc(1, sizeof(*b->s));
    if (!b->doms || !b->info || !b->ext || !b->s)
        die("no memory for %u domains of %u extents", c->doms, c->exts);
    for (unsigned int k = 0; k < c->doms; k++)
        make_domain(b, k);
    lu_host_reader(&b->r, &b->pool.phys);
    b->r.scratch_alloc = rd_scratch_alloc;
    b->r.scratch_free = rd_scratch_free;
    b->r.ram = ram_map;
    b->r.nr_ram = ARRAY_SIZE(ram_map);
    b->r.reserved = reserved_map;
    b->r.nr_reserved = ARRAY_SIZE(reserved_map);
}

static void bench_teardown(struct bench *b)
{
    lu_writer_free(&b->w);
    lu_host_pool_fini(&b->pool);
    free(b->doms);
    free(b->info);
    free(b->ext);
    free(b->s);
}

/* ------------------------------------------------------------ measured phases */

static double now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* Callgrind counts these by name: keep them external and out of line. */
int bench_write(struct bench *b) __attribute__((noinline));
int bench_open(struct bench *b) __attribute__((noinline));
/* callgrind dumps after each of these (--dump-after): one dump per phase */
double do_write(struct bench *b) __attribute__((noinline));
double do_open(struct bench *b) __attribute__((noinline));

static int write_domain(struct bench *b, unsigned int k)
{
    struct lu_writer *w = &b->w;
    int rc;

    rc = lu_write_domain_info(w, &b->info[k]);
    if (!rc)
        rc = lu_write_domain_memory(w, &b->ext[(size_t)k * b->cfg.exts], b->cfg.exts);
    if (!rc)
        rc = lu_write_domain_context(w, &b->doms[k], NR_VCPUS);
    return rc;
}

/* The whole save of the stream: lu_writer_init through lu_writer_finish. */
int bench_write(struct bench *b)
{
    struct lu_writer *w = &b->w;
    int rc;

    rc = lu_writer_init(w, &b->pool.ops);
    if (!rc)
        rc = lu_write_version(w, 1, 0, "-bench");
    if (!rc)
        rc = lu_write_time(w, 2400000000ull, 0x123456789aull, 987654321000ull);
    for (unsigned int k = 0; !rc && k < b->cfg.doms; k++)
        rc = write_domain(b, k);
    if (!rc)
        rc = lu_write_end(w);
    if (!rc)
        rc = lu_writer_finish(w, &b->bc);
    return rc;
}

/* What the next build does first: breadcrumb to a validated stream. */
int bench_open(struct bench *b)
{
    return lu_stream_open(&b->r, &b->bc, b->s);
}

static void check(const struct bench *b, const char *what, int rc)
{
    if (rc)
        die("%s: D=%u E=%u M=%s: error %d%s%s", what, b->cfg.doms, b->cfg.exts,
            mem_label(b->cfg.mem), rc, b->s->error[0] ? ": " : "", b->s->error);
}

/* One write from scratch; only bench_write() itself is timed. */
double do_write(struct bench *b)
{
    double t0, t1;

    lu_writer_free(&b->w);
    lu_host_pool_reset(&b->pool);
    t0 = now_ns();
    check(b, "write", bench_write(b));
    t1 = now_ns();
    return t1 - t0;
}

/* One open of the stream last written; closing is not timed. */
double do_open(struct bench *b)
{
    double t0, t1;

    t0 = now_ns();
    check(b, "open", bench_open(b));
    t1 = now_ns();
    if (b->s->nr_domains != b->cfg.doms)
        die("open: %u domains, expected %u", b->s->nr_domains, b->cfg.doms);
    lu_stream_close(&b->r, b->s);
    return t1 - t0;
}

/* ------------------------------------------------------------ wall time */

#define TIME_BUDGET_NS 20000000.0  /* per operation and configuration */
#define SAMPLES_MIN    5
#define SAMPLES_MAX    2001

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* Median of repeated runs: robust against the first touch and preemption. */
static double time_op(struct bench *b, double (*op)(struct bench *))
{
    static double v[SAMPLES_MAX];
    double spent = 0;
    unsigned int n = 0;

    while (n < SAMPLES_MAX && (n < SAMPLES_MIN || spent < TIME_BUDGET_NS)) {
        v[n] = op(b);
        spent += v[n++];
    }
    qsort(v, n, sizeof(v[0]), cmp_double);
    return v[n / 2];
}

/* ------------------------------------------------------------ report */

struct result {
    struct config cfg;
    uint64_t bytes, pages;
    uint64_t write_instr, open_instr;  /* 0: not measured */
    double write_ns, open_ns;
};

static void read_instr(const char *path, struct result *res)
{
    FILE *f = fopen(path, "r");
    char fn[64];
    unsigned long long n;

    if (!f)
        die("%s: cannot open", path);
    for (unsigned int i = 0; i < 2 * NR_CONFIGS; i++) {
        const char *want = i % 2 ? "do_open" : "do_write";

        if (fscanf(f, "%63s %llu", fn, &n) != 2 || strcmp(fn, want) || !n)
            die("%s: dump %u is not %s with a count", path, i + 1, want);
        if (i % 2)
            res[i / 2].open_instr = n;
        else
            res[i / 2].write_instr = n;
    }
    if (fscanf(f, "%63s", fn) == 1)
        die("%s: more than %u dumps", path, (unsigned int)(2 * NR_CONFIGS));
    fclose(f);
}

static void print_instr(uint64_t n)
{
    if (n)
        printf(" %12llu", (unsigned long long)n);
    else
        printf(" %12s", "n/a");
}

static void print_table(const struct result *res)
{
    printf("%3s %4s %7s %7s %8s %5s %12s %9s %12s %9s\n", "D", "E", "M/dom", "extents",
           "bytes", "pages", "write instr", "write us", "open instr", "open us");
    for (unsigned int i = 0; i < NR_CONFIGS; i++) {
        const struct result *r = &res[i];

        printf("%3u %4u %7s %7u %8llu %5llu", r->cfg.doms, r->cfg.exts, mem_label(r->cfg.mem),
               r->cfg.doms * r->cfg.exts, (unsigned long long)r->bytes,
               (unsigned long long)r->pages);
        print_instr(r->write_instr);
        printf(" %9.2f", r->write_ns / 1e3);
        print_instr(r->open_instr);
        printf(" %9.2f\n", r->open_ns / 1e3);
    }
}

static const struct result *find(const struct result *res, unsigned int d, unsigned int e,
                                  uint64_t m)
{
    for (unsigned int i = 0; i < NR_CONFIGS; i++)
        if (res[i].cfg.doms == d && res[i].cfg.exts == e && res[i].cfg.mem == m)
            return &res[i];
    die("no configuration D=%u E=%u", d, e);
}

struct spread {
    double lo, hi;
};

static void widen(struct spread *s, double x)
{
    s->lo = MIN(s->lo, x);
    s->hi = MAX(s->hi, x);
}

/* Largest over smallest memory, for every (D, E): instructions. */
static void memory_ratios(const struct result *res, struct spread *w, struct spread *o)
{
    *w = *o = (struct spread){ 1e30, 0 };
    for (unsigned int d = 0; d < NR_D; d++) {
        for (unsigned int e = 0; e < NR_E; e++) {
            const struct result *big = find(res, doms_set[d], exts_set[e], mem_set[NR_M - 1]);
            const struct result *small = find(res, doms_set[d], exts_set[e], mem_set[0]);

            widen(w, (double)big->write_instr / small->write_instr);
            widen(o, (double)big->open_instr / small->open_instr);
        }
    }
}

static void print_spread(const char *what, struct spread s)
{
    if (s.hi - s.lo < 0.005)
        printf("%s %.2fx", what, s.lo);
    else
        printf("%s %.2fx-%.2fx", what, s.lo, s.hi);
}

/* Marginal instructions per extent (D max, E min -> max) and per domain. */
static void print_growth(const struct result *res)
{
    uint64_t m = mem_set[0];
    unsigned int dmax = doms_set[NR_D - 1], emax = exts_set[NR_E - 1];
    const struct result *one = find(res, doms_set[0], exts_set[0], m);
    const struct result *few = find(res, dmax, exts_set[0], m);
    const struct result *all = find(res, dmax, emax, m);
    double dext = (double)dmax * (emax - exts_set[0]);
    double ddom = (double)(dmax - doms_set[0]);

    printf("growth (M=%s): D*E %u -> %u: write %.0fx, open %.0fx; ", mem_label(m),
           doms_set[0] * exts_set[0], dmax * emax,
           (double)all->write_instr / one->write_instr,
           (double)all->open_instr / one->open_instr);
    printf("per extent: write %.0f, open %.0f instructions; per domain (E=%u): write %.0f, open %.0f\n",
           (all->write_instr - (double)few->write_instr) / dext,
           (all->open_instr - (double)few->open_instr) / dext, exts_set[0],
           (few->write_instr - (double)one->write_instr) / ddom,
           (few->open_instr - (double)one->open_instr) / ddom);
}

/* Instructions per extent at the largest E, for each D: the shape of growth. */
static void print_per_extent(const struct result *res)
{
    unsigned int emax = exts_set[NR_E - 1];

    printf("per extent at E=%u, D=", emax);
    for (unsigned int d = 0; d < NR_D; d++)
        printf("%s%u", d ? "/" : "", doms_set[d]);
    for (unsigned int op = 0; op < 2; op++) {
        printf("%s", op ? "; open" : ": write");
        for (unsigned int d = 0; d < NR_D; d++) {
            const struct result *r = find(res, doms_set[d], emax, mem_set[0]);
            double n = op ? (double)r->open_instr : (double)r->write_instr;

            printf("%s%.0f", d ? "/" : " ", n / ((double)doms_set[d] * emax));
        }
    }
    printf(" instructions\n");
}

static void print_verdict(const struct result *res)
{
    struct spread w, o;
    bool flat;

    if (!res[0].write_instr) {
        printf("verdict: no instruction counts (run under callgrind: make bench)\n");
        return;
    }
    print_growth(res);
    print_per_extent(res);
    memory_ratios(res, &w, &o);
    flat = w.lo > 0.99 && w.hi < 1.01 && o.lo > 0.99 && o.hi < 1.01;
    printf("verdict: cost ratio %s / ", mem_label(mem_set[NR_M - 1]));
    printf("%s over %u (D, E) points: ", mem_label(mem_set[0]), (unsigned int)(NR_D * NR_E));
    print_spread("write", w);
    print_spread(", open", o);
    printf(" (%s)\n", flat ? "independent of memory size" : "DEPENDS ON MEMORY SIZE");
}

/* ------------------------------------------------------------ passes */

/* Every configuration, or only number only (from --list, 0-based). */
static void run_callgrind(int only)
{
    struct bench b;

    for (unsigned int i = 0; i < NR_CONFIGS; i++) {
        struct config c = config_at(i);

        if (only >= 0 && i != (unsigned int)only)
            continue;
        bench_setup(&b, &c);
        do_write(&b);
        do_open(&b);
        bench_teardown(&b);
    }
}

static void run_native(const char *instr_path)
{
    static struct result res[NR_CONFIGS];
    struct bench b;

    for (unsigned int i = 0; i < NR_CONFIGS; i++) {
        res[i].cfg = config_at(i);
        bench_setup(&b, &res[i].cfg);
        res[i].write_ns = time_op(&b, do_write);
        res[i].open_ns = time_op(&b, do_open);
        res[i].bytes = b.w.bytes;
        res[i].pages = b.w.nr_pages;
        bench_teardown(&b);
    }
    if (instr_path)
        read_instr(instr_path, res);
    print_table(res);
    print_verdict(res);
}

int main(int argc, char **argv)
{
    const char *instr = NULL;
    bool list = false, cg = false;
    int only = -1;

    host_tool_name = "lu-bench";

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--list"))
            list = true;
        else if (!strcmp(argv[i], "--callgrind"))
            cg = true;
        else if (!strcmp(argv[i], "--only") && i + 1 < argc)
            only = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--instr") && i + 1 < argc)
            instr = argv[++i];
        else if (!strcmp(argv[i], "-v"))
            host_tool_verbose = true;
        else
            die("usage: lu-bench [-v] [--list | --callgrind [--only N] | --instr FILE]");
    }
    if (list) {
        for (unsigned int i = 0; i < NR_CONFIGS; i++) {
            struct config c = config_at(i);

            printf("%u D=%u E=%u M=%s\n", i, c.doms, c.exts, mem_label(c.mem));
        }
        return 0;
    }
    register_types();
    scratch_init();
    if (cg)
        run_callgrind(only);
    else
        run_native(instr);
    return 0;
}
