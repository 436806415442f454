#!/usr/bin/env python3
"""make demo: a real live update under running domains, shown and checked.

Boots build A (BUILD/baton.elf) under QEMU with the standard domains (domain
0 with its agent on COM2, heartbeat, memcheck over 64 MiB, a pingpong
pair), then updates it to build B (BUILD/b/baton.elf: version "-b",
shuffled internal layout) as an operator does, through lu_drive:

    hvctl kexec load --type live-update BUILD/b/baton.elf --append "console=com1"
    hvctl kexec exec

The console is shown throughout (BATON_QEMU_ECHO=1), DEMO_SECONDS more of it
after the update. Then it prints a verification summary, each line with its
evidence (hvctl --json list before and after; the guests' own counters and
checksums across the update), and the hypervisor's downtime line per phase.
Every step waits for a marker with a timeout; on a failure it prints the
log tail and exits 1.
"""
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from baton_qemu import FAIL_MARKERS, Machine, TestFailure, tail  # noqa: E402
import demo_setup  # noqa: E402
import lu_drive as lu  # noqa: E402
from rehearsal import check_dom0, check_heartbeat, check_memcheck, check_pingpong, lines  # noqa: E402

BAD = FAIL_MARKERS + ("PANIC", "FAIL", "crashed", "domains lost")
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


def summary(m, v, ids, dom_before, dom_after, pos, at, load_s, qemu):
    """The verification summary: what was checked, each with its numbers."""
    text = m.text()
    marks = [(pos, at)]
    # the shared checks (tests/qemu/rehearsal.py): they raise on any break
    beats = check_heartbeat(m, text, marks, "update")
    alive = check_dom0(m, text)
    csum, passes = check_memcheck(m, text, marks, "update")
    check_pingpong(m, text, marks, 3, "update")
    check_pingpong(m, text, marks, 4, "update")
    if lu.identity(dom_after) != lu.identity(dom_before):
        raise TestFailure("domains changed across the update:\nbefore %s\nafter  %s"
                          % (lu.identity(dom_before), lu.identity(dom_after)))

    out = []
    out.append("accelerator: %s; QEMU process %d %s" % (m.accel, qemu[0], qemu[1]))
    out.append("live update: Baton %s (build-id %s) -> Baton %s (build-id %s); kexec load "
               "took %.1f s, exec answered by domain 0's agent from build B"
               % (v[0], ids[0][:12], v[1], ids[1][:12], load_s))
    doms = ", ".join("d%d %s %s %s%s handle %s" % (d["domid"], d["name"], mib(d["mem_bytes"]),
                                                     d["state"], " paused" if d["paused"] else "",
                                                     str(d["handle"])[:8])
                     for d in dom_after)
    out.append("domains preserved: OK: %d domains, same domid, name, handle, memory and state "
               "before and after (hvctl --json list): %s" % (len(dom_after), doms))

    filled = re.findall(FILLED, text, re.M)
    pb, pa = split(lines(text, PASS), pos, at)
    if not pb or not pa:
        raise TestFailure("memcheck: %d passes before the update, %d after" % (len(pb), len(pa)))
    out.append("memcheck OK: d2 filled %s pages (%s) once, checksum %s in all %d pass reports: "
               "the last before the update pass %s, after it passes %s..%s; no MEMCHECK FAIL"
               % (filled[0][0], mib(int(filled[0][0]) << 12), csum, len(passes),
                  pb[-1].group(1), pa[0].group(1), pa[-1].group(1)))

    pp = []
    for domid, name in ((3, "ping"), (4, "pong")):
        tb, ta = split(lines(text, TRIPS % domid), pos, at)
        pp.append("%s (d%d) %s round trips before the update, %s after"
                  % (name, domid, tb[-1].group(1), ta[-1].group(1)))
    out.append("pingpong OK: %s; no PINGPONG FAIL" % "; ".join(pp))

    period = re.search(r"^\(d1\) heartbeat: dom1 period=(\d+)ms$", text, re.M)
    bb, ba = split(lines(text, BEAT), pos, at)
    n0, t0 = int(bb[-1].group(1)), int(bb[-1].group(2))
    n1, t1 = int(ba[0].group(1)), int(ba[0].group(2))
    out.append("heartbeat continuous: last beat before the update %d (t=%d ms), first after it "
               "%d (t=%d ms, %d ms later; period %s ms); beats 0..%d with no gap, banner "
               "printed once (no restart)"
               % (n0, t0, n1, t1, t1 - t0, period.group(1) if period else "?", beats[-1][0]))
    out.append("dom0 OK: alive counter 0..%d continuous, 'up' printed once (no restart)"
               % (alive[-1] if alive else -1))
    return out


def downtime_lines(line, d):
    rate = d["us"] / float(d["ticks"]) if d["ticks"] else 0.0
    out = ["downtime: %s" % line.strip(),
           "downtime: %d us (%d ticks) from pausing the domains in build A to unpausing them "
           "in build B, per phase:" % (d["us"], d["ticks"])]
    for p in lu.PHASES:
        out.append("    %-10s %12d ticks %12s %6.1f%%"
                   % (p, d[p], "~%.1f us" % (d[p] * rate),
                      100.0 * d[p] / d["ticks"] if d["ticks"] else 0))
    return out


def run(build, seconds):
    kernel, append, mods = demo_setup.boot_config(build)
    image_b = demo_setup.images(build)[1]
    for f in (kernel, image_b, os.path.join(build, "tools", "hvctl")):
        if not os.path.exists(f):
            raise TestFailure("%s is missing (make all tools build-b)" % f)
    print("==> booting build A (%s) under QEMU with dom0, heartbeat, memcheck (64 MiB) and a "
          "pingpong pair; the serial console follows" % kernel)
    sys.stdout.flush()
    with Machine(kernel=kernel, append=append, modules=mods, mem=demo_setup.MEM, name="demo",
                 ctl=True, timeout=900 + int(seconds)) as m:
        run.machine = m
        m.wait_for(lu.BOOTED, 300, fail_on=BAD)
        a = m.wait_for(lu.BANNER, 1)
        v_a, id_a = a.group(1), a.group(2)
        if v_a.endswith("-b"):
            raise TestFailure("build A says it is %s" % v_a)
        for pattern in demo_setup.ready_markers():
            m.wait_for(pattern, 180, fail_on=BAD)
        pid = m.proc.pid
        dom_before = lu.domains(build, m)

        print("\n==> live update to build B: hvctl kexec load --type live-update %s "
              "--append \"console=com1\"; hvctl kexec exec" % image_b)
        sys.stdout.flush()
        mark = len(m.text())
        at, down, load_s = lu.update(build, m, image_b, v_a + "-b")
        t_show = time.time() + seconds
        pos = m.wait_for(EXEC_REQUESTED, 5, start=mark).start()
        b = m.wait_for(lu.BANNER, 1, start=at)
        end = m.wait_for(lu.BOOTED, 5, start=at).end()
        dline = m.wait_for(lu.DOWNTIME, 1, start=at).group(0)
        dom_after = lu.domains(build, m)
        status, _ = lu.same_qemu(m, pid)
        qemu = (pid, "kept running across the update (QMP: %s, no reset)" % status["status"])

        # every guest carries on in build B
        for pattern, count in demo_setup.progress_markers():
            s = end
            for _ in range(count):
                s = m.wait_for(pattern, 60, start=s, fail_on=BAD).end()
        watch(m, max(0.0, t_show - time.time()), at)
        no_failure(m)
        result = summary(m, (v_a, b.group(1)), (id_a, b.group(2)), dom_before, dom_after,
                         pos, at, load_s, qemu)
        result += downtime_lines(dline, down)
    # QEMU has ended: the summary is not interleaved with the console
    print("\n==> verification summary (live update A -> B under running domains)")
    for line in result:
        print("    " + line)
    print("==> demo done: live update of a running Baton to build B verified; QEMU ended")
    return 0


def main():
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--seconds", type=float, default=float(os.environ.get("DEMO_SECONDS", "5")))
    a = ap.parse_args()
    os.environ["BATON_QEMU_ECHO"] = "1"
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
