#!/usr/bin/env python3
"""Run Baton's tests and end with one line: "N passed, N failed".

  --unit BIN...   cmocka binaries: each test case counts
  --fuzz BIN...   libFuzzer targets: a short fixed run over the committed seed
                  corpus (tests/fuzz/corpus/<name>/); each target counts once
  --fuzz-long BIN...  the same, long (make fuzz)
  --qemu NAME...  tests/qemu/NAME.py: each "PASS: x" / "FAIL: x" line counts
  --kvm-lane      tests/qemu/kvm_lane.py (docs/kvm.md), counted the same way
                  when /dev/kvm opens; otherwise it says "kvm lane: skipped:
                  <why>", repeated before the summary, counted neither passed
                  nor failed
Exits non-zero when anything failed.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

FUZZ_SHORT_RUNS = 20000
FUZZ_LONG_RUNS = 2000000


def run(cmd, timeout):
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout, text=True, errors="replace")
        return p.returncode, p.stdout
    except subprocess.TimeoutExpired as e:
        out = e.stdout or ""
        if isinstance(out, bytes):
            out = out.decode(errors="replace")
        return -1, out + "\n[run-check] TIMEOUT after %ds\n" % timeout


def tail(text, n=40):
    return "\n".join(text.splitlines()[-n:])


def run_unit(binary):
    rc, out = run([binary], 300)
    passed = sum(int(m) for m in re.findall(r"\[  PASSED  \] (\d+) test", out))
    failed = sum(int(m) for m in re.findall(r"\[  FAILED  \] (\d+) test", out))
    if rc != 0 and failed == 0:
        failed = 1
    if passed == 0 and failed == 0:
        print("unit %s: ran no test" % binary)
        failed = 1
    status = "ok" if failed == 0 else "FAILED"
    print("unit %-40s %3d passed, %d failed  %s" % (os.path.basename(binary), passed, failed, status))
    if failed:
        print(tail(out))
    return passed, failed


def run_fuzz(binary, runs):
    name = os.path.basename(binary)
    corpus = os.path.join("tests", "fuzz", "corpus", name)
    if not os.path.isdir(corpus):
        print("fuzz %s: no seed corpus at %s" % (name, corpus))
        return 0, 1
    with tempfile.TemporaryDirectory() as scratch:
        t0 = time.time()
        artifacts = os.path.join(os.path.dirname(binary), "artifacts", name) + os.sep
        os.makedirs(artifacts, exist_ok=True)
        rc, out = run([binary, "-runs=%d" % runs, "-seed=1", "-artifact_prefix=" + artifacts,
                       scratch, corpus], 3600)
        dt = time.time() - t0
    m = re.findall(r"Done (\d+) runs", out)
    if rc != 0 or not m:
        print("fuzz %s: FAILED (rc=%d); crashing input under %s" % (name, rc, artifacts))
        print(tail(out))
        return 0, 1
    print("fuzz %-40s %s executions clean in %.1fs" % (name, m[-1], dt))
    return 1, 0


def run_qemu(name, build):
    script = os.path.join("tests", "qemu", name + ".py")
    t0 = time.time()
    rc, out = run([sys.executable, script, "--build", build], 1800)
    dt = time.time() - t0
    passed = len(re.findall(r"^PASS: ", out, re.M))
    failed = len(re.findall(r"^FAIL: ", out, re.M))
    if rc != 0 and failed == 0:
        failed = 1
    if passed == 0 and failed == 0:
        failed = 1
    sys.stdout.write(out if out.endswith("\n") else out + "\n")
    print("qemu %-40s %3d passed, %d failed (%.1fs)" % (name, passed, failed, dt))
    return passed, failed


def run_kvm_lane(build):
    """The KVM lane: (passed, failed, skip line or None). A lane that skips
    runs nothing and prints no PASS/FAIL line; anything else is counted
    as a QEMU test is."""
    script = os.path.join("tests", "qemu", "kvm_lane.py")
    t0 = time.time()
    rc, out = run([sys.executable, script, "--build", build], 1800)
    skipped = re.search(r"^kvm lane: skipped: .*$", out, re.M)
    if skipped and rc == 0 and not re.search(r"^(PASS|FAIL): ", out, re.M):
        print(skipped.group(0))
        return 0, 0, skipped.group(0)
    passed = len(re.findall(r"^PASS: ", out, re.M))
    failed = len(re.findall(r"^FAIL: ", out, re.M))
    if (rc != 0 and failed == 0) or (passed == 0 and failed == 0):
        failed += 1
    sys.stdout.write(out if out.endswith("\n") else out + "\n")
    print("qemu %-40s %3d passed, %d failed (%.1fs)" % ("kvm_lane", passed, failed,
                                                       time.time() - t0))
    return passed, failed, None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--unit", nargs="*", default=[])
    ap.add_argument("--fuzz", nargs="*", default=[])
    ap.add_argument("--fuzz-long", nargs="*", default=[])
    ap.add_argument("--qemu", nargs="*", default=[])
    ap.add_argument("--kvm-lane", action="store_true")
    a = ap.parse_args()
    total_p = total_f = 0
    for b in a.unit:
        p, f = run_unit(b)
        total_p += p
        total_f += f
    for b in a.fuzz:
        p, f = run_fuzz(b, FUZZ_SHORT_RUNS)
        total_p += p
        total_f += f
    for b in a.fuzz_long:
        p, f = run_fuzz(b, FUZZ_LONG_RUNS)
        total_p += p
        total_f += f
    for n in a.qemu:
        p, f = run_qemu(n, a.build)
        total_p += p
        total_f += f
    if a.kvm_lane:
        p, f, skipped = run_kvm_lane(a.build)
        total_p += p
        total_f += f
        if skipped:
            print("%s (not counted as passed)" % skipped)
    print("%d passed, %d failed" % (total_p, total_f))
    return 1 if total_f else 0


if __name__ == "__main__":
    sys.exit(main())
