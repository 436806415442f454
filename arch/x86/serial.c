/* 16550 UART on COM1: polled output for the hypervisor console. */
#include <asm/io.h>
#include <baton/console.h>

#define COM1        0x3f8
#define UART_THR    0       /* transmit holding */
#define UART_IER    1
#define UART_DLL    0
#define UART_DLM    1
#define UART_FCR    2
#define UART_LCR    3
#define UART_MCR    4
#define UART_LSR    5
#define LSR_THRE    0x20

static uint16_t serial_port;

void serial_init(void)
{
    serial_port = COM1;
    outb(COM1 + UART_IER, 0x00);    /* no interrupts: we poll */
    outb(COM1 + UART_LCR, 0x80);    /* divisor latch */
    outb(COM1 + UART_DLL, 0x01);    /* 115200 baud */
    outb(COM1 + UART_DLM, 0x00);
    outb(COM1 + UART_LCR, 0x03);    /* 8N1 */
    outb(COM1 + UART_FCR, 0xc7);    /* FIFO on, cleared */
    outb(COM1 + UART_MCR, 0x03);    /* DTR, RTS */
}

static void serial_putc(char c)
{
    unsigned int spins = 100000;

    /* Bounded wait: a missing UART must not hang the hypervisor. */
    while (!(inb(serial_port + UART_LSR) & LSR_THRE) && --spins)
        cpu_relax();
    outb(serial_port + UART_THR, (uint8_t)c);
}

void serial_write(const char *s, size_t n)
{
    if (!serial_port)
        return;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n')
            serial_putc('\r');
        serial_putc(s[i]);
    }
}
