/* Unit tests for common/cmdline.c: tokenizer, numbers, sizes, liveupdate=, options. */
#include <setjmp.h>
#include <stdio.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <baton/cmdline.h>
#include <baton/errno.h>
#include <baton/printk.h>
#include "harness.h"

static int setup(void **state)
{
    (void)state;
    harness_log_clear();
    return 0;
}

/* ---------------------------------------------------------------- tokenizer */

static void expect_token(const char **cur, const char *key, const char *val)
{
    struct cmdline_token t;

    assert_int_equal(cmdline_next(cur, &t), 1);
    assert_int_equal(t.key_len, strlen(key));
    assert_memory_equal(t.key, key, t.key_len);
    if (!val) {
        assert_null(t.val);
    } else {
        assert_non_null(t.val);
        assert_int_equal(t.val_len, strlen(val));
        assert_memory_equal(t.val, val, t.val_len);
    }
}

static void expect_end(const char **cur)
{
    struct cmdline_token t;

    assert_int_equal(cmdline_next(cur, &t), 0);
    /* and it stays at the end */
    assert_int_equal(cmdline_next(cur, &t), 0);
}

static void test_tok_bare_and_kv(void **state)
{
    const char *cur = "quiet console=com1 loglvl=7 x";
    (void)state;

    expect_token(&cur, "quiet", NULL);
    expect_token(&cur, "console", "com1");
    expect_token(&cur, "loglvl", "7");
    expect_token(&cur, "x", NULL);
    expect_end(&cur);
}

static void test_tok_quoted(void **state)
{
    const char *cur = "a=\"hello  world\" b=\"\" c=plain d=\"x=y\"";
    (void)state;

    expect_token(&cur, "a", "hello  world");
    expect_token(&cur, "b", "");
    expect_token(&cur, "c", "plain");
    expect_token(&cur, "d", "x=y");
    expect_end(&cur);
}

static void test_tok_empty_value(void **state)
{
    const char *cur = "k= next";
    struct cmdline_token t;
    (void)state;

    assert_int_equal(cmdline_next(&cur, &t), 1);
    assert_int_equal(t.key_len, 1);
    assert_non_null(t.val);          /* "k=" is not a bare key */
    assert_int_equal(t.val_len, 0);
    expect_token(&cur, "next", NULL);
    expect_end(&cur);
}

static void test_tok_unterminated_quote(void **state)
{
    const char *cur = "a=1 b=\"no end here c=2";
    struct cmdline_token t;
    (void)state;

    expect_token(&cur, "a", "1");
    assert_int_equal(cmdline_next(&cur, &t), -BATON_EINVAL);
    /* the rest of the line is skipped */
    assert_int_equal(*cur, '\0');
    expect_end(&cur);
}

static void test_tok_whitespace(void **state)
{
    const char *cur = " \t\r\n  a=1 \t\t b  \n c=\"q q\"   \t\n";
    (void)state;

    expect_token(&cur, "a", "1");
    expect_token(&cur, "b", NULL);
    expect_token(&cur, "c", "q q");
    expect_end(&cur);
}

static void test_tok_empty_lines(void **state)
{
    const char *empty = "";
    const char *blank = "   \t \n ";
    (void)state;

    expect_end(&empty);
    expect_end(&blank);
}

static void test_key_is(void **state)
{
    const char *cur = "console=com1 cons";
    struct cmdline_token t;
    (void)state;

    assert_int_equal(cmdline_next(&cur, &t), 1);
    assert_true(cmdline_key_is(&t, "console"));
    assert_false(cmdline_key_is(&t, "consol"));
    assert_false(cmdline_key_is(&t, "console2"));
    assert_false(cmdline_key_is(&t, "com1"));
    assert_int_equal(cmdline_next(&cur, &t), 1);
    assert_true(cmdline_key_is(&t, "cons"));
    assert_false(cmdline_key_is(&t, "console"));
}

/* ---------------------------------------------------------------- parse_u64 */

static int u64(const char *s, uint64_t *out)
{
    *out = 0xdeadbeefdeadbeefULL;
    return parse_u64(s, strlen(s), out);
}

static void test_u64_decimal(void **state)
{
    uint64_t v;
    (void)state;

    assert_int_equal(u64("0", &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(u64("7", &v), 0);
    assert_int_equal(v, 7);
    assert_int_equal(u64("1234567890", &v), 0);
    assert_int_equal(v, 1234567890ULL);
    assert_int_equal(u64("000123", &v), 0);
    assert_int_equal(v, 123);
    /* a length shorter than the string: only that much is parsed */
    assert_int_equal(parse_u64("12345", 3, &v), 0);
    assert_int_equal(v, 123);
}

static void test_u64_hex(void **state)
{
    uint64_t v;
    (void)state;

    assert_int_equal(u64("0x10", &v), 0);
    assert_int_equal(v, 16);
    assert_int_equal(u64("0XfF", &v), 0);
    assert_int_equal(v, 255);
    assert_int_equal(u64("0xDeadBeef", &v), 0);
    assert_int_equal(v, 0xdeadbeefULL);
    assert_int_equal(u64("0x0", &v), 0);
    assert_int_equal(v, 0);
}

static void test_u64_invalid(void **state)
{
    static const char *const bad[] = {
        "", "0x", "0X", "x10", "12a", "a", "-1", "+1", " 1", "1 ", "0x1g", "1.5", "0x-1", "ff",
    };
    uint64_t v;
    (void)state;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(u64(bad[i], &v), -BATON_EINVAL);
        /* the output is untouched on failure */
        assert_int_equal(v, 0xdeadbeefdeadbeefULL);
    }
    assert_int_equal(parse_u64("123", 0, &v), -BATON_EINVAL);
}

static void test_u64_range(void **state)
{
    uint64_t v;
    (void)state;

    assert_int_equal(u64("18446744073709551615", &v), 0);
    assert_true(v == UINT64_MAX);
    assert_int_equal(u64("0xffffffffffffffff", &v), 0);
    assert_true(v == UINT64_MAX);
    assert_int_equal(u64("0x0000000000000000ffffffffffffffff", &v), 0);
    assert_true(v == UINT64_MAX);

    assert_int_equal(u64("18446744073709551616", &v), -BATON_ERANGE);   /* 2^64 */
    assert_int_equal(u64("18446744073709551620", &v), -BATON_ERANGE);
    assert_int_equal(u64("99999999999999999999", &v), -BATON_ERANGE);
    assert_int_equal(u64("0x10000000000000000", &v), -BATON_ERANGE);     /* 2^64 */
    assert_int_equal(u64("0x1ffffffffffffffff", &v), -BATON_ERANGE);
    assert_int_equal(v, 0xdeadbeefdeadbeefULL);
}

/* ---------------------------------------------------------------- parse_size */

static int size(const char *s, uint64_t *out)
{
    *out = 0xdeadbeefdeadbeefULL;
    return parse_size(s, strlen(s), out);
}

static void test_size_suffixes(void **state)
{
    static const struct { const char *s; uint64_t v; } ok[] = {
        { "0", 0 }, { "4096", 4096 }, { "0x1000", 0x1000 },
        { "1k", KiB(1) }, { "1K", KiB(1) }, { "4K", KiB(4) },
        { "64m", MiB(64) }, { "64M", MiB(64) },
        { "2g", GiB(2) }, { "2G", GiB(2) },
        { "3t", 3ULL << 40 }, { "3T", 3ULL << 40 },
        { "0x10M", MiB(16) }, { "0M", 0 },
        { "16777215T", 16777215ULL << 40 },          /* largest whole T below 2^64 */
        { "17179869183G", 17179869183ULL << 30 },
    };
    uint64_t v;
    (void)state;

    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        assert_int_equal(size(ok[i].s, &v), 0);
        assert_true(v == ok[i].v);
    }
}

static void test_size_invalid(void **state)
{
    uint64_t v;
    (void)state;

    assert_int_equal(size("", &v), -BATON_EINVAL);
    assert_int_equal(size("M", &v), -BATON_EINVAL);
    assert_int_equal(size("k", &v), -BATON_EINVAL);
    assert_int_equal(size("64MB", &v), -BATON_EINVAL);
    assert_int_equal(size("64P", &v), -BATON_EINVAL);
    assert_int_equal(size("6 4M", &v), -BATON_EINVAL);
    assert_int_equal(size("MM", &v), -BATON_EINVAL);
    assert_int_equal(size("0xM", &v), -BATON_EINVAL);
    assert_int_equal(v, 0xdeadbeefdeadbeefULL);
}

static void test_size_overflow(void **state)
{
    uint64_t v;
    (void)state;

    assert_int_equal(size("17179869184G", &v), -BATON_ERANGE);   /* 2^34 G = 2^64 */
    assert_int_equal(size("16777216T", &v), -BATON_ERANGE);      /* 2^24 T = 2^64 */
    assert_int_equal(size("18014398509481984K", &v), -BATON_ERANGE);
    assert_int_equal(size("0xffffffffffffffffK", &v), -BATON_ERANGE);
    assert_int_equal(size("18446744073709551616", &v), -BATON_ERANGE);
    assert_int_equal(v, 0xdeadbeefdeadbeefULL);
    assert_int_equal(size("18014398509481983K", &v), 0);
    assert_true(v == 18014398509481983ULL << 10);
}

/* ---------------------------------------------------------------- liveupdate= */

static int lu(const char *s, struct liveupdate_opt *o)
{
    memset(o, 0xa5, sizeof(*o));
    return parse_liveupdate(s, strlen(s), o);
}

static void test_lu_size_only(void **state)
{
    struct liveupdate_opt o;
    (void)state;

    assert_int_equal(lu("64M", &o), 0);
    assert_true(o.present);
    assert_false(o.has_addr);
    assert_true(o.size == MiB(64));
    assert_int_equal(lu("4K", &o), 0);
    assert_true(o.size == 4096);
    assert_int_equal(lu("0x200000", &o), 0);
    assert_true(o.size == MiB(2));
    assert_false(o.has_addr);
}

static void test_lu_with_addr(void **state)
{
    struct liveupdate_opt o;
    (void)state;

    assert_int_equal(lu("64M@0x10000000", &o), 0);
    assert_true(o.present);
    assert_true(o.has_addr);
    assert_true(o.size == MiB(64));
    assert_true(o.addr == 0x10000000ULL);

    assert_int_equal(lu("1G@4294967296", &o), 0);
    assert_true(o.addr == GiB(4));
    assert_true(o.size == GiB(1));

    /* ends one page below 2^64: fine */
    assert_int_equal(lu("4K@0xffffffffffffe000", &o), 0);
    assert_true(o.addr == 0xffffffffffffe000ULL);
    /* address 0 is an address */
    assert_int_equal(lu("8K@0", &o), 0);
    assert_true(o.has_addr);
    assert_true(o.addr == 0);
}

static void expect_lu_fail(const char *s, int rc)
{
    struct liveupdate_opt o;

    harness_log_clear();
    assert_int_equal(lu(s, &o), rc);
    assert_false(o.present);
    assert_true(harness_log_has("liveupdate="));
}

static void test_lu_bad(void **state)
{
    (void)state;

    expect_lu_fail("0", -BATON_EINVAL);
    expect_lu_fail("0M", -BATON_EINVAL);
    expect_lu_fail("", -BATON_EINVAL);
    expect_lu_fail("64M@", -BATON_EINVAL);
    expect_lu_fail("@0x1000", -BATON_EINVAL);
    expect_lu_fail("64M@0x1001", -BATON_EINVAL);     /* unaligned */
    expect_lu_fail("64M@0x10000800", -BATON_EINVAL);
    expect_lu_fail("3K", -BATON_EINVAL);             /* not a page multiple */
    expect_lu_fail("4097", -BATON_EINVAL);
    expect_lu_fail("garbage", -BATON_EINVAL);
    expect_lu_fail("64Mx", -BATON_EINVAL);
    expect_lu_fail("64M@zz", -BATON_EINVAL);
    expect_lu_fail("64M@0x1000@0x2000", -BATON_EINVAL);
    expect_lu_fail("17179869184G", -BATON_ERANGE);
    expect_lu_fail("64M@0x10000000000000000", -BATON_ERANGE);
    /* size + addr past 2^64 */
    expect_lu_fail("64M@0xfffffffffc001000", -BATON_EINVAL);
    expect_lu_fail("8K@0xfffffffffffff000", -BATON_EINVAL);
    /* ending exactly at 2^64 wraps to 0 too */
    expect_lu_fail("4K@0xfffffffffffff000", -BATON_EINVAL);
}

/* ---------------------------------------------------------------- cmdline_parse */

static void test_parse_defaults(void **state)
{
    struct boot_options o;
    (void)state;

    memset(&o, 0x5a, sizeof(o));
    cmdline_parse("", &o);
    assert_true(o.console_com1);
    assert_int_equal(o.loglvl, LOG_INFO);
    assert_false(o.liveupdate.present);
    assert_int_equal(o.unknown, 0);
    assert_int_equal(o.invalid, 0);
    assert_string_equal(harness_log(), "");
}

static void test_parse_console(void **state)
{
    struct boot_options o;
    (void)state;

    cmdline_parse("console=com1", &o);
    assert_true(o.console_com1);
    assert_int_equal(o.invalid, 0);

    harness_log_clear();
    cmdline_parse("console=vga", &o);
    assert_int_equal(o.invalid, 1);
    assert_int_equal(o.unknown, 0);
    assert_true(harness_log_has("console=vga"));

    cmdline_parse("console=com12 console", &o);
    assert_int_equal(o.invalid, 2);
}

static void test_parse_loglvl(void **state)
{
    static const struct { const char *line; int lvl; } ok[] = {
        { "loglvl=err", LOG_ERR }, { "loglvl=debug", LOG_DEBUG }, { "loglvl=warn", LOG_WARN },
        { "loglvl=info", LOG_INFO }, { "loglvl=emerg", LOG_EMERG }, { "loglvl=all", LOG_DEBUG },
        { "loglvl=7", 7 }, { "loglvl=0", 0 }, { "loglvl=3", 3 },
        { "loglvl=err loglvl=debug", LOG_DEBUG },
    };
    struct boot_options o;
    (void)state;

    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        cmdline_parse(ok[i].line, &o);
        assert_int_equal(o.loglvl, ok[i].lvl);
        assert_int_equal(o.invalid, 0);
        assert_int_equal(o.unknown, 0);
    }
}

static void test_parse_loglvl_bad(void **state)
{
    static const char *const bad[] = {
        "loglvl=garbage", "loglvl=8", "loglvl=-1", "loglvl=", "loglvl", "loglvl=ERR",
        "loglvl=errr", "loglvl=99999999999999999999",
    };
    struct boot_options o;
    (void)state;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        harness_log_clear();
        cmdline_parse(bad[i], &o);
        assert_int_equal(o.loglvl, LOG_INFO);       /* unchanged default */
        assert_int_equal(o.invalid, 1);
        assert_true(harness_log_has("loglvl="));
    }
    /* a bad value does not undo an earlier good one */
    cmdline_parse("loglvl=err loglvl=garbage", &o);
    assert_int_equal(o.loglvl, LOG_ERR);
    assert_int_equal(o.invalid, 1);
}

static void test_parse_liveupdate(void **state)
{
    struct boot_options o;
    (void)state;

    cmdline_parse("liveupdate=64M@0x10000000", &o);
    assert_true(o.liveupdate.present);
    assert_true(o.liveupdate.has_addr);
    assert_true(o.liveupdate.size == MiB(64));
    assert_true(o.liveupdate.addr == 0x10000000ULL);
    assert_int_equal(o.invalid, 0);

    cmdline_parse("liveupdate=\"128M\"", &o);
    assert_true(o.liveupdate.present);
    assert_false(o.liveupdate.has_addr);
    assert_true(o.liveupdate.size == MiB(128));

    cmdline_parse("liveupdate=3K", &o);
    assert_false(o.liveupdate.present);
    assert_int_equal(o.invalid, 1);

    cmdline_parse("liveupdate", &o);
    assert_false(o.liveupdate.present);
    assert_int_equal(o.invalid, 1);
}

/*
 * "Problems are reported and the option ignored": a bad liveupdate= after a
 * good one must leave the good one in force, as a bad loglvl= does.
 */
static void test_parse_liveupdate_bad_keeps_earlier(void **state)
{
    struct boot_options o;
    (void)state;

    cmdline_parse("liveupdate=64M@0x10000000 liveupdate=3K", &o);
    assert_int_equal(o.invalid, 1);
    assert_true(harness_log_has("liveupdate=3K"));
    assert_true(o.liveupdate.present);
    assert_true(o.liveupdate.has_addr);
    assert_true(o.liveupdate.size == MiB(64));
    assert_true(o.liveupdate.addr == 0x10000000ULL);
}

static void test_parse_lu_rehearse(void **state)
{
    static const char *const garbage[] = {
        "lu_rehearse", "lu_rehearse=", "lu_rehearse=20", "lu_rehearse=,1000",
        "lu_rehearse=20,", "lu_rehearse=0,1000", "lu_rehearse=20,0", "lu_rehearse=x,1000",
        "lu_rehearse=20,1000,5", "lu_rehearse=100001,1000", "lu_rehearse=1,86400001",
        "lu_rehearse=18446744073709551617,1", "lu_rehearse=-1,1000",
    };
    struct boot_options o;
    (void)state;

    cmdline_parse("lu_rehearse=20,1000", &o);
    assert_int_equal(o.invalid, 0);
    assert_int_equal(o.lu_rehearse.count, 20);
    assert_int_equal(o.lu_rehearse.period_ms, 1000);
    cmdline_parse("lu_rehearse=0x2,86400000", &o);
    assert_int_equal(o.lu_rehearse.count, 2);
    assert_int_equal(o.lu_rehearse.period_ms, 86400000);

    for (size_t i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++) {
        harness_log_clear();
        cmdline_parse(garbage[i], &o);
        assert_int_equal(o.invalid, 1);
        assert_int_equal(o.lu_rehearse.count, 0);       /* no rehearsal */
        assert_true(harness_log_has("want COUNT,PERIOD_MS"));
    }
    /* a bad one does not undo an earlier good one */
    cmdline_parse("lu_rehearse=3,500 lu_rehearse=3", &o);
    assert_int_equal(o.lu_rehearse.count, 3);
    assert_int_equal(o.lu_rehearse.period_ms, 500);
}

static void test_parse_lu_test(void **state)
{
    static const char *const garbage[] = {
        "lu_test", "lu_test=", "lu_test=halt2", "lu_test=HALT", "lu_test=bad",
        "lu_test=bad-magic,halt", "lu_test=fail-save2", "lu_test=\"\"",
    };
    static const struct { const char *s; enum lu_test t; } good[] = {
        { "lu_test=bad-magic", LU_TEST_BAD_MAGIC },
        { "lu_test=array-outside-ram", LU_TEST_ARRAY_OUTSIDE_RAM },
        { "lu_test=flip-length", LU_TEST_FLIP_LENGTH },
        { "lu_test=halt", LU_TEST_HALT },
        { "lu_test=fail-save", LU_TEST_FAIL_SAVE },
    };
    struct boot_options o;
    (void)state;

    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        harness_log_clear();
        cmdline_parse(good[i].s, &o);
        assert_int_equal(o.invalid, 0);
        assert_int_equal(o.lu_test, good[i].t);
        assert_true(harness_log_has("damaged on purpose (tests only)"));
    }
    for (size_t i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++) {
        harness_log_clear();
        cmdline_parse(garbage[i], &o);
        if (o.invalid != 1 || o.lu_test != LU_TEST_NONE)
            fail_msg("'%s': invalid %u, lu_test %d", garbage[i], o.invalid, o.lu_test);
        assert_true(harness_log_has("want bad-magic, array-outside-ram, flip-length, halt or fail-save"));
    }
}

static void test_parse_unknown(void **state)
{
    struct boot_options o;
    (void)state;

    /* (a bare first word would be the image path: see test_parse_first_word_rule) */
    cmdline_parse("baton.elf foo console=com1 bar=1 loglvl=err baz=\"a b\"", &o);
    assert_int_equal(o.unknown, 3);
    assert_int_equal(o.invalid, 0);
    assert_int_equal(o.loglvl, LOG_ERR);
    assert_true(harness_log_has("unknown option 'foo'"));
    assert_true(harness_log_has("unknown option 'bar'"));
    assert_true(harness_log_has("unknown option 'baz'"));
    /* keys are matched exactly */
    harness_log_clear();
    cmdline_parse("Console=com1 loglevel=7 consolex=com1", &o);
    assert_int_equal(o.unknown, 3);
    assert_int_equal(o.loglvl, LOG_INFO);
    assert_true(harness_log_has("unknown option 'Console'"));
    assert_true(harness_log_has("unknown option 'loglevel'"));
}

static void test_parse_image_path(void **state)
{
    struct boot_options o;
    (void)state;

    cmdline_parse("/boot/baton.elf loglvl=debug", &o);
    assert_int_equal(o.unknown, 0);
    assert_int_equal(o.invalid, 0);
    assert_int_equal(o.loglvl, LOG_DEBUG);
    assert_string_equal(harness_log(), "");

    cmdline_parse("  build/baton.elf", &o);
    assert_int_equal(o.unknown, 0);
    assert_string_equal(harness_log(), "");

    /* a path later on the line is an unknown option */
    cmdline_parse("loglvl=err /boot/baton.elf", &o);
    assert_int_equal(o.unknown, 1);
    assert_int_equal(o.loglvl, LOG_ERR);
    assert_true(harness_log_has("unknown option '/boot/baton.elf'"));

    /* only the first token gets the benefit */
    harness_log_clear();
    cmdline_parse("/boot/baton.elf build/baton.elf", &o);
    assert_int_equal(o.unknown, 1);
    assert_true(harness_log_has("unknown option 'build/baton.elf'"));
    assert_false(harness_log_has("'/boot/baton.elf'"));

    /* a first key=value token with a '/' in the value is an option */
    harness_log_clear();
    cmdline_parse("foo=/x/y", &o);
    assert_int_equal(o.unknown, 1);
    assert_true(harness_log_has("unknown option 'foo'"));
}

/*
 * The first-word rule: kexec-tools and hvctl pass the image path as typed,
 * so "baton.elf" without a '/' is the path too. A first bare word that is
 * not a known option is the path; key=value and known options are options.
 */
static void test_parse_first_word_rule(void **state)
{
    static const char *const paths[] = {
        "baton.elf", "baton", "build/b/baton.elf", "./baton.elf", "/boot/baton.elf",
        "/boot/baton=1.elf",            /* a path with '=' in it: '/' before the '=' */
        "baton-0.1.elf", "quiet",       /* any unknown bare first word */
    };
    struct boot_options o;
    (void)state;

    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        char line[128];

        harness_log_clear();
        snprintf(line, sizeof(line), "%s loglvl=debug liveupdate=64M@0x10000000", paths[i]);
        cmdline_parse(line, &o);
        assert_int_equal(o.unknown, 0);
        assert_int_equal(o.invalid, 0);
        assert_int_equal(o.loglvl, LOG_DEBUG);
        assert_true(o.liveupdate.present);
        assert_string_equal(harness_log(), "");
    }

    /* as kexec-tools builds it for a live update: path, the old line, liveupdate= appended */
    cmdline_parse("baton.elf console=com1 loglvl=info liveupdate=16M@0x8000000", &o);
    assert_int_equal(o.unknown + o.invalid, 0);
    assert_true(o.liveupdate.has_addr && o.liveupdate.addr == 0x8000000);

    /* a known option first, bare, is that option (reported as bad), not a path */
    harness_log_clear();
    cmdline_parse("loglvl console=com1", &o);
    assert_int_equal(o.invalid, 1);
    assert_int_equal(o.unknown, 0);
    assert_true(harness_log_has("loglvl="));
    harness_log_clear();
    cmdline_parse("liveupdate", &o);
    assert_int_equal(o.invalid, 1);
    assert_false(o.liveupdate.present);

    /* key=value first is an option, even unknown */
    harness_log_clear();
    cmdline_parse("baton=elf loglvl=err", &o);
    assert_int_equal(o.unknown, 1);
    assert_true(harness_log_has("unknown option 'baton'"));
    assert_int_equal(o.loglvl, LOG_ERR);

    /* only the first word: a second bare word is an unknown option */
    harness_log_clear();
    cmdline_parse("baton.elf baton.elf", &o);
    assert_int_equal(o.unknown, 1);
    assert_true(harness_log_has("unknown option 'baton.elf'"));

    /* an unterminated quote in the first word is no path */
    harness_log_clear();
    cmdline_parse("x=\"baton.elf", &o);
    assert_int_equal(o.invalid, 1);
    assert_true(harness_log_has("unterminated quote"));
}

static void test_parse_unterminated(void **state)
{
    struct boot_options o;
    (void)state;

    cmdline_parse("loglvl=err foo=\"bar loglvl=debug console=vga", &o);
    assert_int_equal(o.loglvl, LOG_ERR);      /* the rest is ignored */
    assert_int_equal(o.invalid, 1);
    assert_int_equal(o.unknown, 0);
    assert_true(harness_log_has("unterminated quote"));

    harness_log_clear();
    cmdline_parse("x=\"", &o);
    assert_int_equal(o.invalid, 1);
    assert_true(harness_log_has("unterminated quote"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_tok_bare_and_kv, setup),
        cmocka_unit_test_setup(test_tok_quoted, setup),
        cmocka_unit_test_setup(test_tok_empty_value, setup),
        cmocka_unit_test_setup(test_tok_unterminated_quote, setup),
        cmocka_unit_test_setup(test_tok_whitespace, setup),
        cmocka_unit_test_setup(test_tok_empty_lines, setup),
        cmocka_unit_test_setup(test_key_is, setup),
        cmocka_unit_test_setup(test_u64_decimal, setup),
        cmocka_unit_test_setup(test_u64_hex, setup),
        cmocka_unit_test_setup(test_u64_invalid, setup),
        cmocka_unit_test_setup(test_u64_range, setup),
        cmocka_unit_test_setup(test_size_suffixes, setup),
        cmocka_unit_test_setup(test_size_invalid, setup),
        cmocka_unit_test_setup(test_size_overflow, setup),
        cmocka_unit_test_setup(test_lu_size_only, setup),
        cmocka_unit_test_setup(test_lu_with_addr, setup),
        cmocka_unit_test_setup(test_lu_bad, setup),
        cmocka_unit_test_setup(test_parse_defaults, setup),
        cmocka_unit_test_setup(test_parse_console, setup),
        cmocka_unit_test_setup(test_parse_loglvl, setup),
        cmocka_unit_test_setup(test_parse_loglvl_bad, setup),
        cmocka_unit_test_setup(test_parse_liveupdate, setup),
        cmocka_unit_test_setup(test_parse_liveupdate_bad_keeps_earlier, setup),
        cmocka_unit_test_setup(test_parse_lu_rehearse, setup),
        cmocka_unit_test_setup(test_parse_unknown, setup),
        cmocka_unit_test_setup(test_parse_image_path, setup),
        cmocka_unit_test_setup(test_parse_first_word_rule, setup),
        cmocka_unit_test_setup(test_parse_unterminated, setup),
        cmocka_unit_test_setup(test_parse_lu_test, setup),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
