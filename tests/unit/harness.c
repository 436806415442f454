/*
 * Host harness for unit tests: printk collects into a log the tests can
 * search (and echoes it when HARNESS_VERBOSE is set), panic fails the test.
 *
 * The printk, panic and log themselves are the one host shim,
 * tools/lib/host_shim.c, compiled into this file so that every unit test
 * listing tests/unit/harness.c gets it; a unit test must not also link
 * tools/lib/host_shim.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../tools/lib/host_shim.c"
#include "harness.h"

static void harness_panic(const char *msg)
{
    fail_msg("panic: %s", msg);
}

__attribute__((constructor)) static void harness_init(void)
{
    host_tool_name = "unit-test";
    host_panic_hook = harness_panic;
}

const char *harness_log(void)
{
    return host_log();
}

void harness_log_clear(void)
{
    host_log_clear();
}

bool harness_log_has(const char *text)
{
    return host_log_has(text);
}
