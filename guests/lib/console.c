/*
 * Console output. Before the ring is set up (and in panic) bytes go out by
 * the console_write hypercall; afterwards into the console ring, followed
 * by an event on the console port so the hypervisor drains it.
 */
#include "rt.h"

/* Yields while the ring stays full before we give up on it. */
#define RING_FULL_PATIENCE  1000

void console_write_early(const char *s, size_t len)
{
    while (len) {
        size_t n = len < CONSOLE_WRITE_MAX ? len : CONSOLE_WRITE_MAX;
        int64_t rc = hc_console_write(s, n);
        if (rc <= 0)
            return;             /* nothing more we can do */
        s += rc;
        len -= (size_t)rc;
    }
}

static void ring_notify(void)
{
    evtchn_send(rt_start_info->console_port);
}

/* Free bytes in out[]; -1 if the hypervisor's out_cons makes no sense. */
static int ring_space(const struct console_ring *r, uint32_t prod)
{
    uint32_t cons = __atomic_load_n(&r->out_cons, __ATOMIC_ACQUIRE);
    uint32_t used = prod - cons;

    if (used > CONSOLE_OUT_SIZE)
        return -1;
    return (int)(CONSOLE_OUT_SIZE - used);
}

/* Publish bytes up to prod: the data before the index (release store). */
static void ring_publish(struct console_ring *r, uint32_t prod)
{
    __atomic_store_n(&r->out_prod, prod, __ATOMIC_RELEASE);
    ring_notify();
}

/* Copy into the ring; returns how many bytes did not fit. */
static size_t ring_write(struct console_ring *r, const char *s, size_t len)
{
    uint32_t prod = r->out_prod;
    unsigned patience = RING_FULL_PATIENCE;

    while (len) {
        int space = ring_space(r, prod);
        if (space < 0)
            break;
        if (space == 0) {
            ring_publish(r, prod);
            if (!--patience)
                break;
            hc_sched_yield();
            continue;
        }
        for (; space && len; space--, len--)
            r->out[CONSOLE_OUT_IDX(prod++)] = *s++;
        patience = RING_FULL_PATIENCE;
    }
    ring_publish(r, prod);
    return len;
}

void console_write(const char *s, size_t len)
{
    struct console_ring *r = rt_console;

    if (!r) {
        console_write_early(s, len);
        return;
    }
    /* handlers may print: keep them out while we own out_prod */
    bool was = events_disable();
    size_t left = ring_write(r, s, len);
    events_restore(was);
    if (left)                   /* ring stuck or corrupt: still say it */
        console_write_early(s + len - left, left);
}

int vprintf(const char *fmt, va_list ap)
{
    char buf[1024];
    int n = rt_vsnprintf(buf, sizeof(buf), fmt, ap);
    size_t len = n < 0 ? 0 : (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1;

    console_write(buf, len);
    return n;
}

int printf(const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vprintf(fmt, ap);
    va_end(ap);
    return n;
}
