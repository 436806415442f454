/*
 * The small C library the hypervisor carries (common/lib.c). Host builds of
 * hypervisor sources (unit tests, fuzzers, tools) get the same names from
 * the host libc, so a source file includes this header and nothing else.
 */
#ifndef BATON_LIB_H
#define BATON_LIB_H

#include <stdarg.h>
#include <baton/types.h>

#if __STDC_HOSTED__
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#else
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
void *memchr(const void *s, int c, size_t n);
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);
#endif

/* Every octet of p[0..n) is zero (explicit padding of an ABI structure). */
/* Eight octets a step once aligned: it runs over every reserved field of
 * every restored entry (a console ring's padding is kilo-octets), inside
 * the live update's blackout. */
static inline bool mem_is_zero(const void *p, size_t n)
{
    typedef uint64_t __attribute__((may_alias)) word_t;
    const unsigned char *b = p;
    uint64_t acc = 0;

    for (; n && ((uintptr_t)b & 7); n--)
        acc |= *b++;
    for (; n >= 8; n -= 8, b += 8)
        acc |= *(const word_t *)b;
    while (n--)
        acc |= *b++;
    return acc == 0;
}

#endif
