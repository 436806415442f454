"""What `make demo` boots: the image, its command line, and the domains."""
import os

from domain_sets import STANDARD, modules


def boot_config(build):
    kernel = os.path.join(build, "baton.elf")
    return kernel, "console=com1 loglvl=info liveupdate=64M lu_rehearse=3,1000", modules(build, STANDARD)


def markers():
    """What the demo waits to see before it calls the boot a success."""
    return [r"\(d1\) heartbeat \d+", r"\(d2\) memcheck: pass \d+ ok",
            r"\(d3\) pingpong: \d+ round trips",
            r"LU: rehearsal 3 of 3: ", r"\(d1\) heartbeat \d+"]


def report_lines():
    """Lines the demo repeats at the end: the rehearsals' costs."""
    return r"^\(HV\) LU: rehearsal \d+ of \d+: .*$"


def summary():
    return (" with dom0, heartbeat, memcheck (64 MiB) and a pingpong pair, and ran 3 in-place"
            " live update rehearsals (save, drop every domain's hypervisor state, restore;"
            " no kexec yet)")
