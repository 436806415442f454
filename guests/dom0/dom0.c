/*
 * dom0: domain 0. Prints "dom0: up", then serves the control protocol on
 * COM2 (agent.c, ops.c, uart.c) while printing "dom0: alive <n> t=<ms>ms"
 * every period ms (default 5000).
 *
 * Command line: period=MS; ctl=com2 (default) or ctl=off (no agent: for
 * runs without the COM2 ports, e.g. the host guest emulator).
 *
 * Memory: everything from the end of the image to mem_size is the upload
 * staging buffer (images of a few MiB: give domain 0 mem=32M).
 */
#include "rt.h"
#include "agent.h"
#include "uart.h"

#define IDLE_POLL_MS    1       /* how often an idle line is looked at */
/*
 * While a frame flows, poll without yielding for this long before giving
 * the CPU away. The UART holds only 16 octets and the other domains may
 * keep the CPU for a whole slice each: yielding after every FIFO-full
 * would bound an upload to 16 octets per round of the run queue. The
 * scheduler still ends our slice on time, so nobody starves.
 */
#define BUSY_SPIN_NS    (2 * NS_PER_MS)

int64_t agent_control_op(uint32_t cmd, void *arg)
{
    return hc_control_op(cmd, arg);
}

int64_t agent_kexec_op(uint32_t cmd, void *arg)
{
    return hc_kexec_op(cmd, arg);
}

static size_t com2_read(uint8_t *buf, size_t max)
{
    return uart_read(buf, max);
}

static bool com2_write(const uint8_t *buf, size_t len)
{
    return uart_write(buf, len, 2000);
}

static void com2_drain(void)
{
    uart_drain(1000);
}

static const struct agent_io com2_io = {
    .read = com2_read, .write = com2_write, .drain = com2_drain, .now_ms = now_ms,
};

static void check_privilege(void)
{
    if (!(rt_start_info->flags & SIF_PRIVILEGED))
        printf("DOM0 FAIL start info lacks SIF_PRIVILEGED (flags=%#x)\n",
               rt_start_info->flags);
}

/* The agent on COM2, unless ctl=off or no UART answers. */
static bool agent_start(void)
{
    uint64_t base = ((uint64_t)(uintptr_t)__image_end + PV_PAGE_SIZE - 1) & ~(uint64_t)(PV_PAGE_SIZE - 1);
    uint64_t room = rt_mem_size() > base ? rt_mem_size() - base : 0;
    char mode[8];

    rt_param_str("ctl", mode, sizeof(mode), "com2");
    if (strcmp(mode, "off") == 0) {
        printf("dom0: agent off (ctl=off)\n");
        return false;
    }
    if (strcmp(mode, "com2") != 0)
        panic("dom0: ctl=%s: want com2 or off", mode);
    if (!uart_init(COM2_BASE)) {
        printf("dom0: agent off: no UART at %#x\n", COM2_BASE);
        return false;
    }
    ops_init((uint8_t *)(uintptr_t)base, room, rt_domid());
    agent_init(&com2_io);
    printf("dom0: agent on COM2 (%#x), staging %lu KiB at %#lx\n", COM2_BASE,
           room >> 10, base);
    return true;
}

int guest_main(void)
{
    uint64_t period = rt_param_u64("period", 5000) * NS_PER_MS;
    uint64_t deadline = now_ns() + (period ? period : NS_PER_SEC);
    uint64_t spin_start = now_ns();
    bool agent;

    printf("dom0: up (domid %u, %lu MiB, cmdline \"%s\")\n",
           rt_domid(), rt_mem_size() >> 20, rt_cmdline());
    check_privilege();
    agent = agent_start();
    for (uint64_t n = 0;;) {
        bool busy = agent && agent_poll();

        if (now_ns() >= deadline) {
            printf("dom0: alive %lu t=%lums\n", n++, now_ms());
            deadline += period ? period : NS_PER_SEC;
        }
        if (busy) {
            if (now_ns() - spin_start < BUSY_SPIN_NS)
                continue;
            hc_sched_yield();
        } else if (agent) {
            sleep_until(now_ns() + IDLE_POLL_MS * NS_PER_MS);
        } else {
            sleep_until(deadline);
        }
        spin_start = now_ns();
    }
}
