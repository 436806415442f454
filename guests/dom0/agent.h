/*
 * Domain 0's control agent: serves the control protocol (include/public/
 * ctl.h, docs/specs/control-protocol.md) on a byte stream and turns
 * requests into control_op / kexec_op hypercalls.
 *
 *   agent.c   the transport: receive buffer, framing (tools/lib/ctl_frame.c),
 *             bad-frame replies, resynchronisation, timeouts, reply cache
 *   ops.c     one handler per request type, the upload staging buffer
 *   uart.c    COM2 (dom0.c plugs it in through struct agent_io)
 *
 * agent.c and ops.c use no port and no hypercall directly (struct agent_io,
 * agent_control_op, agent_kexec_op), so host tests can run them on fakes.
 * Everything is bounded: no input makes the agent block, allocate or read
 * outside its buffers.
 */
#ifndef DOM0_AGENT_H
#define DOM0_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct agent_io {
    size_t (*read)(uint8_t *buf, size_t max);           /* what has arrived */
    bool (*write)(const uint8_t *buf, size_t len);       /* bounded in time */
    void (*drain)(void);                                 /* before a kexec */
    uint64_t (*now_ms)(void);
};

struct agent_stats {
    uint64_t frames;        /* requests answered (cache hits included) */
    uint64_t replayed;      /* answered from the reply cache */
    uint64_t bad;           /* bad frames (each got an error reply) */
    uint64_t skipped;       /* garbage octets outside frames */
    uint64_t ignored;       /* frames with CTL_F_REPLY (not for us) */
    uint64_t write_fail;    /* replies the line did not take in time */
};

void agent_init(const struct agent_io *io);
/* Take what has arrived, answer every complete or timed-out frame. True
 * while a frame is partly received or a byte came in the last few ms:
 * the caller then polls again at once instead of sleeping. */
bool agent_poll(void);
const struct agent_stats *agent_stats(void);
/* An unsolicited reply (CTL_F_REPLY | CTL_F_NOTICE), e.g. a failed exec. */
void agent_notice(uint16_t type, uint32_t seq, int32_t status);
/* io->drain, for ops.c */
void agent_drain(void);

/* ---------------------------------------------------------------- ops.c */

/* Called after the reply to `seq` has been sent (kexec exec). */
typedef void (*ops_after_fn)(uint32_t seq);

/* The upload staging buffer: [base, base + size) of the agent's memory. */
void ops_init(uint8_t *staging, uint64_t size, uint16_t domid);
/*
 * Run one request. rep has room for CTL_PAYLOAD_MAX octets; *rep_len gets
 * the reply payload's length. Returns the reply status (>= 0, or
 * -BATON_E*). *after, if set, runs once the reply is on the line.
 */
int32_t ops_dispatch(uint16_t type, const uint8_t *req, uint32_t req_len,
                     uint8_t *rep, uint32_t *rep_len, ops_after_fn *after);

/* The hypercalls (dom0.c: the real ones; host tests: fakes). */
int64_t agent_control_op(uint32_t cmd, void *arg);
int64_t agent_kexec_op(uint32_t cmd, void *arg);

#endif
