"""What `make demo` boots: the image, its command line, and the domains."""
import os


def boot_config(build):
    kernel = os.path.join(build, "baton.elf")
    return kernel, "console=com1 loglvl=info liveupdate=64M", []


def markers():
    return []


def summary():
    return ""
