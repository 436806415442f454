#!/bin/sh
# Build Debian 12's kexec-tools with Baton's patch, linked against Baton's
# libxenctrl shim. Called by `make kexec-tools` (tools/kexec-patch/kexec-tools.mk):
#
#   build.sh OUTDIR SHIM PATCH
#
#   OUTDIR  where everything goes (build/kexec-tools); the result is
#           OUTDIR/sbin/kexec
#   SHIM    the shim, .../libxenctrl.so.4.17; the binary finds it at run time
#           through a RUNPATH naming its directory
#   PATCH   tools/kexec-patch/baton-remote.patch
#
# The source is fetched once with `apt-get source --download-only` into
# OUTDIR/src and kept: a rebuild unpacks it again (dpkg-source -x, which
# applies Debian's own patches), applies PATCH, configures, builds and
# checks the result. It fails loudly when configure drops the Xen backend
# or KEXEC_CMD_STATUS, or when the binary is not linked against the shim.
set -eu

[ $# -eq 3 ] || { echo "usage: $0 OUTDIR SHIM PATCH" >&2; exit 2; }
mkdir -p "$1"
out=$(cd "$1" && pwd)
shim=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
patch=$(cd "$(dirname "$3")" && pwd)/$(basename "$3")

say() { echo "  KEXEC   $*"; }
die() { echo "kexec-tools: error: $*" >&2; exit 1; }
# show the end of a log and fail
die_log() { echo "---- last lines of $1:" >&2; tail -n 30 "$1" >&2; die "$2 (full log: $1)"; }

for tool in apt-get dpkg-source dpkg-buildflags patch gcc make; do
    command -v $tool >/dev/null 2>&1 ||
        die "$tool is missing: run scripts/deps.sh (as root) first"
done
[ -f /usr/include/xenctrl.h ] ||
    die "/usr/include/xenctrl.h is missing (libxen-dev): run scripts/deps.sh (as root) first"
[ -f "$shim" ] || die "no shim at $shim"
[ -f "$patch" ] || die "no patch at $patch"

# ---------------------------------------------------------------- fetch (once)
src=$out/src
dsc=$(ls "$src"/kexec-tools_*.dsc 2>/dev/null | head -n 1 || true)
if [ -z "$dsc" ]; then
    say "apt-get source --download-only kexec-tools"
    rm -rf "$src.tmp"
    mkdir -p "$src.tmp"
    # apt downloads as its _apt user when that user can reach this
    # directory (else as root, with a harmless warning)
    chmod 755 "$src.tmp"
    if ! (cd "$src.tmp" && apt-get source --download-only -q kexec-tools) \
            >"$out/fetch.log" 2>&1; then
        grep -q "deb-src" "$out/fetch.log" &&
            echo "kexec-tools: no deb-src entry: run scripts/deps.sh (as root)" >&2
        die_log "$out/fetch.log" "apt-get source kexec-tools failed"
    fi
    rm -rf "$src"
    mv "$src.tmp" "$src"
    dsc=$(ls "$src"/kexec-tools_*.dsc | head -n 1)
fi
# the patch is for upstream 2.0.25 (Debian 12: 1:2.0.25-3+deb12uN)
case $(basename "$dsc") in
    kexec-tools_2.0.25-*.dsc) ;;
    *) die "$dsc is not kexec-tools 2.0.25 (Debian 12's); the patch is for 2.0.25" ;;
esac

# ---------------------------------------------------------------- unpack, patch
# Baton's Makefile includes every *.d file under $(O) (its dependency
# files); kexec-tools has *.d files of its own (dependencies and Debian's
# init scripts), so none may be left in the tree, whatever the outcome.
tree=$out/tree
drop_dot_d() { [ -d "$tree" ] && find "$tree" -name '*.d' -type f -delete; return 0; }
trap drop_dot_d EXIT
trap 'exit 130' INT TERM HUP
rm -rf "$tree"
say "dpkg-source -x $(basename "$dsc")"
dpkg-source -q --no-copy -x "$dsc" "$tree" >"$out/unpack.log" 2>&1 ||
    die_log "$out/unpack.log" "dpkg-source -x failed"
say "patch $(basename "$patch")"
patch -d "$tree" -p1 --batch --forward --fuzz=0 --no-backup-if-mismatch \
    <"$patch" >"$out/patch.log" 2>&1 ||
    die_log "$out/patch.log" "$patch does not apply to $(basename "$dsc")"

# ---------------------------------------------------------------- configure
# -lxenctrl must find the shim, not /usr/lib's real library: the shim's
# directory may hold only libxenctrl.so.4.17, so give the linker a
# libxenctrl.so of our own that points at it.
link=$out/link
rm -rf "$link"
mkdir -p "$link"
ln -s "$shim" "$link/libxenctrl.so"
shimdir=$(dirname "$shim")

# Debian's flags (debian/rules passes dpkg-buildflags to configure), plus
# the shim. Debian's amd64 build has neither liblzma-dev nor zlib in its
# Build-Depends, hence --without-lzma --without-zlib.
say "configure"
(cd "$tree" && ./configure --prefix=/usr --sbindir=/sbin \
    --without-lzma --without-zlib \
    CPPFLAGS="$(dpkg-buildflags --get CPPFLAGS)" \
    CFLAGS="$(dpkg-buildflags --get CFLAGS)" \
    LDFLAGS="$(dpkg-buildflags --get LDFLAGS) -L$link -Wl,-rpath,$shimdir") \
    >"$out/configure.log" 2>&1 ||
    die_log "$out/configure.log" "configure failed"

# configure drops the Xen backend without a word when -lxenctrl lacks
# xc_kexec_load, and -S (xen_kexec_status) when it lacks xc_kexec_status
config_h=$tree/include/config.h
grep -q '^#define HAVE_LIBXENCTRL 1' "$config_h" ||
    die "configure disabled the Xen backend (no HAVE_LIBXENCTRL in $config_h):" \
        "the shim $shim must export xc_kexec_load; see $tree/config.log"
grep -q '^#define HAVE_KEXEC_CMD_STATUS 1' "$config_h" ||
    die "configure disabled kexec -S under Xen (no HAVE_KEXEC_CMD_STATUS in $config_h):" \
        "the shim $shim must export xc_kexec_status; see $tree/config.log"
if grep -q '^#define CONFIG_LIBXENCTRL_DL 1' "$config_h"; then
    die "configure chose dlopen(libxenctrl.so) (CONFIG_LIBXENCTRL_DL); the shim must be linked"
fi

# ---------------------------------------------------------------- build
# our caller's make flags (O=, jobserver) are not kexec-tools'
unset MAKEFLAGS MFLAGS MAKEOVERRIDES MAKELEVEL
say "make"
make -C "$tree" -j"$(nproc)" >"$out/make.log" 2>&1 ||
    die_log "$out/make.log" "make failed"

bin=$tree/build/sbin/kexec
[ -x "$bin" ] || die "no $bin after make"

# linked against the shim: a weak reference to xc_remote_control that the
# shim defines (the real libxenctrl does not), the shim's SONAME, and a
# RUNPATH that finds it
readelf -W --dyn-syms "$bin" | grep -q ' WEAK .* UND xc_remote_control@VERS_4.17.0' ||
    die "$bin does not reference the shim's xc_remote_control@VERS_4.17.0"
readelf -d "$bin" | grep -q 'NEEDED.*\[libxenctrl\.so\.4\.17\]' ||
    die "$bin does not need libxenctrl.so.4.17"
readelf -d "$bin" | grep -q "RUNPATH.*\[$shimdir\]" ||
    die "$bin has no RUNPATH $shimdir"

mkdir -p "$out/sbin"
install -m 755 "$bin" "$out/sbin/kexec.tmp"
version=$("$out/sbin/kexec.tmp" --version)
[ "$version" = "kexec-tools 2.0.25" ] ||
    die "$bin --version says '$version', not 'kexec-tools 2.0.25'"
mv "$out/sbin/kexec.tmp" "$out/sbin/kexec"
say "$out/sbin/kexec: $version ($(basename "$dsc" .dsc), $(basename "$patch"))"
