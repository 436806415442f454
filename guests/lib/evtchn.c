/*
 * Event channels: the upcall entry, the pending-bit scan and a handler per
 * port, masking, and the wrappers of the event channel sub-ops.
 *
 * The hypervisor marks a port pending by: setting its bit in
 * evtchn_pending; if the port is unmasked, setting bit port/64 in the
 * vCPU's evtchn_pending_sel and then evtchn_upcall_pending. We undo it in
 * the opposite order (upcall_pending, then sel, then the port bits), so an
 * event that arrives while we scan is seen by the next loop round.
 */
#include "rt.h"

struct handler {
    evtchn_handler_t fn;
    void *data;
};

static struct handler handlers[NR_EVTCHN_PORTS];
static uint64_t counts[NR_EVTCHN_PORTS];
static volatile uint64_t generation;
static uint64_t upcalls;
static uint32_t timer_port;

/* Called by the hypervisor, not by C: see the ABI's upcall protocol. */
__noreturn_fn void evtchn_upcall_entry(struct upcall_frame *frame);

static struct vcpu_info *vcpu0(void)
{
    return &rt_shared_info->vcpu_info[0];
}

/* lock btr: atomic against the hypervisor setting other bits of the word. */
static bool test_and_clear_bit(unsigned bit, volatile uint64_t *word)
{
    bool old;

    __asm__ volatile("lock btrq %2, %1"
                     : "=@ccc"(old), "+m"(*word)
                     : "Ir"((uint64_t)bit)
                     : "memory");
    return old;
}

static void set_bit(unsigned bit, volatile uint64_t *word)
{
    __asm__ volatile("lock btsq %1, %0" : "+m"(*word) : "Ir"((uint64_t)bit) : "memory");
}

static void clear_bit(unsigned bit, volatile uint64_t *word)
{
    __asm__ volatile("lock btrq %1, %0" : "+m"(*word) : "Ir"((uint64_t)bit) : "memory");
}

static bool test_bit(unsigned bit, const volatile uint64_t *word)
{
    return (*word >> bit) & 1;
}

static void dispatch(uint32_t port)
{
    counts[port]++;
    generation++;
    if (handlers[port].fn)
        handlers[port].fn(port, handlers[port].data);
}

/* Handle the pending, unmasked ports of word w. */
static void scan_word(unsigned w)
{
    volatile uint64_t *pending = &rt_shared_info->evtchn_pending[w];
    uint64_t bits = *pending & ~rt_shared_info->evtchn_mask[w];

    while (bits) {
        unsigned b = (unsigned)__builtin_ctzll(bits);
        bits &= bits - 1;
        if (test_and_clear_bit(b, pending))
            dispatch(w * 64 + b);
    }
}

void evtchn_poll(void)
{
    struct vcpu_info *v = vcpu0();

    while (__atomic_load_n(&v->evtchn_upcall_pending, __ATOMIC_ACQUIRE)) {
        __atomic_store_n(&v->evtchn_upcall_pending, 0, __ATOMIC_RELAXED);
        /* xchg is a full barrier: the store above is visible first */
        uint64_t sel = __atomic_exchange_n(&v->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
        while (sel) {
            unsigned w = (unsigned)__builtin_ctzll(sel);
            sel &= sel - 1;
            if (w < EVTCHN_WORDS)
                scan_word(w);
        }
    }
}

void evtchn_upcall_entry(struct upcall_frame *frame)
{
    /* entered with rsp = frame - 8 and upcalls masked by the hypervisor */
    upcalls++;
    evtchn_poll();
    int64_t rc = hc_upcall_return(frame);
    panic("upcall_return failed: rc=%ld", rc);
}

bool events_disable(void)
{
    struct vcpu_info *v = vcpu0();
    uint8_t old = v->evtchn_upcall_mask;

    v->evtchn_upcall_mask = 1;
    barrier();
    return old != 0;
}

void events_enable(void)
{
    struct vcpu_info *v = vcpu0();

    for (;;) {
        /* xchg orders the unmask before the pending check below */
        __atomic_exchange_n(&v->evtchn_upcall_mask, 0, __ATOMIC_SEQ_CST);
        if (!__atomic_load_n(&v->evtchn_upcall_pending, __ATOMIC_ACQUIRE))
            return;
        /* something arrived while masked: handle it here, as the upcall would */
        v->evtchn_upcall_mask = 1;
        barrier();
        evtchn_poll();
    }
}

void events_restore(bool was_disabled)
{
    if (!was_disabled)
        events_enable();
}

void wait_events(uint64_t gen, uint64_t deadline_ns)
{
    struct vcpu_info *v = vcpu0();

    events_disable();
    /* masked: nothing can be handled between this check and the block */
    if (generation == gen && !v->evtchn_upcall_pending) {
        hc_set_timer(deadline_ns);
        hc_sched_block();       /* returns once upcall_pending is set */
    }
    events_enable();
}

uint64_t evtchn_generation(void)
{
    return generation;
}

uint64_t evtchn_count(uint32_t port)
{
    return port < NR_EVTCHN_PORTS ? counts[port] : 0;
}

uint64_t evtchn_upcalls(void)
{
    return upcalls;
}

uint32_t evtchn_timer_port(void)
{
    return timer_port;
}

void evtchn_set_handler(uint32_t port, evtchn_handler_t fn, void *data)
{
    if (port == 0 || port >= NR_EVTCHN_PORTS)
        panic("evtchn_set_handler: bad port %u", port);
    bool was = events_disable();
    handlers[port].fn = fn;
    handlers[port].data = data;
    events_restore(was);
}

void evtchn_mask(uint32_t port)
{
    if (port < NR_EVTCHN_PORTS)
        set_bit(port % 64, &rt_shared_info->evtchn_mask[port / 64]);
}

void evtchn_unmask(uint32_t port)
{
    struct vcpu_info *v = vcpu0();

    if (port >= NR_EVTCHN_PORTS)
        return;
    bool was = events_disable();
    clear_bit(port % 64, &rt_shared_info->evtchn_mask[port / 64]);
    /* it went pending while masked: nobody told the vCPU, so do it here */
    if (test_bit(port % 64, &rt_shared_info->evtchn_pending[port / 64])) {
        set_bit(port / 64, &v->evtchn_pending_sel);
        v->evtchn_upcall_pending = 1;
    }
    events_restore(was);
}

/* ---------------------------------------------------------- sub-op wrappers */

int evtchn_alloc_unbound(uint16_t remote_dom, uint32_t *port)
{
    struct evtchn_alloc_unbound op = { .remote_dom = remote_dom };
    int rc = (int)hc_event_channel_op(EVTCHNOP_alloc_unbound, &op);

    if (rc == 0)
        *port = op.port;
    return rc;
}

int evtchn_bind_interdomain(uint16_t remote_dom, uint32_t remote_port, uint32_t *local_port)
{
    struct evtchn_bind_interdomain op = {
        .remote_dom = remote_dom,
        .remote_port = remote_port,
    };
    int rc = (int)hc_event_channel_op(EVTCHNOP_bind_interdomain, &op);

    if (rc == 0)
        *local_port = op.local_port;
    return rc;
}

int evtchn_bind_virq(uint32_t virq, uint32_t vcpu, uint32_t *port)
{
    struct evtchn_bind_virq op = { .virq = virq, .vcpu = vcpu };
    int rc = (int)hc_event_channel_op(EVTCHNOP_bind_virq, &op);

    if (rc == 0)
        *port = op.port;
    return rc;
}

int evtchn_send(uint32_t port)
{
    struct evtchn_send op = { .port = port };

    return (int)hc_event_channel_op(EVTCHNOP_send, &op);
}

int evtchn_close(uint32_t port)
{
    struct evtchn_close op = { .port = port };

    return (int)hc_event_channel_op(EVTCHNOP_close, &op);
}

int evtchn_status(uint32_t port, struct evtchn_status *st)
{
    memset(st, 0, sizeof(*st));
    st->port = port;
    return (int)hc_event_channel_op(EVTCHNOP_status, st);
}

/* ------------------------------------------------------------------ init */

void evtchn_register_upcall(void)
{
    struct vcpu_register_upcall op = {
        .entry = (uint64_t)(uintptr_t)evtchn_upcall_entry,
    };
    int64_t rc = hc_vcpu_op(VCPUOP_register_upcall, 0, &op);

    if (rc < 0)
        panic("VCPUOP_register_upcall: rc=%ld", rc);
}

/*
 * Upcalls stay masked until everything is in place; the timer port exists
 * from the start because sleeping relies on it.
 */
void evtchn_init(void)
{
    int rc;

    events_disable();
    evtchn_register_upcall();
    rc = evtchn_bind_virq(VIRQ_TIMER, 0, &timer_port);
    if (rc < 0)
        panic("bind VIRQ_TIMER: rc=%d", rc);
    events_enable();
}
