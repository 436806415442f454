# Host unit test of the libxenctrl shim (tools/kexec-patch/shim/): its
# marshalling, and the calls kexec-tools makes, through the real client
# library and domain 0's real agent (guests/dom0/agent.c, ops.c, with the
# guest runtime's headers from guests/lib) over a Unix socket, hypercalls
# faked (tests/unit/xcshim_agent.c). Recursive (=): ctl-client-srcs comes
# from tools/lib/lib.mk, read after this.
unit-tests += test_xc_shim
test_xc_shim-srcs = tests/unit/test_xc_shim.c tests/unit/xcshim_agent.c \
	tools/kexec-patch/shim/libxenctrl.c tools/kexec-patch/shim/xcshim.c \
	guests/dom0/agent.c guests/dom0/ops.c $(ctl-client-srcs)
test_xc_shim-cflags := -Itools/lib -Itools/kexec-patch/shim -Iguests/dom0 -Iguests/lib \
	-Itests/unit
# the two files that include <xenctrl.h> need GNU C (see shim.mk)
$(addprefix $(O)/host/test_xc_shim/,tests/unit/test_xc_shim.o \
	tools/kexec-patch/shim/libxenctrl.o): test_xc_shim-cflags += -std=gnu11
