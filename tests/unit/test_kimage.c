/*
 * Unit tests for common/kimage.c: every validation rule of a kexec load
 * (each refusal with its code and a message naming the segment), staging
 * into heap pages outside every destination, the indirection list (read
 * back by a C model of kexec_reloc's two passes), write64 and freeing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <baton/errno.h>
#include <baton/kimage.h>
#include <baton/printk.h>
#include "harness.h"

/* ---------------------------------------------------------------- the machine */

#define XEN_START  0x200000ULL
#define XEN_END    0x600000ULL
#define LU_START   0x10000000ULL
#define LU_END     0x14000000ULL
#define RAM_TOP    0x80000000ULL

static const struct mem_range test_map[] = {
    { 0, 0x9fc00, MEM_RAM },
    { 0x9fc00, 0x400, MEM_RESERVED },
    { 0xf0000, 0x10000, MEM_RESERVED },
    { 0x100000, 0x3ff00000, MEM_RAM },              /* RAM split in two adjacent entries */
    { 0x40000000, RAM_TOP - 0x40000000, MEM_RAM },
    { 0xfec00000, 0x1000, MEM_RESERVED },           /* the map ends at 0xfec01000 */
};

static const struct kimage_ranges ranges = {
    .map = test_map, .nr_map = sizeof(test_map) / sizeof(test_map[0]),
    .xen_start = XEN_START, .xen_end = XEN_END,
    .lu_start = LU_START, .lu_end = LU_END,
};

static const struct kimage_ranges no_lu = {
    .map = test_map, .nr_map = sizeof(test_map) / sizeof(test_map[0]),
    .xen_start = XEN_START, .xen_end = XEN_END,
};

/* ---------------------------------------------------------------- fake heap and loader */

#define HEAP_BASE  0x20000000ULL        /* inside RAM, outside MA_XEN and MA_LIVEUPDATE */
#define HEAP_PAGES 2048

static uint8_t *heap;
static paddr_t free_stack[HEAP_PAGES];
static unsigned int nr_free;
static unsigned int allocs_left;        /* fail the allocation after this many */

static paddr_t fake_alloc(void)
{
    if (!nr_free || !allocs_left)
        return 0;
    allocs_left--;
    return free_stack[--nr_free];
}

static void fake_free(paddr_t pa)
{
    assert_true(pa >= HEAP_BASE && pa < HEAP_BASE + HEAP_PAGES * PAGE_SIZE);
    assert_true(IS_ALIGNED(pa, PAGE_SIZE));
    for (unsigned int i = 0; i < nr_free; i++)
        assert_true(free_stack[i] != pa);             /* no double free */
    assert_true(nr_free < HEAP_PAGES);
    free_stack[nr_free++] = pa;
}

static void *fake_map(paddr_t pa)
{
    assert_true(pa >= HEAP_BASE && pa < HEAP_BASE + HEAP_PAGES * PAGE_SIZE);
    return heap + (pa - HEAP_BASE);
}

/* The loader's memory: addresses LOADER_BASE.. hold loader_mem. */
#define LOADER_BASE 0x400000ULL
#define LOADER_SIZE (64 * PAGE_SIZE)
static uint8_t loader_mem[LOADER_SIZE];
static unsigned int copies_left;

static int fake_copy_in(void *ctx, void *dst, uint64_t src, size_t len)
{
    (void)ctx;
    if (!copies_left || src < LOADER_BASE || src - LOADER_BASE > LOADER_SIZE ||
        len > LOADER_SIZE - (src - LOADER_BASE))
        return -BATON_EFAULT;
    copies_left--;
    memcpy(dst, loader_mem + (src - LOADER_BASE), len);
    return 0;
}

static const struct kimage_ops ops = {
    .alloc_page = fake_alloc, .free_page = fake_free, .map = fake_map,
    .copy_in = fake_copy_in,
};

static int setup(void **state)
{
    (void)state;
    if (!heap)
        heap = malloc(HEAP_PAGES * PAGE_SIZE);
    assert_non_null(heap);
    memset(heap, 0xcc, HEAP_PAGES * PAGE_SIZE);
    /* lowest address handed out first, as a buddy allocator tends to */
    nr_free = 0;
    for (unsigned int i = HEAP_PAGES; i-- > 0;)
        free_stack[nr_free++] = HEAP_BASE + (paddr_t)i * PAGE_SIZE;
    allocs_left = copies_left = ~0u;
    for (unsigned int i = 0; i < LOADER_SIZE; i++)
        loader_mem[i] = (uint8_t)(i * 7 + i / PAGE_SIZE);
    harness_log_clear();
    return 0;
}

/* ---------------------------------------------------------------- helpers */

#define SEG(b, bs, d, ds) ((struct kexec_segment){ .buf = (b), .buf_size = (bs), \
                                                   .dest_maddr = (d), .dest_size = (ds) })
#define NULL_LOW_1M SEG(0, 0, 0, 0x100000)

static void expect_refusal(uint8_t type, uint64_t entry, const struct kexec_segment *segs,
                           unsigned int nr, const struct kimage_ranges *r, int rc,
                           const char *text)
{
    struct kimage image = { .head = IND_DONE };
    unsigned int before = nr_free;

    harness_log_clear();
    assert_int_equal(kimage_check_load(type, entry, segs, nr, r), rc);
    assert_true(harness_log_has(text));
    /* and a load copies and allocates nothing */
    harness_log_clear();
    assert_int_equal(kimage_load(&image, type, entry, segs, nr, r, &ops), rc);
    assert_true(harness_log_has(text));
    assert_int_equal(nr_free, before);
    assert_false(image.loaded);
}

/* A valid live update: image over MA_XEN, boot info above the breadcrumb page, low 1 MiB. */
static unsigned int lu_segments(struct kexec_segment *s)
{
    s[0] = SEG(LOADER_BASE, 3 * PAGE_SIZE + 100, XEN_START, 0x100000);
    s[1] = SEG(LOADER_BASE + 8 * PAGE_SIZE, 2 * PAGE_SIZE, LU_START + PAGE_SIZE, 2 * PAGE_SIZE);
    s[2] = NULL_LOW_1M;
    return 3;
}

/* ---------------------------------------------------------------- a model of kexec_reloc */

struct op {
    int kind;              /* IND_SOURCE, IND_ZERO or IND_WRITE64 */
    paddr_t dest;
    uint64_t arg;          /* source page or value */
};

#define MAX_OPS 4096
static struct op ops_done[MAX_OPS];
static unsigned int nr_ops;

static void model_pass(const struct kimage *image, int pass)
{
    kimage_entry_t e = image->head;
    const kimage_entry_t *page = NULL;
    paddr_t dest = 0;
    unsigned int guard = 0;

    for (; !(e & IND_DONE); assert_true(++guard < 100000)) {
        if (e & IND_INDIRECTION) {
            page = fake_map(e & PAGE_MASK);
        } else if (e & IND_DESTINATION) {
            dest = e & PAGE_MASK;
        } else if (pass == 1 && (e & (IND_SOURCE | IND_ZERO))) {
            assert_true(nr_ops < MAX_OPS);
            ops_done[nr_ops++] = (struct op){ (int)(e & (IND_SOURCE | IND_ZERO)), dest,
                                              e & PAGE_MASK };
            dest += PAGE_SIZE;
        } else if (pass == 2 && (e & IND_WRITE64)) {
            assert_true(nr_ops < MAX_OPS);
            ops_done[nr_ops++] = (struct op){ IND_WRITE64, dest, e & PAGE_MASK };
            dest += 8;
        } else if (pass == 2 && (e & (IND_SOURCE | IND_ZERO))) {
            /* pass 2 does not move the cursor for pages: a WRITE64 run starts with its own DESTINATION */
        } else if (pass == 1 && (e & IND_WRITE64)) {
            /* left for pass 2 */
        } else {
            fail_msg("entry %#llx: unknown flags", (unsigned long long)e);
        }
        assert_non_null(page);
        e = *page++;
    }
}

static void model_reloc(const struct kimage *image)
{
    nr_ops = 0;
    model_pass(image, 1);
    model_pass(image, 2);
}

/* The ops for segment s, from index *k on, are its pages in order, right bytes, zeroed tail. */
static void check_segment_ops(const struct kexec_segment *s, unsigned int *k)
{
    for (uint64_t off = 0; off < s->dest_size; off += PAGE_SIZE) {
        const struct op *o = &ops_done[(*k)++];
        assert_true(o->dest == s->dest_maddr + off);
        if (off >= s->buf_size) {
            assert_int_equal(o->kind, IND_ZERO);
            continue;
        }
        uint64_t len = s->buf_size - off < PAGE_SIZE ? s->buf_size - off : PAGE_SIZE;
        const uint8_t *src = fake_map(o->arg);
        assert_int_equal(o->kind, IND_SOURCE);
        assert_memory_equal(src, loader_mem + (s->buf - LOADER_BASE) + off, len);
        for (uint64_t i = len; i < PAGE_SIZE; i++)
            assert_int_equal(src[i], 0);
    }
}

/* ---------------------------------------------------------------- validation rules */

static void test_valid_live_update(void **state)
{
    struct kexec_segment s[KEXEC_SEGMENT_MAX];
    unsigned int nr = lu_segments(s);
    (void)state;

    assert_int_equal(kimage_check_load(KEXEC_TYPE_LIVE_UPDATE, LU_START + PAGE_SIZE, s, nr,
                                       &ranges), 0);
    assert_int_equal(kimage_check_load(KEXEC_TYPE_DEFAULT, XEN_START, s, nr, &ranges), 0);
    assert_string_equal(harness_log(), "");
}

static void test_overlap(void **state)
{
    struct kexec_segment s[] = {
        SEG(LOADER_BASE, PAGE_SIZE, XEN_START, 0x10000),
        SEG(LOADER_BASE, PAGE_SIZE, XEN_START + 0xf000, PAGE_SIZE),
    };
    struct kexec_segment same[] = {
        SEG(LOADER_BASE, PAGE_SIZE, XEN_START, PAGE_SIZE),
        SEG(LOADER_BASE, PAGE_SIZE, XEN_START, PAGE_SIZE),
    };
    struct kexec_segment null_over[] = {
        NULL_LOW_1M,
        SEG(LOADER_BASE, PAGE_SIZE, 0x8000, PAGE_SIZE),
    };
    (void)state;

    expect_refusal(KEXEC_TYPE_DEFAULT, XEN_START, s, 2, &ranges, -BATON_EEXIST,
                   "segment 1 (0x20f000-0x20ffff) overlaps segment 0");
    expect_refusal(KEXEC_TYPE_LIVE_UPDATE, XEN_START, s, 2, &ranges, -BATON_EEXIST,
                   "overlaps segment 0");
    expect_refusal(KEXEC_TYPE_DEFAULT, XEN_START, same, 2, &ranges, -BATON_EEXIST,
                   "segment 1");
    /* a null segment is a destination too */
    expect_refusal(KEXEC_TYPE_DEFAULT, 0x8000, null_over, 2, &ranges, -BATON_EEXIST,
                   "segment 1 (0x8000-0x8fff) overlaps segment 0");
    /* touching is not overlapping */
    s[1].dest_maddr = XEN_START + 0x10000;
    assert_int_equal(kimage_check_load(KEXEC_TYPE_DEFAULT, XEN_START, s, 2, &ranges), 0);
}

static void test_wrap(void **state)
{
    struct kexec_segment s[] = {
        SEG(LOADER_BASE, PAGE_SIZE, 0xfffffffffffff000ULL, 2 * PAGE_SIZE),
    };
    struct kexec_segment null_wrap[] = { SEG(0, 0, 0xffffffffffe00000ULL, 0x400000) };
    (void)state;

    expect_refusal(KEXEC_TYPE_DEFAULT, 0xfffffffffffff000ULL, s, 1, &ranges, -BATON_EOVERFLOW,
                   "segment 0: destination 0xfffffffffffff000 + size 0x2000 wraps");
    expect_refusal(KEXEC_TYPE_DEFAULT, 0, null_wrap, 1, &ranges, -BATON_EOVERFLOW,
                   "segment 0");
    /* ending exactly at 2^64 wraps to 0 too */
    s[0].dest_size = PAGE_SIZE;
    expect_refusal(KEXEC_TYPE_DEFAULT, 0xfffffffffffff000ULL, s, 1, &ranges, -BATON_EOVERFLOW,
                   "wraps past 2^64");
}

static void test_unaligned(void **state)
{
    struct kexec_segment s[] = {
        SEG(LOADER_BASE, PAGE_SIZE, XEN_START, 0x10000),
        SEG(LOADER_BASE, 16, 0x300800, PAGE_SIZE),
    };
    (void)state;

    expect_refusal(KEXEC_TYPE_DEFAULT, XEN_START, s, 2, &ranges, -BATON_EINVAL,
                   "segment 1: destination 0x300800 size 0x1000, want both page aligned");
    s[1] = SEG(LOADER_BASE, 16, 0x300000, 0x1800);
    expect_refusal(KEXEC_TYPE_DEFAULT, XEN_START, s, 2, &ranges, -BATON_EINVAL,
                   "segment 1: destination 0x300000 size 0x1800");
    s[1] = SEG(LOADER_BASE, 0, 0x300000, 0);
    expect_refusal(KEXEC_TYPE_DEFAULT, XEN_START, s, 2, &ranges, -BATON_EINVAL,
                   "non-zero size");
}

static void test_out_of_ram(void **state)
{
    struct kexec_segment s[] = {
        SEG(LOADER_BASE, PAGE_SIZE, XEN_START, PAGE_SIZE),
        SEG(LOADER_BASE, PAGE_SIZE, 0xf0000, PAGE_SIZE),         /* BIOS, reserved */
    };
    (void)state;

    expect_refusal(KEXEC_TYPE_DEFAULT, XEN_START, s, 2, &ranges, -BATON_ERANGE,
                   "segment 1 (0xf0000-0xf0fff) is not inside RAM");
    s[1] = SEG(LOADER_BASE, PAGE_SIZE, RAM_TOP - PAGE_SIZE, 2 * PAGE_SIZE);   /* past the end */
    expect_refusal(KEXEC_TYPE_DEFAULT, XEN_START, s, 2, &ranges, -BATON_ERANGE,
                   "segment 1 (0x7ffff000-0x80000fff) is not inside RAM");
    s[1] = SEG(LOADER_BASE, PAGE_SIZE, 0x9f000, 2 * PAGE_SIZE);     /* into the hole */
    expect_refusal(KEXEC_TYPE_DEFAULT, XEN_START, s, 2, &ranges, -BATON_ERANGE,
                   "not inside RAM");
    s[1] = SEG(0x1000, 0, 0x100000000ULL, PAGE_SIZE);               /* zero-filled is written */
    expect_refusal(KEXEC_TYPE_DEFAULT, XEN_START, s, 2, &ranges, -BATON_ERANGE,
                   "not inside RAM");
    /* across two adjacent RAM entries of the map: fine */
    s[1] = SEG(LOADER_BASE, PAGE_SIZE, 0x3ffff000, 2 * PAGE_SIZE);
    assert_int_equal(kimage_check_load(KEXEC_TYPE_DEFAULT, XEN_START, s, 2, &ranges), 0);
}

static void test_too_many(void **state)
{
    struct kexec_segment s[KEXEC_SEGMENT_MAX + 1];
    (void)state;

    for (unsigned int i = 0; i < KEXEC_SEGMENT_MAX + 1; i++)
        s[i] = SEG(LOADER_BASE, PAGE_SIZE, XEN_START + i * PAGE_SIZE, PAGE_SIZE);
    expect_refusal(KEXEC_TYPE_DEFAULT, XEN_START, s, KEXEC_SEGMENT_MAX + 1, &ranges,
                   -BATON_E2BIG, "17 segments, at most 16");
    assert_int_equal(kimage_check_load(KEXEC_TYPE_DEFAULT, XEN_START, s, KEXEC_SEGMENT_MAX,
                                       &ranges), 0);
    expect_refusal(KEXEC_TYPE_DEFAULT, XEN_START, s, 100000, &ranges, -BATON_E2BIG,
                   "100000 segments");
}

static void test_live_update_ranges(void **state)
{
    struct kexec_segment s[KEXEC_SEGMENT_MAX];
    unsigned int nr = lu_segments(s);
    (void)state;

    /* ordinary RAM, fine for a reboot, not for a live update */
    s[1] = SEG(LOADER_BASE, PAGE_SIZE, 0x30000000, PAGE_SIZE);
    assert_int_equal(kimage_check_load(KEXEC_TYPE_DEFAULT, XEN_START, s, nr, &ranges), 0);
    expect_refusal(KEXEC_TYPE_LIVE_UPDATE, XEN_START, s, nr, &ranges, -BATON_EPERM,
                   "segment 1 (0x30000000-0x30000fff) of a live update lies outside MA_XEN");
    /* straddling the end of MA_XEN */
    s[0] = SEG(LOADER_BASE, PAGE_SIZE, XEN_START, PAGE_SIZE);
    s[1] = SEG(LOADER_BASE, PAGE_SIZE, XEN_END - PAGE_SIZE, 2 * PAGE_SIZE);
    expect_refusal(KEXEC_TYPE_LIVE_UPDATE, XEN_START, s, nr, &ranges, -BATON_EPERM,
                   "segment 1");
    /* straddling the end of MA_LIVEUPDATE */
    s[1] = SEG(LOADER_BASE, PAGE_SIZE, LU_END - PAGE_SIZE, 2 * PAGE_SIZE);
    expect_refusal(KEXEC_TYPE_LIVE_UPDATE, XEN_START, s, nr, &ranges, -BATON_EPERM,
                   "segment 1");
    /* the last page of MA_LIVEUPDATE is fine */
    s[1] = SEG(LOADER_BASE, PAGE_SIZE, LU_END - PAGE_SIZE, PAGE_SIZE);
    assert_int_equal(kimage_check_load(KEXEC_TYPE_LIVE_UPDATE, XEN_START, s, nr, &ranges), 0);
    /* no bootmem: no live update at all */
    expect_refusal(KEXEC_TYPE_LIVE_UPDATE, XEN_START, s, nr, &no_lu, -BATON_EPERM,
                   "needs the live update bootmem");
}

static void test_breadcrumb_page(void **state)
{
    struct kexec_segment s[KEXEC_SEGMENT_MAX];
    unsigned int nr = lu_segments(s);
    (void)state;

    s[1] = SEG(LOADER_BASE, PAGE_SIZE, LU_START, PAGE_SIZE);
    expect_refusal(KEXEC_TYPE_LIVE_UPDATE, XEN_START, s, nr, &ranges, -BATON_EBUSY,
                   "segment 1 (0x10000000-0x10000fff) covers the breadcrumb page");
    /* a segment that starts below MA_LIVEUPDATE and runs into its first page */
    s[1] = SEG(LOADER_BASE, PAGE_SIZE, LU_START - PAGE_SIZE, 2 * PAGE_SIZE);
    expect_refusal(KEXEC_TYPE_LIVE_UPDATE, XEN_START, s, nr, &ranges, -BATON_EBUSY,
                   "segment 1");
    /* spanning the whole bootmem */
    s[1] = SEG(LOADER_BASE, PAGE_SIZE, LU_START, LU_END - LU_START);
    expect_refusal(KEXEC_TYPE_LIVE_UPDATE, XEN_START, s, nr, &ranges, -BATON_EBUSY,
                   "breadcrumb");
    /* a reboot may use it */
    s[1] = SEG(LOADER_BASE, PAGE_SIZE, LU_START, PAGE_SIZE);
    assert_int_equal(kimage_check_load(KEXEC_TYPE_DEFAULT, XEN_START, s, nr, &ranges), 0);
}

static void test_null_segments(void **state)
{
    struct kexec_segment s[KEXEC_SEGMENT_MAX];
    unsigned int nr = lu_segments(s);
    (void)state;

    /* the low 1 MiB (BIOS holes included) is accepted for both types */
    assert_true(kimage_segment_is_null(&s[2]));
    assert_int_equal(kimage_check_load(KEXEC_TYPE_LIVE_UPDATE, XEN_START, s, nr, &ranges), 0);
    assert_int_equal(kimage_check_load(KEXEC_TYPE_DEFAULT, XEN_START, s, nr, &ranges), 0);
    /* ... first in the list as kexec-tools may put it */
    struct kexec_segment first[] = { NULL_LOW_1M, s[0], s[1] };
    assert_int_equal(kimage_check_load(KEXEC_TYPE_LIVE_UPDATE, XEN_START, first, 3, &ranges), 0);

    /* a null buffer with a size is no null segment */
    s[2] = SEG(0, PAGE_SIZE, 0, 0x100000);
    expect_refusal(KEXEC_TYPE_LIVE_UPDATE, XEN_START, s, nr, &ranges, -BATON_EFAULT,
                   "segment 2: null buffer with buf_size 0x1000");
    /* beyond the end of the memory map */
    s[2] = SEG(0, 0, 0xfec00000, 0x2000);
    expect_refusal(KEXEC_TYPE_DEFAULT, XEN_START, s, nr, &ranges, -BATON_ERANGE,
                   "segment 2 (null buffer, 0xfec00000-0xfec01fff) ends beyond the memory map");
    /* unaligned, as any other */
    s[2] = SEG(0, 0, 0, 0x9fc00);
    expect_refusal(KEXEC_TYPE_DEFAULT, XEN_START, s, nr, &ranges, -BATON_EINVAL, "segment 2");
}

static void test_buf_larger_than_dest(void **state)
{
    struct kexec_segment s[] = { SEG(LOADER_BASE, PAGE_SIZE + 1, XEN_START, PAGE_SIZE) };
    (void)state;

    expect_refusal(KEXEC_TYPE_DEFAULT, XEN_START, s, 1, &ranges, -BATON_ENOSPC,
                   "segment 0: buf_size 0x1001 larger than dest_size 0x1000");
}

static void test_entry_outside(void **state)
{
    struct kexec_segment s[KEXEC_SEGMENT_MAX];
    unsigned int nr = lu_segments(s);
    (void)state;

    expect_refusal(KEXEC_TYPE_LIVE_UPDATE, XEN_END, s, nr, &ranges, -BATON_ENOENT,
                   "entry 0x600000 is inside no segment");
    /* inside the null low 1 MiB only: nothing loaded there to run */
    expect_refusal(KEXEC_TYPE_LIVE_UPDATE, 0x7c00, s, nr, &ranges, -BATON_ENOENT,
                   "entry 0x7c00");
    /* the last octet of a segment is inside */
    assert_int_equal(kimage_check_load(KEXEC_TYPE_LIVE_UPDATE, XEN_START + 0xfffff, s, nr,
                                       &ranges), 0);
    /* in its zeroed tail too */
    assert_int_equal(kimage_check_load(KEXEC_TYPE_LIVE_UPDATE, LU_START + 3 * PAGE_SIZE - 1, s,
                                       nr, &ranges), 0);
    expect_refusal(KEXEC_TYPE_DEFAULT, 0, s, 0, &ranges, -BATON_ENOENT, "entry 0x0");
}

/* ---------------------------------------------------------------- staging */

static void test_stage_live_update(void **state)
{
    struct kexec_segment s[KEXEC_SEGMENT_MAX];
    unsigned int nr = lu_segments(s), k = 0;
    struct kimage image = { .head = IND_DONE };
    (void)state;

    assert_int_equal(kimage_load(&image, KEXEC_TYPE_LIVE_UPDATE, LU_START + PAGE_SIZE, s, nr,
                                 &ranges, &ops), 0);
    assert_true(image.loaded);
    assert_true(image.entry == LU_START + PAGE_SIZE);
    assert_int_equal(image.nr_segments, 3);
    /* 4 + 2 source pages and one indirection page; nothing for the null segment */
    assert_int_equal(image.nr_pages, 7);
    assert_int_equal(nr_free, HEAP_PAGES - 7);

    model_reloc(&image);
    /* 0x100000 / 4096 = 256 pages of segment 0, 2 of segment 1, no write */
    assert_int_equal(nr_ops, 256 + 2);
    check_segment_ops(&s[0], &k);
    check_segment_ops(&s[1], &k);

    kimage_free(&image);
    assert_int_equal(nr_free, HEAP_PAGES);
    assert_false(image.loaded);
}

/* Heap pages that are destinations of a reboot are never used for staging. */
static void test_stage_avoids_destinations(void **state)
{
    struct kexec_segment s[] = {
        SEG(LOADER_BASE, 8 * PAGE_SIZE, HEAP_BASE, 64 * PAGE_SIZE),
        SEG(LOADER_BASE + PAGE_SIZE, PAGE_SIZE, HEAP_BASE + 100 * PAGE_SIZE, PAGE_SIZE),
    };
    struct kimage image = { .head = IND_DONE };
    unsigned int k = 0;
    (void)state;

    assert_int_equal(kimage_load(&image, KEXEC_TYPE_DEFAULT, HEAP_BASE, s, 2, &ranges, &ops), 0);
    /* 9 source pages and one indirection page, none a destination; the refused ones back */
    assert_int_equal(image.nr_pages, 10);
    assert_int_equal(nr_free, HEAP_PAGES - 10);
    assert_int_equal(image.nr_rejects, 0);
    model_reloc(&image);
    for (unsigned int i = 0; i < nr_ops; i++)
        if (ops_done[i].kind == IND_SOURCE)
            assert_false(kimage_is_destination(&image, ops_done[i].arg, PAGE_SIZE));
    assert_false(kimage_is_destination(&image, image.head & PAGE_MASK, PAGE_SIZE));
    check_segment_ops(&s[0], &k);
    check_segment_ops(&s[1], &k);
    assert_int_equal(k, nr_ops);

    paddr_t ctl = kimage_alloc_control_page(&image);
    assert_true(ctl != 0);
    assert_false(kimage_is_destination(&image, ctl, PAGE_SIZE));
    kimage_free(&image);
    assert_int_equal(nr_free, HEAP_PAGES);
}

static void test_stage_failures_free_everything(void **state)
{
    struct kexec_segment s[KEXEC_SEGMENT_MAX];
    unsigned int nr = lu_segments(s);
    struct kimage image = { .head = IND_DONE };
    (void)state;

    /* the loader's buffer faults half way */
    copies_left = 3;
    assert_int_equal(kimage_load(&image, KEXEC_TYPE_LIVE_UPDATE, XEN_START, s, nr, &ranges, &ops),
                     -BATON_EFAULT);
    assert_int_equal(nr_free, HEAP_PAGES);
    assert_false(image.loaded);
    assert_true(harness_log_has("segment 0"));

    /* out of heap at each possible point */
    for (unsigned int n = 0; n < 7; n++) {
        copies_left = ~0u;
        allocs_left = n;
        harness_log_clear();
        assert_int_equal(kimage_load(&image, KEXEC_TYPE_LIVE_UPDATE, XEN_START, s, nr, &ranges,
                                     &ops), -BATON_ENOMEM);
        assert_int_equal(nr_free, HEAP_PAGES);
        assert_true(harness_log_has("out of heap pages"));
    }
    allocs_left = ~0u;
    /* a buffer outside the loader's memory */
    s[1].buf = 0x1000;
    assert_int_equal(kimage_load(&image, KEXEC_TYPE_LIVE_UPDATE, XEN_START, s, nr, &ranges, &ops),
                     -BATON_EFAULT);
    assert_int_equal(nr_free, HEAP_PAGES);
}

/* More entries than one indirection page holds: the list links pages. */
static void test_long_list(void **state)
{
    struct kexec_segment s[] = {
        SEG(LOADER_BASE, 40 * PAGE_SIZE, 0x1000000, 0x400000),    /* 1024 pages, 40 of bytes */
        SEG(LOADER_BASE, 1, 0x2000000, PAGE_SIZE),
    };
    struct kimage image = { .head = IND_DONE };
    unsigned int k = 0;
    (void)state;

    assert_int_equal(kimage_load(&image, KEXEC_TYPE_DEFAULT, 0x2000000, s, 2, &ranges, &ops), 0);
    /* 2 DESTINATION + 1025 page entries: 3 indirection pages of 511 */
    assert_int_equal(image.nr_pages, 41 + 3);
    model_reloc(&image);
    assert_int_equal(nr_ops, 1025);
    check_segment_ops(&s[0], &k);
    check_segment_ops(&s[1], &k);
    kimage_free(&image);
    assert_int_equal(nr_free, HEAP_PAGES);
}

/* ---------------------------------------------------------------- write64 */

static void test_write64_breadcrumb(void **state)
{
    struct kexec_segment s[KEXEC_SEGMENT_MAX];
    unsigned int nr = lu_segments(s);
    struct kimage image = { .head = IND_DONE };
    const uint64_t magic = 0x4c69766555706000ULL;
    (void)state;

    assert_int_equal(kimage_load(&image, KEXEC_TYPE_LIVE_UPDATE, XEN_START, s, nr, &ranges,
                                 &ops), 0);
    /* the breadcrumb's three words, as the live update will add them */
    assert_int_equal(kimage_add_write64(&image, LU_START, magic), 0);
    assert_int_equal(kimage_add_write64(&image, LU_START + 8, 0x30000000), 0);
    assert_int_equal(kimage_add_write64(&image, LU_START + 16, 5ULL << 12), 0);
    model_reloc(&image);
    assert_int_equal(nr_ops, 256 + 2 + 3);
    /* the writes come last, in order, at consecutive addresses */
    assert_int_equal(ops_done[258].kind, IND_WRITE64);
    assert_true(ops_done[258].dest == LU_START && ops_done[258].arg == magic);
    assert_true(ops_done[259].dest == LU_START + 8 && ops_done[259].arg == 0x30000000);
    assert_true(ops_done[260].dest == LU_START + 16 && ops_done[260].arg == 5ULL << 12);
    kimage_free(&image);
    assert_int_equal(nr_free, HEAP_PAGES);
}

/* A write added before the pages is still done after them (pass 2). */
static void test_write64_before_pages(void **state)
{
    struct kexec_segment s[] = { SEG(LOADER_BASE, PAGE_SIZE, XEN_START, 2 * PAGE_SIZE) };
    struct kimage image = { .head = IND_DONE };
    (void)state;

    assert_int_equal(kimage_load(&image, KEXEC_TYPE_DEFAULT, XEN_START, s, 1, &ranges, &ops), 0);
    assert_int_equal(kimage_add_write64(&image, XEN_START, 0xabc000), 0);
    /* a page-aligned write that does not continue the run gets its own DESTINATION */
    assert_int_equal(kimage_add_write64(&image, LU_START, 0x1000), 0);
    model_reloc(&image);
    assert_int_equal(nr_ops, 4);
    assert_int_equal(ops_done[0].kind, IND_SOURCE);
    assert_int_equal(ops_done[1].kind, IND_ZERO);
    assert_true(ops_done[2].kind == IND_WRITE64 && ops_done[2].dest == XEN_START &&
                ops_done[2].arg == 0xabc000);
    assert_true(ops_done[3].kind == IND_WRITE64 && ops_done[3].dest == LU_START);
    kimage_free(&image);
}

static void test_write64_bad(void **state)
{
    struct kexec_segment s[] = { SEG(LOADER_BASE, PAGE_SIZE, XEN_START, PAGE_SIZE) };
    struct kimage image = { .head = IND_DONE };
    unsigned int pages;
    (void)state;

    assert_int_equal(kimage_load(&image, KEXEC_TYPE_DEFAULT, XEN_START, s, 1, &ranges, &ops), 0);
    pages = image.nr_pages;
    /* a value with low bits: kexec_reloc keeps its flags there */
    assert_int_equal(kimage_add_write64(&image, LU_START, 0x4c69766555706461ULL), -BATON_EINVAL);
    assert_true(harness_log_has("write64 of 0x4c69766555706461"));
    /* not page aligned and not after a previous write */
    assert_int_equal(kimage_add_write64(&image, LU_START + 8, 0), -BATON_EINVAL);
    assert_int_equal(kimage_add_write64(&image, LU_START + 4, 0), -BATON_EINVAL);
    assert_int_equal(kimage_add_write64(&image, LU_START, 0), 0);
    /* a gap breaks the run */
    assert_int_equal(kimage_add_write64(&image, LU_START + 16, 0), -BATON_EINVAL);
    assert_int_equal(kimage_add_write64(&image, LU_START + 8, 0), 0);
    assert_int_equal(image.nr_pages, pages);
    /* out of pages when the run needs a new indirection page: refused, the list intact */
    allocs_left = 0;
    paddr_t pa = LU_START + 16;
    int rc;
    while ((rc = kimage_add_write64(&image, pa, pa << 12)) == 0)
        pa += 8;
    assert_int_equal(rc, -BATON_ENOMEM);
    assert_int_equal(image.ind_next, KIMAGE_IND_ENTRIES - 1);
    allocs_left = ~0u;
    /* the run goes on where it stopped, on a new page */
    assert_int_equal(kimage_add_write64(&image, pa, pa << 12), 0);
    model_reloc(&image);
    assert_int_equal(ops_done[nr_ops - 1].kind, IND_WRITE64);
    assert_true(ops_done[nr_ops - 1].dest == pa);
    for (unsigned int i = 1; i < nr_ops; i++)
        if (ops_done[i].kind == IND_WRITE64 && ops_done[i - 1].kind == IND_WRITE64)
            assert_true(ops_done[i].dest == ops_done[i - 1].dest + 8);
    kimage_free(&image);
    assert_int_equal(nr_free, HEAP_PAGES);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_valid_live_update, setup),
        cmocka_unit_test_setup(test_overlap, setup),
        cmocka_unit_test_setup(test_wrap, setup),
        cmocka_unit_test_setup(test_unaligned, setup),
        cmocka_unit_test_setup(test_out_of_ram, setup),
        cmocka_unit_test_setup(test_too_many, setup),
        cmocka_unit_test_setup(test_live_update_ranges, setup),
        cmocka_unit_test_setup(test_breadcrumb_page, setup),
        cmocka_unit_test_setup(test_null_segments, setup),
        cmocka_unit_test_setup(test_buf_larger_than_dest, setup),
        cmocka_unit_test_setup(test_entry_outside, setup),
        cmocka_unit_test_setup(test_stage_live_update, setup),
        cmocka_unit_test_setup(test_stage_avoids_destinations, setup),
        cmocka_unit_test_setup(test_stage_failures_free_everything, setup),
        cmocka_unit_test_setup(test_long_list, setup),
        cmocka_unit_test_setup(test_write64_breadcrumb, setup),
        cmocka_unit_test_setup(test_write64_before_pages, setup),
        cmocka_unit_test_setup(test_write64_bad, setup),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
