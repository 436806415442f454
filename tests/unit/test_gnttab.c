/*
 * Unit tests for common/grant_table.c: argument validation of every
 * GNTTABOP_* sub-op, grant -> map -> unmap -> end, read-only grants, map
 * counts, and what happens when the granter or the grantee dies; the in-use
 * bitmaps of refs and window slots against a walk of the tables after random
 * sequences of sub-ops, deaths and save/load round trips.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <baton/domain.h>
#include <baton/domctx.h>
#include <baton/errno.h>
#include <baton/printk.h>
#include "domain_maps.h"
#include "harness.h"
#include "pv_fake.h"

#define PAGE_PFN        (PV_KERNEL_FIRST_PFN + 16)     /* a page d0 grants */

static struct domain *d0, *d1, *d2;

static int setup(void **state)
{
    (void)state;
    harness_log_clear();
    pv_fake_reset();
    d0 = pv_fake_domain(0, 1, FAKE_MEM_SIZE);
    d1 = pv_fake_domain(1, 1, FAKE_MEM_SIZE);
    d2 = pv_fake_domain(2, 1, PV_MIN_MEM_SIZE);
    return 0;
}

/* ------------------------------------------------------------------ helpers */

static long gop(struct domain *d, uint32_t cmd, void *op, size_t n)
{
    long rc;

    memcpy(pv_fake_ptr(d, FAKE_ARG_GVA), op, n);
    rc = do_grant_table_op(d, cmd, FAKE_ARG_GVA);
    memcpy(op, pv_fake_ptr(d, FAKE_ARG_GVA), n);
    return rc;
}

static long grant(struct domain *d, uint32_t ref, uint16_t domid, uint16_t flags, uint64_t gpfn)
{
    struct gnttab_grant_access op = { .ref = ref, .domid = domid, .flags = flags, .gpfn = gpfn };
    return gop(d, GNTTABOP_grant_access, &op, sizeof(op));
}

static long end_access(struct domain *d, uint32_t ref)
{
    struct gnttab_end_access op = { .ref = ref };
    return gop(d, GNTTABOP_end_access, &op, sizeof(op));
}

static long map(struct domain *d, uint16_t domid, uint32_t ref, uint32_t slot, uint32_t flags)
{
    struct gnttab_map op = { .domid = domid, .ref = ref, .slot = slot, .flags = flags };
    return gop(d, GNTTABOP_map, &op, sizeof(op));
}

static long unmap(struct domain *d, uint32_t slot)
{
    struct gnttab_unmap op = { .slot = slot };
    return gop(d, GNTTABOP_unmap, &op, sizeof(op));
}

static const uint64_t bad_ptrs[] = {
    0, 0x800, PV_PAGE_SIZE - 1,
    FAKE_MEM_SIZE - 2, FAKE_MEM_SIZE,
    UINT64_C(0x0000600000000000),
    GNT_WINDOW_ADDR(GNT_WINDOW_SLOTS - 1),
    UINT64_C(0x0000800000000000),
    UINT64_C(0xffff800000000000),
    UINT64_C(0xfffffffffffffff8), ~UINT64_C(0),
};

/* -------------------------------------------------------------- validation */

static void test_unknown_cmd(void **state)
{
    const uint32_t cmds[] = { NR_GNTTABOPS, 5, 0x80000000u, 0xffffffffu };
    struct gnttab_unmap u = { .slot = 0 };
    (void)state;

    for (unsigned int i = 0; i < ARRAY_SIZE(cmds); i++)
        assert_int_equal(gop(d0, cmds[i], &u, sizeof(u)), -BATON_ENOSYS);
}

static void test_bad_pointers(void **state)
{
    (void)state;

    for (uint32_t cmd = 0; cmd < NR_GNTTABOPS; cmd++)
        for (unsigned int i = 0; i < ARRAY_SIZE(bad_ptrs); i++)
            assert_int_equal(do_grant_table_op(d0, cmd, bad_ptrs[i]), -BATON_EFAULT);
    assert_int_equal(pv_fake.maps + pv_fake.unmaps, 0);
}

static void test_grant_access_args(void **state)
{
    const uint64_t bad_gpfns[] = {
        0, 1, 2, 3, PV_KERNEL_FIRST_PFN - 1,
        FAKE_MEM_SIZE >> PV_PAGE_SHIFT, (FAKE_MEM_SIZE >> PV_PAGE_SHIFT) + 1,
        UINT64_C(1) << 52, ~UINT64_C(0),
    };
    (void)state;

    assert_int_equal(grant(d0, NR_GRANT_REFS, 1, 0, PAGE_PFN), -BATON_EINVAL);
    assert_int_equal(grant(d0, 0xffffffffu, 1, 0, PAGE_PFN), -BATON_EINVAL);
    assert_int_equal(grant(d0, 0, 1, 2, PAGE_PFN), -BATON_EINVAL);
    assert_int_equal(grant(d0, 0, 1, 0x8000, PAGE_PFN), -BATON_EINVAL);
    assert_int_equal(grant(d0, 0, 0, 0, PAGE_PFN), -BATON_EINVAL);          /* self */
    assert_int_equal(grant(d0, 0, DOMID_FIRST_RESERVED, 0, PAGE_PFN), -BATON_EINVAL);
    assert_int_equal(grant(d0, 0, DOMID_HYPERVISOR, 0, PAGE_PFN), -BATON_EINVAL);
    assert_int_equal(grant(d0, 0, 0xffff, 0, PAGE_PFN), -BATON_EINVAL);
    for (unsigned int i = 0; i < ARRAY_SIZE(bad_gpfns); i++)
        assert_int_equal(grant(d0, 0, 1, 0, bad_gpfns[i]), -BATON_EINVAL);
    /* the smaller domain's memory ends sooner */
    assert_int_equal(grant(d2, 0, 1, 0, PV_MIN_MEM_SIZE >> PV_PAGE_SHIFT), -BATON_EINVAL);
    assert_int_equal(grant(d2, 0, 1, 0, (PV_MIN_MEM_SIZE >> PV_PAGE_SHIFT) - 1), 0);
    for (uint32_t ref = 0; ref < NR_GRANT_REFS; ref++)
        assert_false(d0->grants[ref].in_use);

    /* the first and last grantable pages, the last ref, a grantee that does not exist yet */
    assert_int_equal(grant(d0, 0, 1, 0, PV_KERNEL_FIRST_PFN), 0);
    assert_int_equal(grant(d0, NR_GRANT_REFS - 1, 9, GNTF_readonly,
                           (FAKE_MEM_SIZE >> PV_PAGE_SHIFT) - 1), 0);
    assert_int_equal(grant(d0, 0, 1, 0, PAGE_PFN), -BATON_EEXIST);
    assert_int_equal(d0->grants[0].gpfn, PV_KERNEL_FIRST_PFN);      /* unchanged */
}

/* A gpfn inside mem_size but in no extent (a hole) cannot be granted. */
static void test_grant_hole(void **state)
{
    (void)state;

    d0->extents[0].count = PAGE_PFN;
    d0->extents[1] = (struct mem_extent){ PAGE_PFN + 1, 0x9000, 100 };
    d0->nr_extents = 2;
    assert_int_equal(grant(d0, 0, 1, 0, PAGE_PFN), -BATON_EINVAL);
    assert_int_equal(grant(d0, 0, 1, 0, PAGE_PFN + 1), 0);
    assert_int_equal(map(d1, 0, 0, 0, 0), 0);
    assert_int_equal(pv_fake.last_map_mfn, 0x9000);
}

static void test_end_access_args(void **state)
{
    (void)state;

    assert_int_equal(end_access(d0, NR_GRANT_REFS), -BATON_EINVAL);
    assert_int_equal(end_access(d0, 0xffffffffu), -BATON_EINVAL);
    assert_int_equal(end_access(d0, 5), -BATON_ENOENT);
    assert_int_equal(grant(d0, 5, 1, 0, PAGE_PFN), 0);
    assert_int_equal(end_access(d0, 5), 0);
    assert_int_equal(end_access(d0, 5), -BATON_ENOENT);
    /* and the ref can be granted again */
    assert_int_equal(grant(d0, 5, 1, 0, PAGE_PFN), 0);
}

static void test_map_args(void **state)
{
    struct gnttab_map op;
    (void)state;

    assert_int_equal(grant(d0, 7, 1, 0, PAGE_PFN), 0);
    assert_int_equal(grant(d0, 8, 2, 0, PAGE_PFN), 0);      /* granted to d2 */
    op = (struct gnttab_map){ .domid = 0, .pad = 1, .ref = 7, .slot = 0 };
    assert_int_equal(gop(d1, GNTTABOP_map, &op, sizeof(op)), -BATON_EINVAL);
    assert_int_equal(map(d1, 0, 7, 0, 0x10), -BATON_EINVAL);
    assert_int_equal(map(d1, 0, 7, 0, 0x80000000u), -BATON_EINVAL);
    assert_int_equal(map(d1, 0, NR_GRANT_REFS, 0, 0), -BATON_EINVAL);
    assert_int_equal(map(d1, 0, 0xffffffffu, 0, 0), -BATON_EINVAL);
    assert_int_equal(map(d1, 0, 7, GNT_WINDOW_SLOTS, 0), -BATON_EINVAL);
    assert_int_equal(map(d1, 0, 7, 0xffffffffu, 0), -BATON_EINVAL);
    assert_int_equal(map(d1, 1, 7, 0, 0), -BATON_EINVAL);                  /* self */
    assert_int_equal(map(d1, DOMID_FIRST_RESERVED, 7, 0, 0), -BATON_EINVAL);
    assert_int_equal(map(d1, 0xffff, 7, 0, 0), -BATON_EINVAL);
    assert_int_equal(map(d1, 0x7000, 7, 0, 0), -BATON_ENOENT);             /* absent */
    assert_int_equal(map(d1, 0, 6, 0, 0), -BATON_ENOENT);                  /* not granted */
    assert_int_equal(map(d1, 0, 8, 0, 0), -BATON_ENOENT);                  /* not to d1 */
    assert_int_equal(map(d1, 2, 7, 0, 0), -BATON_ENOENT);                  /* d2 granted nothing */
    assert_int_equal(pv_fake.maps, 0);
    assert_false(d1->gnt_maps[0].in_use);
    assert_int_equal(d0->grants[7].map_count, 0);
}

static void test_map_dead_granter(void **state)
{
    (void)state;

    assert_int_equal(grant(d0, 7, 1, 0, PAGE_PFN), 0);
    d0->state = DOMAIN_SHUTDOWN;
    assert_int_equal(map(d1, 0, 7, 0, 0), -BATON_ENOENT);
    d0->state = DOMAIN_CRASHED;
    assert_int_equal(map(d1, 0, 7, 0, 0), -BATON_ENOENT);
}

static void test_unmap_args(void **state)
{
    (void)state;

    assert_int_equal(unmap(d1, GNT_WINDOW_SLOTS), -BATON_EINVAL);
    assert_int_equal(unmap(d1, 0xffffffffu), -BATON_EINVAL);
    assert_int_equal(unmap(d1, 0), -BATON_ENOENT);
    assert_int_equal(unmap(d1, GNT_WINDOW_SLOTS - 1), -BATON_ENOENT);
    assert_int_equal(pv_fake.unmaps, 0);
}

/* ------------------------------------------------------------- positive paths */

static void test_grant_map_unmap_end(void **state)
{
    (void)state;

    assert_int_equal(grant(d0, 3, 1, 0, PAGE_PFN), 0);
    assert_int_equal(map(d1, 0, 3, 5, 0), 0);
    assert_int_equal(pv_fake.maps, 1);
    assert_ptr_equal(pv_fake.last_map_dom, d1);
    assert_int_equal(pv_fake.last_map_slot, 5);
    assert_int_equal(pv_fake.last_map_mfn, FAKE_MFN_BASE(pv_fake_slot_of(d0)) + PAGE_PFN);
    assert_false(pv_fake.last_map_ro);
    assert_true(d1->gnt_maps[5].in_use);
    assert_int_equal(d1->gnt_maps[5].granter, 0);
    assert_int_equal(d1->gnt_maps[5].ref, 3);
    assert_false(d1->gnt_maps[5].readonly);
    assert_int_equal(d0->grants[3].map_count, 1);

    /* the slot is taken; the grant stays while mapped */
    assert_int_equal(map(d1, 0, 3, 5, 0), -BATON_EBUSY);
    assert_int_equal(end_access(d0, 3), -BATON_EBUSY);
    assert_int_equal(grant(d0, 3, 1, 0, PAGE_PFN), -BATON_EEXIST);

    assert_int_equal(unmap(d1, 5), 0);
    assert_int_equal(pv_fake.unmaps, 1);
    assert_int_equal(pv_fake.last_unmap_slot, 5);
    assert_false(d1->gnt_maps[5].in_use);
    assert_int_equal(d0->grants[3].map_count, 0);
    assert_int_equal(unmap(d1, 5), -BATON_ENOENT);
    assert_int_equal(end_access(d0, 3), 0);
    assert_int_equal(map(d1, 0, 3, 5, 0), -BATON_ENOENT);
}

static void test_readonly(void **state)
{
    (void)state;

    assert_int_equal(grant(d0, 1, 1, GNTF_readonly, PAGE_PFN), 0);
    assert_int_equal(map(d1, 0, 1, 0, 0), -BATON_EPERM);
    assert_int_equal(pv_fake.maps, 0);
    assert_int_equal(map(d1, 0, 1, 0, GNTMAP_readonly), 0);
    assert_true(pv_fake.last_map_ro);
    assert_true(d1->gnt_maps[0].readonly);
    /* a writable grant may be mapped read-only */
    assert_int_equal(grant(d0, 2, 1, 0, PAGE_PFN), 0);
    assert_int_equal(map(d1, 0, 2, 1, GNTMAP_readonly), 0);
    assert_true(pv_fake.last_map_ro);
}

static void test_map_window_fails(void **state)
{
    (void)state;

    assert_int_equal(grant(d0, 1, 1, 0, PAGE_PFN), 0);
    pv_fake.map_rc = -BATON_ENOMEM;
    assert_int_equal(map(d1, 0, 1, 0, 0), -BATON_ENOMEM);
    assert_false(d1->gnt_maps[0].in_use);
    assert_int_equal(d0->grants[1].map_count, 0);
    assert_int_equal(end_access(d0, 1), 0);
}

static void test_same_ref_two_slots(void **state)
{
    (void)state;

    assert_int_equal(grant(d0, 1, 1, 0, PAGE_PFN), 0);
    assert_int_equal(map(d1, 0, 1, 0, 0), 0);
    assert_int_equal(map(d1, 0, 1, 63, 0), 0);
    assert_int_equal(d0->grants[1].map_count, 2);
    assert_int_equal(unmap(d1, 0), 0);
    assert_int_equal(end_access(d0, 1), -BATON_EBUSY);
    assert_int_equal(unmap(d1, 63), 0);
    assert_int_equal(end_access(d0, 1), 0);
}

/* ------------------------------------------------------------------ dying */

static void test_grantee_dies(void **state)
{
    (void)state;

    assert_int_equal(grant(d0, 1, 1, 0, PAGE_PFN), 0);
    assert_int_equal(grant(d0, 2, 1, 0, PAGE_PFN + 1), 0);
    assert_int_equal(map(d1, 0, 1, 3, 0), 0);
    assert_int_equal(map(d1, 0, 2, 4, 0), 0);
    d1->state = DOMAIN_CRASHED;
    gnttab_release(d1);
    assert_int_equal(pv_fake.unmaps, 2);
    for (unsigned int s = 0; s < GNT_WINDOW_SLOTS; s++)
        assert_false(d1->gnt_maps[s].in_use);
    assert_int_equal(d0->grants[1].map_count, 0);
    assert_int_equal(end_access(d0, 1), 0);
    assert_int_equal(end_access(d0, 2), 0);
}

static void test_granter_dies(void **state)
{
    (void)state;

    assert_int_equal(grant(d0, 1, 1, 0, PAGE_PFN), 0);
    assert_int_equal(grant(d0, 2, 1, 0, PAGE_PFN), 0);      /* not mapped */
    assert_int_equal(map(d1, 0, 1, 3, 0), 0);
    d0->state = DOMAIN_CRASHED;
    gnttab_release(d0);
    /* d1 keeps its mapping (d0's memory is not freed) */
    assert_int_equal(pv_fake.unmaps, 0);
    assert_true(d1->gnt_maps[3].in_use);
    assert_true(d0->grants[1].in_use);
    assert_int_equal(d0->grants[1].map_count, 1);
    assert_false(d0->grants[2].in_use);
    assert_int_equal(map(d1, 0, 1, 4, 0), -BATON_ENOENT);
    /* unmapping later finds the crashed granter and drops its count */
    assert_int_equal(unmap(d1, 3), 0);
    assert_int_equal(d0->grants[1].map_count, 0);
}

/* The granter's slot was freed meanwhile: unmap still works. */
static void test_granter_gone(void **state)
{
    (void)state;

    assert_int_equal(grant(d0, 1, 1, 0, PAGE_PFN), 0);
    assert_int_equal(map(d1, 0, 1, 3, 0), 0);
    d0->state = DOMAIN_FREE;
    assert_int_equal(unmap(d1, 3), 0);
    assert_int_equal(pv_fake.unmaps, 1);
    assert_false(d1->gnt_maps[3].in_use);
    /* a free slot is not touched (its next owner starts from scratch) */
    assert_int_equal(d0->grants[1].map_count, 1);
}

/* Every slot can hold a mapping; a full window has no free slot to reuse. */
static void test_all_slots(void **state)
{
    (void)state;

    assert_int_equal(grant(d0, 0, 1, 0, PAGE_PFN), 0);
    for (uint32_t s = 0; s < GNT_WINDOW_SLOTS; s++)
        assert_int_equal(map(d1, 0, 0, s, 0), 0);
    assert_int_equal(d0->grants[0].map_count, GNT_WINDOW_SLOTS);
    for (uint32_t s = 0; s < GNT_WINDOW_SLOTS; s++)
        assert_int_equal(map(d1, 0, 0, s, 0), -BATON_EBUSY);
    /* the grant is checked before the slot (the spec's order) */
    assert_int_equal(map(d1, 0, 7, 0, 0), -BATON_ENOENT);
    gnttab_release(d1);
    assert_int_equal(d0->grants[0].map_count, 0);
}

/* ------------------------------------------------- the in-use bitmaps */

/* xorshift64: the same sequence on every run, so a failure reproduces. */
static uint64_t rnd_state;

static uint32_t rnd(uint32_t n)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return (uint32_t)(rnd_state % n);
}

static struct domain *doms[3];

static void expect_maps_exact(void)
{
    for (unsigned int i = 0; i < 3; i++)
        assert_int_equal(maps_mismatch(doms[i]), 0);
}

/* Refs and slots mostly low (so that they collide), now and then any or out of range. */
static uint32_t pick(uint32_t n)
{
    return rnd(8) ? rnd(16) : rnd(n + 2);
}

static void random_gop(struct domain *d)
{
    uint16_t other = doms[rnd(3)]->domid;

    switch (rnd(5)) {
    case 0:
    case 1:
        grant(d, pick(NR_GRANT_REFS), rnd(16) ? other : DOMID_FIRST_RESERVED,
              rnd(2) ? GNTF_readonly : 0, PV_KERNEL_FIRST_PFN + rnd(20));
        break;
    case 2:
        end_access(d, pick(NR_GRANT_REFS));
        break;
    case 3:
        map(d, other, pick(NR_GRANT_REFS), pick(GNT_WINDOW_SLOTS), rnd(2) ? GNTMAP_readonly : 0);
        break;
    default:
        unmap(d, pick(GNT_WINDOW_SLOTS));
        break;
    }
}

/* A dying domain gives back its slots and the grants nobody maps; then,
 * for the test, it lives again with what is left. */
static void die_and_return(struct domain *d)
{
    d->state = DOMAIN_CRASHED;
    gnttab_release(d);
    assert_int_equal(d->gnt_maps_in_use[0], 0);
    expect_maps_exact();
    d->state = DOMAIN_ALIVE;
}

static void test_use_maps_random(void **state)
{
    (void)state;
    doms[0] = d0, doms[1] = d1, doms[2] = d2;
    rnd_state = UINT64_C(0x9e3779b97f4a7c15);
    for (unsigned int i = 0; i < 40000; i++) {
        random_gop(doms[rnd(3)]);
        if (rnd(2000) == 0)
            die_and_return(doms[rnd(3)]);
        expect_maps_exact();
    }
}

struct blob {
    uint8_t buf[32 * 1024];
    size_t len;
};

static int blob_write(void *priv, const void *data, size_t len)
{
    struct blob *b = priv;

    assert_true(b->len + len <= sizeof(b->buf));
    memcpy(b->buf + b->len, data, len);
    b->len += len;
    return 0;
}

/* Every domain saved, its slot dropped and claimed again, loaded, and the
 * map counts rebuilt by the restore check: the tables come back the same. */
static void round_trip(void)
{
    static struct blob b[3];
    static struct grant_entry grants[3][NR_GRANT_REFS];
    static struct grant_mapping maps[3][GNT_WINDOW_SLOTS];
    uint64_t mem[3];

    for (unsigned int i = 0; i < 3; i++) {
        b[i].len = 0;
        assert_int_equal(domctx_save(doms[i], 1, blob_write, &b[i], NULL), 0);
        memcpy(grants[i], doms[i]->grants, sizeof(grants[i]));
        memcpy(maps[i], doms[i]->gnt_maps, sizeof(maps[i]));
        mem[i] = doms[i]->mem_size;
    }
    for (unsigned int i = 0; i < 3; i++) {
        uint16_t domid = doms[i]->domid;

        memset(doms[i], 0, sizeof(*doms[i]));
        doms[i] = pv_fake_domain(domid, 1, mem[i]);
    }
    for (unsigned int i = 0; i < 3; i++)
        assert_int_equal(domctx_load(doms[i], 1, b[i].buf, b[i].len, 0, NULL, 0), 0);
    for (unsigned int i = 0; i < 3; i++)
        assert_int_equal(gnttab_restore_check(doms[i]), 0);
    for (unsigned int i = 0; i < 3; i++) {
        assert_memory_equal(doms[i]->grants, grants[i], sizeof(grants[i]));
        assert_memory_equal(doms[i]->gnt_maps, maps[i], sizeof(maps[i]));
    }
    expect_maps_exact();
}

static void test_use_maps_round_trip(void **state)
{
    unsigned int used = 0;
    (void)state;

    domctx_unregister_all();
    assert_int_equal(domctx_init(), 0);
    doms[0] = d0, doms[1] = d1, doms[2] = d2;
    rnd_state = UINT64_C(0x2545f4914f6cdd1d);
    for (unsigned int round = 0; round < 40; round++) {
        for (unsigned int i = 0; i < 300; i++)
            random_gop(doms[rnd(3)]);
        for (unsigned int i = 0; i < 3; i++)
            used += (unsigned int)__builtin_popcountll(doms[i]->gnt_maps_in_use[0]);
        round_trip();
    }
    assert_true(used > 40);     /* the rounds had mappings to carry */
    domctx_unregister_all();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_unknown_cmd, setup),
        cmocka_unit_test_setup(test_bad_pointers, setup),
        cmocka_unit_test_setup(test_grant_access_args, setup),
        cmocka_unit_test_setup(test_grant_hole, setup),
        cmocka_unit_test_setup(test_end_access_args, setup),
        cmocka_unit_test_setup(test_map_args, setup),
        cmocka_unit_test_setup(test_map_dead_granter, setup),
        cmocka_unit_test_setup(test_unmap_args, setup),
        cmocka_unit_test_setup(test_grant_map_unmap_end, setup),
        cmocka_unit_test_setup(test_readonly, setup),
        cmocka_unit_test_setup(test_map_window_fails, setup),
        cmocka_unit_test_setup(test_same_ref_two_slots, setup),
        cmocka_unit_test_setup(test_grantee_dies, setup),
        cmocka_unit_test_setup(test_granter_dies, setup),
        cmocka_unit_test_setup(test_granter_gone, setup),
        cmocka_unit_test_setup(test_all_slots, setup),
        cmocka_unit_test_setup(test_use_maps_random, setup),
        cmocka_unit_test_setup(test_use_maps_round_trip, setup),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
