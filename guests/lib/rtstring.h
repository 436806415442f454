/*
 * The string functions the runtime provides (string.c). gcc may call
 * memcpy/memset/memmove/memcmp on its own even when freestanding, so they
 * must exist under these names. Not called string.h: that would shadow the
 * host's <string.h> in host unit tests that add -Iguests/lib.
 */
#ifndef GUEST_RTSTRING_H
#define GUEST_RTSTRING_H

#include <stddef.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);

#endif
