#!/bin/sh
# Install the Debian packages Baton's build and tests need, when missing.
# Works on a fresh, minimal Debian 12 as root with only make and git on it.
#   scripts/deps.sh demo    what `make demo` needs
#   scripts/deps.sh check   what `make check` needs (a superset)
set -eu

want=${1:-check}

# command-or-file:package pairs. libc6-dev is only a Recommends of gcc (not
# installed with --no-install-recommends); the host tools (hvctl) need it.
demo_needs="
gcc:gcc
/usr/include/stdio.h:libc6-dev
ld:binutils
nasm:nasm
kconfig-conf:kconfig-frontends
qemu-system-x86_64:qemu-system-x86
python3:python3
"
check_needs="
/usr/include/cmocka.h:libcmocka-dev
clang:clang
/usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a:libclang-rt-14-dev
grub-mkrescue:grub-common
/usr/lib/grub/i386-pc/multiboot2.mod:grub-pc-bin
xorriso:xorriso
mformat:mtools
"

needs=$demo_needs
[ "$want" = check ] && needs="$needs $check_needs"

missing=""
for pair in $needs; do
    what=${pair%%:*}
    pkg=${pair#*:}
    case $what in
        # a path may hold a glob (a version number that point releases change)
        /*) ls $what >/dev/null 2>&1 && continue ;;
        *) command -v "$what" >/dev/null 2>&1 && continue ;;
    esac
    missing="$missing $pkg"
done

if [ -z "$missing" ]; then
    exit 0
fi

echo "deps: installing:$missing"
if [ "$(id -u)" != 0 ]; then
    echo "deps: need root to install packages (run as root or install:$missing)" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
