/*
 * Host glue for tools built from hypervisor sources: printk goes to stderr
 * when asked (-v), panic aborts, die reports and exits.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <baton/printk.h>
#include "host_tool.h"

const char *host_tool_name = "baton-tool";
bool host_tool_verbose;

void printk(int level, const char *fmt, ...)
{
    va_list ap;

    (void)level;
    if (!host_tool_verbose)
        return;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
}

void printk_set_level(int level)
{
    (void)level;
}

void panic(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fprintf(stderr, "%s: panic: ", host_tool_name);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
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
