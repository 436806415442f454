# The libxenctrl shim that Debian's kexec-tools runs against (libxenctrl.c):
#
#   make xc-shim    $(XC_SHIM_DIR)/libxenctrl.so.4.17 and the libxenctrl.so
#                   link next to it (for -lxenctrl at kexec-tools' link)
#
# Built from the shim's two halves and the control protocol's client
# library, all -fPIC in $(O)/host/xcshim/. The version script exports the
# imports at VERS_4.17.0 and keeps everything else local; -z defs: no
# symbol is left for the loader to find elsewhere.
#
# The client library's sources are named here, not taken from
# $(ctl-client-srcs): tools/lib/lib.mk is read after this file, too late for
# a prerequisite list. The link checks that the two lists agree.
XC_SHIM_DIR := $(O)/kexec-tools/lib
XC_SHIM_SONAME := libxenctrl.so.4.17
XC_SHIM_LIB := $(XC_SHIM_DIR)/$(XC_SHIM_SONAME)
XC_SHIM_MAP := tools/kexec-patch/shim/libxenctrl.map
xc-shim-client-srcs := tools/lib/ctl_client.c tools/lib/ctl_frame.c
xc-shim-srcs := tools/kexec-patch/shim/libxenctrl.c tools/kexec-patch/shim/xcshim.c \
	$(xc-shim-client-srcs)
XC_SHIM_OBJS := $(addprefix $(O)/host/xcshim/,$(xc-shim-srcs:.c=.o))
XC_SHIM_CFLAGS := $(HOST_CFLAGS) -fPIC -Itools/lib -Itools/kexec-patch/shim

.PHONY: xc-shim
xc-shim: $(XC_SHIM_DIR)/libxenctrl.so

$(XC_SHIM_LIB): $(XC_SHIM_OBJS) $(XC_SHIM_MAP)
	$(if $(filter-out $(sort $(ctl-client-srcs)),$(sort $(xc-shim-client-srcs)))$(filter-out \
		$(sort $(xc-shim-client-srcs)),$(sort $(ctl-client-srcs))),$(error shim.mk: \
		xc-shim-client-srcs ($(xc-shim-client-srcs)) differs from tools/lib/lib.mk's \
		ctl-client-srcs ($(ctl-client-srcs))))
	@mkdir -p $(dir $@)
	@echo "  HOSTLD  $@"
	@$(HOSTCC) -shared -Wl,-soname,$(XC_SHIM_SONAME) -Wl,--version-script=$(XC_SHIM_MAP) \
		-Wl,-z,defs -o $@ $(XC_SHIM_OBJS)

$(XC_SHIM_DIR)/libxenctrl.so: $(XC_SHIM_LIB)
	@ln -sfn $(XC_SHIM_SONAME) $@

$(O)/host/xcshim/%.o: %.c $(AUTOCONF_H)
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $< (shim)"
	@$(HOSTCC) $(XC_SHIM_CFLAGS) -MMD -MP -c $< -o $@

# <xenctrl.h> is GNU C (anonymous unions in xen/hvm/save.h, the aligned
# attribute xen/foreign/ uses only for __GNUC__ without __STRICT_ANSI__):
# gnu11 for the one file that includes it, every warning still on.
$(O)/host/xcshim/tools/kexec-patch/shim/libxenctrl.o: XC_SHIM_CFLAGS += -std=gnu11
