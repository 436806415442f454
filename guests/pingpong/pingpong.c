/*
 * pingpong: a frontend and a backend exchange sequence-numbered messages
 * through a granted page and an inter-domain event channel.
 *
 * cmdline: role=front|back peer=<domid> [ref=8] [count=0 (forever)]
 *          [window=8 requests in flight] [period=1000 ms between progress
 *          lines] [stall=0 ms without progress before failing, 0: never]
 *
 * Rendezvous without a store (docs/specs/pv-abi.md, "Pingpong"):
 *   front: alloc_unbound(peer) -> port; write port, then magic, into its
 *          page; grant the page to peer under ref; wait for back_connected.
 *   back:  retry map(peer, ref) every 10 ms while it fails with -ENOENT;
 *          wait for magic; bind_interdomain(peer, port); set
 *          back_connected; notify.
 * Markers: "pingpong: connected", "pingpong: <N> round trips",
 * "PINGPONG FAIL ..." on any gap, duplicate, corruption or error.
 */
#include "rt.h"
#include "ppring.h"

#define MAP_SLOT        0
#define RETRY_MS        10

struct pp_cfg {
    bool front;
    uint16_t peer;
    uint32_t ref;
    uint64_t count;
    uint64_t window;
    uint64_t period_ns;
    uint64_t stall_ns;
};

/* Progress bookkeeping shared by both roles. */
struct pp_progress {
    uint64_t trips;
    uint64_t next_report;
    uint64_t last_progress;
};

/* The frontend's shared page: in its own memory, granted to the backend. */
static struct pp_page front_page __attribute__((aligned(PV_PAGE_SIZE)));

static __printf_fn(1, 2) int fail(const char *fmt, ...)
{
    char buf[256];
    va_list ap;

    va_start(ap, fmt);
    rt_vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    printf("PINGPONG FAIL %s\n", buf);
    return 1;
}

static int parse_cfg(struct pp_cfg *c)
{
    char role[16];

    rt_param_str("role", role, sizeof(role), "");
    if (strcmp(role, "front") != 0 && strcmp(role, "back") != 0)
        return fail("role=front|back required, got \"%s\"", role);
    c->front = strcmp(role, "front") == 0;
    c->peer = (uint16_t)rt_param_u64("peer", DOMID_FIRST_RESERVED);
    if (c->peer >= DOMID_FIRST_RESERVED || c->peer == rt_domid())
        return fail("peer=<domid of the other end> required");
    c->ref = (uint32_t)rt_param_u64("ref", 8);
    c->count = rt_param_u64("count", 0);
    c->window = rt_param_u64("window", 8);
    if (c->window == 0 || c->window > PP_SLOTS)
        c->window = PP_SLOTS;
    c->period_ns = rt_param_u64("period", 1000) * NS_PER_MS;
    c->stall_ns = rt_param_u64("stall", 0) * NS_PER_MS;
    return 0;
}

/* Periodic progress line and stall check; nonzero when stalled too long. */
static int tick(const struct pp_cfg *c, struct pp_progress *p, bool progressed)
{
    uint64_t now = now_ns();

    if (progressed)
        p->last_progress = now;
    if (now >= p->next_report) {
        printf("pingpong: %lu round trips\n", p->trips);
        p->next_report = now + c->period_ns;
    }
    if (c->stall_ns && now - p->last_progress > c->stall_ns)
        return fail("stalled for %lu ms at %lu round trips",
                    (now - p->last_progress) / NS_PER_MS, p->trips);
    return 0;
}

static void progress_init(struct pp_progress *p)
{
    p->trips = 0;
    p->last_progress = now_ns();
    p->next_report = p->last_progress;
}

/* ---------------------------------------------------------------- front */

/* Take the responses that arrived; nonzero on a protocol error. */
static int front_take(struct pp_page *pg, struct pp_seq *seq, uint64_t sent,
                      struct pp_progress *p, bool *got)
{
    struct pp_msg m;

    while (pp_ring_get(&pg->rsp, &m)) {
        enum pp_verdict v = pp_seq_accept(seq, &m);
        if (v != PP_OK)
            return fail("front: %s response seq=%lu want=%lu", pp_verdict_name(v),
                        m.seq, seq->next);
        if (m.seq > sent)
            return fail("front: response seq=%lu before request (sent %lu)", m.seq, sent);
        p->trips++;
        *got = true;
    }
    if (pp_ring_used(&pg->rsp) < 0)
        return fail("front: response ring indices corrupt");
    return 0;
}

static int front_exchange(const struct pp_cfg *c, struct pp_page *pg, uint32_t port)
{
    struct pp_progress p;
    struct pp_seq seq;
    uint64_t sent = 0;

    progress_init(&p);
    pp_seq_init(&seq);
    for (;;) {
        uint64_t gen = evtchn_generation();
        bool pushed = false, got = false;

        while (sent - p.trips < c->window && (c->count == 0 || sent < c->count) &&
               pp_ring_put(&pg->req, sent + 1)) {
            sent++;
            pushed = true;
        }
        if (front_take(pg, &seq, sent, &p, &got))
            return 1;
        if (pushed || got)
            evtchn_send(port);
        if (c->count && p.trips >= c->count) {
            printf("pingpong: done, %lu round trips\n", p.trips);
            return 0;
        }
        if (tick(c, &p, got))
            return 1;
        if (!pushed && !got)
            wait_events(gen, p.next_report);
    }
}

static void wait_backend(struct pp_page *pg)
{
    for (;;) {
        uint64_t gen = evtchn_generation();
        if (__atomic_load_n(&pg->back_connected, __ATOMIC_ACQUIRE))
            return;
        wait_events(gen, now_ns() + 100 * NS_PER_MS);
    }
}

static int front(const struct pp_cfg *c)
{
    struct pp_page *pg = &front_page;
    uint32_t port;
    int rc;

    rc = evtchn_alloc_unbound(c->peer, &port);
    if (rc < 0)
        return fail("front: alloc_unbound(dom%u) rc=%d", c->peer, rc);
    memset(pg, 0, sizeof(*pg));
    pg->version = PP_VERSION;
    pg->front_domid = rt_domid();
    pg->front_port = port;
    __atomic_store_n(&pg->magic, PP_MAGIC, __ATOMIC_RELEASE);
    rc = gnttab_grant_access(c->ref, c->peer, pg, false);
    if (rc < 0)
        return fail("front: grant_access(ref %u to dom%u) rc=%d", c->ref, c->peer, rc);
    printf("pingpong: front dom%u port %u ref %u, waiting for dom%u\n",
           rt_domid(), port, c->ref, c->peer);
    wait_backend(pg);
    printf("pingpong: connected (front, backend dom%u)\n", pg->back_domid);
    return front_exchange(c, pg, port);
}

/* ----------------------------------------------------------------- back */

/* Answer the requests that arrived; nonzero on a protocol error. */
static int back_answer(struct pp_page *pg, struct pp_seq *seq, struct pp_progress *p, bool *did)
{
    struct pp_msg m;

    /* take a request only when its response has room */
    while (pp_ring_used(&pg->rsp) >= 0 && pp_ring_used(&pg->rsp) < (int)PP_SLOTS &&
           pp_ring_get(&pg->req, &m)) {
        enum pp_verdict v = pp_seq_accept(seq, &m);
        if (v != PP_OK)
            return fail("back: %s request seq=%lu want=%lu", pp_verdict_name(v),
                        m.seq, seq->next);
        pp_ring_put(&pg->rsp, m.seq);
        p->trips++;
        *did = true;
    }
    if (pp_ring_used(&pg->req) < 0 || pp_ring_used(&pg->rsp) < 0)
        return fail("back: ring indices corrupt");
    return 0;
}

static int back_exchange(const struct pp_cfg *c, struct pp_page *pg, uint32_t port)
{
    struct pp_progress p;
    struct pp_seq seq;

    progress_init(&p);
    pp_seq_init(&seq);
    for (;;) {
        uint64_t gen = evtchn_generation();
        bool did = false;

        if (back_answer(pg, &seq, &p, &did))
            return 1;
        if (did)
            evtchn_send(port);
        if (c->count && p.trips >= c->count) {
            printf("pingpong: done, %lu round trips\n", p.trips);
            return 0;
        }
        if (tick(c, &p, did))
            return 1;
        if (!did)
            wait_events(gen, p.next_report);
    }
}

/* Map the frontend's page, retrying while it is not granted yet. */
static int back_map(const struct pp_cfg *c, struct pp_page **pg)
{
    void *va;

    for (uint64_t tries = 0;; tries++) {
        int rc = gnttab_map(c->peer, c->ref, MAP_SLOT, false, &va);
        if (rc == 0)
            break;
        if (rc != -BATON_ENOENT)
            return fail("back: map(dom%u, ref %u) rc=%d", c->peer, c->ref, rc);
        if (tries % 100 == 0)
            printf("pingpong: back waiting for dom%u to grant ref %u\n", c->peer, c->ref);
        sleep_ms(RETRY_MS);
    }
    *pg = va;
    /* granted before the header was written would be a frontend bug; wait anyway */
    while (__atomic_load_n(&(*pg)->magic, __ATOMIC_ACQUIRE) != PP_MAGIC)
        sleep_ms(RETRY_MS);
    if ((*pg)->version != PP_VERSION)
        return fail("back: page version %u, want %u", (*pg)->version, PP_VERSION);
    return 0;
}

static int back(const struct pp_cfg *c)
{
    struct pp_page *pg = NULL;
    uint32_t port;
    int rc;

    if (back_map(c, &pg))
        return 1;
    rc = evtchn_bind_interdomain(c->peer, pg->front_port, &port);
    if (rc < 0)
        return fail("back: bind_interdomain(dom%u, port %u) rc=%d", c->peer,
                    pg->front_port, rc);
    pg->back_domid = rt_domid();
    __atomic_store_n(&pg->back_connected, 1, __ATOMIC_RELEASE);
    evtchn_send(port);
    printf("pingpong: connected (back, frontend dom%u port %u, local port %u)\n",
           c->peer, pg->front_port, port);
    return back_exchange(c, pg, port);
}

int guest_main(void)
{
    struct pp_cfg c;

    if (parse_cfg(&c))
        return 1;
    return c.front ? front(&c) : back(&c);
}
