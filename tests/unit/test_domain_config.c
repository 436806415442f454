/*
 * Unit tests for domain_config_parse (common/domain_build.c): what a boot
 * module's command line asks of its domain. The rest of the builder is not
 * linked in (core.mk builds this test with --gc-sections).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <baton/domain_build.h>
#include <baton/errno.h>
#include "harness.h"

static struct domain_config cfg;

static int setup(void **state)
{
    (void)state;
    harness_log_clear();
    memset(&cfg, 0x5a, sizeof(cfg));        /* parse must set every field */
    return 0;
}

static int parse(const char *line)
{
    return domain_config_parse(line, &cfg);
}

static void expect_error(const char *line, const char *why)
{
    harness_log_clear();
    assert_int_equal(parse(line), -BATON_EINVAL);
    if (!harness_log_has(why))
        fail_msg("'%s': log lacks '%s': %s", line, why, harness_log());
}

static void assert_defaults(void)
{
    assert_string_equal(cfg.name, "");
    assert_int_equal(cfg.mem, MiB(16));
    assert_int_equal(cfg.mem, DOMAIN_MEM_DEFAULT);
    assert_int_equal(cfg.vcpus, 1);
    assert_false(cfg.paused);
    assert_string_equal(cfg.cmdline, "");
}

/* -------------------------------------------------------------- accepted */

static void test_defaults(void **state)
{
    (void)state;
    assert_int_equal(parse(""), 0);
    assert_defaults();
    memset(&cfg, 0x5a, sizeof(cfg));
    assert_int_equal(parse("   \t "), 0);
    assert_defaults();
    assert_string_equal(harness_log(), "");
}

static void test_all_options(void **state)
{
    (void)state;
    assert_int_equal(parse("name=web mem=64M vcpus=3 cmdline=\"console=hvc0 root=/dev/xvda quiet\""), 0);
    assert_string_equal(cfg.name, "web");
    assert_int_equal(cfg.mem, MiB(64));
    assert_int_equal(cfg.vcpus, 3);
    assert_string_equal(cfg.cmdline, "console=hvc0 root=/dev/xvda quiet");
    assert_string_equal(harness_log(), "");
}

static void test_some_options(void **state)
{
    (void)state;
    assert_int_equal(parse("vcpus=2"), 0);
    assert_string_equal(cfg.name, "");
    assert_int_equal(cfg.mem, DOMAIN_MEM_DEFAULT);
    assert_int_equal(cfg.vcpus, 2);
    assert_string_equal(cfg.cmdline, "");
    /* the last of a repeated option wins */
    assert_int_equal(parse("mem=4M name=a mem=8M name=b"), 0);
    assert_int_equal(cfg.mem, MiB(8));
    assert_string_equal(cfg.name, "b");
}

static void test_quotes(void **state)
{
    (void)state;
    assert_int_equal(parse("name=\"my dom\" cmdline=\"\""), 0);
    assert_string_equal(cfg.name, "my dom");
    assert_string_equal(cfg.cmdline, "");
    assert_int_equal(parse("cmdline=plain name=x"), 0);
    assert_string_equal(cfg.cmdline, "plain");
    assert_string_equal(cfg.name, "x");
}

static void test_module_path_skipped(void **state)
{
    (void)state;
    assert_int_equal(parse("/boot/guest.elf name=g1 mem=32M"), 0);
    assert_string_equal(cfg.name, "g1");
    assert_int_equal(cfg.mem, MiB(32));
    assert_string_equal(harness_log(), "");
    assert_int_equal(parse("build/guests/hello.elf"), 0);
    assert_defaults();
    /* only the first token may be a path */
    expect_error("name=x /boot/other.elf", "option '/boot/other.elf' needs a value");
    /* a first token without a '/' is an option like any other */
    expect_error("guest.elf name=x", "option 'guest.elf' needs a value");
}

static void test_mem_sizes(void **state)
{
    (void)state;
    assert_int_equal(parse("mem=2M"), 0);           /* the minimum */
    assert_int_equal(cfg.mem, PV_MIN_MEM_SIZE);
    assert_int_equal(parse("mem=4G"), 0);           /* the maximum */
    assert_int_equal(cfg.mem, GiB(4));
    assert_int_equal(parse("mem=0x300000"), 0);
    assert_int_equal(cfg.mem, 0x300000);
    assert_int_equal(parse("mem=3076K"), 0);        /* 4K-aligned, not MiB-aligned */
    assert_int_equal(cfg.mem, KiB(3076));
    assert_int_equal(parse("mem=4194304"), 0);
    assert_int_equal(cfg.mem, MiB(4));
}

static void test_unknown_key(void **state)
{
    (void)state;
    assert_int_equal(parse("name=a colour=blue vcpus=2"), 0);
    assert_true(harness_log_has("domain: unknown option 'colour' ignored"));
    assert_string_equal(cfg.name, "a");
    assert_int_equal(cfg.vcpus, 2);
}

static void test_name_truncated(void **state)
{
    char want[DOMAIN_NAME_LEN];
    const char *longname = "name=abcdefghijklmnopqrstuvwxyz0123456789ABCDEF";

    (void)state;
    assert_int_equal(parse(longname), 0);
    memcpy(want, longname + 5, DOMAIN_NAME_LEN - 1);
    want[DOMAIN_NAME_LEN - 1] = '\0';
    assert_string_equal(cfg.name, want);
    assert_int_equal(strlen(cfg.name), DOMAIN_NAME_LEN - 1);
    /* exactly the field's length minus the NUL: kept whole */
    assert_int_equal(parse("name=abcdefghijklmnopqrstuvwxyz01234"), 0);
    assert_string_equal(cfg.name, "abcdefghijklmnopqrstuvwxyz01234");
}

static void test_cmdline_truncated(void **state)
{
    static char line[START_INFO_CMDLINE_LEN + 64];
    size_t n = strlen("cmdline=\"");

    (void)state;
    memcpy(line, "cmdline=\"", n);
    memset(line + n, 'k', START_INFO_CMDLINE_LEN + 10);
    line[n + START_INFO_CMDLINE_LEN + 10] = '"';
    line[n + START_INFO_CMDLINE_LEN + 11] = '\0';
    assert_int_equal(parse(line), 0);
    assert_int_equal(strlen(cfg.cmdline), START_INFO_CMDLINE_LEN - 1);
    assert_int_equal(cfg.cmdline[0], 'k');
}

/* -------------------------------------------------------------- rejected */

static void test_mem_bad(void **state)
{
    (void)state;
    expect_error("mem=1M", "domain: mem=1M: want a multiple of 4K from 2M to 4G");
    expect_error("mem=2093056", "mem=2093056:");        /* 2M - 4K */
    expect_error("mem=0", "mem=0:");
    expect_error("mem=5G", "mem=5G:");
    expect_error("mem=4100M", "mem=4100M:");
    expect_error("mem=1T", "mem=1T:");
    expect_error("mem=4294971392", "mem=4294971392:");  /* 4G + 4K */
    expect_error("mem=2097153", "mem=2097153:");        /* 2M + 1: unaligned */
    expect_error("mem=0x300800", "mem=0x300800:");
    expect_error("mem=lots", "mem=lots:");
    expect_error("mem=16Q", "mem=16Q:");
    expect_error("mem=M", "mem=M:");
    expect_error("mem=-16M", "mem=-16M:");
    expect_error("mem=99999999999999999999", "mem=99999999999999999999:");
    expect_error("mem=17179869184G", "mem=17179869184G:"); /* 2^34 G: overflows */
    expect_error("mem=", "mem=:");
}

static void test_vcpus_bad(void **state)
{
    (void)state;
    assert_int_equal(parse("vcpus=4"), 0);
    assert_int_equal(cfg.vcpus, MAX_VIRT_CPUS);
    expect_error("vcpus=0", "domain: vcpus=0: want 1..4");
    expect_error("vcpus=5", "vcpus=5: want 1..4");
    expect_error("vcpus=two", "vcpus=two:");
    expect_error("vcpus=2x", "vcpus=2x:");
    expect_error("vcpus=-1", "vcpus=-1:");
    expect_error("vcpus=4294967297", "vcpus=4294967297:");  /* 2^32 + 1: no truncation to 1 */
    expect_error("vcpus=", "vcpus=:");
}

static void test_key_without_value(void **state)
{
    (void)state;
    expect_error("name", "domain: option 'name' needs a value");
    expect_error("name=a mem", "option 'mem' needs a value");
    expect_error("vcpus=1 cmdline", "option 'cmdline' needs a value");
    expect_error("name=a colour", "option 'colour' needs a value");
}

static void test_unterminated_quote(void **state)
{
    (void)state;
    expect_error("name=a cmdline=\"console=hvc0", "domain: unterminated quote in 'name=a cmdline=\"console=hvc0'");
    expect_error("name=\"x", "unterminated quote");
    /* even as the first token, where a path would be skipped */
    expect_error("/boot/k=\"x", "unterminated quote");
}

static void test_paused(void **state)
{
    (void)state;
    assert_int_equal(parse("name=frozen paused=1"), 0);
    assert_true(cfg.paused);
    assert_int_equal(parse("paused=0"), 0);
    assert_false(cfg.paused);
    expect_error("paused=2", "paused=2: want 0 or 1");
    expect_error("paused=yes", "paused=yes: want 0 or 1");
    expect_error("paused=", "paused=: want 0 or 1");
}

static void test_error_stops_parsing(void **state)
{
    (void)state;
    /* an error anywhere fails the whole line, whatever came before */
    expect_error("name=ok mem=64M vcpus=9 cmdline=x", "vcpus=9:");
    expect_error("mem=1K name=ok", "mem=1K:");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_defaults, setup),
        cmocka_unit_test_setup(test_all_options, setup),
        cmocka_unit_test_setup(test_some_options, setup),
        cmocka_unit_test_setup(test_quotes, setup),
        cmocka_unit_test_setup(test_module_path_skipped, setup),
        cmocka_unit_test_setup(test_mem_sizes, setup),
        cmocka_unit_test_setup(test_unknown_key, setup),
        cmocka_unit_test_setup(test_name_truncated, setup),
        cmocka_unit_test_setup(test_cmdline_truncated, setup),
        cmocka_unit_test_setup(test_mem_bad, setup),
        cmocka_unit_test_setup(test_vcpus_bad, setup),
        cmocka_unit_test_setup(test_key_without_value, setup),
        cmocka_unit_test_setup(test_unterminated_quote, setup),
        cmocka_unit_test_setup(test_paused, setup),
        cmocka_unit_test_setup(test_error_stops_parsing, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
