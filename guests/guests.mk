# Guests: the PV guest runtime (guests/lib) and the workloads, each built
# into a static ELF64 kernel linked at 1 MiB: $(O)/guests/<name>.elf.
# The ABI they speak is docs/specs/pv-abi.md.

GUEST_CFLAGS := -std=c11 -ffreestanding -fno-pic -fno-pie -static -nostdlib \
	-mno-red-zone -mgeneral-regs-only -fno-stack-protector -O2 -g \
	-Wall -Wextra -Werror -Wmissing-prototypes -Wshadow -Wundef \
	-fno-asynchronous-unwind-tables -fno-common -fno-tree-loop-distribute-patterns \
	-nostdinc -isystem $(shell $(CC) -print-file-name=include 2>/dev/null) \
	-Iinclude -Iguests/lib
GUEST_NASMFLAGS := -f elf64 -g -Iinclude/
GUEST_LDFLAGS := -nostdlib -static -z max-page-size=0x1000 -z noexecstack \
	-T guests/guest.lds

GUEST_OBJ := $(O)/guests/obj

guest-lib-srcs := guests/lib/entry.asm guests/lib/start.c guests/lib/string.c \
	guests/lib/fmt.c guests/lib/console.c guests/lib/pvclock.c guests/lib/time.c \
	guests/lib/evtchn.c guests/lib/grant.c guests/lib/cmdline.c

guest-names := heartbeat memcheck pingpong dom0 badmem badpriv badcall flood
guest-names += sleeper
guest-names += ctlprobe
guest-names += fpucheck
guest-names += syscallprobe
guest-heartbeat-srcs := guests/heartbeat/heartbeat.c
guest-memcheck-srcs  := guests/memcheck/memcheck.c guests/memcheck/pattern.c
guest-pingpong-srcs  := guests/pingpong/pingpong.c guests/pingpong/ppring.c
guest-dom0-srcs      := guests/dom0/dom0.c guests/dom0/agent.c guests/dom0/ops.c \
	guests/dom0/uart.c tools/lib/ctl_frame.c
guest-badmem-srcs    := guests/badmem/badmem.c
guest-badpriv-srcs   := guests/badpriv/badpriv.c
guest-badcall-srcs   := guests/badcall/badcall.c guests/badcall/preserve.asm
guest-flood-srcs     := guests/flood/flood.c
guest-sleeper-srcs   := guests/sleeper/sleeper.c
guest-ctlprobe-srcs  := guests/ctlprobe/ctlprobe.c guests/ctlprobe/payload.asm
guest-fpucheck-srcs  := guests/fpucheck/fpucheck.c guests/fpucheck/fpuregs.asm
guest-syscallprobe-srcs := guests/syscallprobe/syscallprobe.c

# ctlprobe builds a domain from the heartbeat image it embeds (.incbin)
$(GUEST_OBJ)/guests/ctlprobe/payload.o: $(O)/guests/heartbeat.elf
$(GUEST_OBJ)/guests/ctlprobe/payload.o: GUEST_NASMFLAGS += -I$(O)/guests/

# The control protocol's framing is one source for the agent and the host
# tools (tools/lib/ctl_frame.c, freestanding): the agent finds its header there.
$(GUEST_OBJ)/guests/dom0/%.o: GUEST_CFLAGS += -Itools/lib

# $(call guest-objs,SRCS): object paths of .c and .asm sources
guest-objs = $(addprefix $(GUEST_OBJ)/,$(addsuffix .o,$(basename $(1))))

$(GUEST_OBJ)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  GUESTCC $<"
	@$(CC) $(GUEST_CFLAGS) -MMD -MP -c $< -o $@

$(GUEST_OBJ)/%.o: %.asm
	@mkdir -p $(dir $@)
	@echo "  NASM    $<"
	@$(NASM) $(GUEST_NASMFLAGS) -MD $(@:.o=.d) -MP $< -o $@

define guest-elf
$(O)/guests/$(1).elf: $(call guest-objs,$(guest-lib-srcs) $(guest-$(1)-srcs)) guests/guest.lds
	@echo "  GUESTLD $$@"
	@$(LD) $(GUEST_LDFLAGS) -o $$@ $$(filter %.o,$$^)
endef
$(foreach g,$(guest-names),$(eval $(call guest-elf,$(g))))

GUEST_ELFS := $(guest-names:%=$(O)/guests/%.elf)

guests: $(GUEST_ELFS)

# test_guestrun (guests-tests.mk) runs these ELFs (order-only: not linked in)
$(O)/tests/unit/test_guestrun: | $(GUEST_ELFS)
