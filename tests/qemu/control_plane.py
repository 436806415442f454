#!/usr/bin/env python3
"""Control plane tests: hvctl talks to domain 0's agent over COM2 (QEMU's
second -serial, a Unix socket). One boot of the standard domains serves
every test: hvctl list shows them; a heartbeat is created from
build/guests/heartbeat.elf, paused, unpaused and destroyed at runtime and
its output appears, stops, resumes and stops; hvctl dmesg returns the boot
log; garbage on COM2 (random bytes, truncated frames, bad CRCs, oversized
lengths, unknown types, another version) gets the error replies of
docs/specs/control-protocol.md and leaves the agent answering and dom0
alive; a 1 MiB upload is timed and its rate printed."""
import json
import os
import random
import re
import socket
import struct
import subprocess
import sys
import time
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from baton_qemu import Machine, TestFailure, build_dir_from_args, run_tests  # noqa: E402
from domain_sets import STANDARD, modules  # noqa: E402

BOOTED = r"^\(HV\) Baton: boot complete$"
NAMES = ["dom0", "heartbeat", "memcheck", "ping", "pong"]

# include/public/ctl.h and include/public/errno.h
MAGIC, VERSION, HDR = 0x4C544342, 1, 32
F_REPLY = 1
T_NONE, T_PING, T_LIST, T_UPLOAD_CHUNK = 0, 1, 2, 12
EIO, E2BIG, EINVAL, ENOSYS, EBADMSG, EOPNOTSUPP = 5, 7, 22, 38, 74, 95
RX_TIMEOUT_S = 1.0

_machine = None


def machine(build):
    """The one boot every test shares (started by the first test)."""
    global _machine
    if _machine is None:
        _machine = Machine(kernel=os.path.join(build, "baton.elf"), append="console=com1",
                           modules=modules(build, STANDARD), mem="512M", name="control",
                           ctl=True, timeout=900)
        _machine.start()
        _machine.wait_for(BOOTED, 60)
        _machine.wait_for(r"^\(d0\) dom0: agent on COM2", 60)
    return _machine


def hvctl(build, m, *args, check=True, timeout=120):
    env = dict(os.environ, BATON_CTL="unix:" + m.ctl_path())
    t0 = time.time()
    p = subprocess.run([os.path.join(build, "tools", "hvctl")] + list(args), env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=timeout)
    if check and p.returncode != 0:
        raise TestFailure("hvctl %s: exit %d (%.1fs)\nstdout: %s\nstderr: %s"
                          % (" ".join(args), p.returncode, time.time() - t0, p.stdout, p.stderr))
    return p


def hvctl_json(build, m, *args):
    return json.loads(hvctl(build, m, "--json", *args).stdout)


def domains(build, m):
    return {d["domid"]: d for d in hvctl_json(build, m, "list")}


# ------------------------------------------------------------ raw frames

def frame(ftype, seq, payload=b"", version=VERSION, flags=0, length=None):
    hdr = struct.pack("<IBBHIiIII", MAGIC, version, flags, ftype, seq, 0,
                      len(payload) if length is None else length, zlib.crc32(payload), 0)
    return hdr + struct.pack("<I", zlib.crc32(hdr)) + payload


def read_replies(sock, want, timeout):
    """Parse reply frames from sock until replies to every seq in `want`
    came (or, for a number, that many frames), or timeout: a list of
    (type, seq, status, flags, payload)."""
    buf, out = b"", []
    deadline = time.time() + timeout

    def done():
        if isinstance(want, int):
            return len(out) >= want
        return set(want) <= {r[1] for r in out}
    while not done() and time.time() < deadline:
        sock.settimeout(max(0.05, deadline - time.time()))
        try:
            data = sock.recv(65536)
        except socket.timeout:
            break
        if not data:
            break
        buf += data
        while True:
            i = buf.find(struct.pack("<I", MAGIC))
            if i < 0 or len(buf) - i < HDR:
                break
            (_, _, flags, ftype, seq, status, length, dcrc, _, hcrc) = \
                struct.unpack("<IBBHIiIIII", buf[i:i + HDR])
            if zlib.crc32(buf[i:i + 28]) != hcrc:
                buf = buf[i + 1:]
                continue
            if len(buf) - i - HDR < length:
                break
            payload = buf[i + HDR:i + HDR + length]
            buf = buf[i + HDR + length:]
            if zlib.crc32(payload) == dcrc:
                out.append((ftype, seq, status, flags, payload))
    return out


def ctl_socket(m):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(m.ctl_path())
    return s


def expect(replies, seq, status, what):
    got = [r for r in replies if r[1] == seq]
    if not got or got[0][2] != -status:
        raise TestFailure("%s: want a reply to seq %d with status %d, got %s"
                          % (what, seq, -status, [(r[0], r[1], r[2]) for r in replies]))


# ------------------------------------------------------------ tests

def test_list(build):
    m = machine(build)
    text = hvctl(build, m, "list").stdout
    for domid, name in enumerate(NAMES):
        if not re.search(r"^%s\s+%d\s" % (name, domid), text, re.M):
            raise TestFailure("hvctl list lacks %s (d%d):\n%s" % (name, domid, text))
    ds = domains(build, m)
    if sorted(ds) != [0, 1, 2, 3, 4] or ds[0]["mem_bytes"] != 32 << 20 \
            or not ds[0]["privileged"] or ds[2]["mem_bytes"] != 64 << 20:
        raise TestFailure("hvctl --json list: %s" % ds)
    if any(d["state"] != "running" for d in ds.values()):
        raise TestFailure("not every domain running: %s" % ds)
    info = hvctl_json(build, m, "info", "2")
    if info["name"] != "memcheck":
        raise TestFailure("hvctl info 2: %s" % info)
    p = hvctl(build, m, "info", "9", check=False)
    if p.returncode != 5 or "ENOENT" not in p.stderr:
        raise TestFailure("hvctl info 9: exit %d, %s" % (p.returncode, p.stderr))
    print(text.rstrip())


def lines_of(m, domid, start=0):
    return re.findall(r"^\(d%d\) heartbeat (\d+)" % domid, m.text()[start:], re.M)


def test_create_destroy(build):
    m = machine(build)
    elf = os.path.join(build, "guests", "heartbeat.elf")
    out = hvctl_json(build, m, "create", elf, "name=hb-new", "mem=4M", 'cmdline="period=100"')
    domid = out["domid"]
    if domid != 5:
        raise TestFailure("created domain %d, want 5 (the lowest free id)" % domid)
    m.wait_for(r"^\(d5\) heartbeat 3\b", 60)
    ds = domains(build, m)
    if ds.get(5, {}).get("name") != "hb-new":
        raise TestFailure("the new domain is not listed: %s" % ds)
    # pause: its output stops; unpause: it resumes
    hvctl(build, m, "pause", "5")
    time.sleep(1)
    mark = len(m.text())
    time.sleep(3)
    if lines_of(m, 5, mark):
        raise TestFailure("d5 printed while paused: %s" % lines_of(m, 5, mark))
    if not hvctl_json(build, m, "info", "5")["paused"]:
        raise TestFailure("d5 not reported paused")
    hvctl(build, m, "unpause", "5")
    m.wait_for(r"^\(d5\) heartbeat \d+", 30, start=mark)
    # destroy: its output stops for good, the others carry on
    hvctl(build, m, "destroy", "5")
    time.sleep(1)
    mark = len(m.text())
    m.wait_for(r"^\(d1\) heartbeat \d+", 30, start=mark)
    time.sleep(3)
    if lines_of(m, 5, mark):
        raise TestFailure("d5 printed after destroy")
    if 5 in domains(build, m):
        raise TestFailure("d5 still listed after destroy")
    p = hvctl(build, m, "destroy", "5", check=False)
    if p.returncode != 5:
        raise TestFailure("destroying d5 twice: exit %d" % p.returncode)
    # a bad image is refused, not a crash
    p = hvctl(build, m, "create", os.path.join(build, "baton.elf") + ".missing", check=False)
    if p.returncode != 6:
        raise TestFailure("create of a missing file: exit %d" % p.returncode)
    print("created d5 from heartbeat.elf, paused, unpaused and destroyed it")


def test_dmesg(build):
    m = machine(build)
    text = hvctl(build, m, "dmesg").stdout
    for want in (r"^\(HV\) Baton: boot complete$", r"^\(HV\) d0 'dom0': 32 MiB",
                 r"^\(d0\) dom0: up"):
        if not re.search(want, text, re.M):
            raise TestFailure("hvctl dmesg lacks '%s':\n%s" % (want, text[-2000:]))
    js = hvctl_json(build, m, "dmesg")
    if "Baton: boot complete" not in js["text"] or js["next"] < len(text) // 2:
        raise TestFailure("hvctl --json dmesg: next=%s" % js.get("next"))
    print("dmesg: %d octets" % len(text))


def test_garbage(build):
    m = machine(build)
    rnd = random.Random(8)
    alive_before = len(re.findall(r"^\(d0\) dom0: alive", m.text(), re.M))
    s = ctl_socket(m)
    try:
        # random bytes (magic octets sprinkled in): skipped, never answered
        # unless they happen to form a header
        junk = bytes(rnd.choice(b"BCTL\x00\xff") if rnd.random() < 0.2 else rnd.randrange(256)
                     for _ in range(20000))
        s.sendall(junk)
        s.sendall(frame(T_PING, 101))
        expect(read_replies(s, [101], 10), 101, 0, "ping after random bytes")
        # bad data CRC, oversized length, unknown type, another version
        bad_crc = bytearray(frame(T_PING, 102, b"payload"))
        bad_crc[-1] ^= 0x55
        s.sendall(bytes(bad_crc) + frame(T_PING, 103, length=0xFFFFFF00) +
                  frame(999, 104) + frame(T_PING, 105, version=7) +
                  frame(T_LIST, 106, b"x") + frame(T_PING, 107))
        r = read_replies(s, range(102, 108), 10)
        expect(r, 102, EBADMSG, "bad data CRC")
        expect(r, 103, E2BIG, "oversized length")
        expect(r, 104, ENOSYS, "unknown type")
        expect(r, 105, EOPNOTSUPP, "other version")
        expect(r, 106, EINVAL, "payload of the wrong size")
        expect(r, 107, 0, "ping after bad frames")
        # a damaged header: answered with seq 0
        bad_hdr = bytearray(frame(T_PING, 108))
        bad_hdr[9] ^= 1
        s.sendall(bytes(bad_hdr))
        r = read_replies(s, 1, 10)
        if not r or r[0][:3] != (T_NONE, 0, -EBADMSG):
            raise TestFailure("damaged header: %s" % r)
        # a truncated frame, then silence: -EIO after the timeout
        s.sendall(frame(T_UPLOAD_CHUNK, 109, b"\0" * 100)[:60])
        r = read_replies(s, [109], RX_TIMEOUT_S * 5)
        expect(r, 109, EIO, "truncated frame")
        # a truncated frame followed at once by a good one: both answered.
        # A follower shorter than the missing part completes nothing: -EIO
        # at the timeout, then the follower is found behind the header
        s.sendall(frame(T_UPLOAD_CHUNK, 110, b"\0" * 100)[:70] + frame(T_PING, 111))
        r = read_replies(s, [110, 111], RX_TIMEOUT_S * 5)
        expect(r, 110, EIO, "truncated frame followed by a short one")
        expect(r, 111, 0, "ping after a truncated frame")
        # a longer follower is read as the payload: -EBADMSG at once, and
        # the follower is found behind the header
        s.sendall(frame(T_UPLOAD_CHUNK, 112, b"\0" * 40)[:60] + frame(T_PING, 113))
        r = read_replies(s, [112, 113], 10)
        expect(r, 112, EBADMSG, "truncated frame followed by a longer one")
        expect(r, 113, 0, "ping after a truncated frame")
        # a frame with our reply flag: ignored, never answered
        s.sendall(frame(T_PING, 114, flags=F_REPLY) + frame(T_PING, 115))
        r = read_replies(s, 2, 3)
        if [x[1] for x in r] != [115]:
            raise TestFailure("replies to a reply-flagged frame: %s" % r)
        # disconnect in the middle of a frame: the next client is not hurt
        s.sendall(frame(T_UPLOAD_CHUNK, 116, b"\0" * 4000)[:1000])
    finally:
        s.close()
    p = hvctl_json(build, m, "ping")
    if p["protocol"] != 1:
        raise TestFailure("ping after garbage: %s" % p)
    start = len(m.text())
    m.wait_for(r"^\(d0\) dom0: alive \d+", 30, start=start)
    m.assert_absent(r"crashed", r"DOM0 FAIL")
    alive_after = len(re.findall(r"^\(d0\) dom0: alive", m.text(), re.M))
    print("agent answered after garbage; dom0 alive %d -> %d" % (alive_before, alive_after))


def test_upload_speed(build):
    m = machine(build)
    path = os.path.join(m.dir, "upload.bin")
    with open(path, "wb") as f:
        f.write(random.Random(1).randbytes(1 << 20))
    r = json.loads(hvctl(build, m, "--json", "--timeout", "30000", "upload", path,
                         timeout=900).stdout)
    accel = m.accel
    print("upload: %d octets in %.2f s: %.0f octets/s (%.1f KiB/s) under %s, %d resends"
          % (r["bytes"], r["seconds"], r["bytes_per_second"], r["bytes_per_second"] / 1024,
             accel, r["resends"]))
    if r["bytes"] != 1 << 20:
        raise TestFailure("upload: %s" % r)
    # the agent still answers, nothing crashed
    hvctl(build, m, "ping")
    m.assert_absent(r"crashed")


def main():
    args = build_dir_from_args()
    try:
        return run_tests([test_list, test_create_destroy, test_dmesg, test_garbage,
                          test_upload_speed], args)
    finally:
        if _machine:
            _machine.stop()


if __name__ == "__main__":
    sys.exit(main())
