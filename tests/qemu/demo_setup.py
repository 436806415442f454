"""What `make demo` boots and updates: the two images, the boot line, the
domains, and the guest lines it waits for before and after the update."""
import os

from domain_sets import STANDARD, modules
import lu_drive as lu

MEM = "512M"
DOMAINS = STANDARD      # d0 dom0, d1 heartbeat, d2 memcheck (64 MiB, fill=all), d3/d4 ping/pong


def images(build):
    """Build A (booted) and build B (the live update target, version "-b",
    shuffled internal layout)."""
    return os.path.join(build, "baton.elf"), os.path.join(build, "b", "baton.elf")


def boot_config(build):
    """Kernel, command line and modules of the boot: the live update area
    at a fixed address (lu_drive.LU_ARG), no rehearsals."""
    return images(build)[0], "console=com1 loglvl=info " + lu.LU_ARG, modules(build, DOMAINS)


def ready_markers():
    """Before the update: every guest is running and has counted something."""
    return [lu.AGENT,
            r"^\(d1\) heartbeat \d+ t=\d+ms$",
            r"^\(d2\) memcheck: pass \d+ ok checksum=",
            r"^\(d3\) pingpong: connected",
            r"^\(d4\) pingpong: connected",
            r"^\(d3\) pingpong: [1-9]\d* round trips$",
            r"^\(d4\) pingpong: [1-9]\d* round trips$"]


def progress_markers():
    """After the update: (pattern, how many new lines) each guest prints."""
    return [(r"^\(d0\) dom0: alive \d+ t=", 1),
            (r"^\(d1\) heartbeat \d+ t=\d+ms$", 2),
            (r"^\(d2\) memcheck: pass \d+ ok checksum=", 1),
            (r"^\(d3\) pingpong: \d+ round trips$", 2),
            (r"^\(d4\) pingpong: \d+ round trips$", 2)]
