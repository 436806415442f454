#!/usr/bin/env python3
"""Write the seed corpora of fuzz_boot and fuzz_elf (run from the tree's top).

Seeds are well-formed inputs the fuzzer mutates from: multiboot1 and
multiboot2 information as QEMU and GRUB lay it out, and a minimal ELF64
guest image.
"""
import os
import struct


def mb1_seed():
    mem = bytearray(0x400)
    cmd, loader, mmap, mods, modstr = 0x100, 0x140, 0x180, 0x200, 0x240
    flags = (1 << 0) | (1 << 2) | (1 << 3) | (1 << 6) | (1 << 9)
    entries = [(0, 0x9fc00, 1), (0x9fc00, 0x400, 2), (0x100000, 0xff00000, 1)]
    struct.pack_into("<IIIIIII", mem, 0, flags, 639, 261120, 0, cmd, 1, mods)
    struct.pack_into("<II", mem, 44, 24 * len(entries), mmap)
    struct.pack_into("<I", mem, 64, loader)
    mem[cmd:cmd + 40] = b"baton.elf console=com1 liveupdate=64M\0"[:40]
    mem[loader:loader + 5] = b"qemu\0"
    for i, (a, l, t) in enumerate(entries):
        struct.pack_into("<IQQI", mem, mmap + 24 * i, 20, a, l, t)
    struct.pack_into("<IIII", mem, mods, 0x300000, 0x310000, modstr, 0)
    mem[modstr:modstr + 22] = b"dom0.elf name=dom0 m\0\0"
    return b"\0" + bytes(mem)


def mb2_tag(t, body):
    size = 8 + len(body)
    data = struct.pack("<II", t, size) + body
    return data + b"\0" * (-len(data) % 8)


def mb2_seed():
    tags = mb2_tag(1, b"console=com1 loglvl=debug\0")
    tags += mb2_tag(2, b"GRUB 2.06\0")
    tags += mb2_tag(3, struct.pack("<II", 0x400000, 0x410000) + b"heartbeat.elf name=hb mem=4M\0")
    tags += mb2_tag(4, struct.pack("<II", 639, 261120))
    entries = b"".join(struct.pack("<QQII", a, l, t, 0)
                       for a, l, t in [(0, 0x9fc00, 1), (0x100000, 0x7ee0000, 1), (0xfffc0000, 0x40000, 2)])
    tags += mb2_tag(6, struct.pack("<II", 24, 0) + entries)
    tags += mb2_tag(0, b"")
    return b"\1" + struct.pack("<II", 8 + len(tags), 0) + tags


def elf_seed():
    code = b"\x0f\x05\xeb\xfc"              # syscall; jmp back
    phoff, entry = 64, 0x100000 + 0x78
    ehdr = b"\x7fELF" + bytes([2, 1, 1]) + b"\0" * 9
    ehdr += struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, entry, phoff, 0, 0, 64, 56, 1, 64, 0, 0)
    phdr = struct.pack("<IIQQQQQQ", 1, 5, 0, 0x100000, 0x100000, 0x78 + len(code), 0x2000, 0x1000)
    return ehdr + phdr + code


def write(target, name, data):
    d = os.path.join("tests", "fuzz", "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


if __name__ == "__main__":
    write("fuzz_boot", "mb1-qemu", mb1_seed())
    write("fuzz_boot", "mb2-grub", mb2_seed())
    write("fuzz_elf", "minimal-guest", elf_seed())
