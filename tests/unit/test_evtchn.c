/*
 * Unit tests for common/event_channel.c: argument validation of every
 * EVTCHNOP_* sub-op (bad pointers, ports, pads, domids, states), binding,
 * delivery into the shared info page, virqs, the console port and release;
 * the open-port bitmap against a walk of every port after random sequences
 * of sub-ops, releases and save/load round trips.
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
#include <public/domctx.h>
#include "domain_maps.h"
#include "harness.h"
#include "pv_fake.h"

static struct domain *d0, *d1;

static int setup(void **state)
{
    (void)state;
    harness_log_clear();
    pv_fake_reset();
    d0 = pv_fake_domain(0, 2, FAKE_MEM_SIZE);
    d1 = pv_fake_domain(1, 1, FAKE_MEM_SIZE);
    assert_int_equal(evtchn_init_domain(d0), 0);
    assert_int_equal(evtchn_init_domain(d1), 0);
    return 0;
}

/* ------------------------------------------------------------------ helpers */

/* Put op at FAKE_ARG_GVA, make the hypercall, read op back. */
static long evop(struct domain *d, uint32_t cmd, void *op, size_t n)
{
    long rc;

    memcpy(pv_fake_ptr(d, FAKE_ARG_GVA), op, n);
    rc = do_event_channel_op(d, &d->vcpus[0], cmd, FAKE_ARG_GVA);
    memcpy(op, pv_fake_ptr(d, FAKE_ARG_GVA), n);
    return rc;
}

static long alloc_unbound(struct domain *d, uint16_t remote, uint32_t *port)
{
    struct evtchn_alloc_unbound op = { .remote_dom = remote, .port = 0xdead };
    long rc = evop(d, EVTCHNOP_alloc_unbound, &op, sizeof(op));

    if (port)
        *port = rc == 0 ? op.port : 0;
    return rc;
}

static long bind_inter(struct domain *d, uint16_t remote, uint32_t rport, uint32_t *port)
{
    struct evtchn_bind_interdomain op = { .remote_dom = remote, .remote_port = rport };
    long rc = evop(d, EVTCHNOP_bind_interdomain, &op, sizeof(op));

    if (port)
        *port = rc == 0 ? op.local_port : 0;
    return rc;
}

static long bind_virq(struct domain *d, uint32_t virq, uint32_t vcpu, uint32_t *port)
{
    struct evtchn_bind_virq op = { .virq = virq, .vcpu = vcpu };
    long rc = evop(d, EVTCHNOP_bind_virq, &op, sizeof(op));

    if (port)
        *port = rc == 0 ? op.port : 0;
    return rc;
}

static long send(struct domain *d, uint32_t port)
{
    struct evtchn_send op = { .port = port };
    return evop(d, EVTCHNOP_send, &op, sizeof(op));
}

static long close_port(struct domain *d, uint32_t port)
{
    struct evtchn_close op = { .port = port };
    return evop(d, EVTCHNOP_close, &op, sizeof(op));
}

static long status(struct domain *d, uint32_t port, struct evtchn_status *st)
{
    memset(st, 0, sizeof(*st));
    st->port = port;
    return evop(d, EVTCHNOP_status, st, sizeof(*st));
}

static void expect_status(struct domain *d, uint32_t port, uint32_t state,
                          uint16_t remote_dom, uint32_t remote)
{
    struct evtchn_status st;

    assert_int_equal(status(d, port, &st), 0);
    assert_int_equal(st.port, port);
    assert_int_equal(st.state, state);
    assert_int_equal(st.remote_dom, remote_dom);
    assert_int_equal(st.pad, 0);
    assert_int_equal(st.remote_port_or_virq, remote);
}

static bool pending(const struct domain *d, uint32_t port)
{
    return (d->shared_info->evtchn_pending[port / 64] >> (port % 64)) & 1;
}

/* d0 offers a port to d1 and d1 binds it: *p0 (d0's end), *p1 (d1's). */
static void connect(uint32_t *p0, uint32_t *p1)
{
    assert_int_equal(alloc_unbound(d0, 1, p0), 0);
    assert_int_equal(bind_inter(d1, 0, *p0, p1), 0);
}

static const uint64_t bad_ptrs[] = {
    0, 0x800, PV_PAGE_SIZE - 1,
    FAKE_MEM_SIZE - 2,                      /* straddles the end */
    FAKE_MEM_SIZE, FAKE_MEM_SIZE + PV_PAGE_SIZE,
    UINT64_C(0x0000600000000000),           /* unmapped */
    GNT_WINDOW_ADDR(GNT_WINDOW_SLOTS - 1),
    UINT64_C(0x0000800000000000),           /* non-canonical */
    UINT64_C(0xffff800000000000),           /* hypervisor */
    UINT64_C(0xfffffffffffffff8), ~UINT64_C(0),
};

/* -------------------------------------------------------------- validation */

static void test_init_console_port(void **state)
{
    uint32_t p;
    (void)state;

    assert_int_equal(d0->console_port, 1);
    expect_status(d0, 1, EVTCHNSTAT_interdomain, DOMID_HYPERVISOR, 0);
    /* the next port is the lowest free one */
    assert_int_equal(alloc_unbound(d0, 1, &p), 0);
    assert_int_equal(p, 2);
}

static void test_unknown_cmd(void **state)
{
    const uint32_t cmds[] = { NR_EVTCHNOPS, 7, 0x80000000u, 0xffffffffu };
    struct evtchn_status st = { .port = 1 };
    (void)state;

    for (unsigned int i = 0; i < ARRAY_SIZE(cmds); i++)
        assert_int_equal(evop(d0, cmds[i], &st, sizeof(st)), -BATON_ENOSYS);
}

static void test_bad_pointers(void **state)
{
    uint32_t p;
    (void)state;

    for (uint32_t cmd = 0; cmd < NR_EVTCHNOPS; cmd++)
        for (unsigned int i = 0; i < ARRAY_SIZE(bad_ptrs); i++)
            assert_int_equal(do_event_channel_op(d0, &d0->vcpus[0], cmd, bad_ptrs[i]),
                             -BATON_EFAULT);
    /* nothing was allocated or bound by any of them */
    assert_int_equal(alloc_unbound(d0, 1, &p), 0);
    assert_int_equal(p, 2);
    assert_int_equal(pv_fake.wakes, 0);
}

/* The last bytes of guest memory are fine; one byte further is not. */
static void test_pointer_at_end(void **state)
{
    struct evtchn_status st = { .port = 1 };
    uint64_t at = FAKE_MEM_SIZE - sizeof(st);
    (void)state;

    memcpy(pv_fake_ptr(d0, at), &st, sizeof(st));
    assert_int_equal(do_event_channel_op(d0, &d0->vcpus[0], EVTCHNOP_status, at), 0);
    memcpy(&st, pv_fake_ptr(d0, at), sizeof(st));
    assert_int_equal(st.state, EVTCHNSTAT_interdomain);
    assert_int_equal(do_event_channel_op(d0, &d0->vcpus[0], EVTCHNOP_status, at + 1),
                     -BATON_EFAULT);
}

static void test_alloc_unbound_args(void **state)
{
    struct evtchn_alloc_unbound op = { .remote_dom = 1, .pad = 1 };
    uint32_t p;
    (void)state;

    assert_int_equal(evop(d0, EVTCHNOP_alloc_unbound, &op, sizeof(op)), -BATON_EINVAL);
    op.pad = 0x8000;
    assert_int_equal(evop(d0, EVTCHNOP_alloc_unbound, &op, sizeof(op)), -BATON_EINVAL);
    assert_int_equal(alloc_unbound(d0, DOMID_FIRST_RESERVED, NULL), -BATON_EINVAL);
    assert_int_equal(alloc_unbound(d0, DOMID_HYPERVISOR, NULL), -BATON_EINVAL);
    assert_int_equal(alloc_unbound(d0, 0xffff, NULL), -BATON_EINVAL);
    /* a domain that does not exist yet is fine, and so is the last valid id */
    assert_int_equal(alloc_unbound(d0, 9, &p), 0);
    assert_int_equal(p, 2);
    assert_int_equal(alloc_unbound(d0, DOMID_FIRST_RESERVED - 1, &p), 0);
    assert_int_equal(p, 3);
    expect_status(d0, 2, EVTCHNSTAT_unbound, 9, 0);
}

static void test_alloc_until_full(void **state)
{
    uint32_t p;
    (void)state;

    for (uint32_t want = 2; want < NR_EVTCHN_PORTS; want++) {
        assert_int_equal(alloc_unbound(d0, 1, &p), 0);
        assert_int_equal(p, want);
    }
    assert_int_equal(alloc_unbound(d0, 1, NULL), -BATON_ENOSPC);
    assert_int_equal(bind_virq(d0, VIRQ_TIMER, 0, NULL), -BATON_ENOSPC);
    assert_int_equal(d0->vcpus[0].virq_port[VIRQ_TIMER], 0);
    /* a freed port is the lowest free one again */
    assert_int_equal(close_port(d0, 500), 0);
    assert_int_equal(close_port(d0, 700), 0);
    assert_int_equal(alloc_unbound(d0, 1, &p), 0);
    assert_int_equal(p, 500);
}

/* The caller has no free port: the remote port stays unbound. */
static void test_bind_interdomain_full(void **state)
{
    uint32_t p0;
    (void)state;

    assert_int_equal(alloc_unbound(d0, 1, &p0), 0);
    while (alloc_unbound(d1, 0, NULL) == 0)
        ;
    assert_int_equal(bind_inter(d1, 0, p0, NULL), -BATON_ENOSPC);
    expect_status(d0, p0, EVTCHNSTAT_unbound, 1, 0);
}

static void test_bind_interdomain_args(void **state)
{
    struct evtchn_bind_interdomain op;
    uint32_t p0, p0b, p1, virq;
    (void)state;

    assert_int_equal(alloc_unbound(d0, 1, &p0), 0);
    assert_int_equal(alloc_unbound(d0, 5, &p0b), 0);       /* offered to another */
    assert_int_equal(bind_virq(d0, VIRQ_TIMER, 0, &virq), 0);

    op = (struct evtchn_bind_interdomain){ .remote_dom = 0, .pad = 1, .remote_port = p0 };
    assert_int_equal(evop(d1, EVTCHNOP_bind_interdomain, &op, sizeof(op)), -BATON_EINVAL);
    assert_int_equal(bind_inter(d1, 0xffff, p0, NULL), -BATON_EINVAL);
    assert_int_equal(bind_inter(d1, DOMID_FIRST_RESERVED, p0, NULL), -BATON_EINVAL);
    assert_int_equal(bind_inter(d1, DOMID_HYPERVISOR, 1, NULL), -BATON_EINVAL);
    assert_int_equal(bind_inter(d1, 0x7000, 1, NULL), -BATON_ENOENT);
    assert_int_equal(bind_inter(d1, 0, 0, NULL), -BATON_EINVAL);
    assert_int_equal(bind_inter(d1, 0, NR_EVTCHN_PORTS, NULL), -BATON_EINVAL);
    assert_int_equal(bind_inter(d1, 0, 0xffffffffu, NULL), -BATON_EINVAL);
    assert_int_equal(bind_inter(d1, 0, NR_EVTCHN_PORTS - 1, NULL), -BATON_EINVAL); /* closed */
    assert_int_equal(bind_inter(d1, 0, p0b, NULL), -BATON_EINVAL);    /* not offered to d1 */
    assert_int_equal(bind_inter(d1, 0, d0->console_port, NULL), -BATON_EINVAL);
    assert_int_equal(bind_inter(d1, 0, virq, NULL), -BATON_EINVAL);
    assert_int_equal(bind_inter(d1, 1, d1->console_port, NULL), -BATON_EINVAL);
    /* none of that took a port of d1 */
    assert_int_equal(alloc_unbound(d1, 0, &p1), 0);
    assert_int_equal(p1, 2);

    assert_int_equal(bind_inter(d1, 0, p0, &p1), 0);
    assert_int_equal(p1, 3);
    /* double bind: the port is interdomain now */
    assert_int_equal(bind_inter(d1, 0, p0, NULL), -BATON_EINVAL);
}

/* The spec's order: the remote domain is looked up before its port is checked. */
static void test_bind_interdomain_check_order(void **state)
{
    const uint32_t bad_ports[] = { 0, NR_EVTCHN_PORTS, 0xffffffffu };
    (void)state;

    for (unsigned int i = 0; i < ARRAY_SIZE(bad_ports); i++) {
        /* no such domain: that is the answer, whatever the port */
        assert_int_equal(bind_inter(d1, 0x7000, bad_ports[i], NULL), -BATON_ENOENT);
        assert_int_equal(bind_inter(d1, 2, bad_ports[i], NULL), -BATON_ENOENT);
        /* the domain exists: the port is what is wrong */
        assert_int_equal(bind_inter(d1, 0, bad_ports[i], NULL), -BATON_EINVAL);
        assert_int_equal(bind_inter(d1, 1, bad_ports[i], NULL), -BATON_EINVAL);
    }
    /* a dying domain is absent too */
    d0->state = DOMAIN_SHUTDOWN;
    for (unsigned int i = 0; i < ARRAY_SIZE(bad_ports); i++)
        assert_int_equal(bind_inter(d1, 0, bad_ports[i], NULL), -BATON_ENOENT);
    /* a reserved domid is still -EINVAL before any look-up */
    assert_int_equal(bind_inter(d1, DOMID_FIRST_RESERVED, 0, NULL), -BATON_EINVAL);
}

static void test_bind_to_dying_domain(void **state)
{
    uint32_t p0;
    (void)state;

    assert_int_equal(alloc_unbound(d0, 1, &p0), 0);
    d0->state = DOMAIN_SHUTDOWN;
    assert_int_equal(bind_inter(d1, 0, p0, NULL), -BATON_ENOENT);
}

static void test_bind_virq_args(void **state)
{
    uint32_t p, p2;
    (void)state;

    assert_int_equal(bind_virq(d0, NR_VIRQS, 0, NULL), -BATON_EINVAL);
    assert_int_equal(bind_virq(d0, 99, 0, NULL), -BATON_EINVAL);
    assert_int_equal(bind_virq(d0, 0xffffffffu, 0, NULL), -BATON_EINVAL);
    assert_int_equal(bind_virq(d0, VIRQ_CONSOLE, 0, NULL), -BATON_EINVAL);
    assert_int_equal(bind_virq(d0, VIRQ_TIMER, 2, NULL), -BATON_ENOENT);   /* nr_vcpus */
    assert_int_equal(bind_virq(d0, VIRQ_TIMER, MAX_VIRT_CPUS, NULL), -BATON_ENOENT);
    assert_int_equal(bind_virq(d0, VIRQ_TIMER, 0xffffffffu, NULL), -BATON_ENOENT);
    assert_int_equal(bind_virq(d1, VIRQ_TIMER, 1, NULL), -BATON_ENOENT);

    assert_int_equal(bind_virq(d0, VIRQ_TIMER, 1, &p), 0);
    assert_int_equal(p, 2);
    assert_int_equal(d0->vcpus[1].virq_port[VIRQ_TIMER], p);
    assert_int_equal(bind_virq(d0, VIRQ_TIMER, 1, NULL), -BATON_EEXIST);
    /* another vCPU has its own binding */
    assert_int_equal(bind_virq(d0, VIRQ_TIMER, 0, &p2), 0);
    assert_int_equal(p2, 3);
    expect_status(d0, p, EVTCHNSTAT_virq, 0, VIRQ_TIMER);
}

static void test_send_args(void **state)
{
    const uint32_t ports[] = { 0, NR_EVTCHN_PORTS, NR_EVTCHN_PORTS - 1, 0xffffffffu, 0x80000001u };
    uint32_t unbound, virq;
    (void)state;

    for (unsigned int i = 0; i < ARRAY_SIZE(ports); i++)
        assert_int_equal(send(d0, ports[i]), -BATON_EINVAL);
    assert_int_equal(alloc_unbound(d0, 1, &unbound), 0);
    /* nobody listens yet: dropped, not an error */
    assert_int_equal(send(d0, unbound), 0);
    assert_false(pending(d0, unbound));
    assert_int_equal(bind_virq(d0, VIRQ_TIMER, 0, &virq), 0);
    assert_int_equal(send(d0, virq), -BATON_EINVAL);
    assert_int_equal(pv_fake.wakes, 0);
    assert_false(pending(d0, virq));
}

static void test_close_args(void **state)
{
    const uint32_t ports[] = { 0, NR_EVTCHN_PORTS, NR_EVTCHN_PORTS - 1, 0xffffffffu };
    uint32_t p;
    (void)state;

    for (unsigned int i = 0; i < ARRAY_SIZE(ports); i++)
        assert_int_equal(close_port(d0, ports[i]), -BATON_EINVAL);
    assert_int_equal(close_port(d0, d0->console_port), -BATON_EPERM);
    expect_status(d0, d0->console_port, EVTCHNSTAT_interdomain, DOMID_HYPERVISOR, 0);

    assert_int_equal(alloc_unbound(d0, 1, &p), 0);
    assert_int_equal(close_port(d0, p), 0);
    assert_int_equal(close_port(d0, p), -BATON_EINVAL);     /* twice */
    expect_status(d0, p, EVTCHNSTAT_closed, 0, 0);
    assert_int_equal(send(d0, p), -BATON_EINVAL);           /* on a closed port */
}

static void test_status_args(void **state)
{
    struct evtchn_status st;
    (void)state;

    assert_int_equal(status(d0, 0, &st), -BATON_EINVAL);
    assert_int_equal(status(d0, NR_EVTCHN_PORTS, &st), -BATON_EINVAL);
    assert_int_equal(status(d0, 0xffffffffu, &st), -BATON_EINVAL);
    st = (struct evtchn_status){ .port = 1, .pad = 1 };
    assert_int_equal(evop(d0, EVTCHNOP_status, &st, sizeof(st)), -BATON_EINVAL);
    /* garbage in the output fields is overwritten; a closed port is no error */
    st = (struct evtchn_status){ .port = NR_EVTCHN_PORTS - 1, .state = 77,
                                 .remote_dom = 0x1234, .remote_port_or_virq = 99 };
    assert_int_equal(evop(d0, EVTCHNOP_status, &st, sizeof(st)), 0);
    assert_int_equal(st.state, EVTCHNSTAT_closed);
    assert_int_equal(st.remote_dom, 0);
    assert_int_equal(st.remote_port_or_virq, 0);
}

/* A failed copy-out leaves nothing behind: the guest never learnt the port. */
static void test_copy_out_fails(void **state)
{
    uint32_t p0, p;
    (void)state;

    assert_int_equal(alloc_unbound(d0, 1, &p0), 0);
    pv_fake.fail_copy_to = true;
    assert_int_equal(alloc_unbound(d0, 1, NULL), -BATON_EFAULT);
    assert_int_equal(bind_inter(d1, 0, p0, NULL), -BATON_EFAULT);
    assert_int_equal(bind_virq(d0, VIRQ_TIMER, 0, NULL), -BATON_EFAULT);
    pv_fake.fail_copy_to = false;
    assert_int_equal(d0->vcpus[0].virq_port[VIRQ_TIMER], 0);
    expect_status(d0, p0, EVTCHNSTAT_unbound, 1, 0);
    assert_int_equal(alloc_unbound(d0, 1, &p), 0);
    assert_int_equal(p, p0 + 1);
    assert_int_equal(alloc_unbound(d1, 0, &p), 0);
    assert_int_equal(p, 2);
}

/* ----------------------------------------------------------------- delivery */

static void test_interdomain_send(void **state)
{
    uint32_t p0, p1;
    struct vcpu_info *vi0 = &d0->shared_info->vcpu_info[0];
    struct vcpu_info *vi1 = &d1->shared_info->vcpu_info[0];
    (void)state;

    connect(&p0, &p1);
    expect_status(d0, p0, EVTCHNSTAT_interdomain, 1, p1);
    expect_status(d1, p1, EVTCHNSTAT_interdomain, 0, p0);

    assert_int_equal(send(d1, p1), 0);
    assert_true(pending(d0, p0));
    assert_int_equal(vi0->evtchn_pending_sel, UINT64_C(1) << (p0 / 64));
    assert_int_equal(vi0->evtchn_upcall_pending, 1);
    assert_int_equal(pv_fake.wakes, 1);
    assert_ptr_equal(pv_fake.last_wake, &d0->vcpus[0]);
    assert_false(pending(d1, p1));

    /* still pending: no second notification */
    assert_int_equal(send(d1, p1), 0);
    assert_int_equal(pv_fake.wakes, 1);

    assert_int_equal(send(d0, p0), 0);
    assert_true(pending(d1, p1));
    assert_int_equal(vi1->evtchn_upcall_pending, 1);
    assert_ptr_equal(pv_fake.last_wake, &d1->vcpus[0]);
    assert_int_equal(pv_fake.wakes, 2);
}

static void test_set_pending_high_port(void **state)
{
    struct vcpu_info *vi = &d0->shared_info->vcpu_info[0];
    (void)state;

    evtchn_set_pending(d0, 130);
    assert_int_equal(d0->shared_info->evtchn_pending[2], UINT64_C(1) << 2);
    assert_int_equal(vi->evtchn_pending_sel, UINT64_C(1) << 2);
    evtchn_set_pending(d0, NR_EVTCHN_PORTS - 1);
    assert_int_equal(d0->shared_info->evtchn_pending[EVTCHN_WORDS - 1], UINT64_C(1) << 63);
    assert_int_equal(vi->evtchn_pending_sel, (UINT64_C(1) << 2) | (UINT64_C(1) << 15));
    assert_int_equal(pv_fake.wakes, 2);
    /* out of range: nothing at all */
    evtchn_set_pending(d0, 0);
    evtchn_set_pending(d0, NR_EVTCHN_PORTS);
    evtchn_set_pending(d0, 0xffffffffu);
    assert_int_equal(d0->shared_info->evtchn_pending[0], 0);
    assert_int_equal(pv_fake.wakes, 2);
}

static void test_masked_port(void **state)
{
    uint32_t p0, p1;
    struct vcpu_info *vi0 = &d0->shared_info->vcpu_info[0];
    (void)state;

    connect(&p0, &p1);
    d0->shared_info->evtchn_mask[p0 / 64] |= UINT64_C(1) << (p0 % 64);
    assert_int_equal(send(d1, p1), 0);
    assert_true(pending(d0, p0));
    assert_int_equal(vi0->evtchn_pending_sel, 0);
    assert_int_equal(vi0->evtchn_upcall_pending, 0);
    assert_int_equal(pv_fake.wakes, 0);
}

/* The guest owns the page: whatever it left there, we only set bits. */
static void test_shared_info_garbage(void **state)
{
    uint32_t p0, p1;
    struct shared_info *si = d0->shared_info;
    (void)state;

    connect(&p0, &p1);
    memset(si->vcpu_info, 0xa5, sizeof(si->vcpu_info));
    memset(si->evtchn_pending, 0, sizeof(si->evtchn_pending));
    memset(si->evtchn_mask, 0x00, sizeof(si->evtchn_mask));
    assert_int_equal(send(d1, p1), 0);
    assert_true(pending(d0, p0));
    assert_int_equal(si->vcpu_info[0].evtchn_upcall_pending, 1);
    assert_int_equal(si->vcpu_info[0].evtchn_pending_sel, UINT64_C(0xa5a5a5a5a5a5a5a5) | 1);
    assert_int_equal(pv_fake.wakes, 1);
    /* everything pending already (guest scribble): no new notification */
    memset(si->evtchn_pending, 0xff, sizeof(si->evtchn_pending));
    assert_int_equal(send(d1, p1), 0);
    assert_int_equal(pv_fake.wakes, 1);
}

static void test_virq_delivery(void **state)
{
    uint32_t p;
    struct vcpu_info *vi1 = &d0->shared_info->vcpu_info[1];
    (void)state;

    assert_int_equal(bind_virq(d0, VIRQ_TIMER, 1, &p), 0);
    send_virq(&d0->vcpus[1], VIRQ_TIMER);
    assert_true(pending(d0, p));
    assert_int_equal(vi1->evtchn_upcall_pending, 1);
    assert_int_equal(vi1->evtchn_pending_sel, 1);
    assert_int_equal(d0->shared_info->vcpu_info[0].evtchn_upcall_pending, 0);
    assert_ptr_equal(pv_fake.last_wake, &d0->vcpus[1]);

    /* not bound on vCPU 0, or no such virq: nothing */
    send_virq(&d0->vcpus[0], VIRQ_TIMER);
    send_virq(&d0->vcpus[0], VIRQ_CONSOLE);
    send_virq(&d0->vcpus[0], NR_VIRQS);
    send_virq(&d0->vcpus[0], 0xffffffffu);
    assert_int_equal(pv_fake.wakes, 1);

    /* closed: unbound, and the virq can be bound again */
    assert_int_equal(close_port(d0, p), 0);
    assert_int_equal(d0->vcpus[1].virq_port[VIRQ_TIMER], 0);
    d0->shared_info->evtchn_pending[0] = 0;
    send_virq(&d0->vcpus[1], VIRQ_TIMER);
    assert_false(pending(d0, p));
    assert_int_equal(bind_virq(d0, VIRQ_TIMER, 1, &p), 0);
}

/* ------------------------------------------------------------------ closing */

static void test_close_interdomain(void **state)
{
    uint32_t p0, p1, again;
    (void)state;

    connect(&p0, &p1);
    assert_int_equal(close_port(d1, p1), 0);
    /* d0's end is offered to d1 again; what d0 sends into nothing is dropped */
    expect_status(d0, p0, EVTCHNSTAT_unbound, 1, 0);
    expect_status(d1, p1, EVTCHNSTAT_closed, 0, 0);
    assert_int_equal(send(d0, p0), 0);
    assert_false(pending(d1, p1));
    assert_int_equal(send(d1, p1), -BATON_EINVAL);
    assert_int_equal(close_port(d1, p1), -BATON_EINVAL);
    /* and d1 can reconnect */
    assert_int_equal(bind_inter(d1, 0, p0, &again), 0);
    assert_int_equal(again, p1);
    assert_int_equal(send(d1, again), 0);
    assert_true(pending(d0, p0));
}

static void test_loopback(void **state)
{
    uint32_t a, b;
    (void)state;

    assert_int_equal(alloc_unbound(d0, 0, &a), 0);
    assert_int_equal(bind_inter(d0, 0, a, &b), 0);
    assert_int_not_equal(a, b);
    expect_status(d0, a, EVTCHNSTAT_interdomain, 0, b);
    expect_status(d0, b, EVTCHNSTAT_interdomain, 0, a);
    assert_int_equal(send(d0, b), 0);
    assert_true(pending(d0, a));
    assert_false(pending(d0, b));
    assert_int_equal(close_port(d0, a), 0);
    expect_status(d0, b, EVTCHNSTAT_unbound, 0, 0);
}

/* --------------------------------------------------------------- console port */

static void test_console_port_drains(void **state)
{
    struct console_ring *r = d0->console_ring;
    (void)state;

    memcpy(r->out, "hello\n", 6);
    r->out_prod = 6;
    assert_int_equal(send(d0, d0->console_port), 0);
    assert_string_equal(pv_fake_console(), "(d0) hello\n");
    assert_int_equal(r->out_cons, 6);
    assert_int_equal(pv_fake.wakes, 0);
}

/* ------------------------------------------------------------------ release */

static void test_release(void **state)
{
    uint32_t p0, p1, q0, q1, virq, offered;
    (void)state;

    connect(&p0, &p1);
    connect(&q0, &q1);
    assert_int_equal(bind_virq(d0, VIRQ_TIMER, 1, &virq), 0);
    assert_int_equal(alloc_unbound(d1, 0, &offered), 0);

    /* dying: not ALIVE any more, events to it are dropped */
    d0->state = DOMAIN_CRASHED;
    assert_int_equal(send(d1, p1), 0);
    assert_false(pending(d0, p0));
    assert_int_equal(pv_fake.wakes, 0);

    evtchn_release(d0);
    for (uint32_t p = 1; p < NR_EVTCHN_PORTS; p++)
        assert_int_equal(d0->evtchn[p].state, EVTCHNSTAT_closed);
    assert_int_equal(d0->console_port, 0);
    assert_int_equal(d0->vcpus[1].virq_port[VIRQ_TIMER], 0);
    /* the peer's ends are unbound, offered to the dead domain: nothing to send to */
    expect_status(d1, p1, EVTCHNSTAT_unbound, 0, 0);
    expect_status(d1, q1, EVTCHNSTAT_unbound, 0, 0);
    assert_int_equal(send(d1, p1), 0);          /* dropped */
    /* a port d1 merely offered to d0 is left alone */
    expect_status(d1, offered, EVTCHNSTAT_unbound, 0, 0);
    /* the console port of d1 is untouched */
    expect_status(d1, d1->console_port, EVTCHNSTAT_interdomain, DOMID_HYPERVISOR, 0);
}

/* A stale back-pointer (which cannot happen) is never followed into another binding. */
static void test_close_checks_back_pointer(void **state)
{
    uint32_t p0, p1, other;
    (void)state;

    connect(&p0, &p1);
    /* corrupt d1's idea of the peer port to point at an unrelated d0 port */
    assert_int_equal(alloc_unbound(d0, 5, &other), 0);
    d1->evtchn[p1].remote_port = other;
    assert_int_equal(send(d1, p1), 0);
    assert_false(pending(d0, other));
    assert_int_equal(close_port(d1, p1), 0);
    expect_status(d0, other, EVTCHNSTAT_unbound, 5, 0);
}

/* ------------------------------------------------- the open-port bitmap */

/* xorshift64: the same sequence on every run, so a failure reproduces. */
static uint64_t rnd_state;

static uint32_t rnd(uint32_t n)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return (uint32_t)(rnd_state % n);
}

static void expect_maps_exact(void)
{
    assert_int_equal(maps_mismatch(d0), 0);
    assert_int_equal(maps_mismatch(d1), 0);
    assert_false(bitmap_test(d0->evtchn_open, 0));
    assert_false(bitmap_test(d1->evtchn_open, 0));
}

/* Any port, open or not (and now and then port 0 or 1024: refused). */
static uint32_t any_port(void)
{
    return rnd(8) ? 1 + rnd(NR_EVTCHN_PORTS - 1) : rnd(2) * NR_EVTCHN_PORTS;
}

/* Mostly the lowest ports, where the open ones are. */
static uint32_t near_port(const struct domain *d)
{
    uint32_t top = bitmap_next_clear(d->evtchn_open, NR_EVTCHN_PORTS, 1) + 8;

    return 1 + rnd(MIN(top, NR_EVTCHN_PORTS - 1));
}

/* One random sub-op (or copy-out failure) by d, to d or its peer e. */
static void random_op(struct domain *d, struct domain *e)
{
    uint16_t other = rnd(4) ? e->domid : d->domid;     /* loopback now and then */

    pv_fake.fail_copy_to = rnd(16) == 0;               /* the sub-op's own unwind */
    switch (rnd(6)) {
    case 0:
        alloc_unbound(d, other, NULL);
        break;
    case 1:
        bind_inter(d, other, near_port(other == d->domid ? d : e), NULL);
        break;
    case 2:
        bind_virq(d, rnd(NR_VIRQS), rnd(d->nr_vcpus + 1), NULL);
        break;
    case 3:
    case 4:
        close_port(d, rnd(4) ? near_port(d) : any_port());
        break;
    default:
        send(d, near_port(d));
        break;
    }
    pv_fake.fail_copy_to = false;
}

/* Fill d's ports to the top now and then: the high words of the bitmap. */
static void fill(struct domain *d)
{
    while (alloc_unbound(d, 1, NULL) == 0)
        ;
    assert_int_equal(bitmap_next_clear(d->evtchn_open, NR_EVTCHN_PORTS, 1), NR_EVTCHN_PORTS);
    for (uint32_t n = rnd(NR_EVTCHN_PORTS); n; n--)
        close_port(d, any_port());
}

/* A dying domain: release closes exactly what the bitmap holds, and more. */
static void die_and_return(struct domain *d)
{
    d->state = DOMAIN_CRASHED;
    evtchn_release(d);
    for (uint32_t w = 0; w < BITMAP_WORDS(NR_EVTCHN_PORTS); w++)
        assert_int_equal(d->evtchn_open[w], 0);
    d->state = DOMAIN_ALIVE;
    assert_int_equal(evtchn_init_domain(d), 0);
}

static void test_open_map_random(void **state)
{
    (void)state;
    rnd_state = UINT64_C(0x9e3779b97f4a7c15);
    for (unsigned int i = 0; i < 40000; i++) {
        bool first = rnd(2);

        random_op(first ? d0 : d1, first ? d1 : d0);
        if (rnd(4000) == 0)
            fill(rnd(2) ? d0 : d1);
        if (rnd(3000) == 0)
            die_and_return(rnd(2) ? d0 : d1);
        expect_maps_exact();
    }
}

/* ---- the save walk is the bitmap's, the load rebuilds it */

struct blob {
    uint8_t buf[64 * 1024];
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

/* The EVTCHN entries of a blob, as a table indexed by port. */
static int collect_evtchn(void *priv, const struct domctx_entry *e)
{
    struct domctx_evtchn *ports = priv, ent;

    if (e->typecode != DOMCTX_TYPE_EVTCHN)
        return 0;
    assert_int_equal(domctx_entry_read(e, &ent, sizeof(ent)), 0);
    assert_true(ent.port >= 1 && ent.port < NR_EVTCHN_PORTS);
    assert_int_equal(ports[ent.port].state, EVTCHNSTAT_closed);     /* once */
    ports[ent.port] = ent;
    return 0;
}

/* Save d: one entry for every port a walk of the whole table finds open. */
static void save_and_compare(struct domain *d, struct blob *b)
{
    static struct domctx_evtchn ports[NR_EVTCHN_PORTS];

    memset(ports, 0, sizeof(ports));
    b->len = 0;
    assert_int_equal(domctx_save(d, d->nr_vcpus, blob_write, b, NULL), 0);
    assert_int_equal(domctx_walk(b->buf, b->len, d->nr_vcpus, 0, collect_evtchn, ports, NULL, 0), 0);
    for (uint32_t p = 1; p < NR_EVTCHN_PORTS; p++) {
        const struct evtchn *chn = &d->evtchn[p];

        assert_int_equal(ports[p].state, chn->state);
        if (chn->state == EVTCHNSTAT_closed)
            continue;
        assert_int_equal(ports[p].remote_dom, chn->remote_dom);
        assert_int_equal(ports[p].remote_port, chn->remote_port);
        assert_int_equal(ports[p].virq, chn->virq);
        assert_int_equal(ports[p].vcpu, chn->vcpu);
    }
}

/* d's slot dropped and claimed again, then loaded from b. */
static struct domain *reload(struct domain *d, const struct blob *b)
{
    uint16_t domid = d->domid;
    unsigned int nr_vcpus = d->nr_vcpus;
    struct domain *n;

    memset(d, 0, sizeof(*d));
    n = pv_fake_domain(domid, nr_vcpus, FAKE_MEM_SIZE);
    assert_int_equal(domctx_load(n, nr_vcpus, b->buf, b->len, 0, NULL, 0), 0);
    return n;
}

static void test_open_map_round_trip(void **state)
{
    static struct blob b0, b1;
    static struct evtchn t0[NR_EVTCHN_PORTS], t1[NR_EVTCHN_PORTS];
    (void)state;

    domctx_unregister_all();
    assert_int_equal(domctx_init(), 0);
    rnd_state = UINT64_C(0x2545f4914f6cdd1d);
    for (unsigned int round = 0; round < 40; round++) {
        for (unsigned int i = 0; i < 500; i++) {
            bool first = rnd(2);

            random_op(first ? d0 : d1, first ? d1 : d0);
        }
        if (round % 8 == 7)
            fill(d1);
        save_and_compare(d0, &b0);
        save_and_compare(d1, &b1);
        memcpy(t0, d0->evtchn, sizeof(t0));
        memcpy(t1, d1->evtchn, sizeof(t1));
        d0 = reload(d0, &b0);
        d1 = reload(d1, &b1);
        assert_int_equal(evtchn_restore_check(d0), 0);
        assert_int_equal(evtchn_restore_check(d1), 0);
        assert_memory_equal(d0->evtchn, t0, sizeof(t0));
        assert_memory_equal(d1->evtchn, t1, sizeof(t1));
        expect_maps_exact();
    }
    domctx_unregister_all();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_init_console_port, setup),
        cmocka_unit_test_setup(test_unknown_cmd, setup),
        cmocka_unit_test_setup(test_bad_pointers, setup),
        cmocka_unit_test_setup(test_pointer_at_end, setup),
        cmocka_unit_test_setup(test_alloc_unbound_args, setup),
        cmocka_unit_test_setup(test_alloc_until_full, setup),
        cmocka_unit_test_setup(test_bind_interdomain_full, setup),
        cmocka_unit_test_setup(test_bind_interdomain_args, setup),
        cmocka_unit_test_setup(test_bind_interdomain_check_order, setup),
        cmocka_unit_test_setup(test_bind_to_dying_domain, setup),
        cmocka_unit_test_setup(test_bind_virq_args, setup),
        cmocka_unit_test_setup(test_send_args, setup),
        cmocka_unit_test_setup(test_close_args, setup),
        cmocka_unit_test_setup(test_status_args, setup),
        cmocka_unit_test_setup(test_copy_out_fails, setup),
        cmocka_unit_test_setup(test_interdomain_send, setup),
        cmocka_unit_test_setup(test_set_pending_high_port, setup),
        cmocka_unit_test_setup(test_masked_port, setup),
        cmocka_unit_test_setup(test_shared_info_garbage, setup),
        cmocka_unit_test_setup(test_virq_delivery, setup),
        cmocka_unit_test_setup(test_close_interdomain, setup),
        cmocka_unit_test_setup(test_loopback, setup),
        cmocka_unit_test_setup(test_console_port_drains, setup),
        cmocka_unit_test_setup(test_release, setup),
        cmocka_unit_test_setup(test_close_checks_back_pointer, setup),
        cmocka_unit_test_setup(test_open_map_random, setup),
        cmocka_unit_test_setup(test_open_map_round_trip, setup),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
