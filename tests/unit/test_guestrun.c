/*
 * The guests of guests/ run end to end against the user-space stand-in of
 * the hypervisor side (test_guestemu.c): runtime start, console ring,
 * printf, timers, event channels, upcalls, grants, and every workload's
 * own checks and markers. Skipped when the host does not allow ptrace.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "test_guestemu.h"

#ifndef GUEST_DIR
#define GUEST_DIR "build/guests"
#endif
#define MEM         (16ull << 20)
#define TIMEOUT_MS  20000

static const char *elf(const char *name)
{
    static char path[256];

    snprintf(path, sizeof(path), "%s/%s.elf", GUEST_DIR, name);
    return path;
}

static int setup(void **state)
{
    (void)state;
    return emu_init() == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    emu_fini();
    return 0;
}

/* Fail the test with the domain's console when text is missing. */
static void want_output(int domid, const char *text)
{
    if (!strstr(emu_output(domid), text))
        fail_msg("d%d: no \"%s\" in:\n%s", domid, text, emu_output(domid));
}

static void want_no_output(int domid, const char *text)
{
    if (strstr(emu_output(domid), text))
        fail_msg("d%d: \"%s\" in:\n%s", domid, text, emu_output(domid));
}

static void test_heartbeat(void **state)
{
    (void)state;
    int d = emu_create(elf("heartbeat"), "hb", MEM, "period=20 count=6", false);
    assert_true(d >= 0);
    assert_true(emu_run_until_dead(d, TIMEOUT_MS));
    want_output(d, "heartbeat 0 t=");
    want_output(d, "heartbeat 5 t=");
    want_output(d, "hb: exit rc=0");
    want_no_output(d, "FAIL");
    assert_int_equal(emu_exit_reason(d), EMU_EXIT_POWEROFF);
}

static void test_memcheck(void **state)
{
    (void)state;
    int d = emu_create(elf("memcheck"), "mc", MEM, "seed=7 fill=all period=0", false);
    assert_true(d >= 0);
    emu_run_until(d, "memcheck: pass 3 ok", TIMEOUT_MS);
    want_output(d, "memcheck: filled ");
    want_output(d, "memcheck: pass 3 ok checksum=");
    want_no_output(d, "FAIL");
}

static void test_memcheck_partial(void **state)
{
    (void)state;
    int d = emu_create(elf("memcheck"), "mc", MEM, "seed=1 fill=1M period=0", false);
    assert_true(d >= 0);
    emu_run_until(d, "memcheck: pass 2 ok", TIMEOUT_MS);
    want_output(d, "memcheck: filled 256 pages");
    want_output(d, "memcheck: pass 2 ok");
    want_no_output(d, "FAIL");
}

static void test_dom0(void **state)
{
    (void)state;
    /* ctl=off: no COM2 ports here (the agent is tested on COM2 by
     * tests/qemu/control_plane.py) */
    int d = emu_create(elf("dom0"), "dom0", MEM, "period=20 ctl=off", true);
    assert_int_equal(d, 0);
    emu_run_until(d, "dom0: alive 2", TIMEOUT_MS);
    want_output(d, "dom0: up");
    want_output(d, "dom0: agent off (ctl=off)");
    want_output(d, "dom0: alive 2");
    want_no_output(d, "FAIL");
}

/* The backend starts first, so it waits for a frontend that does not exist yet. */
static void test_pingpong(void **state)
{
    (void)state;
    int back = emu_create(elf("pingpong"), "back", MEM, "role=back peer=1 count=3000", false);
    emu_run_for(50);
    int front = emu_create(elf("pingpong"), "front", MEM,
                           "role=front peer=0 count=3000 period=100 stall=5000", false);
    assert_int_equal(back, 0);
    assert_int_equal(front, 1);
    emu_run_until_dead(front, TIMEOUT_MS);
    emu_run_until_dead(back, TIMEOUT_MS);
    want_output(back, "pingpong: back waiting for dom1");
    want_output(front, "pingpong: connected");
    want_output(back, "pingpong: connected");
    want_output(front, "pingpong: done, 3000 round trips");
    want_output(back, "pingpong: done, 3000 round trips");
    want_no_output(front, "FAIL");
    want_no_output(back, "FAIL");
    assert_int_equal(emu_exit_reason(front), EMU_EXIT_POWEROFF);
}

static void test_badcall(void **state)
{
    (void)state;
    /* a dom0 so that domid 0 exists for the grant and bind cases */
    int d0 = emu_create(elf("dom0"), "dom0", MEM, "period=1000 ctl=off", true);
    int d = emu_create(elf("badcall"), "badcall", MEM, "", false);
    assert_int_equal(d0, 0);
    assert_true(d > 0);
    emu_run_until(d, "BADCALL DONE", TIMEOUT_MS);
    want_output(d, "BADCALL DONE");
    want_output(d, "BADCALL OK hypercall nr=0xb rc=-38");
    want_output(d, "BADCALL OK upcall_return rip=noncanonical rc=-22");
    want_output(d, "badcall: upcall delivered while running");
    want_no_output(d, "UNEXPECTED");
    want_no_output(d, "spec says");
    want_no_output(d0, "FAIL");
}

/* A killed guest: the fault is the expected end, SURVIVED the failure. */
static void run_bad(const char *guest, const char *cmdline, const char *survived)
{
    int d = emu_create(elf(guest), guest, MEM, cmdline, false);

    assert_true(d >= 0);
    assert_true(emu_run_until_dead(d, TIMEOUT_MS));
    if (emu_exit_reason(d) != EMU_EXIT_FAULT)
        fail_msg("%s %s: not killed for a fault:\n%s", guest, cmdline, emu_output(d));
    want_no_output(d, survived);
}

static void test_badmem(void **state)
{
    static const char *const targets[] = { "end", "null", "hv", "noncanon", "gnt" };
    char cmdline[64];
    (void)state;

    for (unsigned i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
        snprintf(cmdline, sizeof(cmdline), "target=%s", targets[i]);
        run_bad("badmem", cmdline, "BADMEM SURVIVED");
    }
    run_bad("badmem", "target=end op=read", "BADMEM SURVIVED");
    run_bad("badmem", "target=hv op=exec", "BADMEM SURVIVED");
}

static void test_badpriv(void **state)
{
    static const char *const ops[] = { "cli", "sti", "hlt", "rdcr3", "wrcr3", "in", "out",
                                       "rdmsr", "wrmsr", "invlpg", "lgdt", "wbinvd" };
    char cmdline[64];
    (void)state;

    for (unsigned i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        snprintf(cmdline, sizeof(cmdline), "op=%s", ops[i]);
        run_bad("badpriv", cmdline, "BADPRIV SURVIVED");
    }
}

/* A killed guest leaves the others running. */
static void test_isolation(void **state)
{
    (void)state;
    int hb = emu_create(elf("heartbeat"), "hb", MEM, "period=20", false);
    int bad = emu_create(elf("badmem"), "badmem", MEM, "target=hv", false);
    assert_true(emu_run_until_dead(bad, TIMEOUT_MS));
    emu_run_until(hb, "heartbeat 10 t=", TIMEOUT_MS);
    want_output(hb, "heartbeat 10 t=");
    assert_int_equal(emu_exit_reason(hb), EMU_EXIT_NONE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_heartbeat, setup, teardown),
        cmocka_unit_test_setup_teardown(test_memcheck, setup, teardown),
        cmocka_unit_test_setup_teardown(test_memcheck_partial, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dom0, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pingpong, setup, teardown),
        cmocka_unit_test_setup_teardown(test_badcall, setup, teardown),
        cmocka_unit_test_setup_teardown(test_badmem, setup, teardown),
        cmocka_unit_test_setup_teardown(test_badpriv, setup, teardown),
        cmocka_unit_test_setup_teardown(test_isolation, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
