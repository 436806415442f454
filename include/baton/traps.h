/* Hooks into the trap path. */
#ifndef BATON_TRAPS_H
#define BATON_TRAPS_H

#include <asm/regs.h>

void traps_set_irq_handler(unsigned int vector, void (*fn)(struct cpu_user_regs *regs));
void tss_set_rsp0(uint64_t rsp0);
/* I/O ports ring 3 may use from now on: [first, first + count); none if count is 0. */
void tss_set_io_ports(uint16_t first, uint16_t count);
const char *exception_name(unsigned int vector);

#endif
