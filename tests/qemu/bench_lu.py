#!/usr/bin/env python3
"""make bench-lu: the live update downtime benchmark (issue 11).

For every point of the grid (D heartbeat domains, M guest memory in all,
split evenly over them; domain 0 beside them for the control plane) it
boots build A under QEMU TCG with -icount shift=0, where one TSC tick is
one guest instruction, updates it to build B through hvctl as an operator
does (tests/qemu/lu_drive.py), and reads the new build's own line

    LU: downtime N us (T ticks): pause .. save .. kexec .. early-boot ..
        reserve .. restore .. unpause .. ticks

which covers the first pause in the old build to the last unpause in the
new one. Ticks are instructions: the same point gives the same count on an
idle or a loaded machine. Wall time is beside it: the line's "us" (QEMU's
virtual clock under icount) and the host seconds from `hvctl kexec exec`
to the line (which do depend on the load).

It prints a table, the ratio cost(16 GiB) / cost(512 MiB) at 8 domains,
the cost of each added domain (least-squares slope over 1..16 domains at
each memory size) and the 8 domains x 8 GiB total against the project's
targets, and writes the same into docs/benchmarks.md between the
bench-lu markers (--no-docs leaves the file alone).

A benchmark, not a test: it fails only when an update fails (a point that
cannot run is said so), never on a number.

    python3 tests/qemu/bench_lu.py --build build/bench [--points 8x512M,8x16G]
        [--jobs 2] [--host-mem 18G] [--budget 6G] [--no-docs]

With --points, the other grid points measured earlier from the same two
images (BUILD/bench-lu.json) complete the table.
"""
import argparse
import datetime
import hashlib
import json
import os
import re
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from baton_qemu import FAIL_MARKERS, Machine, TestFailure, tail  # noqa: E402
import lu_drive as lu  # noqa: E402

MiB = 1
GiB = 1024
DOMAINS = (1, 2, 4, 8, 16)
MEMORY = (64 * MiB, 1 * GiB, 4 * GiB, 16 * GiB)
EXTRA = ((8, 512 * MiB), (8, 8 * GiB))      # the ratio's base, the 1 M target's point
DOMAIN_MEM_MAX = 4 * GiB                     # include/baton/domain_build.h
BOOT_MODS_MAX = 16                           # include/baton/bootinfo.h
TARGET_RATIO = 1.05
TARGET_PER_DOMAIN = 20000
TARGET_8x8G = 1000000
BAD = FAIL_MARKERS + ("PANIC", "FAIL", "crashed", "domains lost")
DOCS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs",
                    "benchmarks.md")
BEGIN = "<!-- bench-lu: begin (written by make bench-lu; edits here are lost) -->"
END = "<!-- bench-lu: end -->"
DOM0 = ("dom0", 'name=dom0 mem=32M cmdline="period=2000"')


def size_name(mib):
    return "%d GiB" % (mib // GiB) if mib >= GiB and mib % GiB == 0 else "%d MiB" % mib


def parse_size(text):
    g = re.fullmatch(r"(\d+)([MG])(?:I?B)?", text.strip().upper())
    if not g:
        raise SystemExit("bench-lu: size %r: want N M or N G (e.g. 512M, 16G)" % text)
    return int(g.group(1)) * (GiB if g.group(2) == "G" else MiB)


def parse_points(text):
    points = []
    for item in text.split(","):
        g = re.fullmatch(r"(\d+)x(\d+[MG](?:i?B)?)", item.strip(), re.I)
        if not g:
            raise SystemExit("bench-lu: point %r: want DxSIZE (e.g. 8x512M)" % item)
        points.append((int(g.group(1)), parse_size(g.group(2))))
    return points


def grid():
    points = [(d, m) for m in MEMORY for d in DOMAINS]
    return points + [p for p in EXTRA if p not in points]


class Point:
    def __init__(self, domains, total_mib):
        self.domains = domains
        self.total = total_mib
        self.each = total_mib // domains
        self.down = None            # the downtime dict (lu_drive.parse_downtime)
        self.boot_s = self.exec_s = None
        self.skipped = None         # why the point cannot run
        self.earlier = None         # measured by an earlier run (when)
        self.error = None
        if total_mib % domains or self.each < 2:
            self.skipped = "%d MiB does not split into %d domains of at least 2 MiB" % (
                total_mib, domains)
        elif self.each > DOMAIN_MEM_MAX:
            self.skipped = "%s per domain: a domain holds at most 4 GiB (DOMAIN_MEM_MAX)" % (
                size_name(self.each))

    def name(self):
        return "%dx%s" % (self.domains, size_name(self.total).replace(" ", ""))

    def heartbeat(self, i):
        return 'name=hb%d mem=%dM cmdline="period=500"' % (i + 1, self.each)

    def modules(self, build):
        """Domain 0 and the heartbeats a boot can take as modules
        (BOOT_MODS_MAX); the rest are created with hvctl once it runs."""
        elf = os.path.join(build, "guests", "%s.elf")
        mods = ["%s %s" % (elf % DOM0[0], DOM0[1])]
        for i in range(min(self.domains, BOOT_MODS_MAX - 1)):
            mods.append("%s %s" % (elf % "heartbeat", self.heartbeat(i)))
        return mods

    def create_rest(self, build, m):
        for i in range(BOOT_MODS_MAX - 1, self.domains):
            lu.hvctl(build, m, "create", os.path.join(build, "guests", "heartbeat.elf"),
                     self.heartbeat(i))


def run_point(build, p, host_mem, log):
    """Boot A with the point's domains, update to B, keep the downtime."""
    image_a = os.path.join(build, "baton.elf")
    image_b = os.path.join(build, "b", "baton.elf")
    last = p.domains                # the last heartbeat's domid (dom0 is 0)
    t0 = time.time()
    with Machine(kernel=image_a, append="console=com1 %s" % lu.LU_ARG,
                 modules=p.modules(build), mem=host_mem, name="bench-" + p.name(),
                 ctl=True, icount=True, timeout=3600) as m:
        try:
            m.wait_for(lu.BOOTED, 1800, fail_on=BAD)
            m.wait_for(lu.AGENT, 120, fail_on=BAD)
            p.create_rest(build, m)
            m.wait_for(r"^\(d%d\) heartbeat 0 t=" % last, 300, fail_on=BAD)
            version = m.wait_for(lu.BANNER, 1).group(1)
            p.boot_s = time.time() - t0
            t1 = time.time()
            at, p.down, _ = lu.update(build, m, image_b, version + "-b")
            p.exec_s = time.time() - t1
            # every heartbeat domain carries on in the new build
            for domid in range(1, last + 1):
                m.wait_for(r"^\(d%d\) heartbeat \d+ t=" % domid, 120, start=at, fail_on=BAD)
        except TestFailure as e:
            p.error = str(e)
        except Exception as e:      # hvctl timeouts and the like: this point failed
            p.error = "%s: %s\nlog tail:\n%s" % (type(e).__name__, e, tail(m.text()))
    log("%-10s %s" % (p.name(), describe(p)))


def describe(p):
    if p.skipped:
        return "n/a: " + p.skipped
    if p.error:
        return "FAILED: " + p.error
    return "%d instructions (boot %.0f s, exec to downtime line %.1f s): %s" % (
        p.down["ticks"], p.boot_s, p.exec_s, lu.format_downtime(p.down))


def memory_budget_run(build, points, host_mem, jobs, budget_mib, log):
    """At most `jobs` QEMUs at a time, and the guest memory they touch
    (every domain is cleared at creation) within budget_mib, so that two
    large points never run together."""
    lock = threading.Condition()
    state = {"running": 0, "mem": 0}

    def worker(p):
        try:
            run_point(build, p, host_mem, log)
        finally:
            with lock:
                state["running"] -= 1
                state["mem"] -= p.total
                lock.notify_all()

    threads = []
    # largest first, so the big ones run alone early and small ones fill in
    for p in sorted(points, key=lambda q: -q.total):
        if p.skipped:
            log("%-10s %s" % (p.name(), describe(p)))
            continue
        with lock:
            while state["running"] >= jobs or (
                    state["running"] and state["mem"] + p.total > budget_mib):
                lock.wait()
            state["running"] += 1
            state["mem"] += p.total
        t = threading.Thread(target=worker, args=(p,))
        t.start()
        threads.append(t)
    for t in threads:
        t.join()


# ---------------------------------------------------------------- figures

def by_key(points):
    return {(p.domains, p.total): p for p in points if p.down}


def slope(xs, ys):
    """Least-squares slope of ys over xs."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den if den else 0.0


def verdicts(points):
    pts = by_key(points)
    lines = []
    a, b = pts.get((8, 16 * GiB)), pts.get((8, 512 * MiB))
    if a and b:
        r = a.down["ticks"] / b.down["ticks"]
        lines.append("ratio cost(8 x 16 GiB) / cost(8 x 512 MiB): %d / %d = %.3f (target <= %.2f: %s)"
                     % (a.down["ticks"], b.down["ticks"], r, TARGET_RATIO,
                        "met" if r <= TARGET_RATIO else "missed"))
    else:
        lines.append("ratio: not measured (8 x 16 GiB and 8 x 512 MiB both needed)")
    worst = None
    for mem in sorted({p.total for p in points}):
        row = [(d, pts[(d, mem)]) for d in DOMAINS if (d, mem) in pts]
        if len(row) < 2:
            continue
        s = slope([d for d, _ in row], [q.down["ticks"] for _, q in row])
        phases = ", ".join("%s %+.0f" % (ph, slope([d for d, _ in row],
                                                    [q.down[ph] for _, q in row]))
                           for ph in lu.PHASES)
        lines.append("per added domain at %s in all (%s domains): %.0f instructions (%s)"
                     % (size_name(mem), "/".join(str(d) for d, _ in row), s, phases))
        worst = s if worst is None else max(worst, s)
    if worst is not None:
        lines.append("per added domain, worst over the memory sizes: %.0f (target <= %d: %s)"
                     % (worst, TARGET_PER_DOMAIN, "met" if worst <= TARGET_PER_DOMAIN else "missed"))
    c = pts.get((8, 8 * GiB))
    if c:
        lines.append("8 domains x 8 GiB in all: %d instructions (target <= %d: %s)"
                     % (c.down["ticks"], TARGET_8x8G,
                        "met" if c.down["ticks"] <= TARGET_8x8G else "missed"))
    return lines


def table(points, host_mem):
    head = ("| domains | memory in all | each | " + " | ".join(lu.PHASES)
            + " | total (instr) | us (virtual) | exec wall s | boot wall s |")
    rows = [head, "|" + " --- |" * (head.count("|") - 1)]
    for p in sorted(points, key=lambda q: (q.total, q.domains)):
        lead = "| %d | %s | %s |" % (p.domains, size_name(p.total), size_name(p.each))
        if p.down:
            rows.append(lead + "".join(" %d |" % p.down[ph] for ph in lu.PHASES)
                        + " **%d** | %d | %.1f | %.0f |" % (p.down["ticks"], p.down["us"],
                                                            p.exec_s, p.boot_s))
        else:
            why = ("n/a: " + p.skipped) if p.skipped else "failed"
            rows.append(lead + " %s |" % why + " |" * (len(lu.PHASES) + 3))
    return rows


def qemu_version():
    try:
        out = subprocess.run(["qemu-system-x86_64", "--version"], stdout=subprocess.PIPE,
                             text=True).stdout
        return out.splitlines()[0]
    except (OSError, IndexError):
        return "qemu (version unknown)"


def report(points, args, started, loaded):
    when = started.strftime("%Y-%m-%d %H:%M UTC")
    earlier = sorted({p.earlier for p in points if p.earlier})
    if args.report_only:
        head = ("Measured by `make bench-lu` (tests/qemu/bench_lu.py) in runs of the same two "
                "images (%s): %s, `-accel tcg -icount shift=0 -cpu max -M pc -m %s` on %d host "
                "CPU(s) shared with other work, so the wall times are loaded ones."
                % ("; ".join(earlier), qemu_version(), args.host_mem, os.cpu_count() or 0))
    else:
        head = ("Run on %s by `make bench-lu` (tests/qemu/bench_lu.py): %s, `-accel tcg -icount "
                "shift=0 -cpu max -M pc -m %s`, %d QEMU(s) at a time on %d host CPU(s)%s.%s"
                % (when, qemu_version(), args.host_mem, args.jobs, os.cpu_count() or 0,
                   "; the machine was shared with other work, so the wall times are loaded ones"
                   if loaded else "",
                   (" Points not run then come from earlier runs of the same two images (%s)."
                    % "; ".join(earlier)) if earlier else ""))
    lines = [
        head,
        "",
        "Domain 0 (32 MiB, the control plane) plus D heartbeat domains sharing the memory "
        "evenly (boot modules, and past the boot's 16 modules `hvctl create`); "
        "`liveupdate=64M@0x10000000`; host RAM %s at every point, so only the "
        "guests change. Phases and total in instructions (TSC ticks under icount); "
        "\"us\" is the line's own figure (QEMU's virtual clock), \"exec wall\" host seconds "
        "from `hvctl kexec exec` to the downtime line, \"boot wall\" host seconds from QEMU's "
        "start to every heartbeat running." % args.host_mem,
        "",
    ]
    lines += table(points, args.host_mem)
    lines += ["", "```"] + verdicts(points) + ["```"]
    return lines


def write_docs(lines):
    with open(DOCS) as f:
        text = f.read()
    block = BEGIN + "\n\n" + "\n".join(lines) + "\n\n" + END
    if BEGIN in text and END in text:
        text = text[:text.index(BEGIN)] + block + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    with open(DOCS, "w") as f:
        f.write(text)


def images_id(build):
    """What the results are of: both images' contents."""
    h = hashlib.sha256()
    for f in ("baton.elf", "b/baton.elf"):
        with open(os.path.join(build, f), "rb") as fh:
            h.update(fh.read())
    return h.hexdigest()


def merge_saved(build, points):
    """Points measured by an earlier run of the same two images (kept in
    BUILD/bench-lu.json) join this run's report, so the grid can be run in
    parts (say, the 16 GiB points alone on a busy machine)."""
    path = os.path.join(build, "bench-lu.json")
    ident = images_id(build)
    saved = {}
    try:
        with open(path) as f:
            data = json.load(f)
        if data.get("images") == ident:
            saved = data.get("points", {})
    except (OSError, ValueError):
        pass
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    for p in points:
        if p.down:
            saved[p.name()] = {"down": p.down, "boot_s": p.boot_s, "exec_s": p.exec_s,
                               "when": now}
    with open(path, "w") as f:
        json.dump({"images": ident, "points": saved}, f, indent=1)
    have = {p.name() for p in points}
    for d, m in grid():
        q = Point(d, m)
        if q.name() not in have and q.skipped:
            points.append(q)        # its n/a row
        elif q.name() not in have and q.name() in saved:
            q.down, q.boot_s, q.exec_s = (saved[q.name()][k] for k in ("down", "boot_s", "exec_s"))
            q.earlier = saved[q.name()].get("when", "an earlier run")
            points.append(q)
    return points


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build/bench",
                    help="build A at BUILD/baton.elf, B at BUILD/b/baton.elf, tools, guests")
    ap.add_argument("--points", help="only these, e.g. 8x512M,8x16G (default: the grid)")
    ap.add_argument("--jobs", type=int, default=2, help="QEMUs at a time (default 2)")
    ap.add_argument("--host-mem", default="18G", help="QEMU -m at every point (default 18G)")
    ap.add_argument("--budget", default="6G",
                    help="guest memory that QEMUs running together may touch (default 6G)")
    ap.add_argument("--no-docs", action="store_true", help="leave docs/benchmarks.md alone")
    ap.add_argument("--report-only", action="store_true",
                    help="run nothing: the report of the points saved for these images")
    args = ap.parse_args()
    for f in ("baton.elf", "b/baton.elf", "tools/hvctl", "guests/heartbeat.elf",
              "guests/dom0.elf"):
        if not os.path.exists(os.path.join(args.build, f)):
            raise SystemExit("bench-lu: no %s (make bench-lu builds it)"
                             % os.path.join(args.build, f))
    points = [Point(d, m) for d, m in (parse_points(args.points) if args.points else grid())]
    if args.report_only:
        points = [p for p in points if p.skipped]
        args.points = "report-only"
    started = datetime.datetime.now(datetime.timezone.utc)
    load0 = os.getloadavg()[0]
    out_lock = threading.Lock()

    def log(text):
        with out_lock:
            print(text)
            sys.stdout.flush()

    log("bench-lu: %d point(s), %d at a time, -m %s, icount (TSC ticks = instructions)"
        % (len(points), args.jobs, args.host_mem))
    memory_budget_run(args.build, points, args.host_mem, args.jobs, parse_size(args.budget), log)
    loaded = max(load0, os.getloadavg()[0]) > 1.5 or args.jobs > 1
    failed = [p for p in points if p.error]
    if args.points:
        points = merge_saved(args.build, points)
    else:
        merge_saved(args.build, points)
    lines = report(points, args, started, loaded)
    print("\n".join(lines))
    if not args.no_docs:
        write_docs(lines)
        print("bench-lu: written to docs/benchmarks.md")
    for p in failed:
        print("FAILED %s:\n%s" % (p.name(), p.error))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
