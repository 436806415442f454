/*
 * rt_vsnprintf: the guests' printf engine. Pure C with no library calls, so
 * the same file runs in guests and in host unit tests (which compare it
 * with the host's snprintf).
 */
#include <stdbool.h>
#include <stdint.h>
#include "fmt.h"

/* Output cursor: counts every character, stores those that fit. */
struct out {
    char *buf;
    size_t size;
    size_t len;
};

enum {
    F_LEFT  = 1 << 0,   /* - */
    F_ZERO  = 1 << 1,   /* 0 */
    F_PLUS  = 1 << 2,   /* + */
    F_SPACE = 1 << 3,   /* space */
    F_ALT   = 1 << 4,   /* # */
};

enum length { LEN_NONE, LEN_HH, LEN_H, LEN_L, LEN_LL, LEN_Z, LEN_J, LEN_T };

struct spec {
    unsigned flags;
    int width;          /* 0: none */
    int prec;           /* -1: none */
    enum length length;
    char conv;
};

static void out_char(struct out *o, char c)
{
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

static void out_repeat(struct out *o, char c, int n)
{
    while (n-- > 0)
        out_char(o, c);
}

static void out_str(struct out *o, const char *s, size_t n)
{
    while (n--)
        out_char(o, *s++);
}

static size_t bounded_strlen(const char *s, int prec)
{
    size_t n = 0;

    while (s[n] && (prec < 0 || n < (size_t)prec))
        n++;
    return n;
}

static const char *parse_flags(const char *f, struct spec *s)
{
    for (;; f++) {
        switch (*f) {
        case '-': s->flags |= F_LEFT; break;
        case '0': s->flags |= F_ZERO; break;
        case '+': s->flags |= F_PLUS; break;
        case ' ': s->flags |= F_SPACE; break;
        case '#': s->flags |= F_ALT; break;
        default: return f;
        }
    }
}

/* A decimal number or '*' (taken from the arguments). */
static const char *parse_number(const char *f, int *value, va_list *ap)
{
    if (*f == '*') {
        *value = va_arg(*ap, int);
        return f + 1;
    }
    *value = 0;
    while (*f >= '0' && *f <= '9')
        *value = *value * 10 + (*f++ - '0');
    return f;
}

static const char *parse_length(const char *f, enum length *len)
{
    switch (*f) {
    case 'h':
        if (f[1] == 'h') { *len = LEN_HH; return f + 2; }
        *len = LEN_H;
        return f + 1;
    case 'l':
        if (f[1] == 'l') { *len = LEN_LL; return f + 2; }
        *len = LEN_L;
        return f + 1;
    case 'z': *len = LEN_Z; return f + 1;
    case 'j': *len = LEN_J; return f + 1;
    case 't': *len = LEN_T; return f + 1;
    default:  *len = LEN_NONE; return f;
    }
}

/* Parse what follows a '%' into s; returns the character after the conversion. */
static const char *parse_spec(const char *f, struct spec *s, va_list *ap)
{
    s->flags = 0;
    s->prec = -1;
    f = parse_flags(f, s);
    f = parse_number(f, &s->width, ap);
    if (s->width < 0) {             /* a negative '*' width means '-' */
        s->flags |= F_LEFT;
        s->width = -s->width;
    }
    if (*f == '.') {
        f = parse_number(f + 1, &s->prec, ap);
        if (s->prec < 0)            /* a negative '*' precision means none */
            s->prec = -1;
    }
    f = parse_length(f, &s->length);
    s->conv = *f;
    return *f ? f + 1 : f;
}

static int64_t fetch_signed(enum length len, va_list *ap)
{
    switch (len) {
    case LEN_HH: return (signed char)va_arg(*ap, int);
    case LEN_H:  return (short)va_arg(*ap, int);
    case LEN_L:  return va_arg(*ap, long);
    case LEN_LL: return va_arg(*ap, long long);
    case LEN_Z:  return (int64_t)va_arg(*ap, size_t);
    case LEN_J:  return va_arg(*ap, intmax_t);
    case LEN_T:  return va_arg(*ap, ptrdiff_t);
    default:     return va_arg(*ap, int);
    }
}

static uint64_t fetch_unsigned(enum length len, va_list *ap)
{
    switch (len) {
    case LEN_HH: return (unsigned char)va_arg(*ap, unsigned int);
    case LEN_H:  return (unsigned short)va_arg(*ap, unsigned int);
    case LEN_L:  return va_arg(*ap, unsigned long);
    case LEN_LL: return va_arg(*ap, unsigned long long);
    case LEN_Z:  return va_arg(*ap, size_t);
    case LEN_J:  return va_arg(*ap, uintmax_t);
    case LEN_T:  return (uint64_t)va_arg(*ap, ptrdiff_t);
    default:     return va_arg(*ap, unsigned int);
    }
}

/* Digits of v in base, least significant first; returns how many. */
static int to_digits(char *tmp, uint64_t v, unsigned base, bool upper, int prec)
{
    const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    int n = 0;

    if (v == 0 && prec == 0)        /* "%.0d" of 0 prints nothing */
        return 0;
    do {
        tmp[n++] = set[v % base];
        v /= base;
    } while (v);
    return n;
}

/* The sign or base prefix the spec asks for. */
static const char *int_prefix(const struct spec *s, uint64_t v, bool neg, bool is_signed)
{
    if (is_signed) {
        if (neg)
            return "-";
        if (s->flags & F_PLUS)
            return "+";
        if (s->flags & F_SPACE)
            return " ";
        return "";
    }
    if ((s->flags & F_ALT) && v != 0 && s->conv == 'x')
        return "0x";
    if ((s->flags & F_ALT) && v != 0 && s->conv == 'X')
        return "0X";
    return "";
}

static void fmt_int(struct out *o, const struct spec *s, uint64_t v, bool neg, bool is_signed)
{
    unsigned base = s->conv == 'o' ? 8 : (s->conv == 'x' || s->conv == 'X') ? 16 : 10;
    char tmp[24];
    int n = to_digits(tmp, v, base, s->conv == 'X', s->prec);
    const char *prefix = int_prefix(s, v, neg, is_signed);
    int plen = (int)bounded_strlen(prefix, -1);
    int zeros = s->prec > n ? s->prec - n : 0;

    /* "%#o" guarantees a leading 0 */
    if (s->conv == 'o' && (s->flags & F_ALT) && zeros == 0 && (n == 0 || tmp[n - 1] != '0'))
        zeros = 1;
    /* '0' pads with zeros after the prefix, unless '-' or a precision */
    if ((s->flags & F_ZERO) && !(s->flags & F_LEFT) && s->prec < 0 &&
        s->width > plen + zeros + n)
        zeros = s->width - plen - n;

    int pad = s->width - (plen + zeros + n);
    if (!(s->flags & F_LEFT))
        out_repeat(o, ' ', pad);
    out_str(o, prefix, (size_t)plen);
    out_repeat(o, '0', zeros);
    while (n > 0)
        out_char(o, tmp[--n]);
    if (s->flags & F_LEFT)
        out_repeat(o, ' ', pad);
}

static void fmt_str(struct out *o, const struct spec *s, const char *str)
{
    if (!str)
        str = "(null)";
    size_t n = bounded_strlen(str, s->prec);
    int pad = s->width - (int)n;

    if (!(s->flags & F_LEFT))
        out_repeat(o, ' ', pad);
    out_str(o, str, n);
    if (s->flags & F_LEFT)
        out_repeat(o, ' ', pad);
}

static void fmt_char(struct out *o, const struct spec *s, char c)
{
    if (!(s->flags & F_LEFT))
        out_repeat(o, ' ', s->width - 1);
    out_char(o, c);
    if (s->flags & F_LEFT)
        out_repeat(o, ' ', s->width - 1);
}

static void fmt_signed(struct out *o, const struct spec *s, va_list *ap)
{
    int64_t v = fetch_signed(s->length, ap);
    uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

    fmt_int(o, s, mag, v < 0, true);
}

static void fmt_pointer(struct out *o, const struct spec *s, void *p)
{
    struct spec ps = *s;

    ps.conv = 'x';
    ps.flags |= F_ALT;
    /* glibc prints 0 as "(nil)"; "0x0" says the same and is greppable */
    if (!p) {
        fmt_str(o, s, "0x0");
        return;
    }
    fmt_int(o, &ps, (uint64_t)(uintptr_t)p, false, false);
}

/* One conversion; args come from *ap. */
static void fmt_one(struct out *o, const struct spec *s, va_list *ap)
{
    switch (s->conv) {
    case 'd':
    case 'i':
        fmt_signed(o, s, ap);
        break;
    case 'u':
    case 'x':
    case 'X':
    case 'o':
        fmt_int(o, s, fetch_unsigned(s->length, ap), false, false);
        break;
    case 'c':
        fmt_char(o, s, (char)va_arg(*ap, int));
        break;
    case 's':
        fmt_str(o, s, va_arg(*ap, const char *));
        break;
    case 'p':
        fmt_pointer(o, s, va_arg(*ap, void *));
        break;
    case '%':
        out_char(o, '%');
        break;
    default:                        /* unknown: show it rather than guess */
        out_char(o, '%');
        if (s->conv)
            out_char(o, s->conv);
        break;
    }
}

int rt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct out o = { .buf = buf, .size = size, .len = 0 };
    struct spec s;
    va_list args;

    /* a va_list parameter may be an array: work on a copy we can point to */
    va_copy(args, ap);
    while (*fmt) {
        if (*fmt != '%') {
            out_char(&o, *fmt++);
            continue;
        }
        fmt = parse_spec(fmt + 1, &s, &args);
        fmt_one(&o, &s, &args);
    }
    va_end(args);
    if (size)
        buf[o.len < size ? o.len : size - 1] = '\0';
    return (int)o.len;
}

int rt_snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = rt_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
