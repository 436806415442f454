#!/bin/sh
# Benchmark of the live update handover stream (make bench): runs
# build/tools/lu-bench under callgrind for exact instruction counts of the
# writer (bench_write: lu_writer_init .. lu_writer_finish) and the reader
# (bench_open: lu_stream_open), once per configuration, then natively for
# wall time, and prints one table and a verdict. See docs/benchmarks.md.
#   scripts/bench-stream.sh [BUILD_DIR]
set -eu

O=${1:-build}
bin=$O/tools/lu-bench
[ -x "$bin" ] || { echo "bench: no $bin (make bench builds it)" >&2; exit 1; }

# valgrind is only needed here, not by make check: install it on demand.
if ! command -v valgrind >/dev/null 2>&1; then
    echo "bench: installing valgrind"
    if [ "$(id -u)" != 0 ]; then
        echo "bench: need root to install valgrind (or install it yourself)" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends valgrind
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# Collection is on only inside bench_write and bench_open; a dump after
# each call of their callers gives one count per phase and configuration.
if ! valgrind --tool=callgrind --collect-atstart=no \
        --toggle-collect=bench_write --toggle-collect=bench_open \
        --dump-after=do_write --dump-after=do_open \
        --callgrind-out-file="$tmp/cg.out" "$bin" --callgrind \
        >"$tmp/valgrind.log" 2>&1; then
    cat "$tmp/valgrind.log" >&2
    echo "bench: callgrind run failed" >&2
    exit 1
fi

configs=$("$bin" --list | wc -l)
dumps=$((2 * configs))
i=1
while [ "$i" -le "$dumps" ]; do
    f=$tmp/cg.out.$i
    [ -f "$f" ] || { echo "bench: callgrind wrote no dump $i of $dumps" >&2; exit 1; }
    awk '/^desc: Trigger: --dump-after=/ { sub(/.*=/, ""); fn = $0 }
         /^totals:/ { n = $2 }
         END { if (fn == "" || n == "") exit 1; print fn, n }' "$f" >>"$tmp/instr" ||
        { echo "bench: $f has no trigger or totals line" >&2; exit 1; }
    i=$((i + 1))
done

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
echo "lu-bench: $(date -u '+%Y-%m-%d %H:%M UTC'), ${cpu:-unknown CPU}, $(valgrind --version)"
echo "instructions: callgrind Ir (exact, per call); us: median wall time, native run"
"$bin" --instr "$tmp/instr"
