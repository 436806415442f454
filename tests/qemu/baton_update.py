#!/usr/bin/env python3
"""tools/baton-update (issue 11), driven as an operator would, against
QEMU hosts (TCG unless BATON_ACCEL says otherwise):

- refusals in preflight, each with a target made to fail one check: no
  relocatable tag, larger than MA_XEN, an ELF note claiming only stream
  version 99 (make build-v99), an ELF note saying it does not load FPU
  context entries (make build-nofpu) and a target without that note at
  all (check domctx_types), a crashed domain (then accepted by
  --allow-crashed --dry-run), an image already loaded (left loaded: it is
  not ours); a failure in stage (a kexec that loads, then exits 255)
  unloads what it staged. After each: exit 2 (3 for stage), the named check
  and its values in the output and in the JSON report, the same domains,
  heartbeat advancing, nothing staged;
- a real update A -> B with the standard domains, its --json report
  validated against docs/schemas/baton-update-report.schema.json;
- a rolling update of three hosts (dom0 + heartbeat each), the second
  booted without a live update bootmem: the first is updated, the run stops
  at the second with its report, the third is not touched.
"""
import contextlib
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from baton_qemu import FAIL_MARKERS, Machine, TestFailure, build_dir_from_args, run_tests, tail  # noqa: E402
from domain_sets import STANDARD, modules  # noqa: E402
import lu_drive as lu  # noqa: E402
from kexec_tools import kexec, larger_than_ma_xen, without_reloc_tag  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "tools", "baton-update")
SCHEMA = os.path.join(ROOT, "docs", "schemas", "baton-update-report.schema.json")
BAD = FAIL_MARKERS + ("HEARTBEAT FAIL", "MEMCHECK FAIL", "PINGPONG FAIL")
SMALL = STANDARD[:2]                     # dom0 + heartbeat
CRASHER = ("badmem", "name=badmem mem=4M")
PREFLIGHT_CHECKS = ("agent", "running", "multiboot2", "relocatable", "fits_ma_xen",
                    "stream_version", "domctx_types", "bootmem", "nothing_loaded", "domains")


# ---------------------------------------------------------------- helpers

def stable_copy(path, work):
    """A copy of a build product in the test's own directory: other work
    in the tree may relink build/ while a test runs."""
    if not os.path.exists(path):
        raise TestFailure("%s missing: make all build-b build-v99 build-nofpu" % path)
    dst = os.path.join(work, os.path.basename(os.path.dirname(path)) + "-" + os.path.basename(path))
    shutil.copy(path, dst)
    return dst


def boot(build, name, domain_set=SMALL, bootmem=True, mem="512M"):
    return Machine(kernel=os.path.join(build, "baton.elf"),
                   append="console=com1" + (" " + lu.LU_ARG if bootmem else ""),
                   modules=modules(build, domain_set), mem=mem, name=name, ctl=True,
                   timeout=1800)


def wait_up(m):
    m.wait_for(lu.BOOTED, 300, fail_on=BAD)
    m.wait_for(lu.AGENT, 60, fail_on=BAD)
    m.wait_for(r"^\(d1\) heartbeat \d+ t=", 60, fail_on=BAD)
    return m.wait_for(lu.BANNER, 1).group(1)


def validate(report):
    """The report against the schema, with the real validator."""
    try:
        import jsonschema
    except ImportError:
        raise TestFailure("python3-jsonschema is missing (scripts/deps.sh installs it): "
                          "cannot validate the report")
    with open(SCHEMA) as f:
        schema = json.load(f)
    cls = jsonschema.Draft202012Validator
    cls.check_schema(schema)
    errors = sorted(cls(schema).iter_errors(report), key=lambda e: list(e.path))
    if errors:
        raise TestFailure("the report does not validate against %s:\n%s" % (
            SCHEMA, "\n".join("  at /%s: %s" % ("/".join(map(str, e.path)), e.message)
                              for e in errors[:10])))


def run_update(build, work, ctl_or_hosts, image, *extra, timeout=1500):
    """tools/baton-update with this build's hvctl and kexec; prints its
    output; returns (exit status, output, the validated JSON report)."""
    out_json = os.path.join(work, "report.json")
    if os.path.exists(out_json):
        os.unlink(out_json)
    target = ["--hosts", ctl_or_hosts] if os.path.isfile(ctl_or_hosts) else \
        ["--ctl", ctl_or_hosts]
    cmd = [SCRIPT] + target + ["--image", image, "--json", out_json,
                               "--hvctl", os.path.join(build, "tools", "hvctl"),
                               "--kexec", os.path.join(build, "kexec-tools", "sbin", "kexec")]
    cmd += list(extra)
    print("$ baton-update %s" % " ".join(cmd[1:]))
    t0 = time.time()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=timeout)
    for line in p.stdout.splitlines():
        if not line.startswith("      upload ["):
            print("  | " + line)
    print("  exit %d after %.1f s" % (p.returncode, time.time() - t0))
    sys.stdout.flush()
    if not os.path.exists(out_json):
        raise TestFailure("baton-update wrote no --json report (exit %d)" % p.returncode)
    with open(out_json) as f:
        report = json.load(f)
    validate(report)
    return p.returncode, p.stdout, report


def preflight_checks(report, host=0):
    return {c["check"]: c for c in report["hosts"][host]["phases"]["preflight"]["checks"]}


def expect_refusal(rc, out, report, check, found_re, alone=True):
    """Exit 2, `check` failed with found matching found_re (and named with
    its values in the output), every other preflight check passed (unless
    not alone: a garbage image fails every check that reads it)."""
    if rc != 2 or report["exit_code"] != 2 or report["result"] != "refused":
        raise TestFailure("want exit 2 (refused) for %s, got %d (%s)" % (check, rc,
                                                                         report["result"]))
    checks = preflight_checks(report)
    c = checks.get(check)
    if c is None or c["ok"] or not re.search(found_re, str(c["found"])):
        raise TestFailure("check %s: want a failure with found ~ %r, got %s" % (check, found_re, c))
    others = [n for n, v in checks.items() if n != check and not v["ok"]]
    if alone and others:
        raise TestFailure("checks other than %s failed too: %s" % (check, others))
    line = re.search(r"^\s+FAIL %s\s+expected .+, found .+$" % re.escape(check), out, re.M)
    if not line:
        raise TestFailure("no 'FAIL %s expected ..., found ...' line in the output" % check)
    h = report["hosts"][0]
    if h["host_unchanged"] is not True or h["failed_phase"] != "preflight" \
            or "stage" in h["phases"]:
        raise TestFailure("a refusal must leave the host unchanged before stage: %s"
                          % {k: h[k] for k in ("host_unchanged", "failed_phase")})
    return line.group(0).strip()


def expect_domctx_refusal(no_note, out, report):
    """domctx_types names the missing types and both masks (or, for a
    target without the note, says so and what it cannot confirm)."""
    c = preflight_checks(report)["domctx_types"]
    wrote = "DOMAIN VCPU EVTCHN GRANT GRANT_MAP TIMER CONSOLE FPU (%#x)" % ALL_TYPES
    if wrote not in c["expected"]:
        raise TestFailure("domctx_types expected %r: want the written types %r"
                          % (c["expected"], wrote))
    if no_note:
        want = ("target has no BATON_NOTE_DOMCTX_TYPES note: built before it (and before the "
                "FPU entry); cannot confirm it loads DOMAIN")
        if report["image"]["domctx_types"] is not None or not c["detail"].startswith(want):
            raise TestFailure("no note: detail %r, image %s" % (c["detail"],
                                                             report["image"]["domctx_types"]))
    elif c["detail"] != "running build writes %#x, target loads 0x1fc" % ALL_TYPES or \
            report["image"]["domctx_types"] != {"loads": 0x1fc}:
        raise TestFailure("nofpu: detail %r, image %s" % (c["detail"],
                                                        report["image"]["domctx_types"]))
    if "domctx_types: expected" not in (report["hosts"][0]["error"] or ""):
        raise TestFailure("the refusal's summary does not name domctx_types: %r"
                          % report["hosts"][0]["error"])


def loaded(build, m):
    return {ty: json.loads(lu.hvctl(build, m, "--json", "kexec", "status", "--type", ty)
                           .stdout)["loaded"] for ty in ("live-update", "default")}


def untouched(build, m, before, version, want_loaded=False):
    """The same domains, the same build, heartbeat advancing, and nothing
    staged (or, want_loaded, the operator's own image still staged)."""
    if lu.identity(lu.domains(build, m)) != before:
        raise TestFailure("domains changed: %s, now %s" % (before, lu.domains(build, m)))
    v = json.loads(lu.hvctl(build, m, "--json", "version").stdout)
    if v["version"] != version:
        raise TestFailure("running %s, want %s" % (v["version"], version))
    st = loaded(build, m)
    if st != {"live-update": want_loaded, "default": False}:
        raise TestFailure("kexec status afterwards: %s" % st)
    m.wait_for(r"^\(d1\) heartbeat \d+ t=", 30, start=len(m.text()), fail_on=BAD)


ALL_TYPES = 0x3fc                        # DOMAIN..FPU: what every build now writes


def tiny_image(path, note_versions=(1, 1, 1), domctx_desc=struct.pack("<QQ", ALL_TYPES, 0)):
    """A 4 KiB multiboot2 ELF with the relocatable tag and Baton's notes
    (it passes every preflight image check): cheap to upload, never run.
    domctx_desc: BATON_NOTE_DOMCTX_TYPES's desc, None for no such note."""
    base, size = 0x200000, 0x1000
    img = bytearray(size)
    note = struct.pack("<III", 6, 16, 1) + b"Baton\0\0\0" + struct.pack("<IIII", *note_versions, 0)
    if domctx_desc is not None:
        note += struct.pack("<III", 6, len(domctx_desc), 2) + b"Baton\0\0\0" + domctx_desc + \
            b"\0" * (-len(domctx_desc) % 4)
    mb2_tags = struct.pack("<HHIIIII", 10, 0, 24, base, 0x7fffffff, 0x200000, 0) + \
        struct.pack("<HHI", 0, 0, 8)
    hlen = 16 + len(mb2_tags)
    mb2 = struct.pack("<IIII", 0xe85250d6, 0, hlen, (-(0xe85250d6 + hlen)) & 0xffffffff) + mb2_tags
    img[0x100:0x100 + len(mb2)] = mb2
    img[0x200:0x200 + len(note)] = note
    img[0x300:0x302] = b"\xeb\xfe"               # jmp . (never reached)
    ehdr = struct.pack("<4sBBBBBxxxxxxxHHIQQQIHHHHHH", b"\x7fELF", 2, 1, 1, 0, 0,
                       2, 62, 1, base + 0x300, 64, 0, 0, 64, 56, 2, 64, 0, 0)
    load = struct.pack("<IIQQQQQQ", 1, 7, 0, base, base, size, size, 0x1000)
    pnote = struct.pack("<IIQQQQQQ", 4, 4, 0x200, base + 0x200, base + 0x200, len(note),
                        len(note), 4)
    img[0:64] = ehdr
    img[64:64 + 56] = load
    img[120:120 + 56] = pnote
    with open(path, "wb") as f:
        f.write(bytes(img))


def image_handler_masks(path):
    """(loads, saves): the masks of the domain context types whose
    DOMCTX_HANDLER() descriptors in the image (__start_domctx_handlers ..
    __stop_domctx_handlers, struct domctx_handler_desc: u16 typecode @0,
    save @24, load @32, 40 octets each) have a load or a save handler.
    The handlers really linked, whatever list a unit test links."""
    with open(path, "rb") as f:
        data = f.read()
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3a)
    secs = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
    symtab = next(x for x in secs if x[1] == 2)            # SHT_SYMTAB
    strtab = secs[symtab[6]]
    syms = {}
    for off in range(symtab[4], symtab[4] + symtab[5], 24):
        name, _, _, _, value, _ = struct.unpack_from("<IBBHQQ", data, off)
        end = data.index(b"\0", strtab[4] + name)
        syms[data[strtab[4] + name:end].decode()] = value
    start, stop = syms["__start_domctx_handlers"], syms["__stop_domctx_handlers"]
    sec = next(x for x in secs if x[3] <= start and stop <= x[3] + x[5] and x[1] == 1)
    if (stop - start) % 40 or stop == start:
        raise TestFailure("%s: handler table of %d octets, expected a multiple of 40"
                          % (path, stop - start))
    loads = saves = 0
    for at in range(sec[4] + start - sec[3], sec[4] + stop - sec[3], 40):
        typecode, = struct.unpack_from("<H", data, at)
        save, load = struct.unpack_from("<QQ", data, at + 24)
        if typecode < 64:
            loads |= (1 << typecode) if load else 0
            saves |= (1 << typecode) if save else 0
    return loads, saves


def failing_kexec(work, build):
    """A kexec that really loads, then says it failed (exit 255): a stage
    failure after something was staged."""
    real = os.path.join(os.path.abspath(build), "kexec-tools", "sbin", "kexec")
    path = os.path.join(work, "kexec-fails-after-load")
    with open(path, "w") as f:
        f.write('#!/bin/sh\n"%s" "$@"; rc=$?\n'
                'case " $* " in *" -l "*)\n'
                '  echo "kexec (test): failing after the load (exit $rc)" >&2; '
                ' exit 255;; esac\nexit $rc\n' % real)
    os.chmod(path, 0o755)
    return path


def lying_hvctl(work, build):
    """An hvctl that, once build B runs, reports another build id: the
    update happens, and verify must find that the target is not running."""
    real = os.path.join(os.path.abspath(build), "tools", "hvctl")
    path = os.path.join(work, "hvctl-wrong-build-id")
    with open(path, "w") as f:
        f.write('#!/bin/sh\nout=$("%s" "$@"); rc=$?\n'
                'if printf %%s "$out" | grep -q \'"version": "[^"]*-b"\'; then\n'
                '  out=$(printf %%s "$out" | sed -E \'s/("build_id": ")[0-9a-f]+/\\1%s/\')\n'
                'fi\nprintf "%%s\\n" "$out"; exit $rc\n' % (real, "0" * 40))
    os.chmod(path, 0o755)
    return path


# ---------------------------------------------------------------- tests

def test_preflight_refusals(build):
    """Each target made to fail one check is refused with that check named;
    the host is left as it was."""
    work = tempfile.mkdtemp(prefix="baton-upd-")
    try:
        image_b = stable_copy(os.path.join(build, "b", "baton.elf"), work)
        v99 = stable_copy(os.path.join(build, "v99", "baton.elf"), work)
        nofpu = stable_copy(os.path.join(build, "nofpu", "baton.elf"), work)
        old = os.path.join(work, "before-the-note.elf")
        tiny_image(old, domctx_desc=None)
        with boot(build, "upd-refuse", SMALL + [CRASHER]) as m:
            version = wait_up(m)
            m.wait_for(r"^\(HV\) d2 'badmem' crashed: ", 60, fail_on=FAIL_MARKERS)
            before = lu.identity(lu.domains(build, m))
            ctl = "unix:" + m.ctl_path()
            running = json.loads(lu.hvctl(build, m, "--json", "version").stdout)
            image_a = stable_copy(os.path.join(build, "baton.elf"), work)
            if (running["domctx_types_load"], running["domctx_types_write"]) != \
                    image_handler_masks(image_a):
                raise TestFailure("hvctl version says load %#x write %#x; the image's handlers "
                                  "%s" % (running["domctx_types_load"],
                                          running["domctx_types_write"],
                                          image_handler_masks(image_a)))
            xen = dict((n, (s, z)) for n, s, z in lu.ranges(build, m))["xen"]
            norel = os.path.join(work, "norelocate.elf")
            without_reloc_tag(image_b, norel)
            big = os.path.join(work, "big.elf")
            larger_than_ma_xen(image_b, big, xen[1] + (2 << 20))
            cases = [
                (image_b, (), "domains", r"d2 'badmem' crashed"),
                (norel, ("--allow-crashed",), "relocatable", r"^none$"),
                (big, ("--allow-crashed",), "fits_ma_xen", r"^%d KiB$" % ((xen[1] >> 10) + 2048)),
                (v99, ("--allow-crashed",), "stream_version", r"reads 99\.\.99 \(compat 99\)"),
                (nofpu, ("--allow-crashed",), "domctx_types", r"^loads 0x1fc, not FPU \(0x200\)$"),
                (old, ("--allow-crashed",), "domctx_types",
                 r"^no BATON_NOTE_DOMCTX_TYPES note$"),
            ]
            garbage = os.path.join(work, "garbage.elf")
            with open(garbage, "wb") as f:
                f.write(os.urandom(8192))
            truncated = os.path.join(work, "truncated.elf")
            with open(image_b, "rb") as f:
                data = f.read()
            with open(truncated, "wb") as f:
                f.write(data[:0x1030])         # inside the multiboot2 header
            cases += [(garbage, ("--allow-crashed",), "multiboot2", r"not an ELF file"),
                      (truncated, ("--allow-crashed",), "multiboot2",
                       r"do not fit|no multiboot2 header|does not fit")]
            for image, extra, check, found in cases:
                rc, out, rep = run_update(build, work, ctl, image, *extra)
                said = expect_refusal(rc, out, rep, check, found,
                                      alone=image not in (garbage, truncated))
                if check == "domctx_types":
                    expect_domctx_refusal(image == old, out, rep)
                untouched(build, m, before, version)
                print("refused as it should: %s" % said)

            rc, out, rep = run_update(build, work, ctl, image_b, "--allow-crashed", "--dry-run")
            if rc != 0 or rep["hosts"][0]["result"] != "dry-run-ok" or \
                    not preflight_checks(rep)["domains"]["ok"]:
                raise TestFailure("--allow-crashed --dry-run: exit %d, %s" % (rc, rep["result"]))
            untouched(build, m, before, version)
            print("--allow-crashed --dry-run: preflight passes with the crashed domain")

            # an image the operator staged is refused and left staged
            tiny = os.path.join(work, "tiny.elf")
            tiny_image(tiny)
            lu.hvctl(build, m, "kexec", "load", "--type", "live-update", tiny, "--append", "x")
            rc, out, rep = run_update(build, work, ctl, image_b, "--allow-crashed")
            said = expect_refusal(rc, out, rep, "nothing_loaded", r"live-update image loaded")
            untouched(build, m, before, version, want_loaded=True)
            lu.hvctl(build, m, "kexec", "unload", "--type", "live-update")
            untouched(build, m, before, version)
            print("refused as it should: %s; the operator's image stayed loaded" % said)

            # stage fails after the load: baton-update unloads what it staged
            rc, out, rep = run_update(build, work, ctl, tiny, "--allow-crashed",
                                      "--kexec", failing_kexec(work, build))
            h = rep["hosts"][0]
            if rc != 3 or h["failed_phase"] != "stage" or h["host_unchanged"] is not True \
                    or not h.get("unload", {}).get("unloaded"):
                raise TestFailure("a failed stage: exit %d, %s" % (rc, {k: h.get(k) for k in (
                    "failed_phase", "host_unchanged", "unload")}))
            if "failing after the load (exit 0)" not in (h["error"] or ""):
                raise TestFailure("the test's kexec did not load first: %s" % h["error"])
            if not re.search(r"^\s+unload \(kexec --load-live-update -u\): exit 0; nothing staged",
                             out, re.M):
                raise TestFailure("no unload line after the failed stage")
            untouched(build, m, before, version)
            print("stage failure (exit 3): what was staged was unloaded, host as it was")
            m.assert_absent(r"LU: exec requested")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_bad_arguments(build):
    """No QEMU: a hosts file that is not one endpoint per line, no hosts,
    a missing image, and a host nobody answers on (exit 6, nothing done)."""
    work = tempfile.mkdtemp(prefix="baton-upd-")
    try:
        image_b = stable_copy(os.path.join(build, "b", "baton.elf"), work)
        cases = [("two words", "unix:/a unix:/b\n", r"hosts:1: expected one control endpoint, "
                  r"found 'unix:/a unix:/b'"),
                 ("only comments", "# nothing\n\n", r"expected at least one control endpoint, "
                  r"found none")]
        for what, text, said in cases:
            path = os.path.join(work, "hosts")
            with open(path, "w") as f:
                f.write(text)
            rc, out, rep = run_update(build, work, path, image_b)
            if rc != 1 or rep["result"] != "usage" or not re.search(said, out):
                raise TestFailure("hosts file with %s: exit %d, %r" % (what, rc, out))
        rc, out, rep = run_update(build, work, "unix:/nonexistent", os.path.join(work, "none.elf"))
        if rc != 1 or "cannot read the image" not in out:
            raise TestFailure("a missing image: exit %d" % rc)
        rc, out, rep = run_update(build, work, "unix:" + os.path.join(work, "nobody.sock"),
                                  image_b)
        h = rep["hosts"][0]
        if rc != 6 or h["result"] != "unreachable" or h["host_unchanged"] is not True:
            raise TestFailure("nobody on the line: exit %d, %s" % (rc, h["result"]))
        print("bad hosts files and a missing image: exit 1; no agent: exit 6, host untouched")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def load_script():
    """tools/baton-update as a module (it has no .py suffix)."""
    import importlib.machinery
    import importlib.util
    loader = importlib.machinery.SourceFileLoader("baton_update_script", SCRIPT)
    spec = importlib.util.spec_from_loader(loader.name, loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def test_compat_rule(build):
    """No QEMU: the stream version rule of the preflight (handover spec,
    "The image's ELF note"), case by case."""
    rule = load_script().stream_readable
    cases = [((1, 1), 1, 1, True),      # the same version
             ((1, 2), 1, 1, True),      # a v2 reader reads v1
             ((1, 2), 2, 1, True),
             ((1, 1), 2, 1, True),      # a newer stream a v1 reader may read (compat 1)
             ((1, 1), 2, 2, False),     # ... and one it may not
             ((2, 3), 1, 1, False),     # never older than read_min
             ((99, 99), 1, 1, False)]   # the v99 test build
    for (rmin, rmax), write, compat, want in cases:
        note = {"read_min": rmin, "read_max": rmax, "write_compat": rmax}
        if rule(note, write, compat) != want:
            raise TestFailure("image reading %d..%d, stream %d (compat %d): want %s"
                              % (rmin, rmax, write, compat, want))
    print("stream version rule: %d cases" % len(cases))


def test_domctx_rule(build):
    """No QEMU: the domain context types rule (handover spec, "The domain
    context types it loads"), its names against include/public/domctx.h,
    the note as read_image reads it from an image, and in build/baton.elf,
    b/ and nofpu/ the note against the handlers the image really links
    (nofpu: without FPU)."""
    mod = load_script()
    fpu = 1 << 9
    cases = [(ALL_TYPES, ALL_TYPES, 0),                 # the same build
             (ALL_TYPES, ALL_TYPES & ~fpu, fpu),        # a target from before FPU
             (ALL_TYPES & ~fpu, ALL_TYPES, 0),          # an old writer, a new target
             (ALL_TYPES, ALL_TYPES | 1 << 10, 0),       # the target loads more
             (ALL_TYPES, None, ALL_TYPES),              # no note: nothing confirmed
             (ALL_TYPES | 1 << 63, ALL_TYPES, 1 << 63)]  # the top bit
    for writes, loads, want in cases:
        if mod.domctx_missing(writes, loads) != want:
            raise TestFailure("writes %#x, target loads %s: want missing %#x, got %#x" % (
                writes, loads, want, mod.domctx_missing(writes, loads)))
    names = mod.domctx_type_names(fpu | 1 << 2 | 1 << 10)
    if names != ["DOMAIN", "FPU", "0x000a"] or \
            mod.domctx_type_names(1 << 10, {10: "NEW"}) != ["NEW"]:
        raise TestFailure("type names: %s" % names)
    with open(os.path.join(ROOT, "include", "public", "domctx.h")) as f:
        header = dict((int(v, 16), n) for n, v in re.findall(
            r"^#define DOMCTX_TYPE_(\w+)\s+(0x[0-9a-fA-F]+)", f.read(), re.M))
    public = {t: n for t, n in header.items() if 2 <= t < 64}
    if public != mod.DOMCTX_TYPE_NAMES:
        raise TestFailure("baton-update's DOMCTX_TYPE_NAMES %s, include/public/domctx.h has %s"
                          % (mod.DOMCTX_TYPE_NAMES, public))
    work = tempfile.mkdtemp(prefix="baton-upd-")
    try:
        path = os.path.join(work, "t.elf")
        images = [(struct.pack("<QQ", 0x1fc, 0), {"loads": 0x1fc}, None),
                  (struct.pack("<QQQ", 1 << 40 | 0x3fc, 0, 7), {"loads": 1 << 40 | 0x3fc}, None),
                  (None, None, None),
                  (struct.pack("<Q", 0x3fc), None, "expected 16 octets, found 8")]
        for desc, want, err in images:
            tiny_image(path, domctx_desc=desc)
            img = mod.read_image(path)
            got = img["errors"].get("domctx_note")
            if img["domctx_types"] != want or (err is None) != (got is None) or \
                    (err and err not in got):
                raise TestFailure("note desc %s: read %s, error %r" % (
                    desc and desc.hex(), img["domctx_types"], got))
        # the real images: the note says what their linked handlers load
        for sub, drop in (("", 0), ("b", 0), ("nofpu", fpu)):
            path = stable_copy(os.path.join(build, sub, "baton.elf"), work)
            loads, saves = image_handler_masks(path)
            note = mod.read_image(path)["domctx_types"]
            if note != {"loads": loads & ~drop} or not loads & fpu or not saves & fpu:
                raise TestFailure("%s: note %s, its handlers load %#x and save %#x"
                                  % (path, note, loads, saves))
            print("%s: note loads %#x; linked handlers load %#x, save %#x"
                  % (os.path.join(build, sub, "baton.elf"), note["loads"], loads, saves))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("domain context types rule: %d cases, %d names, %d notes read"
          % (len(cases), len(public), len(images)))


def test_update_standard(build):
    """A -> B with the standard domains; the report validates and says so."""
    work = tempfile.mkdtemp(prefix="baton-upd-")
    try:
        image_b = stable_copy(os.path.join(build, "b", "baton.elf"), work)
        with boot(build, "upd-standard", STANDARD) as m:
            version = wait_up(m)
            m.wait_for(r"^\(d3\) pingpong: connected", 120, fail_on=BAD)
            m.wait_for(r"^\(d2\) memcheck: pass \d+ ok", 120, fail_on=BAD)
            pid = m.proc.pid
            before = lu.identity(lu.domains(build, m))
            mark = len(m.text())
            rc, out, rep = run_update(build, work, "unix:" + m.ctl_path(), image_b)
            h = rep["hosts"][0]
            if rc != 0 or rep["result"] != "ok" or h["result"] != "updated":
                raise TestFailure("the update: exit %d, %s: %s" % (rc, h["result"], h["error"]))
            g = m.wait_for(lu.BANNER, 5, start=mark)
            if g.group(1) != version + "-b" or h["version_after"]["version"] != version + "-b":
                raise TestFailure("running %s, report says %s" % (g.group(1),
                                                                  h["version_after"]["version"]))
            if h["version_after"]["build_id"] != rep["image"]["build_id"] or \
                    h["version_after"]["build_id"] != g.group(2):
                raise TestFailure("build ids: banner %s, report %s, image %s" % (
                    g.group(2), h["version_after"]["build_id"], rep["image"]["build_id"]))
            logged = lu.parse_downtime(m.wait_for(lu.DOWNTIME, 5, start=mark))
            if h["downtime"]["us"] != logged["us"] or \
                    any(h["downtime"]["phases"][p] != logged[p] for p in lu.PHASES):
                raise TestFailure("downtime: report %s, console %s" % (h["downtime"], logged))
            if lu.identity(lu.domains(build, m)) != before or len(h["domains"]) != 5 or \
                    not all(d["same"] for d in h["domains"]):
                raise TestFailure("domains: report %s" % h["domains"])
            kinds = {d["domid"]: (d["progress"] or {}).get("kind") for d in h["domains"]}
            want = {0: "dom0", 1: "heartbeat", 2: "memcheck", 3: "pingpong", 4: "pingpong"}
            if kinds != want or not all(d["progress"]["ok"] for d in h["domains"]):
                raise TestFailure("progress: %s" % [d["progress"] for d in h["domains"]])
            if set(h["phases"]) != {"preflight", "stage", "exec", "verify"} or \
                    not all(p["ok"] for p in h["phases"].values()):
                raise TestFailure("phases: %s" % h["phases"])
            pf = preflight_checks(rep)
            if tuple(pf) != PREFLIGHT_CHECKS or not all(c["ok"] for c in pf.values()):
                raise TestFailure("preflight checks: %s" % {n: c["ok"] for n, c in pf.items()})
            up = h["phases"]["stage"]
            if not re.search(r"^\s+upload \[#+\]\s+100%", out, re.M) or up["upload_bytes"] <= 0:
                raise TestFailure("no upload progress reaching 100%")
            lu.same_qemu(m, pid)
            if loaded(build, m) != {"live-update": False, "default": False}:
                raise TestFailure("something staged after the update")
            for bad in BAD:
                if bad in m.text():
                    raise TestFailure("'%s' in the log:\n%s" % (bad, tail(m.text(), 40)))
            print("A -> B by baton-update in QEMU %d: downtime %s; upload %d KiB in %.1f s; "
                  "phases %s" % (pid, lu.format_downtime(logged), up["upload_bytes"] >> 10,
                                 up["upload_seconds"], ", ".join(
                                     "%s %.1f s" % (n, p["seconds"])
                                     for n, p in h["phases"].items())))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_verify_failure(build):
    """The update runs but the new build is not the target (an hvctl made
    to report another build id): exit 5, verify named, the host marked
    changed, the new build's console tail in the report."""
    work = tempfile.mkdtemp(prefix="baton-upd-")
    try:
        image_b = stable_copy(os.path.join(build, "b", "baton.elf"), work)
        with boot(build, "upd-verify") as m:
            wait_up(m)
            rc, out, rep = run_update(build, work, "unix:" + m.ctl_path(), image_b,
                                      "--hvctl", lying_hvctl(work, build))
            h = rep["hosts"][0]
            c = {x["check"]: x for x in h["phases"]["verify"]["checks"]}
            if rc != 5 or h["result"] != "verify-failed" or h["failed_phase"] != "verify" \
                    or h["host_unchanged"] is not False:
                raise TestFailure("verify failure: exit %d, %s" % (rc, {k: h[k] for k in (
                    "result", "failed_phase", "host_unchanged")}))
            if c["version"]["ok"] or c["version"]["found"] != "0" * 40 or \
                    not c["domains"]["ok"] or not c["d1 heartbeat"]["ok"]:
                raise TestFailure("verify checks: %s" % c)
            tail_lines = h["console_tail"] or []
            if not any("boot complete" in x or "heartbeat" in x for x in tail_lines) or \
                    "console tail (hvctl dmesg):" not in out:
                raise TestFailure("no console tail of the new build: %s" % tail_lines)
            print("verify failure (exit 5): %s; console tail of %d lines reported"
                  % (c["version"]["expected"], len(tail_lines)))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_rolling(build):
    """Three hosts; the second has no live update bootmem: the first is
    updated, the run stops at the second, the third is never touched."""
    work = tempfile.mkdtemp(prefix="baton-upd-")
    try:
        image_b = stable_copy(os.path.join(build, "b", "baton.elf"), work)
        with contextlib.ExitStack() as stack:
            hosts = [stack.enter_context(boot(build, "upd-host%d" % i, bootmem=(i != 2),
                                              mem="384M")) for i in (1, 2, 3)]
            versions = [wait_up(m) for m in hosts]
            before = [lu.identity(lu.domains(build, m)) for m in hosts]
            path = os.path.join(work, "hosts")
            with open(path, "w") as f:
                f.write("# three QEMU hosts\n\n" + "".join(
                    "unix:%s   # host %d\n" % (m.ctl_path(), i) for i, m in enumerate(hosts, 1)))
            rc, out, rep = run_update(build, work, path, image_b)
            if rc != 2 or rep["hosts_total"] != 3 or len(rep["hosts"]) != 2:
                raise TestFailure("rolling: exit %d, %d of %d hosts reported" % (
                    rc, len(rep["hosts"]), rep["hosts_total"]))
            first, second = rep["hosts"]
            if first["result"] != "updated" or second["result"] != "refused":
                raise TestFailure("rolling: %s, %s" % (first["result"], second["result"]))
            c = preflight_checks(rep, 1)["bootmem"]
            if c["ok"] or not c["found"].startswith("none"):
                raise TestFailure("host 2's bootmem check: %s" % c)
            if "stopping at host 2 of 3; 1 not attempted" not in out:
                raise TestFailure("the run did not say it stopped at host 2")
            if lu.identity(lu.domains(build, hosts[0])) != before[0] or \
                    json.loads(lu.hvctl(build, hosts[0], "--json", "version").stdout)["version"] \
                    != versions[0] + "-b":
                raise TestFailure("host 1 is not on B with its domains")
            for i in (1, 2):
                untouched(build, hosts[i], before[i], versions[i])
            hosts[2].assert_absent(r"dom0: ctl kexec")
            print("rolling: host 1 updated (downtime %d us), host 2 refused (%s), host 3 not "
                  "touched" % (first["downtime"]["us"], c["found"]))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    args = build_dir_from_args()
    sys.exit(run_tests([test_compat_rule, test_domctx_rule, test_bad_arguments,
                        test_preflight_refusals, test_verify_failure, test_rolling,
                        test_update_standard], args))
