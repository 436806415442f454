/*
 * The freestanding C library: string functions and vsnprintf. Host builds
 * use libc instead (see include/baton/lib.h), so nothing here is built for
 * the host.
 */
#include <baton/lib.h>

/*
 * 8 octets at a time, then the tail: rep movsq/stosq are fast everywhere,
 * and count one instruction per 8 octets under QEMU's -icount (and run ~4x
 * faster than the byte forms under kvm_pvm), which matters on the live
 * update's critical path.
 */
void *memcpy(void *dst, const void *src, size_t n)
{
    void *d = dst;
    size_t words = n / 8, tail = n % 8;

    __asm__ volatile("rep movsq" : "+D"(d), "+S"(src), "+c"(words) : : "memory");
    __asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(tail) : : "memory");
    return dst;
}

/*
 * dst overlaps the tail of src: copy downwards, 8 octets at a time from the
 * top, then the head octet by octet. Not with std + rep movsq: an interrupt
 * taken with DF set would run its handler's string operations backwards.
 */
static void copy_downwards(uint8_t *d, const uint8_t *s, size_t n)
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
    uint8_t *d = dst;
    const uint8_t *s = src;

    if (d < s || d >= s + n)
        return memcpy(dst, src, n);
    copy_downwards(d, s, n);
    return dst;
}

void *memset(void *dst, int c, size_t n)
{
    void *d = dst;
    size_t words = n / 8, tail = n % 8;
    uint64_t pattern = (uint8_t)c * UINT64_C(0x0101010101010101);

    __asm__ volatile("rep stosq" : "+D"(d), "+c"(words) : "a"(pattern) : "memory");
    __asm__ volatile("rep stosb" : "+D"(d), "+c"(tail) : "a"(pattern) : "memory");
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const uint8_t *x = a, *y = b;

    for (; n; n--, x++, y++)
        if (*x != *y)
            return *x - *y;
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
    while (*a && *a == *b)
        a++, b++;
    return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
    for (; n; n--, a++, b++) {
        if (*a != *b)
            return (unsigned char)*a - (unsigned char)*b;
        if (!*a)
            return 0;
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

/* ---------------------------------------------------------------- vsnprintf */

struct out {
    char *buf;
    size_t size;
    size_t len;   /* would-be length, may exceed size */
};

static void put(struct out *o, char c)
{
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

struct spec {
    int width;
    int precision;     /* -1: none */
    bool zero_pad;
    bool left;
    int length;        /* 0 int, 1 long, 2 long long, 3 size_t */
};

static void put_padded(struct out *o, const char *s, size_t n, const struct spec *sp)
{
    size_t pad = sp->width > 0 && (size_t)sp->width > n ? (size_t)sp->width - n : 0;

    if (!sp->left)
        while (pad--)
            put(o, sp->zero_pad ? '0' : ' ');
    while (n--)
        put(o, *s++);
    if (sp->left)
        while (pad--)
            put(o, ' ');
}

static void put_number(struct out *o, uint64_t v, bool negative, unsigned base, bool upper,
                       const struct spec *sp)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];
    int i = sizeof(tmp);

    do {
        tmp[--i] = digits[v % base];
        v /= base;
    } while (v);
    if (negative) {
        if (sp->zero_pad) {
            put(o, '-');
            struct spec narrower = *sp;
            narrower.width = sp->width > 0 ? sp->width - 1 : 0;
            put_padded(o, tmp + i, sizeof(tmp) - i, &narrower);
            return;
        }
        tmp[--i] = '-';
    }
    put_padded(o, tmp + i, sizeof(tmp) - i, sp);
}

static uint64_t arg_unsigned(va_list *ap, int length)
{
    switch (length) {
    case 0: return va_arg(*ap, unsigned int);
    case 1: return va_arg(*ap, unsigned long);
    case 2: return va_arg(*ap, unsigned long long);
    default: return va_arg(*ap, size_t);
    }
}

static int64_t arg_signed(va_list *ap, int length)
{
    switch (length) {
    case 0: return va_arg(*ap, int);
    case 1: return va_arg(*ap, long);
    case 2: return va_arg(*ap, long long);
    default: return (int64_t)va_arg(*ap, size_t);
    }
}

static const char *parse_spec(const char *f, struct spec *sp, va_list *ap)
{
    *sp = (struct spec){ .precision = -1 };
    for (;; f++) {
        if (*f == '0')
            sp->zero_pad = true;
        else if (*f == '-')
            sp->left = true;
        else
            break;
    }
    if (*f == '*') {
        sp->width = va_arg(*ap, int);
        f++;
    }
    while (*f >= '0' && *f <= '9')
        sp->width = sp->width * 10 + (*f++ - '0');
    if (*f == '.') {
        f++;
        sp->precision = 0;
        if (*f == '*') {
            sp->precision = va_arg(*ap, int);
            f++;
        }
        while (*f >= '0' && *f <= '9')
            sp->precision = sp->precision * 10 + (*f++ - '0');
    }
    if (*f == 'z') {
        sp->length = 3;
        f++;
    }
    while (*f == 'l') {
        sp->length++;
        f++;
    }
    return f;
}

static void format_one(struct out *o, char conv, struct spec *sp, va_list *ap)
{
    switch (conv) {
    case 'd':
    case 'i': {
        int64_t v = arg_signed(ap, sp->length);
        put_number(o, v < 0 ? -(uint64_t)v : (uint64_t)v, v < 0, 10, false, sp);
        break;
    }
    case 'u':
        put_number(o, arg_unsigned(ap, sp->length), false, 10, false, sp);
        break;
    case 'x':
    case 'X':
        put_number(o, arg_unsigned(ap, sp->length), false, 16, conv == 'X', sp);
        break;
    case 'p':
        put(o, '0');
        put(o, 'x');
        put_number(o, (uintptr_t)va_arg(*ap, void *), false, 16, false, sp);
        break;
    case 'c': {
        char c = (char)va_arg(*ap, int);
        put_padded(o, &c, 1, sp);
        break;
    }
    case 's': {
        const char *s = va_arg(*ap, const char *);
        if (!s)
            s = "(null)";
        put_padded(o, s, sp->precision >= 0 ? strnlen(s, sp->precision) : strlen(s), sp);
        break;
    }
    case '%':
        put(o, '%');
        break;
    default:
        put(o, '%');
        put(o, conv);
        break;
    }
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct out o = { .buf = buf, .size = size };
    struct spec sp;
    va_list aq;

    va_copy(aq, ap);
    while (*fmt) {
        if (*fmt != '%') {
            put(&o, *fmt++);
            continue;
        }
        fmt = parse_spec(fmt + 1, &sp, &aq);
        if (!*fmt)
            break;
        format_one(&o, *fmt++, &sp, &aq);
    }
    va_end(aq);
    if (size)
        buf[o.len < size ? o.len : size - 1] = '\0';
    return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

void *memchr(const void *s, int c, size_t n)
{
    const uint8_t *p = s;

    for (; n; n--, p++)
        if (*p == (uint8_t)c)
            return (void *)p;
    return NULL;
}
