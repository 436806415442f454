/*
 * Included first into common/control.c for test_control: the direct map is
 * the identity over host memory, so the page allocator's fake can hand out
 * host pages (aligned_alloc) as frames.
 */
#ifndef TESTS_UNIT_CONTROL_FAKE_H
#define TESTS_UNIT_CONTROL_FAKE_H

#include <asm/page.h>
#include <baton/types.h>

#define phys_to_virt(pa) ((void *)(uintptr_t)(pa))
#define virt_to_phys(va) ((paddr_t)(uintptr_t)(va))

#endif
