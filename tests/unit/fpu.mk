# The FPU domain context entry (arch/x86/fpu.c) with the real handlers and
# the fakes of tests/unit/ctx.mk: round trip, the default state of a stream
# without the entry, every validation rule and random bodies.
unit-tests += test_fpu_ctx
test_fpu_ctx-srcs = tests/unit/test_fpu_ctx.c $(ctx-real-srcs) $(lu-host-srcs) \
	$(lu-stream-srcs) tests/unit/harness.c
test_fpu_ctx-cflags = $(ctx-cflags)
$(O)/tests/unit/test_fpu_ctx: HOSTCC += -Wl,--gc-sections
