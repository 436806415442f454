/*
 * String functions for guests. memcpy/memset move 8 octets at a time with
 * rep movsq/stosq, then the tail with rep movsb/stosb: the byte forms cost
 * one instruction per octet under QEMU's -icount and run ~4x slower under
 * kvm_pvm. Inline assembly also keeps gcc from turning a copy loop back
 * into a call to memcpy.
 */
#include <stdint.h>
#include "rtstring.h"

void *memcpy(void *dst, const void *src, size_t n)
{
    void *d = dst;
    size_t words = n / 8, tail = n % 8;

    __asm__ volatile("rep movsq" : "+D"(d), "+S"(src), "+c"(words) : : "memory");
    __asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(tail) : : "memory");
    return dst;
}

/* dst overlaps the tail of src: downwards, 8 octets at a time from the top
 * (not std + rep movsq: an upcall taken with DF set would inherit it). */
static void copy_downwards(unsigned char *d, const unsigned char *s, size_t n)
{
    for (; n >= 8; n -= 8) {
        uint64_t word;

        __builtin_memcpy(&word, s + n - 8, 8);     /* one unaligned load, inlined */
        __builtin_memcpy(d + n - 8, &word, 8);
    }
    while (n--)
        d[n] = s[n];
}

void *memmove(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;

    if (d <= s || d >= s + n)       /* no harmful overlap: copy forwards */
        return memcpy(dst, src, n);
    copy_downwards(d, s, n);
    return dst;
}

void *memset(void *dst, int c, size_t n)
{
    void *d = dst;
    size_t words = n / 8, tail = n % 8;
    uint64_t pattern = (unsigned char)c * UINT64_C(0x0101010101010101);

    __asm__ volatile("rep stosq" : "+D"(d), "+c"(words) : "a"(pattern) : "memory");
    __asm__ volatile("rep stosb" : "+D"(d), "+c"(tail) : "a"(pattern) : "memory");
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;

    for (size_t i = 0; i < n; i++) {
        if (x[i] != y[i])
            return x[i] < y[i] ? -1 : 1;
    }
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;

    while (s[n])
        n++;
    return n;
}

size_t strnlen(const char *s, size_t max)
{
    size_t n = 0;

    while (n < max && s[n])
        n++;
    return n;
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
    for (; n; n--, a++, b++) {
        if (*a != *b || !*a)
            return (unsigned char)*a - (unsigned char)*b;
    }
    return 0;
}

char *strchr(const char *s, int c)
{
    for (;; s++) {
        if (*s == (char)c)
            return (char *)s;
        if (!*s)
            return NULL;
    }
}
