/*
 * Baton PV event channels: sub-ops of HYPERCALL_event_channel_op(cmd, arg).
 * Specified in docs/specs/pv-abi.md ("Event channels").
 *
 * Ports are 1..NR_EVTCHN_PORTS-1 (port 0 is never allocated; allocation
 * takes the lowest free port). Pending and mask bits live in struct
 * shared_info (pv.h). Input fields marked "in", output "out"; pad fields
 * must be zero on input (-EINVAL otherwise) and are zero on output.
 */
#ifndef BATON_PUBLIC_EVENT_CHANNEL_H
#define BATON_PUBLIC_EVENT_CHANNEL_H

#include <stddef.h>
#include <stdint.h>
#include <public/pv.h>

#define EVTCHNOP_alloc_unbound      0
#define EVTCHNOP_bind_interdomain   1
#define EVTCHNOP_bind_virq          2
#define EVTCHNOP_send               3
#define EVTCHNOP_close              4
#define EVTCHNOP_status             5
#define NR_EVTCHNOPS                6

/* Virtual IRQs a guest binds with EVTCHNOP_bind_virq. */
#define VIRQ_TIMER                  0   /* the vCPU's set_timer deadline passed */
#define VIRQ_CONSOLE                1   /* reserved: bind_virq returns -EINVAL */
#define NR_VIRQS                    2

/* Domain ids at and above this are not domains. */
#define DOMID_FIRST_RESERVED        0x7ff0u
/* Remote end of the console port, as EVTCHNOP_status reports it. */
#define DOMID_HYPERVISOR            0x7ff2u

/* EVTCHNOP_alloc_unbound: a port that remote_dom may bind to. */
struct evtchn_alloc_unbound {
    uint16_t remote_dom;            /* 0x0 in: need not exist yet */
    uint16_t pad;                   /* 0x2 */
    uint32_t port;                  /* 0x4 out */
};

/* EVTCHNOP_bind_interdomain: connect to remote_dom's unbound remote_port. */
struct evtchn_bind_interdomain {
    uint16_t remote_dom;            /* 0x0 in */
    uint16_t pad;                   /* 0x2 */
    uint32_t remote_port;           /* 0x4 in */
    uint32_t local_port;            /* 0x8 out */
};

/* EVTCHNOP_bind_virq: a port that fires when virq happens on vcpu. */
struct evtchn_bind_virq {
    uint32_t virq;                  /* 0x0 in: VIRQ_* */
    uint32_t vcpu;                  /* 0x4 in */
    uint32_t port;                  /* 0x8 out */
};

/* EVTCHNOP_send: notify the other end of port. */
struct evtchn_send {
    uint32_t port;                  /* 0x0 in */
};

/* EVTCHNOP_close: free port (an interdomain peer goes back to unbound). */
struct evtchn_close {
    uint32_t port;                  /* 0x0 in */
};

/* evtchn_status.state */
#define EVTCHNSTAT_closed           0
#define EVTCHNSTAT_unbound          1
#define EVTCHNSTAT_interdomain      2
#define EVTCHNSTAT_virq             3

/* EVTCHNOP_status: what port is bound to. */
struct evtchn_status {
    uint32_t port;                  /* 0x0 in */
    uint32_t state;                 /* 0x4 out: EVTCHNSTAT_* */
    uint16_t remote_dom;            /* 0x8 out: unbound, interdomain */
    uint16_t pad;                   /* 0xa */
    uint32_t remote_port_or_virq;   /* 0xc out: interdomain port, or virq */
};

_Static_assert(sizeof(struct evtchn_alloc_unbound) == 8, "evtchn_alloc_unbound size");
_Static_assert(offsetof(struct evtchn_alloc_unbound, port) == 4, "alloc_unbound.port");
_Static_assert(sizeof(struct evtchn_bind_interdomain) == 12, "evtchn_bind_interdomain size");
_Static_assert(offsetof(struct evtchn_bind_interdomain, remote_port) == 4, "bind_interdomain.remote_port");
_Static_assert(offsetof(struct evtchn_bind_interdomain, local_port) == 8, "bind_interdomain.local_port");
_Static_assert(sizeof(struct evtchn_bind_virq) == 12, "evtchn_bind_virq size");
_Static_assert(offsetof(struct evtchn_bind_virq, port) == 8, "bind_virq.port");
_Static_assert(sizeof(struct evtchn_send) == 4, "evtchn_send size");
_Static_assert(sizeof(struct evtchn_close) == 4, "evtchn_close size");
_Static_assert(sizeof(struct evtchn_status) == 16, "evtchn_status size");
_Static_assert(offsetof(struct evtchn_status, state) == 4, "status.state");
_Static_assert(offsetof(struct evtchn_status, remote_dom) == 8, "status.remote_dom");
_Static_assert(offsetof(struct evtchn_status, remote_port_or_virq) == 12, "status.remote");

#endif
