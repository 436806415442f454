/*
 * The control protocol's host client: see ctl_client.h. Stop and wait: one
 * request in flight, resent with the same seq after a timeout or a damaged
 * frame; replies with another seq (late answers to an earlier attempt or
 * an earlier client) are dropped.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <public/errno.h>
#include "ctl_client.h"
#include "ctl_frame.h"

#define RX_SIZE     (2 * CTL_FRAME_MAX)

struct ctl_client {
    int fd;
    unsigned int timeout_ms;
    unsigned int retries;
    uint32_t seq;
    uint8_t tx[CTL_FRAME_MAX];
    uint8_t rx[RX_SIZE];
    size_t rx_len;
    uint8_t scratch[CTL_PAYLOAD_MAX];   /* replies and chunks being built */
    struct ctl_client_stats stats;
};

/* ------------------------------------------------------------ opening */

static int open_unix(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd;

    if (strlen(path) >= sizeof(sa.sun_path))
        return -1;
    strcpy(sa.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int open_tty(const char *path)
{
    struct termios t;
    int fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);

    if (fd < 0)
        return -1;
    if (tcgetattr(fd, &t) == 0) {
        cfmakeraw(&t);
        cfsetispeed(&t, B115200);
        cfsetospeed(&t, B115200);
        t.c_cflag |= CLOCAL | CREAD;
        t.c_cflag &= ~(CSTOPB | CRTSCTS);
        tcsetattr(fd, TCSANOW, &t);
        tcflush(fd, TCIOFLUSH);
    }
    return fd;
}

static int open_spec(const char *spec)
{
    struct stat st;

    if (strncmp(spec, "unix:", 5) == 0)
        return open_unix(spec + 5);
    if (strncmp(spec, "tty:", 4) == 0 || strncmp(spec, "pty:", 4) == 0)
        return open_tty(spec + 4);
    if (stat(spec, &st) == 0 && S_ISSOCK(st.st_mode))
        return open_unix(spec);
    return open_tty(spec);
}

/* A random non-zero first seq: a new client never matches the reply the
 * agent cached for the previous one. */
static uint32_t first_seq(void)
{
    struct timespec ts;
    uint32_t s;

    clock_gettime(CLOCK_REALTIME, &ts);
    s = (uint32_t)ts.tv_nsec ^ (uint32_t)ts.tv_sec * 2654435761u ^ (uint32_t)getpid() << 16;
    return s ? s : 1;
}

int ctl_open_fd(int fd, struct ctl_client **out)
{
    struct ctl_client *c = calloc(1, sizeof(*c));

    if (!c)
        return CTL_ERR_IO;
    c->fd = fd;
    c->timeout_ms = CTL_DEFAULT_TIMEOUT_MS;
    c->retries = CTL_DEFAULT_RETRIES;
    c->seq = first_seq();
    *out = c;
    return 0;
}

int ctl_open(const char *spec, struct ctl_client **out)
{
    int fd;

    if (!spec)
        spec = getenv(CTL_ENV);
    if (!spec || !*spec)
        return CTL_ERR_ARG;
    fd = open_spec(spec);
    if (fd < 0)
        return CTL_ERR_CONNECT;
    if (ctl_open_fd(fd, out) < 0) {
        close(fd);
        return CTL_ERR_IO;
    }
    return 0;
}

void ctl_close(struct ctl_client *c)
{
    if (!c)
        return;
    close(c->fd);
    free(c);
}

void ctl_set_timeout(struct ctl_client *c, unsigned int ms)
{
    c->timeout_ms = ms ? ms : 1;
}

void ctl_set_retries(struct ctl_client *c, unsigned int n)
{
    c->retries = n;
}

const struct ctl_client_stats *ctl_client_stats(const struct ctl_client *c)
{
    return &c->stats;
}

/* ------------------------------------------------------------ errors */

static const struct {
    int code;
    const char *name, *text;
} errors[] = {
    { -BATON_EPERM, "EPERM", "not permitted" },
    { -BATON_ENOENT, "ENOENT", "no such domain or object" },
    { -BATON_EIO, "EIO", "I/O error (truncated frame)" },
    { -BATON_E2BIG, "E2BIG", "too big" },
    { -BATON_EBADF, "EBADF", "bad handle" },
    { -BATON_EAGAIN, "EAGAIN", "try again" },
    { -BATON_ENOMEM, "ENOMEM", "out of memory" },
    { -BATON_EFAULT, "EFAULT", "bad address" },
    { -BATON_EBUSY, "EBUSY", "busy" },
    { -BATON_EEXIST, "EEXIST", "already exists" },
    { -BATON_EINVAL, "EINVAL", "invalid argument" },
    { -BATON_ENOSPC, "ENOSPC", "no space (staging buffer or domain slots)" },
    { -BATON_ERANGE, "ERANGE", "out of range" },
    { -BATON_ENOSYS, "ENOSYS", "not implemented (by the agent or the hypervisor)" },
    { -BATON_EBADMSG, "EBADMSG", "damaged frame or data (CRC mismatch)" },
    { -BATON_EOVERFLOW, "EOVERFLOW", "overflow" },
    { -BATON_EOPNOTSUPP, "EOPNOTSUPP", "not supported (protocol version?)" },
    { CTL_ERR_CONNECT, "CONNECT", "cannot connect to the control line" },
    { CTL_ERR_TIMEOUT, "TIMEOUT", "no answer from the agent" },
    { CTL_ERR_IO, "IO", "I/O error on the control line" },
    { CTL_ERR_PROTO, "PROTO", "malformed reply" },
    { CTL_ERR_ARG, "ARG", "bad argument (no --ctl and no BATON_CTL?)" },
    { CTL_ERR_EXEC, "EXEC", "kexec exec failed after it was accepted" },
};

const char *ctl_errname(int err)
{
    for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++)
        if (errors[i].code == err)
            return errors[i].name;
    return "E?";
}

const char *ctl_strerror(int err)
{
    for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++)
        if (errors[i].code == err)
            return errors[i].text;
    return err >= 0 ? "success" : "unknown error";
}

/* ------------------------------------------------------------ the line */

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int send_all(struct ctl_client *c, const uint8_t *p, size_t len)
{
    while (len) {
        ssize_t n = write(c->fd, p, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return CTL_ERR_IO;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Read what comes before deadline into rx. 0, CTL_ERR_TIMEOUT or _IO. */
static int fill(struct ctl_client *c, uint64_t deadline)
{
    struct pollfd p = { .fd = c->fd, .events = POLLIN };
    uint64_t now = now_ms();
    ssize_t n;
    int rc;

    if (now >= deadline)
        return CTL_ERR_TIMEOUT;
    rc = poll(&p, 1, (int)(deadline - now));
    if (rc < 0)
        return errno == EINTR ? 0 : CTL_ERR_IO;
    if (rc == 0)
        return CTL_ERR_TIMEOUT;
    n = read(c->fd, c->rx + c->rx_len, RX_SIZE - c->rx_len);
    if (n < 0)
        return errno == EINTR || errno == EAGAIN ? 0 : CTL_ERR_IO;
    if (n == 0)
        return CTL_ERR_IO;
    c->rx_len += (size_t)n;
    return 0;
}

static void consume(struct ctl_client *c, size_t n)
{
    memmove(c->rx, c->rx + n, c->rx_len - n);
    c->rx_len -= n;
}

enum { GOT_REPLY, GOT_NOTICE, RESEND };

/*
 * Wait for the reply to seq (or, with notice, a notice for it): GOT_* with
 * the frame's header in *h and payload copied to rep; RESEND when the agent
 * says our frame was damaged or its reply to us was; or CTL_ERR_*.
 */
static int wait_reply(struct ctl_client *c, uint32_t seq, int notice, uint64_t deadline,
                      struct ctl_hdr *h, void *rep, uint32_t rep_max, uint32_t *rep_len)
{
    for (;;) {
        struct ctl_parse r;
        int rc;

        ctl_parse(c->rx, c->rx_len, 0, &r);
        if (r.kind == CTL_PARSE_NEED) {
            consume(c, r.consumed);
            rc = fill(c, deadline);
            if (rc < 0)
                return rc;
            continue;
        }
        *h = r.hdr;
        if (r.kind == CTL_PARSE_BAD) {
            c->stats.bad_frames++;
            consume(c, r.consumed);
            if (r.hdr_ok && r.hdr.seq == seq)
                return RESEND;          /* our reply came damaged */
            continue;
        }
        if (!(h->flags & CTL_F_REPLY) || (h->seq != seq && h->seq != 0) ||
            !(h->flags & CTL_F_NOTICE) != !notice) {
            c->stats.stale_frames++;
            consume(c, r.consumed);
            continue;
        }
        if (h->seq == 0) {              /* the agent saw a damaged frame */
            consume(c, r.consumed);
            if (h->type == CTL_T_NONE && h->status < 0)
                return RESEND;
            continue;
        }
        if (h->len > rep_max) {
            consume(c, r.consumed);
            return CTL_ERR_PROTO;
        }
        if (h->len)
            memcpy(rep, r.payload, h->len);
        if (rep_len)
            *rep_len = h->len;
        consume(c, r.consumed);
        return notice ? GOT_NOTICE : GOT_REPLY;
    }
}

static uint32_t next_seq(struct ctl_client *c)
{
    if (++c->seq == 0)
        c->seq = 1;
    return c->seq;
}

int ctl_call(struct ctl_client *c, uint16_t type, const void *req, uint32_t req_len,
             void *rep, uint32_t rep_max, uint32_t *rep_len)
{
    uint32_t seq = next_seq(c);
    size_t len = ctl_frame_build(c->tx, sizeof(c->tx), type, 0, seq, 0, req, req_len);
    uint8_t scratch[1];

    if (!len)
        return CTL_ERR_ARG;
    if (!rep) {
        rep = scratch;
        rep_max = 0;
    }
    c->stats.requests++;
    for (unsigned int attempt = 0; attempt <= c->retries; attempt++) {
        struct ctl_hdr h;
        int rc;

        if (attempt)
            c->stats.resends++;
        rc = send_all(c, c->tx, len);
        if (rc < 0)
            return rc;
        rc = wait_reply(c, seq, 0, now_ms() + c->timeout_ms, &h, rep, rep_max, rep_len);
        if (rc == CTL_ERR_TIMEOUT) {
            c->stats.timeouts++;
            continue;
        }
        if (rc == RESEND)
            continue;
        if (rc < 0)
            return rc;
        if (h.type != type)
            return CTL_ERR_PROTO;
        return h.status;
    }
    return CTL_ERR_TIMEOUT;
}

/* ------------------------------------------------------------ requests */

/* A reply of exactly `size` octets, or CTL_ERR_PROTO. */
static int call_fixed(struct ctl_client *c, uint16_t type, const void *req, uint32_t req_len,
                      void *rep, uint32_t size)
{
    uint32_t got = 0;
    int rc = ctl_call(c, type, req, req_len, rep, size, &got);

    if (rc >= 0 && got != size)
        return CTL_ERR_PROTO;
    return rc;
}

int ctl_ping(struct ctl_client *c, struct ctl_ping_rep *out)
{
    int rc = call_fixed(c, CTL_T_PING, NULL, 0, out, sizeof(*out));

    if (rc >= 0)
        out->agent[CTL_AGENT_NAME_LEN - 1] = 0;
    return rc;
}

/* LIST and MEMMAP: a ctl_list_rep and nr entries of `each` octets. */
static int call_table(struct ctl_client *c, uint16_t type, void *out, size_t each,
                      uint32_t max, uint32_t *nr)
{
    uint8_t *buf = c->scratch;
    struct ctl_list_rep head;
    uint32_t got = 0;
    int rc = ctl_call(c, type, NULL, 0, buf, CTL_PAYLOAD_MAX, &got);

    if (rc < 0)
        return rc;
    if (got < sizeof(head))
        return CTL_ERR_PROTO;
    memcpy(&head, buf, sizeof(head));
    if (got != sizeof(head) + head.nr * each)
        return CTL_ERR_PROTO;
    *nr = head.nr < max ? head.nr : max;
    memcpy(out, buf + sizeof(head), *nr * each);
    return rc;
}

int ctl_list(struct ctl_client *c, struct control_domain_info *out, uint32_t max, uint32_t *nr)
{
    return call_table(c, CTL_T_LIST, out, sizeof(*out), max, nr);
}

int ctl_memmap(struct ctl_client *c, struct control_e820 *out, uint32_t max, uint32_t *nr)
{
    return call_table(c, CTL_T_MEMMAP, out, sizeof(*out), max, nr);
}

static int domid_call(struct ctl_client *c, uint16_t type, uint16_t domid, void *rep,
                      uint32_t size)
{
    struct ctl_domid_req r = { .domid = domid };

    return call_fixed(c, type, &r, sizeof(r), rep, size);
}

int ctl_domain_info(struct ctl_client *c, uint16_t domid, struct control_domain_info *out)
{
    int rc = domid_call(c, CTL_T_INFO, domid, out, sizeof(*out));

    if (rc >= 0)
        out->name[CONTROL_NAME_LEN - 1] = 0;
    return rc;
}

int ctl_domain_pause(struct ctl_client *c, uint16_t domid)
{
    return domid_call(c, CTL_T_PAUSE, domid, NULL, 0);
}

int ctl_domain_unpause(struct ctl_client *c, uint16_t domid)
{
    return domid_call(c, CTL_T_UNPAUSE, domid, NULL, 0);
}

int ctl_domain_destroy(struct ctl_client *c, uint16_t domid)
{
    return domid_call(c, CTL_T_DESTROY, domid, NULL, 0);
}

/*
 * One chunk. The agent answers a frame that arrived damaged (-EBADMSG: bad
 * data CRC) or stalled inside (-EIO: no byte for CTL_RX_TIMEOUT_MS, as a
 * busy host's line can) without running it, and a chunk may be written
 * twice: send it again, up to the client's retries.
 */
static int upload_chunk(struct ctl_client *c, const uint8_t *chunk, uint32_t len)
{
    int rc;

    for (unsigned int attempt = 0;; attempt++) {
        rc = ctl_call(c, CTL_T_UPLOAD_CHUNK, chunk, len, NULL, 0, NULL);
        if ((rc != -BATON_EIO && rc != -BATON_EBADMSG) || attempt >= c->retries)
            return rc;
        c->stats.resends++;
    }
}

int ctl_upload(struct ctl_client *c, const void *data, uint64_t size,
               ctl_progress_fn progress, void *arg)
{
    uint8_t *chunk = c->scratch;
    struct ctl_upload_begin_req begin = { .size = size };
    struct ctl_upload_begin_rep room;
    struct ctl_upload_end_req end = { .size = size, .crc = ctl_crc32(0, data, size) };
    int rc = call_fixed(c, CTL_T_UPLOAD_BEGIN, &begin, sizeof(begin), &room, sizeof(room));

    if (rc < 0)
        return rc;
    if (progress)
        progress(0, size, arg);
    for (uint64_t off = 0; off < size;) {
        struct ctl_upload_chunk_req h = { .offset = off };
        uint32_t n = size - off < CTL_CHUNK_MAX ? (uint32_t)(size - off) : CTL_CHUNK_MAX;

        memcpy(chunk, &h, sizeof(h));
        memcpy(chunk + sizeof(h), (const uint8_t *)data + off, n);
        rc = upload_chunk(c, chunk, (uint32_t)sizeof(h) + n);
        if (rc < 0)
            return rc;
        off += n;
        if (progress)
            progress(off, size, arg);
    }
    return call_fixed(c, CTL_T_UPLOAD_END, &end, sizeof(end), NULL, 0);
}

int ctl_domain_create(struct ctl_client *c, const void *image, uint64_t size,
                      const char *config, ctl_progress_fn progress, void *arg,
                      uint16_t *domid)
{
    uint8_t *req = c->scratch;
    size_t clen = config ? strlen(config) : 0;
    struct ctl_create_req r = { .image_offset = 0, .image_size = size,
                                .config_len = (uint32_t)clen };
    struct ctl_domid_req out;
    int rc;

    if (clen > CONTROL_CONFIG_MAX)
        return CTL_ERR_ARG;
    rc = ctl_upload(c, image, size, progress, arg);
    if (rc < 0)
        return rc;
    memcpy(req, &r, sizeof(r));
    memcpy(req + sizeof(r), config, clen);
    rc = call_fixed(c, CTL_T_CREATE, req, (uint32_t)(sizeof(r) + clen), &out, sizeof(out));
    if (rc >= 0 && domid)
        *domid = out.domid;
    return rc;
}

int ctl_dmesg(struct ctl_client *c, uint64_t offset, void *buf, uint32_t max,
              struct ctl_dmesg_rep *out)
{
    uint8_t *rep = c->scratch;
    struct ctl_dmesg_req r = { .offset = offset, .max = max < CTL_DMESG_MAX ? max : CTL_DMESG_MAX };
    uint32_t got = 0;
    int rc = ctl_call(c, CTL_T_DMESG, &r, sizeof(r), rep, CTL_PAYLOAD_MAX, &got);

    if (rc < 0)
        return rc;
    if (got < sizeof(*out))
        return CTL_ERR_PROTO;
    memcpy(out, rep, sizeof(*out));
    if (out->len > r.max || got != sizeof(*out) + out->len)
        return CTL_ERR_PROTO;
    memcpy(buf, rep + sizeof(*out), out->len);
    return rc;
}

int ctl_version(struct ctl_client *c, struct control_version_info *out)
{
    int rc = call_fixed(c, CTL_T_VERSION, NULL, 0, out, sizeof(*out));

    if (rc >= 0) {
        out->version[sizeof(out->version) - 1] = 0;
        out->build_id[sizeof(out->build_id) - 1] = 0;
    }
    return rc;
}

int ctl_rehearse(struct ctl_client *c)
{
    return ctl_call(c, CTL_T_REHEARSE, NULL, 0, NULL, 0, NULL);
}

int ctl_kexec_get_range(struct ctl_client *c, int32_t range, int32_t nr,
                        uint64_t *start, uint64_t *size)
{
    struct ctl_kexec_range_req r = { .range = range, .nr = nr };
    struct ctl_kexec_range_rep out;
    int rc = call_fixed(c, CTL_T_KEXEC_RANGE, &r, sizeof(r), &out, sizeof(out));

    if (rc >= 0) {
        *start = out.start;
        *size = out.size;
    }
    return rc;
}

int ctl_kexec_load(struct ctl_client *c, uint8_t type, uint64_t entry_maddr,
                   const struct ctl_kexec_segment *segs, uint32_t nr)
{
    uint8_t req[sizeof(struct ctl_kexec_load_req) +
                CTL_KEXEC_SEGMENTS_MAX * sizeof(struct ctl_kexec_segment)];
    struct ctl_kexec_load_req r = { .type = type, .arch = KEXEC_ARCH_X86_64,
                                    .nr_segments = nr, .entry_maddr = entry_maddr };

    if (nr > CTL_KEXEC_SEGMENTS_MAX)
        return CTL_ERR_ARG;
    memcpy(req, &r, sizeof(r));
    if (nr)
        memcpy(req + sizeof(r), segs, nr * sizeof(*segs));
    return ctl_call(c, CTL_T_KEXEC_LOAD, req, (uint32_t)(sizeof(r) + nr * sizeof(*segs)),
                    NULL, 0, NULL);
}

static int kexec_type_call(struct ctl_client *c, uint16_t t, uint8_t type)
{
    struct ctl_kexec_type_req r = { .type = type };

    return call_fixed(c, t, &r, sizeof(r), NULL, 0);
}

int ctl_kexec_unload(struct ctl_client *c, uint8_t type)
{
    return kexec_type_call(c, CTL_T_KEXEC_UNLOAD, type);
}

int ctl_kexec_status(struct ctl_client *c, uint8_t type)
{
    return kexec_type_call(c, CTL_T_KEXEC_STATUS, type);
}

int ctl_kexec_exec(struct ctl_client *c, uint8_t type, unsigned int wait_ms,
                   int *exec_status)
{
    int rc = kexec_type_call(c, CTL_T_KEXEC_EXEC, type);
    struct ctl_hdr h;

    if (rc < 0)
        return rc;
    rc = wait_reply(c, c->seq, 1, now_ms() + wait_ms, &h, NULL, 0, NULL);
    if (type == KEXEC_TYPE_LIVE_UPDATE) {
        /* the agent itself crosses the update: its notice is the answer */
        if (rc != GOT_NOTICE)
            return rc < 0 ? rc : CTL_ERR_PROTO;
        if (exec_status)
            *exec_status = h.status;
        return h.status == 0 ? 0 : CTL_ERR_EXEC;
    }
    if (rc == GOT_NOTICE) {
        if (exec_status)
            *exec_status = h.status;
        return CTL_ERR_EXEC;
    }
    return 0;   /* silence (or the line went away): the jump went */
}
