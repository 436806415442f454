# Live update record stream: writer (old build) and reader (new build).
# The same sources build into host tools, unit tests and fuzz targets: this
# is the one list of them (tests/unit/lu.mk, tests/fuzz/fuzz.mk,
# tools/lu-dump/lu-dump.mk and tools/lu-bench/lu-bench.mk use it). Host
# programs also link common/domctx.c, which the stream's context records use.
lu-stream-read-srcs := common/lu/stream_common.c common/lu/stream_check.c \
	common/lu/stream_read.c common/lu/stream_open.c
lu-stream-srcs := $(lu-stream-read-srcs) common/lu/stream_write.c

hv-$(CONFIG_LIVE_UPDATE) += common/lu/elfnote.o $(lu-stream-srcs:.c=.o)
# The hypervisor's use of the stream: save, restore, the in-place rehearsal.
hv-$(CONFIG_LIVE_UPDATE) += common/lu/save.o common/lu/decode.o common/lu/restore.o \
	common/lu/rehearse.o common/lu/handover.o common/lu/exec.o
