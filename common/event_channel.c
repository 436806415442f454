/*
 * Event channels: the EVTCHNOP_* sub-ops, event delivery into the shared
 * info page, virtual IRQs and the console port.
 *
 * The port tables (d->evtchn, v->virq_port) are hypervisor-private. They
 * change only in hypercalls and hypervisor paths, and the hypervisor is not
 * preemptible on its one CPU (see common/sched.c), so they need no lock.
 * d->evtchn_open has a bit per port that is not closed: a port opens only
 * through port_open() and closes only in close_port(), so the bitmap is
 * exact, and the walks of the live update (save, restore check) and of a
 * domain's release visit open ports only instead of all 1023.
 * The shared info page is different: it is guest memory, written by the
 * guest's vCPUs at any time, so it is only touched with atomic bit
 * operations and nothing read from it is trusted.
 *
 * Error codes (docs/specs/pv-abi.md, "Event channels"):
 *   -EFAULT  the argument struct is not in guest memory
 *   -ENOSYS  unknown cmd
 *   -EINVAL  nonzero pad; port outside 1..NR_EVTCHN_PORTS-1; a reserved
 *            domid (>= DOMID_FIRST_RESERVED); a port in the wrong state
 *            (send/close of a closed port, send on a virq
 *            port, bind to a port that is not unbound or not offered to
 *            the caller); virq >= NR_VIRQS or VIRQ_CONSOLE
 *   -ENOENT  bind_interdomain: remote domain does not exist (or is dying);
 *            bind_virq: vcpu >= the domain's vCPU count
 *   -EEXIST  bind_virq: virq already bound on that vCPU
 *   -EPERM   close of the console port
 *   -ENOSPC  no free port
 * A domain may bind to a port it offered to itself (loopback): both ends
 * are then its own ports and send on one makes the other pending.
 */
#include <baton/domain.h>
#include <baton/domctx.h>
#include <baton/errno.h>
#include <baton/lib.h>
#include <baton/printk.h>
#include <baton/sched.h>

static bool port_valid(uint32_t port)
{
    return port >= 1 && port < NR_EVTCHN_PORTS;
}

static bool is_console_port(const struct evtchn *chn)
{
    return chn->state == EVTCHNSTAT_interdomain && chn->remote_dom == DOMID_HYPERVISOR;
}

/* Lowest closed port, or -ENOSPC. Port 0 is never handed out. */
static int alloc_port(const struct domain *d)
{
    unsigned int p = bitmap_next_clear(d->evtchn_open, NR_EVTCHN_PORTS, 1);

    return p < NR_EVTCHN_PORTS ? (int)p : -BATON_ENOSPC;
}

/* A closed port of d takes state (not closed): the one way a port opens. */
static struct evtchn *port_open(struct domain *d, uint32_t port, uint8_t state)
{
    struct evtchn *chn = &d->evtchn[port];

    ASSERT(chn->state == EVTCHNSTAT_closed && state != EVTCHNSTAT_closed);
    chn->state = state;
    bitmap_set(d->evtchn_open, port);
    return chn;
}

/* The lowest open port of d at or above from, or NR_EVTCHN_PORTS. */
static uint32_t next_open_port(const struct domain *d, uint32_t from)
{
    return bitmap_next_set(d->evtchn_open, NR_EVTCHN_PORTS, from);
}

/*
 * The other domain of an interdomain port. While d itself is being
 * released it is no longer ALIVE, so a loopback peer is found by id here.
 */
static struct domain *peer_domain(struct domain *d, uint16_t domid)
{
    return domid == d->domid ? d : domain_by_id(domid);
}

/* rd's end of (d, port) if it still points back at it; otherwise NULL. */
static struct evtchn *peer_end(struct domain *rd, const struct domain *d,
                               uint32_t port, uint32_t rport)
{
    struct evtchn *rc;

    if (!rd || !port_valid(rport))
        return NULL;
    rc = &rd->evtchn[rport];
    if (rc->state != EVTCHNSTAT_interdomain || rc->remote_dom != d->domid ||
        rc->remote_port != port)
        return NULL;
    return rc;
}

/* The vCPU an event on chn is for: the bound one for a virq, else vCPU 0. */
static unsigned int notify_vcpu(const struct domain *d, const struct evtchn *chn)
{
    if (chn->state == EVTCHNSTAT_virq && chn->vcpu < d->nr_vcpus && chn->vcpu < MAX_VIRT_CPUS)
        return chn->vcpu;
    return 0;
}

static void unbind_virq(struct domain *d, const struct evtchn *chn, uint32_t port)
{
    if (chn->vcpu >= MAX_VIRT_CPUS || chn->virq >= NR_VIRQS)
        return;
    if (d->vcpus[chn->vcpu].virq_port[chn->virq] == port)
        d->vcpus[chn->vcpu].virq_port[chn->virq] = 0;
}

/*
 * Free port, whatever its state; an interdomain peer goes back to unbound
 * (it stays open: closing a port never opens or closes another).
 */
static void close_port(struct domain *d, uint32_t port)
{
    struct evtchn *chn = &d->evtchn[port];
    struct evtchn *rc;

    switch (chn->state) {
    case EVTCHNSTAT_interdomain:
        if (chn->remote_dom == DOMID_HYPERVISOR)
            break;
        rc = peer_end(peer_domain(d, chn->remote_dom), d, port, chn->remote_port);
        if (rc) {
            /* the peer may bind again to whatever the closer offers next */
            memset(rc, 0, sizeof(*rc));
            rc->state = EVTCHNSTAT_unbound;
            rc->remote_dom = d->domid;
        }
        break;
    case EVTCHNSTAT_virq:
        unbind_virq(d, chn, port);
        break;
    default:
        break;
    }
    memset(chn, 0, sizeof(*chn));
    bitmap_clear(d->evtchn_open, port);
}

/* ---------------------------------------------------------------- delivery */

void evtchn_set_pending(struct domain *d, uint32_t port)
{
    struct shared_info *si = d->shared_info;
    unsigned int w = port / 64, vcpu;
    uint64_t bit = UINT64_C(1) << (port % 64);
    struct vcpu_info *vi;

    if (!port_valid(port) || !si)
        return;
    /* already pending: the guest has yet to see the previous event */
    if (__atomic_fetch_or(&si->evtchn_pending[w], bit, __ATOMIC_SEQ_CST) & bit)
        return;
    /* masked: the guest looks at the pending bit itself when it unmasks */
    if (__atomic_load_n(&si->evtchn_mask[w], __ATOMIC_SEQ_CST) & bit)
        return;
    vcpu = notify_vcpu(d, &d->evtchn[port]);
    vi = &si->vcpu_info[vcpu];
    /* sel before upcall_pending: the guest clears them the other way round */
    __atomic_fetch_or(&vi->evtchn_pending_sel, UINT64_C(1) << w, __ATOMIC_SEQ_CST);
    __atomic_store_n(&vi->evtchn_upcall_pending, 1, __ATOMIC_SEQ_CST);
    vcpu_wake(&d->vcpus[vcpu]);
}

void send_virq(struct vcpu *v, unsigned int virq)
{
    uint32_t port;

    if (virq >= NR_VIRQS)
        return;
    port = v->virq_port[virq];
    if (port)
        evtchn_set_pending(v->domain, port);
}

/* ------------------------------------------------------------------ sub-ops */

static long op_alloc_unbound(struct domain *d, uint64_t arg)
{
    struct evtchn_alloc_unbound op;
    int port;

    if (copy_from_guest(d, &op, arg, sizeof(op)))
        return -BATON_EFAULT;
    if (op.pad || op.remote_dom >= DOMID_FIRST_RESERVED)
        return -BATON_EINVAL;
    port = alloc_port(d);
    if (port < 0)
        return port;
    port_open(d, (uint32_t)port, EVTCHNSTAT_unbound)->remote_dom = op.remote_dom;
    op.port = (uint32_t)port;
    if (copy_to_guest(d, arg, &op, sizeof(op))) {
        close_port(d, (uint32_t)port);      /* the guest could not learn it */
        return -BATON_EFAULT;
    }
    return 0;
}

static long op_bind_interdomain(struct domain *d, uint64_t arg)
{
    struct evtchn_bind_interdomain op;
    struct domain *rd;
    struct evtchn *chn, *rc;
    int port;

    if (copy_from_guest(d, &op, arg, sizeof(op)))
        return -BATON_EFAULT;
    /* the spec's order: pad and domid, then the domain, then its port */
    if (op.pad || op.remote_dom >= DOMID_FIRST_RESERVED)
        return -BATON_EINVAL;
    rd = domain_by_id(op.remote_dom);
    if (!rd)
        return -BATON_ENOENT;
    if (!port_valid(op.remote_port))
        return -BATON_EINVAL;
    rc = &rd->evtchn[op.remote_port];
    if (rc->state != EVTCHNSTAT_unbound || rc->remote_dom != d->domid)
        return -BATON_EINVAL;
    port = alloc_port(d);
    if (port < 0)
        return port;

    chn = port_open(d, (uint32_t)port, EVTCHNSTAT_interdomain);
    chn->remote_dom = op.remote_dom;
    chn->remote_port = op.remote_port;
    rc->state = EVTCHNSTAT_interdomain;
    rc->remote_dom = d->domid;
    rc->remote_port = (uint32_t)port;

    op.local_port = (uint32_t)port;
    if (copy_to_guest(d, arg, &op, sizeof(op))) {
        close_port(d, (uint32_t)port);      /* the remote port is unbound again */
        return -BATON_EFAULT;
    }
    return 0;
}

static long op_bind_virq(struct domain *d, uint64_t arg)
{
    struct evtchn_bind_virq op;
    struct evtchn *chn;
    struct vcpu *t;
    int port;

    if (copy_from_guest(d, &op, arg, sizeof(op)))
        return -BATON_EFAULT;
    if (op.virq >= NR_VIRQS || op.virq == VIRQ_CONSOLE)
        return -BATON_EINVAL;
    if (op.vcpu >= d->nr_vcpus || op.vcpu >= MAX_VIRT_CPUS)
        return -BATON_ENOENT;
    t = &d->vcpus[op.vcpu];
    if (t->virq_port[op.virq])
        return -BATON_EEXIST;
    port = alloc_port(d);
    if (port < 0)
        return port;

    chn = port_open(d, (uint32_t)port, EVTCHNSTAT_virq);
    chn->virq = op.virq;
    chn->vcpu = op.vcpu;
    t->virq_port[op.virq] = (uint32_t)port;

    op.port = (uint32_t)port;
    if (copy_to_guest(d, arg, &op, sizeof(op))) {
        close_port(d, (uint32_t)port);
        return -BATON_EFAULT;
    }
    return 0;
}

static long op_send(struct domain *d, uint64_t arg)
{
    struct evtchn_send op;
    const struct evtchn *chn;
    struct domain *rd;

    if (copy_from_guest(d, &op, arg, sizeof(op)))
        return -BATON_EFAULT;
    if (!port_valid(op.port))
        return -BATON_EINVAL;
    chn = &d->evtchn[op.port];
    /* unbound: nobody listens yet (or the peer went away): dropped, not an error */
    if (chn->state == EVTCHNSTAT_unbound)
        return 0;
    if (chn->state != EVTCHNSTAT_interdomain)
        return -BATON_EINVAL;
    if (chn->remote_dom == DOMID_HYPERVISOR) {
        guest_console_drain(d);
        return 0;
    }
    /*
     * A peer that is dying is not ALIVE any more: the event is dropped, as
     * if it had arrived just before the peer died. Its release makes this
     * port unbound, and sends on it are dropped from then on.
     */
    rd = domain_by_id(chn->remote_dom);
    if (peer_end(rd, d, op.port, chn->remote_port))
        evtchn_set_pending(rd, chn->remote_port);
    return 0;
}

static long op_close(struct domain *d, uint64_t arg)
{
    struct evtchn_close op;
    const struct evtchn *chn;

    if (copy_from_guest(d, &op, arg, sizeof(op)))
        return -BATON_EFAULT;
    if (!port_valid(op.port))
        return -BATON_EINVAL;
    chn = &d->evtchn[op.port];
    if (chn->state == EVTCHNSTAT_closed)
        return -BATON_EINVAL;
    /* the console is how the domain is heard: it stays open for life */
    if (is_console_port(chn))
        return -BATON_EPERM;
    close_port(d, op.port);
    return 0;
}

static long op_status(struct domain *d, uint64_t arg)
{
    struct evtchn_status op;
    const struct evtchn *chn;

    if (copy_from_guest(d, &op, arg, sizeof(op)))
        return -BATON_EFAULT;
    /* state, remote_dom and remote_port_or_virq are outputs: ignored */
    if (op.pad || !port_valid(op.port))
        return -BATON_EINVAL;
    chn = &d->evtchn[op.port];
    op.state = chn->state;
    op.remote_dom = 0;
    op.remote_port_or_virq = 0;
    switch (chn->state) {
    case EVTCHNSTAT_unbound:
        op.remote_dom = chn->remote_dom;
        break;
    case EVTCHNSTAT_interdomain:
        op.remote_dom = chn->remote_dom;
        op.remote_port_or_virq = chn->remote_port;
        break;
    case EVTCHNSTAT_virq:
        op.remote_port_or_virq = chn->virq;
        break;
    default:
        break;
    }
    if (copy_to_guest(d, arg, &op, sizeof(op)))
        return -BATON_EFAULT;
    return 0;
}

long do_event_channel_op(struct domain *d, struct vcpu *v, uint32_t cmd, uint64_t arg)
{
    /* v is the calling vCPU; no sub-op depends on it (bind_virq names its own) */
    ASSERT(!v || v->domain == d);

    switch (cmd) {
    case EVTCHNOP_alloc_unbound:
        return op_alloc_unbound(d, arg);
    case EVTCHNOP_bind_interdomain:
        return op_bind_interdomain(d, arg);
    case EVTCHNOP_bind_virq:
        return op_bind_virq(d, arg);
    case EVTCHNOP_send:
        return op_send(d, arg);
    case EVTCHNOP_close:
        return op_close(d, arg);
    case EVTCHNOP_status:
        return op_status(d, arg);
    default:
        return -BATON_ENOSYS;
    }
}

/* ------------------------------------------------------------- life cycle */

int evtchn_init_domain(struct domain *d)
{
    int port = alloc_port(d);

    if (port < 0)
        return port;
    port_open(d, (uint32_t)port, EVTCHNSTAT_interdomain)->remote_dom = DOMID_HYPERVISOR;
    d->console_port = (uint32_t)port;
    return 0;
}

void evtchn_release(struct domain *d)
{
    /* close_port clears p's bit and no other: the walk ends with none set */
    for (uint32_t p = next_open_port(d, 1); p < NR_EVTCHN_PORTS; p = next_open_port(d, p + 1))
        close_port(d, p);
    d->console_port = 0;
    /* close_port cleared the virq bindings it knew; make sure of the rest */
    for (unsigned int i = 0; i < MAX_VIRT_CPUS; i++)
        memset(d->vcpus[i].virq_port, 0, sizeof(d->vcpus[i].virq_port));
}

/* ---------------------------------------------------------------- context */

/* One entry per open port, ascending: the bitmap's set bits, nothing else. */
static int evtchn_save(struct domain *d, unsigned int vcpu, struct domctx_save_ctx *c)
{
    int rc = 0;

    (void)vcpu;
    for (uint32_t p = next_open_port(d, 1); p < NR_EVTCHN_PORTS && !rc;
         p = next_open_port(d, p + 1)) {
        const struct evtchn *chn = &d->evtchn[p];
        const struct domctx_evtchn e = {
            .port = p, .state = chn->state, .remote_dom = chn->remote_dom,
            .remote_port = chn->remote_port, .virq = chn->virq, .vcpu = chn->vcpu,
        };

        rc = domctx_save_entry(c, &e, sizeof(e));
    }
    return rc;
}

/* What the sub-ops can have made of a port of d; NULL when it is sane. */
static const char *evtchn_entry_problem(const struct domain *d, const struct domctx_evtchn *e)
{
    if (d->state != DOMAIN_ALIVE)
        return "an open port on a dead domain (its ports were closed when it died)";
    if (!port_valid(e->port))
        return "port outside 1..1023";
    if (d->evtchn[e->port].state != EVTCHNSTAT_closed)
        return "port given twice";
    if (e->pad0 || e->pad1)
        return "nonzero padding";
    switch (e->state) {
    case EVTCHNSTAT_unbound:
        return e->remote_dom >= DOMID_FIRST_RESERVED ? "unbound to a reserved domid" : NULL;
    case EVTCHNSTAT_interdomain:
        if (e->remote_dom == DOMID_HYPERVISOR)
            return e->remote_port || d->console_port ? "a second console port, or one with a remote port" : NULL;
        if (e->remote_dom >= DOMID_FIRST_RESERVED || !port_valid(e->remote_port))
            return "interdomain to a reserved domid or an invalid remote port";
        return NULL;
    case EVTCHNSTAT_virq:
        if (e->virq >= NR_VIRQS || e->virq == VIRQ_CONSOLE || e->vcpu >= d->nr_vcpus)
            return "virq unknown or reserved, or on a vCPU the domain does not have";
        return d->vcpus[e->vcpu].virq_port[e->virq] ? "virq bound twice on one vCPU" : NULL;
    default:
        return "state not unbound, interdomain or virq";
    }
}

static int evtchn_load(struct domain *d, unsigned int vcpu, const struct domctx_entry *ent)
{
    struct domctx_evtchn e;
    struct evtchn *chn;
    const char *problem;
    int rc;

    (void)vcpu;
    rc = domctx_entry_read(ent, &e, sizeof(e));
    if (rc)
        return rc;
    problem = evtchn_entry_problem(d, &e);
    if (problem) {
        pr_err("d%u EVTCHN: %s (port %u state %u remote d%u port %u virq %u vcpu %u)\n",
               d->domid, problem, e.port, e.state, e.remote_dom, e.remote_port, e.virq, e.vcpu);
        return -BATON_EINVAL;
    }
    /* the entry was checked whole above: nothing is half-written */
    chn = port_open(d, e.port, e.state);
    chn->remote_dom = e.remote_dom;
    if (e.state == EVTCHNSTAT_interdomain)
        chn->remote_port = e.remote_port;
    if (e.state == EVTCHNSTAT_virq) {
        chn->virq = e.virq;
        chn->vcpu = e.vcpu;
        d->vcpus[e.vcpu].virq_port[e.virq] = e.port;
    }
    if (is_console_port(chn))
        d->console_port = e.port;
    return 0;
}

DOMCTX_HANDLER(evtchn_ctx, DOMCTX_TYPE_EVTCHN, "EVTCHN", DOMCTX_MULTI,
               sizeof(struct domctx_evtchn), evtchn_save, evtchn_load);

int evtchn_restore_check(const struct domain *d)
{
    if (d->state == DOMAIN_ALIVE && !d->console_port) {
        pr_err("d%u: no console port in the stream, expected one\n", d->domid);
        return -BATON_EINVAL;
    }
    for (uint32_t p = next_open_port(d, 1); p < NR_EVTCHN_PORTS; p = next_open_port(d, p + 1)) {
        const struct evtchn *chn = &d->evtchn[p];
        struct domain *rd;

        if (chn->state != EVTCHNSTAT_interdomain || is_console_port(chn))
            continue;
        rd = chn->remote_dom == d->domid ? (struct domain *)d : domain_by_id_any(chn->remote_dom);
        if (!peer_end(rd, d, p, chn->remote_port)) {
            pr_err("d%u port %u: interdomain to d%u port %u, which %s\n", d->domid, p,
                   chn->remote_dom, chn->remote_port,
                   rd ? "does not point back" : "is not in the stream");
            return -BATON_EINVAL;
        }
    }
    return 0;
}
