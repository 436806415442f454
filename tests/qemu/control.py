#!/usr/bin/env python3
"""The control plane, hypervisor side: domain 0's I/O ports and control_op.

test_com2_ports: domain 0 (and only it) may use COM2's ports through the
TSS I/O bitmap; any other port, in any domain, faults (#GP, that domain
crashed alone).

test_control_unprivileged: a non-zero domain (guests/ctlprobe) tries every
control_op command, an unknown one and every kexec_op command, with a good
and a bad argument pointer: -EPERM (-1) for each.

test_control_ops: the same probe as domain 0 checks argument validation,
list, info, pause/unpause (the paused domain prints nothing meanwhile),
create from an ELF it embeds and destroy (twice: the slot and id are
reused), destroy of a crashed domain and refusal (-EBUSY) for a domain
whose grant another maps, console_read, memory_map (compared here with the
hypervisor's boot log: the image and the live update bootmem are RAM) and
two rehearsals on request, under running guests.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from baton_qemu import FAIL_MARKERS, Machine, TestFailure, build_dir_from_args, run_tests, tail  # noqa: E402
from domain_sets import modules  # noqa: E402

BOOTED = r"^\(HV\) Baton: boot complete$"


def machine(build, domain_set, name, append="", mem="256M"):
    # a second serial port (COM2) behind the one the log comes from, as the
    # control plane runs it: domain 0 reads its registers
    return Machine(kernel=os.path.join(build, "baton.elf"), append="console=com1 " + append,
                   modules=modules(build, domain_set), mem=mem, name=name,
                   extra=["-serial", "null"])


def fail(m, msg):
    raise TestFailure("%s; log tail:\n%s" % (msg, tail(m.text(), 40)))


def gp_crash(m, domid, name):
    m.wait_for(r"^\(HV\) d%d: general protection" % domid, 30)
    m.wait_for(r"^\(HV\) d%d '%s' crashed: general protection" % (domid, name), 30)


def test_com2_ports(build):
    doms = [("badpriv", 'name=com2 mem=4M cmdline="op=in port=0x2fd"'),
            ("badpriv", 'name=com2user mem=4M cmdline="op=in port=0x2fd"'),
            ("badpriv", 'name=com1user mem=4M cmdline="op=out port=0x3f8"'),
            ("heartbeat", 'name=heartbeat mem=4M cmdline="period=250"')]
    with machine(build, doms, "com2") as m:
        m.wait_for(BOOTED, 60)
        # domain 0 reads COM2's line status register: transmitter empty (0x60)
        m.wait_for(r"^\(d0\) badpriv: in 0x2fd -> 0x60$", 30)
        m.wait_for(r"^\(d0\) BADPRIV SURVIVED in$", 30)
        gp_crash(m, 1, "com2user")
        gp_crash(m, 2, "com1user")
        start = len(m.text())
        m.wait_for(r"^\(d3\) heartbeat \d+", 10, start=start)
        m.assert_absent(r"^\(d[12]\) BADPRIV SURVIVED", r"d3 '\w+' crashed")
    # domain 0 has COM2 and nothing else: the ports either side of it fault
    # (0x300 also checks the 0xff octet the CPU reads past the bitmap's end)
    for port in (0x2f7, 0x300, 0x3f8, 0x80):
        doms = [("badpriv", 'name=dom0 mem=4M cmdline="op=in port=%#x"' % port)]
        with machine(build, doms, "dom0-port-%#x" % port) as m:
            m.wait_for(BOOTED, 60)
            gp_crash(m, 0, "dom0")
            m.assert_absent(r"BADPRIV SURVIVED")
    print("COM2 readable by domain 0 only; ports 0x2f7, 0x300, 0x3f8, 0x80 fault in domain 0")


EPERM = -1
NR_CONTROL_OPS = 11    # include/public/control.h (CONTROL_version is 10)
KEXEC_CMDS = 8
PROBE_FAILS = FAIL_MARKERS + ("CTLPROBE FAIL", "PINGPONG FAIL", "HEARTBEAT FAIL")


def test_control_unprivileged(build):
    doms = [("heartbeat", 'name=dom0 mem=4M cmdline="period=1000"'),
            ("ctlprobe", "name=unpriv mem=4M"),
            ("ctlprobe", "name=unpriv2 mem=4M")]
    with machine(build, doms, "control-eperm") as m:
        m.wait_for(BOOTED, 60)
        for domid in (1, 2):
            start = m.wait_for(r"^\(d%d\) ctlprobe: dom%d, unprivileged" % (domid, domid), 30).end()
            end = m.wait_for(r"^\(d%d\) CTLPROBE DONE$" % domid, 30, start=start).start()
            found = dict(re.findall(r"^\(d%d\) CTLPROBE rc (\S+) (-?\d+)$" % domid,
                                    m.text()[start:end], re.M))
            want = ["control_op/%d%s" % (c, s) for c in range(NR_CONTROL_OPS + 1) for s in ("", "/badptr")]
            want += ["kexec_op/%d%s" % (c, s) for c in range(KEXEC_CMDS) for s in ("", "/badptr")]
            missing = [w for w in want if w not in found]
            if missing:
                fail(m, "d%d did not report %s" % (domid, missing))
            wrong = ["%s=%s" % (w, found[w]) for w in want if int(found[w]) != EPERM]
            if wrong:
                fail(m, "d%d: not -EPERM (-1): %s" % (domid, ", ".join(wrong)))
        m.assert_absent(r"crashed", r"^\(HV\) d\d+ .*destroyed", r"rehearsal on request")
    print("%d control_op and kexec_op calls from 2 unprivileged domains: all -EPERM" % (2 * len(want)))


PROBE_SET = [
    ("ctlprobe", 'name=probe mem=8M cmdline="target=1 dead=3 busy=4"'),
    ("heartbeat", 'name=hb mem=4M cmdline="period=250"'),
    ("ctlprobe", "name=unpriv mem=4M"),
    ("badpriv", 'name=dead mem=4M cmdline="op=cli"'),
    ("pingpong", 'name=ping mem=4M cmdline="role=front peer=5 ref=8 period=500"'),
    ("pingpong", 'name=pong mem=4M cmdline="role=back peer=4 ref=8 period=500"'),
]


def e820_from_probe(text):
    return [(int(a, 16), int(s, 16), int(t))
            for a, s, t in re.findall(r"^\(d0\) CTLPROBE e820 ([0-9a-f]+) ([0-9a-f]+) (\d+)$", text, re.M)]


def memory_map_from_log(text):
    names = {"RAM": 1, "reserved": 2, "ACPI": 3, "NVS": 4, "unusable": 5}
    block = text[text.index("(HV) memory map:"):]
    out = []
    for a, b, name in re.findall(r"^\(HV\)   ([0-9a-f]{16})-([0-9a-f]{16}) (\S+)", block, re.M):
        out.append((int(a, 16), int(b, 16) - int(a, 16) + 1, names.get(name, name)))
    return out


def in_ram(e820, start, end):
    return any(t == 1 and a <= start and end <= a + s for a, s, t in e820)


def check_memory_map(m):
    text = m.text()
    probe, log = e820_from_probe(text), memory_map_from_log(text)
    if not probe or probe != log:
        fail(m, "memory_map %s differs from the boot log's %s" % (probe, log))
    image = re.search(r"^\(HV\) reserved: ([0-9a-f]+)-([0-9a-f]+) Baton image", text, re.M)
    lu = re.search(r"^\(HV\) liveupdate: reserved \d+ MiB at ([0-9a-f]+)-([0-9a-f]+)", text, re.M)
    if not image or not lu:
        fail(m, "no image or live update bootmem reservation in the log")
    for what, g in (("image", image), ("live update bootmem", lu)):
        start, end = int(g.group(1), 16), int(g.group(2), 16) + 1
        if not in_ram(probe, start, end):
            fail(m, "the %s %#x-%#x is not inside a RAM entry of memory_map" % (what, start, end))
    return len(probe)


def check_list(m):
    found = re.findall(r"^\(d0\) CTLPROBE list d(\d+) '([^']*)' state=(\d+) flags=(\S+) vcpus=1 "
                       r"mem=(\d+) pause=(\d+)", m.text(), re.M)
    want = [("0", "probe", "1", "0x1", str(8 << 20)), ("1", "hb", "1", "0", str(4 << 20)),
            ("2", "unpriv", "1", "0", str(4 << 20)), ("3", "dead", "3", "0", str(4 << 20)),
            ("4", "ping", "1", "0", str(4 << 20)), ("5", "pong", "1", "0", str(4 << 20))]
    got = [f[:5] for f in found]
    if got != want:
        fail(m, "domain_list gave %s, want %s" % (got, want))


def check_pause(m):
    text = m.text()
    a = re.search(r"^\(d0\) CTLPROBE paused d1$", text, re.M)
    b = re.search(r"^\(d0\) CTLPROBE unpausing d1$", text, re.M)
    beats = re.findall(r"^\(d1\) heartbeat \d+", text[a.end():b.start()], re.M)
    if beats:
        fail(m, "d1 printed %d heartbeats while paused" % len(beats))
    m.wait_for(r"^\(d1\) heartbeat \d+", 10, start=b.end(), fail_on=PROBE_FAILS)


def check_create_destroy(m):
    m.wait_for(r"^\(HV\) d6 'born': 4 MiB in \d+ extent", 1, fail_on=PROBE_FAILS)
    m.wait_for(r"^\(d6\) heartbeat 1 ", 1, fail_on=PROBE_FAILS)
    m.wait_for(r"^\(HV\) d6 'born' destroyed: 4 MiB", 1, fail_on=PROBE_FAILS)
    m.wait_for(r"^\(HV\) d6 'reborn': 4 MiB", 1, fail_on=PROBE_FAILS)
    m.wait_for(r"^\(d6\) heartbeat 4 ", 1, fail_on=PROBE_FAILS)
    m.wait_for(r"^\(HV\) d6 'reborn' shut down \(poweroff\)", 1, fail_on=PROBE_FAILS)
    m.wait_for(r"^\(HV\) d6 'reborn' destroyed", 1, fail_on=PROBE_FAILS)
    m.wait_for(r"^\(HV\) d3 'dead' destroyed", 1, fail_on=PROBE_FAILS)
    m.wait_for(r"^\(HV\) d4 'ping': not destroyed: 1 of its grants still mapped", 1,
               fail_on=PROBE_FAILS)


def test_control_ops(build):
    with machine(build, PROBE_SET, "control-ops", append="liveupdate=16M", mem="512M") as m:
        m.wait_for(BOOTED, 60)
        m.wait_for(r"^\(HV\) d3 'dead' crashed", 30)
        g = m.wait_for(r"^\(d0\) CTLPROBE DONE ok=(\d+) fail=(\d+)$", 120, fail_on=PROBE_FAILS)
        if int(g.group(2)) or int(g.group(1)) < 60:
            fail(m, "probe: %s checks passed, %s failed" % (g.group(1), g.group(2)))
        check_list(m)
        check_pause(m)
        check_create_destroy(m)
        entries = check_memory_map(m)
        for n in (1, 2):
            m.wait_for(r"^\(HV\) LU: rehearsal on request %d: 5 domain\(s\)" % n, 1)
        # everything carries on after the rehearsals
        start = len(m.text())
        m.wait_for(r"^\(d1\) heartbeat \d+", 10, start=start, fail_on=PROBE_FAILS)
        m.wait_for(r"^\(d4\) pingpong: \d+ round trips", 20, start=start, fail_on=PROBE_FAILS)
        m.assert_absent(r"crashed: (?!general protection)", r"d[0-2,4-6] '\w+' crashed")
    print("probe: %s checks; list, pause, create/destroy x2, dead and busy destroy, "
          "%d memory map entries, 2 rehearsals on request" % (g.group(1), entries))


if __name__ == "__main__":
    sys.exit(run_tests([test_com2_ports, test_control_unprivileged, test_control_ops],
                       build_dir_from_args()))
