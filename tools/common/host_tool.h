/* What Baton's host tools share: printk/panic for the hypervisor sources
 * they link, and a fatal error helper. */
#ifndef TOOLS_HOST_TOOL_H
#define TOOLS_HOST_TOOL_H

#include <stdbool.h>
#include <baton/types.h>

/* Set by main(): the name errors start with, and whether printk speaks. */
extern const char *host_tool_name;
extern bool host_tool_verbose;

/* "NAME: message" on stderr, exit status 2. */
__noreturn void die(const char *fmt, ...) __printf(1, 2);

#endif
