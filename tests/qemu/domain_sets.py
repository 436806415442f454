"""Domain sets booted by the demo and the QEMU domain tests.

Each entry is (guest ELF name, module command line). Domain ids follow the
order: the first is domain 0. QEMU's -kernel passes them as multiboot
modules ("FILE ARGS").
"""
import os

STANDARD = [
    ("dom0", 'name=dom0 mem=32M cmdline="period=2000"'),
    ("heartbeat", 'name=heartbeat mem=4M cmdline="period=250"'),
    ("memcheck", 'name=memcheck mem=64M cmdline="seed=7 fill=all period=500"'),
    ("pingpong", 'name=ping mem=4M cmdline="role=front peer=4 ref=8 period=500"'),
    ("pingpong", 'name=pong mem=4M cmdline="role=back peer=3 ref=8 period=500"'),
]


def modules(build, domain_set):
    return ["%s %s" % (os.path.join(build, "guests", elf + ".elf"), args) for elf, args in domain_set]
