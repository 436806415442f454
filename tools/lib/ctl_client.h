/*
 * The control protocol's host client (include/public/ctl.h,
 * docs/specs/control-protocol.md): connects to domain 0's agent over a Unix
 * socket (QEMU's second -serial as a socket chardev) or a tty/pty, sends
 * requests with sequence numbers and CRCs, resends after a timeout or a
 * damaged frame (the agent answers a resent request from its reply cache,
 * never runs it twice), uploads in chunks with a progress callback.
 * Used by hvctl and, later, the kexec-tools shim. Framing: ctl_frame.c.
 *
 * Every call returns >= 0 on success (the reply's status), a negative
 * -BATON_E* code the agent or the hypervisor answered, or a negative
 * CTL_ERR_* code for what went wrong on this side; ctl_strerror names both.
 */
#ifndef TOOLS_CTL_CLIENT_H
#define TOOLS_CTL_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <public/ctl.h>
#include <public/control.h>
#include <public/kexec.h>

#define CTL_ERR_CONNECT     (-1001) /* cannot open the socket or tty */
#define CTL_ERR_TIMEOUT     (-1002) /* no reply after every retry */
#define CTL_ERR_IO          (-1003) /* read/write failed, peer closed */
#define CTL_ERR_PROTO       (-1004) /* a reply that breaks the protocol */
#define CTL_ERR_ARG         (-1005) /* a bad argument to the library */
#define CTL_ERR_EXEC        (-1006) /* kexec exec: no jump (see ctl_kexec_exec) */

#define CTL_DEFAULT_TIMEOUT_MS  10000u
#define CTL_DEFAULT_RETRIES     3u
#define CTL_ENV                 "BATON_CTL"

struct ctl_client;

/*
 * spec: "unix:PATH" (a Unix socket), "tty:PATH" or "pty:PATH" (a serial
 * line or pty, set to raw 115200 8N1), or a bare PATH (a socket if it is
 * one, else a tty); NULL: the BATON_CTL environment variable.
 */
int ctl_open(const char *spec, struct ctl_client **out);
/* A client on an open stream (socketpair in tests); ctl_close closes fd. */
int ctl_open_fd(int fd, struct ctl_client **out);
void ctl_close(struct ctl_client *c);
void ctl_set_timeout(struct ctl_client *c, unsigned int ms);  /* per attempt */
void ctl_set_retries(struct ctl_client *c, unsigned int n);   /* resends */
/* Counters since ctl_open, for diagnostics and tests. */
struct ctl_client_stats {
    uint64_t requests, resends, timeouts, bad_frames, stale_frames;
};
const struct ctl_client_stats *ctl_client_stats(const struct ctl_client *c);

const char *ctl_strerror(int err);
/* "ENOENT" for -BATON_ENOENT, "TIMEOUT" for CTL_ERR_TIMEOUT... */
const char *ctl_errname(int err);

/*
 * One request, one reply: the payload up to rep_max octets into rep, its
 * full length in *rep_len (either may be NULL when no payload is wanted).
 * A reply longer than rep_max is CTL_ERR_PROTO.
 */
int ctl_call(struct ctl_client *c, uint16_t type, const void *req, uint32_t req_len,
             void *rep, uint32_t rep_max, uint32_t *rep_len);

int ctl_ping(struct ctl_client *c, struct ctl_ping_rep *out);
/* Every domain (at most max), ascending domid. */
int ctl_list(struct ctl_client *c, struct control_domain_info *out, uint32_t max,
             uint32_t *nr);
int ctl_domain_info(struct ctl_client *c, uint16_t domid, struct control_domain_info *out);
int ctl_domain_pause(struct ctl_client *c, uint16_t domid);
int ctl_domain_unpause(struct ctl_client *c, uint16_t domid);
int ctl_domain_destroy(struct ctl_client *c, uint16_t domid);

/* Called after each chunk: done of total octets. */
typedef void (*ctl_progress_fn)(uint64_t done, uint64_t total, void *arg);

/*
 * Upload size octets into the agent's staging buffer (BEGIN, CHUNKs, END
 * with the CRC32 of the whole): afterwards CREATE and KEXEC_LOAD refer to
 * offsets in it. One upload at a time: a new one replaces the last.
 */
int ctl_upload(struct ctl_client *c, const void *data, uint64_t size,
               ctl_progress_fn progress, void *arg);

/* Upload the ELF image, then create a domain from it and config. */
int ctl_domain_create(struct ctl_client *c, const void *image, uint64_t size,
                      const char *config, ctl_progress_fn progress, void *arg,
                      uint16_t *domid);

/* The hypervisor log from offset: up to max octets into buf; out gets
 * next, lost and len. */
int ctl_dmesg(struct ctl_client *c, uint64_t offset, void *buf, uint32_t max,
              struct ctl_dmesg_rep *out);
int ctl_memmap(struct ctl_client *c, struct control_e820 *out, uint32_t max, uint32_t *nr);
/* The running build: version, build id, handover stream versions, the
 * domain context types it writes and loads. The strings are NUL-terminated
 * on return. */
int ctl_version(struct ctl_client *c, struct control_version_info *out);
/* Arms one in-place live update rehearsal (runs after the reply). */
int ctl_rehearse(struct ctl_client *c);

int ctl_kexec_get_range(struct ctl_client *c, int32_t range, int32_t nr,
                        uint64_t *start, uint64_t *size);
/*
 * kexec_op(load): segments refer to the last complete ctl_upload by
 * offset (CTL_KEXEC_NOBUF: a null-buffer segment); at most
 * CTL_KEXEC_SEGMENTS_MAX. Building the image, MBI and purgatory is the
 * caller's (hvctl kexec load).
 */
int ctl_kexec_load(struct ctl_client *c, uint8_t type, uint64_t entry_maddr,
                   const struct ctl_kexec_segment *segs, uint32_t nr);
int ctl_kexec_unload(struct ctl_client *c, uint8_t type);
/* 1: an image of that type is loaded, 0: none. */
int ctl_kexec_status(struct ctl_client *c, uint8_t type);
/*
 * kexec_op(exec): the agent answers, then jumps. 0: it accepted and no
 * failure notice came within wait_ms (the jump went, or is going); a
 * refusal before the jump (-ENOENT: nothing of that type loaded) as any
 * request; CTL_ERR_EXEC: accepted, then the hypercall came back with
 * *exec_status (may be NULL).
 * A live update (KEXEC_TYPE_LIVE_UPDATE) is the other way round: domain 0
 * survives it, so the hypercall returns, in the new build, and the agent's
 * notice is the answer. 0: the notice came with status 0 within wait_ms
 * (the update is done and the agent runs on the new build); CTL_ERR_EXEC:
 * it came with the error in *exec_status (the update did not happen and
 * the old build runs on); a timeout: no notice at all.
 */
int ctl_kexec_exec(struct ctl_client *c, uint8_t type, unsigned int wait_ms,
                   int *exec_status);
/* What the tools wait for exec's notice: a default kexec that fails says
 * so at once; a live update answers from the new build, and a TCG update
 * of a large host takes seconds. */
#define CTL_EXEC_WAIT_MS        2000u
#define CTL_EXEC_WAIT_LU_MS     60000u

#endif
