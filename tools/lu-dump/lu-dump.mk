# lu-dump: decode a live update stream (pages + MFN array, a physical memory
# dump with a breadcrumb, or a contiguous stream) with the hypervisor's reader,
# then every domain's context with the hypervisor's own handlers and restore
# checks. The handler sources also hold hypervisor code: compiled in sections
# and garbage-collected at link time, only the handlers and what they call
# stay (see common/domctx.mk and tools/lib/domctx_host.c).
# Recursive (=): the tools/lib lists come from tools/lib/lib.mk.
host-tools += lu-dump
lu-dump-srcs = tools/lu-dump/lu-dump.c $(host-shim-srcs) $(lu-host-srcs) common/domctx.c \
	$(lu-stream-read-srcs) common/lu/decode.c $(domctx-handler-srcs) $(domctx-host-srcs)
lu-dump-cflags := $(domctx-handler-cflags)
$(O)/tools/lu-dump: HOSTCC += -Wl,--gc-sections
