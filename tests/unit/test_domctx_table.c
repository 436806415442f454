/*
 * The linker-built handler table: two DOMCTX_HANDLER()s defined here, out
 * of order, and domctx_init() registering them, sorted, into the registry.
 * (The other LU tests link no DOMCTX_HANDLER: domctx_init() finds an empty
 * table there, through the weak __start_/__stop_ symbols.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <baton/domctx.h>
#include <baton/errno.h>
#include "harness.h"

#define T_VCPU 0xff21u
#define T_DOM  0xff20u

struct t_vcpu {
    uint64_t rip;
};
struct t_dom {
    uint64_t value;
};

struct domain {
    uint64_t value;
    uint64_t rip[2];
    unsigned int loads;
};

static int save_vcpu(struct domain *d, unsigned int vcpu, struct domctx_save_ctx *c)
{
    const struct t_vcpu v = { d->rip[vcpu] };

    return domctx_save_entry(c, &v, sizeof(v));
}

static int load_vcpu(struct domain *d, unsigned int vcpu, const struct domctx_entry *e)
{
    struct t_vcpu v;
    int rc = domctx_entry_read(e, &v, sizeof(v));

    if (!rc) {
        d->rip[vcpu] = v.rip;
        d->loads++;
    }
    return rc;
}

static int save_dom(struct domain *d, unsigned int vcpu, struct domctx_save_ctx *c)
{
    const struct t_dom x = { d->value };

    (void)vcpu;
    return domctx_save_entry(c, &x, sizeof(x));
}

static int load_dom(struct domain *d, unsigned int vcpu, const struct domctx_entry *e)
{
    struct t_dom x;
    int rc = domctx_entry_read(e, &x, sizeof(x));

    (void)vcpu;
    if (!rc) {
        d->value = x.value;
        d->loads++;
    }
    return rc;
}

/* Higher type first in the file: the registry sorts, whatever the link order. */
DOMCTX_HANDLER(t_vcpu, T_VCPU, "T_VCPU", DOMCTX_PER_VCPU, sizeof(struct t_vcpu),
               save_vcpu, load_vcpu);
DOMCTX_HANDLER(t_dom, T_DOM, "T_DOM", 0, sizeof(struct t_dom), save_dom, load_dom);

static int setup(void **state)
{
    (void)state;
    domctx_unregister_all();
    harness_log_clear();
    return 0;
}

struct blob {
    uint8_t b[512];
    size_t len;
};

static int put(void *priv, const void *p, size_t n)
{
    struct blob *x = priv;

    if (n > sizeof(x->b) - x->len)
        return -BATON_ENOSPC;
    memcpy(x->b + x->len, p, n);
    x->len += n;
    return 0;
}

static uint16_t entry_type(const struct blob *x, size_t off)
{
    struct domctx_desc d;

    memcpy(&d, x->b + off, sizeof(d));
    return d.typecode;
}

/* Both registered, by name, and a save emits them in type order. */
static void test_init_registers_sorted(void **state)
{
    struct domain d = { .value = 7, .rip = { 0x100, 0x200 } }, e = { 0 };
    struct blob x = { .len = 0 };
    size_t len;

    (void)state;
    assert_null(domctx_type_name(T_DOM));
    assert_int_equal(domctx_init(), 0);
    assert_string_equal(domctx_type_name(T_DOM), "T_DOM");
    assert_string_equal(domctx_type_name(T_VCPU), "T_VCPU");
    assert_int_equal(domctx_save(&d, 2, put, &x, &len), 0);
    assert_int_equal(len, x.len);
    /* HEADER (16 + 8), T_DOM (16 + 8), T_VCPU x2 (16 + 8 each), END. */
    assert_int_equal(len, 24 + 24 + 2 * 24 + 16);
    assert_int_equal(entry_type(&x, 24), T_DOM);
    assert_int_equal(entry_type(&x, 48), T_VCPU);
    assert_int_equal(entry_type(&x, 72), T_VCPU);
    assert_int_equal(domctx_load(&e, 2, x.b, x.len, 0, NULL, 0), 0);
    assert_int_equal(e.loads, 3);
    assert_int_equal(e.value, 7);
    assert_int_equal(e.rip[1], 0x200);
}

/* A type already registered (by hand, or by a second init) is refused. */
static void test_init_refuses_duplicates(void **state)
{
    (void)state;
    assert_int_equal(domctx_register(T_VCPU, "OTHER", 0, 8, NULL, NULL), 0);
    assert_int_equal(domctx_init(), -BATON_EEXIST);
    assert_true(harness_log_has("T_VCPU (0xff21): type already registered"));
    domctx_unregister_all();
    harness_log_clear();
    assert_int_equal(domctx_init(), 0);
    assert_int_equal(domctx_init(), -BATON_EEXIST);
    assert_true(harness_log_has("handler T_DOM (0xff20): type already registered"));
}

/* The registry keeps what init registered next to what tests add by hand. */
static void test_init_then_register(void **state)
{
    (void)state;
    assert_int_equal(domctx_init(), 0);
    assert_int_equal(domctx_register(0xff22, "T_MORE", 0, 8, NULL, NULL), 0);
    assert_string_equal(domctx_type_name(0xff22), "T_MORE");
    assert_string_equal(domctx_type_name(T_DOM), "T_DOM");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_init_registers_sorted, setup),
        cmocka_unit_test_setup(test_init_refuses_duplicates, setup),
        cmocka_unit_test_setup(test_init_then_register, setup),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
