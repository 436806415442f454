# Host unit tests of control_op's argument handling (common/control.c)
# against fakes of the domain table, guest memory, the builder, the log
# ring, the page allocator and vmap (all in test_control.c).
unit-tests += test_control
test_control-srcs := tests/unit/test_control.c common/control.c tests/unit/harness.c
test_control-cflags := -include tests/unit/control_fake.h
