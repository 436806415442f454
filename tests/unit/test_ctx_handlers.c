/*
 * The real domain context handlers on the host (issue 7): DOMAIN
 * (common/domain.c), VCPU (arch/x86/vcpu.c), EVTCHN (common/event_channel.c),
 * GRANT and GRANT_MAP (common/grant_table.c), TIMER (common/timer.c) and
 * CONSOLE (common/guest_console.c), registered by domctx_init() from the
 * linker-built table; and the restore (common/lu/restore.c) fed streams
 * written by the real LU writer.
 *
 *   - round trips: save a domain with state in every handler, load it into
 *     a domain prepared as decode_domain() prepares one, compare every
 *     field, and save it again to the same octets;
 *   - every validation rule of every load handler, one case each, on a good
 *     blob with exactly that rule broken (a patched field);
 *   - IGNORE entries skipped whatever they hold;
 *   - lu_restore of a 4-domain stream; and failures in decode (2nd domain),
 *     in the cross-domain checks and in commit, each leaving every slot FREE
 *     and every page table, stack and vmap given back.
 *
 * `test_ctx_handlers --seeds DIR` writes the seed corpus of
 * tests/fuzz/fuzz_restore.c (see there for the input format) and exits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <baton/arch.h>
#include <baton/domain.h>
#include <baton/domctx.h>
#include <baton/domctx_types.h>
#include <baton/errno.h>
#include <baton/lib.h>
#include <baton/lu.h>
#include <public/hypercall.h>
#include "../../tools/lib/lu_host.h"
#include "ctx_fake.h"
#include "domain_maps.h"
#include "harness.h"

#define RFLAGS_BASE (RFLAGS_IF | 0x2)   /* IF and the fixed bit 1 */
#define MEM_PAGES   512u                /* 2 MiB per domain */

/* ------------------------------------------------------------ blobs */

struct buf {
    uint8_t *p;
    size_t len, cap;
};

static int buf_write(void *priv, const void *data, size_t len)
{
    struct buf *b = priv;

    if (b->len + len > b->cap) {
        b->cap = (b->len + len) * 2 + 256;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
    memcpy(b->p + b->len, data, len);
    b->len += len;
    return 0;
}

/* domctx_save of d into a malloc'd blob; the dry run must agree. */
static uint8_t *save_blob(struct domain *d, size_t *len)
{
    struct buf b = { 0 };
    size_t dry = 0, wrote = 0;

    assert_int_equal(domctx_size(d, d->nr_vcpus, &dry), 0);
    assert_int_equal(domctx_save(d, d->nr_vcpus, buf_write, &b, &wrote), 0);
    assert_int_equal(dry, wrote);
    assert_int_equal(wrote, b.len);
    *len = b.len;
    return b.p;
}

/* Body of the n-th entry of a type in a blob (walked by hand), or NULL. */
static void *entry_body(uint8_t *blob, size_t len, uint16_t type, unsigned int n,
                        struct domctx_desc **descp)
{
    size_t off = 0;

    while (off + sizeof(struct domctx_desc) <= len) {
        struct domctx_desc *d = (struct domctx_desc *)(blob + off);

        if (d->typecode == type && n-- == 0) {
            if (descp)
                *descp = d;
            return blob + off + sizeof(*d);
        }
        if (d->typecode == DOMCTX_TYPE_END)
            break;
        off += sizeof(*d) + ALIGN_UP((size_t)d->length, DOMCTX_ALIGN);
    }
    return NULL;
}

/* A hand-built blob: HEADER, what the test appends, END. */
static void bb_entry(struct buf *b, uint16_t type, uint16_t flags, uint32_t vcpu,
                     const void *body, uint32_t len)
{
    const struct domctx_desc d = { .typecode = type, .flags = flags, .vcpu_id = vcpu,
                                   .length = len };
    static const uint8_t zero[DOMCTX_ALIGN];

    buf_write(b, &d, sizeof(d));
    if (len)
        buf_write(b, body, len);
    buf_write(b, zero, ALIGN_UP((size_t)len, DOMCTX_ALIGN) - len);
}

/*
 * Copy a good blob entry by entry into b (HEADER and END included), calling
 * hook before each entry: it may append entries of its own and returns
 * false to drop the entry itself.
 */
typedef bool (*copy_hook)(struct buf *b, const struct domctx_desc *d, const void *body,
                          void *priv);

static void copy_blob(struct buf *b, const uint8_t *blob, size_t len, copy_hook hook,
                      void *priv)
{
    size_t off = 0;

    while (off + sizeof(struct domctx_desc) <= len) {
        const struct domctx_desc *d = (const struct domctx_desc *)(blob + off);
        const void *body = blob + off + sizeof(*d);

        if (!hook || d->typecode == DOMCTX_TYPE_HEADER || hook(b, d, body, priv))
            bb_entry(b, d->typecode, d->flags, d->vcpu_id, body, d->length);
        if (d->typecode == DOMCTX_TYPE_END)
            break;
        off += sizeof(*d) + ALIGN_UP((size_t)d->length, DOMCTX_ALIGN);
    }
}

/* ------------------------------------------------------------ the world */

/*
 * Four consistent domains in the real domain table (as a running system
 * holds them), every one paused once by the saver:
 *   d0: privileged, 2 vCPUs (one OFFLINE), I/O ports, console port 1,
 *       port 2 interdomain to d1 port 5, grants ref 7 read-only to d1;
 *   d1: the rich one: 4 vCPUs (RUNNABLE, BLOCKED with its registers on a
 *       started stack, RUNNABLE, OFFLINE), two timers, virqs on two vCPUs,
 *       the console on port 3, unbound, interdomain, loopback ports and
 *       port 1023, grants refs 0 and 255 to d2, maps d0's ref 7 in slot 0,
 *       a partial console line and budgets;
 *   d2: 1 vCPU, console port 2, port 1 interdomain to d1 port 7, maps d1's
 *       refs 0 (slot 5, writable) and 255 (slot 63, read-only);
 *   d3: shut down (reboot), vCPUs OFFLINE, nothing open.
 * upcall_bits: set evtchn_upcall_pending/_mask in shared info (the seeds of
 * the fuzz target leave them 0: its guest memory is all zeroes).
 */
#define NR_WORLD 4

static struct cpu_user_regs make_regs(uint64_t seed)
{
    struct cpu_user_regs r;

    memset(&r, 0, sizeof(r));
    r.rax = seed + 1; r.rbx = seed + 2; r.rcx = seed + 3; r.rdx = seed + 4;
    r.rsi = seed + 5; r.rdi = seed + 6; r.rbp = seed + 7; r.rsp = 0x7fff0000 - seed;
    r.r8 = seed + 8; r.r9 = seed + 9; r.r10 = seed + 10; r.r11 = seed + 11;
    r.r12 = seed + 12; r.r13 = seed + 13; r.r14 = seed + 14; r.r15 = seed + 15;
    r.rip = 0x401000 + seed;
    r.rflags = RFLAGS_BASE | 0x1 | 0x40 | 0x400;    /* CF, ZF, DF */
    r.cs = GDT_USER_CS;
    r.ss = GDT_USER_DS;
    return r;
}

static void set_port(struct domain *d, uint32_t port, uint8_t state, uint16_t rdom,
                     uint32_t rport)
{
    d->evtchn[port].state = state;
    d->evtchn[port].remote_dom = rdom;
    d->evtchn[port].remote_port = rport;
    maps_port_written(d, port);
}

static void set_virq(struct domain *d, uint32_t port, uint32_t virq, uint32_t vcpu)
{
    d->evtchn[port].state = EVTCHNSTAT_virq;
    d->evtchn[port].virq = virq;
    d->evtchn[port].vcpu = vcpu;
    d->vcpus[vcpu].virq_port[virq] = port;
    maps_port_written(d, port);
}

static void set_console(struct domain *d, uint32_t port)
{
    set_port(d, port, EVTCHNSTAT_interdomain, DOMID_HYPERVISOR, 0);
    d->console_port = port;
}

static struct domain *world_domain(uint16_t domid, unsigned int nr_vcpus, bool privileged)
{
    struct domain *d = ctx_fake_restoring(domid, nr_vcpus, privileged, domid * MEM_PAGES,
                                          MEM_PAGES);

    assert_non_null(d);
    d->state = DOMAIN_ALIVE;
    d->pause_count = 1;     /* the saver's */
    snprintf(d->name, sizeof(d->name), "dom-%u", domid);
    return d;
}

static void build_world(struct domain *w[NR_WORLD], bool upcall_bits)
{
    struct domain *d;

    /* d0 */
    d = w[0] = world_domain(0, 2, true);
    snprintf(d->name, sizeof(d->name), "control domain~");
    d->time_base_ns = 1000;
    d->ioport_first = 0x3f8;
    d->ioport_count = 8;
    d->vcpus[0].state = VCPU_RUNNABLE;
    d->vcpus[0].arch.regs = make_regs(0x100);
    set_console(d, 1);
    set_port(d, 2, EVTCHNSTAT_interdomain, 1, 5);
    d->grants[7] = (struct grant_entry){ .in_use = true, .grantee = 1, .flags = GNTF_readonly,
                                         .gpfn = 0x100, .map_count = 1 };
    maps_grant_written(d, 7);
    d->console.tokens = KiB(16);
    d->console.last_refill_ns = 1;

    /* d1 */
    d = w[1] = world_domain(1, 4, false);
    snprintf(d->name, sizeof(d->name), "a-31-character-name-for-d1-xyz!");
    d->pause_count = 4;     /* three pauses of others, and the saver's */
    d->time_base_ns = UINT64_C(5000000000);
    for (unsigned int i = 0; i < 3; i++)
        d->vcpus[i].arch.regs = make_regs(0x1000 * (i + 1));
    d->vcpus[0].state = VCPU_RUNNABLE;
    d->vcpus[0].upcall_entry = PV_KERNEL_BASE + 0x800;
    d->vcpus[0].arch.ds = GDT_USER_DS;
    d->vcpus[0].arch.es = GDT_USER_DS;
    d->vcpus[0].arch.gs = GDT_USER_DS;
    d->vcpus[1].state = VCPU_BLOCKED;
    d->vcpus[1].upcall_entry = (uint64_t)MEM_PAGES * PAGE_SIZE - 8;
    d->vcpus[1].arch.fs = GDT_USER_DS;
    d->vcpus[2].state = VCPU_RUNNABLE;
    d->vcpus[2].arch.regs.rflags = RFLAGS_BASE | UINT64_C(0x250fd7); /* every flag a guest may hold */
    /* vCPU 1 switched out on its own stack: save must read the frame there */
    assert_int_equal(arch_vcpu_start(&d->vcpus[1]), 0);
    memset(&d->vcpus[1].arch.regs, 0xee, sizeof(d->vcpus[1].arch.regs));
    d->vcpus[0].timer_deadline = d->time_base_ns + UINT64_C(1000000000);
    d->vcpus[2].timer_deadline = d->time_base_ns + SET_TIMER_MAX_NS;   /* the farthest */
    set_virq(d, 1, VIRQ_TIMER, 0);
    set_virq(d, 2, VIRQ_TIMER, 2);
    set_console(d, 3);
    set_port(d, 4, EVTCHNSTAT_unbound, 2, 0);
    set_port(d, 5, EVTCHNSTAT_interdomain, 0, 2);
    set_port(d, 6, EVTCHNSTAT_interdomain, 1, 9);
    set_port(d, 7, EVTCHNSTAT_interdomain, 2, 1);
    set_port(d, 9, EVTCHNSTAT_interdomain, 1, 6);
    set_port(d, NR_EVTCHN_PORTS - 1, EVTCHNSTAT_unbound, 0, 0);
    d->grants[0] = (struct grant_entry){ .in_use = true, .grantee = 2, .gpfn = 0x150,
                                         .map_count = 1 };
    d->grants[NR_GRANT_REFS - 1] = (struct grant_entry){
        .in_use = true, .grantee = 2, .flags = GNTF_readonly, .gpfn = MEM_PAGES - 1,
        .map_count = 1 };
    d->gnt_maps[0] = (struct grant_mapping){ .in_use = true, .readonly = true, .granter = 0,
                                             .ref = 7 };
    maps_grant_written(d, 0);
    maps_grant_written(d, NR_GRANT_REFS - 1);
    maps_slot_written(d, 0);
    memcpy(d->console.line, "partial\tline ~", 14);
    d->console.line_len = 14;
    d->console.tokens = 1234;
    d->console.last_refill_ns = 777;
    d->console.dropped = 42;
    d->console.share = (struct console_share){ .tokens = 100, .last_refill_ns = 55,
                                               .last_output_ns = 66, .burst = KiB(4) };
    if (upcall_bits) {
        d->shared_info->vcpu_info[0].evtchn_upcall_pending = 1;
        d->shared_info->vcpu_info[1].evtchn_upcall_mask = 1;
        d->shared_info->vcpu_info[3].evtchn_upcall_pending = 1;
        d->shared_info->vcpu_info[3].evtchn_upcall_mask = 1;
    }

    /* d2 */
    d = w[2] = world_domain(2, 1, false);
    d->vcpus[0].state = VCPU_BLOCKED;
    d->vcpus[0].arch.regs = make_regs(0x2000);
    set_port(d, 1, EVTCHNSTAT_interdomain, 1, 7);
    set_console(d, 2);
    d->gnt_maps[5] = (struct grant_mapping){ .in_use = true, .granter = 1, .ref = 0 };
    d->gnt_maps[GNT_WINDOW_SLOTS - 1] = (struct grant_mapping){
        .in_use = true, .readonly = true, .granter = 1, .ref = NR_GRANT_REFS - 1 };
    maps_slot_written(d, 5);
    maps_slot_written(d, GNT_WINDOW_SLOTS - 1);
    d->console.share.burst = KiB(8);
    d->console.share.tokens = KiB(8);

    /* d3 */
    d = w[3] = world_domain(3, 3, false);
    d->state = DOMAIN_SHUTDOWN;
    d->shutdown_reason = SHUTDOWN_reboot;
    d->time_base_ns = 7;
}

/* ------------------------------------------------------------ comparing */

/* What a restored domain must hold of its source (map counts: expect_maps). */
static void compare_domain(const struct domain *src, const struct domain *dst, bool expect_maps)
{
    assert_int_equal(dst->domid, src->domid);
    assert_string_equal(dst->name, src->name);
    assert_memory_equal(dst->name, src->name, sizeof(src->name));
    assert_int_equal(dst->state, src->state);
    assert_int_equal(dst->shutdown_reason, src->shutdown_reason);
    assert_int_equal(dst->pause_count, src->pause_count);
    assert_int_equal(dst->privileged, src->privileged);
    assert_int_equal(dst->time_base_ns, src->time_base_ns);
    assert_int_equal(dst->ioport_first, src->ioport_first);
    assert_int_equal(dst->ioport_count, src->ioport_count);
    assert_int_equal(dst->nr_vcpus, src->nr_vcpus);

    for (unsigned int i = 0; i < MAX_VIRT_CPUS; i++) {
        const struct vcpu *sv = &src->vcpus[i], *dv = &dst->vcpus[i];
        struct cpu_user_regs sr = sv->arch.regs;

        assert_int_equal(dv->id, i);
        assert_ptr_equal(dv->domain, dst);
        assert_int_equal(dv->state, sv->state);
        assert_int_equal(dv->upcall_entry, sv->upcall_entry);
        assert_int_equal(dv->timer_deadline, sv->timer_deadline);
        assert_memory_equal(dv->virq_port, sv->virq_port, sizeof(sv->virq_port));
        if (sv->state == VCPU_OFFLINE) {
            /* an offline vCPU restarts from scratch: nothing of its frame kept */
            struct cpu_user_regs zero;

            memset(&zero, 0, sizeof(zero));
            if (!dv->arch.kstack)
                assert_memory_equal(&dv->arch.regs, &zero, sizeof(zero));
            continue;
        }
        if (sv->arch.kstack)    /* started: the frame on its stack */
            memcpy(&sr, (uint8_t *)sv->arch.kstack + 4 * PAGE_SIZE - sizeof(sr), sizeof(sr));
        if (dv->arch.kstack)
            assert_memory_equal((uint8_t *)dv->arch.kstack + 4 * PAGE_SIZE - sizeof(sr), &sr,
                                sizeof(sr));
        else
            assert_memory_equal(&dv->arch.regs, &sr, sizeof(sr));
        assert_int_equal(dv->arch.ds, sv->arch.ds);
        assert_int_equal(dv->arch.es, sv->arch.es);
        assert_int_equal(dv->arch.fs, sv->arch.fs);
        assert_int_equal(dv->arch.gs, sv->arch.gs);
    }

    assert_int_equal(dst->console_port, src->console_port);
    /* the restored bitmaps are exact, and so the same as the source's */
    assert_int_equal(maps_mismatch(src), 0);
    assert_int_equal(maps_mismatch(dst), 0);
    for (unsigned int p = 0; p < NR_EVTCHN_PORTS; p++) {
        const struct evtchn *s = &src->evtchn[p], *t = &dst->evtchn[p];

        assert_int_equal(t->state, s->state);
        assert_int_equal(t->remote_dom, s->remote_dom);
        assert_int_equal(t->remote_port, s->remote_port);
        assert_int_equal(t->virq, s->virq);
        assert_int_equal(t->vcpu, s->vcpu);
    }
    for (unsigned int r = 0; r < NR_GRANT_REFS; r++) {
        const struct grant_entry *s = &src->grants[r], *t = &dst->grants[r];

        assert_int_equal(t->in_use, s->in_use);
        assert_int_equal(t->grantee, s->grantee);
        assert_int_equal(t->flags, s->flags);
        assert_int_equal(t->gpfn, s->gpfn);
        /* not carried: restore counts the grantees' GRANT_MAP entries */
        assert_int_equal(t->map_count, expect_maps ? s->map_count : 0);
    }
    for (unsigned int sl = 0; sl < GNT_WINDOW_SLOTS; sl++) {
        const struct grant_mapping *s = &src->gnt_maps[sl], *t = &dst->gnt_maps[sl];

        assert_int_equal(t->in_use, s->in_use);
        assert_int_equal(t->readonly, s->readonly);
        assert_int_equal(t->granter, s->granter);
        assert_int_equal(t->ref, s->ref);
    }
    assert_int_equal(dst->console.line_len, src->console.line_len);
    assert_memory_equal(dst->console.line, src->console.line, sizeof(src->console.line));
    assert_int_equal(dst->console.tokens, src->console.tokens);
    assert_int_equal(dst->console.last_refill_ns, src->console.last_refill_ns);
    assert_int_equal(dst->console.dropped, src->console.dropped);
    assert_int_equal(dst->console.share.tokens, src->console.share.tokens);
    assert_int_equal(dst->console.share.last_refill_ns, src->console.share.last_refill_ns);
    assert_int_equal(dst->console.share.last_output_ns, src->console.share.last_output_ns);
    assert_int_equal(dst->console.share.burst, src->console.share.burst);
}

/* A zeroed heap domain prepared as decode_domain() prepares a slot, on the
 * same guest memory as src (so the upcall bits agree). */
static struct domain *fresh_like(const struct domain *src)
{
    struct domain *d = ctx_fake_restoring_heap(src->domid, src->nr_vcpus, src->privileged,
                                               src->domid * MEM_PAGES, MEM_PAGES);

    assert_non_null(d);
    return d;
}

static int load(struct domain *d, const void *blob, size_t len, unsigned int flags)
{
    char err[160];

    return domctx_load(d, d->nr_vcpus, blob, len, flags, err, sizeof(err));
}

/* ------------------------------------------------------------ fixtures */

static int setup(void **state)
{
    (void)state;
    ctx_fake_reset();
    harness_log_clear();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ctx_fake_reset();
    return 0;
}

static void test_registered(void **state)
{
    static const char *const names[] = {
        [DOMCTX_TYPE_DOMAIN] = "DOMAIN", [DOMCTX_TYPE_VCPU] = "VCPU",
        [DOMCTX_TYPE_EVTCHN] = "EVTCHN", [DOMCTX_TYPE_GRANT] = "GRANT",
        [DOMCTX_TYPE_GRANT_MAP] = "GRANT_MAP", [DOMCTX_TYPE_TIMER] = "TIMER",
        [DOMCTX_TYPE_CONSOLE] = "CONSOLE", [DOMCTX_TYPE_FPU] = "FPU",
    };

    (void)state;
    for (uint16_t t = DOMCTX_TYPE_DOMAIN; t <= DOMCTX_TYPE_FPU; t++)
        assert_string_equal(domctx_type_name(t), names[t]);
    assert_null(domctx_type_name(DOMCTX_TYPE_FPU + 1));
}

/* The masks the image's ELF note and CONTROL_version carry
 * (include/baton/domctx_types.h) are exactly the registered handlers. */
static int load_only(struct domain *d, unsigned int vcpu, const struct domctx_entry *e)
{
    (void)d, (void)vcpu, (void)e;
    return 0;
}

static void expect_mask_refused(uint16_t extra, const char *said)
{
    char err[200] = "";

    assert_int_equal(domctx_register(extra, "EXTRA", 0, 8, NULL, load_only), 0);
    assert_int_equal(domctx_types_check(err, sizeof(err)), -BATON_EINVAL);
    if (!strstr(err, said))
        fail_msg("type 0x%04x: message '%s', expected '%s' in it", extra, err, said);
    domctx_unregister_all();
    assert_int_equal(domctx_init(), 0);
}

static void test_type_masks(void **state)
{
    char err[200] = "";
#define NAMED_(n) assert_string_equal(domctx_type_name(DOMCTX_TYPE_##n), #n);
    DOMCTX_TYPES_EACH(NAMED_)
#undef NAMED_

    (void)state;
    assert_int_equal(domctx_types_check(err, sizeof(err)), 0);
    assert_true(domctx_registered_types(true) == DOMCTX_TYPES_LOADS);
    assert_true(domctx_registered_types(false) == DOMCTX_TYPES_WRITES);
    assert_true(DOMCTX_TYPES_LOADS & DOMCTX_TYPE_BIT(FPU));
    assert_true(DOMCTX_TYPES_WRITES & DOMCTX_TYPE_BIT(FPU));
    /* a load handler the masks do not declare, one past their reach, and
     * a test type (never in a mask: accepted) */
    expect_mask_refused(DOMCTX_TYPE_FPU + 1, "registered only 0x0000000000000400");
    expect_mask_refused(64, "handler EXTRA has type 0x0040, expected below 64");
    assert_int_equal(domctx_register(DOMCTX_TYPE_TEST_FIRST, "TEST", 0, 8, NULL, load_only), 0);
    assert_int_equal(domctx_types_check(err, sizeof(err)), 0);
    domctx_unregister_all();
    assert_int_equal(domctx_init(), 0);
}

/* ------------------------------------------------------------ round trips */

static void round_trip(struct domain *src, unsigned int expect_entries[DOMCTX_TYPE_CONSOLE + 1])
{
    size_t len, len2;
    uint8_t *blob = save_blob(src, &len), *blob2;
    struct domain *dst = fresh_like(src);

    for (uint16_t t = DOMCTX_TYPE_DOMAIN; t <= DOMCTX_TYPE_CONSOLE; t++) {
        unsigned int n = 0;

        while (entry_body(blob, len, t, n, NULL))
            n++;
        assert_int_equal(n, expect_entries[t]);
    }
    assert_int_equal(load(dst, blob, len, 0), 0);
    compare_domain(src, dst, false);
    /* and saved again, the same octets */
    blob2 = save_blob(dst, &len2);
    assert_int_equal(len2, len);
    assert_memory_equal(blob2, blob, len);
    assert_int_equal(ctx_fake.bad_phys, 0);
    free(blob);
    free(blob2);
    free(dst);
}

static void test_round_trip_rich(void **state)
{
    struct domain *w[NR_WORLD];
    /* DOMAIN 1, VCPU 4, EVTCHN 9, GRANT 2, GRANT_MAP 1, TIMER 2, CONSOLE 1 */
    unsigned int expect[] = { 0, 0, 1, 4, 9, 2, 1, 2, 1 };

    (void)state;
    build_world(w, true);
    round_trip(w[1], expect);
}

static void test_round_trip_others(void **state)
{
    struct domain *w[NR_WORLD];
    unsigned int e0[] = { 0, 0, 1, 2, 2, 1, 0, 0, 1 };
    unsigned int e2[] = { 0, 0, 1, 1, 2, 0, 2, 0, 1 };
    unsigned int e3[] = { 0, 0, 1, 3, 0, 0, 0, 0, 1 };

    (void)state;
    build_world(w, false);
    round_trip(w[0], e0);
    round_trip(w[2], e2);
    round_trip(w[3], e3);
}

/* A CRASHED domain, and an ALIVE one on its first instruction. */
static void test_round_trip_states(void **state)
{
    struct domain *w[NR_WORLD];
    unsigned int e1[] = { 0, 0, 1, 4, 0, 0, 0, 0, 1 };

    (void)state;
    build_world(w, false);
    domain_drop_state(w[1]);
    w[1] = world_domain(1, 4, false);
    w[1]->state = DOMAIN_CRASHED;
    round_trip(w[1], e1);
    w[1]->state = DOMAIN_ALIVE;
    for (unsigned int i = 0; i < 4; i++) {
        arch_vcpu_init_regs(&w[1]->vcpus[i], 0x200000, 0x3ff000, i);
        w[1]->vcpus[i].state = VCPU_RUNNABLE;
    }
    round_trip(w[1], e1);
}

/* ------------------------------------------------------------ validation */

struct rule {
    const char *what;
    uint16_t type;
    unsigned int nth;           /* which entry of the type to patch */
    void (*patch)(void *body);
    int rc;                     /* expected from domctx_load */
};

#define PATCH(fn, T, stmt) \
    static void fn(void *body) { T *e = body; stmt; }

/* DOMAIN (d1: unprivileged) */
PATCH(dom_name_empty, struct domctx_domain, e->name[0] = '\0')
PATCH(dom_name_unterminated, struct domctx_domain, memset(e->name, 'a', sizeof(e->name)))
PATCH(dom_name_control, struct domctx_domain, e->name[2] = '\n')
PATCH(dom_name_del, struct domctx_domain, e->name[2] = 0x7f)
PATCH(dom_name_high, struct domctx_domain, e->name[2] = (char)0xc3)
PATCH(dom_name_tail, struct domctx_domain, e->name[0] = 'x'; e->name[1] = 0; e->name[5] = 'y')
PATCH(dom_state_0, struct domctx_domain, e->state = 0)
PATCH(dom_state_4, struct domctx_domain, e->state = 4)
PATCH(dom_reason_alive, struct domctx_domain, e->shutdown_reason = SHUTDOWN_crash)
PATCH(dom_reason_unknown, struct domctx_domain,
      e->state = DOMCTX_DOMAIN_SHUTDOWN; e->shutdown_reason = NR_SHUTDOWN_REASONS)
PATCH(dom_reason_crashed, struct domctx_domain,
      e->state = DOMCTX_DOMAIN_CRASHED; e->shutdown_reason = 1)
PATCH(dom_pauses, struct domctx_domain, e->pause_count = 0x10000)
PATCH(dom_flags, struct domctx_domain, e->flags = 0x2)
PATCH(dom_privileged, struct domctx_domain, e->flags = DOMCTX_DOMAIN_PRIVILEGED)
PATCH(dom_ports_unpriv, struct domctx_domain, e->ioport_first = 0x60; e->ioport_count = 1)
PATCH(dom_pad, struct domctx_domain, e->pad = 1)
/* DOMAIN (d0: privileged) */
PATCH(dom_unprivileged, struct domctx_domain, e->flags = 0)
PATCH(dom_ports_past, struct domctx_domain, e->ioport_first = 0xfff9; e->ioport_count = 8)

/* VCPU (d1: vCPU 0 RUNNABLE with upcall pending, 3 OFFLINE) */
PATCH(vcpu_state_0, struct domctx_vcpu, e->state = 0)
PATCH(vcpu_state_4, struct domctx_vcpu, e->state = 4)
PATCH(vcpu_upcall_low, struct domctx_vcpu, e->upcall_entry = PV_KERNEL_BASE - 1)
PATCH(vcpu_upcall_high, struct domctx_vcpu, e->upcall_entry = (uint64_t)MEM_PAGES * PAGE_SIZE)
PATCH(vcpu_pad, struct domctx_vcpu, e->pad[8] = 1)
PATCH(vcpu_rip, struct domctx_vcpu, e->rip = PV_USER_TOP)
PATCH(vcpu_rip_kernel, struct domctx_vcpu, e->rip = UINT64_C(0xffff800000001000))
PATCH(vcpu_cs, struct domctx_vcpu, e->cs = 0x08)
PATCH(vcpu_cs_rpl, struct domctx_vcpu, e->cs = GDT_USER_CS & ~3)
PATCH(vcpu_ss, struct domctx_vcpu, e->ss = 0x10)
PATCH(vcpu_ds, struct domctx_vcpu, e->ds = 0x10)
PATCH(vcpu_es, struct domctx_vcpu, e->es = GDT_USER_CS)
PATCH(vcpu_fs, struct domctx_vcpu, e->fs = 0x28)
PATCH(vcpu_gs, struct domctx_vcpu, e->gs = 0x1f)
PATCH(vcpu_no_if, struct domctx_vcpu, e->rflags &= ~RFLAGS_IF)
PATCH(vcpu_no_fixed, struct domctx_vcpu, e->rflags &= ~UINT64_C(2))
PATCH(vcpu_iopl, struct domctx_vcpu, e->rflags |= 0x3000)
PATCH(vcpu_nt, struct domctx_vcpu, e->rflags |= 0x4000)
PATCH(vcpu_vm, struct domctx_vcpu, e->rflags |= 0x20000)
PATCH(vcpu_vif, struct domctx_vcpu, e->rflags |= 0x80000)
PATCH(vcpu_vip, struct domctx_vcpu, e->rflags |= 0x100000)
PATCH(vcpu_reserved_bit, struct domctx_vcpu, e->rflags |= UINT64_C(1) << 3)
PATCH(vcpu_high_bit, struct domctx_vcpu, e->rflags |= UINT64_C(1) << 40)
PATCH(vcpu_fs_base, struct domctx_vcpu, e->fs_base = 0x1000)
PATCH(vcpu_gs_base, struct domctx_vcpu, e->gs_base = 0x1000)
PATCH(vcpu_gs_kernel, struct domctx_vcpu, e->gs_base_kernel = 0x1000)
PATCH(vcpu_pending, struct domctx_vcpu, e->upcall_pending = 0)
PATCH(vcpu_mask, struct domctx_vcpu, e->upcall_mask = 1)
PATCH(vcpu_offline_bits, struct domctx_vcpu, e->upcall_mask = 0)
PATCH(vcpu_offline_pad, struct domctx_vcpu, e->pad[0] = 0x80)

/* EVTCHN (d1: #0 port 1 virq vCPU 0, #1 port 2 virq vCPU 2, #2 port 3
 * console, #3 port 4 unbound, #4 port 5 interdomain, #8 port 1023) */
PATCH(ev_port_0, struct domctx_evtchn, e->port = 0)
PATCH(ev_port_max, struct domctx_evtchn, e->port = NR_EVTCHN_PORTS)
PATCH(ev_port_huge, struct domctx_evtchn, e->port = UINT32_MAX)
PATCH(ev_port_twice, struct domctx_evtchn, e->port = 1)
PATCH(ev_pad0, struct domctx_evtchn, e->pad0 = 1)
PATCH(ev_pad1, struct domctx_evtchn, e->pad1 = 1)
PATCH(ev_state_closed, struct domctx_evtchn, e->state = EVTCHNSTAT_closed)
PATCH(ev_state_4, struct domctx_evtchn, e->state = 4)
PATCH(ev_unbound_reserved, struct domctx_evtchn, e->remote_dom = DOMID_FIRST_RESERVED)
PATCH(ev_unbound_hv, struct domctx_evtchn, e->remote_dom = DOMID_HYPERVISOR)
PATCH(ev_second_console, struct domctx_evtchn,
      e->state = EVTCHNSTAT_interdomain; e->remote_dom = DOMID_HYPERVISOR; e->remote_port = 0)
PATCH(ev_console_rport, struct domctx_evtchn, e->remote_port = 5)
PATCH(ev_inter_reserved, struct domctx_evtchn, e->remote_dom = DOMID_FIRST_RESERVED)
PATCH(ev_inter_invalid, struct domctx_evtchn, e->remote_dom = 0xffff)
PATCH(ev_inter_rport_0, struct domctx_evtchn, e->remote_port = 0)
PATCH(ev_inter_rport_max, struct domctx_evtchn, e->remote_port = NR_EVTCHN_PORTS)
PATCH(ev_virq_unknown, struct domctx_evtchn, e->virq = NR_VIRQS)
PATCH(ev_virq_console, struct domctx_evtchn, e->virq = VIRQ_CONSOLE)
PATCH(ev_virq_vcpu, struct domctx_evtchn, e->vcpu = 4)
PATCH(ev_virq_vcpu_huge, struct domctx_evtchn, e->vcpu = UINT32_MAX)
PATCH(ev_virq_twice, struct domctx_evtchn, e->vcpu = 0)

/* GRANT (d1: #0 ref 0 rw gpfn 0x150, #1 ref 255 ro) */
PATCH(gr_ref, struct domctx_grant, e->ref = NR_GRANT_REFS)
PATCH(gr_twice, struct domctx_grant, e->ref = 0)
PATCH(gr_flags, struct domctx_grant, e->flags = 0x2)
PATCH(gr_grantee_self, struct domctx_grant, e->grantee = 1)
PATCH(gr_grantee_reserved, struct domctx_grant, e->grantee = DOMID_FIRST_RESERVED)
PATCH(gr_grantee_hv, struct domctx_grant, e->grantee = DOMID_HYPERVISOR)
PATCH(gr_gpfn_abi, struct domctx_grant, e->gpfn = PV_SHARED_INFO_GPA >> PAGE_SHIFT)
PATCH(gr_gpfn_low, struct domctx_grant, e->gpfn = PV_KERNEL_FIRST_PFN - 1)
PATCH(gr_gpfn_high, struct domctx_grant, e->gpfn = MEM_PAGES)
PATCH(gr_gpfn_huge, struct domctx_grant, e->gpfn = UINT64_MAX)

/* GRANT_MAP (d2: #0 slot 5, #1 slot 63) */
PATCH(gm_slot, struct domctx_grant_map, e->slot = GNT_WINDOW_SLOTS)
PATCH(gm_twice, struct domctx_grant_map, e->slot = 5)
PATCH(gm_ref, struct domctx_grant_map, e->ref = NR_GRANT_REFS)
PATCH(gm_readonly, struct domctx_grant_map, e->readonly = 2)
PATCH(gm_pad, struct domctx_grant_map, e->pad = 1)
PATCH(gm_pad1, struct domctx_grant_map, e->pad1 = 1)
PATCH(gm_granter_self, struct domctx_grant_map, e->granter = 2)
PATCH(gm_granter_reserved, struct domctx_grant_map, e->granter = DOMID_FIRST_RESERVED)

/* TIMER (d1: time base 5 s; #0 vCPU 0, #1 vCPU 2) */
PATCH(tm_zero, struct domctx_timer, e->deadline_ns = 0)
PATCH(tm_base, struct domctx_timer, e->deadline_ns = UINT64_C(5000000000))
PATCH(tm_before, struct domctx_timer, e->deadline_ns = 1)
PATCH(tm_far, struct domctx_timer, e->deadline_ns = UINT64_C(5000000000) + SET_TIMER_MAX_NS + 1)
PATCH(tm_max, struct domctx_timer, e->deadline_ns = UINT64_MAX)

/* CONSOLE (d1: "partial\tline ~", 14 octets) */
PATCH(co_len, struct domctx_console, e->line_len = DOMCTX_CONSOLE_LINE + 1)
PATCH(co_len_huge, struct domctx_console, e->line_len = UINT32_MAX)
PATCH(co_control, struct domctx_console, e->line[3] = '\x1b')
PATCH(co_newline, struct domctx_console, e->line[3] = '\n')
PATCH(co_del, struct domctx_console, e->line[13] = 0x7f)
PATCH(co_high, struct domctx_console, e->line[0] = (char)0x80)
PATCH(co_nul_inside, struct domctx_console, e->line[5] = 0)
PATCH(co_tail, struct domctx_console, e->line[14] = 'x')
PATCH(co_last, struct domctx_console, e->line[DOMCTX_CONSOLE_LINE - 1] = 'x')
PATCH(co_pad, struct domctx_console, e->pad = 1)
PATCH(co_tokens, struct domctx_console, e->tokens = KiB(16) + 1)
PATCH(co_share_burst, struct domctx_console, e->share_burst = KiB(8) + 1)
PATCH(co_share_tokens, struct domctx_console, e->share_tokens = e->share_burst + 1)

static void check_rules(unsigned int dom, const struct rule *rules, size_t n)
{
    struct domain *w[NR_WORLD];
    uint8_t *good, *blob;
    size_t len;

    build_world(w, true);
    good = save_blob(w[dom], &len);
    blob = malloc(len);
    assert_non_null(blob);
    {
        /* the unpatched blob loads */
        struct domain *d = fresh_like(w[dom]);

        assert_int_equal(load(d, good, len, 0), 0);
        free(d);
    }
    for (size_t i = 0; i < n; i++) {
        struct domain *d = fresh_like(w[dom]);
        void *body;
        int rc;

        memcpy(blob, good, len);
        body = entry_body(blob, len, rules[i].type, rules[i].nth, NULL);
        if (!body)
            fail_msg("rule '%s': no entry %u of type %u", rules[i].what, rules[i].nth,
                     rules[i].type);
        rules[i].patch(body);
        harness_log_clear();
        rc = load(d, blob, len, 0);
        if (rc != rules[i].rc)
            fail_msg("rule '%s': domctx_load returned %d, expected %d; log:\n%s",
                     rules[i].what, rc, rules[i].rc, harness_log());
        free(d);
    }
    free(blob);
    free(good);
}

#define EINV (-BATON_EINVAL)

static void test_rules_domain(void **state)
{
    static const struct rule unpriv[] = {
        { "name empty", DOMCTX_TYPE_DOMAIN, 0, dom_name_empty, EINV },
        { "name not NUL-terminated", DOMCTX_TYPE_DOMAIN, 0, dom_name_unterminated, EINV },
        { "name with a control octet", DOMCTX_TYPE_DOMAIN, 0, dom_name_control, EINV },
        { "name with DEL", DOMCTX_TYPE_DOMAIN, 0, dom_name_del, EINV },
        { "name with a non-ASCII octet", DOMCTX_TYPE_DOMAIN, 0, dom_name_high, EINV },
        { "name not NUL-padded", DOMCTX_TYPE_DOMAIN, 0, dom_name_tail, EINV },
        { "state 0", DOMCTX_TYPE_DOMAIN, 0, dom_state_0, EINV },
        { "state 4", DOMCTX_TYPE_DOMAIN, 0, dom_state_4, EINV },
        { "shutdown reason on an ALIVE domain", DOMCTX_TYPE_DOMAIN, 0, dom_reason_alive, EINV },
        { "unknown shutdown reason", DOMCTX_TYPE_DOMAIN, 0, dom_reason_unknown, EINV },
        { "shutdown reason on a CRASHED domain", DOMCTX_TYPE_DOMAIN, 0, dom_reason_crashed,
          EINV },
        { "pause count 65536", DOMCTX_TYPE_DOMAIN, 0, dom_pauses, EINV },
        { "unknown flags", DOMCTX_TYPE_DOMAIN, 0, dom_flags, EINV },
        { "PRIVILEGED on an unprivileged domain", DOMCTX_TYPE_DOMAIN, 0, dom_privileged, EINV },
        { "I/O ports, unprivileged", DOMCTX_TYPE_DOMAIN, 0, dom_ports_unpriv, EINV },
        { "nonzero pad", DOMCTX_TYPE_DOMAIN, 0, dom_pad, EINV },
    };
    static const struct rule priv[] = {
        { "privileged domain without PRIVILEGED", DOMCTX_TYPE_DOMAIN, 0, dom_unprivileged, EINV },
        { "I/O ports past 0xffff", DOMCTX_TYPE_DOMAIN, 0, dom_ports_past, EINV },
    };

    (void)state;
    check_rules(1, unpriv, ARRAY_SIZE(unpriv));
    ctx_fake_reset();
    check_rules(0, priv, ARRAY_SIZE(priv));
}

static void test_rules_vcpu(void **state)
{
    static const struct rule rules[] = {
        { "state 0", DOMCTX_TYPE_VCPU, 0, vcpu_state_0, EINV },
        { "state 4", DOMCTX_TYPE_VCPU, 0, vcpu_state_4, EINV },
        { "upcall entry below the kernel", DOMCTX_TYPE_VCPU, 0, vcpu_upcall_low, EINV },
        { "upcall entry past memory", DOMCTX_TYPE_VCPU, 0, vcpu_upcall_high, EINV },
        { "nonzero pad", DOMCTX_TYPE_VCPU, 0, vcpu_pad, EINV },
        { "rip at the user top", DOMCTX_TYPE_VCPU, 0, vcpu_rip, EINV },
        { "rip in the hypervisor half", DOMCTX_TYPE_VCPU, 1, vcpu_rip_kernel, EINV },
        { "cs the hypervisor's", DOMCTX_TYPE_VCPU, 0, vcpu_cs, EINV },
        { "cs ring 0", DOMCTX_TYPE_VCPU, 2, vcpu_cs_rpl, EINV },
        { "ss the hypervisor's", DOMCTX_TYPE_VCPU, 0, vcpu_ss, EINV },
        { "ds not 0 or 0x1b", DOMCTX_TYPE_VCPU, 0, vcpu_ds, EINV },
        { "es the code selector", DOMCTX_TYPE_VCPU, 0, vcpu_es, EINV },
        { "fs the TSS", DOMCTX_TYPE_VCPU, 0, vcpu_fs, EINV },
        { "gs RPL 3 of an unknown selector", DOMCTX_TYPE_VCPU, 1, vcpu_gs, EINV },
        { "rflags without IF", DOMCTX_TYPE_VCPU, 0, vcpu_no_if, EINV },
        { "rflags without bit 1", DOMCTX_TYPE_VCPU, 0, vcpu_no_fixed, EINV },
        { "rflags IOPL 3", DOMCTX_TYPE_VCPU, 0, vcpu_iopl, EINV },
        { "rflags NT", DOMCTX_TYPE_VCPU, 0, vcpu_nt, EINV },
        { "rflags VM", DOMCTX_TYPE_VCPU, 2, vcpu_vm, EINV },
        { "rflags VIF", DOMCTX_TYPE_VCPU, 0, vcpu_vif, EINV },
        { "rflags VIP", DOMCTX_TYPE_VCPU, 0, vcpu_vip, EINV },
        { "rflags reserved bit 3", DOMCTX_TYPE_VCPU, 0, vcpu_reserved_bit, EINV },
        { "rflags bit 40", DOMCTX_TYPE_VCPU, 0, vcpu_high_bit, EINV },
        { "fs base", DOMCTX_TYPE_VCPU, 0, vcpu_fs_base, EINV },
        { "gs base", DOMCTX_TYPE_VCPU, 1, vcpu_gs_base, EINV },
        { "kernel gs base", DOMCTX_TYPE_VCPU, 0, vcpu_gs_kernel, EINV },
        { "upcall pending differs from guest memory", DOMCTX_TYPE_VCPU, 0, vcpu_pending, EINV },
        { "upcall mask differs from guest memory", DOMCTX_TYPE_VCPU, 0, vcpu_mask, EINV },
        { "an OFFLINE vCPU's upcall bits differ", DOMCTX_TYPE_VCPU, 3, vcpu_offline_bits, EINV },
        { "an OFFLINE vCPU's pad", DOMCTX_TYPE_VCPU, 3, vcpu_offline_pad, EINV },
    };

    (void)state;
    check_rules(1, rules, ARRAY_SIZE(rules));
}

/* A dead domain's vCPUs are OFFLINE: DOMAIN is loaded first and sets the
 * state the VCPU entries are checked against. */
static void test_rules_vcpu_dead_domain(void **state)
{
    struct domain *w[NR_WORLD];
    static const uint32_t dead[] = { DOMCTX_DOMAIN_SHUTDOWN, DOMCTX_DOMAIN_CRASHED };

    (void)state;
    build_world(w, true);
    for (unsigned int i = 0; i < ARRAY_SIZE(dead); i++) {
        size_t len;
        uint8_t *blob = save_blob(w[1], &len);
        struct domctx_domain *de = entry_body(blob, len, DOMCTX_TYPE_DOMAIN, 0, NULL);
        struct domain *d = fresh_like(w[1]);

        de->state = dead[i];
        assert_int_equal(load(d, blob, len, 0), EINV);
        assert_true(harness_log_has("a dead domain's vCPU not OFFLINE"));
        free(d);
        free(blob);
    }
}

/* An OFFLINE vCPU's registers are not checked, and not kept. */
static void test_vcpu_offline_regs_ignored(void **state)
{
    struct domain *w[NR_WORLD];
    size_t len;
    uint8_t *blob;
    struct domctx_vcpu *e;
    struct domain *d;

    (void)state;
    build_world(w, true);
    blob = save_blob(w[1], &len);
    e = entry_body(blob, len, DOMCTX_TYPE_VCPU, 3, NULL);
    assert_int_equal(e->state, DOMCTX_VCPU_OFFLINE);
    e->rip = UINT64_MAX;
    e->cs = 0x08;
    e->rflags = 0x3000;
    e->fs_base = 1;
    e->ds = 0x10;
    d = fresh_like(w[1]);
    assert_int_equal(load(d, blob, len, 0), 0);
    assert_int_equal(d->vcpus[3].state, VCPU_OFFLINE);
    assert_int_equal(d->vcpus[3].arch.regs.rip, 0);
    assert_int_equal(d->vcpus[3].arch.regs.cs, 0);
    assert_int_equal(d->vcpus[3].arch.ds, 0);
    free(d);
    free(blob);
}

static void test_rules_evtchn(void **state)
{
    static const struct rule rules[] = {
        { "port 0", DOMCTX_TYPE_EVTCHN, 3, ev_port_0, EINV },
        { "port 1024", DOMCTX_TYPE_EVTCHN, 8, ev_port_max, EINV },
        { "port 2^32-1", DOMCTX_TYPE_EVTCHN, 8, ev_port_huge, EINV },
        { "port given twice", DOMCTX_TYPE_EVTCHN, 3, ev_port_twice, EINV },
        { "nonzero pad0", DOMCTX_TYPE_EVTCHN, 3, ev_pad0, EINV },
        { "nonzero pad1", DOMCTX_TYPE_EVTCHN, 4, ev_pad1, EINV },
        { "state closed", DOMCTX_TYPE_EVTCHN, 3, ev_state_closed, EINV },
        { "state 4", DOMCTX_TYPE_EVTCHN, 4, ev_state_4, EINV },
        { "unbound to a reserved domid", DOMCTX_TYPE_EVTCHN, 3, ev_unbound_reserved, EINV },
        { "unbound to the hypervisor", DOMCTX_TYPE_EVTCHN, 8, ev_unbound_hv, EINV },
        { "a second console port", DOMCTX_TYPE_EVTCHN, 3, ev_second_console, EINV },
        { "a second console port, first", DOMCTX_TYPE_EVTCHN, 1, ev_second_console, EINV },
        { "console port with a remote port", DOMCTX_TYPE_EVTCHN, 2, ev_console_rport, EINV },
        { "interdomain to a reserved domid", DOMCTX_TYPE_EVTCHN, 4, ev_inter_reserved, EINV },
        { "interdomain to DOMID 0xffff", DOMCTX_TYPE_EVTCHN, 4, ev_inter_invalid, EINV },
        { "interdomain to remote port 0", DOMCTX_TYPE_EVTCHN, 4, ev_inter_rport_0, EINV },
        { "interdomain to remote port 1024", DOMCTX_TYPE_EVTCHN, 4, ev_inter_rport_max, EINV },
        { "virq 2", DOMCTX_TYPE_EVTCHN, 0, ev_virq_unknown, EINV },
        { "virq VIRQ_CONSOLE", DOMCTX_TYPE_EVTCHN, 1, ev_virq_console, EINV },
        { "virq on vCPU 4 of 4", DOMCTX_TYPE_EVTCHN, 1, ev_virq_vcpu, EINV },
        { "virq on vCPU 2^32-1", DOMCTX_TYPE_EVTCHN, 0, ev_virq_vcpu_huge, EINV },
        { "virq bound twice on a vCPU", DOMCTX_TYPE_EVTCHN, 1, ev_virq_twice, EINV },
    };

    (void)state;
    check_rules(1, rules, ARRAY_SIZE(rules));
}

static void test_rules_grant(void **state)
{
    static const struct rule rules[] = {
        { "ref 256", DOMCTX_TYPE_GRANT, 1, gr_ref, EINV },
        { "ref given twice", DOMCTX_TYPE_GRANT, 1, gr_twice, EINV },
        { "unknown flags", DOMCTX_TYPE_GRANT, 0, gr_flags, EINV },
        { "grantee the granter", DOMCTX_TYPE_GRANT, 0, gr_grantee_self, EINV },
        { "grantee reserved", DOMCTX_TYPE_GRANT, 0, gr_grantee_reserved, EINV },
        { "grantee the hypervisor", DOMCTX_TYPE_GRANT, 1, gr_grantee_hv, EINV },
        { "frame of the shared info", DOMCTX_TYPE_GRANT, 0, gr_gpfn_abi, EINV },
        { "frame below the kernel", DOMCTX_TYPE_GRANT, 0, gr_gpfn_low, EINV },
        { "frame past memory", DOMCTX_TYPE_GRANT, 1, gr_gpfn_high, EINV },
        { "frame 2^64-1", DOMCTX_TYPE_GRANT, 1, gr_gpfn_huge, EINV },
    };

    (void)state;
    check_rules(1, rules, ARRAY_SIZE(rules));
}

/* A frame inside mem_size but in no extent (a hole) is not grantable. */
static void test_rules_grant_hole(void **state)
{
    struct domain *w[NR_WORLD];
    size_t len;
    uint8_t *blob;
    struct domain *d;

    (void)state;
    build_world(w, true);
    blob = save_blob(w[1], &len);
    d = fresh_like(w[1]);
    /* gpfn 0x150 (ref 0's) falls into the hole */
    d->extents[0].count = 0x150;
    d->extents[1] = (struct mem_extent){ 0x151, CTX_PHYS_MFN(MEM_PAGES + 0x151),
                                         MEM_PAGES - 0x151 };
    d->nr_extents = 2;
    assert_int_equal(load(d, blob, len, 0), EINV);
    assert_true(harness_log_has("frame below the kernel or outside the domain's memory"));
    free(d);
    free(blob);
}

static void test_rules_grant_map(void **state)
{
    static const struct rule rules[] = {
        { "slot 64", DOMCTX_TYPE_GRANT_MAP, 1, gm_slot, EINV },
        { "slot given twice", DOMCTX_TYPE_GRANT_MAP, 1, gm_twice, EINV },
        { "ref 256", DOMCTX_TYPE_GRANT_MAP, 0, gm_ref, EINV },
        { "readonly 2", DOMCTX_TYPE_GRANT_MAP, 0, gm_readonly, EINV },
        { "nonzero pad", DOMCTX_TYPE_GRANT_MAP, 0, gm_pad, EINV },
        { "nonzero pad1", DOMCTX_TYPE_GRANT_MAP, 1, gm_pad1, EINV },
        { "granter the domain itself", DOMCTX_TYPE_GRANT_MAP, 0, gm_granter_self, EINV },
        { "granter reserved", DOMCTX_TYPE_GRANT_MAP, 1, gm_granter_reserved, EINV },
    };

    (void)state;
    check_rules(2, rules, ARRAY_SIZE(rules));
}

static void test_rules_timer(void **state)
{
    static const struct rule rules[] = {
        { "deadline 0", DOMCTX_TYPE_TIMER, 0, tm_zero, EINV },
        { "deadline at the time base", DOMCTX_TYPE_TIMER, 0, tm_base, EINV },
        { "deadline before the time base", DOMCTX_TYPE_TIMER, 1, tm_before, EINV },
        { "deadline past SET_TIMER_MAX_NS", DOMCTX_TYPE_TIMER, 1, tm_far, EINV },
        { "deadline 2^64-1", DOMCTX_TYPE_TIMER, 0, tm_max, EINV },
    };

    (void)state;
    check_rules(1, rules, ARRAY_SIZE(rules));
}

/* States the running hypervisor never leaves: domain_stop cancels timers
 * and closes ports, and an offline vCPU never sets a timer. */
static void expect_refused(struct domain *src, const char *log)
{
    struct domain *d = fresh_like(src);
    uint8_t *blob;
    size_t len;

    blob = save_blob(src, &len);
    harness_log_clear();
    assert_int_equal(load(d, blob, len, 0), EINV);
    if (!harness_log_has(log))
        fail_msg("expected '%s' in the log:\n%s", log, harness_log());
    free(blob);
    free(d);
}

static void test_rules_dead_state(void **state)
{
    struct domain *w[NR_WORLD];

    (void)state;
    build_world(w, true);
    w[1]->vcpus[2].state = VCPU_OFFLINE;                    /* its timer stays */
    expect_refused(w[1], "a timer on a dead domain or an offline vCPU");

    build_world(w, true);
    w[1]->state = DOMAIN_SHUTDOWN;                          /* ports left open */
    for (unsigned int i = 0; i < MAX_VIRT_CPUS; i++) {
        w[1]->vcpus[i].state = VCPU_OFFLINE;
        w[1]->vcpus[i].timer_deadline = 0;
    }
    expect_refused(w[1], "an open port on a dead domain");
}

static void test_rules_console(void **state)
{
    static const struct rule rules[] = {
        { "line of 257", DOMCTX_TYPE_CONSOLE, 0, co_len, EINV },
        { "line of 2^32-1", DOMCTX_TYPE_CONSOLE, 0, co_len_huge, EINV },
        { "ESC in the line", DOMCTX_TYPE_CONSOLE, 0, co_control, EINV },
        { "newline in the line", DOMCTX_TYPE_CONSOLE, 0, co_newline, EINV },
        { "DEL in the line", DOMCTX_TYPE_CONSOLE, 0, co_del, EINV },
        { "0x80 in the line", DOMCTX_TYPE_CONSOLE, 0, co_high, EINV },
        { "NUL in the line", DOMCTX_TYPE_CONSOLE, 0, co_nul_inside, EINV },
        { "octet after the line", DOMCTX_TYPE_CONSOLE, 0, co_tail, EINV },
        { "last octet of line[]", DOMCTX_TYPE_CONSOLE, 0, co_last, EINV },
        { "nonzero pad", DOMCTX_TYPE_CONSOLE, 0, co_pad, EINV },
        { "tokens above the burst", DOMCTX_TYPE_CONSOLE, 0, co_tokens, EINV },
        { "share burst above the reserve", DOMCTX_TYPE_CONSOLE, 0, co_share_burst, EINV },
        { "share tokens above the share", DOMCTX_TYPE_CONSOLE, 0, co_share_tokens, EINV },
    };

    (void)state;
    check_rules(1, rules, ARRAY_SIZE(rules));
}

/* The limits themselves are accepted. */
static void test_rules_limits_accepted(void **state)
{
    struct domain *w[NR_WORLD];
    size_t len;
    uint8_t *blob;
    struct domctx_console *co;
    struct domctx_domain *de;
    struct domain *d;

    (void)state;
    build_world(w, true);
    /* d0: ports up to 0xffff, 65535 pauses */
    blob = save_blob(w[0], &len);
    de = entry_body(blob, len, DOMCTX_TYPE_DOMAIN, 0, NULL);
    de->ioport_first = 0xfff8;
    de->ioport_count = 8;
    de->pause_count = 0xffff;
    d = fresh_like(w[0]);
    assert_int_equal(load(d, blob, len, 0), 0);
    assert_int_equal(d->pause_count, 0x10000);
    free(d);
    free(blob);
    /* d1: a full line of printable text, full buckets */
    blob = save_blob(w[1], &len);
    co = entry_body(blob, len, DOMCTX_TYPE_CONSOLE, 0, NULL);
    co->line_len = DOMCTX_CONSOLE_LINE;
    for (unsigned int i = 0; i < DOMCTX_CONSOLE_LINE; i++)
        co->line[i] = (char)(0x20 + i % 0x5f);
    co->tokens = KiB(16);
    co->share_burst = KiB(8);
    co->share_tokens = KiB(8);
    d = fresh_like(w[1]);
    assert_int_equal(load(d, blob, len, 0), 0);
    assert_int_equal(d->console.line_len, DOMCTX_CONSOLE_LINE);
    assert_memory_equal(d->console.line, co->line, DOMCTX_CONSOLE_LINE);
    free(d);
    free(blob);
}

/* ------------------------------------------------------------ framing */

/* An entry longer than this build's structure: -E2BIG, unless the stream
 * allows longer entries (then the tail is ignored); a shorter one is
 * zero-extended (and checked as such). */
struct longer {
    uint16_t type;
    uint32_t extra;
};

static bool make_longer(struct buf *b, const struct domctx_desc *d, const void *body, void *priv)
{
    const struct longer *l = priv;
    uint8_t tmp[1024];

    if (d->typecode != l->type)
        return true;
    memset(tmp, 0, sizeof(tmp));
    memcpy(tmp, body, d->length);
    memset(tmp + d->length, 0xab, l->extra);
    bb_entry(b, d->typecode, d->flags, d->vcpu_id, tmp, d->length + l->extra);
    return false;
}

static void test_longer_entries(void **state)
{
    struct domain *w[NR_WORLD];
    size_t len;
    uint8_t *good;

    (void)state;
    build_world(w, true);
    good = save_blob(w[1], &len);
    for (uint16_t t = DOMCTX_TYPE_DOMAIN; t <= DOMCTX_TYPE_CONSOLE; t++) {
        struct longer l = { t, 5 };
        struct buf b = { 0 };
        struct domain *d = fresh_like(w[1]);

        copy_blob(&b, good, len, make_longer, &l);
        assert_int_equal(load(d, b.p, b.len, 0), -BATON_E2BIG);
        free(d);
        d = fresh_like(w[1]);
        assert_int_equal(load(d, b.p, b.len, DOMCTX_ALLOW_LONGER), 0);
        compare_domain(w[1], d, false);
        free(d);
        free(b.p);
    }
    free(good);
}

struct shorter {
    uint16_t type;
    uint32_t len;
};

static bool make_shorter(struct buf *b, const struct domctx_desc *d, const void *body, void *priv)
{
    const struct shorter *s = priv;

    if (d->typecode != s->type)
        return true;
    bb_entry(b, d->typecode, d->flags, d->vcpu_id, body, s->len);
    return false;
}

static void test_shorter_entries(void **state)
{
    struct domain *w[NR_WORLD];
    size_t len;
    uint8_t *good;
    struct domain *d;
    struct buf b = { 0 };
    /* CONSOLE cut after its line: the line's tail is zero anyway */
    struct shorter co = { DOMCTX_TYPE_CONSOLE, offsetof(struct domctx_console, line) + 14 };
    struct shorter tm = { DOMCTX_TYPE_TIMER, 4 };
    struct shorter de = { DOMCTX_TYPE_DOMAIN, 0 };

    (void)state;
    build_world(w, true);
    good = save_blob(w[1], &len);
    copy_blob(&b, good, len, make_shorter, &co);
    d = fresh_like(w[1]);
    assert_int_equal(load(d, b.p, b.len, 0), 0);
    compare_domain(w[1], d, false);
    free(d);
    free(b.p);
    /* a TIMER of 4 octets: deadline's top half 0, below the 5 s time base */
    memset(&b, 0, sizeof(b));
    copy_blob(&b, good, len, make_shorter, &tm);
    d = fresh_like(w[1]);
    assert_int_equal(load(d, b.p, b.len, 0), EINV);
    free(d);
    free(b.p);
    /* an empty DOMAIN: no name */
    memset(&b, 0, sizeof(b));
    copy_blob(&b, good, len, make_shorter, &de);
    d = fresh_like(w[1]);
    assert_int_equal(load(d, b.p, b.len, 0), EINV);
    assert_true(harness_log_has("name not printable"));
    free(d);
    free(b.p);
    free(good);
}

/* ------------------------------------------------------------ IGNORE */

enum ign_kind { IGN_LONG, IGN_VCPU, IGN_UNKNOWN, IGN_BAD_BODY, IGN_PERDOMAIN_VCPU };

struct ign {
    enum ign_kind kind;
    uint16_t flags;     /* IGNORE, or 0 for the control case */
};

static bool add_ignored(struct buf *b, const struct domctx_desc *d, const void *body, void *priv)
{
    const struct ign *g = priv;
    uint8_t junk[512];

    memset(junk, 0x5a, sizeof(junk));
    switch (g->kind) {
    case IGN_LONG:
        /* a 300-octet EVTCHN (its structure is 24) among the EVTCHNs */
        if (d->typecode == DOMCTX_TYPE_GRANT && ((const struct domctx_grant *)body)->ref == 0)
            bb_entry(b, DOMCTX_TYPE_EVTCHN, g->flags, 0, junk, 300);
        break;
    case IGN_VCPU: {
        /* a TIMER for vCPU 9 of 4, after the last TIMER */
        const struct domctx_timer t = { UINT64_C(6000000000) };

        if (d->typecode == DOMCTX_TYPE_CONSOLE)
            bb_entry(b, DOMCTX_TYPE_TIMER, g->flags, 9, &t, sizeof(t));
        break;
    }
    case IGN_UNKNOWN:
        /* types 0x0100 and 0xfeff after CONSOLE, before END */
        if (d->typecode == DOMCTX_TYPE_END) {
            bb_entry(b, 0x0100, g->flags, 0, junk, 17);
            bb_entry(b, 0xfeff, g->flags, 3, junk, 0);
        }
        break;
    case IGN_BAD_BODY: {
        /* an EVTCHN that breaks every rule: port 0, state 9, pads */
        const struct domctx_evtchn e = { .port = 0, .state = 9, .pad0 = 1, .pad1 = 1 };

        if (d->typecode == DOMCTX_TYPE_GRANT && ((const struct domctx_grant *)body)->ref == 0)
            bb_entry(b, DOMCTX_TYPE_EVTCHN, g->flags, 0, &e, sizeof(e));
        break;
    }
    case IGN_PERDOMAIN_VCPU: {
        /* a CONSOLE entry for vCPU 2 (CONSOLE is per-domain), in order:
         * before the first FPU entry (the blob has one, for vCPU 0) */
        struct domctx_console c;

        memset(&c, 0, sizeof(c));
        c.line_len = 1;
        c.line[0] = 'Z';
        if (d->typecode == DOMCTX_TYPE_FPU && d->vcpu_id == 0)
            bb_entry(b, DOMCTX_TYPE_CONSOLE, g->flags, 2, &c, sizeof(c));
        break;
    }
    }
    return true;
}

static void test_ignore(void **state)
{
    static const struct {
        enum ign_kind kind;
        int rc_without;         /* the same entry not flagged IGNORE */
    } cases[] = {
        { IGN_LONG, -BATON_E2BIG },
        { IGN_VCPU, EINV },
        { IGN_UNKNOWN, -BATON_EOPNOTSUPP },
        { IGN_BAD_BODY, EINV },
        { IGN_PERDOMAIN_VCPU, EINV },
    };
    struct domain *w[NR_WORLD];
    size_t len;
    uint8_t *good;

    (void)state;
    build_world(w, true);
    good = save_blob(w[1], &len);
    for (unsigned int i = 0; i < ARRAY_SIZE(cases); i++) {
        struct ign g = { cases[i].kind, DOMCTX_FLAG_IGNORE };
        struct buf b = { 0 };
        struct domain *d = fresh_like(w[1]);

        copy_blob(&b, good, len, add_ignored, &g);
        assert_true(b.len > len);
        if (load(d, b.p, b.len, 0) != 0)
            fail_msg("IGNORE case %u refused; log:\n%s", i, harness_log());
        /* skipped: the domain is exactly what the good blob gives */
        compare_domain(w[1], d, false);
        free(d);
        free(b.p);

        g.flags = 0;
        memset(&b, 0, sizeof(b));
        copy_blob(&b, good, len, add_ignored, &g);
        d = fresh_like(w[1]);
        assert_int_equal(load(d, b.p, b.len, 0), cases[i].rc_without);
        free(d);
        free(b.p);
    }
    free(good);
}

/* A real entry flagged IGNORE is not loaded: the port stays closed. */
static void test_ignore_real_entry(void **state)
{
    struct domain *w[NR_WORLD];
    size_t len;
    uint8_t *blob;
    struct domctx_desc *desc;
    struct domctx_evtchn *e;
    struct domain *d;

    (void)state;
    build_world(w, true);
    blob = save_blob(w[1], &len);
    e = entry_body(blob, len, DOMCTX_TYPE_EVTCHN, 4, &desc);
    assert_int_equal(e->port, 5);
    desc->flags = DOMCTX_FLAG_IGNORE;
    d = fresh_like(w[1]);
    assert_int_equal(load(d, blob, len, 0), 0);
    assert_int_equal(d->evtchn[5].state, EVTCHNSTAT_closed);
    assert_int_equal(d->evtchn[6].state, EVTCHNSTAT_interdomain);
    free(d);
    free(blob);
}

/* ------------------------------------------------------------ restore */

#define POOL_BASE   UINT64_C(0x200000)  /* writer frames, away from guest memory */
#define POOL_PAGES  256u

struct stream {
    uint8_t *buf;
    size_t len;
};

static void domain_info(const struct domain *d, struct lu_rec_domain_info *info)
{
    memset(info, 0, sizeof(*info));
    info->type = LU_DOMAIN_TYPE_PV;
    info->page_shift = PAGE_SHIFT;
    info->domid = d->domid;
    for (unsigned int i = 0; i < LU_DOMAIN_HANDLE_LEN; i++)
        info->handle[i] = (uint8_t)(d->domid * 16 + i);
    info->max_vcpus = d->nr_vcpus;
    info->extra_flags = d->privileged ? LU_DOMAIN_EXTRA_PRIVILEGED : 0;
}

/* The real writer: VERSION, TIME, each domain (INFO, MEMORY, CONTEXT), END;
 * linearised into one 8-aligned buffer. */
static struct stream write_stream(struct domain **doms, unsigned int n)
{
    struct lu_host_pool pool;
    struct lu_writer w;
    struct stream s;
    int rc;

    lu_host_pool_init(&pool, POOL_BASE, POOL_PAGES, POOL_BASE, 192, 37, POOL_BASE + 192, 64);
    assert_int_equal(lu_writer_init(&w, &pool.ops), 0);
    rc = lu_write_version(&w, 1, 0, "-ctx");
    if (!rc)
        rc = lu_write_time(&w, 2400000000ull, 0x1234567ull, 987654321000ull);
    for (unsigned int k = 0; !rc && k < n; k++) {
        struct lu_rec_domain_info info;
        struct lu_extent ext[DOMAIN_EXTENTS_MAX];

        for (unsigned int i = 0; i < doms[k]->nr_extents; i++)
            ext[i] = (struct lu_extent){ doms[k]->extents[i].gpfn, doms[k]->extents[i].mfn,
                                         doms[k]->extents[i].count };
        domain_info(doms[k], &info);
        rc = lu_write_domain_info(&w, &info);
        if (!rc)
            rc = lu_write_domain_memory(&w, ext, doms[k]->nr_extents);
        if (!rc)
            rc = lu_write_domain_context(&w, doms[k], doms[k]->nr_vcpus);
    }
    if (!rc)
        rc = lu_write_end(&w);
    assert_int_equal(rc, 0);
    s.len = w.nr_pages * PAGE_SIZE;
    s.buf = aligned_alloc(PAGE_SIZE, s.len);
    assert_non_null(s.buf);
    for (uint64_t i = 0; i < w.nr_pages; i++)
        memcpy(s.buf + i * PAGE_SIZE, lu_host_pool_addr(&pool, w.mfns[i] * PAGE_SIZE),
               PAGE_SIZE);
    lu_writer_free(&w);
    lu_host_pool_fini(&pool);
    return s;
}

static const struct lu_range phys_ram[] = {
    { CTX_PHYS_BASE, CTX_PHYS_BASE + (uint64_t)CTX_PHYS_PAGES * PAGE_SIZE },
};
static const struct lu_range phys_reserved[] = { { 0, PAGE_SIZE } };

static void plain_reader(struct lu_reader *r)
{
    static struct lu_host_mem none;

    memset(r, 0, sizeof(*r));
    lu_host_reader(r, &none);
    r->map_phys = NULL;
    r->unmap_phys = NULL;
    r->vmap = NULL;
    r->vunmap = NULL;
    r->ram = phys_ram;
    r->nr_ram = 1;
    r->reserved = phys_reserved;
    r->nr_reserved = 1;
}

/* Copies of the world's domains (for comparison once their slots are gone),
 * and the world dropped from the domain table, as a new build starts. */
static struct domain *snapshot(struct domain *d)
{
    struct domain *c = malloc(sizeof(*c));

    assert_non_null(c);
    memcpy(c, d, sizeof(*c));
    if (d->vcpus[1].arch.kstack) {
        /* the frame lives on the stack, which is going */
        memcpy(&c->vcpus[1].arch.regs,
               (uint8_t *)d->vcpus[1].arch.kstack + 4 * PAGE_SIZE - sizeof(struct cpu_user_regs),
               sizeof(struct cpu_user_regs));
        c->vcpus[1].arch.kstack = NULL;
    }
    return c;
}

static int restore(const struct stream *st, struct lu_stream *s)
{
    struct lu_reader rd;
    int rc;

    plain_reader(&rd);
    rc = lu_stream_parse(&rd, st->buf, st->len, s);
    if (rc)
        fail_msg("lu_stream_parse: %d: %s", rc, s->error);
    return lu_restore(s);
}

static void assert_nothing_left(void)
{
    assert_int_equal(ctx_fake_slots_used(), 0);
    for (unsigned int i = 0; i < CONFIG_MAX_DOMAINS; i++) {
        const struct domain *d = domain_slot(i);
        static const struct domain zero;

        /* domain_drop_state zeroes the slot: domain_claim_slot does not
         * clear a FREE slot again, it relies on this */
        assert_memory_equal(d, &zero, sizeof(zero));
    }
    assert_int_equal(ctx_fake.pt_live, 0);
    assert_int_equal(ctx_fake.pages_live, 0);
    assert_int_equal(ctx_fake.vmaps_live, 0);
    assert_int_equal(ctx_fake.bad_phys, 0);
}

static struct stream world_stream(struct domain *copies[NR_WORLD], bool upcall_bits,
                                  void (*spoil)(struct domain **w))
{
    struct domain *w[NR_WORLD];
    struct stream st;

    build_world(w, upcall_bits);
    if (spoil)
        spoil(w);
    st = write_stream(w, NR_WORLD);
    for (unsigned int i = 0; i < NR_WORLD; i++) {
        if (copies)
            copies[i] = snapshot(w[i]);
        domain_drop_state(w[i]);
    }
    /* the world is gone: nothing it took is left */
    assert_int_equal(ctx_fake.pages_live, 0);
    assert_int_equal(ctx_fake.vmaps_live, 0);
    assert_int_equal(ctx_fake_slots_used(), 0);
    return st;
}

static struct domain *restored(uint16_t domid)
{
    struct domain *d = domain_by_id_any(domid);

    assert_non_null(d);
    return d;
}

static void free_copies(struct domain *copies[NR_WORLD])
{
    for (unsigned int i = 0; i < NR_WORLD; i++)
        free(copies[i]);
}

/* Four domains through the real writer, reader and lu_restore. */
static void test_restore_world(void **state)
{
    struct domain *copies[NR_WORLD];
    struct stream st = world_stream(copies, true, NULL);
    struct lu_stream *s = calloc(1, sizeof(*s));
    unsigned int stacks = 0;

    (void)state;
    assert_non_null(s);
    assert_int_equal(restore(&st, s), 0);
    assert_int_equal(ctx_fake_slots_used(), NR_WORLD);
    for (unsigned int i = 0; i < NR_WORLD; i++) {
        struct domain *d = restored(copies[i]->domid);

        compare_domain(copies[i], d, true);  /* map counts recounted */
        assert_memory_equal(d->handle, s->domains[i].info.handle, sizeof(d->handle));
        assert_int_not_equal(d->pt_root, 0);
        for (unsigned int v = 0; v < d->nr_vcpus; v++) {
            /* commit: a stack for every vCPU not OFFLINE, the frame on it */
            assert_int_equal(d->vcpus[v].arch.kstack != NULL,
                             d->vcpus[v].state != VCPU_OFFLINE);
            stacks += d->vcpus[v].arch.kstack != NULL;
        }
    }
    assert_int_equal(ctx_fake.pt_live, NR_WORLD);
    assert_int_equal(ctx_fake.vmaps_live, stacks);
    assert_int_equal(stacks, 1 + 3 + 1);
    assert_int_equal(ctx_fake.maps, 3);         /* d1 slot 0, d2 slots 5 and 63 */
    /* paused until lu_restore_unpause: the entry's pauses and the restorer's */
    assert_int_equal(restored(1)->pause_count, 4);
    lu_restore_unpause();
    assert_int_equal(restored(1)->pause_count, 3);
    assert_int_equal(ctx_fake.unpauses, NR_WORLD);
    for (unsigned int i = 0; i < NR_WORLD; i++)
        domain_drop_state(restored(copies[i]->domid));
    assert_nothing_left();
    free_copies(copies);
    free(s);
    free(st.buf);
}

/* The 2nd domain of the stream holds a VCPU entry its handler refuses:
 * the 1st, decoded already, is dropped too, and nothing was built. */
static void spoil_vcpu(struct domain **w)
{
    w[1]->vcpus[2].arch.regs.cs = 0x08;
}

/* ... a CONSOLE entry with a control character: the last entry of d1. */
static void spoil_console(struct domain **w)
{
    w[1]->console.line[0] = '\x07';
}

/* ... the last domain: a GRANT_MAP slot given twice cannot be written, so a
 * granter that is the domain itself. */
static void spoil_last(struct domain **w)
{
    w[3]->gnt_maps[1] = (struct grant_mapping){ .in_use = true, .granter = 3, .ref = 1 };
    maps_slot_written(w[3], 1);
}

/* Cross-domain checks, after every domain decoded: d2 port 1 no longer
 * points back at d1 port 7. */
static void spoil_peer(struct domain **w)
{
    w[1]->evtchn[7].remote_port = 8;
    set_port(w[2], 8, EVTCHNSTAT_unbound, 1, 0);
}

/* ... d2 maps d1's read-only ref 255 writable. */
static void spoil_grant(struct domain **w)
{
    w[2]->gnt_maps[GNT_WINDOW_SLOTS - 1].readonly = false;
}

/* ... d1 maps a ref d0 never granted. */
static void spoil_ungranted(struct domain **w)
{
    w[1]->gnt_maps[0].ref = 8;
}

/* ... d0 has no console port. */
static void spoil_console_port(struct domain **w)
{
    w[0]->evtchn[1] = (struct evtchn){ 0 };
    maps_port_written(w[0], 1);
    w[0]->console_port = 0;
}

/* ... d0 port 2 to d1 port 5, but d1 is missing in the stream: see
 * test_restore_missing_peer. */

static void check_restore_fails(void (*spoil)(struct domain **w), const char *log)
{
    struct stream st = world_stream(NULL, true, spoil);
    struct lu_stream *s = calloc(1, sizeof(*s));

    assert_non_null(s);
    harness_log_clear();
    assert_int_equal(restore(&st, s), EINV);
    if (log && !harness_log_has(log))
        fail_msg("expected '%s' in the log:\n%s", log, harness_log());
    assert_nothing_left();
    assert_int_equal(ctx_fake.pt_builds, 0);
    assert_int_equal(ctx_fake.maps, 0);
    free(s);
    free(st.buf);
}

static void test_restore_decode_fails(void **state)
{
    (void)state;
    check_restore_fails(spoil_vcpu, "cs/ss not the ring-3 selectors");
    check_restore_fails(spoil_console, "partial line with a control or non-ASCII octet");
    check_restore_fails(spoil_last, "d3 GRANT_MAP: a mapping of a dead domain");
}

static void test_restore_cross_checks_fail(void **state)
{
    (void)state;
    check_restore_fails(spoil_peer, "which does not point back");
    check_restore_fails(spoil_grant, "which d1 did not grant it writable");
    check_restore_fails(spoil_ungranted, "which d0 did not grant it");
    check_restore_fails(spoil_console_port, "no console port in the stream");
}

/* A required entry flagged IGNORE in the stream: the reader counts what
 * restore needs while it checks each blob (IGNORE ones excluded), and
 * decode refuses the domain before claiming anything. */
static void test_restore_required_ignored(void **state)
{
    struct stream st = world_stream(NULL, true, NULL);
    struct lu_stream *s = calloc(1, sizeof(*s));
    struct domctx_desc want = { .typecode = DOMCTX_TYPE_CONSOLE,
                                .length = sizeof(struct domctx_console) };
    size_t at;

    (void)state;
    assert_non_null(s);
    /* d0's CONSOLE descriptor: the first in the stream */
    for (at = 0; at + sizeof(want) <= st.len; at += DOMCTX_ALIGN)
        if (!memcmp(st.buf + at, &want, sizeof(want)))
            break;
    assert_true(at + sizeof(want) <= st.len);
    ((struct domctx_desc *)(st.buf + at))->flags = DOMCTX_FLAG_IGNORE;
    harness_log_clear();
    assert_int_equal(restore(&st, s), EINV);
    if (!harness_log_has("d0 has 1 DOMAIN, 0 CONSOLE and 2 VCPU entries, expected 1, 1 and 2"))
        fail_msg("expected the required-entries refusal in the log:\n%s", harness_log());
    assert_nothing_left();
    free(s);
    free(st.buf);
}

/* The stream's DOMAIN says unprivileged, LU_DOMAIN_INFO says privileged. */
static void test_restore_privilege_mismatch(void **state)
{
    struct domain *w[NR_WORLD];
    struct stream st;
    struct lu_stream *s = calloc(1, sizeof(*s));
    long off;

    (void)state;
    assert_non_null(s);
    build_world(w, true);
    st = write_stream(w, NR_WORLD);
    for (unsigned int i = 0; i < NR_WORLD; i++)
        domain_drop_state(w[i]);
    /* the 3rd LU_DOMAIN_INFO: extra_flags PRIVILEGED */
    off = -1;
    for (size_t o = 0, n = 0; o + 8 <= st.len;) {
        struct lu_rec_hdr h;

        memcpy(&h, st.buf + o, sizeof(h));
        if (h.type == LU_REC_DOMAIN_INFO && n++ == 2) {
            off = (long)o;
            break;
        }
        if (h.type == LU_REC_END)
            break;
        o += sizeof(h) + ALIGN_UP((uint64_t)h.body_length, LU_REC_ALIGN);
    }
    assert_true(off >= 0);
    {
        struct lu_rec_domain_info *info = (void *)(st.buf + off + sizeof(struct lu_rec_hdr));

        assert_int_equal(info->domid, 2);
        info->extra_flags = LU_DOMAIN_EXTRA_PRIVILEGED;
    }
    harness_log_clear();
    assert_int_equal(restore(&st, s), EINV);
    assert_true(harness_log_has("privilege differs"));
    assert_nothing_left();
    free(s);
    free(st.buf);
}

/* d1 is left out of the stream: d0's and d2's channels to it dangle. */
static void test_restore_missing_peer(void **state)
{
    struct domain *w[NR_WORLD];
    struct domain *some[3];
    struct stream st;
    struct lu_stream *s = calloc(1, sizeof(*s));

    (void)state;
    assert_non_null(s);
    build_world(w, true);
    some[0] = w[0];
    some[1] = w[2];
    some[2] = w[3];
    st = write_stream(some, 3);
    for (unsigned int i = 0; i < NR_WORLD; i++)
        domain_drop_state(w[i]);
    harness_log_clear();
    assert_int_equal(restore(&st, s), EINV);
    assert_true(harness_log_has("is not in the stream"));
    assert_nothing_left();
    free(s);
    free(st.buf);
}

/* Commit fails (page tables of the 3rd domain, a vCPU stack, a window):
 * everything commit built for the domains before is given back. */
static void test_restore_commit_fails(void **state)
{
    static const struct {
        int pt, vmap, map;
    } cases[] = {
        { 3, 0, 0 }, { 1, 0, 0 }, { 4, 0, 0 }, { 0, 3, 0 }, { 0, 5, 0 }, { 0, 0, 2 },
    };

    (void)state;
    for (unsigned int i = 0; i < ARRAY_SIZE(cases); i++) {
        struct stream st = world_stream(NULL, true, NULL);
        struct lu_stream *s = calloc(1, sizeof(*s));

        assert_non_null(s);
        ctx_fake.pt_build_fail_at = cases[i].pt;
        ctx_fake.vmap_fail_at = ctx_fake.vmaps + (unsigned int)cases[i].vmap;
        if (!cases[i].vmap)
            ctx_fake.vmap_fail_at = 0;
        ctx_fake.map_fail_at = cases[i].map;
        ctx_fake.pt_builds = 0;
        ctx_fake.maps = 0;
        assert_int_equal(restore(&st, s), -BATON_ENOMEM);
        assert_true(harness_log_has("cannot build its page tables or stacks"));
        assert_nothing_left();
        ctx_fake_reset();
        free(s);
        free(st.buf);
    }
}

/* A domain id already in the table (the restorer's own check). */
static void test_restore_id_taken(void **state)
{
    struct stream st = world_stream(NULL, true, NULL);
    struct lu_stream *s = calloc(1, sizeof(*s));
    struct domain *taken;

    (void)state;
    assert_non_null(s);
    taken = ctx_fake_restoring(2, 1, false, 3000, MEM_PAGES);
    assert_non_null(taken);
    taken->state = DOMAIN_ALIVE;
    assert_int_equal(restore(&st, s), EINV);
    assert_true(harness_log_has("a domain with this id exists already"));
    /* only the restore's own slots were freed */
    assert_int_equal(ctx_fake_slots_used(), 1);
    assert_int_equal(taken->state, DOMAIN_ALIVE);
    domain_drop_state(taken);
    assert_nothing_left();
    free(s);
    free(st.buf);
}

/* ------------------------------------------------------------ seeds */

/* tests/fuzz/fuzz_restore.c's input: one mode octet, then a domctx blob or a
 * stream (see there). */
static void write_seed(const char *dir, const char *name, uint8_t mode, const void *p, size_t n)
{
    char path[512];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "wb");
    if (!f || fwrite(&mode, 1, 1, f) != 1 || fwrite(p, 1, n, f) != n || fclose(f)) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(1);
    }
}

static void make_seeds(void **state)
{
    const char *dir = *state;
    struct domain *w[NR_WORLD];
    struct stream st;
    static const char *const names[NR_WORLD] = {
        "blob-d0-privileged", "blob-d1-rich", "blob-d2", "blob-d3-shutdown" };

    ctx_fake_reset();
    build_world(w, false);
    for (unsigned int i = 0; i < NR_WORLD; i++) {
        size_t len;
        uint8_t *blob = save_blob(w[i], &len);
        /* mode: bit 0 clear (blob), bits 1-2 vCPUs - 1, bit 3 privileged,
         * bits 6-7 domid; ABI pages not mapped */
        uint8_t mode = (uint8_t)(((w[i]->nr_vcpus - 1) << 1) | (w[i]->privileged ? 8 : 0) |
                                 (w[i]->domid << 6));

        write_seed(dir, names[i], mode, blob, len);
        free(blob);
    }
    st = write_stream(w, NR_WORLD);
    write_seed(dir, "stream-world", 1, st.buf, st.len);
    free(st.buf);
    st = write_stream(&w[3], 1);
    write_seed(dir, "stream-one", 1, st.buf, st.len);
    free(st.buf);
    ctx_fake_reset();
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_registered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_type_masks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_round_trip_rich, setup, teardown),
        cmocka_unit_test_setup_teardown(test_round_trip_others, setup, teardown),
        cmocka_unit_test_setup_teardown(test_round_trip_states, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rules_domain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rules_vcpu, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rules_vcpu_dead_domain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_vcpu_offline_regs_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rules_evtchn, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rules_grant, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rules_grant_hole, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rules_grant_map, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rules_timer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rules_dead_state, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rules_console, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rules_limits_accepted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_longer_entries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shorter_entries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ignore, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ignore_real_entry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restore_world, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restore_decode_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restore_cross_checks_fail, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restore_required_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restore_privilege_mismatch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restore_missing_peer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restore_commit_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restore_id_taken, setup, teardown),
    };

    if (domctx_init())
        return 1;
    if (argc == 3 && !strcmp(argv[1], "--seeds")) {
        const struct CMUnitTest seeds[] = {
            { "make_seeds", make_seeds, NULL, NULL, argv[2] },
        };

        return cmocka_run_group_tests_name("ctx_seeds", seeds, NULL, NULL);
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
