# Host unit tests of the pure parts of the guest runtime and workloads:
# formatting, pvclock time, command line parsing, memcheck pattern,
# pingpong rings and sequence checks; plus the PV ABI layout.
unit-tests += test_guestlib
test_guestlib-srcs := tests/unit/test_guestlib.c guests/lib/fmt.c guests/lib/pvclock.c \
	guests/lib/cmdline.c guests/memcheck/pattern.c guests/pingpong/ppring.c
test_guestlib-cflags := -Iguests/lib -Iguests/memcheck -Iguests/pingpong
