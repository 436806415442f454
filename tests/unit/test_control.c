/*
 * Unit tests for common/control.c: who may call control_op and in what
 * order the argument is checked (privilege before the argument is read,
 * then the command, the header, pads and sizes before anything is
 * allocated), and what each command copies in and out. Everything
 * control.c calls is faked here: the domain table, guest memory (one
 * buffer at FAKE_GVA), the builder (records what it was given), destroy,
 * pause, the log ring, the memory map, the page allocator and vmap
 * (counted, so that every path must give back what it took).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <baton/control.h>
#include <baton/domain.h>
#include <baton/domain_build.h>
#include <baton/errno.h>
#include <baton/lu.h>
#include <baton/lu_stream.h>
#include <baton/memory.h>
#include <baton/page_alloc.h>
#include <baton/printk.h>
#include <baton/sched.h>
#include <baton/version.h>
#include <baton/domctx_types.h>
#include <baton/vmap.h>
#include "harness.h"

#define FAKE_GVA        UINT64_C(0x100000)
#define FAKE_GUEST_SIZE (1u << 20)
#define ARG             FAKE_GVA                        /* the argument struct */
#define BUF             (FAKE_GVA + 0x1000)             /* buffers it names */
#define IMG             (FAKE_GVA + 0x10000)            /* an image, up to the end */
#define NO_BUILD        0xffff

/* ------------------------------------------------------------ fakes */

static struct domain domains[CONFIG_MAX_DOMAINS];
static uint8_t guest[FAKE_GUEST_SIZE];
struct mem_range memory_map[BOOT_MEM_MAX];
unsigned int memory_map_entries;

static struct {
    unsigned int reads, writes;         /* copy_from_guest / copy_to_guest calls */
    int pages_live, vmaps_live;
    unsigned int page_allocs;
    int page_fail_at;                   /* the Nth page_alloc fails (1-based); 0: never */
    int build_rc;
    uint16_t built_domid;               /* NO_BUILD: domain_build not called */
    bool built_privileged;
    size_t built_size;
    uint8_t built_image[64];
    char built_config[CONTROL_CONFIG_MAX + 2];
    unsigned int destroys, rehearsals;
    int destroy_rc, rehearse_rc;
    /* the log ring: positions since boot, held [start, end) */
    char ring[64];
    uint64_t ring_start, ring_end;
} f;

/* The build's identity (common/version.c in the image). */
const char *baton_version(void)
{
    return "0.1-unit";
}

const char *baton_build_id(void)
{
    return "00112233445566778899aabbccddeeff00112233";
}

struct domain *domain_slot(unsigned int i)
{
    return i < CONFIG_MAX_DOMAINS ? &domains[i] : NULL;
}

struct domain *domain_by_id_any(uint16_t domid)
{
    for (unsigned int i = 0; i < CONFIG_MAX_DOMAINS; i++)
        if (domains[i].state != DOMAIN_FREE && domains[i].domid == domid)
            return &domains[i];
    return NULL;
}

void domain_pause(struct domain *d)
{
    d->pause_count++;
}

void domain_unpause(struct domain *d)
{
    assert_true(d->pause_count > 0);
    d->pause_count--;
}

int domain_destroy(struct domain *d)
{
    f.destroys++;
    if (f.destroy_rc)
        return f.destroy_rc;
    memset(d, 0, sizeof(*d));
    return 0;
}

int domain_build(const struct domain_build_args *a)
{
    f.built_domid = a->domid;
    f.built_privileged = a->privileged;
    f.built_size = a->size;
    memcpy(f.built_image, a->image, MIN(a->size, sizeof(f.built_image)));
    snprintf(f.built_config, sizeof(f.built_config), "%s", a->config);
    return f.build_rc;
}

int lu_rehearse_now(void)
{
    f.rehearsals++;
    return f.rehearse_rc;
}

static bool in_guest(uint64_t gva, size_t len)
{
    return gva >= FAKE_GVA && len <= FAKE_GUEST_SIZE && gva - FAKE_GVA <= FAKE_GUEST_SIZE - len;
}

int copy_from_guest(const struct domain *d, void *dst, uint64_t gva, size_t len)
{
    (void)d;
    f.reads++;
    if (!in_guest(gva, len))
        return -BATON_EFAULT;
    memcpy(dst, guest + (gva - FAKE_GVA), len);
    return 0;
}

int copy_to_guest(const struct domain *d, uint64_t gva, const void *src, size_t len)
{
    (void)d;
    f.writes++;
    if (!in_guest(gva, len))
        return -BATON_EFAULT;
    memcpy(guest + (gva - FAKE_GVA), src, len);
    return 0;
}

pfn_t page_alloc(unsigned int order)
{
    void *p;

    f.page_allocs++;
    if (f.page_fail_at && (int)f.page_allocs == f.page_fail_at)
        return INVALID_PFN;
    p = aligned_alloc(PAGE_SIZE, PAGE_SIZE << order);
    assert_non_null(p);
    memset(p, 0x5a, PAGE_SIZE << order);
    f.pages_live += 1 << order;
    return (pfn_t)((uintptr_t)p >> PAGE_SHIFT);
}

void page_free(pfn_t pfn, unsigned int order)
{
    f.pages_live -= 1 << order;
    free((void *)(uintptr_t)(pfn << PAGE_SHIFT));
}

/* Contiguous host memory standing for the frames: what is written through
 * it is what domain_build sees (the frames themselves are not used). */
void *vmap(const mfn_t *mfns, unsigned int nr)
{
    (void)mfns;
    f.vmaps_live++;
    return calloc(nr, PAGE_SIZE);
}

void vunmap(void *va, unsigned int nr)
{
    (void)nr;
    f.vmaps_live--;
    free(va);
}

uint64_t log_ring_start(void)
{
    return f.ring_start;
}

uint64_t log_ring_end(void)
{
    return f.ring_end;
}

/* The fake ring is sizeof(f.ring) octets; position p is at ring[p % size]. */
size_t log_ring_span(uint64_t pos, size_t max, const char **at)
{
    size_t off = pos % sizeof(f.ring);

    if (pos < f.ring_start || pos >= f.ring_end)
        return 0;
    *at = &f.ring[off];
    return MIN(max, MIN(sizeof(f.ring) - off, f.ring_end - pos));
}

/* ------------------------------------------------------------ set-up */

static struct domain *dom0, *dom1;

static struct domain *add_domain(unsigned int slot, uint16_t domid, enum domain_state state,
                                 const char *name)
{
    struct domain *d = &domains[slot];

    memset(d, 0, sizeof(*d));
    d->domid = domid;
    d->state = state;
    d->privileged = domid == 0;
    d->nr_vcpus = 1;
    d->mem_size = 4u << 20;
    d->nr_extents = 1;
    snprintf(d->name, sizeof(d->name), "%s", name);
    return d;
}

static int setup(void **state)
{
    (void)state;
    harness_log_clear();
    memset(domains, 0, sizeof(domains));
    memset(guest, 0, sizeof(guest));
    memset(&f, 0, sizeof(f));
    f.built_domid = NO_BUILD;
    /* slots out of domid order: the list must still be ascending */
    dom1 = add_domain(0, 1, DOMAIN_ALIVE, "one");
    dom0 = add_domain(3, 0, DOMAIN_ALIVE, "zero");
    memory_map_entries = 2;
    memory_map[0] = (struct mem_range){ 0, 0x9fc00, MEM_RAM };
    memory_map[1] = (struct mem_range){ 0x100000, 0x1ff00000, MEM_RAM };
    return 0;
}

static void *gptr(uint64_t gva)
{
    return guest + (gva - FAKE_GVA);
}

static struct control_op_header hdr(uint32_t cmd)
{
    return (struct control_op_header){ .cmd = cmd, .version = CONTROL_OP_VERSION };
}

/* Put the argument at ARG, call, read it back. */
static long call(struct domain *d, uint32_t cmd, void *arg, size_t size)
{
    long rc;

    memcpy(gptr(ARG), arg, size);
    rc = do_control_op(d, cmd, ARG);
    memcpy(arg, gptr(ARG), size);
    return rc;
}

static long dom_op(uint32_t cmd, uint16_t domid, struct control_domain_op *out)
{
    struct control_domain_op op = { .hdr = hdr(cmd), .domid = domid };
    long rc = call(dom0, cmd, &op, sizeof(op));

    if (out)
        *out = op;
    return rc;
}

/* ------------------------------------------------------------ dispatch */

static void test_unprivileged_eperm_before_reading(void **state)
{
    (void)state;
    for (uint32_t cmd = 0; cmd <= NR_CONTROL_OPS + 1; cmd++) {
        struct control_op_header h = hdr(cmd);

        memcpy(gptr(ARG), &h, sizeof(h));
        assert_int_equal(do_control_op(dom1, cmd, ARG), -BATON_EPERM);
        assert_int_equal(do_control_op(dom1, cmd, 0), -BATON_EPERM);
    }
    assert_int_equal(do_control_op(dom1, 0xffffffffu, ARG), -BATON_EPERM);
    assert_int_equal(f.reads, 0);
    assert_int_equal(f.writes, 0);
}

static void test_unknown_command(void **state)
{
    (void)state;
    assert_int_equal(do_control_op(dom0, 0, ARG), -BATON_ENOSYS);
    assert_int_equal(do_control_op(dom0, NR_CONTROL_OPS, ARG), -BATON_ENOSYS);
    assert_int_equal(do_control_op(dom0, 0xffffffffu, 0), -BATON_ENOSYS);
    assert_int_equal(f.reads, 0);
}

static void test_header(void **state)
{
    struct control_domain_op op = { .hdr = hdr(CONTROL_domain_pause), .domid = 1 };

    (void)state;
    assert_int_equal(do_control_op(dom0, CONTROL_domain_info, 0), -BATON_EFAULT);
    assert_int_equal(do_control_op(dom0, CONTROL_domain_info, FAKE_GVA + FAKE_GUEST_SIZE - 8),
                     -BATON_EFAULT);
    /* header.cmd must repeat cmd: a pause is not run as an info */
    assert_int_equal(call(dom0, CONTROL_domain_info, &op, sizeof(op)), -BATON_EINVAL);
    op.hdr = hdr(CONTROL_domain_pause);
    op.hdr.version = CONTROL_OP_VERSION + 1;
    assert_int_equal(call(dom0, CONTROL_domain_pause, &op, sizeof(op)), -BATON_EINVAL);
    op.hdr.version = 0;
    assert_int_equal(call(dom0, CONTROL_domain_pause, &op, sizeof(op)), -BATON_EINVAL);
    assert_int_equal(dom1->pause_count, 0);
}

/* ------------------------------------------------------------ domains */

static void test_domain_op_validation(void **state)
{
    const uint32_t cmds[] = { CONTROL_domain_info, CONTROL_domain_pause,
                              CONTROL_domain_unpause, CONTROL_domain_destroy };

    (void)state;
    for (unsigned int i = 0; i < 4; i++) {
        struct control_domain_op op = { .hdr = hdr(cmds[i]), .domid = 1 };

        for (unsigned int p = 0; p < 3; p++) {
            op.pad[p] = 1;
            assert_int_equal(call(dom0, cmds[i], &op, sizeof(op)), -BATON_EINVAL);
            op.pad[p] = 0;
        }
        assert_int_equal(dom_op(cmds[i], 7, NULL), -BATON_ENOENT);
        assert_int_equal(dom_op(cmds[i], 0xffff, NULL), -BATON_ENOENT);
    }
    assert_int_equal(dom_op(CONTROL_domain_pause, 0, NULL), -BATON_EINVAL);
    assert_int_equal(dom_op(CONTROL_domain_destroy, 0, NULL), -BATON_EINVAL);
    assert_int_equal(dom_op(CONTROL_domain_unpause, 0, NULL), -BATON_EINVAL);
    assert_int_equal(dom_op(CONTROL_domain_unpause, 1, NULL), -BATON_EINVAL);
    assert_int_equal(f.destroys, 0);
    assert_int_equal(dom1->pause_count, 0);
    /* a slot being restored is not a domain the control plane sees */
    add_domain(5, 9, DOMAIN_RESTORING, "restoring");
    assert_int_equal(dom_op(CONTROL_domain_info, 9, NULL), -BATON_ENOENT);
}

static void test_domain_info(void **state)
{
    struct control_domain_op op;

    (void)state;
    memset(dom1->name, 'x', sizeof(dom1->name));          /* no NUL: still terminated */
    dom1->state = DOMAIN_SHUTDOWN;
    dom1->shutdown_reason = SHUTDOWN_reboot;
    dom1->pause_count = 2;
    dom1->handle[15] = 0xab;
    assert_int_equal(dom_op(CONTROL_domain_info, 1, &op), 0);
    assert_int_equal(op.info.domid, 1);
    assert_int_equal(op.info.state, CONTROL_DOMAIN_SHUTDOWN);
    assert_int_equal(op.info.shutdown_reason, SHUTDOWN_reboot);
    assert_int_equal(op.info.flags, CONTROL_DOMAIN_PAUSED);
    assert_int_equal(op.info.pause_count, 2);
    assert_int_equal(op.info.mem_size, 4u << 20);
    assert_int_equal(op.info.handle[15], 0xab);
    assert_int_equal(op.info.name[CONTROL_NAME_LEN - 1], '\0');
    assert_int_equal(op.info.pad, 0);
    assert_int_equal(dom_op(CONTROL_domain_info, 0, &op), 0);
    assert_int_equal(op.info.flags, CONTROL_DOMAIN_PRIVILEGED);
    assert_string_equal(op.info.name, "zero");
}

static void test_pause_unpause(void **state)
{
    (void)state;
    assert_int_equal(dom_op(CONTROL_domain_pause, 1, NULL), 0);
    assert_int_equal(dom_op(CONTROL_domain_pause, 1, NULL), 0);
    assert_int_equal(dom1->pause_count, 2);
    assert_int_equal(dom_op(CONTROL_domain_unpause, 1, NULL), 0);
    assert_int_equal(dom_op(CONTROL_domain_unpause, 1, NULL), 0);
    assert_int_equal(dom_op(CONTROL_domain_unpause, 1, NULL), -BATON_EINVAL);
    dom1->pause_count = CONTROL_PAUSE_MAX;
    assert_int_equal(dom_op(CONTROL_domain_pause, 1, NULL), -BATON_EBUSY);
    assert_int_equal(dom1->pause_count, CONTROL_PAUSE_MAX);
}

static void test_destroy(void **state)
{
    (void)state;
    f.destroy_rc = -BATON_EBUSY;
    assert_int_equal(dom_op(CONTROL_domain_destroy, 1, NULL), -BATON_EBUSY);
    f.destroy_rc = 0;
    assert_int_equal(dom_op(CONTROL_domain_destroy, 1, NULL), 0);
    assert_int_equal(dom_op(CONTROL_domain_info, 1, NULL), -BATON_ENOENT);
    assert_int_equal(f.destroys, 2);
}

static void test_list(void **state)
{
    struct control_domain_list l = { .hdr = hdr(CONTROL_domain_list), .max = 2, .buf = BUF };
    struct control_domain_info *out = gptr(BUF);

    (void)state;
    add_domain(1, 5, DOMAIN_CRASHED, "five");
    add_domain(2, 3, DOMAIN_RESTORING, "hidden");
    /* too small: -E2BIG, nr says how many, nothing written */
    memset(out, 0xee, 4 * sizeof(*out));
    assert_int_equal(call(dom0, CONTROL_domain_list, &l, sizeof(l)), -BATON_E2BIG);
    assert_int_equal(l.nr, 3);
    assert_int_equal(out[0].domid, 0xeeee);
    l.max = 3;
    assert_int_equal(call(dom0, CONTROL_domain_list, &l, sizeof(l)), 0);
    assert_int_equal(l.nr, 3);
    assert_int_equal(out[0].domid, 0);
    assert_int_equal(out[1].domid, 1);
    assert_int_equal(out[2].domid, 5);
    assert_int_equal(out[2].state, CONTROL_DOMAIN_CRASHED);
    assert_int_equal(out[3].domid, 0xeeee);                 /* max respected */
    l.buf = FAKE_GVA + FAKE_GUEST_SIZE - sizeof(*out);
    assert_int_equal(call(dom0, CONTROL_domain_list, &l, sizeof(l)), -BATON_EFAULT);
    l.max = 0xffffffffu;
    l.buf = BUF;
    assert_int_equal(call(dom0, CONTROL_domain_list, &l, sizeof(l)), 0);
    assert_int_equal(l.nr, 3);
}

/* ------------------------------------------------------------ create */

static struct control_domain_create create_arg(uint64_t size, const char *config)
{
    size_t n = strlen(config);

    memcpy(gptr(BUF), config, n);
    for (uint64_t i = 0; i < size && i < FAKE_GUEST_SIZE - (IMG - FAKE_GVA); i++)
        ((uint8_t *)gptr(IMG))[i] = (uint8_t)(i * 7);
    return (struct control_domain_create){ .hdr = hdr(CONTROL_domain_create), .image = IMG,
                                           .image_size = size, .config = BUF,
                                           .config_len = (uint32_t)n };
}

static void assert_nothing_staged(void)
{
    assert_int_equal(f.pages_live, 0);
    assert_int_equal(f.vmaps_live, 0);
}

static void test_create_sizes_before_copy(void **state)
{
    struct control_domain_create c = create_arg(4096, "name=x");
    struct control_domain_create b;

    (void)state;
    b = c; b.pad = 1;
    assert_int_equal(call(dom0, CONTROL_domain_create, &b, sizeof(b)), -BATON_EINVAL);
    b = c; b.image_size = 0;
    assert_int_equal(call(dom0, CONTROL_domain_create, &b, sizeof(b)), -BATON_EINVAL);
    b = c; b.image_size = CONTROL_IMAGE_MAX + 1;
    assert_int_equal(call(dom0, CONTROL_domain_create, &b, sizeof(b)), -BATON_E2BIG);
    b = c; b.image_size = ~0ull;
    assert_int_equal(call(dom0, CONTROL_domain_create, &b, sizeof(b)), -BATON_E2BIG);
    b = c; b.config_len = CONTROL_CONFIG_MAX + 1;
    assert_int_equal(call(dom0, CONTROL_domain_create, &b, sizeof(b)), -BATON_E2BIG);
    b = c; b.config_len = 0xffffffffu;
    assert_int_equal(call(dom0, CONTROL_domain_create, &b, sizeof(b)), -BATON_E2BIG);
    /* only the argument itself was read; nothing allocated, nothing built */
    assert_int_equal(f.reads, 6);
    assert_int_equal(f.page_allocs, 0);
    assert_int_equal(f.built_domid, NO_BUILD);
}

static void test_create_config(void **state)
{
    struct control_domain_create c;

    (void)state;
    c = create_arg(4096, "name=a\0b");
    c.config_len = 8;
    assert_int_equal(call(dom0, CONTROL_domain_create, &c, sizeof(c)), -BATON_EINVAL);
    c = create_arg(4096, "name=a");
    c.config = FAKE_GVA + FAKE_GUEST_SIZE - 2;
    assert_int_equal(call(dom0, CONTROL_domain_create, &c, sizeof(c)), -BATON_EFAULT);
    assert_int_equal(f.page_allocs, 0);
    assert_int_equal(f.built_domid, NO_BUILD);
    /* config_len 0: the builder's defaults, config never read */
    c = create_arg(4096, "");
    c.config = 0;
    assert_int_equal(call(dom0, CONTROL_domain_create, &c, sizeof(c)), 0);
    assert_string_equal(f.built_config, "");
    /* exactly CONTROL_CONFIG_MAX octets, NUL-terminated for the parser */
    memset(gptr(BUF), 'k', CONTROL_CONFIG_MAX);
    c = create_arg(4096, "");
    c.config_len = CONTROL_CONFIG_MAX;
    assert_int_equal(call(dom0, CONTROL_domain_create, &c, sizeof(c)), 0);
    assert_int_equal(strlen(f.built_config), CONTROL_CONFIG_MAX);
    assert_nothing_staged();
}

static void test_create_builds(void **state)
{
    struct control_domain_create c = create_arg(5000, "name=new mem=4M");

    (void)state;
    add_domain(1, 2, DOMAIN_CRASHED, "two");           /* ids 0, 1, 2 held: 3 is next */
    assert_int_equal(call(dom0, CONTROL_domain_create, &c, sizeof(c)), 0);
    assert_int_equal(c.domid, 3);
    assert_int_equal(f.built_domid, 3);
    assert_false(f.built_privileged);
    assert_int_equal(f.built_size, 5000);
    assert_string_equal(f.built_config, "name=new mem=4M");
    for (unsigned int i = 0; i < sizeof(f.built_image); i++)
        assert_int_equal(f.built_image[i], (uint8_t)(i * 7));
    assert_nothing_staged();
    /* a builder refusal is passed on, staging given back, domid untouched */
    f.build_rc = -BATON_EINVAL;
    c = create_arg(5000, "name=bad");
    c.domid = 0x1234;
    assert_int_equal(call(dom0, CONTROL_domain_create, &c, sizeof(c)), -BATON_EINVAL);
    assert_int_equal(c.domid, 0x1234);
    assert_nothing_staged();
}

static void test_create_image_faults(void **state)
{
    struct control_domain_create c = create_arg(4096, "name=x");

    (void)state;
    c.image = FAKE_GVA + FAKE_GUEST_SIZE - 65536 - 4096;
    c.image_size = 3 * 65536;       /* three chunks: the first readable, the second not */
    assert_int_equal(call(dom0, CONTROL_domain_create, &c, sizeof(c)), -BATON_EFAULT);
    assert_int_equal(f.built_domid, NO_BUILD);
    assert_nothing_staged();
    c = create_arg(4096, "name=x");
    c.image = 0;
    assert_int_equal(call(dom0, CONTROL_domain_create, &c, sizeof(c)), -BATON_EFAULT);
    assert_nothing_staged();
}

static void test_create_out_of_memory(void **state)
{
    struct control_domain_create c = create_arg(10 * 4096, "name=x");

    (void)state;
    for (int at = 1; at <= 11; at++) {
        f.page_allocs = 0;
        f.page_fail_at = at;
        assert_int_equal(call(dom0, CONTROL_domain_create, &c, sizeof(c)), -BATON_ENOMEM);
        assert_nothing_staged();
    }
    assert_int_equal(f.built_domid, NO_BUILD);
}

static void test_create_no_slot(void **state)
{
    struct control_domain_create c = create_arg(4096, "name=x");

    (void)state;
    for (unsigned int i = 0; i < CONFIG_MAX_DOMAINS; i++)
        if (domains[i].state == DOMAIN_FREE)
            add_domain(i, (uint16_t)(100 + i), DOMAIN_ALIVE, "filler");
    assert_int_equal(call(dom0, CONTROL_domain_create, &c, sizeof(c)), -BATON_ENOSPC);
    assert_int_equal(f.page_allocs, 0);
    assert_int_equal(f.built_domid, NO_BUILD);
}

/* ------------------------------------------------------------ console, memory map */

static long console_read(uint64_t offset, uint32_t size, struct control_console_read *r)
{
    *r = (struct control_console_read){ .hdr = hdr(CONTROL_console_read), .buf = BUF,
                                        .size = size, .offset = offset };
    return call(dom0, CONTROL_console_read, r, sizeof(*r));
}

static void fill_ring(uint64_t start, uint64_t end)
{
    for (uint64_t p = start; p < end; p++)
        f.ring[p % sizeof(f.ring)] = (char)('a' + p % 26);
    f.ring_start = start;
    f.ring_end = end;
}

static void test_console_read(void **state)
{
    struct control_console_read r;
    const char *out = gptr(BUF);

    (void)state;
    fill_ring(100, 100 + sizeof(f.ring));       /* full, wrapped: 36 octets lost */
    assert_int_equal(console_read(f.ring_end + 1, 16, &r), -BATON_EINVAL);
    /* from 0: what was overwritten is skipped and counted */
    assert_int_equal(console_read(0, 1000, &r), 0);
    assert_int_equal(r.lost, 100);
    assert_int_equal(r.len, sizeof(f.ring));
    assert_int_equal(r.next, f.ring_end);
    for (uint32_t i = 0; i < r.len; i++)
        assert_int_equal(out[i], 'a' + (100 + i) % 26);
    /* a small buffer across the wrap: two spans, in order */
    assert_int_equal(console_read(125, 10, &r), 0);
    assert_int_equal(r.lost, 0);
    assert_int_equal(r.len, 10);
    assert_int_equal(r.next, 135);
    for (uint32_t i = 0; i < 10; i++)
        assert_int_equal(out[i], 'a' + (125 + i) % 26);
    /* at the end, or size 0: nothing, next where it was */
    assert_int_equal(console_read(f.ring_end, 10, &r), 0);
    assert_int_equal(r.len, 0);
    assert_int_equal(r.next, f.ring_end);
    assert_int_equal(console_read(120, 0, &r), 0);
    assert_int_equal(r.len, 0);
    assert_int_equal(r.next, 120);
    r = (struct control_console_read){ .hdr = hdr(CONTROL_console_read), .size = 10,
                                       .buf = FAKE_GVA + FAKE_GUEST_SIZE - 4, .offset = 120 };
    assert_int_equal(call(dom0, CONTROL_console_read, &r, sizeof(r)), -BATON_EFAULT);
}

static void test_memory_map(void **state)
{
    struct control_memory_map m = { .hdr = hdr(CONTROL_memory_map), .max = 1, .buf = BUF };
    struct control_e820 *e = gptr(BUF);

    (void)state;
    memset(e, 0xee, 3 * sizeof(*e));
    assert_int_equal(call(dom0, CONTROL_memory_map, &m, sizeof(m)), -BATON_E2BIG);
    assert_int_equal(m.nr, 2);
    assert_int_equal(e[0].type, 0xeeeeeeeeu);
    m.max = 128;
    assert_int_equal(call(dom0, CONTROL_memory_map, &m, sizeof(m)), 0);
    assert_int_equal(m.nr, 2);
    assert_int_equal(e[1].addr, 0x100000);
    assert_int_equal(e[1].size, 0x1ff00000);
    assert_int_equal(e[1].type, CONTROL_E820_RAM);
    assert_int_equal(e[1].pad, 0);
    assert_int_equal(e[2].type, 0xeeeeeeeeu);
}

static void test_lu_rehearse(void **state)
{
    struct control_op_header h = hdr(CONTROL_lu_rehearse);

    (void)state;
    assert_int_equal(call(dom0, CONTROL_lu_rehearse, &h, sizeof(h)), 0);
    f.rehearse_rc = -BATON_EBUSY;
    assert_int_equal(call(dom0, CONTROL_lu_rehearse, &h, sizeof(h)), -BATON_EBUSY);
    assert_int_equal(f.rehearsals, 2);
    assert_int_equal(call(dom1, CONTROL_lu_rehearse, &h, sizeof(h)), -BATON_EPERM);
    assert_int_equal(f.rehearsals, 2);
}

/* CONTROL_version: the build's strings, the stream versions of
 * lu_stream.h, zero pad; privileged caller only. */
static void test_version(void **state)
{
    struct control_version v = { .hdr = hdr(CONTROL_version) };

    (void)state;
    memset(&v.info, 0xee, sizeof(v.info));
    assert_int_equal(call(dom0, CONTROL_version, &v, sizeof(v)), 0);
    assert_string_equal(v.info.version, "0.1-unit");
    assert_string_equal(v.info.build_id, "00112233445566778899aabbccddeeff00112233");
    assert_int_equal(v.info.major, BATON_VERSION_MAJOR);
    assert_int_equal(v.info.minor, BATON_VERSION_MINOR);
    assert_int_equal(v.info.lu_write, LU_STREAM_VERSION);
    assert_int_equal(v.info.lu_compat, LU_STREAM_COMPAT);
    assert_int_equal(v.info.lu_read_min, LU_STREAM_VERSION_MIN);
    assert_int_equal(v.info.lu_read_max, LU_STREAM_VERSION);
    assert_int_equal(v.info.flags, CONTROL_VERSION_F_LIVE_UPDATE);
    /* the masks of include/baton/domctx_types.h, FPU among them */
    assert_true(v.info.domctx_types_write == DOMCTX_TYPES_WRITES);
    assert_true(v.info.domctx_types_load == DOMCTX_TYPES_LOADS);
    assert_true(v.info.domctx_types_write & DOMCTX_TYPE_BIT(FPU));
    assert_int_equal(v.info.pad, 0);
    assert_int_equal(v.info.version[CONTROL_VERSION_TEXT_LEN - 1], 0);
    v.hdr.version = CONTROL_OP_VERSION + 1;
    assert_int_equal(call(dom0, CONTROL_version, &v, sizeof(v)), -BATON_EINVAL);
    v.hdr = hdr(CONTROL_version);
    f.writes = 0;
    assert_int_equal(call(dom1, CONTROL_version, &v, sizeof(v)), -BATON_EPERM);
    assert_int_equal(f.writes, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_unprivileged_eperm_before_reading, setup),
        cmocka_unit_test_setup(test_unknown_command, setup),
        cmocka_unit_test_setup(test_header, setup),
        cmocka_unit_test_setup(test_domain_op_validation, setup),
        cmocka_unit_test_setup(test_domain_info, setup),
        cmocka_unit_test_setup(test_pause_unpause, setup),
        cmocka_unit_test_setup(test_destroy, setup),
        cmocka_unit_test_setup(test_list, setup),
        cmocka_unit_test_setup(test_create_sizes_before_copy, setup),
        cmocka_unit_test_setup(test_create_config, setup),
        cmocka_unit_test_setup(test_create_builds, setup),
        cmocka_unit_test_setup(test_create_image_faults, setup),
        cmocka_unit_test_setup(test_create_out_of_memory, setup),
        cmocka_unit_test_setup(test_create_no_slot, setup),
        cmocka_unit_test_setup(test_console_read, setup),
        cmocka_unit_test_setup(test_memory_map, setup),
        cmocka_unit_test_setup(test_lu_rehearse, setup),
        cmocka_unit_test_setup(test_version, setup),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
