# libFuzzer targets on the boot information and command line parsers and on
# the guest ELF checker. Seeds: python3 tests/fuzz/make_boot_seeds.py
# Recursive (=): host-shim-srcs comes from tools/lib/lib.mk, read later.
fuzz-targets += fuzz_boot fuzz_elf
fuzz_boot-srcs = tests/fuzz/fuzz_boot.c boot/multiboot.c common/cmdline.c $(host-shim-srcs)
fuzz_elf-srcs = tests/fuzz/fuzz_elf.c common/elf.c $(host-shim-srcs)
