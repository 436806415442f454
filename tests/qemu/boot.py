#!/usr/bin/env python3
"""Boot tests: the ways Baton is loaded, its memory, the live update bootmem."""
import os
import re
import shutil
import struct
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from baton_qemu import Machine, TestFailure, build_dir_from_args, make_grub_iso, run_tests  # noqa: E402

BOOTED = r"^\(HV\) Baton: boot complete$"
MB2_MAGIC = 0xE85250D6
MB2_TAG_RELOCATABLE = 10


def image(build):
    return os.path.join(build, "baton.elf")


def usable_mib(m):
    return int(m.wait_for(r"memory: (\d+) MiB usable RAM").group(1))


def image_slot(m):
    g = m.wait_for(r"boot: image at ([0-9a-f]+)-([0-9a-f]+) \(KEXEC_RANGE_MA_XEN\)")
    return int(g.group(1), 16), int(g.group(2), 16)


def test_multiboot1_kernel(build):
    with Machine(kernel=image(build), append="console=com1", name="mb1") as m:
        m.wait_for(r"^\(HV\) Baton \S+ \(build-id [0-9a-f]{40}\)$", 30)
        m.wait_for(r"boot: multiboot1 from 'qemu'")
        start, _ = image_slot(m)
        if start != 0x200000:
            raise TestFailure("multiboot1 image at 0x%x, want 0x200000" % start)
        m.wait_for(r"time: 10 timer ticks in \d+ ms")
        m.wait_for(BOOTED)


def test_multiboot2_grub(build):
    iso, work = make_grub_iso(build, image(build), "console=com1 loglvl=info")
    try:
        with Machine(iso=iso, name="grub-mb2") as m:
            m.wait_for(r"boot: multiboot2 from 'GRUB", 60)
            m.wait_for(r"boot: command line 'console=com1 loglvl=info'")
            m.wait_for(BOOTED, 60)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def patch_reloc_min(src, dst, min_addr):
    """Copy the image with its multiboot2 relocatable tag asking for min_addr."""
    data = bytearray(open(src, "rb").read())
    for off in range(0, min(len(data), 32768) - 16, 8):
        magic, arch, length, csum = struct.unpack_from("<IIIi", data, off)
        if magic != MB2_MAGIC or (magic + arch + length + csum) & 0xFFFFFFFF:
            continue
        tag = off + 16
        while tag < off + length:
            ttype, _flags, size = struct.unpack_from("<HHI", data, tag)
            if ttype == MB2_TAG_RELOCATABLE:
                struct.pack_into("<I", data, tag + 8, min_addr)
                open(dst, "wb").write(data)
                return
            if ttype == 0:
                break
            tag += (size + 7) & ~7
    raise TestFailure("no multiboot2 relocatable tag in %s" % src)


def test_relocated_by_grub(build):
    want = 0x10000000
    tmp = tempfile.mkdtemp(prefix="baton-reloc-")
    try:
        moved = os.path.join(tmp, "baton-high.elf")
        patch_reloc_min(image(build), moved, want)
        iso, work = make_grub_iso(build, moved, "console=com1", out_dir=tmp)
        with Machine(iso=iso, mem="1G", name="grub-relocated") as m:
            start, end = image_slot(m)
            if start < want or start % 0x200000:
                raise TestFailure("image at 0x%x, want >= 0x%x and 2 MiB aligned" % (start, want))
            m.wait_for(r"reserved: %016x-%016x Baton image" % (start, end))
            m.wait_for(BOOTED, 60)
            print("relocated image runs at 0x%x" % start)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def check_memory(build, mem, want_mib):
    with Machine(kernel=image(build), append="console=com1", mem=mem, name="mem-" + mem) as m:
        got = usable_mib(m)
        # the BIOS keeps the first 640K/1M holes and a little at the top
        if not want_mib - 2 <= got <= want_mib:
            raise TestFailure("-m %s reports %d MiB usable, want %d-2..%d" % (mem, got, want_mib, want_mib))
        m.wait_for(BOOTED)


def test_memory_256m(build):
    check_memory(build, "256M", 256)


def test_memory_8g(build):
    check_memory(build, "8G", 8192)


def test_liveupdate_64m(build):
    with Machine(kernel=image(build), append="console=com1 liveupdate=64M", name="lu-64m") as m:
        g = m.wait_for(r"liveupdate: reserved (\d+) MiB at ([0-9a-f]+)-([0-9a-f]+) \(KEXEC_RANGE_MA_LIVEUPDATE\)")
        size = int(g.group(3), 16) + 1 - int(g.group(2), 16)
        if g.group(1) != "64" or size != 64 << 20:
            raise TestFailure("reserved %s MiB / 0x%x bytes, want 64 MiB" % (g.group(1), size))
        if int(g.group(2), 16) % 0x200000:
            raise TestFailure("live update bootmem at 0x%s is not 2 MiB aligned" % g.group(2))
        m.wait_for(BOOTED)


def test_liveupdate_at_address(build):
    with Machine(kernel=image(build), append="liveupdate=32M@0x4000000", name="lu-at") as m:
        m.wait_for(r"liveupdate: reserved 32 MiB at 0000000004000000-0000000005ffffff ")
        m.wait_for(BOOTED)


def test_liveupdate_garbage(build):
    """Bad liveupdate= values are reported, ignored, and the boot goes on."""
    cases = [
        ("liveupdate=64Q", r"liveupdate=64Q: bad size"),
        ("liveupdate=64M@0x1001", r"liveupdate=64M@0x1001: bad address"),
        ("liveupdate=0", r"size 0x0 must be a non-zero multiple of 4K"),
        ("liveupdate=64M@0x0", r"liveupdate: 64 MiB at 0x0 is not free RAM"),
        ("liveupdate=1G", r"liveupdate: no free 1024 MiB region below 4 GiB"),
    ]
    for arg, err in cases:
        with Machine(kernel=image(build), append="console=com1 " + arg, name=arg) as m:
            m.wait_for(err)
            m.wait_for(BOOTED)
            m.assert_absent(r"liveupdate: reserved")


def baton_notes(path):
    """(type, desc bytes) of every "Baton" note in an ELF64 image's PT_NOTEs."""
    data = open(path, "rb").read()
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    notes = []
    for i in range(phnum):
        p_type, _flags, p_offset, _va, _pa, p_filesz = struct.unpack_from("<IIQQQQ", data, phoff + i * phentsize)
        if p_type != 4:
            continue
        off, end = p_offset, p_offset + p_filesz
        while off + 12 <= end:
            namesz, descsz, ntype = struct.unpack_from("<III", data, off)
            name = data[off + 12:off + 12 + namesz].rstrip(b"\0")
            desc_off = off + 12 + ((namesz + 3) & ~3)
            if name == b"Baton":
                notes.append((ntype, data[desc_off:desc_off + descsz]))
            off = desc_off + ((descsz + 3) & ~3)
    return notes


def test_lu_versions_note(build):
    """The image says which handover stream versions it reads."""
    notes = [d for t, d in baton_notes(image(build)) if t == 1]
    if len(notes) != 1 or len(notes[0]) != 16:
        raise TestFailure("want one 16-byte Baton note of type 1, found %r" % notes)
    read_min, read_max, compat, reserved = struct.unpack("<IIII", notes[0])
    if not 1 <= read_min <= read_max or compat > read_max or reserved:
        raise TestFailure("bad versions note: min %d max %d compat %d reserved %d"
                          % (read_min, read_max, compat, reserved))
    print("image reads stream versions %d..%d, writes compat %d" % (read_min, read_max, compat))


def banner(path, name):
    with Machine(kernel=path, append="console=com1", name=name) as m:
        g = m.wait_for(r"^\(HV\) Baton (\S+) \(build-id ([0-9a-f]{40})\)$", 30)
        m.wait_for(BOOTED)
        return g.group(1), g.group(2)


def elf_symbol_bytes(path, name):
    """The bytes of a defined symbol of an ELF64 image, from its .symtab."""
    data = open(path, "rb").read()
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3a)
    # name, type, flags, addr, offset, size, link, info, addralign, entsize
    shdrs = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
    for sh in shdrs:
        if sh[1] != 2:                          # SHT_SYMTAB
            continue
        strtab = shdrs[sh[6]]
        for off in range(sh[4], sh[4] + sh[5], 24):
            st_name, _info, _other, shndx, value, size = struct.unpack_from("<IBBHQQ", data, off)
            end = data.index(b"\0", strtab[4] + st_name)
            if data[strtab[4] + st_name:end] != name.encode() or not 0 < shndx < shnum:
                continue
            sec = shdrs[shndx]
            at = sec[4] + value - sec[3]
            return data[at:at + size]
    raise TestFailure("no symbol %s in %s" % (name, path))


def layout_id(path):
    """baton_layout_id (common/layout_shuffle.c): shuffled, {struct: (size, first, last)}."""
    raw = elf_symbol_bytes(path, "baton_layout_id")
    magic, shuffled, nr = struct.unpack_from("<8sII", raw, 0)
    if magic != b"BLAYOUT1":
        raise TestFailure("%s: baton_layout_id magic %r" % (path, magic))
    entries = {}
    for i in range(nr):
        name, size, first, last, _ = struct.unpack_from("<16sIIII", raw, 16 + i * 32)
        entries[name.rstrip(b"\0").decode()] = (size, first, last)
    return shuffled, entries


def check_layouts_differ(a_path, b_path):
    """Build B (LAYOUT_SHUFFLE) pads and reorders every structure build A has."""
    a_shuffled, a = layout_id(a_path)
    b_shuffled, b = layout_id(b_path)
    if a_shuffled or not b_shuffled:
        raise TestFailure("LAYOUT_SHUFFLE: build A %d, build B %d; want 0 and 1" % (a_shuffled, b_shuffled))
    if sorted(a) != sorted(b) or not a:
        raise TestFailure("layout ids list %s and %s" % (sorted(a), sorted(b)))
    for name in sorted(a):
        (sa, fa, la), (sb, fb, lb) = a[name], b[name]
        if sa == sb or not fa < la or not fb > lb:
            raise TestFailure("struct %s: build A size %d first/last field at %d/%d, build B %d at %d/%d; "
                              "want other sizes, and the order reversed in B" % (name, sa, fa, la, sb, fb, lb))
    print("layouts differ: " + ", ".join("%s %d/%d" % (n, a[n][0], b[n][0]) for n in sorted(a)))


def test_two_builds(build):
    """One tree makes two builds that say which they are (the live update pair)
    and differ in internal layout (build B has LAYOUT_SHUFFLE)."""
    b_image = os.path.join(build, "b", "baton.elf")
    check_layouts_differ(image(build), b_image)
    a = banner(image(build), "build-a")
    b = banner(b_image, "build-b")
    if not b[0].endswith("-b") or a[0].endswith("-b"):
        raise TestFailure("versions %s and %s: want only the second to end in -b" % (a[0], b[0]))
    if a[1] == b[1]:
        raise TestFailure("both builds have build id %s" % a[1])
    print("build A: %s %s; build B: %s %s" % (a + b))


def test_cpu_without_nx(build):
    """An old CPU (no NX, no SMEP/SMAP) boots and runs a domain; NX is never used."""
    mods = ["%s name=hb mem=4M cmdline=\"period=100\"" % os.path.join(build, "guests", "heartbeat.elf")]
    with Machine(kernel=image(build), append="console=com1", modules=mods, cpu="qemu64,-nx",
                 name="no-nx") as m:
        m.wait_for(r"memory: CPU without NX")
        m.wait_for(r"pv: SMEP not available, SMAP not available")
        m.wait_for(BOOTED)
        m.wait_for(r"^\(d0\) heartbeat 2 ", 30)


def test_unknown_option(build):
    with Machine(kernel=image(build), append="console=com1 frobnicate=3 loglvl=7", name="unknown") as m:
        m.wait_for(r"cmdline: unknown option 'frobnicate' ignored")
        m.wait_for(BOOTED)


if __name__ == "__main__":
    args = build_dir_from_args()
    sys.exit(run_tests([test_multiboot1_kernel, test_multiboot2_grub, test_relocated_by_grub,
                        test_memory_256m, test_memory_8g, test_liveupdate_64m,
                        test_liveupdate_at_address, test_liveupdate_garbage, test_two_builds,
                        test_lu_versions_note, test_cpu_without_nx,
                        test_unknown_option],
                       args))
