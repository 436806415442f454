/*
 * The one host shim for programs built from hypervisor sources (tools, unit
 * tests, fuzz targets): printk, printk_set_level and panic as
 * <baton/printk.h> declares them, and die() for tools.
 *
 * printk formats every message (so a bad argument still trips the
 * sanitizers) into a log the program can search, and echoes it on stderr
 * when host_tool_verbose is set or BATON_HOST_VERBOSE (or the older
 * HARNESS_VERBOSE, LU_FUZZ_VERBOSE) is in the environment. panic calls
 * host_panic_hook when set (the unit harness fails the test), then aborts.
 */
#ifndef TOOLS_LIB_HOST_SHIM_H
#define TOOLS_LIB_HOST_SHIM_H

#include <stdbool.h>
#include <baton/types.h>

/* Set by main(): the name errors start with, and whether printk speaks. */
extern const char *host_tool_name;
extern bool host_tool_verbose;
/* Called by panic() with the message before it aborts; may not return. */
extern void (*host_panic_hook)(const char *msg);

/* "NAME: message" on stderr, exit status 2. */
__noreturn void die(const char *fmt, ...) __printf(1, 2);

/* Everything printk()ed since the last host_log_clear() (64 KiB at most). */
const char *host_log(void);
void host_log_clear(void);
bool host_log_has(const char *text);

#endif
