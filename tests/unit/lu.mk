# Unit tests of the live update stream and the domain context framework.
# Each LU test builds twice: stream format version 1 (production) and the
# test-only version 2 (-DLU_STREAM_TEST_V2), from the same sources.

# Recursive (=): lu-host-srcs comes from tools/lib/lib.mk, read after this.
# The host shim comes with tests/unit/harness.c.
lu-test-core = tests/unit/harness.c tests/fuzz/lu_fixture.c $(lu-host-srcs) common/domctx.c \
	$(lu-stream-srcs)

unit-tests += test_domctx
test_domctx-srcs = tests/unit/test_domctx.c $(lu-test-core)

# The linker-built handler table: two DOMCTX_HANDLER()s and domctx_init().
unit-tests += test_domctx_table
test_domctx_table-srcs = tests/unit/test_domctx_table.c tests/unit/harness.c common/domctx.c

# The compat tests also read the seed corpus the other version's writer made.
lu-test-srcdir := -DLU_SRCDIR=\"$(CURDIR)\"

define lu-unit-test
unit-tests += $(1) $(1)_v2
$(1)-srcs = tests/unit/$(1).c $$(lu-test-core)
$(1)_v2-srcs = tests/unit/$(1).c $$(lu-test-core)
$(1)-cflags := $$(lu-test-srcdir)
$(1)_v2-cflags := -DLU_STREAM_TEST_V2 $$(lu-test-srcdir)
endef
$(eval $(call lu-unit-test,test_lu_stream))
$(eval $(call lu-unit-test,test_lu_reject))
$(eval $(call lu-unit-test,test_lu_open))
$(eval $(call lu-unit-test,test_lu_compat))

# Writes streams from real domains with the real handlers (linked as lu-dump
# links them: see common/domctx.mk), the way a crash dump holds them, and runs
# tools/lu-dump on them.
unit-tests += test_lu_dump
test_lu_dump-srcs = tests/unit/test_lu_dump.c tests/unit/harness.c $(lu-host-srcs) \
	common/domctx.c $(lu-stream-srcs) $(domctx-handler-srcs) $(domctx-host-srcs)
test_lu_dump-cflags := -DLU_DUMP_BIN=\"$(abspath $(O))/tools/lu-dump\" $(domctx-handler-cflags)
$(O)/tests/unit/test_lu_dump: HOSTCC += -Wl,--gc-sections
$(O)/tests/unit/test_lu_dump: | $(O)/tools/lu-dump
