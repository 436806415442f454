# Host unit tests of the foundation: command line, memory map, boot and page
# allocators, boot information, time scale, TSC calibration. Each compiles the real sources.
unit-tests += test_cmdline
test_cmdline-srcs := tests/unit/test_cmdline.c common/cmdline.c tests/unit/harness.c

unit-tests += test_memmap
test_memmap-srcs := tests/unit/test_memmap.c common/memmap.c tests/unit/harness.c

unit-tests += test_bootmem
test_bootmem-srcs := tests/unit/test_bootmem.c common/bootmem.c tests/unit/harness.c

unit-tests += test_page_alloc
test_page_alloc-srcs := tests/unit/test_page_alloc.c common/page_alloc.c tests/unit/harness.c

unit-tests += test_multiboot
test_multiboot-srcs := tests/unit/test_multiboot.c boot/multiboot.c tests/unit/harness.c

unit-tests += test_time_scale
test_time_scale-srcs := tests/unit/test_time_scale.c common/time_scale.c

unit-tests += test_tsc_calibrate
test_tsc_calibrate-srcs := tests/unit/test_tsc_calibrate.c arch/x86/tsc_calibrate.c

unit-tests += test_string_ops
test_string_ops-srcs := tests/unit/test_string_ops.c
