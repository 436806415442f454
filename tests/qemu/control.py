#!/usr/bin/env python3
"""The control plane, hypervisor side: domain 0's I/O ports and control_op.

test_com2_ports: domain 0 (and only it) may use COM2's ports through the
TSS I/O bitmap; any other port, in any domain, faults (#GP, that domain
crashed alone).
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


if __name__ == "__main__":
    sys.exit(run_tests([test_com2_ports], build_dir_from_args()))
