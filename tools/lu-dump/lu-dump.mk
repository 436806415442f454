# lu-dump: decode a live update stream (pages + MFN array, a physical memory
# dump with a breadcrumb, or a contiguous stream) with the hypervisor's reader.
host-tools += lu-dump
lu-dump-srcs := tools/lu-dump/lu-dump.c tools/common/host_tool.c common/domctx.c common/lu/stream_read.c \
	common/lu/stream_check.c
