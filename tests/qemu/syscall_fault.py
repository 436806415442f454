#!/usr/bin/env python3
"""The syscall fault path (arch/x86/traps.c, docs/kvm.md) under TCG.

Under kvm_pvm a guest's `syscall` reaches Baton as a ring-3 instruction
fetch fault at the syscall entry, which Baton completes as the hypercall.
Under TCG that fault comes only from a guest jumping to the entry itself
(guests/syscallprobe): it must get exactly what a `syscall` gets and no
more, and every near miss must go the normal way (the domain dies of its
#PF). Also measures the hypercall cost (syscallprobe op=bench).
"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from baton_qemu import Machine, TestFailure, build_dir_from_args, run_tests, tail  # noqa: E402
from domain_sets import modules  # noqa: E402

BOOTED = r"^\(HV\) Baton: boot complete$"
ANNOUNCE = r"^\(HV\) traps: hypercall completed through the syscall fault path"
FAILS = ("**** PANIC", "FATAL hypervisor exception", "SYSCALLPROBE UNEXPECTED",
         "SYSCALLPROBE SURVIVED")
BENCH = r"^\(d(\d+)\) SYSCALLPROBE BENCH calls=(\d+) tsc_per_call=(\d+) ns_per_call=([\d.]+)$"


def syscall_entry(image):
    """The hypervisor's syscall entry (LSTAR): the address a guest jumps to."""
    out = subprocess.run(["nm", image], stdout=subprocess.PIPE, text=True, check=True).stdout
    m = re.search(r"^([0-9a-f]{16}) T syscall_entry$", out, re.M)
    if not m:
        raise TestFailure("no syscall_entry symbol in %s" % image)
    return int(m.group(1), 16)


def probe_domains(entry, bench_count):
    e = "entry=0x%x" % entry
    return [("dom0", "name=dom0 mem=4M"),
            ("heartbeat", 'name=heartbeat mem=4M cmdline="period=250"'),
            ("syscallprobe", 'name=jump mem=4M cmdline="op=jump %s"' % e),
            ("syscallprobe", 'name=badrcx mem=4M cmdline="op=badrcx %s"' % e),
            ("syscallprobe", 'name=toprcx mem=4M cmdline="op=toprcx %s"' % e),
            ("syscallprobe", 'name=offset mem=4M cmdline="op=offset %s"' % e),
            ("syscallprobe", 'name=bench mem=4M cmdline="op=bench count=%d"' % bench_count)]


def crash_report(m, domid, name):
    """From the hypervisor's "dN: <exception> ..." line to "dN 'name' crashed"."""
    text = m.text()
    end = re.search(r"^\(HV\) d%d '%s' crashed: .*$" % (domid, name), text, re.M)
    starts = [g for g in re.finditer(r"^\(HV\) d%d: .*$" % domid, text, re.M)
              if end and g.start() < end.start()]
    if not end or not starts:
        raise TestFailure("no crash report for d%d '%s'; log tail:\n%s" % (domid, name, tail(text)))
    return text[starts[-1].start():end.end()]


def expect_page_fault(m, domid, name, rip):
    """The near miss went the normal way: a #PF with error 0x15 at `rip`
    killed the domain, no hypercall ran."""
    m.wait_for(r"^\(HV\) d%d '%s' crashed: " % (domid, name), 30, fail_on=FAILS)
    dump = crash_report(m, domid, name)
    want = "d%d: page fault (vector 14, error 0x15) at rip 0x%x" % (domid, rip)
    if want not in dump:
        raise TestFailure("d%d '%s': want '%s' in its crash report:\n%s" % (domid, name, want, dump))


def bench_line(m, domid):
    g = m.wait_for(r"^\(d%d\) SYSCALLPROBE BENCH .*$" % domid, 120, fail_on=FAILS)
    b = re.match(BENCH, g.group(0))
    if not b:
        raise TestFailure("malformed bench line: %s" % g.group(0))
    return int(b.group(2)), int(b.group(3)), float(b.group(4))


def test_syscall_fault_path(build):
    image = os.path.join(build, "baton.elf")
    entry = syscall_entry(image)
    with Machine(kernel=image, append="console=com1",
                 modules=modules(build, probe_domains(entry, 200000)),
                 mem="256M", name="syscall-fault") as m:
        m.wait_for(BOOTED, 60)
        # the jump: the hypercall ran (its text is on the console), it
        # returned to rcx with CF kept, IOPL 0 and IF set ...
        m.wait_for(r"^\(d2\) syscallprobe: console_write through a jump to the syscall entry$",
                   30, fail_on=FAILS)
        m.wait_for(r"^\(d2\) SYSCALLPROBE OK jump ", 30, fail_on=FAILS)
        # ... and IOPL 3 asked for in r11 was not granted: in from COM1 is a #GP
        m.wait_for(r"^\(HV\) d2 'jump' crashed: ", 30, fail_on=FAILS)
        dump = crash_report(m, 2, "jump")
        if "general protection" not in dump:
            raise TestFailure("d2 'jump' was to die of #GP at its in from COM1:\n%s" % dump)
        expect_page_fault(m, 3, "badrcx", entry)
        expect_page_fault(m, 4, "toprcx", entry)
        expect_page_fault(m, 5, "offset", entry + 1)
        calls, tsc, ns = bench_line(m, 6)
        # the others keep running
        start = len(m.text())
        m.wait_for(r"^\(d1\) heartbeat \d+", 10, start=start, fail_on=FAILS)
        announced = len(re.findall(ANNOUNCE, m.text(), re.M))
        if announced != 1:
            raise TestFailure("the fault path was announced %d times, want exactly once:\n%s"
                              % (announced, tail(m.text())))
        m.assert_absent(r"^\(HV\) d[016] '\w+' crashed", *[re.escape(f) for f in FAILS])
        print("accel %s: the jump got a hypercall and nothing more; 3 near misses died of "
              "#PF 0x15; announced once" % m.accel)
        print("accel %s: hypercall cost (null, by syscall): %d calls, %d TSC ticks and %.3f ns "
              "per call" % (m.accel, calls, tsc, ns))


if __name__ == "__main__":
    sys.exit(run_tests([test_syscall_fault_path], build_dir_from_args()))
