# The context handlers and the restore again, in the internal layout of
# the second build (CONFIG_LAYOUT_SHUFFLE, configs/build-b.config: padded
# and reordered structures, the domain table filled from the top), whatever
# this build's own configuration: nothing may depend on either.
unit-tests += test_ctx_handlers_shuffled
test_ctx_handlers_shuffled-srcs = $(test_ctx_handlers-srcs)
test_ctx_handlers_shuffled-cflags = $(ctx-cflags) -DCONFIG_LAYOUT_SHUFFLE=1
$(O)/tests/unit/test_ctx_handlers_shuffled: HOSTCC += -Wl,--gc-sections
