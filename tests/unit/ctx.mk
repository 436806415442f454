# Host tests of the real domain context handlers (DOMAIN, VCPU, EVTCHN,
# GRANT, GRANT_MAP, TIMER, CONSOLE: $(domctx-handler-srcs), common/domctx.mk)
# and of the restore's decode and commit (common/lu/restore.c, and
# common/lu/decode.c where the decode lives in its own file), against the
# fakes of tests/unit/ctx_fake.c (the arch hooks restore commits with,
# vCPU stack pages and vmap, machine memory for the ABI pages).
# The handler files also hold hypercalls and arch code: with
# $(domctx-handler-cflags) and --gc-sections only what the handlers and
# lu_restore reach is linked. Every source gets tests/unit/ctx_fake.h first
# (phys_to_virt over a host buffer of machine memory).
# Recursive (=): the lists of common/domctx.mk, common/lu/lu.mk and
# tools/lib/lib.mk.

ctx-real-srcs = common/domctx.c $(domctx-handler-srcs) common/guest_access.c \
	common/lu/decode.c common/lu/restore.c tests/unit/ctx_fake.c
ctx-cflags = -include tests/unit/ctx_fake.h $(domctx-handler-cflags)

unit-tests += test_ctx_handlers
test_ctx_handlers-srcs = tests/unit/test_ctx_handlers.c $(ctx-real-srcs) $(lu-host-srcs) \
	$(lu-stream-srcs) tests/unit/harness.c
test_ctx_handlers-cflags = $(ctx-cflags)
$(O)/tests/unit/test_ctx_handlers: HOSTCC += -Wl,--gc-sections
