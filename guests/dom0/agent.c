/*
 * The agent's transport: bytes in, frames out. See agent.h and
 * docs/specs/control-protocol.md ("Bad frames", "At most once").
 */
#include "rt.h"
#include "agent.h"
#include "ctl_frame.h"

/* Twice the largest frame: after a parse, what stays is at most one
 * partial frame, so a read always has room. */
#define RX_SIZE         (2 * CTL_FRAME_MAX)
#define ACTIVE_MS       20u     /* keep polling this long after a byte */
#define WRITE_TIMEOUT   2000u   /* ms a reply may take to leave */
/*
 * A partial frame times out only after CTL_RX_TIMEOUT_MS with no octet AND
 * empty looks at the line in at least this many different milliseconds of
 * that time. Time alone would also count time the whole machine was not
 * running us (an emulator descheduled on a loaded host): the sender is not
 * silent then, we are deaf. Counting looks alone would not do either: we
 * poll back to back while a frame flows (dom0.c). An idle agent looks once
 * per ms, so a silent sender still times out after about
 * CTL_RX_TIMEOUT_MS.
 */
#define RX_TIMEOUT_EMPTY_MS     200u

static const struct agent_io *io;
static uint8_t rx[RX_SIZE];
static size_t rx_len;
static uint64_t last_byte_ms;
/* milliseconds with a look that found no octet, since the last octet */
static uint32_t empty_ms;
static uint64_t last_empty_ms;

/* The last reply, kept whole for a resent request (at most once). */
static uint8_t tx[CTL_FRAME_MAX];
static size_t tx_len;
static struct {
    bool valid;
    uint16_t type;
    uint32_t seq;
    uint32_t data_crc;
} last;

/* Error replies and notices: never overwrite the cached reply. */
static uint8_t err_tx[CTL_HDR_SIZE];

static struct agent_stats stats;

void agent_init(const struct agent_io *agent_io)
{
    io = agent_io;
    rx_len = 0;
    tx_len = 0;
    last.valid = false;
    stats = (struct agent_stats){ 0 };
    last_byte_ms = io->now_ms();
    empty_ms = 0;
}

const struct agent_stats *agent_stats(void)
{
    return &stats;
}

void agent_drain(void)
{
    io->drain();
}

static void send(const uint8_t *frame, size_t len)
{
    if (!io->write(frame, len))
        stats.write_fail++;
}

static void send_status(uint16_t type, uint8_t flags, uint32_t seq, int32_t status)
{
    send(err_tx, ctl_frame_seal(err_tx, type, flags, seq, status, 0));
}

void agent_notice(uint16_t type, uint32_t seq, int32_t status)
{
    send_status(type, CTL_F_REPLY | CTL_F_NOTICE, seq, status);
}

static bool replayable(const struct ctl_hdr *h)
{
    return last.valid && last.seq == h->seq && last.type == h->type &&
           last.data_crc == h->data_crc;
}

static void handle_frame(const struct ctl_parse *r)
{
    const struct ctl_hdr *h = &r->hdr;
    ops_after_fn after = NULL;
    uint32_t rep_len = 0;
    int32_t status;

    if (h->flags & CTL_F_REPLY) {
        stats.ignored++;
        return;
    }
    stats.frames++;
    if (replayable(h)) {
        stats.replayed++;
        send(tx, tx_len);
        return;
    }
    status = ops_dispatch(h->type, r->payload, h->len, tx + CTL_HDR_SIZE, &rep_len, &after);
    if (rep_len > CTL_PAYLOAD_MAX) {    /* a handler bug: never send past tx */
        rep_len = 0;
        status = -BATON_EIO;
    }
    tx_len = ctl_frame_seal(tx, h->type, CTL_F_REPLY, h->seq, status, rep_len);
    last.valid = true;
    last.type = h->type;
    last.seq = h->seq;
    last.data_crc = h->data_crc;
    send(tx, tx_len);
    if (after)
        after(h->seq);
}

static void handle_bad(const struct ctl_parse *r)
{
    stats.bad++;
    if (!r->hdr_ok) {
        send_status(CTL_T_NONE, CTL_F_REPLY, 0, r->error);
        return;
    }
    if (r->hdr.flags & CTL_F_REPLY) {
        stats.ignored++;
        return;
    }
    send_status(r->hdr.type, CTL_F_REPLY, r->hdr.seq, r->error);
}

static void consume(size_t n)
{
    if (n > rx_len)
        n = rx_len;
    memmove(rx, rx + n, rx_len - n);
    rx_len -= n;
}

/* Parse and answer until only a partial frame (or nothing) is left. */
static void process(bool timed_out)
{
    struct ctl_parse r;

    for (;;) {
        ctl_parse(rx, rx_len, timed_out, &r);
        stats.skipped += r.skipped;
        if (r.kind == CTL_PARSE_FRAME)
            handle_frame(&r);
        else if (r.kind == CTL_PARSE_BAD)
            handle_bad(&r);
        consume(r.consumed);
        if (r.kind == CTL_PARSE_NEED || rx_len == 0)
            break;
    }
    if (rx_len == RX_SIZE)      /* cannot happen (see RX_SIZE): stay live */
        consume(1);
}

bool agent_poll(void)
{
    uint64_t now = io->now_ms();
    size_t n = io->read(rx + rx_len, RX_SIZE - rx_len);
    bool timed_out;

    if (n) {
        rx_len += n;
        last_byte_ms = now;
        empty_ms = 0;
    } else if (now != last_empty_ms && empty_ms < RX_TIMEOUT_EMPTY_MS) {
        empty_ms++;
        last_empty_ms = now;
    }
    timed_out = rx_len && now - last_byte_ms >= CTL_RX_TIMEOUT_MS &&
                empty_ms >= RX_TIMEOUT_EMPTY_MS;
    if (n || timed_out)
        process(timed_out);
    return rx_len || now - last_byte_ms < ACTIVE_MS;
}
