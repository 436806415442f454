/*
 * Host fakes for the tests that link the real domain context handlers
 * (common/domain.c, arch/x86/vcpu.c, common/event_channel.c,
 * common/grant_table.c, common/timer.c, common/guest_console.c) and the
 * restore (common/lu/restore.c): tests/unit/test_ctx_handlers.c and
 * tests/fuzz/fuzz_restore.c. No cmocka here: the fuzz target links it too.
 *
 * Every source of those programs is compiled with
 * `-include tests/unit/ctx_fake.h`: the real <asm/page.h> comes first, then
 * phys_to_virt/virt_to_phys are redirected to a host buffer of "machine
 * memory" (CTX_PHYS_PAGES frames at CTX_PHYS_BASE), so domain_map_abi_pages
 * and the handlers read guest memory on the host. An address outside the
 * buffer gives NULL and counts in ctx_fake.bad_phys.
 *
 * The arch and scheduler hooks the handlers and the restore reach are
 * counted, so a test can check that every page-table build, stack and
 * window mapping taken was given back.
 */
#ifndef TESTS_UNIT_CTX_FAKE_H
#define TESTS_UNIT_CTX_FAKE_H

#include <asm/page.h>
#include <baton/types.h>

#define CTX_PHYS_BASE    UINT64_C(0x10000000)            /* 256 MiB */
#define CTX_PHYS_PAGES   4096u                           /* 16 MiB */
#define CTX_PHYS_MFN(i)  ((CTX_PHYS_BASE >> PAGE_SHIFT) + (uint64_t)(i))

void *ctx_fake_phys_to_virt(paddr_t pa);
paddr_t ctx_fake_virt_to_phys(const void *va);

#ifndef CTX_FAKE_NO_REDIRECT
#define phys_to_virt(pa) ctx_fake_phys_to_virt(pa)
#define virt_to_phys(va) ctx_fake_virt_to_phys(va)
#endif

struct domain;

struct ctx_fake_state {
    unsigned int bad_phys;          /* phys_to_virt outside the buffer */
    int pt_live;                    /* page tables built, not yet freed */
    unsigned int pt_builds;
    int pt_build_fail_at;           /* the Nth build (1-based) fails; 0: never */
    int pages_live;                 /* page_alloc'd frames not freed */
    int vmaps_live;
    unsigned int vmaps;
    int vmap_fail_at;               /* the Nth vmap (1-based) fails; 0: never */
    unsigned int maps, unmaps;      /* guest_map_window / guest_unmap_window */
    int map_fail_at;                /* the Nth window map (1-based) fails; 0: never */
    unsigned int forgets;           /* sched_forget_domain calls */
    unsigned int unpauses;
};
extern struct ctx_fake_state ctx_fake;

/* Machine memory zeroed, counters cleared, every domain slot FREE (the
 * real domain table of common/domain.c, through domain_drop_state). */
void ctx_fake_reset(void);
/* Host bytes of machine frame CTX_PHYS_MFN(i). */
uint8_t *ctx_fake_page(unsigned int i);

/*
 * A domain as restore.c's decode_domain prepares one: a slot claimed with
 * domain_claim_slot (RESTORING, vCPUs OFFLINE), nr_vcpus, privileged, one
 * extent gpfn 0.. -> CTX_PHYS_MFN(first_page).. of mem_pages frames, the
 * ABI pages mapped. NULL when no slot is free or the ABI pages are not
 * covered.
 */
struct domain *ctx_fake_restoring(uint16_t domid, unsigned int nr_vcpus, bool privileged,
                                  unsigned int first_page, unsigned int mem_pages);
/* The same, in a heap (calloc'd) struct outside the domain table. */
struct domain *ctx_fake_restoring_heap(uint16_t domid, unsigned int nr_vcpus, bool privileged,
                                       unsigned int first_page, unsigned int mem_pages);
/* Domain slots not FREE. */
unsigned int ctx_fake_slots_used(void);

#endif
