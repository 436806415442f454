/* Unit tests of the domain context framework (common/domctx.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <baton/domctx.h>
#include <baton/errno.h>
#include "harness.h"
#include "../fuzz/lu_fixture.h"

/* ------------------------------------------------------------ blob builder */

struct blob {
    union {
        uint8_t b[16384];
        uint64_t align;
    };
    size_t len;
};

static void put(struct blob *x, const void *p, size_t n)
{
    assert_true(x->len + n <= sizeof(x->b));
    if (n)
        memcpy(x->b + x->len, p, n);
    x->len += n;
}

static void b_entry(struct blob *x, uint16_t type, uint16_t flags, uint32_t vcpu,
                    const void *body, uint32_t len)
{
    const struct domctx_desc d = { .typecode = type, .flags = flags, .vcpu_id = vcpu, .length = len };
    static const uint8_t zero[8];

    put(x, &d, sizeof(d));
    put(x, body, len);
    put(x, zero, ALIGN_UP(len, 8) - len);
}

static void b_header(struct blob *x)
{
    const struct domctx_header h = { .magic = DOMCTX_MAGIC, .version = DOMCTX_VERSION };

    x->len = 0;
    b_entry(x, DOMCTX_TYPE_HEADER, 0, 0, &h, sizeof(h));
}

static void b_end(struct blob *x)
{
    b_entry(x, DOMCTX_TYPE_END, 0, 0, NULL, 0);
}

static int blob_write(void *priv, const void *p, size_t n)
{
    put(priv, p, n);
    return 0;
}

static int write_fails(void *priv, const void *p, size_t n)
{
    (void)priv;
    (void)p;
    (void)n;
    return -BATON_ENOSPC;
}

static char err[256];

static int setup(void **state)
{
    (void)state;
    harness_log_clear();
    err[0] = 0;
    return fx_register();
}

static void save_blob(struct domain *d, struct blob *x)
{
    size_t len;

    x->len = 0;
    assert_int_equal(domctx_save(d, d->nr_vcpus, blob_write, x, &len), 0);
    assert_int_equal(len, x->len);
}

static void assert_err(int rc, int want, const char *text)
{
    assert_int_equal(rc, want);
    if (!strstr(err, text))
        fail_msg("error \"%s\" lacks \"%s\"", err, text);
    assert_true(harness_log_has(text));
}

/* ------------------------------------------------------------ registry */

static void test_register_rejects(void **state)
{
    (void)state;
    assert_int_equal(domctx_register(DOMCTX_TYPE_END, "x", 0, 8, NULL, NULL), -BATON_EINVAL);
    assert_int_equal(domctx_register(DOMCTX_TYPE_HEADER, "x", 0, 8, NULL, NULL), -BATON_EINVAL);
    assert_int_equal(domctx_register(0x10, "x", 0, 0, NULL, NULL), -BATON_EINVAL);
    assert_int_equal(domctx_register(0x10, "x", 0, DOMCTX_ENTRY_MAX + 1, NULL, NULL), -BATON_EINVAL);
    assert_int_equal(domctx_register(0x10, "x", 0x80, 8, NULL, NULL), -BATON_EINVAL);
    assert_int_equal(domctx_register(0x10, NULL, 0, 8, NULL, NULL), -BATON_EINVAL);
    assert_int_equal(domctx_register(FX_TYPE_VCPU, "again", 0, 8, NULL, NULL), -BATON_EEXIST);
    /* 3 registered by the fixture: fill the table, then one too many. */
    for (unsigned int i = 0; i < DOMCTX_HANDLERS_MAX - 3; i++)
        assert_int_equal(domctx_register((uint16_t)(0x100 + i), "filler", 0, 8, NULL, NULL), 0);
    assert_int_equal(domctx_register(0x200, "full", 0, 8, NULL, NULL), -BATON_ENOSPC);
    assert_string_equal(domctx_type_name(FX_TYPE_ITEMS), "TEST_ITEMS");
    assert_string_equal(domctx_type_name(DOMCTX_TYPE_GRANT), "GRANT");
    assert_null(domctx_type_name(0x7777));
}

/* ------------------------------------------------------------ save / load */

static void test_round_trip(void **state)
{
    struct domain d, e;
    struct blob x;

    (void)state;
    fx_domain_init(&d, 7, 3, 42);
    save_blob(&d, &x);
    fx_domain_blank(&e, 7, 3);
    assert_int_equal(domctx_load(&e, 3, x.b, x.len, 0, err, sizeof(err)), 0);
    assert_int_equal(e.dom_value, d.dom_value);
    assert_memory_equal(e.vcpu, d.vcpu, 3 * sizeof(d.vcpu[0]));
    assert_int_equal(e.nr_items, 3);
    assert_memory_equal(e.items, d.items, 3 * sizeof(d.items[0]));
    /* 1 domain + 3 vCPUs + 3 items */
    assert_int_equal(e.loads, 7);
}

/* Types come out sorted, vCPUs ascending, HEADER first and END last. */
static void test_save_layout(void **state)
{
    struct domain d;
    struct blob x;
    struct domctx_desc desc;
    uint16_t want[] = { DOMCTX_TYPE_HEADER, FX_TYPE_DOMAIN, FX_TYPE_VCPU, FX_TYPE_VCPU,
                        FX_TYPE_ITEMS, FX_TYPE_ITEMS, FX_TYPE_ITEMS, DOMCTX_TYPE_END };
    uint32_t vcpu[] = { 0, 0, 0, 1, 0, 0, 0, 0 };
    size_t off = 0;

    (void)state;
    fx_domain_init(&d, 1, 2, 5);
    save_blob(&d, &x);
    for (unsigned int i = 0; i < ARRAY_SIZE(want); i++) {
        assert_true(off + sizeof(desc) <= x.len);
        memcpy(&desc, x.b + off, sizeof(desc));
        assert_int_equal(desc.typecode, want[i]);
        assert_int_equal(desc.vcpu_id, vcpu[i]);
        assert_int_equal(desc.flags, 0);
        assert_int_equal(desc.reserved, 0);
        off += sizeof(desc) + ALIGN_UP(desc.length, 8);
    }
    assert_int_equal(off, x.len);
}

static void test_dry_run_exact(void **state)
{
    struct domain d;
    struct blob x;
    size_t size = 0;

    (void)state;
    for (unsigned int n = 1; n <= FX_VCPUS_MAX; n++) {
        fx_domain_init(&d, 1, n, n);
        d.nr_items = n % 4;
        assert_int_equal(domctx_size(&d, n, &size), 0);
        save_blob(&d, &x);
        assert_int_equal(size, x.len);
    }
}

static void test_save_errors(void **state)
{
    struct domain d;
    struct blob x = { .len = 0 };
    size_t len;

    (void)state;
    fx_domain_init(&d, 1, 2, 1);
    d.fail_save_type = FX_TYPE_VCPU;
    assert_int_equal(domctx_save(&d, 2, blob_write, &x, &len), -BATON_EIO);
    d.fail_save_type = 0;
    assert_int_equal(domctx_save(&d, 2, write_fails, NULL, &len), -BATON_ENOSPC);
}

static int save_too_long(struct domain *d, unsigned int vcpu, struct domctx_save_ctx *c)
{
    uint8_t big[32] = { 0 };

    (void)d;
    (void)vcpu;
    return domctx_save_entry(c, big, sizeof(big));
}

static int save_twice(struct domain *d, unsigned int vcpu, struct domctx_save_ctx *c)
{
    uint64_t v = 1;
    int rc;

    (void)d;
    (void)vcpu;
    rc = domctx_save_entry(c, &v, sizeof(v));
    return rc ? rc : domctx_save_entry(c, &v, sizeof(v));
}

static void test_save_entry_rules(void **state)
{
    struct domain d;
    size_t len;

    (void)state;
    fx_domain_init(&d, 1, 1, 1);
    domctx_unregister_all();
    assert_int_equal(domctx_register(0x20, "LONG", 0, 16, save_too_long, NULL), 0);
    assert_int_equal(domctx_size(&d, 1, &len), -BATON_E2BIG);
    assert_true(harness_log_has("entry of 32 octets, type registered 16"));
    domctx_unregister_all();
    assert_int_equal(domctx_register(0x21, "TWICE", 0, 8, save_twice, NULL), 0);
    assert_int_equal(domctx_size(&d, 1, &len), -BATON_EEXIST);
    domctx_unregister_all();
    assert_int_equal(domctx_register(0x21, "TWICE", DOMCTX_MULTI, 8, save_twice, NULL), 0);
    assert_int_equal(domctx_size(&d, 1, &len), 0);
    /* header 24 + two 24-octet entries + END 16 */
    assert_int_equal(len, 24 + 2 * 24 + 16);
}

/* ------------------------------------------------------------ compatibility */

/* An older writer's shorter entry: the missing tail reads as zero. */
static void test_zero_extend(void **state)
{
    struct domain e;
    struct blob x;
    const uint64_t rip = 0x1234;

    (void)state;
    b_header(&x);
    b_entry(&x, FX_TYPE_VCPU, 0, 0, &rip, sizeof(rip));
    b_end(&x);
    fx_domain_blank(&e, 1, 1);
    assert_int_equal(domctx_load(&e, 1, x.b, x.len, 0, err, sizeof(err)), 0);
    assert_int_equal(e.vcpu[0].rip, 0x1234);
    assert_int_equal(e.vcpu[0].rsp, 0);       /* was 0xa5a5...: zeroed */
    assert_int_equal(e.vcpu[0].fsbase, 0);
    assert_int_equal(e.loads, 1);
}

/* A newer writer's longer entry: refused unless told, then truncated. */
static void test_longer_entry(void **state)
{
    struct domain e;
    struct blob x;
    uint64_t body[4] = { 0x11, 0x22, 0x33, 0x44 };
    char want[96];

    (void)state;
    b_header(&x);
    b_entry(&x, FX_TYPE_VCPU, 0, 0, body, sizeof(body));
    b_end(&x);
    fx_domain_blank(&e, 1, 1);
    snprintf(want, sizeof(want), "length 32, this build's structure is %zu", sizeof(fx_vcpu_t));
    assert_err(domctx_load(&e, 1, x.b, x.len, 0, err, sizeof(err)), -BATON_E2BIG, want);
    assert_int_equal(e.loads, 0);
    assert_int_equal(domctx_load(&e, 1, x.b, x.len, DOMCTX_ALLOW_LONGER, err, sizeof(err)), 0);
    assert_int_equal(e.vcpu[0].rip, 0x11);
    assert_int_equal(e.vcpu[0].rsp, 0x22);
    assert_int_equal(e.vcpu[0].fsbase, sizeof(fx_vcpu_t) == 24 ? 0x33 : 0);
}

static void test_ignore(void **state)
{
    struct domain d, e;
    struct blob x;

    (void)state;
    fx_domain_init(&d, 2, 2, 9);
    save_blob(&d, &x);
    assert_int_equal(domctx_set_ignore(x.b, x.len, FX_TYPE_VCPU), 2);
    assert_int_equal(domctx_set_ignore(x.b, x.len, DOMCTX_TYPE_HEADER), -BATON_EINVAL);
    fx_domain_blank(&e, 2, 2);
    assert_int_equal(domctx_load(&e, 2, x.b, x.len, 0, err, sizeof(err)), 0);
    assert_int_equal(e.dom_value, d.dom_value);
    assert_int_equal(e.vcpu[0].rip, 0xa5a5a5a5a5a5a5a5ull); /* untouched */
    assert_int_equal(e.loads, 1 + 3);
}

static void test_unknown_type(void **state)
{
    struct domain e;
    struct blob x;
    const uint64_t v = 5;

    (void)state;
    b_header(&x);
    b_entry(&x, 0x0042, 0, 0, &v, sizeof(v));
    b_end(&x);
    fx_domain_blank(&e, 1, 1);
    assert_err(domctx_load(&e, 1, x.b, x.len, 0, err, sizeof(err)), -BATON_EOPNOTSUPP,
               "entry 0x0042 at offset 24: unknown type, expected a type this build loads or the IGNORE flag");
    /* Framing alone does not need to know the type. */
    assert_int_equal(domctx_validate(x.b, x.len, 1, DOMCTX_FRAMING_ONLY, err, sizeof(err)), 0);
    /* Marked IGNORE, the loader skips it. */
    assert_int_equal(domctx_set_ignore(x.b, x.len, 0x0042), 1);
    assert_int_equal(domctx_load(&e, 1, x.b, x.len, 0, err, sizeof(err)), 0);
    assert_int_equal(e.loads, 0);
}

static void test_no_load_handler(void **state)
{
    struct blob x;
    const uint64_t v = 5;

    (void)state;
    assert_int_equal(domctx_register(0x30, "SAVE_ONLY", 0, 8, save_twice, NULL), 0);
    b_header(&x);
    b_entry(&x, 0x30, 0, 0, &v, sizeof(v));
    b_end(&x);
    assert_err(domctx_validate(x.b, x.len, 1, 0, err, sizeof(err)), -BATON_EOPNOTSUPP,
               "SAVE_ONLY (0x0030) at offset 24: type has no load handler");
}

/* ------------------------------------------------------------ framing */

struct bad_case {
    const char *name;
    void (*build)(struct blob *x);
    int rc;
    const char *text;
};

static const uint64_t one = 1;
static const struct fx_dom_entry dom_entry = { 3 };

static void bad_empty(struct blob *x) { x->len = 0; }
static void bad_truncated_desc(struct blob *x) { b_header(x); put(x, &one, sizeof(one)); }
static void bad_first_not_header(struct blob *x)
{
    x->len = 0;
    b_entry(x, FX_TYPE_DOMAIN, 0, 0, &dom_entry, sizeof(dom_entry));
    b_end(x);
}
static void bad_magic(struct blob *x)
{
    const struct domctx_header h = { .magic = 0x12345678, .version = DOMCTX_VERSION };

    x->len = 0;
    b_entry(x, DOMCTX_TYPE_HEADER, 0, 0, &h, sizeof(h));
    b_end(x);
}
static void bad_version(struct blob *x)
{
    const struct domctx_header h = { .magic = DOMCTX_MAGIC, .version = 2 };

    x->len = 0;
    b_entry(x, DOMCTX_TYPE_HEADER, 0, 0, &h, sizeof(h));
    b_end(x);
}
static void bad_no_end(struct blob *x)
{
    b_header(x);
    b_entry(x, FX_TYPE_DOMAIN, 0, 0, &dom_entry, sizeof(dom_entry));
}
static void bad_after_end(struct blob *x)
{
    b_header(x);
    b_end(x);
    b_entry(x, FX_TYPE_DOMAIN, 0, 0, &dom_entry, sizeof(dom_entry));
}
static void bad_end_length(struct blob *x)
{
    b_header(x);
    b_entry(x, DOMCTX_TYPE_END, 0, 0, &one, sizeof(one));
}
static void bad_end_ignore(struct blob *x)
{
    b_header(x);
    b_entry(x, DOMCTX_TYPE_END, DOMCTX_FLAG_IGNORE, 0, NULL, 0);
}
static void bad_length(struct blob *x)
{
    struct domctx_desc d = { .typecode = FX_TYPE_DOMAIN, .length = 0x1000 };

    b_header(x);
    put(x, &d, sizeof(d));
    put(x, &one, sizeof(one));
    b_end(x);
}
static void bad_length_huge(struct blob *x)
{
    struct domctx_desc d = { .typecode = FX_TYPE_DOMAIN, .length = 0xfffffffc };

    b_header(x);
    put(x, &d, sizeof(d));
    b_end(x);
}
static void bad_padding(struct blob *x)
{
    const uint32_t v = 1;

    b_header(x);
    b_entry(x, FX_TYPE_DOMAIN, 0, 0, &v, sizeof(v));
    x->b[x->len - 1] = 0x7f;
    b_end(x);
}
static void bad_reserved(struct blob *x)
{
    b_header(x);
    b_entry(x, FX_TYPE_DOMAIN, 0, 0, &dom_entry, sizeof(dom_entry));
    x->b[24 + 12] = 1;
    b_end(x);
}
static void bad_flags(struct blob *x)
{
    b_header(x);
    b_entry(x, FX_TYPE_DOMAIN, 0x8, 0, &dom_entry, sizeof(dom_entry));
    b_end(x);
}
static void bad_second_header(struct blob *x)
{
    const struct domctx_header h = { .magic = DOMCTX_MAGIC, .version = DOMCTX_VERSION };

    b_header(x);
    b_entry(x, DOMCTX_TYPE_HEADER, 0, 0, &h, sizeof(h));
    b_end(x);
}
static void bad_vcpu_range(struct blob *x)
{
    b_header(x);
    b_entry(x, FX_TYPE_VCPU, 0, 2, &one, sizeof(one));
    b_end(x);
}
static void bad_vcpu_on_domain_type(struct blob *x)
{
    b_header(x);
    b_entry(x, FX_TYPE_DOMAIN, 0, 1, &dom_entry, sizeof(dom_entry));
    b_end(x);
}
static void bad_order_types(struct blob *x)
{
    b_header(x);
    b_entry(x, FX_TYPE_VCPU, 0, 0, &one, sizeof(one));
    b_entry(x, FX_TYPE_DOMAIN, 0, 0, &dom_entry, sizeof(dom_entry));
    b_end(x);
}
static void bad_order_vcpus(struct blob *x)
{
    b_header(x);
    b_entry(x, FX_TYPE_VCPU, 0, 1, &one, sizeof(one));
    b_entry(x, FX_TYPE_VCPU, 0, 0, &one, sizeof(one));
    b_end(x);
}
static void bad_duplicate(struct blob *x)
{
    b_header(x);
    b_entry(x, FX_TYPE_VCPU, 0, 1, &one, sizeof(one));
    b_entry(x, FX_TYPE_VCPU, 0, 1, &one, sizeof(one));
    b_end(x);
}
/* The bad entry comes last: no handler may have run for the good ones. */
static void bad_last(struct blob *x)
{
    b_header(x);
    b_entry(x, FX_TYPE_DOMAIN, 0, 0, &dom_entry, sizeof(dom_entry));
    b_entry(x, FX_TYPE_VCPU, 0, 0, &one, sizeof(one));
    b_entry(x, 0x0999, 0, 0, &one, sizeof(one));
    b_end(x);
}

/* IGNORE lifts the type, length and vCPU rules, never the framing. */
static void bad_ignore_order(struct blob *x)
{
    b_header(x);
    b_entry(x, FX_TYPE_VCPU, 0, 0, &one, sizeof(one));
    b_entry(x, 0x0999, DOMCTX_FLAG_IGNORE, 0, &one, sizeof(one));
    b_end(x);
}
static void bad_ignore_padding(struct blob *x)
{
    const uint32_t v = 1;

    b_header(x);
    b_entry(x, 0x0999, DOMCTX_FLAG_IGNORE, 0, &v, sizeof(v));
    x->b[x->len - 1] = 0x7f;
    b_end(x);
}
static void bad_ignore_length(struct blob *x)
{
    struct domctx_desc d = { .typecode = FX_TYPE_DOMAIN, .flags = DOMCTX_FLAG_IGNORE,
                             .length = 0x1000 };

    b_header(x);
    put(x, &d, sizeof(d));
    put(x, &one, sizeof(one));
    b_end(x);
}
static void bad_ignore_header(struct blob *x)
{
    const struct domctx_header h = { .magic = DOMCTX_MAGIC, .version = DOMCTX_VERSION };

    b_header(x);
    b_entry(x, DOMCTX_TYPE_HEADER, DOMCTX_FLAG_IGNORE, 0, &h, sizeof(h));
    b_end(x);
}

static const struct bad_case bad_cases[] = {
    { "empty", bad_empty, -BATON_EINVAL, "HEADER is missing: blob of 0 octets, expected a HEADER entry first" },
    { "truncated", bad_truncated_desc, -BATON_EINVAL, "truncated descriptor at offset 24: need 16 octets, 8 left" },
    { "first", bad_first_not_header, -BATON_EINVAL, "first entry is TEST_DOMAIN (0xff00) vcpu 0 flags 0x0 length 8, expected HEADER" },
    { "magic", bad_magic, -BATON_EINVAL, "HEADER magic 0x12345678, expected 0x58544344" },
    { "version", bad_version, -BATON_EOPNOTSUPP, "HEADER version 2, this build reads 1" },
    { "no end", bad_no_end, -BATON_EINVAL, "truncated descriptor at offset 48: need 16 octets, 0 left" },
    { "after end", bad_after_end, -BATON_EINVAL, "END at offset 24 followed by 24 octets, expected none" },
    { "end length", bad_end_length, -BATON_EINVAL, "END at offset 24: vcpu 0 flags 0x0 length 8, expected all 0" },
    { "end ignore", bad_end_ignore, -BATON_EINVAL, "END at offset 24: vcpu 0 flags 0x1 length 0" },
    { "length", bad_length, -BATON_EINVAL, "length 4096 (padded 4096) but 24 octets left" },
    { "length huge", bad_length_huge, -BATON_EINVAL, "length 4294967292 (padded 4294967296) but 16 octets left" },
    { "padding", bad_padding, -BATON_EINVAL, "padding octet 3 is 0x7f, expected 0" },
    { "reserved", bad_reserved, -BATON_EINVAL, "descriptor at offset 24: reserved is 0x1, expected 0" },
    { "flags", bad_flags, -BATON_EINVAL, "descriptor at offset 24: unknown flags 0x8 (known 0x1)" },
    { "second header", bad_second_header, -BATON_EINVAL, "second HEADER at offset 24, expected HEADER only as the first entry" },
    { "vcpu range", bad_vcpu_range, -BATON_EINVAL, "vcpu 2, expected below 2 (the domain's vCPUs)" },
    { "vcpu on domain type", bad_vcpu_on_domain_type, -BATON_EINVAL, "vcpu 1 on a per-domain type, expected 0" },
    { "order types", bad_order_types, -BATON_EINVAL, "TEST_DOMAIN (0xff00) vcpu 0 at offset 48 after TEST_VCPU (0xff01) vcpu 0: entries must be sorted" },
    { "order vcpus", bad_order_vcpus, -BATON_EINVAL, "vcpu 0 at offset 48 after TEST_VCPU (0xff01) vcpu 1" },
    { "duplicate", bad_duplicate, -BATON_EEXIST, "duplicate entry TEST_VCPU (0xff01) vcpu 1 at offset 48" },
    { "last", bad_last, -BATON_EOPNOTSUPP, "entry 0x0999 at offset 72: unknown type" },
    { "ignore order", bad_ignore_order, -BATON_EINVAL, "entry 0x0999 vcpu 0 at offset 48 after TEST_VCPU (0xff01) vcpu 0: entries must be sorted" },
    { "ignore padding", bad_ignore_padding, -BATON_EINVAL, "entry 0x0999 at offset 24: padding octet 3 is 0x7f, expected 0" },
    { "ignore length", bad_ignore_length, -BATON_EINVAL, "length 4096 (padded 4096) but 24 octets left" },
    { "ignore header", bad_ignore_header, -BATON_EINVAL, "second HEADER at offset 24" },
};

/*
 * An IGNORE entry is skipped whatever its type, length or vCPU id: a tool
 * can neutralise an entry a newer build wrote (longer than this build's
 * structure, or for a vCPU this domain lacks) without rewriting it.
 */
static void test_ignore_whatever(void **state)
{
    uint8_t big[64];
    struct domain e;
    struct blob x;

    (void)state;
    memset(big, 0x5a, sizeof(big));
    memset(&x, 0, sizeof(x));
    b_header(&x);
    b_entry(&x, 0x0999, DOMCTX_FLAG_IGNORE, 3, big, 61);                  /* unknown, at 24 */
    b_entry(&x, FX_TYPE_DOMAIN, DOMCTX_FLAG_IGNORE, 0, big, sizeof(big)); /* long, at 104 */
    b_entry(&x, FX_TYPE_DOMAIN, 0, 0, &dom_entry, sizeof(dom_entry));     /* same key */
    b_entry(&x, FX_TYPE_DOMAIN, DOMCTX_FLAG_IGNORE, 5, &one, sizeof(one)); /* vcpu */
    b_entry(&x, FX_TYPE_VCPU, 0, 1, &one, sizeof(one));
    b_entry(&x, FX_TYPE_VCPU, DOMCTX_FLAG_IGNORE, 1, big, sizeof(big));   /* same key */
    b_entry(&x, FX_TYPE_VCPU, DOMCTX_FLAG_IGNORE, 7, big, sizeof(big));   /* no such vCPU */
    b_end(&x);
    assert_int_equal(domctx_validate(x.b, x.len, 2, 0, err, sizeof(err)), 0);
    fx_domain_blank(&e, 1, 2);
    assert_int_equal(domctx_load(&e, 2, x.b, x.len, 0, err, sizeof(err)), 0);
    assert_int_equal(e.loads, 2);
    assert_int_equal(e.dom_value, dom_entry.value);
    assert_int_equal(e.vcpu[1].rip, 1);
    /* Without IGNORE, the long entry is refused. */
    x.b[104 + 2] = 0;
    assert_int_equal(domctx_validate(x.b, x.len, 2, 0, err, sizeof(err)), -BATON_E2BIG);
    assert_non_null(strstr(err, "entry TEST_DOMAIN (0xff00) vcpu 0 at offset 104: length 64, this build's structure is 8"));
}

static void test_bad_blobs(void **state)
{
    struct blob x;
    struct domain e;

    (void)state;
    for (unsigned int i = 0; i < ARRAY_SIZE(bad_cases); i++) {
        const struct bad_case *c = &bad_cases[i];

        harness_log_clear();
        memset(&x, 0, sizeof(x));
        c->build(&x);
        fx_domain_blank(&e, 1, 2);
        err[0] = 0;
        int rc = domctx_load(&e, 2, x.b, x.len, 0, err, sizeof(err));

        if (rc != c->rc || !strstr(err, c->text))
            fail_msg("case %s: rc %d (want %d), error \"%s\" (want \"%s\")",
                     c->name, rc, c->rc, err, c->text);
        assert_int_equal(e.loads, 0);
        assert_true(harness_log_has(c->text));
    }
}

static void test_load_handler_error(void **state)
{
    struct domain d, e;
    struct blob x;

    (void)state;
    fx_domain_init(&d, 1, 1, 3);
    save_blob(&d, &x);
    fx_domain_blank(&e, 1, 1);
    e.fail_load_type = FX_TYPE_VCPU;
    assert_int_equal(domctx_load(&e, 1, x.b, x.len, 0, err, sizeof(err)), -BATON_EIO);
    assert_true(harness_log_has("load TEST_VCPU vcpu 0 at offset 48 failed: -5"));
}

/* Every prefix and every single-octet change of a good blob: no crash,
 * and a rejected blob never reaches a handler. */
static void test_mutations(void **state)
{
    struct domain d, e;
    struct blob x, y;
    unsigned int accepted = 0, rejected = 0;

    (void)state;
    fx_domain_init(&d, 1, 2, 11);
    save_blob(&d, &x);
    for (size_t n = 0; n < x.len; n++) {
        fx_domain_blank(&e, 1, 2);
        assert_int_not_equal(domctx_load(&e, 2, x.b, n, 0, NULL, 0), 0);
        assert_int_equal(e.loads, 0);
    }
    for (size_t i = 0; i < x.len; i++) {
        for (unsigned int bit = 0; bit < 8; bit++) {
            y = x;
            y.b[i] ^= (uint8_t)(1u << bit);
            fx_domain_blank(&e, 1, 2);
            if (domctx_validate(y.b, y.len, 2, 0, NULL, 0) == 0) {
                int rc = domctx_load(&e, 2, y.b, y.len, 0, NULL, 0);

                /* Valid framing; only the items handler checks its index. */
                accepted++;
                assert_true(rc == 0 || rc == -BATON_EINVAL);
            } else {
                rejected++;
                assert_int_not_equal(domctx_load(&e, 2, y.b, y.len, 0, NULL, 0), 0);
                assert_int_equal(e.loads, 0);
            }
        }
    }
    /* Flips inside bodies are legal; flips in descriptors and padding are not. */
    assert_true(accepted > 0);
    assert_true(rejected > accepted);
}

static void test_garbage(void **state)
{
    struct blob x;
    uint64_t seed = 0x9e3779b97f4a7c15ull;

    (void)state;
    for (unsigned int round = 0; round < 2000; round++) {
        x.len = (seed >> 7) % 512;
        for (size_t i = 0; i < x.len; i++) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            x.b[i] = (uint8_t)(seed >> 56);
        }
        assert_int_not_equal(domctx_validate(x.b, x.len, 4, DOMCTX_ALLOW_LONGER, NULL, 0), 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_register_rejects, setup),
        cmocka_unit_test_setup(test_round_trip, setup),
        cmocka_unit_test_setup(test_save_layout, setup),
        cmocka_unit_test_setup(test_dry_run_exact, setup),
        cmocka_unit_test_setup(test_save_errors, setup),
        cmocka_unit_test_setup(test_save_entry_rules, setup),
        cmocka_unit_test_setup(test_zero_extend, setup),
        cmocka_unit_test_setup(test_longer_entry, setup),
        cmocka_unit_test_setup(test_ignore, setup),
        cmocka_unit_test_setup(test_ignore_whatever, setup),
        cmocka_unit_test_setup(test_unknown_type, setup),
        cmocka_unit_test_setup(test_no_load_handler, setup),
        cmocka_unit_test_setup(test_bad_blobs, setup),
        cmocka_unit_test_setup(test_load_handler_error, setup),
        cmocka_unit_test_setup(test_mutations, setup),
        cmocka_unit_test_setup(test_garbage, setup),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
