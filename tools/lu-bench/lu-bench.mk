# lu-bench: cost of writing and opening the live update stream against
# domains, extents and guest memory (instructions under callgrind, and wall
# time). `make bench` builds and runs it; it is a benchmark, not a test, so
# `make check` leaves it alone. See docs/benchmarks.md.
host-tools += lu-bench
lu-bench-srcs := tools/lu-bench/lu-bench.c tools/common/host_tool.c common/domctx.c common/lu/stream_write.c \
	common/lu/stream_read.c common/lu/stream_check.c
# Symbols bound at load: no lazy binding inside the first measured call.
$(O)/tools/lu-bench: HOSTCC += -Wl,-z,now

.PHONY: bench
bench: $(O)/tools/lu-bench
	@scripts/bench-lu.sh $(O)
