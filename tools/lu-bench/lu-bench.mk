# lu-bench: cost of writing and opening the live update stream against
# domains, extents and guest memory (instructions under callgrind, and wall
# time). `make bench` builds and runs it; it is a benchmark, not a test, so
# `make check` leaves it alone. See docs/benchmarks.md.
# Recursive (=): the tools/lib lists come from tools/lib/lib.mk.
host-tools += lu-bench
lu-bench-srcs = tools/lu-bench/lu-bench.c $(host-shim-srcs) $(lu-host-srcs) common/domctx.c \
	$(lu-stream-srcs)
# Symbols bound at load: no lazy binding inside the first measured call.
$(O)/tools/lu-bench: HOSTCC += -Wl,-z,now

.PHONY: bench
bench: $(O)/tools/lu-bench
	@scripts/bench-stream.sh $(O)
