/*
 * The Baton face of the libxenctrl shim (see libxenctrl.c, xcshim.h): one
 * control session per process over the client library hvctl uses
 * (tools/lib/ctl_client.c), the marshalling of a kexec load into one
 * upload plus segments with offsets into it, and Baton's errors as errno.
 *
 * kexec-tools is single-threaded, and the client is stop and wait: the
 * session has no lock.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <public/errno.h>
#include "ctl_client.h"
#include "xcshim.h"

#define EXEC_WAIT_LU_TEXT   "60 s"    /* CTL_EXEC_WAIT_LU_MS, for messages */

_Static_assert(XCSHIM_SEGMENTS_MAX == CTL_KEXEC_SEGMENTS_MAX, "xcshim.h's segment limit");

static struct {
    struct ctl_client *c;
    unsigned int refs;
} session;

/* ------------------------------------------------------------ errors */

static const struct {
    int err, errno_value;
} errnos[] = {
    { -BATON_EPERM, EPERM }, { -BATON_ENOENT, ENOENT }, { -BATON_EIO, EIO },
    { -BATON_E2BIG, E2BIG }, { -BATON_EBADF, EBADF }, { -BATON_EAGAIN, EAGAIN },
    { -BATON_ENOMEM, ENOMEM }, { -BATON_EFAULT, EFAULT }, { -BATON_EBUSY, EBUSY },
    { -BATON_EEXIST, EEXIST }, { -BATON_EINVAL, EINVAL }, { -BATON_ENOSPC, ENOSPC },
    { -BATON_ERANGE, ERANGE }, { -BATON_ENOSYS, ENOSYS }, { -BATON_EBADMSG, EBADMSG },
    { -BATON_EOVERFLOW, EOVERFLOW }, { -BATON_EOPNOTSUPP, EOPNOTSUPP },
    { CTL_ERR_CONNECT, ECONNREFUSED }, { CTL_ERR_TIMEOUT, ETIMEDOUT },
    { CTL_ERR_IO, EIO }, { CTL_ERR_PROTO, EPROTO }, { CTL_ERR_ARG, EINVAL },
    { CTL_ERR_EXEC, EIO },
};

int xcshim_errno(int err)
{
    if (err >= 0)
        return 0;
    for (size_t i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
        if (errnos[i].err == err)
            return errnos[i].errno_value;
    return EIO;
}

/* A failed request: the reason (and where to look further) on stderr, errno, -1. */
static int fail_hint(const char *what, int rc, const char *hint)
{
    fprintf(stderr, XCSHIM_PREFIX ": %s: %s (%s)\n%s%s%s", what, ctl_strerror(rc),
            ctl_errname(rc), hint ? XCSHIM_PREFIX ": " : "", hint ? hint : "", hint ? "\n" : "");
    errno = xcshim_errno(rc);
    return -1;
}

static int fail(const char *what, int rc)
{
    return fail_hint(what, rc, NULL);
}

/* A refusal on this side, before anything is sent. */
static int refuse(int errno_value, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int refuse(int errno_value, const char *fmt, ...)
{
    va_list ap;

    fputs(XCSHIM_PREFIX ": ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    errno = errno_value;
    return -1;
}

/* ------------------------------------------------------------ the session */

int xcshim_open(void)
{
    const char *spec = getenv(CTL_ENV);
    int rc, saved;

    if (session.refs) {
        session.refs++;
        return 0;
    }
    if (!spec || !*spec)
        return refuse(EINVAL, "%s is not set: it says where Baton's control line is, as for "
                      "hvctl (unix:PATH, tty:PATH, pty:PATH or a bare PATH)", CTL_ENV);
    errno = 0;
    rc = ctl_open(spec, &session.c);
    if (rc < 0) {
        saved = errno;  /* what connect() or open() said, if it got that far */
        fprintf(stderr, XCSHIM_PREFIX ": %s=%s: %s%s%s\n", CTL_ENV, spec, ctl_strerror(rc),
                saved ? ": " : "", saved ? strerror(saved) : "");
        session.c = NULL;
        errno = saved ? saved : xcshim_errno(rc);
        return -1;
    }
    session.refs = 1;
    return 0;
}

void xcshim_close(void)
{
    if (!session.refs || --session.refs)
        return;
    ctl_close(session.c);
    session.c = NULL;
}

/* The open session, or NULL (EBADF) when the caller has none. */
static struct ctl_client *client(const char *what)
{
    if (!session.c)
        refuse(EBADF, "%s: no open interface (xc_interface_open first)", what);
    return session.c;
}

/* A kexec type must fit the protocol's octet. */
static bool bad_type(const char *what, int type)
{
    if (type >= 0 && type <= UINT8_MAX)
        return false;
    refuse(EINVAL, "%s: kexec type %d", what, type);
    return true;
}

/* ------------------------------------------------------------ marshalling */

static int why_not(char *why, size_t len, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int why_not(char *why, size_t len, int err, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, len, fmt, ap);
    va_end(ap);
    return err;
}

/* One segment on its own: what Xen's kimage would refuse anyway. */
static int check_segment(const struct xcshim_seg *s, uint32_t i, char *why, size_t len)
{
    if (!s->buf && s->buf_size)
        return why_not(why, len, EINVAL, "segment %" PRIu32 ": a null buffer of %" PRIu64
                       " octets", i, s->buf_size);
    if (s->buf_size > s->dest_size)
        return why_not(why, len, EINVAL, "segment %" PRIu32 ": %" PRIu64 " octets do not fit "
                       "its %" PRIu64 "-octet destination", i, s->buf_size, s->dest_size);
    if (s->dest_maddr + s->dest_size < s->dest_maddr)
        return why_not(why, len, EINVAL, "segment %" PRIu32 ": destination 0x%" PRIx64
                       " + 0x%" PRIx64 " wraps around", i, s->dest_maddr, s->dest_size);
    return 0;
}

int xcshim_marshal(uint16_t arch, const struct xcshim_seg *segs, uint32_t nr,
                   struct ctl_kexec_segment *out, uint64_t *blob_size, char *why,
                   size_t why_len)
{
    uint64_t off = 0;
    int err;

    if (arch != KEXEC_ARCH_X86_64)
        return why_not(why, why_len, EINVAL, "arch %u: Baton loads x86-64 images only "
                       "(ELF machine %u)", arch, KEXEC_ARCH_X86_64);
    if (nr > CTL_KEXEC_SEGMENTS_MAX)
        return why_not(why, why_len, EINVAL, "%" PRIu32 " segments: a load carries at most "
                       "%u", nr, CTL_KEXEC_SEGMENTS_MAX);
    if (nr && !segs)
        return why_not(why, why_len, EINVAL, "no segment array for %" PRIu32 " segments", nr);
    for (uint32_t i = 0; i < nr; i++) {
        const struct xcshim_seg *s = &segs[i];

        err = check_segment(s, i, why, why_len);
        if (err)
            return err;
        if (!s->buf) {      /* identity-mapped by kexec, never copied */
            out[i] = (struct ctl_kexec_segment){ CTL_KEXEC_NOBUF, 0, s->dest_maddr,
                                                 s->dest_size };
            continue;
        }
        if (s->buf_size > UINT64_MAX - off || s->buf_size > SIZE_MAX - off)
            return why_not(why, why_len, EOVERFLOW, "segment %" PRIu32 ": the buffers add up "
                           "to more than this process can hold", i);
        out[i] = (struct ctl_kexec_segment){ off, s->buf_size, s->dest_maddr, s->dest_size };
        off += s->buf_size;
    }
    *blob_size = off;
    return 0;
}

void xcshim_pack(const struct xcshim_seg *segs, uint32_t nr,
                 const struct ctl_kexec_segment *out, uint8_t *blob)
{
    for (uint32_t i = 0; i < nr; i++)
        if (out[i].offset != CTL_KEXEC_NOBUF && out[i].size)
            memcpy(blob + out[i].offset, segs[i].buf, out[i].size);
}

/* ------------------------------------------------------------ requests */

int xcshim_memmap(struct xcshim_e820 *out, uint32_t max)
{
    struct control_e820 map[CTL_MEMMAP_MAX];
    struct ctl_client *c = client("memory map");
    uint32_t nr = 0;
    int rc;

    if (!c)
        return -1;
    rc = ctl_memmap(c, map, CTL_MEMMAP_MAX, &nr);
    if (rc < 0)
        return fail("memory map", rc);
    if (nr > max)
        return refuse(E2BIG, "memory map: %" PRIu32 " entries, room for %" PRIu32, nr, max);
    for (uint32_t i = 0; i < nr; i++)
        out[i] = (struct xcshim_e820){ map[i].addr, map[i].size, map[i].type };
    return (int)nr;
}

int xcshim_kexec_range(int range, int nr, uint64_t *size, uint64_t *start)
{
    struct ctl_client *c = client("kexec range");
    uint64_t s = 0, len = 0;
    int rc;

    if (!c)
        return -1;
    rc = ctl_kexec_get_range(c, range, nr, &s, &len);
    if (rc < 0)
        return fail("kexec range", rc);
    if (size)
        *size = len;
    if (start)
        *start = s;
    return 0;
}

/* Upload progress, for a person watching (a terminal). */
static void progress(uint64_t done, uint64_t total, void *arg)
{
    (void)arg;
    fprintf(stderr, "\r" XCSHIM_PREFIX ": upload %" PRIu64 " of %" PRIu64 " KiB",
            done >> 10, total >> 10);
    if (done == total)
        fputc('\n', stderr);
}

/*
 * Upload progress for a program driving kexec (tools/baton-update):
 * BATON_PROGRESS_FD=N makes every chunk write "upload DONE TOTAL\n" (octets)
 * to descriptor N, which the caller passed open. Opt-in, since kexec-tools'
 * own output must stay what Debian's is. -1: not asked for, or not a number.
 */
static int progress_fd(void)
{
    const char *s = getenv(XCSHIM_PROGRESS_ENV);
    char *end;
    long fd;

    if (!s || !*s)
        return -1;
    fd = strtol(s, &end, 10);
    if (*end || fd < 0 || fd > 1023)
        return -1;
    return (int)fd;
}

static void progress_to_fd(uint64_t done, uint64_t total, void *arg)
{
    int fd = (int)(intptr_t)arg;

    /* a reader that went away costs the bar, never the load */
    (void)dprintf(fd, "upload %" PRIu64 " %" PRIu64 "\n", done, total);
}

/* The blob's octets up, then the load that refers to them. */
static int upload_blob(struct ctl_client *c, const uint8_t *blob, uint64_t size)
{
    int fd = progress_fd();

    if (fd >= 0)
        return ctl_upload(c, blob, size, progress_to_fd, (void *)(intptr_t)fd);
    return ctl_upload(c, blob, size, isatty(STDERR_FILENO) ? progress : NULL, NULL);
}

/* The blob's octets up, then the load that refers to them. */
static int upload_and_load(struct ctl_client *c, int type, uint64_t entry, uint32_t nr,
                           const struct xcshim_seg *segs, const struct ctl_kexec_segment *out,
                           uint64_t size)
{
    uint8_t *blob = malloc(size ? size : 1);
    int rc;

    if (!blob)
        return refuse(ENOMEM, "kexec load: no memory for %" PRIu64 " octets", size);
    xcshim_pack(segs, nr, out, blob);
    rc = upload_blob(c, blob, size);
    free(blob);
    if (rc < 0)
        return fail("kexec load: upload", rc);
    rc = ctl_kexec_load(c, (uint8_t)type, entry, out, nr);
    if (rc < 0)
        return fail_hint("kexec load", rc, "the hypervisor's log (hvctl dmesg) names the "
                         "segment and the rule");
    return 0;
}

int xcshim_kexec_load(int type, uint16_t arch, uint64_t entry, uint32_t nr,
                      const struct xcshim_seg *segs)
{
    struct ctl_kexec_segment out[CTL_KEXEC_SEGMENTS_MAX];
    struct ctl_client *c = client("kexec load");
    char why[200];
    uint64_t size = 0;
    int err;

    if (!c || bad_type("kexec load", type))
        return -1;
    err = xcshim_marshal(arch, segs, nr, out, &size, why, sizeof(why));
    if (err)
        return refuse(err, "kexec load: %s", why);
    return upload_and_load(c, type, entry, nr, segs, out, size);
}

int xcshim_kexec_unload(int type)
{
    struct ctl_client *c = client("kexec unload");
    int rc;

    if (!c || bad_type("kexec unload", type))
        return -1;
    rc = ctl_kexec_unload(c, (uint8_t)type);
    return rc < 0 ? fail("kexec unload", rc) : 0;
}

int xcshim_kexec_status(int type)
{
    struct ctl_client *c = client("kexec status");
    int rc;

    if (!c || bad_type("kexec status", type))
        return -1;
    rc = ctl_kexec_status(c, (uint8_t)type);
    return rc < 0 ? fail("kexec status", rc) : rc;
}

/*
 * The agent answers, then jumps (ctl_kexec_exec). A default kexec: 0 is
 * "it jumped" (no failure notice came). A live update: domain 0 crosses
 * it, and 0 is "done": its agent answered from the new build.
 */
int xcshim_kexec_exec(int type)
{
    struct ctl_client *c = client("kexec exec");
    bool lu = type == KEXEC_TYPE_LIVE_UPDATE;
    int status = 0, rc;

    if (!c || bad_type("kexec exec", type))
        return -1;
    rc = ctl_kexec_exec(c, (uint8_t)type, lu ? CTL_EXEC_WAIT_LU_MS : CTL_EXEC_WAIT_MS, &status);
    if (rc == CTL_ERR_EXEC)
        return refuse(status < 0 ? xcshim_errno(status) : EIO, "kexec exec: the hypervisor accepted, then failed: "
                      "%s (%s)%s", ctl_strerror(status), ctl_errname(status),
                      lu ? "; the live update did not happen, the domains run on in the "
                      "old build" : "");
    if (rc == -BATON_ENOENT)
        return fail_hint("kexec exec", rc, "no image of that type is loaded");
    /* this side's errors: the request or the notice went missing */
    if (lu && (rc == CTL_ERR_TIMEOUT || rc == CTL_ERR_IO || rc == CTL_ERR_PROTO))
        return fail_hint("kexec exec", rc, "no notice from domain 0's agent within the "
                         EXEC_WAIT_LU_TEXT " a live update may take: whether it happened "
                         "is unknown (the hypervisor's console says)");
    return rc < 0 ? fail("kexec exec", rc) : 0;
}
