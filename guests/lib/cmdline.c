/* Guest command line parsing: see cmdline.h. */
#include <public/hypercall.h>
#include "cmdline.h"

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n';
}

/* Does the word at w start with key followed by '='? */
static bool word_has_key(const char *w, const char *key)
{
    while (*key) {
        if (*w++ != *key++)
            return false;
    }
    return *w == '=';
}

static size_t word_len(const char *w)
{
    size_t n = 0;

    while (w[n] && !is_blank(w[n]))
        n++;
    return n;
}

const char *cmdline_find(const char *cmdline, const char *key, size_t *len)
{
    const char *found = NULL;
    size_t klen = 0;

    while (key[klen])
        klen++;
    /* the last occurrence wins, so that appended words override */
    for (const char *w = cmdline; *w;) {
        while (is_blank(*w))
            w++;
        if (!*w)
            break;
        size_t n = word_len(w);
        if (word_has_key(w, key)) {
            found = w + klen + 1;
            *len = n - klen - 1;
        }
        w += n;
    }
    return found;
}

static int digit_value(char c, unsigned base)
{
    int d;

    if (c >= '0' && c <= '9')
        d = c - '0';
    else if (c >= 'a' && c <= 'f')
        d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
        d = c - 'A' + 10;
    else
        return -1;
    return (unsigned)d < base ? d : -1;
}

static unsigned suffix_shift(char c)
{
    switch (c) {
    case 'k': case 'K': return 10;
    case 'm': case 'M': return 20;
    case 'g': case 'G': return 30;
    default: return 0;
    }
}

int parse_u64(const char *s, size_t len, uint64_t *out)
{
    unsigned base = 10, shift = 0;
    uint64_t v = 0;
    size_t i = 0;

    if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        i = 2;
    }
    if (len > i && base == 10 && suffix_shift(s[len - 1])) {
        shift = suffix_shift(s[len - 1]);
        len--;
    }
    if (i == len)
        return -BATON_EINVAL;
    for (; i < len; i++) {
        int d = digit_value(s[i], base);
        if (d < 0)
            return -BATON_EINVAL;
        if (v > (UINT64_MAX - (uint64_t)d) / base)
            return -BATON_ERANGE;
        v = v * base + (uint64_t)d;
    }
    if (shift && v > (UINT64_MAX >> shift))
        return -BATON_ERANGE;
    *out = v << shift;
    return 0;
}

int cmdline_u64(const char *cmdline, const char *key, uint64_t *out)
{
    size_t len;
    const char *v = cmdline_find(cmdline, key, &len);

    if (!v)
        return -BATON_ENOENT;
    return parse_u64(v, len, out);
}

bool cmdline_str(const char *cmdline, const char *key, char *buf, size_t size)
{
    size_t len;
    const char *v = cmdline_find(cmdline, key, &len);

    if (!v)
        return false;
    if (size == 0)
        return true;
    if (len > size - 1)
        len = size - 1;
    for (size_t i = 0; i < len; i++)
        buf[i] = v[i];
    buf[len] = '\0';
    return true;
}
