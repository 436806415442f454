/*
 * Unit tests for the wide string operations: memcpy, memmove and memset of
 * the hypervisor (common/lib.c) and of the guests (guests/lib/string.c),
 * 8 octets at a time with a tail. Both are compiled here under other names
 * and checked against the host's libc for every length up to a few words,
 * every alignment of source and destination, every overlap in both
 * directions, and the octets around the destination untouched.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

/* ------------------------------------------------------------ the hypervisor's */
#define memcpy hv_memcpy
#define memmove hv_memmove
#define memset hv_memset
#define memcmp hv_memcmp
#define memchr hv_memchr
#define strlen hv_strlen
#define strnlen hv_strnlen
#define strcmp hv_strcmp
#define strncmp hv_strncmp
#define strchr hv_strchr
#define vsnprintf hv_vsnprintf
#define snprintf hv_snprintf
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
void *memchr(const void *s, int c, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...);
#include "../../common/lib.c"
#undef memcpy
#undef memmove
#undef memset
#undef memcmp
#undef memchr
#undef strlen
#undef strnlen
#undef strcmp
#undef strncmp
#undef strchr
#undef vsnprintf
#undef snprintf

/* ------------------------------------------------------------ the guests' */
#define memcpy g_memcpy
#define memmove g_memmove
#define memset g_memset
#define memcmp g_memcmp
#define strlen g_strlen
#define strnlen g_strnlen
#define strcmp g_strcmp
#define strncmp g_strncmp
#define strchr g_strchr
#define copy_downwards g_copy_downwards
#include "../../guests/lib/string.c"
#undef memcpy
#undef memmove
#undef memset
#undef memcmp
#undef strlen
#undef strnlen
#undef strcmp
#undef strncmp
#undef strchr
#undef copy_downwards

struct impl {
    const char *name;
    void *(*cpy)(void *, const void *, size_t);
    void *(*move)(void *, const void *, size_t);
    void *(*set)(void *, int, size_t);
};

static const struct impl impls[] = {
    { "common/lib.c", hv_memcpy, hv_memmove, hv_memset },
    { "guests/lib/string.c", g_memcpy, g_memmove, g_memset },
};

#define MAX_LEN 70      /* eight words and a tail, and then some */
#define BUF     (MAX_LEN + 64)

static void fill(unsigned char *p, size_t n, unsigned int seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(seed * 131 + i * 7 + 1);
}

static void check_same(const struct impl *im, const char *op, const unsigned char *got,
                       const unsigned char *want, size_t n, size_t so, size_t d, size_t len)
{
    if (memcmp(got, want, n))
        fail_msg("%s %s: src +%zu, dst +%zu, %zu octets: wrong result or octets beyond touched",
                 im->name, op, so, d, len);
}

static void test_memcpy(void **state)
{
    unsigned char src[BUF], dst[BUF], want[BUF];

    (void)state;
    fill(src, BUF, 1);
    for (const struct impl *im = impls; im < impls + 2; im++) {
        for (size_t so = 0; so < 8; so++)
            for (size_t d = 0; d < 8; d++)
                for (size_t len = 0; len <= MAX_LEN; len++) {
                    fill(dst, BUF, 2);
                    memcpy(want, dst, BUF);
                    memcpy(want + 16 + d, src + so, len);
                    assert_ptr_equal(im->cpy(dst + 16 + d, src + so, len), dst + 16 + d);
                    check_same(im, "memcpy", dst, want, BUF, so, d, len);
                }
    }
}

static void test_memset(void **state)
{
    static const int values[] = { 0, 0xa5, 0x1ff, -1, 0x100 };
    unsigned char dst[BUF], want[BUF];

    (void)state;
    for (const struct impl *im = impls; im < impls + 2; im++) {
        for (size_t v = 0; v < sizeof(values) / sizeof(values[0]); v++)
            for (size_t d = 0; d < 8; d++)
                for (size_t len = 0; len <= MAX_LEN; len++) {
                    fill(dst, BUF, 3);
                    memcpy(want, dst, BUF);
                    memset(want + 16 + d, values[v], len);
                    assert_ptr_equal(im->set(dst + 16 + d, values[v], len), dst + 16 + d);
                    check_same(im, "memset", dst, want, BUF, v, d, len);
                }
    }
}

/* Source and destination in one buffer, shift octets apart either way. */
static void test_memmove_overlaps(void **state)
{
    unsigned char buf[BUF], want[BUF];

    (void)state;
    for (const struct impl *im = impls; im < impls + 2; im++) {
        for (int shift = -17; shift <= 17; shift++)
            for (size_t so = 20; so < 28; so++)
                for (size_t len = 0; len <= MAX_LEN - 20; len++) {
                    size_t d = (size_t)((int)so + shift);

                    fill(buf, BUF, 4);
                    memcpy(want, buf, BUF);
                    memmove(want + d, want + so, len);
                    assert_ptr_equal(im->move(buf + d, buf + so, len), buf + d);
                    check_same(im, "memmove", buf, want, BUF, so, d, len);
                }
    }
}

/* mem_is_zero (include/baton/lib.h) reads words once aligned: every
 * start alignment and length, all zero and with one octet set anywhere
 * (including just outside the range, which must not count). */
static void test_mem_is_zero(void **state)
{
    unsigned char buf[96];

    (void)state;
    for (size_t off = 0; off < 8; off++) {
        for (size_t n = 0; n <= 70; n++) {
            memset(buf, 0, sizeof(buf));
            if (off)
                buf[off - 1] = 0x80;
            buf[off + n] = 0x01;
            assert_true(mem_is_zero(buf + off, n));
            for (size_t i = 0; i < n; i++) {
                buf[off + i] = 0x40;
                assert_false(mem_is_zero(buf + off, n));
                buf[off + i] = 0;
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_memcpy),
        cmocka_unit_test(test_memset),
        cmocka_unit_test(test_memmove_overlaps),
        cmocka_unit_test(test_mem_is_zero),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
