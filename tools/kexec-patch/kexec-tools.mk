# make kexec-tools: Debian 12's kexec-tools 2.0.25 with baton-remote.patch,
# linked against Baton's libxenctrl shim (tools/kexec-patch/shim/), built
# into $(O)/kexec-tools/sbin/kexec by tools/kexec-patch/build.sh. See
# docs/kexec-tools.md.
#
# The binary is its own stamp: it is rebuilt when the patch, the shim or
# build.sh is newer, never otherwise. The source apt fetched stays in
# $(O)/kexec-tools/src and is not fetched again (rm -rf it to refetch).

# the shim's own .mk sets this too (same value); it is needed here first,
# as a prerequisite, and this file is read before tools/kexec-patch/shim/
XC_SHIM_DIR ?= $(O)/kexec-tools/lib

KEXEC_TOOLS_DIR   := $(O)/kexec-tools
KEXEC_TOOLS_BIN   := $(KEXEC_TOOLS_DIR)/sbin/kexec
KEXEC_TOOLS_PATCH := tools/kexec-patch/baton-remote.patch
KEXEC_TOOLS_SHIM  := $(XC_SHIM_DIR)/libxenctrl.so.4.17

.PHONY: kexec-tools
kexec-tools: xc-shim $(KEXEC_TOOLS_BIN)

$(KEXEC_TOOLS_BIN): $(KEXEC_TOOLS_PATCH) $(KEXEC_TOOLS_SHIM) tools/kexec-patch/build.sh
	@sh tools/kexec-patch/build.sh $(KEXEC_TOOLS_DIR) $(KEXEC_TOOLS_SHIM) $(KEXEC_TOOLS_PATCH)
