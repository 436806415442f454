# Host unit tests of the pure parts of the guest runtime and workloads:
# formatting, pvclock time, command line parsing, memcheck pattern,
# pingpong rings and sequence checks; plus the PV ABI layout.
unit-tests += test_guestlib
test_guestlib-srcs := tests/unit/test_guestlib.c guests/lib/fmt.c guests/lib/pvclock.c \
	guests/lib/cmdline.c guests/memcheck/pattern.c guests/pingpong/ppring.c
test_guestlib-cflags := -Iguests/lib -Iguests/memcheck -Iguests/pingpong

# The guests end to end against a ptrace-based stand-in of the hypervisor
# side (tests/unit/test_guestemu.c); guests.mk makes it depend on the ELFs.
unit-tests += test_guestrun
test_guestrun-srcs := tests/unit/test_guestrun.c tests/unit/test_guestemu.c guests/lib/pvclock.c
test_guestrun-cflags := -Iguests/lib -DGUEST_DIR='"$(O)/guests"'
