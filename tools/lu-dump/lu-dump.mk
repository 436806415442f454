# lu-dump: decode a live update stream (pages + MFN array, a physical memory
# dump with a breadcrumb, or a contiguous stream) with the hypervisor's reader.
# Recursive (=): the tools/lib lists come from tools/lib/lib.mk.
host-tools += lu-dump
lu-dump-srcs = tools/lu-dump/lu-dump.c $(host-shim-srcs) $(lu-host-srcs) common/domctx.c \
	$(lu-stream-read-srcs)
