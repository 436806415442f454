#!/usr/bin/env python3
"""Domain tests: the standard workloads run together; bad guests die alone."""
import os
import re
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from baton_qemu import FAIL_MARKERS, Machine, TestFailure, build_dir_from_args, run_tests  # noqa: E402
from domain_sets import STANDARD, modules  # noqa: E402

BOOTED = r"^\(HV\) Baton: boot complete$"
FAILS = (r"MEMCHECK FAIL", r"PINGPONG FAIL", r"crashed", r"BADCALL UNEXPECTED", r"SURVIVED")


def boot(build, domain_set, name, mem="512M", extra_modules=()):
    return Machine(kernel=os.path.join(build, "baton.elf"), append="console=com1",
                   modules=modules(build, domain_set) + list(extra_modules), mem=mem, name=name)


def count(m, pattern):
    return len(re.findall(pattern, m.text(), re.M))


def last_int(m, pattern):
    found = re.findall(pattern, m.text(), re.M)
    return int(found[-1]) if found else -1


COUNTERS = [("heartbeat", r"^\(d1\) heartbeat (\d+)", 16),
            ("memcheck", r"^\(d2\) memcheck: pass (\d+) ok", 2),
            ("pingpong", r"^\(d3\) pingpong: (\d+) round trips", 100)]


def crash_dump(m, domid, name):
    """The hypervisor's report of a guest fault: from its "dN: <exception>"
    line to "dN 'name' crashed" (printed in one go, nothing in between)."""
    text = m.text()
    end = re.search(r"^\(HV\) d%d '%s' crashed: .*$" % (domid, name), text, re.M)
    starts = [g for g in re.finditer(r"^\(HV\) d%d: .*$" % domid, text, re.M)
              if end and g.start() < end.start()]
    if not end or not starts:
        raise TestFailure("no crash report for d%d '%s'; log tail:\n%s"
                          % (domid, name, "\n".join(text.splitlines()[-30:])))
    return text[starts[-1].start():end.end()]


def check_progress(m, timeout):
    """Every workload's counter moves on by at least its step (several
    seconds of guest time), within `timeout` seconds."""
    before = {n: last_int(m, p) for n, p, _ in COUNTERS}
    deadline = time.time() + timeout
    while True:
        after = {n: last_int(m, p) for n, p, _ in COUNTERS}
        if all(after[n] >= before[n] + step for n, _, step in COUNTERS):
            return before, after
        if time.time() > deadline:
            raise TestFailure("workloads stalled: %s -> %s; log tail:\n%s"
                              % (before, after, "\n".join(m.text().splitlines()[-30:])))
        m.assert_absent(*FAILS)
        time.sleep(0.5)


def test_standard_domains(build):
    with boot(build, STANDARD, "standard") as m:
        m.wait_for(BOOTED, 60)
        for domid, name in enumerate(["dom0", "heartbeat", "memcheck", "ping", "pong"]):
            m.wait_for(r"^\(HV\) d%d '%s': \d+ MiB in \d+ extent" % (domid, name))
        m.wait_for(r"^\(HV\) d0 'dom0': .*privileged")
        m.wait_for(r"^\(d0\) dom0: up", 30)
        m.wait_for(r"^\(d2\) memcheck: filled 16\d{3} pages", 60)
        m.wait_for(r"^\(d3\) pingpong: connected", 30)
        m.wait_for(r"^\(d4\) pingpong: connected", 30)
        m.wait_for(r"^\(d2\) memcheck: pass 1 ok", 60)
        before, after = check_progress(m, 90)
        print("progress: %s -> %s" % (before, after))
        m.assert_absent(*FAILS)


def test_isolation(build):
    bad = STANDARD[:3] + [
        ("badmem", 'name=badmem mem=4M cmdline="target=end op=write"'),
        ("badpriv", 'name=badpriv mem=4M cmdline="op=cli"'),
        ("badcall", 'name=badcall mem=4M'),
        ("badmem", 'name=badnull mem=4M cmdline="target=null op=read"'),
        ("badpriv", 'name=badcr3 mem=4M cmdline="op=wrcr3"'),
        ("badpriv", 'name=badio mem=4M cmdline="op=in"'),
        # x87/SSE are allowed (ABI 1.1): the isolation is that no state
        # crosses domains; fpunoise (d9) loads its values and yields, and
        # fpucheck (d10), started after it, must find the defaults, then
        # keep its own values in every register
        ("fpucheck", 'name=fpunoise mem=4M cmdline="mode=noise spin=1"'),
        ("fpucheck", 'name=fpucheck mem=4M cmdline="seed=10 period=500"'),
        ("badmem", 'name=badimage mem=4M cmdline="addr=0xffffffff80200000 op=write"'),
        ("badmem", 'name=baddirect mem=4M cmdline="addr=0xffff888000100000 op=read"'),
        ("badmem", 'name=badcanon mem=4M cmdline="target=noncanon op=read"'),
    ]
    with boot(build, bad, "isolation") as m:
        m.wait_for(BOOTED, 60)
        for domid, name in [(3, "badmem"), (4, "badpriv"), (6, "badnull"), (7, "badcr3"), (8, "badio"),
                           (11, "badimage"), (12, "baddirect"), (13, "badcanon")]:
            m.wait_for(r"^\(HV\) d%d '%s' crashed: " % (domid, name), 30, fail_on=("**** PANIC",))
        m.wait_for(r"^\(d5\) BADCALL DONE ok=\d+ mismatch=0 unexpected=0", 60, fail_on=("**** PANIC",))
        m.wait_for(r"^\(d10\) fpucheck: dom10 defaults ok$", 30, fail_on=("**** PANIC", "FPUCHECK FAIL"))
        m.wait_for(r"^\(d9\) fpunoise: dom9 loads \d+$", 30, fail_on=("**** PANIC", "FPUCHECK FAIL"))
        fpu_start = len(m.text())
        for _ in range(3):
            fpu_start = m.wait_for(r"^\(d10\) FPUCHECK ok \d+$", 30, start=fpu_start,
                                   fail_on=("**** PANIC", "FPUCHECK FAIL")).end()
        oks = count(m, r"^\(d5\) BADCALL OK ")
        if oks < 20:
            raise TestFailure("only %d garbage hypercalls checked" % oks)
        # the others keep running after the crashes
        start = len(m.text())
        m.wait_for(r"^\(d1\) heartbeat \d+", 10, start=start, fail_on=("**** PANIC",))
        m.wait_for(r"^\(d2\) memcheck: pass \d+ ok", 20, start=start, fail_on=("**** PANIC",))
        m.assert_absent(r"MEMCHECK FAIL", r"SURVIVED", r"BADCALL UNEXPECTED", r"d[0-2] '\w+' crashed",
                        r"FPUCHECK FAIL", r"d(9|10) '\w+' (crashed|shut down)")
        check_cr2(m)
        print("%d garbage hypercalls rejected; 8 bad domains crashed alone; fpucheck d10 found the "
              "default x87/SSE state and kept its own beside fpunoise d9" % oks)


def check_cr2(m):
    """CR2 is only written by a page fault: a #GP dump must not show the one
    left over from another domain's fault; a #PF dump shows its address."""
    for domid, name in [(4, "badpriv"), (7, "badcr3"), (8, "badio")]:
        dump = crash_dump(m, domid, name)
        if "general protection" not in dump:
            raise TestFailure("d%d '%s' was to die of #GP:\n%s" % (domid, name, dump))
        if "cr2" in dump.lower():
            raise TestFailure("#GP dump of d%d '%s' shows a (stale) CR2:\n%s" % (domid, name, dump))
    for domid, name in [(3, "badmem"), (6, "badnull")]:
        dump = crash_dump(m, domid, name)
        if "page fault" not in dump or not re.search(r"cr2 0x[0-9a-f]+", dump):
            raise TestFailure("#PF dump of d%d '%s' lacks its CR2:\n%s" % (domid, name, dump))
    # badmem wrote just past its 4 MiB
    if "cr2 0x400000" not in crash_dump(m, 3, "badmem"):
        raise TestFailure("d3 'badmem' faulted at 0x400000:\n%s" % crash_dump(m, 3, "badmem"))


def test_bad_modules(build):
    """Modules that are not valid domains are refused; the rest boot."""
    tmp = tempfile.mkdtemp(prefix="baton-badmod-")
    junk = os.path.join(tmp, "junk.bin")
    with open(junk, "wb") as f:
        f.write(b"this is not an ELF file\n" * 10)
    trunc = os.path.join(tmp, "trunc.elf")
    with open(os.path.join(build, "guests", "heartbeat.elf"), "rb") as f:
        data = f.read()
    with open(trunc, "wb") as f:
        f.write(data[:200])
    extra = [junk + " name=junk", trunc + " name=trunc",
             os.path.join(build, "guests", "heartbeat.elf") + " name=toobig mem=64G",
             os.path.join(build, "guests", "heartbeat.elf") + ' name=quote cmdline="unterminated']
    try:
        run_bad_modules(build, extra)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run_bad_modules(build, extra):
    with boot(build, STANDARD[:2], "bad-modules", extra_modules=extra) as m:
        m.wait_for(BOOTED, 60)
        m.wait_for(r"elf: no ELF magic")
        m.wait_for(r"domain: module 2 \('.*name=junk'\) not started")
        m.wait_for(r"elf: segment at 0x100000: \d+ file bytes at offset 0x\w+ \(file 200 bytes")
        m.wait_for(r"domain: module 3 .* not started")
        m.wait_for(r"domain: mem=64G: want a multiple of 4K from 2M to 4G")
        m.wait_for(r"domain: unterminated quote")
        m.wait_for(r"^\(d1\) heartbeat \d+", 30)


def test_console_rate_limit(build):
    """A guest printing flat out is cut to its rate and told so; others are heard."""
    noisy = [("dom0", "name=dom0 mem=4M"),
             ("heartbeat", 'name=noisy mem=4M cmdline="period=1"'),
             ("heartbeat", 'name=quiet mem=4M cmdline="period=250"')]
    with boot(build, noisy, "console-flood") as m:
        m.wait_for(BOOTED, 60)
        g = m.wait_for(r"^\(d1\) \[console: (\d+) bytes dropped by the rate limit\]", 60)
        start = len(m.text())
        for _ in range(4):
            start = m.wait_for(r"^\(d2\) heartbeat \d+", 10, start=start).end()
        m.assert_absent(r"HEARTBEAT FAIL", r"crashed")
        # a drop ends only once a real budget is back: reports are few and large
        if int(g.group(1)) < 100:
            raise TestFailure("a drop report for only %s bytes: reports would flood" % g.group(1))
        print("noisy guest: %s bytes dropped in one report; quiet guest still heard" % g.group(1))


HEARTBEAT = r"^\(d1\) heartbeat (\d+) t=(\d+)ms$"
FLOOD_FAILS = FAIL_MARKERS + ("HEARTBEAT FAIL", "flood: console_write returned", "crashed")


def console_fairness(build, flooders, seconds=8):
    """`flooders` guests loop console_write of 4 KiB of valid text flat out:
    each over its own rate, together far over what all guests may print. A
    quiet heartbeat (d1, a line every 250 ms: within any fair share) must
    still be heard: every beat, in order, none late, for `seconds`."""
    doms = [("dom0", "name=dom0 mem=4M"),
            ("heartbeat", 'name=quiet mem=4M cmdline="period=250"')]
    doms += [("flood", "name=flood%d mem=4M" % i) for i in range(flooders)]
    with boot(build, doms, "console-fair-%d" % flooders) as m:
        m.wait_for(BOOTED, 60)
        # every flooder has been cut by the limit and come back: the shared
        # budget is under pressure from all of them
        for i in range(flooders):
            m.wait_for(r"^\(d%d\) \[console: \d+ bytes dropped by the rate limit\]" % (i + 2),
                       60, fail_on=FLOOD_FAILS)
        start = m.wait_for(HEARTBEAT, 10, start=len(m.text()), fail_on=FLOOD_FAILS).start()
        first = int(re.compile(HEARTBEAT, re.M).search(m.text(), start).group(1))
        want = first + 4 * seconds
        m.wait_for(r"^\(d1\) heartbeat %d t=" % want, 4 * seconds, start=start,
                   fail_on=FLOOD_FAILS)
        text = m.text()[start:]
        beats = [(int(n), int(t)) for n, t in re.findall(HEARTBEAT, text, re.M)]
        beats = [b for b in beats if b[0] <= want]
        for (n0, t0), (n1, t1) in zip(beats, beats[1:]):
            if n1 != n0 + 1 or t1 - t0 > 750:
                raise TestFailure("quiet domain's heartbeat jumped from %d (t=%dms) to %d (t=%dms) "
                                  "with %d flooders; log tail:\n%s"
                                  % (n0, t0, n1, t1, flooders, "\n".join(text.splitlines()[-30:])))
        if len(beats) != want - first + 1:
            raise TestFailure("%d heartbeats from %d to %d" % (len(beats), first, want))
        m.assert_absent(r"^\(d1\) \[console: ", r"HEARTBEAT FAIL", r"crashed")
        # the flooders were heard meanwhile too: the line is not left idle
        for i in range(flooders):
            if not re.search(r"^\(d%d\) flood d%d " % (i + 2, i + 2), text, re.M):
                raise TestFailure("flooder d%d silent while the heartbeat ran" % (i + 2))
        print("%d flooders: heartbeats %d..%d all heard, %.1f s" % (flooders, first, want,
                                                                 (beats[-1][1] - beats[0][1]) / 1000.0))


def test_console_fairness_2(build):
    console_fairness(build, 2)


def test_console_fairness_4(build):
    console_fairness(build, 4)


if __name__ == "__main__":
    sys.exit(run_tests([test_standard_domains, test_isolation, test_bad_modules,
                        test_console_rate_limit, test_console_fairness_2,
                        test_console_fairness_4],
                       build_dir_from_args()))
