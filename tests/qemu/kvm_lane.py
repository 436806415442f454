#!/usr/bin/env python3
"""The KVM lane (issue 12, docs/kvm.md): Baton under the nested KVM of these
machines (kvm_pvm), on QEMU -M microvm with -accel kvm -cpu
host,-arch-capabilities.

Guest ring 3 runs natively there; Baton's ring 0 is emulated at about 1 us
per instruction and every hypercall goes through the syscall fault path
(arch/x86/traps.c). The lane is sized for that: small domains, few
hypercalls. It covers a boot, the hypercall path and its cost, the standard
domains, isolation (bad guests die alone; x87/SSE state does not cross
domains), fpucheck, and one live update A -> B with every domain verified.

microvm gives one ISA serial line (COM1): COM2 (0x2f8, IRQ 3), the control
plane's line (domain 0's agent, ctl=com2), is added as an isa-serial device.

    python3 tests/qemu/kvm_lane.py --build build          # make check-kvm
    python3 tests/qemu/kvm_lane.py --build build --accel tcg

Without a /dev/kvm that opens, the lane prints "kvm lane: skipped: <why>"
and runs nothing (tests/run-check.py counts that as skipped, not passed).
--accel tcg runs the same steps on microvm under TCG: a check of the lane
itself on a machine without KVM, never what make check-kvm runs.
"""
import argparse
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from baton_qemu import FAIL_MARKERS, Machine, TestFailure, tail  # noqa: E402
from domain_sets import modules  # noqa: E402
import lu_drive as lu  # noqa: E402
from rehearsal import check_dom0, check_memcheck, check_pingpong  # noqa: E402
import syscall_fault  # noqa: E402

SKIPPED = "kvm lane: skipped: "
BOOTED = r"^\(HV\) Baton: boot complete$"
FAULT_PATH = r"^\(HV\) traps: hypercall completed through the syscall fault path"
TSC_LINE = r"^\(HV\) time: TSC ([\d.]+) MHz \(source: ([^)]+)\)"
BAD = FAIL_MARKERS + ("PANIC", "FAIL", "crashed", "domains lost", "SURVIVED",
                      "UNEXPECTED")

# The standard domains (tests/qemu/domain_sets.py) sized down: clearing and
# filling guest memory is ring-0 work the emulator does 1 us per instruction.
LANE_STANDARD = [
    ("dom0", 'name=dom0 mem=8M cmdline="period=2000"'),
    ("heartbeat", 'name=heartbeat mem=4M cmdline="period=250"'),
    ("memcheck", 'name=memcheck mem=8M cmdline="seed=7 fill=all period=500"'),
    ("pingpong", 'name=ping mem=4M cmdline="role=front peer=4 ref=8 period=500"'),
    ("pingpong", 'name=pong mem=4M cmdline="role=back peer=3 ref=8 period=500"'),
]
FPUCHECK, SLEEPER = 5, 6
# The sleeper boots paused and is unpaused (hvctl unpause) once the image is
# loaded: how long the upload takes on this line is not known in advance,
# the exec is short. Its one timer must be pending when the update runs,
# and fire after it.
SLEEP_MS = 30000
LU_DOMAINS = LANE_STANDARD + [
    ("fpucheck", 'name=fpucheck mem=4M cmdline="mode=check seed=11 period=1000"'),
    ("sleeper", 'name=sleeper mem=4M paused=1 cmdline="delay=%d event=1"' % SLEEP_MS),
]
MAX_BEAT_GAP_MS = 1500      # outside the update; across it: the downtime too

ACCEL = "kvm"               # set by main(): what every Machine must run on


def lane_machine(build, domain_set, name, append="console=com1", mem="256M", com2=False,
                 timeout=600):
    """microvm, -kernel (multiboot1), the lane's accelerator; with com2,
    a second ISA serial line at 0x2f8 on m.ctl_path() for hvctl."""
    m = Machine(kernel=os.path.join(build, "baton.elf"), append=append,
                modules=modules(build, domain_set), mem=mem, machine="microvm", name=name,
                timeout=timeout)
    if com2:
        m.extra += ["-chardev", "socket,id=ser1,path=%s,server=on,wait=off" % m.ctl_path(),
                    "-device", "isa-serial,chardev=ser1,iobase=0x2f8,irq=3"]
    if m.accel != ACCEL:
        raise TestFailure("the lane wants accel %s, the machine chose %s" % (ACCEL, m.accel))
    return m


def say(m, what):
    print("[%s] accel %s: %s" % (m.name, m.accel, what))
    sys.stdout.flush()


def tsc_mhz(m, start=0):
    g = re.compile(TSC_LINE, re.M).search(m.text(), start)
    return (float(g.group(1)), g.group(2)) if g else (None, None)


def fault_path_lines(text):
    return len(re.findall(FAULT_PATH, text, re.M))


def check_fault_path_in_use(m, text, builds=1):
    """Under KVM every hypercall takes the fault path: one announcement per
    build that ran guests. Under TCG only a jump to the entry does."""
    n = fault_path_lines(text)
    if ACCEL == "kvm" and n != builds:
        raise TestFailure("%d announcements of the syscall fault path under KVM, want %d; "
                          "log tail:\n%s" % (n, builds, tail(text)))
    return n


# ------------------------------------------------------------------ tests

def test_boot(build):
    """Baton alone on microvm: time to 'boot complete'."""
    with lane_machine(build, [], "kvm-boot") as m:
        t0 = time.time()
        m.wait_for(BOOTED, 120, fail_on=BAD)
        secs = time.time() - t0
        m.wait_for(r"^\(HV\) domain: no boot modules, no domains$", 1)
        mhz, source = tsc_mhz(m)
        say(m, "boot complete in %.2f s wall (no domains); TSC %s MHz (source: %s)"
            % (secs, mhz, source))


def test_hypercalls(build):
    """The syscall fault path in use (under KVM: for every hypercall), the
    jump probes of tests/qemu/syscall_fault.py, and the hypercall cost."""
    entry = syscall_fault.syscall_entry(os.path.join(build, "baton.elf"))
    count = 2000 if ACCEL == "kvm" else 200000
    with lane_machine(build, syscall_fault.probe_domains(entry, count), "kvm-hypercalls") as m:
        m.wait_for(BOOTED, 120, fail_on=BAD)
        m.wait_for(r"^\(d2\) SYSCALLPROBE OK jump ", 60, fail_on=syscall_fault.FAILS)
        m.wait_for(r"^\(HV\) d2 'jump' crashed: ", 30, fail_on=syscall_fault.FAILS)
        if "general protection" not in syscall_fault.crash_report(m, 2, "jump"):
            raise TestFailure("d2 'jump' was to die of #GP:\n%s"
                              % syscall_fault.crash_report(m, 2, "jump"))
        syscall_fault.expect_page_fault(m, 3, "badrcx", entry)
        syscall_fault.expect_page_fault(m, 4, "toprcx", entry)
        syscall_fault.expect_page_fault(m, 5, "offset", entry + 1)
        calls, tsc, ns = syscall_fault.bench_line(m, 6)
        m.wait_for(r"^\(d1\) heartbeat 4 t=", 60, fail_on=syscall_fault.FAILS)
        n = fault_path_lines(m.text())
        if n != 1:
            raise TestFailure("the syscall fault path announced %d times, want once:\n%s"
                              % (n, tail(m.text())))
        m.assert_absent(r"^\(HV\) d[016] '\w+' crashed")
        say(m, "syscall fault path announced once; jump probes as on TCG; hypercall cost "
            "(null): %d calls, %d TSC ticks, %.3f ns per call" % (calls, tsc, ns))


COUNTERS = [("heartbeat", r"^\(d1\) heartbeat (\d+) t=", 4),
            ("memcheck", r"^\(d2\) memcheck: pass (\d+) ok", 1),
            ("pingpong", r"^\(d3\) pingpong: (\d+) round trips", 10)]


def last_int(text, pattern):
    found = re.findall(pattern, text, re.M)
    return int(found[-1]) if found else -1


def wait_progress(m, counters, timeout):
    """Every counter moves on by its step within timeout seconds."""
    before = {n: last_int(m.text(), p) for n, p, _ in counters}
    deadline = time.time() + timeout
    while True:
        after = {n: last_int(m.text(), p) for n, p, _ in counters}
        if all(after[n] >= before[n] + step for n, _, step in counters):
            return before, after
        if time.time() > deadline:
            raise TestFailure("workloads stalled: %s -> %s; log tail:\n%s"
                              % (before, after, tail(m.text())))
        m.assert_absent(*[re.escape(b) for b in BAD])
        time.sleep(0.5)


def test_standard_domains(build):
    with lane_machine(build, LANE_STANDARD, "kvm-standard") as m:
        t0 = time.time()
        m.wait_for(BOOTED, 180, fail_on=BAD)
        secs = time.time() - t0
        for domid, name in enumerate(["dom0", "heartbeat", "memcheck", "ping", "pong"]):
            m.wait_for(r"^\(HV\) d%d '%s': \d+ MiB in \d+ extent" % (domid, name), 1)
        m.wait_for(r"^\(d0\) dom0: up", 60, fail_on=BAD)
        m.wait_for(r"^\(d2\) memcheck: filled \d+ pages", 120, fail_on=BAD)
        m.wait_for(r"^\(d3\) pingpong: connected", 60, fail_on=BAD)
        m.wait_for(r"^\(d4\) pingpong: connected", 60, fail_on=BAD)
        m.wait_for(r"^\(d2\) memcheck: pass 1 ok", 120, fail_on=BAD)
        before, after = wait_progress(m, COUNTERS, 120)
        check_fault_path_in_use(m, m.text())
        say(m, "5 standard domains (sized down) booted in %.2f s wall; progress %s -> %s"
            % (secs, before, after))


ISOLATION = LANE_STANDARD[:2] + [
    ("badmem", 'name=badmem mem=4M cmdline="target=end op=write"'),
    ("badpriv", 'name=badpriv mem=4M cmdline="op=cli"'),
    ("badcall", 'name=badcall mem=4M'),
    ("badmem", 'name=badnull mem=4M cmdline="target=null op=read"'),
    ("badpriv", 'name=badcr3 mem=4M cmdline="op=wrcr3"'),
    ("badpriv", 'name=badio mem=4M cmdline="op=in"'),
    ("badmem", 'name=badimage mem=4M cmdline="addr=0xffffffff80200000 op=write"'),
    ("badmem", 'name=baddirect mem=4M cmdline="addr=0xffff888000100000 op=read"'),
    ("badmem", 'name=badcanon mem=4M cmdline="target=noncanon op=read"'),
    # x87/SSE: under kvm_pvm CR0.EM and OSFXSR are not enforced in ring 3,
    # so only a switched per-vCPU state keeps them apart: a checker beside
    # a domain that keeps loading other values into the same registers
    ("fpucheck", 'name=fpucheck mem=4M cmdline="mode=check seed=5 period=1000"'),
    ("fpucheck", 'name=fpunoise mem=4M cmdline="mode=noise seed=99 period=1000"'),
]
ISO_CRASHES = [(2, "badmem"), (3, "badpriv"), (5, "badnull"), (6, "badcr3"), (7, "badio"),
               (8, "badimage"), (9, "baddirect"), (10, "badcanon")]
ISO_FPU, ISO_NOISE = 11, 12


def test_isolation(build):
    fatal = ("**** PANIC", "FATAL hypervisor exception", "FPUCHECK FAIL", "SURVIVED",
             "BADCALL UNEXPECTED", "MEMCHECK FAIL")
    with lane_machine(build, ISOLATION, "kvm-isolation") as m:
        m.wait_for(BOOTED, 180, fail_on=fatal)
        for domid, name in ISO_CRASHES:
            m.wait_for(r"^\(HV\) d%d '%s' crashed: " % (domid, name), 60, fail_on=fatal)
        m.wait_for(r"^\(d4\) BADCALL DONE ok=\d+ mismatch=0 unexpected=0", 120, fail_on=fatal)
        oks = len(re.findall(r"^\(d4\) BADCALL OK ", m.text(), re.M))
        if oks < 20:
            raise TestFailure("only %d garbage hypercalls checked" % oks)
        m.wait_for(r"^\(d%d\) fpucheck: dom%d defaults ok" % (ISO_FPU, ISO_FPU), 60,
                   fail_on=fatal)
        start = len(m.text())
        # the checker runs rounds while the noise domain loads its values
        m.wait_for(r"^\(d%d\) fpunoise: dom%d loads \d+" % (ISO_NOISE, ISO_NOISE), 60,
                   start=start, fail_on=fatal)
        m.wait_for(r"^\(d%d\) FPUCHECK ok \d+" % ISO_FPU, 60, start=start, fail_on=fatal)
        m.wait_for(r"^\(d1\) heartbeat \d+", 30, start=start, fail_on=fatal)
        m.assert_absent(*[re.escape(f) for f in fatal],
                        r"^\(HV\) d(0|1|4|%d|%d) '\w+' crashed" % (ISO_FPU, ISO_NOISE))
        for domid, name in [(3, "badpriv"), (6, "badcr3"), (7, "badio")]:
            if "general protection" not in syscall_fault.crash_report(m, domid, name):
                raise TestFailure("d%d '%s' was to die of #GP" % (domid, name))
        say(m, "%d garbage hypercalls rejected; %d bad domains crashed alone; fpucheck saw "
            "no x87/SSE state from the noise domain" % (oks, len(ISO_CRASHES)))


def test_fpucheck(build):
    """Two checkers with their own values and one noise domain, preempting
    each other: every checker's registers stay its own for several rounds."""
    doms = [("dom0", "name=dom0 mem=4M"),
            ("fpucheck", 'name=fpu1 mem=4M cmdline="mode=check seed=1 period=1000"'),
            ("fpucheck", 'name=fpu2 mem=4M cmdline="mode=check seed=2 period=1000"'),
            ("fpucheck", 'name=noise mem=4M cmdline="mode=noise seed=3 period=1000"')]
    fatal = FAIL_MARKERS + ("FPUCHECK FAIL", "crashed")
    with lane_machine(build, doms, "kvm-fpucheck") as m:
        m.wait_for(BOOTED, 120, fail_on=fatal)
        for d in (1, 2):
            m.wait_for(r"^\(d%d\) fpucheck: dom%d defaults ok" % (d, d), 60, fail_on=fatal)
            m.wait_for(r"^\(d%d\) fpucheck: loaded seed=%d" % (d, d), 60, fail_on=fatal)
        m.wait_for(r"^\(d3\) fpunoise: dom3 loads \d+", 60, fail_on=fatal)
        start = len(m.text())
        rounds = {}
        for d in (1, 2):
            at = start
            for _ in range(3):
                at = m.wait_for(r"^\(d%d\) FPUCHECK ok \d+" % d, 60, start=at,
                                fail_on=fatal).end()
            rounds[d] = last_int(m.text(), r"^\(d%d\) FPUCHECK ok (\d+)" % d)
        m.assert_absent(r"FPUCHECK FAIL", r"crashed")
        say(m, "fpucheck: 2 checkers kept their x87/SSE registers beside a noise domain "
            "(rounds %s)" % rounds)


def wait_up(m):
    m.wait_for(BOOTED, 300, fail_on=BAD)
    m.wait_for(lu.AGENT, 120, fail_on=BAD)
    for pattern in (r"^\(d3\) pingpong: connected", r"^\(d2\) memcheck: pass 1 ok",
                    r"^\(d%d\) FPUCHECK ok \d+" % FPUCHECK):
        m.wait_for(pattern, 180, fail_on=BAD)
    return m.wait_for(lu.BANNER, 1).group(1)


def check_heartbeat_across(m, text, mark, down_us):
    """d1's heartbeat never restarts and never skips a number; its beats are
    at most MAX_BEAT_GAP_MS apart, except across the update, where the
    downtime is added."""
    if len(re.findall(r"^\(d1\) heartbeat: dom", text, re.M)) != 1:
        raise TestFailure("heartbeat (d1) printed its banner more than once: it restarted")
    beats = [(g.start(), int(g.group(1)), int(g.group(2)))
             for g in re.finditer(r"^\(d1\) heartbeat (\d+) t=(\d+)ms$", text, re.M)]
    if not beats or beats[0][1] != 0:
        raise TestFailure("heartbeat (d1) did not start at 0")
    crossing = None
    for (p0, n0, t0), (p1, n1, t1) in zip(beats, beats[1:]):
        if n1 != n0 + 1:
            raise TestFailure("heartbeat (d1) went from %d to %d" % (n0, n1))
        allowed = MAX_BEAT_GAP_MS
        if p0 < mark[0] and p1 > mark[1]:
            crossing = (n0, t0, n1, t1)
            allowed += down_us // 1000
        if t1 < t0 or t1 - t0 > allowed:
            raise TestFailure("heartbeat (d1) %d at t=%dms then %d at t=%dms (allowed gap %d ms)"
                              % (n0, t0, n1, t1, allowed))
    if not crossing:
        raise TestFailure("no heartbeat on both sides of the update")
    return crossing


def check_fpucheck_across(text, mark):
    oks = [(g.start(), int(g.group(1)))
           for g in re.finditer(r"^\(d%d\) FPUCHECK ok (\d+)$" % FPUCHECK, text, re.M)]
    before = [n for p, n in oks if p < mark[0]]
    after = [n for p, n in oks if p > mark[1]]
    if not before or not after or after[0] <= before[-1]:
        raise TestFailure("fpucheck (d%d) rounds %s before the update, %s after"
                          % (FPUCHECK, before[-3:], after[:3]))
    if len(re.findall(r"^\(d%d\) fpucheck: loaded" % FPUCHECK, text, re.M)) != 1:
        raise TestFailure("fpucheck (d%d) loaded its values more than once: it restarted"
                          % FPUCHECK)
    return before[-1], after[-1]


def check_sleeper_across(text, mark):
    """Armed before the update, its one timer fired once after it; the
    event pending (masked) across the update was delivered after."""
    armed = [g for g in re.finditer(r"^\(d%d\) sleeper: armed deadline=(\d+)$" % SLEEPER,
                                    text, re.M)]
    woke = [g for g in re.finditer(r"^\(d%d\) sleeper: woke at=(\d+) deadline=(\d+) late=(\d+)"
                                   % SLEEPER, text, re.M)]
    delivered = [g for g in re.finditer(r"^\(d%d\) sleeper: event delivered port=\d+$"
                                        % SLEEPER, text, re.M)]
    if len(armed) != 1 or len(woke) != 1 or len(delivered) != 1:
        raise TestFailure("sleeper: armed %d, woke %d, delivered %d times; want once each"
                          % (len(armed), len(woke), len(delivered)))
    if not armed[0].start() < mark[0] or not woke[0].start() > mark[1]:
        raise TestFailure("the sleeper's timer did not cross the update (armed at %d, update "
                          "%s, woke at %d): SLEEP_MS too short for this machine"
                          % (armed[0].start(), mark, woke[0].start()))
    if woke[0].group(2) != armed[0].group(1) or int(woke[0].group(1)) < int(woke[0].group(2)):
        raise TestFailure("sleeper armed for %s: %s" % (armed[0].group(1), woke[0].group(0)))
    if delivered[0].start() < woke[0].start():
        raise TestFailure("sleeper's pending event delivered before it woke")
    return int(woke[0].group(3)) // 1000000


def downtime_us(down):
    """Each phase in us, at the rate the downtime line itself states (its
    us over its ticks: the new build's TSC calibration)."""
    return {p: down[p] * down["us"] / down["ticks"] for p in lu.PHASES} if down["ticks"] else {}


def start_sleeper(build, m):
    """The sleeper (paused since boot) runs now: its event pending and its
    timer armed before the update."""
    if re.search(r"^\(d%d\) " % SLEEPER, m.text(), re.M):
        raise TestFailure("the sleeper (d%d) ran before it was unpaused" % SLEEPER)
    lu.hvctl(build, m, "unpause", str(SLEEPER))
    for pattern in (r"^\(d%d\) sleeper: event pending port=\d+$" % SLEEPER,
                    r"^\(d%d\) sleeper: armed deadline=\d+$" % SLEEPER):
        m.wait_for(pattern, 60, fail_on=BAD)


def check_same_domains(build, m, before, slots):
    """What lu_drive.update checks after the exec: the same domains, the
    image slot and bootmem in place, nothing left loaded."""
    after = lu.identity(lu.domains(build, m))
    if after != before:
        raise TestFailure("domains changed across the update:\nbefore %s\nafter  %s"
                          % (before, after))
    if len(after) != len(LU_DOMAINS):
        raise TestFailure("%d domains across the update, want %d" % (len(after),
                                                                   len(LU_DOMAINS)))
    if lu.ranges(build, m) != slots:
        raise TestFailure("MA_XEN / MA_LIVEUPDATE moved across the update")
    status = lu.hvctl(build, m, "kexec", "status", "--type", "live-update").stdout.strip()
    if status != "live-update: not loaded":
        raise TestFailure("after the update: %s" % status)


def test_live_update(build):
    """One live update A -> B under KVM with every domain verified: same
    domids, names, handles, memory and state (as lu_drive.update); heartbeat
    continuous; memcheck's checksum unchanged; pingpong without a gap (its
    own check) and progressing; fpucheck's registers kept; the sleeper's
    timer armed before fires after and its pending event is delivered;
    domain 0 never restarts. Prints the downtime by phase in us."""
    image_b = os.path.join(build, "b", "baton.elf")
    if not os.path.exists(image_b):
        raise TestFailure("no build B at %s (make build-b)" % image_b)
    with lane_machine(build, LU_DOMAINS, "kvm-liveupdate", mem="512M", com2=True,
                      append="console=com1 %s" % lu.LU_ARG, timeout=900) as m:
        t0 = time.time()
        v_a = wait_up(m)
        up = time.time() - t0
        pid = m.proc.pid
        secs = lu.load(build, m, image_b)
        start_sleeper(build, m)
        before, slots = lu.identity(lu.domains(build, m)), lu.ranges(build, m)
        mark0 = len(m.text())
        at, down = lu.exec_update(build, m, v_a + "-b")
        check_same_domains(build, m, before, slots)
        pos = m.wait_for(lu.EXEC_REQUESTED, 1, start=mark0).start()
        end = m.wait_for(BOOTED, 5, start=at).end()
        mark = (pos, end)
        lu.same_qemu(m, pid)
        # every guest makes progress in the new build
        for domid, pattern, n in [(1, r"heartbeat \d+ t=", 2), (2, r"memcheck: pass \d+ ok", 1),
                                  (3, r"pingpong: \d+ round trips", 1),
                                  (4, r"pingpong: \d+ round trips", 1),
                                  (FPUCHECK, r"FPUCHECK ok \d+", 1), (0, r"dom0: alive \d+", 1)]:
            at_d = end
            for _ in range(n):
                at_d = m.wait_for(r"^\(d%d\) %s" % (domid, pattern), 120, start=at_d,
                                  fail_on=BAD).end()
        m.wait_for(r"^\(d%d\) sleeper: event delivered" % SLEEPER, SLEEP_MS / 1000 + 120,
                   fail_on=BAD)
        text = m.text()
        for bad in BAD:
            if bad in text:
                raise TestFailure("'%s' in the log; log tail:\n%s" % (bad, tail(text, 40)))
        crossing = check_heartbeat_across(m, text, mark, down["us"])
        csum, passes = check_memcheck(m, text, [mark], "update")
        ping = check_pingpong(m, text, [mark], 3, "update")
        pong = check_pingpong(m, text, [mark], 4, "update")
        alive = check_dom0(m, text)
        fpu = check_fpucheck_across(text, mark)
        late_ms = check_sleeper_across(text, mark)
        check_fault_path_in_use(m, text, builds=2)
        mhz, source = tsc_mhz(m)
        phases = downtime_us(down)
        say(m, "A (%s) -> B up in %.1f s, load %.1f s; same %d domains; heartbeat %d (t=%dms) "
            "-> %d (t=%dms) across it; memcheck checksum %s in %d passes; ping %d, pong %d "
            "round trips; fpucheck rounds %d -> %d; sleeper woke %d ms late, its event "
            "delivered; dom0 alive 0..%d"
            % (v_a, up, secs, len(LU_DOMAINS), crossing[0], crossing[1], crossing[2], crossing[3], csum,
               len(passes), ping[-1], pong[-1], fpu[0], fpu[1], late_ms,
               alive[-1] if alive else -1))
        say(m, "LU downtime %d us (%d ticks; build A's TSC %s MHz from %s): %s"
            % (down["us"], down["ticks"], mhz, source,
               ", ".join("%s %.0f us" % (p, phases[p]) for p in lu.PHASES) if phases
               else lu.format_downtime(down)))


TESTS = [test_boot, test_hypercalls, test_standard_domains, test_isolation, test_fpucheck,
         test_live_update]


def kvm_skip_reason():
    """None when /dev/kvm opens read-write, else why not."""
    try:
        os.close(os.open("/dev/kvm", os.O_RDWR))
        return None
    except OSError as e:
        return "/dev/kvm: %s" % (e.strerror or e)


def main():
    global ACCEL
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--only", default=None, help="run only tests whose name contains this")
    ap.add_argument("--accel", choices=("kvm", "tcg"), default="kvm",
                    help="tcg: the lane's steps on microvm under TCG, to check the lane "
                         "itself where there is no KVM")
    args = ap.parse_args()
    ACCEL = args.accel
    if ACCEL == "kvm":
        why = kvm_skip_reason()
        if why:
            print(SKIPPED + why)
            return 0
    os.environ["BATON_ACCEL"] = ACCEL
    print("kvm lane: accel %s, -M microvm%s" % (ACCEL, ", -cpu host,-arch-capabilities"
                                                 if ACCEL == "kvm" else ", -cpu max"))
    t0 = time.time()
    failed = 0
    for fn in TESTS:
        name = fn.__name__.replace("test_", "")
        if args.only and args.only not in name:
            continue
        t = time.time()
        try:
            fn(args.build)
            print("PASS: kvm-lane %s [accel %s] (%.1fs)" % (name, ACCEL, time.time() - t))
        except Exception as e:  # a test's failure, whatever raised it
            failed += 1
            print("FAIL: kvm-lane %s [accel %s] (%.1fs)\n%s" % (name, ACCEL, time.time() - t, e))
        sys.stdout.flush()
    print("kvm lane: accel %s, total %.1f s wall" % (ACCEL, time.time() - t0))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
