/*
 * Host harness for unit tests: printk collects into a buffer the tests can
 * search (and echoes it when HARNESS_VERBOSE is set), panic fails the test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <baton/printk.h>
#include "harness.h"

static char log_buf[65536];
static size_t log_len;

void printk(int level, const char *fmt, ...)
{
    va_list ap;
    (void)level;
    va_start(ap, fmt);
    int n = vsnprintf(log_buf + log_len, sizeof(log_buf) - log_len, fmt, ap);
    va_end(ap);
    if (n > 0 && getenv("HARNESS_VERBOSE"))
        fputs(log_buf + log_len, stderr);
    if (n > 0)
        log_len += (size_t)n < sizeof(log_buf) - log_len ? (size_t)n : sizeof(log_buf) - log_len - 1;
}

void printk_set_level(int level)
{
    (void)level;
}

void panic(const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    fail_msg("panic: %s", msg);
    abort();
}

const char *harness_log(void)
{
    return log_buf;
}

void harness_log_clear(void)
{
    log_len = 0;
    log_buf[0] = '\0';
}

bool harness_log_has(const char *text)
{
    return strstr(log_buf, text) != NULL;
}
