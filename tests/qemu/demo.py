#!/usr/bin/env python3
"""make demo: boot Baton under QEMU, show its console, end QEMU cleanly."""
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from baton_qemu import Machine, TestFailure  # noqa: E402
import demo_setup  # noqa: E402


def main():
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--seconds", type=float, default=float(os.environ.get("DEMO_SECONDS", "5")))
    a = ap.parse_args()
    os.environ["BATON_QEMU_ECHO"] = "1"
    kernel, append, modules = demo_setup.boot_config(a.build)
    print("==> booting Baton under QEMU (serial console follows)")
    try:
        with Machine(kernel=kernel, append=append, modules=modules, mem="512M", name="demo") as m:
            m.wait_for(r"Baton: boot complete", 60)
            for marker in demo_setup.markers():
                m.wait_for(marker, 60)
            t_end = time.time() + a.seconds
            while time.time() < t_end:
                m.wait_for(r".", 1)
                time.sleep(0.2)
            m.assert_absent(r"FAIL", r"PANIC", r"crashed")
            print("\n==> rehearsal cost, TSC ticks per phase:")
            for line in re.findall(demo_setup.report_lines(), m.text(), re.M):
                print("    " + line)
            print("\n==> demo done: Baton booted%s; ending QEMU" % demo_setup.summary())
    except TestFailure as e:
        print("\n==> demo FAILED: %s" % e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
