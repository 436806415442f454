#!/usr/bin/env python3
"""Live update end to end (issue 9), driven as an operator does:

    build/tools/hvctl kexec load --type live-update IMAGE --append "console=com1"
    build/tools/hvctl kexec exec

The old build pauses every domain and writes the handover stream at exec,
kexec_reloc writes the breadcrumb, the new build finds it in early boot and
rebuilds the domains from it, in the same QEMU process (never reset). The
test only reads: the serial log, hvctl's answers and QMP. It never builds a
stream or a breadcrumb; the corruption tests ask the OLD build to damage
its own handover with lu_test= (a tests-only boot option).

Build A is DIR/baton.elf, build B is DIR/b/baton.elf: another version
string and another internal layout (CONFIG_LAYOUT_SHUFFLE pads and
reorders struct domain, struct vcpu, event channel, grant and frame-table
structures and internal lists), so nothing internal can cross by accident.

Continuity is read from the guests' own output: heartbeat counters go on
by one, memcheck's checksum never changes and no MEMCHECK FAIL appears,
pingpong keeps counting (its own sequence check prints PINGPONG FAIL on a
gap or a duplicate), domain 0 never restarts and its agent answers.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from baton_qemu import Machine, TestFailure, build_dir_from_args, run_tests, tail  # noqa: E402
from domain_sets import STANDARD, modules  # noqa: E402
import lu_drive as lu  # noqa: E402
from rehearsal import check_dom0, check_heartbeat, check_memcheck, check_pingpong  # noqa: E402

BAD = lu.BAD
wait_up = lu.wait_up
UPDATES = 20
SLEEP_MS = 40000                # the sleeper's timer crosses the first updates
LU_DOMAINS = STANDARD + [
    ("heartbeat", 'name=frozen mem=4M paused=1 cmdline="period=100"'),
    ("sleeper", 'name=sleeper mem=4M cmdline="delay=%d event=1"' % SLEEP_MS),
]
FROZEN, SLEEPER = 5, 6


def no_failure(m):
    text = m.text()
    for bad in BAD:
        if bad in text:
            raise TestFailure("'%s' in the log; log tail:\n%s" % (bad, tail(text, 40)))


def images(build):
    return os.path.join(build, "baton.elf"), os.path.join(build, "b", "baton.elf")


def boot(build, domain_set, name, extra_append="", mem="512M", timeout=1800):
    return Machine(kernel=images(build)[0],
                   append=("console=com1 %s %s" % (lu.LU_ARG, extra_append)).strip(),
                   modules=modules(build, domain_set), mem=mem, name=name, ctl=True,
                   timeout=timeout)


def progress_after(m, at, domid, pattern, count=2):
    """Wait for count new lines of a guest after offset at."""
    for _ in range(count):
        g = m.wait_for(r"^\(d%d\) %s" % (domid, pattern), 60, start=at, fail_on=BAD)
        at = g.end()
    return at


def check_sleeper(m, text, marks):
    """Armed once before an update, its timer fired once after it, and the
    event that was pending (masked) across the update was delivered."""
    armed = [(g.start(), g) for g in re.finditer(r"^\(d%d\) sleeper: armed deadline=(\d+)$"
                                                  % SLEEPER, text, re.M)]
    woke = [(g.start(), g) for g in re.finditer(
        r"^\(d%d\) sleeper: woke at=(\d+) deadline=(\d+) late=(\d+) wakeups=(\d+)$" % SLEEPER,
        text, re.M)]
    pending = re.findall(r"^\(d%d\) sleeper: event pending port=(\d+)$" % SLEEPER, text, re.M)
    delivered = [(g.start(), g) for g in re.finditer(
        r"^\(d%d\) sleeper: event delivered port=(\d+)$" % SLEEPER, text, re.M)]
    if len(armed) != 1 or len(woke) != 1 or len(pending) != 1 or len(delivered) != 1:
        raise TestFailure("sleeper: armed %d, woke %d, event pending %d, delivered %d times; "
                          "want once each" % (len(armed), len(woke), len(pending), len(delivered)))
    (apos, a), (wpos, w), (dpos, dl) = armed[0], woke[0], delivered[0]
    at, deadline = int(w.group(1)), int(w.group(2))
    if deadline != int(a.group(1)) or at < deadline:
        raise TestFailure("sleeper armed for %s, woke at %d for %d" % (a.group(1), at, deadline))
    crossed = [k + 1 for k, (pos, _) in enumerate(marks) if apos < pos < wpos]
    if not crossed:
        raise TestFailure("the sleeper's timer crossed no update (armed at %d, woke at %d)"
                          % (apos, wpos))
    if dl.group(1) != pending[0] or dpos < wpos:
        raise TestFailure("sleeper: event on port %s pending, %s delivered" % (pending[0],
                                                                           dl.group(1)))
    return crossed, int(w.group(3))


def check_frozen(text, marks):
    if re.search(r"^\(d%d\) " % FROZEN, text, re.M):
        raise TestFailure("the paused domain d%d printed: it ran" % FROZEN)


def test_updates(build):
    """A -> B -> A -> B ... 20 updates in one QEMU run, with the standard
    domains, a domain paused from boot and a sleeper holding a pending
    timer and a pending event; everything checked after each update."""
    image_a, image_b = images(build)
    with boot(build, LU_DOMAINS, "liveupdate") as m:
        v_a = wait_up(m, [r"^\(d3\) pingpong: connected",
                          r"^\(d%d\) sleeper: event pending port=\d+$" % SLEEPER,
                          r"^\(d%d\) sleeper: armed deadline=\d+$" % SLEEPER])
        if v_a.endswith("-b"):
            raise TestFailure("build A says %s" % v_a)
        pid = m.proc.pid
        marks, downs = [], []
        for n in range(1, UPDATES + 1):
            image, version = (image_b, v_a + "-b") if n % 2 else (image_a, v_a)
            mark = len(m.text())
            at, down, secs = lu.update(build, m, image, version)
            # the update, for the guests, runs from the old build's exec
            # line (every domain paused) to the new build's boot complete
            pos = m.wait_for(lu.EXEC_REQUESTED, 1, start=mark).start()
            end = m.wait_for(lu.BOOTED, 5, start=at).end()
            marks.append((pos, end))
            downs.append(down)
            lu.same_qemu(m, pid)
            # the guests' own progress after this update
            progress_after(m, end, 1, r"heartbeat \d+ t=")
            progress_after(m, end, 2, r"memcheck: pass \d+ ok", 1)
            progress_after(m, end, 3, r"pingpong: \d+ round trips", 1)
            progress_after(m, end, 4, r"pingpong: \d+ round trips", 1)
            print("update %2d -> %s: load %.1f s; downtime %s"
                  % (n, version, secs, lu.format_downtime(down)))
            sys.stdout.flush()
        m.wait_for(r"^\(d%d\) sleeper: event delivered" % SLEEPER, 120, fail_on=BAD)
        text = m.text()
        no_failure(m)
        beats = check_heartbeat(m, text, marks, "update")
        alive = check_dom0(m, text)
        csum, passes = check_memcheck(m, text, marks, "update")
        ping = check_pingpong(m, text, marks, 3, "update")
        pong = check_pingpong(m, text, marks, 4, "update")
        check_frozen(text, marks)
        crossed, late = check_sleeper(m, text, marks)
        if len(re.findall(lu.LU_BOOT, text, re.M)) != UPDATES:
            raise TestFailure("want %d 'live update boot' lines" % UPDATES)
        print("%d live updates A<->B in QEMU process %d (never reset): heartbeat 0..%d "
              "continuous; memcheck %d passes, checksum %s throughout; ping %d, pong %d round "
              "trips; dom0 alive 0..%d; d%d stayed paused; sleeper's timer crossed updates %s "
              "and fired %d ms late, its pending event was delivered after"
              % (UPDATES, pid, beats[-1][0], len(passes), csum, ping[-1], pong[-1],
                 alive[-1] if alive else -1, FROZEN, crossed, late // 1000000))
        worst = max(downs, key=lambda d: d["ticks"])
        print("downtime (TCG, TSC ticks; wall us): worst %s" % lu.format_downtime(worst))


def test_dom0_only(build):
    """An update with domain 0 as the only domain."""
    _, image_b = images(build)
    with boot(build, STANDARD[:1], "lu-dom0") as m:
        v_a = wait_up(m)
        at, down, _ = lu.update(build, m, image_b, v_a + "-b")
        progress_after(m, at, 0, r"dom0: alive \d+ t=", 1)
        check_dom0(m, m.text())
        # the breadcrumb is cleared once consumed (read through QMP)
        words = m.qmp_command("human-monitor-command",
                              **{"command-line": "xp /3gx 0x%x" % lu.LU_ADDR})
        vals = re.findall(r"0x([0-9a-f]{16})", words.split(":", 1)[-1])
        if len(vals) != 3 or any(int(v, 16) for v in vals):
            raise TestFailure("breadcrumb at 0x%x not cleared after the update: %r"
                              % (lu.LU_ADDR, words))
        no_failure(m)
        print("domain 0 alone: updated to %s-b, agent answers, alive counter continuous; "
              "breadcrumb cleared, MA_XEN and MA_LIVEUPDATE unchanged; downtime %s"
              % (v_a, lu.format_downtime(down)))


def test_after_update(build):
    """The new build owns its memory once the update is over: the deferred
    frame table completes while the domains run, a restored domain can be
    destroyed (its memory goes back by extent) and a new one created."""
    _, image_b = images(build)
    with boot(build, STANDARD[:2], "lu-after") as m:
        v_a = wait_up(m, [r"^\(d1\) heartbeat \d+ t="])
        at, down, _ = lu.update(build, m, image_b, v_a + "-b")
        done = m.wait_for(r"^\(HV\) memory: frame table complete after the live update: "
                          r"(\d+) step\(s\), (\d+) ticks", 60, start=at, fail_on=BAD)
        free_before = int(m.wait_for(r"^\(HV\) memory: \d+ MiB usable RAM, (\d+) MiB free",
                                     5, start=at).group(1))
        lu.hvctl(build, m, "destroy", "1")
        if [d["domid"] for d in lu.domains(build, m)] != [0]:
            raise TestFailure("d1 still listed after destroy")
        lu.hvctl(build, m, "create", os.path.join(build, "guests", "heartbeat.elf"),
                 'name=again mem=16M cmdline="period=250"')
        g = m.wait_for(r"^\(d(\d+)\) heartbeat 2 t=", 60, start=done.end(), fail_on=BAD)
        no_failure(m)
        print("after the update: frame table completed in %s step(s) (%s ticks) with the "
              "domains running (%d MiB free before it); restored d1 destroyed, d%s created "
              "and beating" % (done.group(1), done.group(2), free_before, g.group(1)))


def test_big_guest(build):
    """An update of a guest with 2 GiB of memory (memcheck over all of it)."""
    _, image_b = images(build)
    big = STANDARD[:1] + [("memcheck", 'name=big mem=2048M cmdline="seed=3 fill=all period=500"')]
    with boot(build, big, "lu-2g", mem="3G") as m:
        v_a = wait_up(m, [r"^\(d1\) memcheck: pass \d+ ok"])
        at, down, _ = lu.update(build, m, image_b, v_a + "-b")
        end = m.wait_for(lu.BOOTED, 5, start=at).end()
        progress_after(m, end, 1, r"memcheck: pass \d+ ok", 2)
        csum, passes = check_memcheck_d(m, m.text(), 1)
        no_failure(m)
        print("2 GiB guest: memcheck checksum %s before and after (%d passes); downtime %s"
              % (csum, passes, lu.format_downtime(down)))


def check_memcheck_d(m, text, domid):
    filled = re.findall(r"^\(d%d\) memcheck: filled (\d+) pages checksum=(0x[0-9a-f]+)$"
                        % domid, text, re.M)
    passes = re.findall(r"^\(d%d\) memcheck: pass \d+ ok checksum=(0x[0-9a-f]+)$" % domid,
                        text, re.M)
    if len(filled) != 1 or not passes or any(c != filled[0][1] for c in passes):
        raise TestFailure("memcheck d%d: filled %s, passes %s" % (domid, filled, passes[-5:]))
    return filled[0][1], len(passes)


CORRUPTIONS = [
    ("bad-magic", r"^\(HV\) LU: cold boot: [^\r\n]*magic[^\r\n]*", "a cold boot naming the magic"),
    ("array-outside-ram", r"^\(HV\) LU: cold boot: [^\r\n]*MFN array[^\r\n]*",
     "a cold boot naming the MFN array"),
    ("flip-length", r"^\(HV\) \*\*\*\* PANIC: LU: the handover stream is refused [^\r\n]*"
     r"no domain frame was touched, halting", "the reader's error, nothing restored"),
]


def test_corruption(build):
    """The old build damages its own handover (lu_test=, tests only) after
    writing it; the new build must end as the spec says."""
    _, image_b = images(build)
    for what, want, says in CORRUPTIONS:
        with boot(build, STANDARD[:2], "lu-" + what, "lu_test=" + what) as m:
            v_a = wait_up(m)
            lu.load(build, m, image_b)
            mark = len(m.text())
            p = lu.exec_in_background(build, m)
            try:
                m.wait_for(r"^\(HV\) LU: lu_test: the handover is damaged on purpose", 60,
                           start=mark, fail_on=())
                g = m.wait_for(lu.BANNER, 60, start=mark, fail_on=())
                if g.group(1) != v_a + "-b":
                    raise TestFailure("%s: banner %s" % (what, g.group(1)))
                found = m.wait_for(want, 60, start=g.start(), fail_on=())
            finally:
                p.kill()
                p.communicate()
            text = m.text()[g.start():]
            if re.search(lu.LU_BOOT, text, re.M) and what != "flip-length":
                raise TestFailure("%s: the new build took it for a live update" % what)
            if re.search(r"^\(d\d+\) ", text, re.M) or "LU: downtime" in text:
                raise TestFailure("%s: a domain ran or was restored after the damaged "
                                  "handover:\n%s" % (what, tail(text)))
            print("lu_test=%s: %s: %s" % (what, says, found.group(0).strip()))


def test_exec_failure(build):
    """A failure before the jump (lu_test=fail-save: the save reports
    -ENOMEM, tests only): every domain is unpaused and carries on in the
    old build, the image stays loaded, and hvctl says why (exit 7)."""
    _, image_b = images(build)
    with boot(build, STANDARD[:2], "lu-fail", "lu_test=fail-save") as m:
        v_a = wait_up(m, [r"^\(d1\) heartbeat \d+ t="])
        lu.load(build, m, image_b)
        mark = len(m.text())
        p = lu.hvctl(build, m, "kexec", "exec", check=False, timeout=120)
        if p.returncode != 7 or "ENOMEM" not in p.stderr or "old build" not in p.stderr:
            raise TestFailure("hvctl kexec exec after a failed save: exit %d\n%s%s"
                              % (p.returncode, p.stdout, p.stderr))
        g = m.wait_for(r"^\(HV\) LU: exec failed at the save \(-12\): every domain unpaused, "
                       r"still on this build$", 10, start=mark)
        beat = m.wait_for(r"^\(d1\) heartbeat (\d+) t=", 30, start=g.end())
        before = re.findall(r"^\(d1\) heartbeat (\d+) t=", m.text()[:g.start()], re.M)
        if int(beat.group(1)) != int(before[-1]) + 1:
            raise TestFailure("heartbeat %s before the failed exec, %s after"
                              % (before[-1], beat.group(1)))
        if re.search(lu.BANNER, m.text()[mark:], re.M):
            raise TestFailure("a new banner after a failed exec")
        if lu.hvctl(build, m, "kexec", "status", "--type", "live-update").stdout.strip() != \
                "live-update: loaded":
            raise TestFailure("the image is no longer loaded after a failed save")
        no_failure(m)
        print("lu_test=fail-save: hvctl exit 7 (%s); domains unpaused on %s, heartbeat %s -> %s; "
              "image still loaded" % (p.stderr.strip().splitlines()[0], v_a, before[-1],
                                      beat.group(1)))


def test_halt_and_dump(build):
    """lu_test=halt stops the old build at the handover point (stream and
    breadcrumb written); QMP dumps memory and tools/lu-dump decodes the
    stream this build wrote, every domain's context through its handlers."""
    _, image_b = images(build)
    work = tempfile.mkdtemp(prefix="baton-lu-dump-")
    try:
        with boot(build, STANDARD, "lu-halt", "lu_test=halt") as m:
            wait_up(m, [r"^\(d3\) pingpong: connected"])
            lu.load(build, m, image_b)
            mark = len(m.text())
            p = lu.exec_in_background(build, m)
            try:
                g = m.wait_for(r"^\(HV\) LU: halted at the handover \(lu_test=halt\): "
                               r"breadcrumb at (0x[0-9a-f]+)", 60, start=mark, fail_on=())
            finally:
                p.kill()
                p.communicate()
            dump = os.path.join(work, "mem.raw")
            m.qmp_command("pmemsave", val=0, size=512 << 20, filename=dump)
            r = subprocess.run([os.path.join(build, "tools", "lu-dump"), "--json", "--memdump",
                                dump, "--breadcrumb", g.group(1)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               timeout=120)
            if r.returncode != 0:
                raise TestFailure("lu-dump: exit %d\n%s%s" % (r.returncode, r.stdout, r.stderr))
            doc = json.loads(r.stdout)
            doms = doc.get("domains", [])
            ids = [d.get("domid") for d in doms]
            if ids != [0, 1, 2, 3, 4]:
                raise TestFailure("lu-dump found domains %s, want 0..4:\n%s" % (ids, r.stdout[:2000]))
            print("lu_test=halt: breadcrumb at %s; QMP pmemsave of 512 MiB; lu-dump decoded "
                  "domains %s" % (g.group(1), ids))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    args = build_dir_from_args()
    sys.exit(run_tests([test_dom0_only, test_corruption, test_exec_failure, test_halt_and_dump,
                        test_after_update, test_big_guest,
                        test_updates], args))
