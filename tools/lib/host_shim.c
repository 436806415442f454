/* The one host shim: see host_shim.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <baton/printk.h>
#include "host_shim.h"

const char *host_tool_name = "baton-host";
bool host_tool_verbose;
void (*host_panic_hook)(const char *msg);

static char log_buf[65536];
static size_t log_len;

static bool verbose(void)
{
    return host_tool_verbose || getenv("BATON_HOST_VERBOSE") || getenv("HARNESS_VERBOSE") ||
           getenv("LU_FUZZ_VERBOSE");
}

void printk(int level, const char *fmt, ...)
{
    size_t room = sizeof(log_buf) - log_len;
    va_list ap;
    int n;

    (void)level;
    va_start(ap, fmt);
    n = vsnprintf(log_buf + log_len, room, fmt, ap);
    va_end(ap);
    if (n <= 0)
        return;
    if (verbose())
        fputs(log_buf + log_len, stderr);
    /* Saturates: the log keeps its first 64 KiB until cleared. */
    log_len += (size_t)n < room ? (size_t)n : room - 1;
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
    if (host_panic_hook)
        host_panic_hook(msg);
    fprintf(stderr, "%s: panic: %s\n", host_tool_name, msg);
    abort();
}

void die(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fprintf(stderr, "%s: ", host_tool_name);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(2);
}

const char *host_log(void)
{
    return log_buf;
}

void host_log_clear(void)
{
    log_len = 0;
    log_buf[0] = '\0';
}

bool host_log_has(const char *text)
{
    return strstr(log_buf, text) != NULL;
}
