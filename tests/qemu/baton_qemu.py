"""Run Baton under QEMU and read its serial console. Python 3 standard library only.

A Machine starts QEMU stopped (-S), connects to the serial socket and to QMP
before the first instruction runs (so nothing printed is lost), then lets it
go. Tests wait for exact markers with a timeout; on failure they get the
tail of the log in the exception text.

Acceleration: BATON_ACCEL=tcg (default), kvm, or auto (KVM when /dev/kvm
opens, else TCG). TCG is the default because the KVM on these machines
emulates guest ring 0 at about 1 us per instruction, and a hypervisor lives
in ring 0 (see docs/user-guide.md).
"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

QEMU = "qemu-system-x86_64"
FAIL_MARKERS = ("**** PANIC", "FATAL hypervisor exception")


class TestFailure(Exception):
    pass


def kvm_usable():
    try:
        fd = os.open("/dev/kvm", os.O_RDWR)
        os.close(fd)
        return True
    except OSError:
        return False


def choose_accel():
    want = os.environ.get("BATON_ACCEL", "tcg")
    if want == "auto":
        want = "kvm" if kvm_usable() else "tcg"
    if want == "kvm" and not kvm_usable():
        print("accel: kvm requested but /dev/kvm does not open: using tcg")
        want = "tcg"
    return want


def tail(text, n=30):
    return "\n".join(text.splitlines()[-n:])


class Machine:
    """One QEMU run. Use as a context manager so QEMU always ends."""

    def __init__(self, kernel=None, append="", modules=(), mem="256M", machine="pc",
                 iso=None, extra=(), timeout=120, name="baton", icount=False, cpu="max",
                 ctl=False):
        self.kernel = kernel
        self.append = append
        self.modules = list(modules)
        self.mem = mem
        self.machine = machine
        self.iso = iso
        self.extra = list(extra)
        self.timeout = timeout
        self.name = name
        self.icount = icount
        self.cpu = cpu
        self.ctl = ctl  # COM2 as a second -serial on a Unix socket (ctl_path())
        self.accel = choose_accel()
        self.dir = tempfile.mkdtemp(prefix="baton-qemu-")
        self.log = ""
        self.lock = threading.Lock()
        self.proc = None
        self.serial = None
        self.qmp = None
        self.qmp_buf = b""

    # ------------------------------------------------------------ start / stop
    def command(self):
        cmd = ["timeout", "--kill-after=5", str(self.timeout), QEMU,
               "-M", self.machine, "-m", self.mem, "-display", "none",
               "-no-reboot", "-S", "-nodefaults",
               "-chardev", "socket,id=ser0,path=%s,server=on,wait=off" % self.serial_path(),
               "-serial", "chardev:ser0",
               *self._ctl_args(),
               "-qmp", "unix:%s,server=on,wait=off" % self.qmp_path(),
               "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
        if self.accel == "kvm":
            cmd += ["-accel", "kvm", "-cpu", "host,-arch-capabilities"]
        elif self.icount:
            cmd += ["-accel", "tcg", "-icount", "shift=0", "-cpu", self.cpu]
        else:
            cmd += ["-accel", "tcg", "-cpu", self.cpu]
        if self.kernel:
            cmd += ["-kernel", self.kernel, "-append", self.append]
            if self.modules:
                # QEMU separates modules with commas; each is "file args"
                cmd += ["-initrd", ",".join(m.replace(",", ",,") for m in self.modules)]
        if self.iso:
            cmd += ["-cdrom", self.iso, "-boot", "d"]
        return cmd + self.extra

    def _ctl_args(self):
        if not self.ctl:
            return []
        return ["-chardev", "socket,id=ser1,path=%s,server=on,wait=off" % self.ctl_path(),
                "-serial", "chardev:ser1"]

    def ctl_path(self):
        """COM2's socket (with ctl=True): the agent's control line, for
        hvctl --ctl unix:PATH."""
        return os.path.join(self.dir, "ctl.sock")

    def serial_path(self):
        return os.path.join(self.dir, "serial.sock")

    def qmp_path(self):
        return os.path.join(self.dir, "qmp.sock")

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def start(self):
        print("[%s] accel: %s; %s" % (self.name, self.accel, " ".join(self.command())))
        sys.stdout.flush()
        self.proc = subprocess.Popen(self.command(), stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self.serial = self._connect(self.serial_path())
        self.qmp = self._connect(self.qmp_path())
        self._qmp_read()  # greeting
        self.qmp_command("qmp_capabilities")
        threading.Thread(target=self._read_serial, daemon=True).start()
        self.qmp_command("cont")

    def _connect(self, path):
        deadline = time.time() + 10
        while True:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(path)
                return s
            except OSError:
                s.close()
                if self.proc.poll() is not None:
                    out = self.proc.stdout.read().decode(errors="replace")
                    raise TestFailure("QEMU exited before %s existed:\n%s" % (path, out))
                if time.time() > deadline:
                    raise TestFailure("QEMU socket %s did not appear" % path)
                time.sleep(0.02)

    def _read_serial(self):
        while True:
            try:
                data = self.serial.recv(65536)
            except OSError:
                return
            if not data:
                return
            text = data.decode(errors="replace").replace("\r", "")
            with self.lock:
                self.log += text
            if os.environ.get("BATON_QEMU_ECHO"):
                sys.stdout.write(text)
                sys.stdout.flush()

    def _qmp_read(self):
        while b"\n" not in self.qmp_buf:
            chunk = self.qmp.recv(65536)
            if not chunk:
                raise TestFailure("QMP connection closed")
            self.qmp_buf += chunk
        line, self.qmp_buf = self.qmp_buf.split(b"\n", 1)
        return json.loads(line)

    def qmp_command(self, name, **args):
        msg = {"execute": name}
        if args:
            msg["arguments"] = args
        self.qmp.sendall(json.dumps(msg).encode() + b"\n")
        while True:
            reply = self._qmp_read()
            if "return" in reply or "error" in reply:
                if "error" in reply:
                    raise TestFailure("QMP %s failed: %s" % (name, reply["error"]))
                return reply["return"]

    def stop(self):
        if self.proc and self.proc.poll() is None:
            try:
                self.qmp_command("quit")
            except Exception:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for s in (self.serial, self.qmp):
            if s:
                s.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    # ------------------------------------------------------------ reading the log
    def text(self):
        with self.lock:
            return self.log

    def wait_for(self, pattern, timeout=60, start=0, fail_on=FAIL_MARKERS):
        """Wait until regex `pattern` matches the log after offset `start`.
        Returns the match. Fails at once on a failure marker or QEMU exit."""
        rx = re.compile(pattern, re.M)
        deadline = time.time() + timeout
        while True:
            text = self.text()
            m = rx.search(text, start)
            if m:
                return m
            for bad in fail_on:
                if bad in text[start:]:
                    raise TestFailure("found '%s' while waiting for '%s'; log tail:\n%s"
                                      % (bad, pattern, tail(text)))
            if self.proc.poll() is not None:
                time.sleep(0.2)
                text = self.text()
                m = rx.search(text, start)
                if m:
                    return m
                raise TestFailure("QEMU exited (status %s) while waiting for '%s'; log tail:\n%s"
                                  % (self.proc.returncode, pattern, tail(text)))
            if time.time() > deadline:
                raise TestFailure("timeout after %ds waiting for '%s'; log tail:\n%s"
                                  % (timeout, pattern, tail(text)))
            time.sleep(0.05)

    def assert_absent(self, *patterns):
        text = self.text()
        for p in patterns:
            if re.search(p, text, re.M):
                raise TestFailure("unexpected '%s' in the log; log tail:\n%s" % (p, tail(text)))


# ---------------------------------------------------------------- helpers for test scripts

def build_dir_from_args():
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--only", default=None, help="run only tests whose name contains this")
    return ap.parse_args()


def run_tests(tests, args):
    """Run test functions; print PASS:/FAIL: lines for tests/run-check.py."""
    failed = 0
    for fn in tests:
        name = fn.__name__.replace("test_", "")
        if args.only and args.only not in name:
            continue
        t0 = time.time()
        try:
            fn(args.build)
            print("PASS: %s (%.1fs)" % (name, time.time() - t0))
        except Exception as e:  # a test's failure, whatever raised it
            failed += 1
            print("FAIL: %s (%.1fs)\n%s" % (name, time.time() - t0, e))
        sys.stdout.flush()
    return 1 if failed else 0


def make_grub_iso(build, image, cmdline, modules=(), out_dir=None, name="baton"):
    """A GRUB (BIOS) rescue ISO booting `image` with multiboot2 and module2."""
    work = tempfile.mkdtemp(prefix="baton-iso-", dir=out_dir)
    boot = os.path.join(work, "root", "boot")
    os.makedirs(os.path.join(boot, "grub"))
    shutil.copy(image, os.path.join(boot, "baton.elf"))
    lines = ["set timeout=0", "set default=0", "menuentry '%s' {" % name,
             "  multiboot2 /boot/baton.elf %s" % cmdline]
    for i, (path, args) in enumerate(modules):
        dst = "mod%d.elf" % i
        shutil.copy(path, os.path.join(boot, dst))
        lines.append("  module2 /boot/%s %s" % (dst, args))
    lines += ["  boot", "}"]
    with open(os.path.join(boot, "grub", "grub.cfg"), "w") as f:
        f.write("\n".join(lines) + "\n")
    iso = os.path.join(work, "baton.iso")
    p = subprocess.run(["grub-mkrescue", "-o", iso, os.path.join(work, "root")],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if p.returncode != 0:
        raise TestFailure("grub-mkrescue failed:\n%s" % p.stdout)
    return iso, work
