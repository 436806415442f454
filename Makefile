# Baton: the whole build. See README.md and docs/user-guide.md.
#
#   make [O=build] [KCONFIG_CONFIG=.config]   build the hypervisor image
#   make defconfig | olddefconfig | menuconfig
#   make check      unit, fuzz and QEMU tests; ends with "N passed, N failed"
#   make demo       boot Baton under QEMU and show what it does
#
# Every directory adds its objects in *.mk fragments (found by name):
#   hv-y     hypervisor objects (paths relative to the tree, .o for .c or .asm)
#   hv-$(CONFIG_X) for objects that depend on an option
#   unit-tests       names of host cmocka tests; <name>-srcs lists their sources
#   host-tools       names of host tools; <name>-srcs lists their sources
#   fuzz-targets     names of libFuzzer targets; <name>-srcs lists their sources

O ?= build
KCONFIG_CONFIG ?= .config
export KCONFIG_CONFIG

BUILD_DEFCONFIG ?=

CC      ?= gcc
HOSTCC  ?= gcc
CLANG   ?= clang
LD      := ld
NASM    := nasm
OBJCOPY := objcopy
PYTHON  := python3

GEN        := $(O)/include/generated
AUTOCONF_H := $(GEN)/autoconf.h
AUTO_CONF  := $(O)/include/config/auto.conf

WARN := -Wall -Wextra -Werror -Wmissing-prototypes -Wshadow -Wundef
HV_CFLAGS := -std=c11 $(WARN) -O2 -g -ffreestanding -fno-pic -fno-pie \
	-mcmodel=kernel -mno-red-zone -mgeneral-regs-only -fno-stack-protector \
	-fno-omit-frame-pointer -fno-asynchronous-unwind-tables -fno-common -fno-tree-loop-distribute-patterns -nostdinc \
	-isystem $(shell $(CC) -print-file-name=include 2>/dev/null) \
	-Iinclude -I$(O)/include -include $(AUTOCONF_H)
HV_NASMFLAGS := -f elf64 -g -Iinclude/ -I$(O)/include/
HV_LDFLAGS := -nostdlib -static -z max-page-size=0x1000 -z noexecstack \
	--build-id=sha1 --no-warn-rwx-segments -T arch/x86/baton.lds

HOST_CFLAGS := -std=c11 $(WARN) -O1 -g -D_DEFAULT_SOURCE -Iinclude -I$(O)/include \
	-include $(AUTOCONF_H)
FUZZ_CFLAGS := $(filter-out -O1,$(HOST_CFLAGS)) -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined

hv-y :=
unit-tests :=
host-tools :=
fuzz-targets :=
qemu-tests :=

# check, demo and deps first install the toolchain, then build in a sub-make:
# they must not make .config or auto.conf (which needs kconfig-conf) while
# this Makefile is read.
NO_CONFIG_GOALS := check demo deps clean distclean
ifeq ($(filter $(NO_CONFIG_GOALS),$(MAKECMDGOALS)),)
-include $(AUTO_CONF)
endif
include $(sort $(shell find boot arch common guests tools tests -name '*.mk' 2>/dev/null))

HV_OBJS := $(addprefix $(O)/hv/,$(hv-y))
IMAGE   := $(O)/baton.elf

.PHONY: build-b build-v99 build-nofpu all defconfig olddefconfig menuconfig check check-unit check-qemu fuzz \
	demo deps clean distclean tools unit guests bench-lu
.DEFAULT_GOAL := all

all: $(IMAGE) guests

# ---------------------------------------------------------------- config
$(KCONFIG_CONFIG):
	@echo "  CONFIG  no $(KCONFIG_CONFIG): using the defaults"
	@mkdir -p $(dir $(KCONFIG_CONFIG))
	$(if $(BUILD_DEFCONFIG),KCONFIG_ALLCONFIG=$(BUILD_DEFCONFIG)) kconfig-conf --alldefconfig Kconfig

defconfig:
	$(if $(BUILD_DEFCONFIG),KCONFIG_ALLCONFIG=$(BUILD_DEFCONFIG)) kconfig-conf --alldefconfig Kconfig

olddefconfig:
	kconfig-conf --olddefconfig Kconfig

menuconfig:
	kconfig-mconf Kconfig

# autoconf.h and auto.conf follow .config
$(AUTOCONF_H) $(AUTO_CONF): $(KCONFIG_CONFIG) Kconfig
	@mkdir -p $(GEN) $(O)/include/config
	@# kconfig-frontends writes include/config/ relative to its working directory
	@# an option newer than .config takes its default (--silentoldconfig
	@# would ask for it, and stop when stdin is not a terminal)
	@KCONFIG_CONFIG=$(abspath $(KCONFIG_CONFIG)) kconfig-conf --olddefconfig $(CURDIR)/Kconfig >/dev/null
	@cd $(O) && KCONFIG_CONFIG=$(abspath $(KCONFIG_CONFIG)) \
		KCONFIG_AUTOHEADER=include/generated/autoconf.h \
		KCONFIG_AUTOCONFIG=include/config/auto.conf \
		kconfig-conf --silentoldconfig $(CURDIR)/Kconfig
	@touch $(AUTOCONF_H) $(AUTO_CONF)

# ---------------------------------------------------------------- hypervisor
$(O)/hv/%.o: %.c $(AUTOCONF_H)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(HV_CFLAGS) -MMD -MP -c $< -o $@

# asm-offsets: nasm gets every constant and structure offset it shares with
# C from arch/x86/asm-offsets.c, compiled to assembler (-S) and never
# linked: each DEFINE(SYM, value) there leaves '.ascii "->SYM value expr"'
# in the output, turned here into '%define SYM (value) ; expr'. The .d file
# of the compile makes a change to any header it includes regenerate the
# .inc, and nasm's own .d files rebuild every source that includes it.
ASM_OFFSETS_S   := $(O)/hv/arch/x86/asm-offsets.s
ASM_OFFSETS_INC := $(GEN)/asm-offsets.inc

$(ASM_OFFSETS_S): arch/x86/asm-offsets.c $(AUTOCONF_H)
	@mkdir -p $(dir $@)
	@echo "  CC -S   $<"
	@$(CC) $(HV_CFLAGS) -MMD -MP -MT $@ -MF $(@:.s=.d) -S $< -o $@

$(ASM_OFFSETS_INC): $(ASM_OFFSETS_S)
	@mkdir -p $(dir $@)
	@echo "  GEN     $@"
	@{ echo "; Generated from arch/x86/asm-offsets.c: do not edit."; \
	  sed -n 's/^[[:space:]]*\.ascii[[:space:]]*"->\([A-Za-z_][A-Za-z0-9_]*\) \$$\{0,1\}\(-\{0,1\}[0-9][0-9]*\) \(.*\)"$$/%define \1 (\2) ; \3/; T; s/^\(%define \([A-Za-z0-9_]*\) .*\) ; \2$$/\1/; p' $<; \
	} > $@.tmp
	@mv $@.tmp $@

$(O)/hv/%.o: %.asm $(AUTOCONF_H) $(ASM_OFFSETS_INC)
	@mkdir -p $(dir $@)
	@echo "  NASM    $<"
	@$(NASM) $(HV_NASMFLAGS) -MD $(@:.o=.d) -MP $< -o $@

$(IMAGE): $(HV_OBJS) arch/x86/baton.lds
	@echo "  LD      $@"
	@$(LD) $(HV_LDFLAGS) -o $@ $(HV_OBJS)

# ---------------------------------------------------------------- host programs
# $(call host-prog,NAME,OUTDIR,CFLAGS,LDLIBS)
define host-prog
$(2)/$(1): $$(addprefix $(O)/host/$(1)/,$$($(1)-srcs:.c=.o))
	@mkdir -p $$(dir $$@)
	@echo "  HOSTLD  $$@"
	@$$(HOSTCC) $(3) -o $$@ $$^ $(4)
$(O)/host/$(1)/%.o: %.c $$(AUTOCONF_H)
	@mkdir -p $$(dir $$@)
	@echo "  HOSTCC  $$<"
	@$$(HOSTCC) $(3) $$($(1)-cflags) -MMD -MP -c $$< -o $$@
endef

$(foreach t,$(unit-tests),$(eval $(call host-prog,$(t),$(O)/tests/unit,$(HOST_CFLAGS),-lcmocka)))
$(foreach t,$(host-tools),$(eval $(call host-prog,$(t),$(O)/tools,$(HOST_CFLAGS),)))
$(foreach t,$(fuzz-targets),$(eval $(call host-prog,$(t),$(O)/tests/fuzz,$(FUZZ_CFLAGS),)))
# the fuzz targets are built by clang
$(addprefix $(O)/tests/fuzz/,$(fuzz-targets)) $(foreach t,$(fuzz-targets),$(addprefix $(O)/host/$(t)/,$($(t)-srcs:.c=.o))): HOSTCC := $(CLANG)

UNIT_BINS := $(addprefix $(O)/tests/unit/,$(unit-tests))
TOOL_BINS := $(addprefix $(O)/tools/,$(host-tools))
FUZZ_BINS := $(addprefix $(O)/tests/fuzz/,$(fuzz-targets))

unit: $(UNIT_BINS)
guests:
tools: $(TOOL_BINS)

# ---------------------------------------------------------------- tests
# check: install what is missing, build everything, run every test.
check:
	@scripts/deps.sh check
	@$(MAKE) --no-print-directory all unit tools $(FUZZ_BINS) build-b build-v99 build-nofpu kexec-tools
	@$(PYTHON) tests/run-check.py --build $(O) \
		--unit $(UNIT_BINS) --fuzz $(FUZZ_BINS) --qemu $(qemu-tests) --kvm-lane

check-unit: unit
	@$(PYTHON) tests/run-check.py --build $(O) --unit $(UNIT_BINS)

check-qemu: all build-b build-v99 build-nofpu kexec-tools
	@$(PYTHON) tests/run-check.py --build $(O) --qemu $(qemu-tests)

fuzz: $(FUZZ_BINS)
	@$(PYTHON) tests/run-check.py --build $(O) --fuzz-long $(FUZZ_BINS)

# The live update downtime benchmark (docs/benchmarks.md): builds A and B
# with room for 17 domains (dom0 and 16) under $(O)/bench, then the grid under QEMU icount.
BENCH_LU_ARGS ?=
bench-lu: $(O)/bench/.config $(O)/bench/b/.config
	@$(MAKE) --no-print-directory O=$(O)/bench KCONFIG_CONFIG=$(O)/bench/.config \
		BUILD_DEFCONFIG=configs/bench.config all $(O)/bench/tools/hvctl
	@$(MAKE) --no-print-directory O=$(O)/bench/b KCONFIG_CONFIG=$(O)/bench/b/.config \
		BUILD_DEFCONFIG=configs/bench-b.config $(O)/bench/b/baton.elf
	@$(PYTHON) tests/qemu/bench_lu.py --build $(O)/bench $(BENCH_LU_ARGS)

$(O)/bench/.config: configs/bench.config Kconfig
$(O)/bench/b/.config: configs/bench-b.config Kconfig
$(O)/bench/.config $(O)/bench/b/.config:
	@mkdir -p $(dir $@)
	@KCONFIG_CONFIG=$@ KCONFIG_ALLCONFIG=$< kconfig-conf --alldefconfig Kconfig >/dev/null

demo:
	@scripts/deps.sh demo
	@$(MAKE) --no-print-directory -j$(shell nproc) all tools build-b kexec-tools
	@$(PYTHON) tests/qemu/demo.py --build $(O)

deps:
	@scripts/deps.sh check

# The second build of the tree (banner suffix "-b"): the target of live
# update tests, proof that two distinguishable builds come from one tree.
build-b:
	@$(MAKE) --no-print-directory O=$(O)/b KCONFIG_CONFIG=$(O)/b/.config \
		BUILD_DEFCONFIG=configs/build-b.config $(O)/b/baton.elf

# A build whose ELF note claims only handover stream version 99: the
# target tools/baton-update's preflight refuses (tests/qemu/baton_update.py).
build-v99:
	@$(MAKE) --no-print-directory O=$(O)/v99 KCONFIG_CONFIG=$(O)/v99/.config \
		BUILD_DEFCONFIG=configs/build-v99.config $(O)/v99/baton.elf

# A build whose ELF note says it does not load FPU context entries: the
# target tools/baton-update's domctx_types check refuses (baton_update.py).
build-nofpu:
	@$(MAKE) --no-print-directory O=$(O)/nofpu KCONFIG_CONFIG=$(O)/nofpu/.config \
		BUILD_DEFCONFIG=configs/build-nofpu.config $(O)/nofpu/baton.elf

clean:
	rm -rf $(O)

distclean: clean
	rm -f .config .config.old

# not under kexec-tools: its source tree has files named *.d (kexec.init.d)
-include $(shell find $(O) -path $(O)/kexec-tools -prune -o -name '*.d' -print 2>/dev/null)
