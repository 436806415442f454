/*
 * printk: levelled console messages. Each line of hypervisor output starts
 * with "(HV) " so that guest output ("(dN) ") is easy to tell apart. Output
 * also goes to a log ring that domain 0 reads (control_op console_read,
 * dmesg): positions count every octet logged since boot, the ring keeps
 * the last LOG_RING_SIZE of them.
 */
#include <baton/arch.h>
#include <baton/console.h>
#include <baton/lib.h>
#include <baton/printk.h>

static int console_level = LOG_INFO;
static char log_ring[LOG_RING_SIZE];
static uint64_t log_ring_pos;           /* octets logged since boot */
static bool at_line_start = true;

void printk_set_level(int level)
{
    console_level = level;
}

void console_write(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        log_ring[log_ring_pos++ % LOG_RING_SIZE] = s[i];
    serial_write(s, n);
}

uint64_t log_ring_end(void)
{
    return log_ring_pos;
}

uint64_t log_ring_start(void)
{
    return log_ring_pos > LOG_RING_SIZE ? log_ring_pos - LOG_RING_SIZE : 0;
}

size_t log_ring_span(uint64_t pos, size_t max, const char **at)
{
    size_t off = pos % LOG_RING_SIZE, n;

    if (pos < log_ring_start() || pos >= log_ring_pos)
        return 0;
    n = MIN(max, MIN(LOG_RING_SIZE - off, log_ring_pos - pos));
    *at = &log_ring[off];
    return n;
}

/* Emit text, putting the prefix in front of every new line. */
static void emit_prefixed(const char *s, size_t n)
{
    while (n) {
        const char *nl = memchr(s, '\n', n);
        size_t chunk = nl ? (size_t)(nl - s) + 1 : n;

        if (at_line_start)
            console_write("(HV) ", 5);
        console_write(s, chunk);
        at_line_start = nl != NULL;
        s += chunk;
        n -= chunk;
    }
}

static void vprintk(int level, const char *fmt, va_list ap)
{
    char buf[512];
    int n;
    unsigned long flags;

    if (level > console_level)
        return;
    n = vsnprintf(buf, sizeof(buf), fmt, ap);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof(buf))
        n = sizeof(buf) - 1;
    flags = arch_irq_save();
    emit_prefixed(buf, (size_t)n);
    arch_irq_restore(flags);
}

void printk(int level, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vprintk(level, fmt, ap);
    va_end(ap);
}

void panic(const char *fmt, ...)
{
    va_list ap;

    arch_irq_disable();
    console_level = LOG_DEBUG;
    printk(LOG_EMERG, "\n**** PANIC: ");
    va_start(ap, fmt);
    vprintk(LOG_EMERG, fmt, ap);
    va_end(ap);
    printk(LOG_EMERG, "\n**** Baton halted\n");
    arch_halt();
}
