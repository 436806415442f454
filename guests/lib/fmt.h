/*
 * printf-style formatting for guests (fmt.c). Pure code: also built on the
 * host by tests/unit/test_guestlib.c, hence the rt_ prefix (no clash with
 * the host libc).
 *
 * Conversions: d i u x X o c s p %; flags - 0 + space #; width and
 * precision (numbers or *); length hh h l ll z j t. Returns the length the
 * full output would have had, like C's vsnprintf; buf is always
 * NUL-terminated when size > 0.
 */
#ifndef GUEST_FMT_H
#define GUEST_FMT_H

#include <stdarg.h>
#include <stddef.h>

int rt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int rt_snprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
