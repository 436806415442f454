"""Driving a real live update from outside, as an operator does: hvctl kexec
load --type live-update IMAGE --append "console=com1", then hvctl kexec exec,
then the new build's lines on the console. Shared by the live update tests
and the demo. Nothing here builds a stream or a breadcrumb: the old build
writes them at exec and kexec_reloc writes the breadcrumb.
"""
import json
import os
import re
import subprocess
import time

from baton_qemu import FAIL_MARKERS, TestFailure, tail

BOOTED = r"^\(HV\) Baton: boot complete$"
AGENT = r"^\(d0\) dom0: agent on COM2"
BANNER = r"^\(HV\) Baton (\S+) \(build-id ([0-9a-f]{40})\)$"
LU_ADDR = 0x10000000
LU_ARG = "liveupdate=64M@0x%x" % LU_ADDR
PHASES = ("pause", "save", "kexec", "early-boot", "reserve", "restore", "unpause")
DOWNTIME = (r"^\(HV\) LU: downtime (\d+) us \((\d+) ticks\):"
            + "".join(r" %s (\d+)" % p for p in PHASES) + r" ticks$")
LU_BOOT = r"^\(HV\) LU: live update boot: "
EXEC_REQUESTED = r"^\(HV\) LU: exec requested: every domain paused"
COLD_BOOT = r"^\(HV\) LU: cold boot: ([^\r\n]*)"
# nothing a live update test may see on the console
BAD = FAIL_MARKERS + ("PANIC", "FAIL", "crashed", "domains lost")


def wait_up(m, extra=()):
    """Boot complete, domain 0's agent up, then each of extra; the version
    the banner gives."""
    m.wait_for(BOOTED, 300, fail_on=BAD)
    m.wait_for(AGENT, 60, fail_on=BAD)
    for pattern in extra:
        m.wait_for(pattern, 120, fail_on=BAD)
    return m.wait_for(BANNER, 1).group(1)


def hvctl(build, m, *args, check=True, timeout=600):
    env = dict(os.environ, BATON_CTL="unix:" + m.ctl_path())
    p = subprocess.run([os.path.join(build, "tools", "hvctl")] + list(args), env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=timeout)
    if check and p.returncode != 0:
        raise TestFailure("hvctl %s: exit %d\nstdout: %s\nstderr: %s\nlog tail:\n%s"
                          % (" ".join(args), p.returncode, p.stdout, p.stderr, tail(m.text())))
    return p


def qmp_events(m):
    """query-status, collecting every event QMP sent since the last command."""
    m.qmp.sendall(json.dumps({"execute": "query-status"}).encode() + b"\n")
    events = []
    while True:
        r = m._qmp_read()
        if "event" in r:
            events.append(r["event"])
        elif "return" in r:
            return r["return"], events
        elif "error" in r:
            raise TestFailure("QMP query-status: %s" % r["error"])


def same_qemu(m, pid):
    """The same QEMU process, running, and no RESET, SHUTDOWN or STOP event
    since the last QMP command: nothing reset the machine. Returns
    (status, events)."""
    status, events = qmp_events(m)
    if m.proc.poll() is not None or m.proc.pid != pid or status.get("status") != "running":
        raise TestFailure("QEMU is not the same running process: %s" % status)
    bad = [e for e in events if e in ("RESET", "SHUTDOWN", "STOP")]
    if bad:
        raise TestFailure("QMP events %s: QEMU was reset or stopped" % bad)
    return status, events


def exec_in_background(build, m):
    """hvctl kexec exec, not waited for: for updates that never answer (the
    old build halts, or the new one does not restore domain 0). Kill it
    when done with it."""
    return subprocess.Popen([os.path.join(build, "tools", "hvctl"), "kexec", "exec"],
                            env=dict(os.environ, BATON_CTL="unix:" + m.ctl_path()),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def domains(build, m):
    """hvctl --json list, as a list of dicts."""
    return json.loads(hvctl(build, m, "--json", "list").stdout)


def identity(doms):
    """What must not change across an update, per domain."""
    return [(d["domid"], d["name"], d["handle"], d["mem_bytes"], d["state"], d["paused"],
             d["privileged"]) for d in doms]


def ranges(build, m):
    """MA_XEN and MA_LIVEUPDATE as (start, size) pairs."""
    out = []
    for name in ("xen", "liveupdate"):
        r = json.loads(hvctl(build, m, "--json", "kexec", "range", name).stdout)
        out.append((name, r["start"], r["size"]))
    return out


def load(build, m, image, append="console=com1"):
    """hvctl kexec load --type live-update: wall seconds it took."""
    t0 = time.time()
    p = hvctl(build, m, "kexec", "load", "--type", "live-update", image, "--append", append)
    if not re.search(r"^kexec load \(live-update\): \d+ segments", p.stdout, re.M):
        raise TestFailure("hvctl kexec load said:\n%s" % p.stdout)
    return time.time() - t0


def parse_downtime(g):
    """A DOWNTIME match as a dict: us, ticks, and each phase in ticks."""
    vals = [int(x) for x in g.groups()]
    d = {"us": vals[0], "ticks": vals[1]}
    d.update(zip(PHASES, vals[2:]))
    if sum(d[p] for p in PHASES) != d["ticks"]:
        raise TestFailure("downtime phases add up to %d ticks, the line says %d: %s"
                          % (sum(d[p] for p in PHASES), d["ticks"], g.group(0)))
    return d


def exec_update(build, m, want_version, timeout=180):
    """hvctl kexec exec of the loaded live update image; the new banner,
    the 'live update boot' line, the downtime line and 'boot complete'
    must follow, and hvctl must report that domain 0's agent answered from
    the new build. Returns (log offset of the banner, downtime dict)."""
    mark = len(m.text())
    p = hvctl(build, m, "kexec", "exec", timeout=timeout)
    if "done" not in p.stdout:
        raise TestFailure("hvctl kexec exec: %s%s" % (p.stdout, p.stderr))
    g = m.wait_for(BANNER, 30, start=mark)
    if g.group(1) != want_version:
        raise TestFailure("banner %s after the update, want %s" % (g.group(1), want_version))
    at = g.start()
    m.wait_for(LU_BOOT, 30, start=at)
    down = parse_downtime(m.wait_for(DOWNTIME, 30, start=at))
    m.wait_for(BOOTED, 30, start=at)
    return at, down


def update(build, m, image, want_version):
    """One whole live update: load, exec, the new build up with the same
    domains (domids, names, handles, memory, state). Returns
    (banner offset, downtime dict, load seconds). The image slot and the
    bootmem stay where they were, for the next update."""
    before = identity(domains(build, m))
    slots = ranges(build, m)
    secs = load(build, m, image)
    at, down = exec_update(build, m, want_version)
    after = identity(domains(build, m))
    if after != before:
        raise TestFailure("domains changed across the update:\nbefore %s\nafter  %s"
                          % (before, after))
    if ranges(build, m) != slots:
        raise TestFailure("MA_XEN / MA_LIVEUPDATE moved across the update: %s, then %s"
                          % (slots, ranges(build, m)))
    if hvctl(build, m, "kexec", "status", "--type", "live-update").stdout.strip() != \
            "live-update: not loaded":
        raise TestFailure("the new build says a live update image is loaded")
    return at, down, secs


def format_downtime(d):
    return ("%d us (%d ticks): " % (d["us"], d["ticks"])
            + ", ".join("%s %d" % (p, d[p]) for p in PHASES))
