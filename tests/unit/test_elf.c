/*
 * Unit tests for common/elf.c: elf_check on ELF64 images built in memory
 * (a valid one, then one defect at a time, boundaries included) and
 * elf_load into a fake domain whose memory is host machine memory
 * (core_fakes.h, through the real common/guest_access.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <baton/domain.h>
#include <baton/domain_build.h>
#include <baton/errno.h>
#include "core_fakes.h"
#include "harness.h"

struct ehdr {
    uint8_t  e_ident[16];
    uint16_t e_type, e_machine;
    uint32_t e_version;
    uint64_t e_entry, e_phoff, e_shoff;
    uint32_t e_flags;
    uint16_t e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx;
};
_Static_assert(sizeof(struct ehdr) == 64, "ELF64 header");

struct phdr {
    uint32_t p_type, p_flags;
    uint64_t p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_align;
};
_Static_assert(sizeof(struct phdr) == 56, "ELF64 program header");

#define PT_LOAD   1
#define PT_NOTE   4
#define MEM_SIZE  MiB(4)
#define ENTRY     UINT64_C(0x100010)
#define SEG0_OFF  0x1000u
#define SEG0_VA   UINT64_C(0x100000)
#define SEG0_FILE 0x100u
#define SEG0_MEM  0x2000u
#define SEG1_OFF  0x1100u
#define SEG1_VA   UINT64_C(0x200000)
#define SEG1_FILE 0x80u
#define IMG_SIZE  (SEG1_OFF + SEG1_FILE)

static uint8_t img[16384];
static size_t img_size;

/* The header and program header i, read and written in place. */
static struct ehdr *eh(void)
{
    return (struct ehdr *)(void *)img;
}

static struct phdr *ph(unsigned int i)
{
    return (struct phdr *)(void *)(img + eh()->e_phoff + i * sizeof(struct phdr));
}

/* Two PT_LOAD segments: text with a bss tail at 1 MiB, data at 2 MiB. */
static void build_valid(void)
{
    memset(img, 0, sizeof(img));
    *eh() = (struct ehdr){
        .e_ident = { 0x7f, 'E', 'L', 'F', 2, 1, 1 },
        .e_type = 2, .e_machine = 62, .e_version = 1,
        .e_entry = ENTRY, .e_phoff = 64, .e_ehsize = 64,
        .e_phentsize = 56, .e_phnum = 2,
    };
    *ph(0) = (struct phdr){ .p_type = PT_LOAD, .p_flags = 5, .p_offset = SEG0_OFF,
                            .p_vaddr = SEG0_VA, .p_paddr = SEG0_VA, .p_filesz = SEG0_FILE,
                            .p_memsz = SEG0_MEM, .p_align = 0x1000 };
    *ph(1) = (struct phdr){ .p_type = PT_LOAD, .p_flags = 6, .p_offset = SEG1_OFF,
                            .p_vaddr = SEG1_VA, .p_paddr = SEG1_VA, .p_filesz = SEG1_FILE,
                            .p_memsz = SEG1_FILE, .p_align = 0x1000 };
    for (unsigned int i = 0; i < SEG0_FILE + SEG1_FILE; i++)
        img[SEG0_OFF + i] = (uint8_t)(i * 7 + 1);
    img_size = IMG_SIZE;
}

static int setup(void **state)
{
    (void)state;
    harness_log_clear();
    core_fake_reset();
    build_valid();
    return 0;
}

/* elf_check on the current image; a failure must leave *entry alone. */
static int check(void)
{
    uint64_t entry = 0xdeadbeef;
    int rc = elf_check(img, img_size, MEM_SIZE, &entry);

    if (rc)
        assert_int_equal(entry, 0xdeadbeef);
    else
        assert_int_equal(entry, eh()->e_entry);
    return rc;
}

/* Rejected, with this text in the log. */
static void expect_reject(const char *why)
{
    harness_log_clear();
    assert_int_equal(check(), -BATON_EINVAL);
    if (!harness_log_has(why))
        fail_msg("log lacks '%s': %s", why, harness_log());
}

static void expect_ok(void)
{
    harness_log_clear();
    assert_int_equal(check(), 0);
    assert_string_equal(harness_log(), "");
}

/* --------------------------------------------------------------- header */

static void test_valid(void **state)
{
    uint64_t entry = 0;

    (void)state;
    assert_int_equal(elf_check(img, img_size, MEM_SIZE, &entry), 0);
    assert_int_equal(entry, ENTRY);
    assert_string_equal(harness_log(), "");
}

static void test_too_small(void **state)
{
    (void)state;
    img_size = 63;
    expect_reject("63 bytes is too small");
    img_size = 0;
    expect_reject("0 bytes is too small");
    img_size = 64;                     /* a header, but no room for the phdrs */
    expect_reject("program headers");
}

static void test_bad_magic(void **state)
{
    (void)state;
    for (unsigned int i = 0; i < 4; i++) {
        build_valid();
        img[i] ^= 0x20;
        expect_reject("no ELF magic");
    }
}

static void test_wrong_kind(void **state)
{
    (void)state;
    img[4] = 1;                         /* ELFCLASS32 */
    expect_reject("class 1 data 1 machine 62 type 2");
    build_valid();
    img[5] = 2;                         /* big-endian */
    expect_reject("class 2 data 2 machine 62 type 2");
    build_valid();
    eh()->e_machine = 3;                /* i386 */
    expect_reject("machine 3 type 2");
    build_valid();
    eh()->e_type = 3;                   /* ET_DYN */
    expect_reject("machine 62 type 3");
    build_valid();
    eh()->e_type = 1;                   /* ET_REL */
    expect_reject("type 1");
}

static void test_phentsize(void **state)
{
    (void)state;
    eh()->e_phentsize = 64;
    expect_reject("program headers (offset 0x40, 2 of 64 bytes)");
    eh()->e_phentsize = 55;
    expect_reject("program headers");
    eh()->e_phentsize = 0;
    expect_reject("program headers");
}

static void test_phnum(void **state)
{
    (void)state;
    eh()->e_phnum = 0;
    expect_reject("program headers (offset 0x40, 0 of 56 bytes)");
    /* 64 headers fit the file (the extra ones are PT_NULL): accepted */
    assert_true(64 + 64 * sizeof(struct phdr) <= SEG0_OFF);
    eh()->e_phnum = 64;
    expect_ok();
    assert_true(64 + 65 * sizeof(struct phdr) <= SEG0_OFF);
    eh()->e_phnum = 65;
    expect_reject("65 of 56 bytes");
    eh()->e_phnum = 0xffff;
    expect_reject("program headers");
}

static void test_phoff_past_end(void **state)
{
    (void)state;
    eh()->e_phoff = img_size + 1;
    expect_reject("program headers");
    eh()->e_phoff = img_size;
    expect_reject("program headers");
    eh()->e_phoff = UINT64_C(0x8000000000000000);
    expect_reject("program headers");
}

static void test_phdrs_straddle_end(void **state)
{
    (void)state;
    /* exactly fits: the file ends with the last program header (segments
     * point into the header bytes, which is fine for a check) */
    ph(0)->p_offset = 0;
    ph(0)->p_filesz = 64;
    ph(1)->p_offset = 0;
    ph(1)->p_filesz = 64;
    img_size = 64 + 2 * sizeof(struct phdr);
    expect_ok();
    img_size--;
    expect_reject("do not fit the 175-byte file");
    img_size = IMG_SIZE;
    build_valid();
    eh()->e_phoff = img_size - sizeof(struct phdr);   /* room for 1 of 2 */
    memcpy(img + eh()->e_phoff, img + 64, sizeof(struct phdr));
    expect_reject("program headers");
}

static void test_phoff_overflow(void **state)
{
    (void)state;
    /* phoff + phnum * 56 wraps to a small number */
    eh()->e_phoff = (uint64_t)0 - 2 * sizeof(struct phdr);
    expect_reject("program headers");
    eh()->e_phoff = (uint64_t)0 - 1;
    eh()->e_phnum = 1;
    expect_reject("program headers");
}

/* ------------------------------------------------------------- segments */

static void test_filesz_over_memsz(void **state)
{
    (void)state;
    ph(0)->p_memsz = SEG0_FILE - 1;
    expect_reject("elf: segment at 0x100000: 256 file bytes");
    ph(0)->p_memsz = SEG0_FILE;          /* equal is fine */
    expect_ok();
}

static void test_file_bytes_past_end(void **state)
{
    (void)state;
    ph(1)->p_filesz = SEG1_FILE + 1;
    ph(1)->p_memsz = SEG1_FILE + 1;
    expect_reject("segment at 0x200000: 129 file bytes at offset 0x1100");
    ph(1)->p_filesz = SEG1_FILE;
    ph(1)->p_offset = SEG1_OFF + 1;
    expect_reject("segment at 0x200000");
    ph(1)->p_offset = img_size + 1;
    ph(1)->p_filesz = 0;
    expect_reject("segment at 0x200000");
    ph(1)->p_offset = img_size;          /* empty, at the very end: fine */
    expect_ok();
}

static void test_file_bytes_overflow(void **state)
{
    (void)state;
    /* offset + filesz wraps around to just inside the file */
    ph(0)->p_offset = SEG0_OFF;
    ph(0)->p_filesz = (uint64_t)0 - SEG0_OFF + 0x10;
    ph(0)->p_memsz = UINT64_MAX;
    expect_reject("segment at 0x100000");
    build_valid();
    ph(0)->p_offset = UINT64_MAX;
    ph(0)->p_filesz = 2;
    expect_reject("segment at 0x100000");
}

static void test_vaddr_below_kernel_base(void **state)
{
    (void)state;
    ph(0)->p_vaddr = PV_KERNEL_BASE - 1;
    expect_reject("segment 0xfffff+0x2000 outside guest memory [0x100000, 0x400000)");
    ph(0)->p_vaddr = 0;
    expect_reject("outside guest memory");
    ph(0)->p_vaddr = PV_KERNEL_BASE;     /* the first page a kernel may use */
    expect_ok();
}

static void test_segment_past_mem_size(void **state)
{
    (void)state;
    ph(1)->p_memsz = MEM_SIZE - SEG1_VA + 1;
    expect_reject("segment 0x200000+0x200001 outside guest memory");
    ph(1)->p_memsz = MEM_SIZE - SEG1_VA;  /* ends exactly at mem_size */
    expect_ok();
    ph(1)->p_vaddr = MEM_SIZE + 0x1000;
    ph(1)->p_memsz = SEG1_FILE;
    eh()->e_entry = ENTRY;
    expect_reject("outside guest memory");
    ph(1)->p_vaddr = MEM_SIZE;           /* starts at mem_size, has bytes */
    expect_reject("outside guest memory");
}

static void test_segment_wraps(void **state)
{
    (void)state;
    /* vaddr + memsz wraps to 0 */
    ph(1)->p_memsz = (uint64_t)0 - SEG1_VA;
    expect_reject("outside guest memory");
    ph(1)->p_memsz = (uint64_t)0 - SEG1_VA + 0x1000;
    expect_reject("outside guest memory");
    build_valid();
    ph(1)->p_vaddr = (uint64_t)0 - 0x1000;
    expect_reject("outside guest memory");
}

static void test_entry_outside_segments(void **state)
{
    (void)state;
    eh()->e_entry = SEG0_VA + SEG0_MEM;     /* one past segment 0 */
    expect_reject("entry point 0x102000 is in no loadable segment");
    eh()->e_entry = 0x180000;               /* in the gap */
    expect_reject("entry point 0x180000");
    eh()->e_entry = SEG0_VA - 1;
    expect_reject("entry point 0xfffff");
    eh()->e_entry = 0;
    expect_reject("entry point 0x0");
    eh()->e_entry = SEG0_VA + SEG0_MEM - 1; /* last byte of segment 0 (bss) */
    expect_ok();
    eh()->e_entry = SEG1_VA;                /* segment 1 counts too */
    expect_ok();
    /* in a segment that is not PT_LOAD: no good */
    ph(1)->p_type = PT_NOTE;
    expect_reject("entry point 0x200000");
}

static void test_non_load_garbage_ignored(void **state)
{
    (void)state;
    ph(1)->p_type = PT_NOTE;
    ph(1)->p_offset = UINT64_MAX;
    ph(1)->p_vaddr = 5;
    ph(1)->p_filesz = UINT64_MAX;
    ph(1)->p_memsz = 1;
    expect_ok();
    ph(1)->p_type = 0;                      /* PT_NULL */
    expect_ok();
    ph(1)->p_type = 0x6474e551;             /* PT_GNU_STACK */
    expect_ok();
}

static void test_every_segment_checked(void **state)
{
    (void)state;
    /* the entry is in segment 0; segment 1 is bad and still rejected */
    ph(1)->p_vaddr = 0x1000;
    expect_reject("segment 0x1000+0x80 outside guest memory");
    build_valid();
    eh()->e_phnum = 3;
    *ph(2) = *ph(1);
    ph(2)->p_filesz = img_size;
    ph(2)->p_memsz = img_size;
    expect_reject("segment at 0x200000");
}

/* ------------------------------------------------------------- elf_load */

/* Guest memory in two extents, swapped: gpfn 0..511 -> machine pages
 * 512..1023, gpfn 512..1023 -> machine pages 0..511. */
static struct domain *load_domain(void)
{
    struct domain *d = core_fake_domain(1, 1);

    d->mem_size = MEM_SIZE;
    d->nr_extents = 2;
    d->extents[0] = (struct mem_extent){ 0, CORE_FAKE_PHYS_PFN(512), 512 };
    d->extents[1] = (struct mem_extent){ 512, CORE_FAKE_PHYS_PFN(0), 512 };
    return d;
}

static void test_load(void **state)
{
    struct domain *d = load_domain();
    const uint8_t *seg0 = core_fake_page(512 + (SEG0_VA >> 12));
    const uint8_t *seg1 = core_fake_page(0);

    (void)state;
    /* a byte right after each segment's file bytes: must stay zero */
    memset(img + SEG1_OFF + SEG1_FILE, 0xee, 16);
    img_size += 16;
    /* a note with file bytes and an address in guest memory: not loaded */
    eh()->e_phnum = 3;
    *ph(2) = (struct phdr){ .p_type = PT_NOTE, .p_offset = SEG0_OFF, .p_vaddr = 0x300000,
                            .p_filesz = 0x10, .p_memsz = 0x10 };
    assert_int_equal(elf_load(d, img, img_size), 0);
    for (unsigned int i = 0; i < 4096; i++)
        assert_int_equal(core_fake_page(0x300 - 512)[i], 0);
    assert_memory_equal(seg0, img + SEG0_OFF, SEG0_FILE);
    assert_memory_equal(seg1, img + SEG1_OFF, SEG1_FILE);
    for (unsigned int i = SEG0_FILE; i < SEG0_MEM; i++)
        assert_int_equal(seg0[i], 0);
    for (unsigned int i = SEG1_FILE; i < 4096; i++)
        assert_int_equal(seg1[i], 0);
    /* nothing in the page before segment 0 */
    for (unsigned int i = 0; i < 4096; i++)
        assert_int_equal((seg0 - 4096)[i], 0);
}

static void test_load_rejects_bad_image(void **state)
{
    struct domain *d = load_domain();
    const uint8_t *seg0 = core_fake_page(512 + (SEG0_VA >> 12));

    (void)state;
    ph(1)->p_vaddr = MEM_SIZE;          /* the second segment is bad */
    assert_int_equal(elf_load(d, img, img_size), -BATON_EINVAL);
    assert_true(harness_log_has("outside guest memory"));
    for (unsigned int i = 0; i < SEG0_FILE; i++)
        assert_int_equal(seg0[i], 0);   /* nothing loaded */
    /* checked against the domain's own memory size */
    build_valid();
    d->mem_size = MiB(2);
    assert_int_equal(elf_load(d, img, img_size), -BATON_EINVAL);
    for (unsigned int i = 0; i < SEG0_FILE; i++)
        assert_int_equal(seg0[i], 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_valid, setup),
        cmocka_unit_test_setup(test_too_small, setup),
        cmocka_unit_test_setup(test_bad_magic, setup),
        cmocka_unit_test_setup(test_wrong_kind, setup),
        cmocka_unit_test_setup(test_phentsize, setup),
        cmocka_unit_test_setup(test_phnum, setup),
        cmocka_unit_test_setup(test_phoff_past_end, setup),
        cmocka_unit_test_setup(test_phdrs_straddle_end, setup),
        cmocka_unit_test_setup(test_phoff_overflow, setup),
        cmocka_unit_test_setup(test_filesz_over_memsz, setup),
        cmocka_unit_test_setup(test_file_bytes_past_end, setup),
        cmocka_unit_test_setup(test_file_bytes_overflow, setup),
        cmocka_unit_test_setup(test_vaddr_below_kernel_base, setup),
        cmocka_unit_test_setup(test_segment_past_mem_size, setup),
        cmocka_unit_test_setup(test_segment_wraps, setup),
        cmocka_unit_test_setup(test_entry_outside_segments, setup),
        cmocka_unit_test_setup(test_non_load_garbage_ignored, setup),
        cmocka_unit_test_setup(test_every_segment_checked, setup),
        cmocka_unit_test_setup(test_load, setup),
        cmocka_unit_test_setup(test_load_rejects_bad_image, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
