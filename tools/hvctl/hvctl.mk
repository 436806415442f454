# hvctl: the control tool (docs/user-guide.md, "hvctl"), over the control
# protocol's client library. Recursive (=): the tools/lib lists come from
# tools/lib/lib.mk.
host-tools += hvctl
hvctl-srcs = tools/hvctl/hvctl.c tools/hvctl/kexec.c tools/hvctl/kexec_load.c \
	tools/hvctl/kexec_image.c $(ctl-client-srcs)
hvctl-cflags := -Itools/lib -Itools/hvctl

# The purgatory hvctl kexec load puts in front of every image: assembled
# flat (origin 0, position independent), then wrapped into an ELF object
# by incbin (purgatory_blob.asm) and linked into hvctl as
# hvctl_purgatory[] .. hvctl_purgatory_end[] (kexec_image.h).
HVCTL_PURG_BIN := $(O)/host/hvctl/purgatory.bin
HVCTL_PURG_OBJ := $(O)/host/hvctl/purgatory_blob.o

$(HVCTL_PURG_BIN): tools/hvctl/purgatory.asm
	@mkdir -p $(dir $@)
	@echo "  NASM    $<"
	@$(NASM) -f bin -o $@ $<

$(HVCTL_PURG_OBJ): tools/hvctl/purgatory_blob.asm $(HVCTL_PURG_BIN)
	@echo "  NASM    $<"
	@$(NASM) -f elf64 -DPURGATORY_BIN='"$(HVCTL_PURG_BIN)"' -o $@ $<

# an extra prerequisite of the link: host-prog links $^
$(O)/tools/hvctl: $(HVCTL_PURG_OBJ)
