# Host unit tests of the core: the scheduler, ELF checks and loading, guest
# memory copies and the domain builder's configuration parser. Each compiles
# the real sources against the fakes in core_fakes.c.

unit-tests += test_sched
test_sched-srcs := tests/unit/test_sched.c common/sched.c common/timer.c common/domctx.c \
	tests/unit/core_fakes.c tests/unit/harness.c

# Sources that use the direct map (phys_to_virt) get core_fakes.h's host
# version instead of <asm/page.h>: "machine memory" is a host buffer.
core-host-page := -include tests/unit/core_fakes.h -DCORE_FAKES_HOST_PAGE

unit-tests += test_elf
test_elf-srcs := tests/unit/test_elf.c common/elf.c common/guest_access.c \
	tests/unit/core_fakes.c tests/unit/harness.c
test_elf-cflags := $(core-host-page)

unit-tests += test_guest_access
test_guest_access-srcs := tests/unit/test_guest_access.c common/guest_access.c \
	tests/unit/core_fakes.c tests/unit/harness.c
test_guest_access-cflags := $(core-host-page)

# Only domain_config_parse and what it calls are linked: the rest of the
# builder (page allocator, page tables, vCPUs...) is dropped by the linker.
unit-tests += test_domain_config
test_domain_config-srcs := tests/unit/test_domain_config.c common/domain_build.c \
	common/cmdline.c tests/unit/harness.c
test_domain_config-cflags := -ffunction-sections -fdata-sections
$(O)/tests/unit/test_domain_config: HOSTCC += -Wl,--gc-sections
