#!/usr/bin/env python3
"""Default kexec (issue 8): hvctl kexec load builds the segments of the
second build (DIR/b/baton.elf, banner "Baton 0.1-b"): its PT_LOAD octets
over MA_XEN, hvctl's purgatory, the multiboot2 information and the
standard domains as modules; hvctl kexec exec jumps. Build B's banner
appears, with the same memory map, B starts the standard domains from the
modules (domain 0's agent included), and the same is done from B back to
build A.

QEMU is not reset: QEMU runs with -no-reboot, so a reset or a triple fault
would end the process; the test checks that the same QEMU process is
running (QMP query-status "running") and that QMP reported no RESET or
SHUTDOWN event, and that the serial log shows nothing between the agent's
"kexec exec" and the new banner but the two builds' own lines (no firmware
or boot loader ever runs again).

The time from `hvctl kexec exec` to the new banner is printed: wall time
under TCG, from the request and from the hypervisor's "kexec: exec" line.
No instruction count: QMP's query-replay gives QEMU's -icount counter, but
read by polling from outside it is late by several million instructions,
more than the distance measured; an exact count needs a TSC printed by
both builds (under -icount shift=0 the TSC counts instructions).

Before the first exec, a live update load of build A over itself is
checked for its placement (entry and MBI in MA_LIVEUPDATE above its first
page, the image at MA_XEN) and unloaded: its exec belongs to the live
update issue.

Local refusals of hvctl kexec load (no multiboot2 header, no relocatable
tag, too many modules, a live update image larger than MA_XEN) are checked
too. Refusals of segment sets hvctl never builds (unaligned, wrapping,
overlapping, out of RAM, outside the live update ranges, too many) are the
kimage unit tests' (tests/unit/test_kimage.c): hvctl's builder cannot make
them.
"""
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from baton_qemu import Machine, TestFailure, build_dir_from_args, run_tests, tail  # noqa: E402
from domain_sets import STANDARD  # noqa: E402
from lu_drive import AGENT, BANNER, BOOTED, LU_ADDR, LU_ARG, exec_in_background, hvctl, same_qemu  # noqa: E402

APPEND = "console=com1 " + LU_ARG
NAMES = ["dom0", "heartbeat", "memcheck", "ping", "pong"]


def stripped_modules(build, work):
    """The standard set's module strings, over copies of the guests without
    their debug sections: the upload runs at ~12 KB/s under TCG."""
    mods = []
    for elf, args in STANDARD:
        src = os.path.join(build, "guests", elf + ".elf")
        dst = os.path.join(work, elf + ".elf")
        if not os.path.exists(dst):
            if subprocess.run(["strip", "--strip-debug", "-o", dst, src]).returncode != 0:
                shutil.copy(src, dst)
        mods.append("%s %s" % (dst, args))
    return mods


def memory_map(text):
    """The '(HV) memory map:' lines of the last boot in text."""
    i = text.rfind("(HV) memory map:")
    if i < 0:
        raise TestFailure("no memory map in the log")
    out = []
    for line in text[i:].splitlines()[1:]:
        mm = re.match(r"^\(HV\)\s+([0-9a-f]{16}-[0-9a-f]{16} \S+)$", line)
        if not mm:
            break
        out.append(mm.group(1))
    return out


EXEC_LINE = r"^\(HV\) kexec: exec of the default image"


def exec_and_time(build, m, mark):
    """hvctl kexec exec in the background while the log is watched: the wall
    times at which the hypervisor's 'kexec: exec' line and the new banner
    first appear (the log is polled every 2 ms)."""
    rx_exec, rx_banner = re.compile(EXEC_LINE, re.M), re.compile(BANNER, re.M)
    seen = {}
    t0 = time.time()
    p = exec_in_background(build, m)
    while "banner" not in seen:
        text = m.text()
        if time.time() - t0 > 120:
            p.kill()
            raise TestFailure("no new banner 120 s after kexec exec; log tail:\n%s" % tail(text))
        if m.proc.poll() is not None:
            raise TestFailure("QEMU exited after kexec exec (a reset with -no-reboot?); log "
                              "tail:\n%s" % tail(text))
        for key, rx in (("exec", rx_exec), ("banner", rx_banner)):
            if key not in seen:
                g = rx.search(text, mark)
                if g:
                    seen[key] = (time.time(), g)
        time.sleep(0.002)
    out, err = p.communicate(timeout=30)
    if p.returncode != 0 or "started" not in out:
        raise TestFailure("hvctl kexec exec: exit %d\n%s%s" % (p.returncode, out, err))
    if "exec" not in seen:
        raise TestFailure("the banner came without the hypervisor's 'kexec: exec' line")
    return t0, seen["exec"], seen["banner"]


def kexec_to(build, m, work, image, want_version):
    """hvctl kexec load + exec of image: (wall s from the request, wall s from
    the hypervisor's exec line, the banner's log offset)."""
    mods = stripped_modules(build, work)
    args = ["kexec", "load", "--type", "default", image, "--append", APPEND]
    for s in mods:
        args += ["--module", s]
    t0 = time.time()
    p = hvctl(build, m, *args)
    print(p.stdout.rstrip())
    print("  load took %.1f s" % (time.time() - t0))
    if not re.search(r"^kexec load \(default\): 9 segments", p.stdout, re.M):
        raise TestFailure("want 9 segments (low 1 MiB, image, purgatory, MBI, 5 modules):\n%s"
                          % p.stdout)
    if hvctl(build, m, "kexec", "status").stdout.strip() != "default: loaded":
        raise TestFailure("kexec status does not say loaded")

    mark = len(m.text())
    t_req, (t_exec, g_exec), (t_ban, g) = exec_and_time(build, m, mark)
    if g.group(1) != want_version:
        raise TestFailure("banner %s, want %s" % (g.group(1), want_version))
    between = m.text()[g_exec.start():g.start()]
    for line in between.splitlines():
        if line and not line.startswith(("(HV)", "(d")):
            raise TestFailure("a line that is neither Baton's nor a domain's between the exec "
                              "and the banner (firmware or boot loader?): %r" % line)
    return t_ban - t_req, t_ban - t_exec, g.start()


def check_new_build(build, m, at, version, map_a, pid, step):
    m.wait_for(BOOTED, 120, start=at)
    m.wait_for(AGENT, 60, start=at)
    m.wait_for(r"^\(d1\) heartbeat", 60, start=at)
    text = m.text()[at:]
    if not re.search(r"liveupdate: reserved 64 MiB at %016x" % LU_ADDR, text):
        raise TestFailure("build %s did not reserve its bootmem at 0x%x:\n%s"
                          % (version, LU_ADDR, tail(text)))
    map_now = memory_map(text)
    if map_now != map_a:
        raise TestFailure("memory map after kexec %d differs:\n%s\nwant:\n%s"
                          % (step, "\n".join(map_now), "\n".join(map_a)))
    names = [d["name"] for d in json.loads(hvctl(build, m, "--json", "list").stdout)]
    if names != NAMES:
        raise TestFailure("domains after kexec %d: %s, want %s" % (step, names, NAMES))
    status, events = same_qemu(m, pid)
    print("  same QEMU process %d, status %s, no RESET/SHUTDOWN event (events: %s); memory "
          "map identical (%d entries); bootmem at 0x%x again; domains %s"
          % (pid, status.get("status"), events or "none", len(map_now), LU_ADDR, names))


def check_live_update_load(build, m, image):
    """A live update load of build A over itself is accepted (placement in
    MA_LIVEUPDATE above its first page, liveupdate= appended), then
    unloaded: its exec is the live update issue's."""
    p = hvctl(build, m, "--json", "kexec", "load", "--type", "live-update", image,
              "--append", "console=com1")
    r = json.loads(p.stdout)
    dests = sorted(s["dest"] for s in r["segments"] if s["buf_size"])
    image_dest = [s["dest"] for s in r["segments"] if s["what"].startswith("image")]
    if r["entry"] != LU_ADDR + 0x1000 or r["mbi"] != LU_ADDR + 0x2000 or image_dest != [0x200000]:
        raise TestFailure("live update placement: %s" % p.stdout)
    if [d for d in dests if d != 0x200000 and not LU_ADDR + 0x1000 <= d < LU_ADDR + (64 << 20)]:
        raise TestFailure("live update segment outside MA_LIVEUPDATE above its first page: %s"
                          % p.stdout)
    if hvctl(build, m, "kexec", "status", "--type", "live-update").stdout.strip() != \
            "live-update: loaded":
        raise TestFailure("live update image not loaded")
    m.wait_for(r"^\(HV\) kexec: live update image loaded: 4 segments", 10)
    hvctl(build, m, "kexec", "unload", "--type", "live-update")
    print("live update load of build A: 4 segments, entry 0x%x (MA_LIVEUPDATE + 1 page), "
          "MBI 0x%x, image 0x200000; unloaded" % (r["entry"], r["mbi"]))


def run_kexecs(build, steps):
    image_a = os.path.join(build, "baton.elf")
    image_b = os.path.join(build, "b", "baton.elf")
    work = tempfile.mkdtemp(prefix="baton-kexec-")
    try:
        with Machine(kernel=image_a, append=APPEND, modules=stripped_modules(build, work),
                     mem="512M", name="kexec", ctl=True, timeout=1500) as m:
            m.wait_for(BOOTED, 180)
            m.wait_for(AGENT, 60)
            v_a = m.wait_for(BANNER, 1).group(1)
            if v_a.endswith("-b"):
                raise TestFailure("build A says %s" % v_a)
            map_a = memory_map(m.text())
            pid = m.proc.pid
            if steps > 1:
                check_live_update_load(build, m, image_a)
            plan = [(image_b, v_a + "-b"), (image_a, v_a)][:steps]
            for step, (image, version) in enumerate(plan, 1):
                req, ex, at = kexec_to(build, m, work, image, version)
                msg = ("kexec exec -> banner '%s': %.3f s wall from the request (hvctl, agent, "
                       "hypercall), %.3f s from the hypervisor's 'kexec: exec' line"
                       % (version, req, ex))
                print(msg)
                check_new_build(build, m, at, version, map_a, pid, step)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_default_kexec(build):
    """A -> B -> A by default kexec, standard domains passed as modules each time."""
    run_kexecs(build, 2)


def test_load_refusals(build):
    """hvctl refuses, before anything is uploaded, images it cannot load."""
    hv = os.path.join(build, "tools", "hvctl")
    work = tempfile.mkdtemp(prefix="baton-kexec-")
    try:
        env = dict(os.environ, BATON_CTL="unix:" + os.path.join(work, "none.sock"))

        def run(*args):
            return subprocess.run([hv, "kexec", "load"] + list(args), env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  timeout=60)
        # a guest ELF has no multiboot2 header
        p = run(os.path.join(build, "guests", "heartbeat.elf"))
        if p.returncode != 6 or "not a multiboot2 image" not in p.stderr:
            raise TestFailure("guest ELF: exit %d, %s" % (p.returncode, p.stderr))
        # the relocatable tag turned into an (ignored) flags tag
        data = bytearray(open(os.path.join(build, "baton.elf"), "rb").read())
        i = data.find(struct.pack("<HHI", 10, 0, 24))
        if i < 0:
            raise TestFailure("no relocatable tag found in baton.elf")
        struct.pack_into("<H", data, i, 4)
        fixed = os.path.join(work, "norelocate.elf")
        open(fixed, "wb").write(bytes(data))
        p = run(fixed)
        if p.returncode != 6 or "no relocatable tag" not in p.stderr:
            raise TestFailure("non-relocatable image: exit %d, %s" % (p.returncode, p.stderr))
        # 13 modules: 16 segments in all, 4 of them fixed
        args = [os.path.join(build, "baton.elf")]
        for _ in range(13):
            args += ["--module", os.path.join(build, "guests", "heartbeat.elf") + " name=x"]
        p = run(*args)
        if p.returncode != 1 or "at most 12 modules" not in p.stderr:
            raise TestFailure("13 modules: exit %d, %s" % (p.returncode, p.stderr))
        # a crash image
        p = subprocess.run([hv, "kexec", "load", "--type", "crash", os.path.join(build, "baton.elf")],
                           env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if p.returncode != 1:
            raise TestFailure("crash type: exit %d, %s" % (p.returncode, p.stderr))
        print("refused: a guest ELF (no multiboot2 header), an image without the relocatable "
              "tag, 13 modules, --type crash")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    args = build_dir_from_args()
    sys.exit(run_tests([test_load_refusals, test_default_kexec], args))
