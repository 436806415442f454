# libFuzzer targets on the LU stream reader and the domain context loader.
# Seeds: tests/fuzz/corpus/<target>/, written by lu-seedgen (version 1) and
# lu-seedgen-v2 (version 2) with the real writers; see tests/fuzz/seedgen.c.
# Recursive (=): the source lists of tools/lib/lib.mk are read after this.

fuzz-lu-core = tests/fuzz/lu_fixture.c $(lu-host-srcs) $(host-shim-srcs) common/domctx.c \
	$(lu-stream-srcs)

fuzz-targets += fuzz_lu_stream fuzz_lu_stream_v2 fuzz_lu_open fuzz_domctx
fuzz_lu_stream-srcs = tests/fuzz/fuzz_lu_stream.c $(fuzz-lu-core)
fuzz_lu_stream_v2-srcs = tests/fuzz/fuzz_lu_stream.c $(fuzz-lu-core)
fuzz_lu_stream_v2-cflags := -DLU_STREAM_TEST_V2
fuzz_lu_open-srcs = tests/fuzz/fuzz_lu_open.c $(fuzz-lu-core)
fuzz_domctx-srcs = tests/fuzz/fuzz_domctx.c $(fuzz-lu-core)

host-tools += lu-seedgen lu-seedgen-v2
lu-seedgen-srcs = tests/fuzz/seedgen.c $(fuzz-lu-core)
lu-seedgen-v2-srcs = tests/fuzz/seedgen.c $(fuzz-lu-core)
lu-seedgen-v2-cflags := -DLU_STREAM_TEST_V2

# The full restore decode with every real context handler (issue 7): see
# tests/fuzz/fuzz_restore.c and tests/unit/ctx.mk (the sources, the fakes).
# Seeds: build/tests/unit/test_ctx_handlers --seeds tests/fuzz/corpus/fuzz_restore
fuzz-targets += fuzz_restore
fuzz_restore-srcs = tests/fuzz/fuzz_restore.c tests/fuzz/fuzz_restore_stubs.c $(ctx-real-srcs) \
	$(lu-host-srcs) $(host-shim-srcs) $(lu-stream-srcs)
fuzz_restore-cflags = $(ctx-cflags)
