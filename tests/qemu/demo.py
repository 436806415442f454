#!/usr/bin/env python3
"""make demo: the operator's view of patching a host, shown and checked.

Boots build A (BUILD/baton.elf) under QEMU with the standard domains (domain
0 with its agent on COM2, heartbeat, memcheck over 64 MiB, a pingpong
pair), then patches it as an operator does, with the orchestration script
and Debian's kexec-tools (patched, BUILD/kexec-tools/sbin/kexec):

    tools/baton-update --ctl unix:COM2 --image BUILD/b/baton.elf --append "console=com1"

which preflights, stages (kexec -l --load-live-update), execs (kexec -x
--exec-live-update), verifies and prints its report. Then the same back to
build A, and QEMU ends. The console is shown while booting and for
DEMO_SECONDS after each update (BATON_QEMU_ECHO), not while the script
talks. At the end a verification summary gives the evidence from the
guests' own output (heartbeat, memcheck checksums, pingpong, dom0) across
both updates, hvctl --json list before and after, and each downtime line
per phase. Every step waits for a marker with a timeout; on a failure it
prints the log tail and exits 1.
"""
import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from baton_qemu import Machine, TestFailure, tail  # noqa: E402
import demo_setup  # noqa: E402
import lu_drive as lu  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from rehearsal import check_dom0, check_heartbeat, check_memcheck, check_pingpong, lines  # noqa: E402

BAD = lu.BAD
# the old build's last word before the handover: no guest runs after it
EXEC_REQUESTED = r"^\(HV\) LU: exec requested: every domain paused$"
BEAT = r"^\(d1\) heartbeat (\d+) t=(\d+)ms$"
PASS = r"^\(d2\) memcheck: pass (\d+) ok checksum=(0x[0-9a-f]+)$"
FILLED = r"^\(d2\) memcheck: filled (\d+) pages checksum=(0x[0-9a-f]+)$"
TRIPS = r"^\(d%d\) pingpong: (\d+) round trips$"


def no_failure(m, start=0):
    text = m.text()
    for bad in BAD:
        if bad in text[start:]:
            raise TestFailure("'%s' in the log" % bad)


def watch(m, seconds, start):
    """Show the console for `seconds` more, failing at once on a failure
    marker or if QEMU ends."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        no_failure(m, start)
        if m.proc.poll() is not None:
            raise TestFailure("QEMU exited (status %s)" % m.proc.returncode)
        time.sleep(0.1)
    no_failure(m, start)


def split(items, pos, at):
    """Guest lines before the update (before pos) and after it (from at)."""
    return [g for p, g in items if p < pos], [g for p, g in items if p >= at]


def mib(n):
    return "%d MiB" % (n >> 20)


def check_domains(before, after, what):
    if lu.identity(after) != lu.identity(before):
        raise TestFailure("domains changed across %s:\nbefore %s\nafter  %s"
                          % (what, lu.identity(before), lu.identity(after)))


def summary(m, updates, dom_before, dom_after, qemu):
    """The verification summary: what was checked, each with its numbers.
    updates: (name, version from, version to, pos, at) per update, pos the
    old build's last word, at the new build's banner."""
    text = m.text()
    marks = [(u[3], u[4]) for u in updates]
    # the shared checks (tests/qemu/rehearsal.py): they raise on any break
    beats = check_heartbeat(m, text, marks, "update")
    alive = check_dom0(m, text)
    csum, passes = check_memcheck(m, text, marks, "update")
    check_pingpong(m, text, marks, 3, "update")
    check_pingpong(m, text, marks, 4, "update")
    check_domains(dom_before, dom_after, "both updates")

    out = ["accelerator: %s; QEMU process %d %s" % (m.accel, qemu[0], qemu[1])]
    for name, v0, v1, _, _ in updates:
        out.append("%s: Baton %s -> Baton %s by tools/baton-update through kexec-tools"
                   % (name, v0, v1))
    doms = ", ".join("d%d %s %s %s%s handle %s" % (d["domid"], d["name"], mib(d["mem_bytes"]),
                                                     d["state"], " paused" if d["paused"] else "",
                                                     str(d["handle"])[:8])
                     for d in dom_after)
    out.append("domains preserved: OK: %d domains, same domid, name, handle, memory and state "
               "before the first update and after the second (hvctl --json list): %s"
               % (len(dom_after), doms))
    filled = re.findall(FILLED, text, re.M)
    out.append("memcheck OK: d2 filled %s pages (%s) once, checksum %s in all %d pass reports "
               "across both updates; no MEMCHECK FAIL"
               % (filled[0][0], mib(int(filled[0][0]) << 12), csum, len(passes)))
    bb = lines(text, BEAT)
    for name, _, _, pos, at in updates:
        before, after = split(bb, pos, at)
        n0, t0 = int(before[-1].group(1)), int(before[-1].group(2))
        n1, t1 = int(after[0].group(1)), int(after[0].group(2))
        out.append("heartbeat across %s: last beat before %d (t=%d ms), first after %d "
                   "(t=%d ms, %d ms later)" % (name, n0, t0, n1, t1, t1 - t0))
        pp = []
        for domid, pname in ((3, "ping"), (4, "pong")):
            tb, ta = split(lines(text, TRIPS % domid), pos, at)
            pp.append("%s (d%d) %s -> %s" % (pname, domid, tb[-1].group(1), ta[0].group(1)))
        out.append("pingpong across %s: round trips, last before -> first after: %s"
                   % (name, "; ".join(pp)))
    out.append("heartbeat continuous: beats 0..%d with no gap, banner printed once (no restart); "
               "pingpong: no PINGPONG FAIL" % beats[-1][0])
    out.append("dom0 OK: alive counter 0..%d continuous, 'up' printed once (no restart)"
               % (alive[-1] if alive else -1))
    return out


def downtime_lines(name, line, d):
    rate = d["us"] / float(d["ticks"]) if d["ticks"] else 0.0
    out = ["downtime of %s: %d us (%d ticks) from pausing the domains in the old build to "
           "unpausing them in the new one, per phase:" % (name, d["us"], d["ticks"])]
    for p in lu.PHASES:
        out.append("    %-10s %12d ticks %12s %6.1f%%"
                   % (p, d[p], "~%.1f us" % (d[p] * rate),
                      100.0 * d[p] / d["ticks"] if d["ticks"] else 0))
    return out


def echo(on):
    if on:
        os.environ["BATON_QEMU_ECHO"] = "1"
    else:
        os.environ.pop("BATON_QEMU_ECHO", None)


def baton_update(build, m, image, report):
    """Run the operator's script against this host, its output on our
    stdout; returns the positions of the old build's last word and the new
    build's banner in the console log, and the banner's version."""
    cmd = [os.path.join(REPO, "tools", "baton-update"), "--ctl", "unix:" + m.ctl_path(),
           "--image", image, "--append", "console=com1", "--json", report,
           "--hvctl", os.path.join(build, "tools", "hvctl"),
           "--kexec", os.path.join(build, "kexec-tools", "sbin", "kexec")]
    print("\n==> %s" % " ".join(cmd))
    sys.stdout.flush()
    mark = len(m.text())
    echo(False)
    try:
        rc = subprocess.run(cmd, timeout=600).returncode
    finally:
        echo(True)
    if rc != 0:
        raise TestFailure("baton-update exited %d (report: %s)" % (rc, report))
    with open(report) as f:
        if json.load(f).get("result") not in (None, "ok"):
            raise TestFailure("baton-update's report does not say ok: %s" % report)
    pos = m.wait_for(EXEC_REQUESTED, 5, start=mark).start()
    b = m.wait_for(lu.BANNER, 5, start=pos)
    end = m.wait_for(lu.BOOTED, 5, start=b.start()).end()
    dline = m.wait_for(lu.DOWNTIME, 5, start=b.start())
    return pos, b.start(), end, b.group(1), dline.group(0), lu.parse_downtime(dline)


def carry_on(m, end, seconds):
    """Every guest carries on in the new build: shown for `seconds`."""
    t_show = time.time() + seconds
    for pattern, count in demo_setup.progress_markers():
        s = end
        for _ in range(count):
            s = m.wait_for(pattern, 60, start=s, fail_on=BAD).end()
    watch(m, max(0.0, t_show - time.time()), end)


def run(build, seconds):
    kernel, append, mods = demo_setup.boot_config(build)
    image_a, image_b = demo_setup.images(build)
    need = (kernel, image_b, os.path.join(build, "tools", "hvctl"),
            os.path.join(build, "kexec-tools", "sbin", "kexec"))
    for f in need:
        if not os.path.exists(f):
            raise TestFailure("%s is missing (make all tools build-b kexec-tools)" % f)
    report_dir = os.path.join(build, "demo")
    os.makedirs(report_dir, exist_ok=True)
    print("==> booting build A (%s) under QEMU with dom0, heartbeat, memcheck (64 MiB) and a "
          "pingpong pair; the serial console follows" % kernel)
    sys.stdout.flush()
    with Machine(kernel=kernel, append=append, modules=mods, mem=demo_setup.MEM, name="demo",
                 ctl=True, timeout=900 + 2 * int(seconds)) as m:
        run.machine = m
        m.wait_for(lu.BOOTED, 300, fail_on=BAD)
        v_a = m.wait_for(lu.BANNER, 1).group(1)
        if v_a.endswith("-b"):
            raise TestFailure("build A says it is %s" % v_a)
        for pattern in demo_setup.ready_markers():
            m.wait_for(pattern, 180, fail_on=BAD)
        pid = m.proc.pid
        dom_before = lu.domains(build, m)

        updates, downs = [], []
        for name, image, want in (("update 1 (A -> B)", image_b, v_a + "-b"),
                                  ("update 2 (B -> A)", image_a, v_a)):
            report = os.path.join(report_dir, "update-%d.json" % (len(updates) + 1))
            v_from = updates[-1][2] if updates else v_a
            pos, at, end, v_to, dline, down = baton_update(build, m, image, report)
            if v_to != want:
                raise TestFailure("%s: the new build says it is %s, expected %s" % (name, v_to, want))
            updates.append((name, v_from, v_to, pos, at))
            downs += downtime_lines(name, dline, down)
            print("\n==> %s done; the report is in %s; the console for %.0f s more"
                  % (name, report, seconds))
            sys.stdout.flush()
            carry_on(m, end, seconds)
        dom_after = lu.domains(build, m)
        status, _ = lu.same_qemu(m, pid)
        qemu = (pid, "kept running across both updates (QMP: %s, no reset)" % status["status"])
        no_failure(m)
        result = summary(m, updates, dom_before, dom_after, qemu) + downs
    # QEMU has ended: the summary is not interleaved with the console
    print("\n==> verification summary (two live updates under running domains)")
    for line in result:
        print("    " + line)
    print("==> demo done: Baton updated A -> B -> A with tools/baton-update, every domain "
          "verified; QEMU ended")
    return 0


def main():
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--seconds", type=float, default=float(os.environ.get("DEMO_SECONDS", "5")))
    a = ap.parse_args()
    echo(True)
    run.machine = None
    try:
        return run(a.build, a.seconds)
    except Exception as e:  # a TestFailure, or whatever broke on the way
        msg = str(e).split("log tail:")[0].rstrip().rstrip(";")
        print("\n==> demo FAILED: %s: %s" % (type(e).__name__, msg))
        if run.machine is not None:
            print("==> log tail:\n%s" % tail(run.machine.text(), 40))
        return 1


if __name__ == "__main__":
    sys.exit(main())
