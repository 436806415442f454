"""What `make demo` boots: the image, its command line, and the domains."""
import os

from domain_sets import STANDARD, modules


def boot_config(build):
    kernel = os.path.join(build, "baton.elf")
    return kernel, "console=com1 loglvl=info liveupdate=64M", modules(build, STANDARD)


def markers():
    """What the demo waits to see before it calls the boot a success."""
    return [r"\(d1\) heartbeat \d+", r"\(d2\) memcheck: pass \d+ ok",
            r"\(d3\) pingpong: \d+ round trips"]


def summary():
    return " with dom0, heartbeat, memcheck (64 MiB) and a pingpong pair"
