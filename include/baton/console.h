/* The hypervisor console: COM1 plus an in-memory log ring. */
#ifndef BATON_CONSOLE_H
#define BATON_CONSOLE_H

#include <baton/types.h>

void serial_init(void);
void serial_write(const char *s, size_t n);

/* Write raw text to every console sink (no prefix, no level filter). */
void console_write(const char *s, size_t n);

#endif
