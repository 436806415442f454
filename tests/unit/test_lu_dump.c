/*
 * tools/lu-dump on streams the writer made: saved as pages + MFN array, as
 * a raw physical memory dump (pmemsave) and as an ELF core
 * (dump-guest-memory) whose PT_LOAD segments are out of physical order in
 * the file. LU_DUMP_BIN is the built tool (set by tests/unit/lu.mk).
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

#include <baton/errno.h>
#include <baton/lu_stream.h>
#include "harness.h"
#include "../fuzz/lu_fixture.h"

#define PHYS_SIZE ((uint64_t)FX_PAGES * PAGE_SIZE)
#define BC_PA     (FX_BOOTMEM_MFN * PAGE_SIZE)

struct ctx {
    struct lu_host_pool fp;
    struct lu_writer w;
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
        const uint8_t *p = fx_phys_addr(&c->fp, a);

        if (!page_is_zero(p))
            write_all(fd, p, PAGE_SIZE, off + (off_t)(a - pa));
    }
}

static void save_pages(struct ctx *c)
{
    int fd = create(c, "pages");
    uint8_t zero[PAGE_SIZE] = { 0 };

    for (uint64_t i = 0; i < c->w.nr_pages; i++)
        write_all(fd, fx_phys_addr(&c->fp, c->w.mfns[i] * PAGE_SIZE), PAGE_SIZE,
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

static int setup(void **state)
{
    struct ctx *c = calloc(1, sizeof(*c));
    struct domain doms[3];
    struct lu_breadcrumb *bc;

    assert_non_null(c);
    fx_phys_init(&c->fp);
    assert_int_equal(fx_register(), 0);
    fx_domain_init(&doms[0], 0, 1, 1);
    fx_domain_init(&doms[1], 3, 2, 2);
    fx_domain_init(&doms[2], 9, 4, 3);
    bc = fx_phys_addr(&c->fp, BC_PA);
    assert_int_equal(lu_writer_init(&c->w, &c->fp.ops), 0);
    assert_int_equal(fx_write_stream(&c->w, doms, 3), 0);
    assert_int_equal(lu_writer_finish(&c->w, bc), 0);
    strcpy(c->dir, "/tmp/lu-dump-test.XXXXXX");
    assert_non_null(mkdtemp(c->dir));
    save_pages(c);
    save_raw(c);
    save_elf(c);
    *state = c;
    return 0;
}

static int teardown(void **state)
{
    struct ctx *c = *state;
    char cmd[256];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", c->dir);
    assert_int_equal(system(cmd), 0);
    lu_writer_free(&c->w);
    fx_phys_fini(&c->fp);
    free(c);
    return 0;
}

/* Run lu-dump with arguments (file names relative to the temp dir). */
static int run(struct ctx *c, const char *fmt, ...)
{
    char args[512], cmd[1024];
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

    snprintf(line, sizeof(line), "LU stream version %u (compat 1), written by Baton 4.2-fx",
             LU_STREAM_VERSION);
    expect_text(c, line);
    expect_text(c, "time: tsc_hz 2400000000 tsc 0x123456789a stime_ns 987654321000");
    expect_text(c, "3 domains");
    expect_text(c, "domain 0: domid 0 type 1 (PV) page_shift 12 max_vcpus 1 privileged");
    expect_text(c, "domain 2: domid 9 type 1 (PV) page_shift 12 max_vcpus 4\n");
    expect_text(c, "handle 90919293-9495-9697-9899-9a9b9c9d9e9f ssidref 0x19");
    expect_text(c, "memory: 3 extents, 14 pages, p2m_size 0x102");
    expect_text(c, "gpfn 0x100 -> mfn 0x58 count 0x2");   /* domain 2: 16 + 64 + 8 */
    expect_text(c, "0xff01 vcpu 3 length");
}

static void test_pages(void **state)
{
    struct ctx *c = *state;

    assert_int_equal(run(c, "--pages pages --mfns mfns"), 0);
    check_decoded(c);
}

static void test_raw_dump(void **state)
{
    struct ctx *c = *state;
    char line[96];

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

    assert_int_equal(run(c, "--memdump core.elf --breadcrumb %llu", (unsigned long long)BC_PA), 0);
    check_decoded(c);
}

/* The JSON parses, and says what the text says. */
static void test_json(void **state)
{
    struct ctx *c = *state;
    char check[512];

    snprintf(check, sizeof(check),
             "--json --memdump core.elf --breadcrumb 0x1000 | python3 -c '"
             "import json,sys; d=json.load(sys.stdin); "
             "assert d[\"stream_version\"] == %u, d; "
             "assert [x[\"domid\"] for x in d[\"domains\"]] == [0, 3, 9]; "
             "assert d[\"domains\"][0][\"privileged\"] and not d[\"domains\"][1][\"privileged\"]; "
             "assert d[\"domains\"][2][\"extents\"][2] == {\"gpfn\": 256, \"mfn\": 88, \"count\": 2}; "
             "e = d[\"domains\"][2][\"context\"][\"entries\"]; "
             "assert [x[\"vcpu\"] for x in e if x[\"type\"] == 0xff01] == [0, 1, 2, 3]; "
             "print(\"json ok\")'", LU_STREAM_VERSION);
    assert_int_equal(run(c, "%s", check), 0);
    expect_text(c, "json ok");
}

static void test_bad_stream(void **state)
{
    struct ctx *c = *state;
    const uint64_t zero = 0;

    /* LU_TIME.tsc_hz: after the VERSION record (64 octets) and TIME's header. */
    memcpy(fx_phys_addr(&c->fp, c->w.mfns[0] * PAGE_SIZE + 72), &zero, sizeof(zero));
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
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_pages), T(test_raw_dump), T(test_elf_core), T(test_json), T(test_bad_stream),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
