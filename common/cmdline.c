/*
 * Command line parsing: the hypervisor's own options, and the tokenizer the
 * domain builder also uses for module command lines. The command line comes
 * from the boot loader (or from the previous build, over a live update), so
 * bad values are reported and ignored, never trusted.
 */
#include <baton/cmdline.h>
#include <baton/errno.h>
#include <baton/lib.h>
#include <baton/printk.h>

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int cmdline_next(const char **cursor, struct cmdline_token *tok)
{
    const char *p = *cursor;

    while (is_space(*p))
        p++;
    if (!*p) {
        *cursor = p;
        return 0;
    }
    *tok = (struct cmdline_token){ .key = p };
    while (*p && !is_space(*p) && *p != '=')
        p++;
    tok->key_len = (size_t)(p - tok->key);
    if (*p != '=') {
        *cursor = p;
        return 1;
    }
    p++;
    if (*p == '"') {
        tok->val = ++p;
        while (*p && *p != '"')
            p++;
        if (!*p) {
            *cursor = p;
            return -BATON_EINVAL;
        }
        tok->val_len = (size_t)(p - tok->val);
        p++;
    } else {
        tok->val = p;
        while (*p && !is_space(*p))
            p++;
        tok->val_len = (size_t)(p - tok->val);
    }
    *cursor = p;
    return 1;
}

bool cmdline_key_is(const struct cmdline_token *tok, const char *key)
{
    return strlen(key) == tok->key_len && memcmp(tok->key, key, tok->key_len) == 0;
}

static int digit_value(char c, unsigned int base)
{
    int v;

    if (c >= '0' && c <= '9')
        v = c - '0';
    else if (c >= 'a' && c <= 'f')
        v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
        v = c - 'A' + 10;
    else
        return -1;
    return (unsigned int)v < base ? v : -1;
}

int parse_u64(const char *s, size_t len, uint64_t *out)
{
    unsigned int base = 10;
    uint64_t v = 0;

    if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
        len -= 2;
    }
    if (len == 0)
        return -BATON_EINVAL;
    for (size_t i = 0; i < len; i++) {
        int d = digit_value(s[i], base);
        if (d < 0)
            return -BATON_EINVAL;
        if (v > (UINT64_MAX - (uint64_t)d) / base)
            return -BATON_ERANGE;
        v = v * base + (uint64_t)d;
    }
    *out = v;
    return 0;
}

static unsigned int suffix_shift(char c)
{
    switch (c) {
    case 'k': case 'K': return 10;
    case 'm': case 'M': return 20;
    case 'g': case 'G': return 30;
    case 't': case 'T': return 40;
    default: return 0;
    }
}

int parse_size(const char *s, size_t len, uint64_t *out)
{
    unsigned int shift = 0;
    uint64_t v;
    int rc;

    if (len && suffix_shift(s[len - 1])) {
        shift = suffix_shift(s[len - 1]);
        len--;
    }
    rc = parse_u64(s, len, &v);
    if (rc)
        return rc;
    if (shift && v > (UINT64_MAX >> shift))
        return -BATON_ERANGE;
    *out = v << shift;
    return 0;
}

int parse_liveupdate(const char *s, size_t len, struct liveupdate_opt *out)
{
    struct liveupdate_opt parsed = { 0 }, *lu = &parsed;
    const char *at = memchr(s, '@', len);
    size_t size_len = at ? (size_t)(at - s) : len;
    int rc;

    rc = parse_size(s, size_len, &lu->size);
    if (rc) {
        pr_err("cmdline: liveupdate=%.*s: bad size '%.*s' (want a number with K, M or G)\n",
               (int)len, s, (int)size_len, s);
        return rc;
    }
    if (lu->size == 0 || !IS_ALIGNED(lu->size, PAGE_SIZE)) {
        pr_err("cmdline: liveupdate=%.*s: size 0x%llx must be a non-zero multiple of 4K\n",
               (int)len, s, (unsigned long long)lu->size);
        return -BATON_EINVAL;
    }
    if (at) {
        rc = parse_u64(at + 1, len - size_len - 1, &lu->addr);
        if (rc || !IS_ALIGNED(lu->addr, PAGE_SIZE) || lu->addr + lu->size < lu->addr) {
            pr_err("cmdline: liveupdate=%.*s: bad address (want a 4K-aligned number, no wrap)\n",
                   (int)len, s);
            return rc ? rc : -BATON_EINVAL;
        }
        lu->has_addr = true;
    }
    lu->present = true;
    *out = parsed;     /* only a good value replaces an earlier one */
    return 0;
}

static const struct { const char *name; int level; } log_levels[] = {
    { "emerg", LOG_EMERG }, { "err", LOG_ERR }, { "warn", LOG_WARN },
    { "info", LOG_INFO }, { "debug", LOG_DEBUG }, { "all", LOG_DEBUG },
};

static int parse_loglvl(const char *s, size_t len)
{
    uint64_t v;

    for (size_t i = 0; i < ARRAY_SIZE(log_levels); i++)
        if (strlen(log_levels[i].name) == len && !memcmp(log_levels[i].name, s, len))
            return log_levels[i].level;
    if (parse_u64(s, len, &v) == 0 && v <= LOG_DEBUG)
        return (int)v;
    return -1;
}

int parse_lu_rehearse(const char *s, size_t len, struct lu_rehearse_opt *out)
{
    const char *comma = memchr(s, ',', len);
    uint64_t count, period;

    if (!comma || parse_u64(s, (size_t)(comma - s), &count) ||
        parse_u64(comma + 1, len - (size_t)(comma - s) - 1, &period) ||
        !count || count > LU_REHEARSE_COUNT_MAX || !period || period > LU_REHEARSE_PERIOD_MAX) {
        pr_err("cmdline: lu_rehearse=%.*s: want COUNT,PERIOD_MS with COUNT 1..%u and PERIOD_MS 1..%u, ignored\n",
               (int)len, s, LU_REHEARSE_COUNT_MAX, LU_REHEARSE_PERIOD_MAX);
        return -BATON_EINVAL;
    }
    *out = (struct lu_rehearse_opt){ (unsigned int)count, (unsigned int)period };
    return 0;
}

static void opt_console(const char *val, size_t vlen, struct boot_options *opts)
{
    if (vlen == 4 && !memcmp(val, "com1", 4)) {
        opts->console_com1 = true;
    } else {
        pr_warn("cmdline: console=%.*s not supported (com1 is), ignored\n", (int)vlen, val);
        opts->invalid++;
    }
}

static void opt_loglvl(const char *val, size_t vlen, struct boot_options *opts)
{
    int lvl = parse_loglvl(val, vlen);

    if (lvl < 0) {
        pr_warn("cmdline: loglvl=%.*s: want 0-7 or err|warn|info|debug, ignored\n",
                (int)vlen, val);
        opts->invalid++;
    } else {
        opts->loglvl = lvl;
    }
}

static void opt_liveupdate(const char *val, size_t vlen, struct boot_options *opts)
{
    if (parse_liveupdate(val, vlen, &opts->liveupdate))
        opts->invalid++;
}

static void opt_lu_rehearse(const char *val, size_t vlen, struct boot_options *opts)
{
    if (parse_lu_rehearse(val, vlen, &opts->lu_rehearse))
        opts->invalid++;
}

static void opt_lu_test(const char *val, size_t vlen, struct boot_options *opts)
{
    static const char *const names[] = {
        [LU_TEST_BAD_MAGIC] = "bad-magic", [LU_TEST_ARRAY_OUTSIDE_RAM] = "array-outside-ram",
        [LU_TEST_FLIP_LENGTH] = "flip-length", [LU_TEST_HALT] = "halt",
        [LU_TEST_FAIL_SAVE] = "fail-save",
    };

    for (unsigned int i = LU_TEST_BAD_MAGIC; i < ARRAY_SIZE(names); i++) {
        if (strlen(names[i]) == vlen && !memcmp(names[i], val, vlen)) {
            opts->lu_test = (enum lu_test)i;
            pr_warn("cmdline: lu_test=%s: the next live update will be damaged on purpose (tests only)\n",
                    names[i]);
            return;
        }
    }
    pr_warn("cmdline: lu_test=%.*s: want bad-magic, array-outside-ram, flip-length, halt or fail-save, ignored\n",
            (int)vlen, val);
    opts->invalid++;
}

/* Every option the hypervisor knows: the one list, for parsing and for the first-word rule. */
static const struct {
    const char *name;
    void (*parse)(const char *val, size_t vlen, struct boot_options *opts);
} options[] = {
    { "console", opt_console },
    { "loglvl", opt_loglvl },
    { "liveupdate", opt_liveupdate },
    { "lu_rehearse", opt_lu_rehearse },
    { "lu_test", opt_lu_test },
};

static int find_option(const struct cmdline_token *t)
{
    for (size_t i = 0; i < ARRAY_SIZE(options); i++)
        if (cmdline_key_is(t, options[i].name))
            return (int)i;
    return -1;
}

static void parse_one(const struct cmdline_token *t, struct boot_options *opts)
{
    int i = find_option(t);

    if (i < 0) {
        pr_warn("cmdline: unknown option '%.*s' ignored\n", (int)t->key_len, t->key);
        opts->unknown++;
        return;
    }
    options[i].parse(t->val ? t->val : "", t->val ? t->val_len : 0, opts);
}

/*
 * The first-word rule. Loaders put the image's path first, as typed: QEMU
 * ("build/baton.elf"), GRUB ("/boot/baton.elf"), kexec-tools and hvctl
 * ("baton.elf" just as well). The first word is that path, and skipped,
 * when it is a bare word that is not a known option name, or when its part
 * before any '=' holds a '/'. Anything else (key=value, a known option
 * given bare) is an option. Only the first word gets this treatment, so a
 * command line without a path must not start with an unknown bare word.
 */
static bool first_word_is_path(const struct cmdline_token *t)
{
    if (t->val)             /* key=value: an option, unless the key is a path with '=' in it */
        return memchr(t->key, '/', t->key_len) != NULL;
    return find_option(t) < 0;
}

void cmdline_parse(const char *cmdline, struct boot_options *opts)
{
    struct cmdline_token t;
    const char *cursor = cmdline;
    bool first = true;
    int rc;

    *opts = (struct boot_options){ .console_com1 = true, .loglvl = LOG_INFO };
    while ((rc = cmdline_next(&cursor, &t)) != 0) {
        bool is_path = first && rc > 0 && first_word_is_path(&t);

        first = false;
        if (is_path)
            continue;
        if (rc < 0) {
            pr_warn("cmdline: unterminated quote, rest of the line ignored\n");
            opts->invalid++;
            break;
        }
        parse_one(&t, opts);
    }
}
