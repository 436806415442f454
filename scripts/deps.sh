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
dpkg-source:dpkg-dev
/usr/include/xenctrl.h:libxen-dev
"
check_needs="
/usr/include/cmocka.h:libcmocka-dev
clang:clang
/usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a:libclang-rt-14-dev
grub-mkrescue:grub-common
/usr/lib/grub/i386-pc/multiboot2.mod:grub-pc-bin
xorriso:xorriso
mformat:mtools
/usr/lib/python3/dist-packages/jsonschema:python3-jsonschema
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

# make kexec-tools (in check and demo) runs `apt-get source kexec-tools`: it needs a
# deb-src entry, which a fresh Debian 12 lacks. Ours is the deb entries of
# /etc/apt/sources.list.d/debian.sources as deb-src.
src_list=/etc/apt/sources.list.d/baton-src.sources
need_src=no
if ! apt-cache showsrc kexec-tools 2>/dev/null | grep -q '^Package: kexec-tools$'; then
    need_src=yes
fi

if [ -z "$missing" ] && [ $need_src = no ]; then
    exit 0
fi

if [ "$(id -u)" != 0 ]; then
    [ -n "$missing" ] &&
        echo "deps: need root to install packages (run as root or install:$missing)" >&2
    [ $need_src = yes ] &&
        echo "deps: need root to add a deb-src entry for kexec-tools ($src_list)" >&2
    exit 1
fi
if [ $need_src = yes ] && [ ! -e "$src_list" ]; then
    echo "deps: adding $src_list (deb-src, for apt-get source kexec-tools)"
    cat >"$src_list" <<'SOURCES'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
if [ -n "$missing" ]; then
    echo "deps: installing:$missing"
    # shellcheck disable=SC2086
    apt-get install -y -q --no-install-recommends $missing
fi
if [ $need_src = yes ] &&
   ! apt-cache showsrc kexec-tools 2>/dev/null | grep -q '^Package: kexec-tools$'; then
    echo "deps: apt still finds no source package kexec-tools (see $src_list)" >&2
    exit 1
fi
