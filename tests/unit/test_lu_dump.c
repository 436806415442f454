/*
 * tools/lu-dump on streams the real writer made from real domains, saved by
 * the real context handlers ($(domctx-handler-srcs), linked here as in
 * lu-dump): as pages + MFN array, as a raw physical memory dump (pmemsave),
 * as an ELF core (dump-guest-memory) whose PT_LOAD segments are out of
 * physical order in the file, and as one contiguous stream. lu-dump decodes
 * every domain as restore does, so it must refuse what restore refuses: an
 * unknown type without IGNORE, a VCPU a handler refuses, an event channel
 * whose peer does not point back. LU_DUMP_BIN is the built tool (set by
 * tests/unit/lu.mk).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <elf.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/wait.h>
#include <cmocka.h>

#include <baton/arch.h>
#include <baton/domain.h>
#include <baton/domctx.h>
#include <baton/errno.h>
#include <baton/lu_stream.h>
#include "domain_maps.h"
#include "harness.h"
#include "../../tools/lib/lu_host.h"

/* Fake physical memory: frames 0 .. PAGES-1 at physical address 0. */
#define PAGES         4096u
#define BOOTMEM_MFN   1u      /* the breadcrumb's frame */
#define DOM_MFN       16u     /* domain k's memory: DOM_PAGES frames from DOM_MFN + k * DOM_PAGES */
#define DOM_PAGES     512u    /* 2 MiB, the least a PV domain has */
#define STREAM_MFN    1600u   /* single frames, handed out scattered (stride 37) */
#define STREAM_PAGES  2000u
#define CONTIG_MFN    3600u   /* the MFN array */
#define CONTIG_PAGES  496u
#define PHYS_SIZE     ((uint64_t)PAGES * PAGE_SIZE)
#define BC_PA         (BOOTMEM_MFN * PAGE_SIZE)

#define NR_DOMS       3
#define TIME_BASE     1000000u
#define TYPE_EXTRA    0xff05u /* a type this build does not load */

static const uint16_t domids[NR_DOMS] = { 0, 3, 9 };
static const unsigned int nr_vcpus[NR_DOMS] = { 1, 2, 4 };

struct ctx {
    struct lu_host_pool fp;
    struct lu_writer w;
    bool written;
    struct domain *d[NR_DOMS];
    char dir[64];
    char out[1 << 16];
};

static void path(const struct ctx *c, char *buf, const char *name)
{
    snprintf(buf, 256, "%s/%s", c->dir, name);
}

static void write_all(int fd, const void *p, size_t n, off_t off)
{
    assert_int_equal(pwrite(fd, p, n, off), (ssize_t)n);
}

static int create(const struct ctx *c, const char *name)
{
    char p[256];
    int fd;

    path(c, p, name);
    fd = open(p, O_CREAT | O_TRUNC | O_WRONLY, 0644);
    assert_true(fd >= 0);
    return fd;
}

static bool page_is_zero(const uint8_t *p)
{
    for (size_t i = 0; i < PAGE_SIZE; i++)
        if (p[i])
            return false;
    return true;
}

/* Physical memory [pa, pa + len) at file offset off; sparse. */
static void write_phys(struct ctx *c, int fd, uint64_t pa, uint64_t len, off_t off)
{
    for (uint64_t a = pa; a < pa + len; a += PAGE_SIZE) {
        const uint8_t *p = lu_host_pool_addr(&c->fp, a);

        if (!page_is_zero(p))
            write_all(fd, p, PAGE_SIZE, off + (off_t)(a - pa));
    }
}

static void save_pages(struct ctx *c)
{
    int fd = create(c, "pages");
    uint8_t zero[PAGE_SIZE] = { 0 };

    for (uint64_t i = 0; i < c->w.nr_pages; i++)
        write_all(fd, lu_host_pool_addr(&c->fp, c->w.mfns[i] * PAGE_SIZE), PAGE_SIZE,
                  (off_t)(i * PAGE_SIZE));
    close(fd);
    /* The whole MFN array page: entries beyond the stream are zero. */
    fd = create(c, "mfns");
    write_all(fd, zero, PAGE_SIZE, 0);
    write_all(fd, c->w.mfns, c->w.nr_pages * sizeof(uint64_t), 0);
    close(fd);
}

static void save_raw(struct ctx *c)
{
    int fd = create(c, "pmemsave.raw");

    write_phys(c, fd, 0, PHYS_SIZE, 0);
    assert_int_equal(ftruncate(fd, (off_t)PHYS_SIZE), 0);
    close(fd);
}

/* An ELF core with a PT_NOTE and two PT_LOADs, the upper half of memory
 * first in the file, as a crash tool might lay it out. */
static void save_elf(struct ctx *c)
{
    const uint64_t half = PHYS_SIZE / 2, data = PAGE_SIZE;
    Elf64_Ehdr eh = {
        .e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64, ELFDATA2LSB, EV_CURRENT },
        .e_type = ET_CORE, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
        .e_phoff = sizeof(Elf64_Ehdr), .e_ehsize = sizeof(Elf64_Ehdr),
        .e_phentsize = sizeof(Elf64_Phdr), .e_phnum = 3,
    };
    Elf64_Phdr ph[3] = {
        { .p_type = PT_NOTE, .p_offset = data - 64, .p_filesz = 0 },
        { .p_type = PT_LOAD, .p_offset = data, .p_paddr = half, .p_filesz = half, .p_memsz = half },
        { .p_type = PT_LOAD, .p_offset = data + half, .p_paddr = 0, .p_filesz = half, .p_memsz = half },
    };
    int fd = create(c, "core.elf");

    write_all(fd, &eh, sizeof(eh), 0);
    write_all(fd, ph, sizeof(ph), sizeof(eh));
    write_phys(c, fd, half, half, (off_t)data);
    write_phys(c, fd, 0, half, (off_t)(data + half));
    assert_int_equal(ftruncate(fd, (off_t)(data + PHYS_SIZE)), 0);
    close(fd);
}

/* ------------------------------------------------------------ domains */

/*
 * Three good domains, as the hypervisor holds them, in the real domain
 * table: d0 (privileged, 1 vCPU), d3 (2) and d9 (4), each with 2 MiB in two
 * extents and its console port. d0 port 2 <-> d3 port 2 is an interdomain
 * channel; d3 grants d0 its frame 0x100 (ref 0), which d0 maps in window
 * slot 0; d9 has VIRQ_TIMER bound on vCPU 1 and a timer pending there; d0
 * has a partial console line.
 */
static void build_domains(struct ctx *c)
{
    for (unsigned int i = 0; i < CONFIG_MAX_DOMAINS; i++)
        memset(domain_slot(i), 0, sizeof(struct domain));
    for (unsigned int k = 0; k < NR_DOMS; k++) {
        struct domain *d = domain_claim_slot(domids[k]);
        uint64_t base = DOM_MFN + (uint64_t)k * DOM_PAGES;

        assert_non_null(d);
        c->d[k] = d;
        d->state = DOMAIN_ALIVE;
        snprintf(d->name, sizeof(d->name), "dom%u", d->domid);
        d->pause_count = 1;             /* the saver's own */
        d->privileged = d->domid == 0;
        d->time_base_ns = TIME_BASE;
        d->nr_vcpus = nr_vcpus[k];
        for (unsigned int i = 0; i < sizeof(d->handle); i++)
            d->handle[i] = (uint8_t)(d->domid * 16 + i);
        d->extents[0] = (struct mem_extent){ 0, base + DOM_PAGES / 2, DOM_PAGES / 2 };
        d->extents[1] = (struct mem_extent){ DOM_PAGES / 2, base, DOM_PAGES / 2 };
        d->nr_extents = 2;
        d->mem_size = (uint64_t)DOM_PAGES << PAGE_SHIFT;
        for (unsigned int v = 0; v < d->nr_vcpus; v++) {
            arch_vcpu_init_regs(&d->vcpus[v], PV_KERNEL_BASE + v * 0x10,
                                d->mem_size - v * PAGE_SIZE, v);
            d->vcpus[v].state = VCPU_RUNNABLE;
        }
        assert_int_equal(evtchn_init_domain(d), 0);
        assert_int_equal(d->console_port, 1);
    }
    c->d[0]->evtchn[2] = (struct evtchn){ .state = EVTCHNSTAT_interdomain, .remote_dom = 3,
                                          .remote_port = 2 };
    c->d[1]->evtchn[2] = (struct evtchn){ .state = EVTCHNSTAT_interdomain, .remote_dom = 0,
                                          .remote_port = 2 };
    c->d[1]->grants[0] = (struct grant_entry){ .in_use = true, .grantee = 0, .gpfn = 0x100,
                                               .map_count = 1 };
    c->d[0]->gnt_maps[0] = (struct grant_mapping){ .in_use = true, .granter = 3, .ref = 0 };
    c->d[2]->evtchn[2] = (struct evtchn){ .state = EVTCHNSTAT_virq, .virq = VIRQ_TIMER, .vcpu = 1 };
    maps_port_written(c->d[0], 2);
    maps_port_written(c->d[1], 2);
    maps_grant_written(c->d[1], 0);
    maps_slot_written(c->d[0], 0);
    maps_port_written(c->d[2], 2);
    c->d[2]->vcpus[1].virq_port[VIRQ_TIMER] = 2;
    c->d[2]->vcpus[1].timer_deadline = TIME_BASE + 5000;
    strcpy(c->d[0]->console.line, "boot: partial");
    c->d[0]->console.line_len = strlen(c->d[0]->console.line);
}

/* A type this build does not load, saved for d3 only (test_unknown_*). */
static int save_extra(struct domain *d, unsigned int vcpu, struct domctx_save_ctx *sc)
{
    const uint64_t v = 0x5a5a;

    (void)vcpu;
    return d->domid == 3 ? domctx_save_entry(sc, &v, sizeof(v)) : 0;
}

static void register_extra(void)
{
    assert_int_equal(domctx_register(TYPE_EXTRA, "TEST_EXTRA", 0, sizeof(uint64_t),
                                     save_extra, NULL), 0);
}

/* ------------------------------------------------------------ the stream */

/* The stream's octets, in MFN array order (malloc'd). */
static uint8_t *linearize(struct ctx *c, size_t *len)
{
    uint8_t *buf = malloc(c->w.nr_pages * PAGE_SIZE);

    assert_non_null(buf);
    for (uint64_t i = 0; i < c->w.nr_pages; i++)
        memcpy(buf + i * PAGE_SIZE, lu_host_pool_addr(&c->fp, c->w.mfns[i] * PAGE_SIZE),
               PAGE_SIZE);
    *len = c->w.nr_pages * PAGE_SIZE;
    return buf;
}

/* Body of the n-th record of a type in a linear stream, or NULL. */
static uint8_t *find_record(uint8_t *buf, size_t len, uint32_t type, unsigned int n,
                            uint32_t *blen)
{
    size_t off = 0;

    while (off + sizeof(struct lu_rec_hdr) <= len) {
        struct lu_rec_hdr h;

        memcpy(&h, buf + off, sizeof(h));
        if (h.type == type && n-- == 0) {
            *blen = h.body_length;
            return buf + off + sizeof(h);
        }
        if (h.type == LU_REC_END)
            break;
        off += sizeof(h) + ALIGN_UP((uint64_t)h.body_length, LU_REC_ALIGN);
    }
    return NULL;
}

static void save_stream(struct ctx *c, const uint8_t *buf, size_t len)
{
    int fd = create(c, "stream");

    write_all(fd, buf, len, 0);
    close(fd);
}

/* The domains as they are now, through the real writer, saved every way. */
static void write_stream(struct ctx *c)
{
    struct lu_writer *w = &c->w;
    uint8_t *buf;
    size_t len;

    assert_int_equal(lu_writer_init(w, &c->fp.ops), 0);
    c->written = true;
    assert_int_equal(lu_write_version(w, 4, 2, "-ld"), 0);
    assert_int_equal(lu_write_time(w, 2400000000ull, 0x123456789aull, 987654321000ull), 0);
    for (unsigned int k = 0; k < NR_DOMS; k++) {
        const struct domain *d = c->d[k];
        struct lu_rec_domain_info info = {
            .type = LU_DOMAIN_TYPE_PV, .page_shift = PAGE_SHIFT, .domid = d->domid,
            .ssidref = 0x10 + d->domid, .max_vcpus = d->nr_vcpus,
            .extra_flags = d->privileged ? LU_DOMAIN_EXTRA_PRIVILEGED : 0,
        };
        struct lu_extent ext[2];

        memcpy(info.handle, d->handle, sizeof(info.handle));
        for (unsigned int i = 0; i < 2; i++)
            ext[i] = (struct lu_extent){ d->extents[i].gpfn, d->extents[i].mfn,
                                         d->extents[i].count };
        assert_int_equal(lu_write_domain_info(w, &info), 0);
        assert_int_equal(lu_write_domain_memory(w, ext, 2), 0);
        assert_int_equal(lu_write_domain_context(w, c->d[k], d->nr_vcpus), 0);
    }
    assert_int_equal(lu_write_end(w), 0);
    assert_int_equal(lu_writer_finish(w, lu_host_pool_addr(&c->fp, BC_PA)), 0);
    save_pages(c);
    save_raw(c);
    save_elf(c);
    buf = linearize(c, &len);
    save_stream(c, buf, len);
    free(buf);
}

static int setup(void **state)
{
    struct ctx *c = calloc(1, sizeof(*c));

    assert_non_null(c);
    lu_host_pool_init(&c->fp, 0, PAGES, STREAM_MFN, STREAM_PAGES, 37, CONTIG_MFN, CONTIG_PAGES);
    domctx_unregister_all();
    assert_int_equal(domctx_init(), 0);
    build_domains(c);
    strcpy(c->dir, "/tmp/lu-dump-test.XXXXXX");
    assert_non_null(mkdtemp(c->dir));
    *state = c;
    return 0;
}

static int teardown(void **state)
{
    struct ctx *c = *state;
    char cmd[256];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", c->dir);
    assert_int_equal(system(cmd), 0);
    if (c->written)
        lu_writer_free(&c->w);
    lu_host_pool_fini(&c->fp);
    domctx_unregister_all();
    free(c);
    return 0;
}

/* Run lu-dump with arguments (file names relative to the temp dir). */
static int run(struct ctx *c, const char *fmt, ...)
{
    char args[2048], cmd[4096];
    va_list ap;
    FILE *p;
    size_t n;
    int status;

    va_start(ap, fmt);
    vsnprintf(args, sizeof(args), fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof(cmd), "cd '%s' && '%s' %s 2>&1", c->dir, LU_DUMP_BIN, args);
    p = popen(cmd, "r");
    assert_non_null(p);
    n = fread(c->out, 1, sizeof(c->out) - 1, p);
    c->out[n] = 0;
    status = pclose(p);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static void expect_text(const struct ctx *c, const char *text)
{
    if (!strstr(c->out, text))
        fail_msg("lu-dump output lacks \"%s\":\n%s", text, c->out);
}

static void check_decoded(struct ctx *c)
{
    char line[128];

    snprintf(line, sizeof(line), "LU stream version %u (compat 1), written by Baton 4.2-ld",
             LU_STREAM_VERSION);
    expect_text(c, line);
    expect_text(c, "time: tsc_hz 2400000000 tsc 0x123456789a stime_ns 987654321000");
    expect_text(c, "3 domains");
    expect_text(c, "domain 0: domid 0 type 1 (PV) page_shift 12 max_vcpus 1 privileged");
    expect_text(c, "domain 2: domid 9 type 1 (PV) page_shift 12 max_vcpus 4\n");
    expect_text(c, "handle 90919293-9495-9697-9899-9a9b9c9d9e9f ssidref 0x19");
    expect_text(c, "memory: 2 extents, 512 pages, p2m_size 0x200");
    expect_text(c, "gpfn 0x100 -> mfn 0x410 count 0x100");     /* domain 2: 16 + 2 * 512 */
    /* every entry decoded, under the name its handler registered */
    expect_text(c, "DOMAIN 0x0002 vcpu 0 length 64: name \"dom3\" state 1 shutdown_reason 0 "
                   "pause_count 0 flags 0x0 time_base_ns 1000000");
    expect_text(c, "VCPU 0x0003 vcpu 3 length 200: state 1 rip 0x100030 rsp 0x1fd000 "
                   "rflags 0x202 cs 0x23 ss 0x1b");
    expect_text(c, "EVTCHN 0x0004 vcpu 0 length 24: port 1 state 2 remote_dom 32754 remote_port 0");
    expect_text(c, "EVTCHN 0x0004 vcpu 0 length 24: port 2 state 2 remote_dom 3 remote_port 2");
    expect_text(c, "EVTCHN 0x0004 vcpu 0 length 24: port 2 state 3 remote_dom 0 remote_port 0 "
                   "virq 0 vcpu 1");
    expect_text(c, "GRANT 0x0005 vcpu 0 length 16: ref 0 grantee 0 flags 0x0 gpfn 0x100");
    expect_text(c, "GRANT_MAP 0x0006 vcpu 0 length 16: slot 0 granter 3 readonly 0 ref 0");
    expect_text(c, "TIMER 0x0007 vcpu 1 length 8: deadline_ns 1005000");
    expect_text(c, "line_len 13 line \"boot: partial\"");
}

static void test_pages(void **state)
{
    struct ctx *c = *state;

    write_stream(c);
    assert_int_equal(run(c, "--pages pages --mfns mfns"), 0);
    check_decoded(c);
}

static void test_raw_dump(void **state)
{
    struct ctx *c = *state;
    char line[96];

    write_stream(c);
    assert_int_equal(run(c, "--memdump pmemsave.raw --breadcrumb 0x%llx",
                         (unsigned long long)BC_PA), 0);
    check_decoded(c);
    snprintf(line, sizeof(line), "MFN array at 0x%llx",
             (unsigned long long)(c->w.mfns_mfn << PAGE_SHIFT));
    expect_text(c, line);
}

static void test_elf_core(void **state)
{
    struct ctx *c = *state;

    write_stream(c);
    assert_int_equal(run(c, "--memdump core.elf --breadcrumb %llu", (unsigned long long)BC_PA), 0);
    check_decoded(c);
}

static void test_stream(void **state)
{
    struct ctx *c = *state;

    write_stream(c);
    assert_int_equal(run(c, "--stream stream"), 0);
    check_decoded(c);
}

/* The JSON parses, and says what the text says. */
static void test_json(void **state)
{
    struct ctx *c = *state;
    char check[1024];

    write_stream(c);
    snprintf(check, sizeof(check),
             "--json --memdump core.elf --breadcrumb 0x1000 | python3 -c '"
             "import json,sys; d=json.load(sys.stdin); "
             "assert d[\"stream_version\"] == %u, d; "
             "assert [x[\"domid\"] for x in d[\"domains\"]] == [0, 3, 9]; "
             "assert d[\"domains\"][0][\"privileged\"] and not d[\"domains\"][1][\"privileged\"]; "
             "assert d[\"domains\"][2][\"extents\"][1] == {\"gpfn\": 256, \"mfn\": 1040, \"count\": 256}; "
             "e = d[\"domains\"][2][\"context\"][\"entries\"]; "
             "v = [x for x in e if x[\"name\"] == \"VCPU\"]; "
             "assert [x[\"vcpu\"] for x in v] == [0, 1, 2, 3]; "
             "assert v[2][\"fields\"][\"rip\"] == 0x100020 and v[2][\"fields\"][\"cs\"] == 0x23; "
             "e = d[\"domains\"][0][\"context\"][\"entries\"]; "
             "assert [x[\"fields\"][\"name\"] for x in e if x[\"type\"] == 2] == [\"dom0\"]; "
             "assert [x[\"fields\"][\"line\"] for x in e if x[\"name\"] == \"CONSOLE\"] == [\"boot: partial\"]; "
             "print(\"json ok\")'", LU_STREAM_VERSION);
    assert_int_equal(run(c, "%s", check), 0);
    expect_text(c, "json ok");
}

/* A type this build has no load handler for, not marked IGNORE: the
 * hypervisor's reader refuses it, so lu-dump does; --framing-only shows it. */
static void test_unknown_mandatory(void **state)
{
    struct ctx *c = *state;

    register_extra();
    write_stream(c);
    assert_int_equal(run(c, "--stream stream"), 1);
    expect_text(c, "lu-dump: invalid stream (-95): domid 3 LU_DOMAIN_CONTEXT: entry 0xff05 at offset ");
    expect_text(c, "unknown type, expected a type this build loads or the IGNORE flag");
    assert_int_equal(run(c, "--json --pages pages --mfns mfns"), 1);
    expect_text(c, "{\"error\": \"domid 3 LU_DOMAIN_CONTEXT: entry 0xff05 at offset ");
    assert_int_equal(run(c, "--framing-only --stream stream"), 0);
    expect_text(c, "    0xff05 vcpu 0 length 8: 5a 5a 00 00 00 00 00 00\n");
}

/* The same entry marked IGNORE: skipped by every loader, so accepted. */
static void test_unknown_ignored(void **state)
{
    struct ctx *c = *state;
    uint8_t *buf, *ctx;
    uint32_t blen = 0;
    size_t len;

    register_extra();
    write_stream(c);
    buf = linearize(c, &len);
    ctx = find_record(buf, len, LU_REC_DOMAIN_CONTEXT, 1, &blen);
    assert_non_null(ctx);
    assert_int_equal(domctx_set_ignore(ctx, blen, TYPE_EXTRA), 1);
    save_stream(c, buf, len);
    free(buf);
    assert_int_equal(run(c, "--stream stream"), 0);
    expect_text(c, "    0xff05 vcpu 0 IGNORE length 8: 5a 5a 00 00 00 00 00 00\n");
    expect_text(c, "3 domains");
}

/* A VCPU the load handler refuses: the domain and the entry are named. */
static void test_vcpu_bad_cs(void **state)
{
    struct ctx *c = *state;

    c->d[1]->vcpus[1].arch.regs.cs = 0x10;      /* a hypervisor selector */
    write_stream(c);
    assert_int_equal(run(c, "--pages pages --mfns mfns"), 1);
    expect_text(c, "lu-dump: invalid stream (-22): refused by this build's restore: "
                   "d3 vcpu 1 VCPU: cs/ss not the ring-3 selectors 0x23/0x1b (rip 0x100010 cs 0x10 ss 0x1b");
    expect_text(c, "domctx: load VCPU vcpu 1 at offset ");
    assert_int_equal(run(c, "--json --stream stream"), 1);
    expect_text(c, "{\"error\": \"refused by this build's restore: d3 vcpu 1 VCPU: cs/ss not");
    expect_text(c, "\"code\": -22}");
    /* framing only: no handler looks at it */
    assert_int_equal(run(c, "--framing-only --stream stream"), 0);
    expect_text(c, "VCPU 0x0003 vcpu 1 length 200: state 1 rip 0x100010 rsp 0x1ff000 rflags 0x202 cs 0x10");
}

/* Each end loads, but d0's interdomain port is not pointed back at: the
 * cross-domain check refuses it once every domain is decoded. */
static void test_evtchn_peer(void **state)
{
    struct ctx *c = *state;

    c->d[1]->evtchn[2] = (struct evtchn){ .state = EVTCHNSTAT_unbound, .remote_dom = 0 };
    write_stream(c);
    assert_int_equal(run(c, "--memdump pmemsave.raw --breadcrumb 0x1000"), 1);
    expect_text(c, "lu-dump: invalid stream (-22): refused by this build's restore: "
                   "d0 port 2: interdomain to d3 port 2, which does not point back");
}

static void test_bad_stream(void **state)
{
    struct ctx *c = *state;
    const uint64_t zero = 0;

    write_stream(c);
    /* LU_TIME.tsc_hz: after the VERSION record (64 octets) and TIME's header. */
    memcpy(lu_host_pool_addr(&c->fp, c->w.mfns[0] * PAGE_SIZE + 72), &zero, sizeof(zero));
    save_raw(c);
    assert_int_equal(run(c, "--memdump pmemsave.raw --breadcrumb 0x1000"), 1);
    expect_text(c, "lu-dump: invalid stream (-22): LU_TIME tsc_hz is 0, expected the TSC frequency (non-zero)");
    assert_int_equal(run(c, "--json --memdump pmemsave.raw --breadcrumb 0x1000"), 1);
    expect_text(c, "{\"error\": \"LU_TIME tsc_hz is 0, expected the TSC frequency (non-zero)\", \"code\": -22}");
    /* No breadcrumb there: a cold boot, said plainly. */
    assert_int_equal(run(c, "--memdump pmemsave.raw --breadcrumb 0x2000"), 1);
    expect_text(c, "no breadcrumb: magic 0x0, expected 0x4c69766555706000");
    /* The pages file and the MFN array must agree in size. */
    assert_int_equal(run(c, "--pages mfns --mfns pages"), 2);
    expect_text(c, "lu-dump: pages: non-zero entry beyond the 1 pages of mfns");
    assert_int_equal(run(c, "--pages pages"), 2);
    expect_text(c, "usage: lu-dump");
    expect_text(c, "--framing-only");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_pages), T(test_raw_dump), T(test_elf_core), T(test_stream), T(test_json),
        T(test_unknown_mandatory), T(test_unknown_ignored), T(test_vcpu_bad_cs),
        T(test_evtchn_peer), T(test_bad_stream),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
