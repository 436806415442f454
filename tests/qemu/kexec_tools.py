#!/usr/bin/env python3
"""The real kexec-tools drives Baton (issue 10): Debian's kexec-tools
2.0.25 with tools/kexec-patch/baton-remote.patch, built by `make
kexec-tools` as DIR/kexec-tools/sbin/kexec, reaching the hypervisor through
the libxenctrl shim (DIR/kexec-tools/lib/libxenctrl.so.4.17) and domain 0's
agent on COM2, told where by BATON_CTL, exactly as an operator would:

    kexec -l --load-live-update build/b/baton.elf --command-line="console=com1"
    kexec -S --load-live-update         (exit status 1: loaded)
    kexec -x --exec-live-update

The new build must come up with every domain preserved (the same checks as
tests/qemu/liveupdate.py: identity through hvctl, the guests' own output),
and back again. Also: unloading, a plain (non-preserving) kexec -l + -e,
and refusals that leave the domains running on the old build: an image
without the relocatable tag (kexec-tools itself refuses it) and one larger
than MA_XEN (Baton refuses its segments).
"""
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
from domain_sets import STANDARD, modules  # noqa: E402
import lu_drive as lu  # noqa: E402
from rehearsal import check_dom0, check_heartbeat, check_memcheck, check_pingpong  # noqa: E402

BAD = lu.BAD
wait_up = lu.wait_up


def kexec_bin(build):
    path = os.path.join(build, "kexec-tools", "sbin", "kexec")
    if not os.access(path, os.X_OK):
        raise TestFailure("%s missing: make kexec-tools" % path)
    return path


def kexec(build, m, *args, timeout=600):
    """Run the real kexec with BATON_CTL set; (exit status, stdout+stderr)."""
    env = dict(os.environ, BATON_CTL="unix:" + m.ctl_path())
    cmd = [kexec_bin(build)] + list(args)
    p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=timeout)
    shown = p.stdout.strip().splitlines()
    if len(shown) > 6:          # kexec's usage text, say
        shown = shown[:6] + ["... (%d more lines)" % (len(shown) - 6)]
    print("$ BATON_CTL=unix:%s %s %s\n  exit %d" % (m.ctl_path(), os.path.basename(cmd[0]),
                                                 " ".join(args), p.returncode))
    for line in shown:
        print("  " + line)
    sys.stdout.flush()
    return p.returncode, p.stdout


def boot(build, name, domain_set=STANDARD):
    return Machine(kernel=os.path.join(build, "baton.elf"),
                   append="console=com1 " + lu.LU_ARG, modules=modules(build, domain_set),
                   mem="512M", name=name, ctl=True, timeout=1800)


def lu_status(build, m):
    return lu.hvctl(build, m, "kexec", "status", "--type", "live-update").stdout.strip()


def update_with_kexec_tools(build, m, image, version):
    """One live update through the real tool. Returns (banner offset,
    downtime dict, seconds from `kexec -l` to the new banner, the exec
    line's offset)."""
    before = lu.identity(lu.domains(build, m))
    t0 = time.time()
    rc, out = kexec(build, m, "-l", "--load-live-update", image, "--command-line=console=com1")
    if rc != 0:
        raise TestFailure("kexec -l --load-live-update: exit %d\n%s" % (rc, out))
    if lu_status(build, m) != "live-update: loaded":
        raise TestFailure("hvctl says no live update image is loaded after kexec -l")
    rc, out = kexec(build, m, "-S", "--load-live-update")
    if rc != 1:
        raise TestFailure("kexec -S --load-live-update: exit %d, want 1 (loaded)\n%s" % (rc, out))
    mark = len(m.text())
    rc, out = kexec(build, m, "-x", "--exec-live-update")
    if rc != 0:
        raise TestFailure("kexec -x --exec-live-update: exit %d\n%s" % (rc, out))
    g = m.wait_for(lu.BANNER, 60, start=mark)
    took = time.time() - t0
    if g.group(1) != version:
        raise TestFailure("banner %s, want %s" % (g.group(1), version))
    at = g.start()
    m.wait_for(lu.LU_BOOT, 30, start=at)
    down = lu.parse_downtime(m.wait_for(lu.DOWNTIME, 30, start=at))
    m.wait_for(lu.BOOTED, 30, start=at)
    pos = m.wait_for(lu.EXEC_REQUESTED, 1, start=mark).start()
    after = lu.identity(lu.domains(build, m))
    if after != before:
        raise TestFailure("domains changed across the update:\nbefore %s\nafter  %s"
                          % (before, after))
    # the command line kexec-tools built: the image path, ours, liveupdate=
    line = m.wait_for(r"^\(HV\) boot: command line '([^']*)'", 5, start=at).group(1)
    if not re.match(r"^\S*baton\.elf console=com1 liveupdate=\d+M@0x[0-9a-f]+$", line):
        raise TestFailure("unexpected command line from kexec-tools: %r" % line)
    return at, down, took, pos


def test_live_update_round_trip(build):
    """A -> B -> A with the real kexec-tools, standard domains kept."""
    image_a, image_b = os.path.join(build, "baton.elf"), os.path.join(build, "b", "baton.elf")
    with boot(build, "kexec-tools-lu") as m:
        v_a = wait_up(m, [r"^\(d3\) pingpong: connected"])
        pid = m.proc.pid
        marks = []
        for image, version in ((image_b, v_a + "-b"), (image_a, v_a)):
            at, down, took, pos = update_with_kexec_tools(build, m, image, version)
            end = m.wait_for(lu.BOOTED, 5, start=at).end()
            marks.append((pos, end))
            lu.same_qemu(m, pid)
            for domid, pattern in ((1, r"heartbeat \d+ t="), (2, r"memcheck: pass \d+ ok"),
                                   (3, r"pingpong: \d+ round trips")):
                m.wait_for(r"^\(d%d\) %s" % (domid, pattern), 60, start=end, fail_on=BAD)
            print("kexec-tools live update -> %s: %.1f s from `kexec -l` to the banner; "
                  "downtime %s" % (version, took, lu.format_downtime(down)))
        text = m.text()
        for bad in BAD:
            if bad in text:
                raise TestFailure("'%s' in the log:\n%s" % (bad, tail(text, 40)))
        beats = check_heartbeat(m, text, marks, "update")
        check_dom0(m, text)
        csum, _ = check_memcheck(m, text, marks, "update")
        check_pingpong(m, text, marks, 3, "update")
        print("A -> B -> A by kexec-tools in QEMU process %d: heartbeat 0..%d continuous, "
              "memcheck checksum %s throughout" % (pid, beats[-1][0], csum))


def test_unload_and_default(build):
    """kexec -u --load-live-update unloads (an exec is then refused); then
    a plain kexec -l IMAGE and kexec -x -e: a non-preserving kexec."""
    image_b = os.path.join(build, "b", "baton.elf")
    with boot(build, "kexec-tools-misc", STANDARD[:2]) as m:
        v_a = wait_up(m)
        pid = m.proc.pid
        rc, out = kexec(build, m, "-l", "--load-live-update", image_b,
                        "--command-line=console=com1")
        if rc != 0 or lu_status(build, m) != "live-update: loaded":
            raise TestFailure("load before unload: exit %d\n%s" % (rc, out))
        # 2.0.25 unloads, then --load-live-update turns loading back on and
        # it complains of no kernel (exit 255); --load-live-update -u exits 0
        rc, out = kexec(build, m, "-u", "--load-live-update")
        if rc != 255 or "No kernel specified" not in out:
            raise TestFailure("kexec -u --load-live-update: exit %d, want 2.0.25's 255:\n%s"
                              % (rc, out))
        if lu_status(build, m) != "live-update: not loaded":
            raise TestFailure("kexec -u --load-live-update left the image loaded")
        rc, out = kexec(build, m, "-x", "--exec-live-update")
        if rc == 0:
            raise TestFailure("kexec --exec-live-update with nothing loaded: exit 0\n%s" % out)
        m.wait_for(r"^\(d1\) heartbeat \d+ t=", 30, start=len(m.text()), fail_on=BAD)
        print("unloaded; exec then refused (exit %d), domains running on %s" % (rc, v_a))

        rc, out = kexec(build, m, "-l", image_b, "--command-line=console=com1")
        if rc != 0:
            raise TestFailure("kexec -l (default): exit %d\n%s" % (rc, out))
        mark = len(m.text())
        rc, out = kexec(build, m, "-x", "-e")
        if rc != 0:
            raise TestFailure("kexec -x -e: exit %d\n%s" % (rc, out))
        g = m.wait_for(lu.BANNER, 60, start=mark, fail_on=())
        if g.group(1) != v_a + "-b":
            raise TestFailure("default kexec: banner %s" % g.group(1))
        m.wait_for(r"^\(HV\) LU: cold boot: ", 30, start=g.start(), fail_on=())
        m.wait_for(lu.BOOTED, 60, start=g.start())
        lu.same_qemu(m, pid)
        print("kexec -l + kexec -x -e: %s booted cold in the same QEMU process, no domain kept"
              % g.group(1))


def without_reloc_tag(src, dst):
    data = bytearray(open(src, "rb").read())
    i = data.find(struct.pack("<HHI", 10, 0, 24))
    if i < 0:
        raise TestFailure("no relocatable tag in %s" % src)
    struct.pack_into("<H", data, i, 4)          # an ignored flags tag instead
    open(dst, "wb").write(bytes(data))


def larger_than_ma_xen(src, dst, size):
    """The image with its last PT_LOAD's memory size grown to `size` octets
    (a bss too large for the image slot)."""
    data = bytearray(open(src, "rb").read())
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    last = None
    for i in range(phnum):
        off = phoff + i * phentsize
        if struct.unpack_from("<I", data, off)[0] == 1:    # PT_LOAD
            last = off
    vaddr, = struct.unpack_from("<Q", data, last + 0x10)
    first_vaddr = min(struct.unpack_from("<Q", data, phoff + i * phentsize + 0x10)[0]
                      for i in range(phnum)
                      if struct.unpack_from("<I", data, phoff + i * phentsize)[0] == 1)
    struct.pack_into("<Q", data, last + 0x28, size - (vaddr - first_vaddr))
    open(dst, "wb").write(bytes(data))


def test_refusals(build):
    """An image without the relocatable tag (kexec-tools refuses it) and
    one larger than MA_XEN (Baton refuses its segments): domains keep
    running on A, nothing loaded."""
    image_b = os.path.join(build, "b", "baton.elf")
    work = tempfile.mkdtemp(prefix="baton-kt-")
    try:
        with boot(build, "kexec-tools-refuse", STANDARD[:2]) as m:
            wait_up(m)
            xen = dict((n, (s, z)) for n, s, z in lu.ranges(build, m))["xen"]
            bad = os.path.join(work, "norelocate.elf")
            without_reloc_tag(image_b, bad)
            rc, out = kexec(build, m, "-l", "--load-live-update", bad,
                            "--command-line=console=com1")
            if rc == 0 or lu_status(build, m) != "live-update: not loaded":
                raise TestFailure("an image without the relocatable tag: exit %d\n%s" % (rc, out))
            big = os.path.join(work, "big.elf")
            larger_than_ma_xen(image_b, big, xen[1] + (2 << 20))
            mark = len(m.text())
            rc, out = kexec(build, m, "-l", "--load-live-update", big,
                            "--command-line=console=com1")
            if rc == 0 or lu_status(build, m) != "live-update: not loaded":
                raise TestFailure("an image larger than MA_XEN: exit %d\n%s" % (rc, out))
            refusal = m.wait_for(r"^\(HV\) kexec: segment \d+ [^\r\n]*outside MA_XEN[^\r\n]*", 10,
                                 start=mark, fail_on=())
            m.wait_for(r"^\(d1\) heartbeat \d+ t=", 30, start=len(m.text()), fail_on=BAD)
            print("refused: no relocatable tag (by kexec-tools, exit %d); larger than MA_XEN "
                  "(%d KiB) by Baton: %s; domains running" % (rc, xen[1] >> 10,
                                                              refusal.group(0).strip()))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    args = build_dir_from_args()
    sys.exit(run_tests([test_refusals, test_unload_and_default, test_live_update_round_trip],
                       args))
