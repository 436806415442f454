/*
 * The FPU domain context entry (arch/x86/fpu.c, DOMCTX_TYPE_FPU) with the
 * real handlers, on the host:
 *   - the default state a new vCPU gets (arch_vcpu_init_regs);
 *   - round trip: one entry per vCPU that is not OFFLINE, reserved octets
 *     of the image cleared, loaded exactly, saved again to the same octets;
 *   - compatibility: a blob without FPU entries (a build before them), or
 *     with them marked IGNORE, restores every vCPU with the default state,
 *     whatever the slot held;
 *   - every validation rule (MXCSR against MXCSR_MASK, reserved octets, an
 *     entry for an OFFLINE vCPU, sizes), one case each;
 *   - garbage: random bodies are loaded exactly or refused with -EINVAL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <asm/fpu.h>
#include <baton/arch.h>
#include <baton/domain.h>
#include <baton/domctx.h>
#include <baton/errno.h>
#include <baton/lib.h>
#include "ctx_fake.h"
#include "harness.h"

#define MEM_PAGES 512u
#define NR_VCPUS  3u
#define EINV      (-BATON_EINVAL)

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

static uint8_t *save_blob(struct domain *d, size_t *len)
{
    struct buf b = { 0 };
    size_t dry = 0;

    assert_int_equal(domctx_size(d, d->nr_vcpus, &dry), 0);
    assert_int_equal(domctx_save(d, d->nr_vcpus, buf_write, &b, NULL), 0);
    assert_int_equal(dry, b.len);
    *len = b.len;
    return b.p;
}

static void put_entry(struct buf *b, uint16_t type, uint32_t vcpu, const void *body, uint32_t len)
{
    const struct domctx_desc d = { .typecode = type, .vcpu_id = vcpu, .length = len };
    static const uint8_t zero[DOMCTX_ALIGN];

    buf_write(b, &d, sizeof(d));
    buf_write(b, body, len);
    buf_write(b, zero, ALIGN_UP((size_t)len, DOMCTX_ALIGN) - len);
}

/*
 * Copy blob into b entry by entry; an FPU entry of vCPU `vcpu` is replaced
 * by `body` (len octets; NULL: dropped). vcpu UINT32_MAX: every FPU entry.
 * extra_vcpu < NR_VCPUS: body is also added as that vCPU's FPU entry.
 */
struct edit {
    uint32_t vcpu;
    const void *body;
    uint32_t len;
    uint32_t extra_vcpu;
};

static void copy_edited(struct buf *b, const uint8_t *blob, size_t len, struct edit *e)
{
    size_t off = 0;

    while (off + sizeof(struct domctx_desc) <= len) {
        const struct domctx_desc *d = (const struct domctx_desc *)(blob + off);
        const void *body = blob + off + sizeof(*d);
        bool fpu = d->typecode == DOMCTX_TYPE_FPU;

        if (e->extra_vcpu < NR_VCPUS && (d->typecode == DOMCTX_TYPE_END ||
                                         (fpu && d->vcpu_id > e->extra_vcpu))) {
            put_entry(b, DOMCTX_TYPE_FPU, e->extra_vcpu, e->body, e->len);
            e->extra_vcpu = UINT32_MAX;
        }
        if (fpu && (e->vcpu == UINT32_MAX || e->vcpu == d->vcpu_id)) {
            if (e->body)
                put_entry(b, DOMCTX_TYPE_FPU, d->vcpu_id, e->body, e->len);
        } else {
            put_entry(b, d->typecode, d->vcpu_id, body, d->length);
        }
        if (d->typecode == DOMCTX_TYPE_END)
            break;
        off += sizeof(*d) + ALIGN_UP((size_t)d->length, DOMCTX_ALIGN);
    }
}

static const struct domctx_fpu *fpu_entry(const uint8_t *blob, size_t len, uint32_t vcpu)
{
    size_t off = 0;

    while (off + sizeof(struct domctx_desc) <= len) {
        const struct domctx_desc *d = (const struct domctx_desc *)(blob + off);

        if (d->typecode == DOMCTX_TYPE_FPU && d->vcpu_id == vcpu) {
            assert_int_equal(d->length, sizeof(struct domctx_fpu));
            return (const struct domctx_fpu *)(blob + off + sizeof(*d));
        }
        if (d->typecode == DOMCTX_TYPE_END)
            break;
        off += sizeof(*d) + ALIGN_UP((size_t)d->length, DOMCTX_ALIGN);
    }
    return NULL;
}

/* ------------------------------------------------------------ domains */

static struct cpu_user_regs guest_regs_at(uint64_t rip)
{
    struct cpu_user_regs r;

    memset(&r, 0, sizeof(r));
    r.rip = rip;
    r.rsp = 0x1ff000;
    r.rflags = RFLAGS_IF | 0x2;
    r.cs = GDT_USER_CS;
    r.ss = GDT_USER_DS;
    return r;
}

/* An FXSAVE image as a CPU writes it: the chosen registers, and junk where
 * the architecture reserves octets. */
static void fill_area(struct fpu_area *f, uint8_t seed)
{
    struct domctx_fpu e;

    for (size_t i = 0; i < sizeof(e); i++)
        ((uint8_t *)&e)[i] = (uint8_t)(seed + i * 7);
    e.fcw = 0x027f;
    e.fsw = 0x3800;
    e.mxcsr = 0x3f80 | seed % 2 * 0x8000;   /* round down; FZ on odd seeds */
    e.mxcsr_mask = 0xffbf;
    memcpy(f->fxsave, &e, sizeof(e));
}

/* What fill_area's image must become in an entry: reserved octets zero. */
static struct domctx_fpu cleaned(const struct fpu_area *f)
{
    struct domctx_fpu e;

    memcpy(&e, f->fxsave, sizeof(e));
    e.pad0 = 0;
    for (unsigned int i = 0; i < 8; i++)
        memset(&e.st[i][10], 0, 6);
    memset(e.pad1, 0, sizeof(e.pad1));
    return e;
}

static struct domain *make_domain(uint16_t domid)
{
    struct domain *d = ctx_fake_restoring_heap(domid, NR_VCPUS, false, domid * MEM_PAGES,
                                               MEM_PAGES);

    assert_non_null(d);
    d->state = DOMAIN_ALIVE;
    d->pause_count = 1;
    snprintf(d->name, sizeof(d->name), "fpu-%u", domid);
    return d;
}

/* d1: vCPU 0 RUNNABLE, 1 BLOCKED, 2 OFFLINE (with junk it must not save). */
static struct domain *make_source(void)
{
    struct domain *d = make_domain(1);

    d->vcpus[0].state = VCPU_RUNNABLE;
    d->vcpus[0].arch.regs = guest_regs_at(0x401000);
    fill_area(&d->vcpus[0].arch.fpu, 0x11);
    d->vcpus[1].state = VCPU_BLOCKED;
    d->vcpus[1].arch.regs = guest_regs_at(0x402000);
    fill_area(&d->vcpus[1].arch.fpu, 0x22);
    fill_area(&d->vcpus[2].arch.fpu, 0x33);
    return d;
}

/* A slot as restore prepares it, holding junk where the state goes. */
static struct domain *make_target(void)
{
    struct domain *d = make_domain(1);

    for (unsigned int i = 0; i < NR_VCPUS; i++)
        memset(d->vcpus[i].arch.fpu.fxsave, 0xee, FPU_AREA_SIZE);
    return d;
}

static int load(struct domain *d, const void *blob, size_t len)
{
    char err[160];

    return domctx_load(d, d->nr_vcpus, blob, len, 0, err, sizeof(err));
}

static void assert_defaults(const struct vcpu *v)
{
    struct fpu_area want;

    memset(&want, 0, sizeof(want));
    want.fxsave[0] = 0x7f;          /* FCW 0x037f */
    want.fxsave[1] = 0x03;
    want.fxsave[24] = 0x80;         /* MXCSR 0x1f80 */
    want.fxsave[25] = 0x1f;
    assert_memory_equal(v->arch.fpu.fxsave, want.fxsave, FPU_AREA_SIZE);
}

static int setup(void **state)
{
    (void)state;
    ctx_fake_reset();
    harness_log_clear();
    fpu_set_mxcsr_mask(DOMCTX_FPU_MXCSR_MASK_DEFAULT);
    return 0;
}

/* ------------------------------------------------------------ tests */

static void test_defaults(void **state)
{
    struct domain *d = make_domain(2);

    (void)state;
    memset(d->vcpus[0].arch.fpu.fxsave, 0x5a, FPU_AREA_SIZE);
    arch_vcpu_init_regs(&d->vcpus[0], 0x200000, 0x3ff000, 0x1000);
    assert_defaults(&d->vcpus[0]);
    assert_string_equal(domctx_type_name(DOMCTX_TYPE_FPU), "FPU");
    free(d);
}

static void test_round_trip(void **state)
{
    struct domain *src = make_source(), *dst = make_target();
    size_t len, len2;
    uint8_t *blob = save_blob(src, &len), *blob2;
    struct domctx_fpu want0 = cleaned(&src->vcpus[0].arch.fpu);
    struct domctx_fpu want1 = cleaned(&src->vcpus[1].arch.fpu);

    (void)state;
    assert_non_null(fpu_entry(blob, len, 0));
    assert_memory_equal(fpu_entry(blob, len, 0), &want0, sizeof(want0));
    assert_memory_equal(fpu_entry(blob, len, 1), &want1, sizeof(want1));
    assert_null(fpu_entry(blob, len, 2));           /* OFFLINE: none */
    assert_int_equal(load(dst, blob, len), 0);
    assert_memory_equal(dst->vcpus[0].arch.fpu.fxsave, &want0, sizeof(want0));
    assert_memory_equal(dst->vcpus[1].arch.fpu.fxsave, &want1, sizeof(want1));
    assert_defaults(&dst->vcpus[2]);
    blob2 = save_blob(dst, &len2);
    assert_int_equal(len2, len);
    assert_memory_equal(blob2, blob, len);
    free(blob);
    free(blob2);
    free(src);
    free(dst);
}

/* The compatibility rule: no FPU entry, the default state. */
static void test_stream_without_fpu(void **state)
{
    struct domain *src = make_source(), *dst = make_target();
    size_t len;
    uint8_t *blob = save_blob(src, &len);
    struct buf b = { 0 };
    struct edit strip = { .vcpu = UINT32_MAX, .extra_vcpu = UINT32_MAX };

    (void)state;
    copy_edited(&b, blob, len, &strip);
    assert_int_equal(b.len, len - 2 * (sizeof(struct domctx_desc) + sizeof(struct domctx_fpu)));
    assert_int_equal(load(dst, b.p, b.len), 0);
    for (unsigned int i = 0; i < NR_VCPUS; i++)
        assert_defaults(&dst->vcpus[i]);
    assert_int_equal(dst->vcpus[0].arch.regs.rip, 0x401000);
    free(dst);

    /* the same with the entries present but marked IGNORE by a tool */
    dst = make_target();
    assert_int_equal(domctx_set_ignore(blob, len, DOMCTX_TYPE_FPU), 2);
    assert_int_equal(load(dst, blob, len), 0);
    for (unsigned int i = 0; i < NR_VCPUS; i++)
        assert_defaults(&dst->vcpus[i]);
    free(b.p);
    free(blob);
    free(src);
    free(dst);
}

#define FULL UINT32_MAX

struct rule {
    const char *what;
    uint32_t vcpu;              /* whose entry is replaced (2: added, OFFLINE) */
    void (*patch)(struct domctx_fpu *e);
    uint32_t len;               /* of the replacement; FULL: the whole entry */
    int rc;
    const char *log;            /* expected in the error, or NULL */
};

static void p_none(struct domctx_fpu *e) { (void)e; }
static void p_daz(struct domctx_fpu *e) { e->mxcsr |= 0x40; }
static void p_mxcsr_high(struct domctx_fpu *e) { e->mxcsr |= 1u << 16; }
static void p_mxcsr_top(struct domctx_fpu *e) { e->mxcsr = 0xffffffffu; }
static void p_pad0(struct domctx_fpu *e) { e->pad0 = 1; }
static void p_pad1(struct domctx_fpu *e) { e->pad1[95] = 0x80; }
static void p_pad1_first(struct domctx_fpu *e) { e->pad1[0] = 1; }
static void p_st_reserved(struct domctx_fpu *e) { e->st[3][12] = 1; }
static void p_st7_reserved(struct domctx_fpu *e) { e->st[7][15] = 0xff; }
static void p_mask_any(struct domctx_fpu *e) { e->mxcsr_mask = 0x12345678; }

static int run_rule(const struct rule *r)
{
    struct domain *src = make_source(), *dst = make_target();
    size_t len;
    uint8_t *blob = save_blob(src, &len);
    struct domctx_fpu e = cleaned(&src->vcpus[r->vcpu < 2 ? r->vcpu : 0].arch.fpu);
    uint8_t body[sizeof(e) + 16];
    struct buf b = { 0 };
    struct edit ed = { .vcpu = r->vcpu, .body = body, .len = r->len == FULL ? sizeof(e) : r->len,
                       .extra_vcpu = UINT32_MAX };
    int rc;

    r->patch(&e);
    memset(body, 0x77, sizeof(body));
    memcpy(body, &e, MIN(sizeof(e), (size_t)ed.len));
    if (r->vcpu >= 2) {
        ed.vcpu = UINT32_MAX - 1;       /* replace none, add one */
        ed.extra_vcpu = r->vcpu;
    }
    harness_log_clear();
    copy_edited(&b, blob, len, &ed);
    rc = load(dst, b.p, b.len);
    if (rc != r->rc)
        fail_msg("%s: rc %d, want %d; log:\n%s", r->what, rc, r->rc, harness_log());
    if (r->log && !harness_log_has(r->log))
        fail_msg("%s: log lacks '%s':\n%s", r->what, r->log, harness_log());
    if (rc == 0 && ed.len <= sizeof(e)) {
        /* accepted: loaded as written, zero-extended */
        struct domctx_fpu want;

        memset(&want, 0, sizeof(want));
        memcpy(&want, &e, ed.len);
        assert_memory_equal(dst->vcpus[r->vcpu].arch.fpu.fxsave, &want, sizeof(want));
    }
    free(b.p);
    free(blob);
    free(src);
    free(dst);
    return rc;
}

static void test_rules(void **state)
{
    static const struct rule rules[] = {
        { "unchanged", 0, p_none, FULL, 0, NULL },
        { "MXCSR DAZ where the CPU has no DAZ", 0, p_daz, FULL, EINV,
          "MXCSR 0xbfc0 sets bits 0x40 outside this CPU's MXCSR_MASK 0xffbf" },
        { "MXCSR bit 16", 1, p_mxcsr_high, FULL, EINV, "outside this CPU's MXCSR_MASK" },
        { "MXCSR all ones", 0, p_mxcsr_top, FULL, EINV, "MXCSR 0xffffffff" },
        { "pad0", 0, p_pad0, FULL, EINV, "pad0 0x1" },
        { "pad1's last octet", 1, p_pad1, FULL, EINV, "pad1 nonzero" },
        { "pad1's first octet", 0, p_pad1_first, FULL, EINV, "pad1 nonzero" },
        { "ST3's reserved octets", 0, p_st_reserved, FULL, EINV, "ST slots' last 6 octets nonzero" },
        { "ST7's last octet", 1, p_st7_reserved, FULL, EINV, "ST slots' last 6 octets nonzero" },
        { "an OFFLINE vCPU's entry", 2, p_none, FULL, EINV, "entry for an OFFLINE vCPU" },
        { "another CPU's MXCSR_MASK (informational)", 0, p_mask_any, FULL, 0, NULL },
        { "longer than 512 octets", 0, p_none, sizeof(struct domctx_fpu) + 8, -BATON_E2BIG,
          "length 520, this build's structure is 512" },
        { "24 octets (zero-extended: MXCSR 0)", 0, p_none, 24, 0, NULL },
        { "empty (zero-extended)", 1, p_none, 0, 0, NULL },
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(rules); i++)
        run_rule(&rules[i]);
}

/* A CPU with DAZ reports MXCSR_MASK 0xffff: then DAZ is accepted. */
static void test_mask_from_cpu(void **state)
{
    const struct rule daz = { "DAZ on a CPU with DAZ", 0, p_daz, FULL, 0, NULL };
    const struct rule high = { "bit 16 still refused", 0, p_mxcsr_high, FULL, EINV, "0xffff" };

    (void)state;
    fpu_set_mxcsr_mask(0xffff);
    assert_int_equal(fpu_mxcsr_mask(), 0xffff);
    run_rule(&daz);
    run_rule(&high);
}

/* Random bodies: loaded exactly when valid, refused with -EINVAL otherwise,
 * and the decision is the one the rules give. */
static void test_garbage(void **state)
{
    uint64_t x = 0x2545f4914f6cdd1dULL;
    unsigned int ok = 0, refused = 0;

    (void)state;
    for (unsigned int n = 0; n < 400; n++) {
        struct domctx_fpu e;
        struct rule r = { "garbage", n % 2, p_none, FULL, 0, NULL };
        bool valid;

        for (size_t i = 0; i < sizeof(e); i += 8) {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            memcpy((uint8_t *)&e + i, &x, 8);
        }
        /* a quarter keeps every reserved octet zero, to reach the MXCSR check */
        if (n % 4 == 0) {
            e.pad0 = 0;
            memset(e.pad1, 0, sizeof(e.pad1));
            for (unsigned int i = 0; i < 8; i++)
                memset(&e.st[i][10], 0, 6);
            if (n % 8 == 0)
                e.mxcsr &= DOMCTX_FPU_MXCSR_MASK_DEFAULT;
        }
        valid = !e.pad0 && !(e.mxcsr & ~DOMCTX_FPU_MXCSR_MASK_DEFAULT) &&
                mem_is_zero(e.pad1, sizeof(e.pad1));
        for (unsigned int i = 0; i < 8; i++)
            valid = valid && mem_is_zero(&e.st[i][10], 6);
        r.rc = valid ? 0 : EINV;
        /* run_rule patches a clean entry: hand it the garbage instead */
        {
            struct domain *src = make_source(), *dst = make_target();
            size_t len;
            uint8_t *blob = save_blob(src, &len);
            struct buf b = { 0 };
            struct edit ed = { .vcpu = r.vcpu, .body = &e, .len = sizeof(e),
                               .extra_vcpu = UINT32_MAX };
            int rc;

            copy_edited(&b, blob, len, &ed);
            rc = load(dst, b.p, b.len);
            assert_int_equal(rc, r.rc);
            if (rc == 0) {
                assert_memory_equal(dst->vcpus[r.vcpu].arch.fpu.fxsave, &e, sizeof(e));
                ok++;
            } else {
                refused++;
            }
            free(b.p);
            free(blob);
            free(src);
            free(dst);
        }
    }
    assert_true(ok >= 40);
    assert_true(refused >= 200);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_defaults, setup),
        cmocka_unit_test_setup(test_round_trip, setup),
        cmocka_unit_test_setup(test_stream_without_fpu, setup),
        cmocka_unit_test_setup(test_rules, setup),
        cmocka_unit_test_setup(test_mask_from_cpu, setup),
        cmocka_unit_test_setup(test_garbage, setup),
    };

    if (domctx_init())
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
