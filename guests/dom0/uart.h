/*
 * COM2, the control line: a 16550 driven by polling from ring 3 (domain 0
 * is granted ports 0x2f8-0x2ff through the TSS I/O bitmap; no interrupt
 * reaches a guest from it). 115200 8N1, FIFOs on.
 */
#ifndef DOM0_UART_H
#define DOM0_UART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define COM2_BASE       0x2f8

/* Program the line; false if no UART answers at base (scratch test). */
bool uart_init(uint16_t base);
/* Whatever the receive FIFO holds, up to max octets. */
size_t uart_read(uint8_t *buf, size_t max);
/* Send len octets; gives up (returns false) if the transmitter stays busy
 * for more than timeout_ms in all. */
bool uart_write(const uint8_t *buf, size_t len, uint64_t timeout_ms);
/* Wait until the shift register is empty too (before a kexec). */
void uart_drain(uint64_t timeout_ms);

#endif
