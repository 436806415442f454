/*
 * Unit tests for boot/multiboot.c: bootinfo_parse() over a host buffer that
 * plays physical memory (pa == offset, NULL outside it).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <baton/bootinfo.h>
#include <baton/errno.h>
#include <baton/printk.h>
#include "harness.h"

#define PHYS_SIZE (1u << 20)

static _Alignas(8) uint8_t phys[PHYS_SIZE];
static size_t map_limit;            /* [0, map_limit) is mappable */
static struct boot_info bi;

static const void *map(paddr_t pa, size_t len)
{
    if (pa > map_limit || len > map_limit - pa)
        return NULL;
    return phys + pa;
}

static int setup(void **state)
{
    (void)state;
    harness_log_clear();
    memset(phys, 0, sizeof(phys));
    map_limit = PHYS_SIZE;
    /* whatever was there before must not survive a parse */
    memset(&bi, 0xa5, sizeof(bi));
    return 0;
}

static void put32(paddr_t pa, uint32_t v)
{
    memcpy(phys + pa, &v, 4);
}

static void put64(paddr_t pa, uint64_t v)
{
    memcpy(phys + pa, &v, 8);
}

static void putstr(paddr_t pa, const char *s)
{
    memcpy(phys + pa, s, strlen(s) + 1);
}

static void check_mem(unsigned int i, uint64_t start, uint64_t size, uint32_t type)
{
    assert_true(i < bi.nr_mem);
    assert_true(bi.mem[i].start == start);
    assert_true(bi.mem[i].size == size);
    assert_int_equal(bi.mem[i].type, type);
}

/* ---------------------------------------------------------------- multiboot1 */

#define MBI1        0x1000
#define MB1_MEM     (1u << 0)
#define MB1_CMDLINE (1u << 2)
#define MB1_MODS    (1u << 3)
#define MB1_MMAP    (1u << 6)
#define MB1_LOADER  (1u << 9)

/* offsets in the multiboot1 information structure */
#define O_FLAGS     0
#define O_MEM_LOWER 4
#define O_MEM_UPPER 8
#define O_CMDLINE   16
#define O_MODS_CNT  20
#define O_MODS_ADDR 24
#define O_MMAP_LEN  44
#define O_MMAP_ADDR 48
#define O_LOADER    64

/* An e820-style entry with the given size field (20 normally); returns the next pa. */
static paddr_t mb1_mmap_entry(paddr_t pa, uint32_t size, uint64_t addr, uint64_t len, uint32_t type)
{
    put32(pa, size);
    put64(pa + 4, addr);
    put64(pa + 12, len);
    put32(pa + 20, type);
    return pa + 4 + size;
}

static void mb1_module(unsigned int i, paddr_t mods, uint32_t start, uint32_t end, uint32_t string)
{
    put32(mods + i * 16, start);
    put32(mods + i * 16 + 4, end);
    put32(mods + i * 16 + 8, string);
    put32(mods + i * 16 + 12, 0);
}

static void test_mb1_full(void **state)
{
    paddr_t pa = 0x3000;
    (void)state;

    put32(MBI1 + O_FLAGS, MB1_MEM | MB1_CMDLINE | MB1_MODS | MB1_MMAP | MB1_LOADER);
    put32(MBI1 + O_MEM_LOWER, 639);
    put32(MBI1 + O_MEM_UPPER, 1000);
    put32(MBI1 + O_CMDLINE, 0x2000);
    putstr(0x2000, "/boot/baton.elf console=com1 loglvl=debug");
    put32(MBI1 + O_LOADER, 0x2100);
    putstr(0x2100, "GRUB 2.06");
    pa = mb1_mmap_entry(pa, 20, 0, 0x9fc00, MEM_RAM);
    pa = mb1_mmap_entry(pa, 24, 0x9fc00, 0x400, MEM_RESERVED);   /* a bigger entry: stride honoured */
    pa = mb1_mmap_entry(pa, 20, 0x100000, 0x7ee0000, MEM_RAM);
    pa = mb1_mmap_entry(pa, 20, 0x100000000ULL, 0x40000000ULL, MEM_ACPI);
    put32(MBI1 + O_MMAP_ADDR, 0x3000);
    put32(MBI1 + O_MMAP_LEN, (uint32_t)(pa - 0x3000));
    put32(MBI1 + O_MODS_CNT, 3);
    put32(MBI1 + O_MODS_ADDR, 0x4000);
    mb1_module(0, 0x4000, 0x200000, 0x280000, 0x4100);
    mb1_module(1, 0x4000, 0x300000, 0x300000, 0);          /* empty, no string */
    mb1_module(2, 0x4000, 0x400000, 0x412345, 0x4200);
    putstr(0x4100, "dom0 kernel console=hvc0");
    putstr(0x4200, "initrd");

    assert_int_equal(bootinfo_parse(&bi, MB1_BOOT_MAGIC, MBI1, map), 0);
    assert_int_equal(bi.protocol, 1);
    assert_string_equal(bi.cmdline, "/boot/baton.elf console=com1 loglvl=debug");
    assert_string_equal(bi.loader, "GRUB 2.06");
    /* the memory map wins over mem_lower/mem_upper */
    assert_int_equal(bi.nr_mem, 4);
    check_mem(0, 0, 0x9fc00, MEM_RAM);
    check_mem(1, 0x9fc00, 0x400, MEM_RESERVED);
    check_mem(2, 0x100000, 0x7ee0000, MEM_RAM);
    check_mem(3, 0x100000000ULL, 0x40000000ULL, MEM_ACPI);
    assert_int_equal(bi.nr_mods, 3);
    assert_true(bi.mods[0].start == 0x200000 && bi.mods[0].end == 0x280000);
    assert_string_equal(bi.mods[0].cmdline, "dom0 kernel console=hvc0");
    assert_true(bi.mods[1].start == 0x300000 && bi.mods[1].end == 0x300000);
    assert_string_equal(bi.mods[1].cmdline, "");
    assert_true(bi.mods[2].start == 0x400000 && bi.mods[2].end == 0x412345);
    assert_string_equal(bi.mods[2].cmdline, "initrd");
}

static void test_mb1_flags_respected(void **state)
{
    (void)state;
    /* fields present but their flags clear: nothing is read */
    put32(MBI1 + O_FLAGS, 0);
    put32(MBI1 + O_CMDLINE, 0x2000);
    putstr(0x2000, "loglvl=debug");
    put32(MBI1 + O_LOADER, 0x2100);
    putstr(0x2100, "GRUB");
    put32(MBI1 + O_MODS_CNT, 1);
    put32(MBI1 + O_MODS_ADDR, 0x4000);
    mb1_module(0, 0x4000, 0x200000, 0x280000, 0);
    put32(MBI1 + O_MEM_LOWER, 639);
    put32(MBI1 + O_MEM_UPPER, 1000);

    assert_int_equal(bootinfo_parse(&bi, MB1_BOOT_MAGIC, MBI1, map), 0);
    assert_int_equal(bi.protocol, 1);
    assert_string_equal(bi.cmdline, "");
    assert_string_equal(bi.loader, "");
    assert_int_equal(bi.nr_mem, 0);
    assert_int_equal(bi.nr_mods, 0);
}

static void test_mb1_mem_only(void **state)
{
    (void)state;
    put32(MBI1 + O_FLAGS, MB1_MEM);
    put32(MBI1 + O_MEM_LOWER, 639);
    put32(MBI1 + O_MEM_UPPER, 0xfffffc00u);    /* large: no 32-bit overflow */

    assert_int_equal(bootinfo_parse(&bi, MB1_BOOT_MAGIC, MBI1, map), 0);
    assert_int_equal(bi.nr_mem, 2);
    check_mem(0, 0, 639 * 1024, MEM_RAM);
    check_mem(1, MiB(1), 0xfffffc00ULL * 1024, MEM_RAM);
    assert_int_equal(bi.nr_mods, 0);
    assert_string_equal(bi.cmdline, "");
}

static void test_mb1_mmap_malformed(void **state)
{
    paddr_t pa = 0x3000;
    (void)state;

    pa = mb1_mmap_entry(pa, 20, 0, 0x9fc00, MEM_RAM);
    pa = mb1_mmap_entry(pa, 20, 0x100000, 0x1000000, MEM_RAM);
    pa = mb1_mmap_entry(pa, 12, 0xdead0000, 0x1000, MEM_RAM);      /* size too small */
    pa = mb1_mmap_entry(pa + 8, 20, 0xbeef0000, 0x1000, MEM_RAM);  /* after it: not read */
    put32(MBI1 + O_FLAGS, MB1_MMAP | MB1_MEM);
    put32(MBI1 + O_MEM_LOWER, 1);
    put32(MBI1 + O_MEM_UPPER, 1);
    put32(MBI1 + O_MMAP_ADDR, 0x3000);
    put32(MBI1 + O_MMAP_LEN, (uint32_t)(pa - 0x3000));

    assert_int_equal(bootinfo_parse(&bi, MB1_BOOT_MAGIC, MBI1, map), 0);
    assert_true(harness_log_has("malformed multiboot1 memory map entry at 0x3030"));
    /* the good entries before it are kept, and mem_lower/upper not used */
    assert_int_equal(bi.nr_mem, 2);
    check_mem(0, 0, 0x9fc00, MEM_RAM);
    check_mem(1, 0x100000, 0x1000000, MEM_RAM);
}

static void test_mb1_mmap_entry_past_length(void **state)
{
    paddr_t pa = 0x3000;
    (void)state;

    pa = mb1_mmap_entry(pa, 20, 0x100000, 0x1000000, MEM_RAM);
    pa = mb1_mmap_entry(pa, 20, 0x2000000, 0x1000000, MEM_RAM);
    put32(MBI1 + O_FLAGS, MB1_MMAP);
    put32(MBI1 + O_MMAP_ADDR, 0x3000);
    /* the length cuts the second entry short */
    put32(MBI1 + O_MMAP_LEN, 24 + 10);
    assert_int_equal(bootinfo_parse(&bi, MB1_BOOT_MAGIC, MBI1, map), 0);
    assert_int_equal(bi.nr_mem, 1);
    check_mem(0, 0x100000, 0x1000000, MEM_RAM);
    assert_true(harness_log_has("malformed"));

    /* a huge size field must not wrap the bound */
    setup(NULL);
    mb1_mmap_entry(0x3000, 0xffffffffu, 0x100000, 0x1000000, MEM_RAM);
    put32(MBI1 + O_FLAGS, MB1_MMAP);
    put32(MBI1 + O_MMAP_ADDR, 0x3000);
    put32(MBI1 + O_MMAP_LEN, 0x1000);
    assert_int_equal(bootinfo_parse(&bi, MB1_BOOT_MAGIC, MBI1, map), 0);
    assert_int_equal(bi.nr_mem, 0);
    assert_true(harness_log_has("malformed"));

    /* a memory map running off the end of memory: stop, no crash */
    setup(NULL);
    put32(MBI1 + O_FLAGS, MB1_MMAP);
    put32(MBI1 + O_MMAP_ADDR, PHYS_SIZE - 24);
    put32(MBI1 + O_MMAP_LEN, 96);
    mb1_mmap_entry(PHYS_SIZE - 24, 20, 0x100000, 0x1000000, MEM_RAM);
    assert_int_equal(bootinfo_parse(&bi, MB1_BOOT_MAGIC, MBI1, map), 0);
    assert_int_equal(bi.nr_mem, 1);
}

static void test_mb1_malformed_mmap_falls_back_to_mem(void **state)
{
    (void)state;
    mb1_mmap_entry(0x3000, 4, 0, 0x9fc00, MEM_RAM);
    put32(MBI1 + O_FLAGS, MB1_MMAP | MB1_MEM);
    put32(MBI1 + O_MEM_LOWER, 640);
    put32(MBI1 + O_MEM_UPPER, 2048);
    put32(MBI1 + O_MMAP_ADDR, 0x3000);
    put32(MBI1 + O_MMAP_LEN, 24);
    assert_int_equal(bootinfo_parse(&bi, MB1_BOOT_MAGIC, MBI1, map), 0);
    assert_int_equal(bi.nr_mem, 2);
    check_mem(0, 0, KiB(640), MEM_RAM);
    check_mem(1, MiB(1), MiB(2), MEM_RAM);
}

static void test_mb1_mmap_too_many(void **state)
{
    paddr_t pa = 0x10000;
    (void)state;

    for (unsigned int i = 0; i < BOOT_MEM_MAX + 5; i++)
        pa = mb1_mmap_entry(pa, 20, (uint64_t)i << 20, 0x1000, MEM_RAM);
    put32(MBI1 + O_FLAGS, MB1_MMAP);
    put32(MBI1 + O_MMAP_ADDR, 0x10000);
    put32(MBI1 + O_MMAP_LEN, (uint32_t)(pa - 0x10000));
    assert_int_equal(bootinfo_parse(&bi, MB1_BOOT_MAGIC, MBI1, map), 0);
    assert_int_equal(bi.nr_mem, BOOT_MEM_MAX);
    check_mem(BOOT_MEM_MAX - 1, (uint64_t)(BOOT_MEM_MAX - 1) << 20, 0x1000, MEM_RAM);
    assert_true(harness_log_has("more than 128 memory map entries"));
}

static void test_mb1_module_end_before_start(void **state)
{
    (void)state;
    put32(MBI1 + O_FLAGS, MB1_MODS);
    put32(MBI1 + O_MODS_CNT, 3);
    put32(MBI1 + O_MODS_ADDR, 0x4000);
    mb1_module(0, 0x4000, 0x200000, 0x280000, 0x4100);
    mb1_module(1, 0x4000, 0x300000, 0x2fffff, 0x4100);
    mb1_module(2, 0x4000, 0x400000, 0x401000, 0x4200);
    putstr(0x4100, "one");
    putstr(0x4200, "three");
    assert_int_equal(bootinfo_parse(&bi, MB1_BOOT_MAGIC, MBI1, map), 0);
    assert_int_equal(bi.nr_mods, 2);
    assert_true(bi.mods[0].start == 0x200000);
    assert_string_equal(bi.mods[0].cmdline, "one");
    assert_true(bi.mods[1].start == 0x400000 && bi.mods[1].end == 0x401000);
    assert_string_equal(bi.mods[1].cmdline, "three");
    assert_true(harness_log_has("ends before it starts"));
}

static void test_mb1_too_many_modules(void **state)
{
    (void)state;
    put32(MBI1 + O_FLAGS, MB1_MODS);
    put32(MBI1 + O_MODS_CNT, 1000000);      /* absurd: must not loop that long or overflow */
    put32(MBI1 + O_MODS_ADDR, 0x4000);
    for (unsigned int i = 0; i < BOOT_MODS_MAX + 4; i++)
        mb1_module(i, 0x4000, 0x100000 * (i + 1), 0x100000 * (i + 1) + 0x1000, 0x8000);
    putstr(0x8000, "m");
    assert_int_equal(bootinfo_parse(&bi, MB1_BOOT_MAGIC, MBI1, map), 0);
    assert_int_equal(bi.nr_mods, BOOT_MODS_MAX);
    for (unsigned int i = 0; i < BOOT_MODS_MAX; i++) {
        assert_true(bi.mods[i].start == 0x100000ULL * (i + 1));
        assert_string_equal(bi.mods[i].cmdline, "m");
    }
    assert_true(harness_log_has("more than 16 modules"));
    /* reported once, not once per module past the limit */
    const char *first = strstr(harness_log(), "more than 16 modules");
    assert_null(strstr(first + 1, "more than 16 modules"));
}

static void test_mb1_modules_unreadable(void **state)
{
    (void)state;
    put32(MBI1 + O_FLAGS, MB1_MODS);
    put32(MBI1 + O_MODS_CNT, 2);
    put32(MBI1 + O_MODS_ADDR, PHYS_SIZE - 16);     /* the second one is past the end */
    mb1_module(0, PHYS_SIZE - 16, 0x200000, 0x201000, 0);
    assert_int_equal(bootinfo_parse(&bi, MB1_BOOT_MAGIC, MBI1, map), 0);
    assert_int_equal(bi.nr_mods, 1);
    assert_true(harness_log_has("module 1 not readable"));
}

static void test_mb1_strings_bounded(void **state)
{
    (void)state;
    /* a command line longer than the buffer, and a loader name running off the end */
    memset(phys + 0x2000, 'x', 5000);
    phys[0x2000 + 5000] = '\0';
    memset(phys + PHYS_SIZE - 10, 'L', 10);
    put32(MBI1 + O_FLAGS, MB1_CMDLINE | MB1_LOADER | MB1_MODS);
    put32(MBI1 + O_CMDLINE, 0x2000);
    put32(MBI1 + O_LOADER, PHYS_SIZE - 10);
    put32(MBI1 + O_MODS_CNT, 1);
    put32(MBI1 + O_MODS_ADDR, 0x4000);
    mb1_module(0, 0x4000, 0x200000, 0x201000, 0x2000);
    assert_int_equal(bootinfo_parse(&bi, MB1_BOOT_MAGIC, MBI1, map), 0);
    assert_int_equal(strlen(bi.cmdline), BOOT_CMDLINE_MAX - 1);
    assert_int_equal(strnlen(bi.loader, BOOT_LOADER_MAX), 10);
    assert_memory_equal(bi.loader, "LLLLLLLLLL", 10);
    assert_int_equal(bi.nr_mods, 1);
    assert_int_equal(strlen(bi.mods[0].cmdline), BOOT_MOD_CMDLINE_MAX - 1);
}

static void test_mb1_unmapped(void **state)
{
    (void)state;
    assert_int_equal(bootinfo_parse(&bi, MB1_BOOT_MAGIC, PHYS_SIZE, map), -BATON_EFAULT);
    assert_int_equal(bootinfo_parse(&bi, MB1_BOOT_MAGIC, PHYS_SIZE - 60, map), -BATON_EFAULT);
    assert_int_equal(bootinfo_parse(&bi, MB1_BOOT_MAGIC, 0xfffffffffffffff0ULL, map), -BATON_EFAULT);
}

/* ---------------------------------------------------------------- multiboot2 */

#define MBI2 0x8000

static paddr_t mb2_off;

static void mb2_begin(void)
{
    mb2_off = MBI2 + 8;
}

/* A tag with this payload; size is 8 + len unless size_override. */
static paddr_t mb2_tag_sized(uint32_t type, const void *payload, uint32_t len, uint32_t size)
{
    paddr_t at = mb2_off;

    put32(at, type);
    put32(at + 4, size);
    memcpy(phys + at + 8, payload, len);
    mb2_off = ALIGN_UP(at + 8 + len, 8);
    return at;
}

static paddr_t mb2_tag(uint32_t type, const void *payload, uint32_t len)
{
    return mb2_tag_sized(type, payload, len, 8 + len);
}

static void mb2_str_tag(uint32_t type, const char *s)
{
    mb2_tag(type, s, (uint32_t)strlen(s) + 1);
}

static void mb2_module(uint32_t start, uint32_t end, const char *s)
{
    uint8_t p[256];
    size_t n = strlen(s) + 1;

    memcpy(p, &start, 4);
    memcpy(p + 4, &end, 4);
    memcpy(p + 8, s, n);
    mb2_tag(3, p, (uint32_t)(8 + n));
}

struct mmap_e { uint64_t addr, len; uint32_t type, zero; };

static void mb2_mmap(uint32_t entry_size, const struct mmap_e *e, unsigned int n)
{
    static uint8_t p[8 + 64 * (BOOT_MEM_MAX + 8)];
    uint32_t ver = 0;

    memset(p, 0, sizeof(p));
    memcpy(p, &entry_size, 4);
    memcpy(p + 4, &ver, 4);
    for (unsigned int i = 0; i < n; i++)
        memcpy(p + 8 + i * entry_size, &e[i], sizeof(e[i]));
    mb2_tag(6, p, 8 + n * entry_size);
}

static void mb2_meminfo(uint32_t lower, uint32_t upper)
{
    uint32_t p[2] = { lower, upper };
    mb2_tag(4, p, 8);
}

/* The end tag and total_size; returns the total. */
static uint32_t mb2_finish(void)
{
    uint32_t total;

    put32(mb2_off, 0);
    put32(mb2_off + 4, 8);
    total = (uint32_t)(mb2_off + 8 - MBI2);
    put32(MBI2, total);
    put32(MBI2 + 4, 0);
    return total;
}

static int parse2(void)
{
    return bootinfo_parse(&bi, MB2_BOOT_MAGIC, MBI2, map);
}

static void test_mb2_full(void **state)
{
    static const struct mmap_e e[] = {
        { 0, 0x9fc00, MEM_RAM, 0 },
        { 0x9fc00, 0x400, MEM_RESERVED, 0 },
        { 0x100000, 0x7ee0000, MEM_RAM, 0 },
        { 0xfffc0000, 0x40000, MEM_RESERVED, 0 },
        { 0x100000000ULL, 0x80000000ULL, MEM_RAM, 0 },
    };
    (void)state;

    mb2_begin();
    mb2_str_tag(1, "build/baton.elf loglvl=debug");
    mb2_str_tag(2, "QEMU");
    mb2_tag(21, "\x01\x02\x03", 3);                      /* unknown tag: skipped */
    mb2_meminfo(639, 130048);                            /* mmap present: not used */
    mb2_module(0x200000, 0x300000, "dom0 console=hvc0");
    mb2_mmap(24, e, ARRAY_SIZE(e));
    mb2_module(0x400000, 0x400800, "");
    mb2_finish();

    assert_int_equal(parse2(), 0);
    assert_int_equal(bi.protocol, 2);
    assert_string_equal(bi.cmdline, "build/baton.elf loglvl=debug");
    assert_string_equal(bi.loader, "QEMU");
    assert_int_equal(bi.nr_mem, ARRAY_SIZE(e));
    for (unsigned int i = 0; i < ARRAY_SIZE(e); i++)
        check_mem(i, e[i].addr, e[i].len, e[i].type);
    assert_int_equal(bi.nr_mods, 2);
    assert_true(bi.mods[0].start == 0x200000 && bi.mods[0].end == 0x300000);
    assert_string_equal(bi.mods[0].cmdline, "dom0 console=hvc0");
    assert_true(bi.mods[1].start == 0x400000 && bi.mods[1].end == 0x400800);
    assert_string_equal(bi.mods[1].cmdline, "");
}

static void test_mb2_meminfo_fallback(void **state)
{
    (void)state;
    mb2_begin();
    mb2_meminfo(639, 130048);
    mb2_str_tag(1, "x");
    mb2_finish();
    assert_int_equal(parse2(), 0);
    assert_int_equal(bi.nr_mem, 2);
    check_mem(0, 0, 639 * 1024, MEM_RAM);
    check_mem(1, MiB(1), 130048ULL * 1024, MEM_RAM);

    /* a meminfo tag too short to hold both fields: nothing */
    setup(NULL);
    mb2_begin();
    mb2_tag(4, "\x01\x00\x00\x00", 4);
    mb2_finish();
    assert_int_equal(parse2(), 0);
    assert_int_equal(bi.nr_mem, 0);

    /* neither: no memory at all, still a successful parse */
    setup(NULL);
    mb2_begin();
    mb2_finish();
    assert_int_equal(parse2(), 0);
    assert_int_equal(bi.nr_mem, 0);
    assert_int_equal(bi.nr_mods, 0);
    assert_string_equal(bi.cmdline, "");
    assert_string_equal(bi.loader, "");
}

static void test_mb2_mmap_entry_size(void **state)
{
    static const struct mmap_e e[] = {
        { 0x100000, 0x1000000, MEM_RAM, 0 },
        { 0x2000000, 0x1000000, MEM_ACPI, 0 },
    };
    (void)state;

    /* larger entries (a newer version): stride honoured */
    mb2_begin();
    mb2_mmap(40, e, 2);
    mb2_finish();
    assert_int_equal(parse2(), 0);
    assert_int_equal(bi.nr_mem, 2);
    check_mem(0, 0x100000, 0x1000000, MEM_RAM);
    check_mem(1, 0x2000000, 0x1000000, MEM_ACPI);

    /* too small, and not a multiple of 8: rejected, and no meminfo fallback */
    static const uint32_t bad[] = { 0, 8, 16, 20, 28, 36, 25 };
    for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
        setup(NULL);
        mb2_begin();
        mb2_meminfo(639, 1024);
        mb2_mmap(bad[i], e, bad[i] >= 24 ? 2 : 0);
        mb2_finish();
        assert_int_equal(parse2(), 0);
        assert_int_equal(bi.nr_mem, 0);
        assert_true(harness_log_has("memory map entry size"));
    }

    /* a trailing partial entry is not read */
    setup(NULL);
    mb2_begin();
    {
        uint8_t p[8 + 24 + 16];
        uint32_t es = 24, ver = 0;
        memcpy(p, &es, 4);
        memcpy(p + 4, &ver, 4);
        memcpy(p + 8, &e[0], 24);
        memcpy(p + 32, &e[1], 16);
        mb2_tag(6, p, sizeof(p));
    }
    mb2_finish();
    assert_int_equal(parse2(), 0);
    assert_int_equal(bi.nr_mem, 1);

    /* a tag too short for the entry size field */
    setup(NULL);
    mb2_begin();
    mb2_tag(6, "\x18\x00\x00\x00", 4);
    mb2_finish();
    assert_int_equal(parse2(), 0);
    assert_int_equal(bi.nr_mem, 0);
    assert_true(harness_log_has("too short"));
}

/*
 * An entry size near 2^32 makes `off + entry_size` wrap in the 32-bit loop
 * bound of mb2_parse_mmap(): entries are then read from outside the tag
 * (and past total_size). The tag below holds no entry at all.
 */
static void test_mb2_mmap_entry_size_wraps(void **state)
{
    static const uint32_t sizes[] = { 0xfffffff0u, 0xfffffff8u };
    (void)state;

    for (unsigned int i = 0; i < ARRAY_SIZE(sizes); i++) {
        uint32_t hdr[2] = { sizes[i], 0 };
        uint32_t total;

        setup(NULL);
        mb2_begin();
        mb2_tag(6, hdr, 8);                 /* size 16: the header, no entries */
        total = mb2_finish();
        /* recognisable bytes just past the structure */
        for (unsigned int k = 0; k < 64; k++)
            phys[MBI2 + total + k] = 0xee;
        assert_int_equal(parse2(), 0);
        assert_int_equal(bi.nr_mem, 0);
    }
}

static void test_mb2_mmap_too_many(void **state)
{
    static struct mmap_e e[BOOT_MEM_MAX + 3];
    (void)state;

    for (unsigned int i = 0; i < ARRAY_SIZE(e); i++)
        e[i] = (struct mmap_e){ (uint64_t)i << 20, 0x1000, MEM_RAM, 0 };
    mb2_begin();
    mb2_mmap(24, e, ARRAY_SIZE(e));
    mb2_finish();
    assert_int_equal(parse2(), 0);
    assert_int_equal(bi.nr_mem, BOOT_MEM_MAX);
    check_mem(BOOT_MEM_MAX - 1, (uint64_t)(BOOT_MEM_MAX - 1) << 20, 0x1000, MEM_RAM);
    assert_true(harness_log_has("more than 128 memory map entries"));
}

static void test_mb2_tag_too_small(void **state)
{
    static const uint32_t sizes[] = { 0, 1, 7 };
    (void)state;

    for (unsigned int i = 0; i < ARRAY_SIZE(sizes); i++) {
        setup(NULL);
        mb2_begin();
        mb2_str_tag(1, "first");
        mb2_tag_sized(1, "", 0, sizes[i]);
        mb2_finish();
        assert_int_equal(parse2(), -BATON_EINVAL);
        assert_true(harness_log_has("has size"));
    }
}

static void test_mb2_tag_past_total(void **state)
{
    uint32_t total;
    paddr_t at;
    (void)state;

    mb2_begin();
    mb2_str_tag(2, "loader");
    at = mb2_tag(1, "abcdefghijklmnop", 17);
    total = mb2_finish();
    /* the command line tag claims to run past total_size */
    put32(at + 4, total - (uint32_t)(at - MBI2) + 1);
    assert_int_equal(parse2(), -BATON_EINVAL);
    assert_true(harness_log_has("has size"));

    /* a size near 2^32 must not wrap the check */
    setup(NULL);
    mb2_begin();
    at = mb2_tag(1, "abc", 4);
    mb2_finish();
    put32(at + 4, 0xfffffff8u);
    assert_int_equal(parse2(), -BATON_EINVAL);

    /* total_size cuts the end tag off: the loop stops at the bound */
    setup(NULL);
    mb2_begin();
    mb2_str_tag(1, "console=com1");
    total = mb2_finish();
    put32(MBI2, total - 8);
    assert_int_equal(parse2(), 0);
    assert_string_equal(bi.cmdline, "console=com1");
}

static void test_mb2_total_size(void **state)
{
    (void)state;
    static const uint32_t bad[] = { 0, 8, 15, (1u << 20) + 1, 0x7fffffffu, 0xffffffffu };

    for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
        setup(NULL);
        mb2_begin();
        mb2_finish();
        put32(MBI2, bad[i]);
        assert_int_equal(parse2(), -BATON_EINVAL);
        assert_true(harness_log_has("multiboot2 info size"));
    }

    /* the minimum: header and end tag */
    setup(NULL);
    mb2_begin();
    assert_int_equal(mb2_finish(), 16);
    assert_int_equal(parse2(), 0);
    assert_int_equal(bi.protocol, 2);
}

static void test_mb2_strings_bounded(void **state)
{
    char long_s[2000];
    (void)state;

    /* unterminated command line: exactly the tag's bytes */
    mb2_begin();
    mb2_tag(1, "hello", 5);
    phys[mb2_off - 3] = 'X';               /* padding after the tag: not part of it */
    mb2_tag(2, "GRUB", 4);
    mb2_module(0x200000, 0x201000, "m");
    mb2_finish();
    assert_int_equal(parse2(), 0);
    assert_string_equal(bi.cmdline, "hello");
    assert_string_equal(bi.loader, "GRUB");
    assert_string_equal(bi.mods[0].cmdline, "m");

    /* longer than our buffers: truncated and terminated */
    setup(NULL);
    memset(long_s, 'a', sizeof(long_s) - 1);
    long_s[sizeof(long_s) - 1] = '\0';
    mb2_begin();
    mb2_str_tag(1, long_s);
    mb2_str_tag(2, long_s);
    {
        static uint8_t p[8 + 2000];
        uint32_t s = 0x200000, e = 0x300000;
        memcpy(p, &s, 4);
        memcpy(p + 4, &e, 4);
        memset(p + 8, 'm', sizeof(p) - 8);      /* unterminated too */
        mb2_tag(3, p, sizeof(p));
    }
    mb2_finish();
    assert_int_equal(parse2(), 0);
    assert_int_equal(strlen(bi.cmdline), BOOT_CMDLINE_MAX - 1);
    assert_int_equal(strlen(bi.loader), BOOT_LOADER_MAX - 1);
    assert_int_equal(bi.nr_mods, 1);
    assert_int_equal(strlen(bi.mods[0].cmdline), BOOT_MOD_CMDLINE_MAX - 1);

    /* empty string tags (size 8) */
    setup(NULL);
    mb2_begin();
    mb2_tag(1, "", 0);
    mb2_tag(2, "", 0);
    mb2_finish();
    assert_int_equal(parse2(), 0);
    assert_string_equal(bi.cmdline, "");
    assert_string_equal(bi.loader, "");
}

static void test_mb2_modules(void **state)
{
    (void)state;
    mb2_begin();
    mb2_module(0x200000, 0x1fffff, "backwards");        /* ignored */
    mb2_tag(3, "\x00\x00\x20\x00", 4);                  /* too short: ignored */
    for (unsigned int i = 0; i < BOOT_MODS_MAX + 2; i++)
        mb2_module(0x1000000 * (i + 1), 0x1000000 * (i + 1) + 0x1000, "mod");
    mb2_finish();
    assert_int_equal(parse2(), 0);
    assert_int_equal(bi.nr_mods, BOOT_MODS_MAX);
    for (unsigned int i = 0; i < BOOT_MODS_MAX; i++) {
        assert_true(bi.mods[i].start == 0x1000000ULL * (i + 1));
        assert_true(bi.mods[i].end == 0x1000000ULL * (i + 1) + 0x1000);
        assert_string_equal(bi.mods[i].cmdline, "mod");
    }
    assert_true(harness_log_has("ends before it starts"));
    assert_true(harness_log_has("module tag too short"));
    assert_true(harness_log_has("more than 16 modules"));
}

static void test_mb2_end_tag_stops(void **state)
{
    (void)state;
    mb2_begin();
    mb2_str_tag(1, "before");
    put32(mb2_off, 0);                  /* an end tag in the middle */
    put32(mb2_off + 4, 8);
    mb2_off += 8;
    mb2_str_tag(1, "after");
    mb2_module(0x200000, 0x300000, "after");
    mb2_finish();
    assert_int_equal(parse2(), 0);
    assert_string_equal(bi.cmdline, "before");
    assert_int_equal(bi.nr_mods, 0);
}

static void test_mb2_unmapped(void **state)
{
    (void)state;
    /* the header itself */
    assert_int_equal(bootinfo_parse(&bi, MB2_BOOT_MAGIC, PHYS_SIZE - 4, map), -BATON_EFAULT);
    assert_int_equal(bootinfo_parse(&bi, MB2_BOOT_MAGIC, 0xfffffffffffffffcULL, map),
                     -BATON_EFAULT);
    /* the header maps but total_size runs past what is mapped */
    setup(NULL);
    mb2_begin();
    mb2_str_tag(1, "console=com1");
    mb2_finish();
    map_limit = MBI2 + 16;
    assert_int_equal(parse2(), -BATON_EFAULT);
}

static void test_unknown_magic(void **state)
{
    (void)state;
    mb2_begin();
    mb2_finish();
    assert_int_equal(bootinfo_parse(&bi, 0, MBI2, map), -BATON_EINVAL);
    assert_int_equal(bootinfo_parse(&bi, 0x1badb002, MBI2, map), -BATON_EINVAL);   /* header magic */
    assert_int_equal(bootinfo_parse(&bi, 0xe85250d6, MBI2, map), -BATON_EINVAL);
    assert_true(harness_log_has("unknown boot magic 0x1badb002"));
    assert_int_equal(bi.protocol, 0);
    assert_int_equal(bi.nr_mem, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_mb1_full, setup),
        cmocka_unit_test_setup(test_mb1_flags_respected, setup),
        cmocka_unit_test_setup(test_mb1_mem_only, setup),
        cmocka_unit_test_setup(test_mb1_mmap_malformed, setup),
        cmocka_unit_test_setup(test_mb1_mmap_entry_past_length, setup),
        cmocka_unit_test_setup(test_mb1_malformed_mmap_falls_back_to_mem, setup),
        cmocka_unit_test_setup(test_mb1_mmap_too_many, setup),
        cmocka_unit_test_setup(test_mb1_module_end_before_start, setup),
        cmocka_unit_test_setup(test_mb1_too_many_modules, setup),
        cmocka_unit_test_setup(test_mb1_modules_unreadable, setup),
        cmocka_unit_test_setup(test_mb1_strings_bounded, setup),
        cmocka_unit_test_setup(test_mb1_unmapped, setup),
        cmocka_unit_test_setup(test_mb2_full, setup),
        cmocka_unit_test_setup(test_mb2_meminfo_fallback, setup),
        cmocka_unit_test_setup(test_mb2_mmap_entry_size, setup),
        cmocka_unit_test_setup(test_mb2_mmap_entry_size_wraps, setup),
        cmocka_unit_test_setup(test_mb2_mmap_too_many, setup),
        cmocka_unit_test_setup(test_mb2_tag_too_small, setup),
        cmocka_unit_test_setup(test_mb2_tag_past_total, setup),
        cmocka_unit_test_setup(test_mb2_total_size, setup),
        cmocka_unit_test_setup(test_mb2_strings_bounded, setup),
        cmocka_unit_test_setup(test_mb2_modules, setup),
        cmocka_unit_test_setup(test_mb2_end_tag_stops, setup),
        cmocka_unit_test_setup(test_mb2_unmapped, setup),
        cmocka_unit_test_setup(test_unknown_magic, setup),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
