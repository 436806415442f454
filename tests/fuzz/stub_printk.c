/*
 * printk and panic for fuzz targets and the seed generator: messages are
 * formatted (so a bad format argument still trips the sanitizers) and
 * dropped; panic aborts, which libFuzzer reports as a crash.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <baton/printk.h>

void printk(int level, const char *fmt, ...)
{
    char buf[512];
    va_list ap;

    (void)level;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (getenv("LU_FUZZ_VERBOSE"))
        fputs(buf, stderr);
}

void printk_set_level(int level)
{
    (void)level;
}

void panic(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    abort();
}
