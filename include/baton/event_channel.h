/* Event channels (common/event_channel.c): the hypervisor's port tables. */
#ifndef BATON_EVENT_CHANNEL_H
#define BATON_EVENT_CHANNEL_H

#include <baton/types.h>
#include <baton/layout_shuffle.h>
#include <public/event_channel.h>

struct domain;
struct vcpu;

/* Fields in this order; reversed and padded by LAYOUT_SHUFFLE. */
struct evtchn {
    LAYOUT_PAD(shuffle_pad, 8)
    LAYOUT_GROUPS((
        uint8_t state;            /* EVTCHNSTAT_* */
        uint8_t pad;
    ), (
        uint16_t remote_dom;      /* unbound: who may bind; interdomain: peer */
    ), (
        uint32_t remote_port;     /* interdomain: peer's port */
    ), (
        uint32_t virq;            /* virq: which */
    ), (
        uint32_t vcpu;            /* virq: notified vCPU */
    ))
};

long do_event_channel_op(struct domain *d, struct vcpu *v, uint32_t cmd, uint64_t arg);
/* Builder: bind the console port (remote end: the hypervisor). */
int evtchn_init_domain(struct domain *d);
/* Mark port pending in d (mask and upcall logic included) and wake the vCPU. */
void evtchn_set_pending(struct domain *d, uint32_t port);
void send_virq(struct vcpu *v, unsigned int virq);
/* A dying domain: close every port (peers go back to unbound). */
void evtchn_release(struct domain *d);
/*
 * Restore, once every domain of the stream is decoded (state RESTORING):
 * each interdomain port of d must have a peer that points back at it, and
 * d must have exactly one console port. 0 or -BATON_EINVAL, reported.
 */
int evtchn_restore_check(const struct domain *d);

#endif
