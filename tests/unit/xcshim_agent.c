/*
 * Domain 0's agent for test_xc_shim: see xcshim_agent.h. The agent's
 * transport and handlers are the real ones; its line is a Unix socket
 * (one connection at a time, as QEMU's socket chardev), and the
 * hypercalls behind it are fakes that keep what they were asked.
 * One mutex covers the agent and the fakes: the test reads them only
 * between its own requests, but the agent thread is still running.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <public/control.h>
#include <public/errno.h>
#include <public/kexec.h>
#include "agent.h"
#include "xcshim_agent.h"

#define STAGING_SIZE    (1u << 20)
#define POLL_MS         2

static struct {
    pthread_t thread;
    pthread_mutex_t lock;
    atomic_bool stop;
    int listen_fd, conn_fd;
    unsigned int connections;
    char dir[64], spec[128];
    uint8_t *staging;
} xa = { .lock = PTHREAD_MUTEX_INITIALIZER, .listen_fd = -1, .conn_fd = -1 };

static struct {
    struct xa_load load;
    bool loaded[3];
    int64_t exec_rc[3];
} fake;

/* ------------------------------------------------------------ the line */

static void drop_conn(void)
{
    if (xa.conn_fd >= 0)
        close(xa.conn_fd);
    xa.conn_fd = -1;
}

static size_t line_read(uint8_t *buf, size_t max)
{
    ssize_t n;

    if (xa.conn_fd < 0)
        return 0;
    n = recv(xa.conn_fd, buf, max, MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
        drop_conn();    /* the client closed its session */
    return n > 0 ? (size_t)n : 0;
}

static bool line_write(const uint8_t *buf, size_t len)
{
    while (len && xa.conn_fd >= 0) {
        ssize_t n = send(xa.conn_fd, buf, len, MSG_NOSIGNAL);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        buf += n;
        len -= (size_t)n;
    }
    return len == 0;
}

static void line_drain(void)
{
}

static uint64_t line_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static const struct agent_io line_io = {
    .read = line_read, .write = line_write, .drain = line_drain, .now_ms = line_now_ms,
};

/* A new client replaces the last, as on a serial line. */
static void accept_client(void)
{
    int fd = accept(xa.listen_fd, NULL, NULL);

    if (fd < 0)
        return;
    drop_conn();
    xa.conn_fd = fd;
    xa.connections++;
}

static void *agent_thread(void *arg)
{
    (void)arg;
    while (!atomic_load(&xa.stop)) {
        struct pollfd p[2] = { { .fd = xa.listen_fd, .events = POLLIN },
                               { .fd = xa.conn_fd, .events = POLLIN } };

        poll(p, xa.conn_fd >= 0 ? 2 : 1, POLL_MS);
        pthread_mutex_lock(&xa.lock);
        if (p[0].revents & POLLIN)
            accept_client();
        agent_poll();
        pthread_mutex_unlock(&xa.lock);
    }
    return NULL;
}

const char *xa_start(void)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };

    strcpy(xa.dir, "/tmp/xcshim-XXXXXX");
    if (!mkdtemp(xa.dir))
        return NULL;
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/ctl", xa.dir);
    snprintf(xa.spec, sizeof(xa.spec), "unix:%s", sa.sun_path);
    xa.listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (xa.listen_fd < 0 || bind(xa.listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        listen(xa.listen_fd, 4) < 0)
        return NULL;
    xa.staging = calloc(1, STAGING_SIZE);
    if (!xa.staging)
        return NULL;
    memset(&fake, 0, sizeof(fake));
    xa.connections = 0;
    ops_init(xa.staging, STAGING_SIZE, 0);
    agent_init(&line_io);
    atomic_store(&xa.stop, false);
    if (pthread_create(&xa.thread, NULL, agent_thread, NULL))
        return NULL;
    return xa.spec;
}

void xa_stop(void)
{
    char path[128];

    atomic_store(&xa.stop, true);
    pthread_join(xa.thread, NULL);
    drop_conn();
    close(xa.listen_fd);
    snprintf(path, sizeof(path), "%s/ctl", xa.dir);
    unlink(path);
    rmdir(xa.dir);
    free(xa.staging);
}

unsigned int xa_connections(void)
{
    unsigned int n;

    pthread_mutex_lock(&xa.lock);
    n = xa.connections;
    pthread_mutex_unlock(&xa.lock);
    return n;
}

uint64_t xa_frames(void)
{
    uint64_t n;

    pthread_mutex_lock(&xa.lock);
    n = agent_stats()->frames;
    pthread_mutex_unlock(&xa.lock);
    return n;
}

void xa_last_load(struct xa_load *out)
{
    pthread_mutex_lock(&xa.lock);
    *out = fake.load;
    pthread_mutex_unlock(&xa.lock);
}

void xa_set_exec_result(int type, int64_t rc)
{
    pthread_mutex_lock(&xa.lock);
    fake.exec_rc[type] = rc;
    pthread_mutex_unlock(&xa.lock);
}

/* ------------------------------------------------------------ the fakes */

static const struct control_e820 fake_map[XA_MAP_NR] = {
    { 0, 0x9f000, CONTROL_E820_RAM, 0 },
    { 0xf0000, 0x10000, 2, 0 },
    { 0x100000, 0x3ff00000, CONTROL_E820_RAM, 0 },
};

void xa_fake_memmap(uint64_t addr[XA_MAP_NR], uint64_t size[XA_MAP_NR],
                    uint32_t type[XA_MAP_NR])
{
    for (unsigned int i = 0; i < XA_MAP_NR; i++) {
        addr[i] = fake_map[i].addr;
        size[i] = fake_map[i].size;
        type[i] = fake_map[i].type;
    }
}

int64_t agent_control_op(uint32_t cmd, void *arg)
{
    struct control_memory_map *m = arg;

    if (cmd != CONTROL_memory_map)
        return -BATON_ENOSYS;
    m->nr = XA_MAP_NR;
    if (m->max < XA_MAP_NR)
        return -BATON_E2BIG;
    memcpy((void *)(uintptr_t)m->buf, fake_map, sizeof(fake_map));
    return 0;
}

static int64_t fake_range(struct kexec_range *r)
{
    if (r->range == KEXEC_RANGE_MA_XEN)
        *r = (struct kexec_range){ r->range, r->nr, XA_XEN_SIZE, XA_XEN_START };
    else if (r->range == KEXEC_RANGE_MA_LIVEUPDATE)
        *r = (struct kexec_range){ r->range, r->nr, XA_LU_SIZE, XA_LU_START };
    else
        return -BATON_EINVAL;
    return 0;
}

/* Keep what the agent passed, as addresses in its staging buffer. */
static int64_t fake_load(const struct kexec_load *l)
{
    const struct kexec_segment *s = (const struct kexec_segment *)(uintptr_t)l->segments;
    struct xa_load *r = &fake.load;

    if (l->type > KEXEC_TYPE_LIVE_UPDATE || l->arch != KEXEC_ARCH_X86_64 ||
        l->nr_segments > KEXEC_SEGMENT_MAX)
        return -BATON_EINVAL;
    r->loads++;
    r->type = l->type;
    r->arch = l->arch;
    r->nr = l->nr_segments;
    r->entry = l->entry_maddr;
    for (uint32_t i = 0; i < l->nr_segments; i++) {
        struct xa_seg *o = &r->segs[i];

        *o = (struct xa_seg){ .null_buf = !s[i].buf, .size = s[i].buf_size,
                              .dest = s[i].dest_maddr, .dest_size = s[i].dest_size };
        if (s[i].buf)
            memcpy(o->bytes, (const void *)(uintptr_t)s[i].buf,
                   s[i].buf_size < XA_SEG_BYTES ? s[i].buf_size : XA_SEG_BYTES);
    }
    fake.loaded[l->type] = true;
    return 0;
}

/* kexec_unload, kexec_status and kexec_exec share the type check. */
static int64_t fake_typed(uint32_t cmd, uint8_t type)
{
    if (type > KEXEC_TYPE_LIVE_UPDATE)
        return -BATON_EINVAL;
    switch (cmd) {
    case KEXEC_CMD_kexec_unload:
        fake.loaded[type] = false;
        return 0;
    case KEXEC_CMD_kexec_status:
        return fake.loaded[type];
    default:
        if (!fake.loaded[type])
            return -BATON_ENOENT;
        return fake.exec_rc[type];
    }
}

int64_t agent_kexec_op(uint32_t cmd, void *arg)
{
    switch (cmd) {
    case KEXEC_CMD_kexec_get_range:
        return fake_range(arg);
    case KEXEC_CMD_kexec_load:
        return fake_load(arg);
    case KEXEC_CMD_kexec_unload:
        return fake_typed(cmd, ((struct kexec_unload *)arg)->type);
    case KEXEC_CMD_kexec_status:
        return fake_typed(cmd, ((struct kexec_status *)arg)->type);
    case KEXEC_CMD_kexec:
        return fake_typed(cmd, (uint8_t)((struct kexec_exec *)arg)->type);
    default:
        return -BATON_ENOSYS;
    }
}
