/* COM2 16550 by polling: see uart.h. */
#include "rt.h"
#include "uart.h"

#define UART_RBR    0   /* receive buffer (DLAB 0) */
#define UART_THR    0   /* transmit holding (DLAB 0) */
#define UART_DLL    0   /* divisor low (DLAB 1) */
#define UART_IER    1   /* interrupt enable (DLAB 0) */
#define UART_DLM    1   /* divisor high (DLAB 1) */
#define UART_FCR    2   /* FIFO control (write) */
#define UART_LCR    3
#define UART_MCR    4
#define UART_LSR    5
#define UART_SCR    7

#define LCR_DLAB    0x80
#define LCR_8N1     0x03
#define FCR_ENABLE  0x01
#define FCR_CLEAR   0x06    /* both FIFOs */
#define FCR_TRIG14  0xc0
#define MCR_DTR_RTS 0x03    /* OUT2 off: no interrupt wanted */
#define LSR_DR      0x01
#define LSR_THRE    0x20    /* with FIFOs: the transmit FIFO is empty */
#define LSR_TEMT    0x40
#define UART_FIFO   16u

static uint16_t uart_base;

static inline uint8_t inb(uint16_t port)
{
    uint8_t v;

    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

bool uart_init(uint16_t base)
{
    uart_base = base;
    outb(base + UART_SCR, 0x5a);
    if (inb(base + UART_SCR) != 0x5a)
        return false;
    outb(base + UART_IER, 0);
    outb(base + UART_LCR, LCR_DLAB);
    outb(base + UART_DLL, 1);           /* 115200 = 1.8432 MHz / 16 / 1 */
    outb(base + UART_DLM, 0);
    outb(base + UART_LCR, LCR_8N1);
    outb(base + UART_FCR, FCR_ENABLE | FCR_CLEAR | FCR_TRIG14);
    outb(base + UART_MCR, MCR_DTR_RTS);
    while (inb(base + UART_LSR) & LSR_DR)   /* bounded by the FIFO's size */
        (void)inb(base + UART_RBR);
    return true;
}

/*
 * An empty receive FIFO is looked at again only after this long. Under
 * emulation every port read takes the emulator's big lock, which its I/O
 * thread needs to refill the FIFO: polling back to back can starve that
 * thread for long stretches on a loaded host (an upload then stalls past
 * CTL_RX_TIMEOUT_MS). 20 us between looks still allows 800 KB/s.
 */
#define RX_EMPTY_BACKOFF_NS 20000

size_t uart_read(uint8_t *buf, size_t max)
{
    size_t n = 0;

    while (n < max && (inb(uart_base + UART_LSR) & LSR_DR))
        buf[n++] = inb(uart_base + UART_RBR);
    if (n == 0) {
        uint64_t until = now_ns() + RX_EMPTY_BACKOFF_NS;

        while (now_ns() < until)
            __asm__ volatile("pause");
    }
    return n;
}

/* Spin this long on a busy transmitter before yielding per poll: the
 * emulated line empties its FIFO in microseconds, far sooner than a round
 * of the other domains' slices would give the CPU back. */
#define TX_SPIN_NS  (NS_PER_MS / 5)   /* 200 us */

static bool wait_lsr(uint8_t bit, uint64_t deadline_ns)
{
    uint64_t spin_until = now_ns() + TX_SPIN_NS;

    while (!(inb(uart_base + UART_LSR) & bit)) {
        uint64_t now = now_ns();

        if (now >= deadline_ns)
            return false;
        if (now >= spin_until)
            hc_sched_yield();
    }
    return true;
}

bool uart_write(const uint8_t *buf, size_t len, uint64_t timeout_ms)
{
    uint64_t deadline = now_ns() + timeout_ms * NS_PER_MS;

    while (len) {
        size_t n = len < UART_FIFO ? len : UART_FIFO;

        if (!wait_lsr(LSR_THRE, deadline))
            return false;
        for (size_t i = 0; i < n; i++)
            outb(uart_base + UART_THR, buf[i]);
        buf += n;
        len -= n;
    }
    return true;
}

void uart_drain(uint64_t timeout_ms)
{
    wait_lsr(LSR_TEMT, now_ns() + timeout_ms * NS_PER_MS);
}
