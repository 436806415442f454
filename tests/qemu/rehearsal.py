#!/usr/bin/env python3
"""Live update rehearsals (lu_rehearse=COUNT,PERIOD_MS) under running guests.

test_rehearsals: the standard domains, a domain started paused and a
sleeper with one pending timer live through 20 in-place rehearsals; after
each rehearsal line the guests' own output says they carried on where they
were (no restart, no gap, same checksum, still paused, timer kept).

test_rehearsal_cost: what each phase of a rehearsal costs, in instructions
(-icount shift=0: one TSC tick per instruction), for 1 and for 5 domains.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from baton_qemu import FAIL_MARKERS, Machine, TestFailure, build_dir_from_args, run_tests, tail  # noqa: E402
from domain_sets import STANDARD, modules  # noqa: E402

BOOTED = r"^\(HV\) Baton: boot complete$"
PHASES = ("pause", "save", "drop", "open", "restore", "free", "unpause")
REHEARSAL = (r"^\(HV\) LU: rehearsal (\d+) of (\d+): (\d+) domain\(s\), stream (\d+) octets in "
             r"(\d+) page\(s\); ticks:" + "".join(r" %s (\d+)" % p for p in PHASES) +
             r" total (\d+)$")
# fail at once on any of these while waiting (they are also checked at the end)
BAD = FAIL_MARKERS + ("PANIC", "FAIL", "crashed", "domains lost", "save failed")

COUNT = 20
PERIOD_MS = 1000
SLEEP_MS = 15500            # wakes after ~15 rehearsals, then 4-5 more run
HEARTBEAT_MS = 250
# guest time between two beats: the period, plus what a rehearsal's pause
# and a loaded TCG host can add; a restart or a lost timer shows far more
MAX_BEAT_GAP_MS = 1500
MAX_LATE_NS = 500 * 1000000

REHEARSAL_DOMAINS = STANDARD + [
    ("heartbeat", 'name=frozen mem=4M paused=1 cmdline="period=100"'),
    ("sleeper", 'name=sleeper mem=4M cmdline="delay=%d"' % SLEEP_MS),
]
FROZEN, SLEEPER = 5, 6


def machine(build, domain_set, name, append, icount=False):
    return Machine(kernel=os.path.join(build, "baton.elf"), append="console=com1 " + append,
                   modules=modules(build, domain_set), mem="512M", name=name, icount=icount)


def fail(m, msg):
    raise TestFailure("%s; log tail:\n%s" % (msg, tail(m.text(), 40)))


def wait_rehearsals(m, count, first_timeout, period_ms):
    """Every 'LU: rehearsal N of count' line, in order: the matches of
    REHEARSAL on each line, and the log offset after the last one."""
    found, start = [], 0
    for n in range(1, count + 1):
        timeout = first_timeout if n == 1 else 30 + 3 * period_ms / 1000.0
        g = m.wait_for(r"^\(HV\) LU: rehearsal (\d+) of %d: [^\r\n]*(?=\r?\n)" % count, timeout,
                       start=start, fail_on=BAD)
        if int(g.group(1)) != n:
            fail(m, "rehearsal %s of %d where %d was due" % (g.group(1), count, n))
        full = re.match(REHEARSAL, g.group(0))
        if not full:
            fail(m, "rehearsal line not in the documented form: %r" % g.group(0))
        found.append(full)
        start = g.end()
    return found, start


def lines(text, pattern):
    """(offset, match) of every line matching pattern."""
    return [(g.start(), g) for g in re.finditer(pattern, text, re.M)]


def between(items, lo, hi):
    return [g for pos, g in items if lo <= pos < hi]


# ------------------------------------------------------------------ checks


def check_heartbeat(m, text, marks, event="rehearsal"):
    beats = lines(text, r"^\(d1\) heartbeat (\d+) t=(\d+)ms$")
    if len(re.findall(r"^\(d1\) heartbeat: dom", text, re.M)) != 1:
        fail(m, "heartbeat (d1) printed its banner more than once: it restarted")
    vals = [(int(g.group(1)), int(g.group(2))) for _, g in beats]
    if not vals or vals[0][0] != 0:
        fail(m, "heartbeat (d1) did not start at 0: %s" % vals[:3])
    for (n0, t0), (n1, t1) in zip(vals, vals[1:]):
        if n1 != n0 + 1:
            fail(m, "heartbeat (d1) went from %d to %d" % (n0, n1))
        if t1 < t0 or t1 - t0 > MAX_BEAT_GAP_MS:
            fail(m, "heartbeat (d1) %d at t=%dms then %d at t=%dms (period %d ms)"
                 % (n0, t0, n1, t1, HEARTBEAT_MS))
    # across every rehearsal: the beat after it follows the beat before it
    for k, (pos, end) in enumerate(marks):
        before = [g for p, g in beats if p < pos]
        after = between(beats, end, marks[k + 1][0] if k + 1 < len(marks) else len(text))
        if not after:
            fail(m, "no heartbeat (d1) between %s %d and the next" % (event, k + 1))
        if before and int(after[0].group(1)) != int(before[-1].group(1)) + 1:
            fail(m, "%s %d: heartbeat (d1) %s before, %s after"
                 % (event, k + 1, before[-1].group(1), after[0].group(1)))
    return vals


def check_dom0(m, text):
    if len(re.findall(r"^\(d0\) dom0: up", text, re.M)) != 1:
        fail(m, "dom0 printed 'up' more than once: it restarted")
    alive = [int(n) for n in re.findall(r"^\(d0\) dom0: alive (\d+) t=", text, re.M)]
    if alive != list(range(len(alive))):
        fail(m, "dom0 alive counter not 0, 1, 2, ...: %s" % alive)
    return alive


def check_memcheck(m, text, marks, event="rehearsal"):
    filled = re.findall(r"^\(d2\) memcheck: filled (\d+) pages checksum=(0x[0-9a-f]+)$", text, re.M)
    if len(filled) != 1:
        fail(m, "memcheck (d2) filled %d times (a restart refills)" % len(filled))
    csum = filled[0][1]
    passes = lines(text, r"^\(d2\) memcheck: pass (\d+) ok checksum=(0x[0-9a-f]+)$")
    ks = [int(g.group(1)) for _, g in passes]
    if any(b <= a for a, b in zip(ks, ks[1:])):
        fail(m, "memcheck (d2) pass numbers not increasing: %s" % ks)
    for _, g in passes:
        if g.group(2) != csum:
            fail(m, "memcheck (d2) pass %s checksum %s, filled with %s"
                 % (g.group(1), g.group(2), csum))
    # passes verified after rehearsals; and one after the last of them
    after_first = between(passes, marks[0][1], len(text))
    after_last = between(passes, marks[-1][1], len(text))
    if not after_first or not after_last:
        fail(m, "memcheck (d2): %d passes after the first %s, %d after the last"
             % (len(after_first), event, len(after_last)))
    return csum, ks


def check_pingpong(m, text, marks, domid, event="rehearsal"):
    if len(re.findall(r"^\(d%d\) pingpong: connected" % domid, text, re.M)) != 1:
        fail(m, "pingpong (d%d) connected more than once: it restarted" % domid)
    trips = lines(text, r"^\(d%d\) pingpong: (\d+) round trips$" % domid)
    vals = [int(g.group(1)) for _, g in trips]
    if any(b < a for a, b in zip(vals, vals[1:])):
        fail(m, "pingpong (d%d) round trips went back: %s" % (domid, vals))
    # the sequence checks (gap, duplicate, corruption) are pingpong's own:
    # they print PINGPONG FAIL, which no line may contain. Here: each
    # rehearsal is followed by progress past the count before it.
    for k, (pos, end) in enumerate(marks):
        before = [g for p, g in trips if p < pos]
        after = between(trips, end, marks[k + 1][0] if k + 1 < len(marks) else len(text))
        if not before:
            continue        # not connected yet at this rehearsal
        if not after or int(after[-1].group(1)) <= int(before[-1].group(1)):
            fail(m, "pingpong (d%d) made no progress across %s %d: %s before, %s after"
                 % (domid, event, k + 1, before[-1].group(1), [g.group(1) for g in after]))
    counted = [k for k, (pos, _) in enumerate(marks) if any(p < pos for p, _ in trips)]
    if len(counted) < len(marks) // 2:
        fail(m, "pingpong (d%d) running at only %d of %d rehearsals"
             % (domid, len(counted), len(marks)))
    return vals


def check_sleeper(m, text, marks):
    armed = lines(text, r"^\(d%d\) sleeper: armed deadline=(\d+)$" % SLEEPER)
    woke = lines(text, r"^\(d%d\) sleeper: woke at=(\d+) deadline=(\d+) late=(\d+) wakeups=(\d+)$"
                 % SLEEPER)
    if len(armed) != 1 or len(woke) != 1:
        fail(m, "sleeper (d%d) armed %d and woke %d times, want once each"
             % (SLEEPER, len(armed), len(woke)))
    (apos, a), (wpos, w) = armed[0], woke[0]
    at, deadline, late = int(w.group(1)), int(w.group(2)), int(w.group(3))
    if deadline != int(a.group(1)):
        fail(m, "sleeper armed for %s, woke for %d" % (a.group(1), deadline))
    if at < deadline:
        fail(m, "sleeper woke early: at %d, deadline %d" % (at, deadline))
    if late > MAX_LATE_NS:
        fail(m, "sleeper woke %d ms late" % (late // 1000000))
    slept_through = [k + 1 for k, (pos, _) in enumerate(marks) if apos < pos < wpos]
    after = [k + 1 for k, (pos, _) in enumerate(marks) if pos > wpos]
    due = SLEEP_MS // PERIOD_MS
    if not (due - 3 <= len(slept_through) <= due + 1):
        fail(m, "sleeper (delay %d ms) slept through rehearsals %s: about %d were due"
             % (SLEEP_MS, slept_through, due))
    if not after:
        fail(m, "sleeper woke after the last rehearsal: its 'fires once' is unchecked")
    return late, wakeups_of(w), slept_through, after


def wakeups_of(w):
    return int(w.group(4))


def test_rehearsals(build):
    append = "lu_rehearse=%d,%d" % (COUNT, PERIOD_MS)
    with machine(build, REHEARSAL_DOMAINS, "rehearsals", append) as m:
        m.wait_for(BOOTED, 60, fail_on=BAD)
        m.wait_for(r"^\(HV\) d%d 'frozen': .*, paused$" % FROZEN, 5, fail_on=BAD)
        m.wait_for(r"^\(d%d\) sleeper: armed deadline=\d+$" % SLEEPER, 30, fail_on=BAD)
        found, end = wait_rehearsals(m, COUNT, 90, PERIOD_MS)
        # everyone heard from after the last rehearsal
        for pattern in (r"^\(d1\) heartbeat \d+", r"^\(d2\) memcheck: pass \d+ ok",
                        r"^\(d3\) pingpong: \d+ round trips", r"^\(d4\) pingpong: \d+ round trips"):
            m.wait_for(pattern, 30, start=end, fail_on=BAD)
        m.wait_for(r"^\(d1\) heartbeat \d+", 10, start=len(m.text()), fail_on=BAD)
        text = m.text()
        # offsets of each rehearsal line in the final text (the log only grows)
        marks = [(g.start(), g.end()) for g in re.finditer(
            r"^\(HV\) LU: rehearsal \d+ of %d: [^\r\n]*(?=\r?\n)" % COUNT, text, re.M)]
        if len(marks) != COUNT:
            fail(m, "%d rehearsal lines, want %d" % (len(marks), COUNT))
        for g in found:
            if int(g.group(3)) != len(REHEARSAL_DOMAINS):
                fail(m, "rehearsal %s saved %s domains, want %d"
                     % (g.group(1), g.group(3), len(REHEARSAL_DOMAINS)))
        for bad in (r"FAIL", r"PANIC", r"crashed", r"domains lost", r"save failed",
                    r"^\(d%d\)" % FROZEN, r"^\(HV\) d\d+ .*(TIMER|DOMAIN|VCPU).*expected"):
            m.assert_absent(bad)
        check_dom0(m, text)
        beats = check_heartbeat(m, text, marks)
        csum, passes = check_memcheck(m, text, marks)
        ping = check_pingpong(m, text, marks, 3)
        pong = check_pingpong(m, text, marks, 4)
        late, wakeups, slept, after = check_sleeper(m, text, marks)
        for line in re.findall(r"^\(d%d\) sleeper: [^\r\n]*(?=\r?\n)" % SLEEPER, text, re.M):
            print(line)
        print("%d rehearsals of %d domains: heartbeat 0..%d, largest gap %d ms; memcheck passes %d..%d "
              "checksum %s; ping %d, pong %d round trips; d%d (paused) silent; sleeper slept through "
              "rehearsals %d..%d, woke %.1f ms late (%d wakeup(s)), quiet through %d..%d"
              % (COUNT, len(REHEARSAL_DOMAINS), beats[-1][0],
                 max(t1 - t0 for (_, t0), (_, t1) in zip(beats, beats[1:])),
                 passes[0], passes[-1], csum, ping[-1], pong[-1], FROZEN, slept[0], slept[-1],
                 late / 1e6, wakeups, after[0], after[-1]))


# ------------------------------------------------------------------ cost


def rehearsal_cost(build, domain_set, label, count=3, period_ms=500):
    append = "lu_rehearse=%d,%d" % (count, period_ms)
    with machine(build, domain_set, "cost-" + label, append, icount=True) as m:
        m.wait_for(BOOTED, 60, fail_on=BAD)
        found, _ = wait_rehearsals(m, count, 120, period_ms * 4)
        m.assert_absent(r"FAIL", r"PANIC", r"crashed")
        last = found[-1]
        if int(last.group(3)) != len(domain_set):
            fail(m, "rehearsal of %s domains, want %d" % (last.group(3), len(domain_set)))
        cost = {p: int(last.group(6 + i)) for i, p in enumerate(PHASES)}
        cost["total"] = int(last.group(6 + len(PHASES)))
        cost["stream"] = int(last.group(4))
        cost["pages"] = int(last.group(5))
        for p in PHASES:
            if cost[p] <= 0:
                fail(m, "phase %s cost %d" % (p, cost[p]))
        if sum(cost[p] for p in PHASES) != cost["total"]:
            fail(m, "phases add up to %d, total says %d"
                 % (sum(cost[p] for p in PHASES), cost["total"]))
        return cost


def test_rehearsal_cost(build):
    one = rehearsal_cost(build, [STANDARD[1]], "1")
    five = rehearsal_cost(build, STANDARD, "5")
    print("rehearsal cost (instructions, -icount shift=0, last of 3 rehearsals):")
    print("  %-10s %s %12s %8s" % ("", " ".join("%10s" % p for p in PHASES), "total", "stream"))
    for label, c in (("1 domain", one), ("5 domains", five)):
        print("  %-10s %s %12d %8s" % (label, " ".join("%10d" % c[p] for p in PHASES), c["total"],
                                        "%d B" % c["stream"]))
    if five["total"] <= one["total"]:
        raise TestFailure("5 domains cost %d instructions, 1 domain %d" % (five["total"], one["total"]))
    if five["stream"] <= one["stream"]:
        raise TestFailure("5 domains' stream %d octets, 1 domain's %d" % (five["stream"], one["stream"]))


if __name__ == "__main__":
    sys.exit(run_tests([test_rehearsals, test_rehearsal_cost], build_dir_from_args()))
