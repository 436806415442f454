/*
 * Host fakes for the unit tests of the core: the scheduler (common/sched.c),
 * guest memory copies (common/guest_access.c), ELF images (common/elf.c)
 * and the domain builder's configuration parser (common/domain_build.c).
 *
 * - A static table of CONFIG_MAX_DOMAINS domains behind domain_slot(), each
 *   with a host shared info page (what vcpu_block reads).
 * - arch_context_switch records every prev -> next switch; arch_set_tick_hook
 *   keeps the hook for core_fake_tick(); now_ns returns core_fake.now;
 *   send_virq records (vCPU, virq).
 * - Host "machine memory": CORE_FAKE_PHYS_SIZE bytes at machine address
 *   CORE_FAKE_PHYS_BASE. A source compiled with
 *   `-include tests/unit/core_fakes.h -DCORE_FAKES_HOST_PAGE` gets the
 *   phys_to_virt/virt_to_phys below instead of <asm/page.h> (whose include
 *   guard this defines), so its direct-map accesses land in that buffer and
 *   any address outside it fails the test.
 */
#ifndef TESTS_UNIT_CORE_FAKES_H
#define TESTS_UNIT_CORE_FAKES_H

#include <baton/types.h>

#ifdef CORE_FAKES_HOST_PAGE
#define ASM_PAGE_H      /* keep the hypervisor's direct map out */
#endif

#define CORE_FAKE_PHYS_BASE   UINT64_C(0x40000000)
#define CORE_FAKE_PHYS_SIZE   MiB(8)
#define CORE_FAKE_PHYS_PFN(i) ((CORE_FAKE_PHYS_BASE >> PAGE_SHIFT) + (uint64_t)(i))

/* Host address of machine address pa; fails the test outside the buffer. */
void *core_fake_phys_to_virt(paddr_t pa);
paddr_t core_fake_virt_to_phys(const void *va);

#ifdef CORE_FAKES_HOST_PAGE
static inline void *phys_to_virt(paddr_t pa)
{
    return core_fake_phys_to_virt(pa);
}

static inline paddr_t virt_to_phys(const void *va)
{
    return core_fake_virt_to_phys(va);
}
#endif

#include <baton/domain.h>

#define CORE_FAKE_MAX_SWITCHES 64
#define CORE_FAKE_MAX_VIRQS    64

struct core_fake_switch {
    struct vcpu *prev, *next;
};

struct core_fake_virq {
    struct vcpu *v;
    unsigned int virq;
};

struct core_fake_state {
    uint64_t now;                                   /* what now_ns() returns */
    unsigned int nr_switches;                       /* arch_context_switch calls */
    struct core_fake_switch switches[CORE_FAKE_MAX_SWITCHES];
    unsigned int nr_virqs;                          /* send_virq calls */
    struct core_fake_virq virqs[CORE_FAKE_MAX_VIRQS];
    unsigned int tick_hooks;                        /* arch_set_tick_hook calls */
};
extern struct core_fake_state core_fake;

/* Every slot FREE and zeroed, machine memory zeroed, records cleared. */
void core_fake_reset(void);
/* An ALIVE domain in the first free slot: nr_vcpus RUNNABLE vCPUs (not
 * queued anywhere) and a zeroed host shared info page. */
struct domain *core_fake_domain(uint16_t domid, unsigned int nr_vcpus);
/* The tick hook sched_init() registered (fails the test when there is none). */
void core_fake_tick(void);
/* Host bytes of machine page CORE_FAKE_PHYS_PFN(i). */
uint8_t *core_fake_page(unsigned int i);

#endif
