/*
 * What the hypervisor code in the handler files (and in common/lu/restore.c)
 * references besides the handlers, for fuzz_restore only. The unit test
 * links the same sources with --gc-sections and needs none of this; the
 * Makefile's fuzz link sets its own HOSTCC, so fuzz targets link without
 * it and these references must resolve. Nothing here is reached by
 * domctx_load or lu_restore: every function aborts, so if one ever is, the
 * fuzzer reports it. Weak, untyped on purpose (no header: the prototypes
 * belong to files other engineers change); their callers' types do not
 * matter since none is called.
 */
#include <stdlib.h>

#pragma GCC diagnostic ignored "-Wmissing-prototypes"

#define STUB(name) __attribute__((weak)) void name(void) { abort(); }

STUB(console_write)
STUB(domain_free_memory)
STUB(memory_alloc_pages)
STUB(memory_free_pages)
STUB(is_idle_vcpu)
STUB(now_ns)
STUB(switch_stacks)
STUB(tss_set_io_ports)
STUB(tss_set_rsp0)
STUB(vcpu_wake)

/* data: restore.c's lu_reader_init (memory map, image, LU bootmem), the
 * scheduler's need_resched; idle_pt_root is declared by <asm/page.h>,
 * which ctx_fake.h brings in */
__attribute__((weak)) paddr_t idle_pt_root;
__attribute__((weak, aligned(64))) unsigned char image_region[64];
__attribute__((weak, aligned(64))) unsigned char lu_bootmem[256];
__attribute__((weak, aligned(64))) unsigned char memory_map[4096];
__attribute__((weak)) unsigned int memory_map_entries;
__attribute__((weak)) _Bool need_resched;
