/* Host fakes for the context handler tests and fuzz_restore: see ctx_fake.h. */
#include <stdlib.h>
#include <string.h>

#include <baton/arch.h>
#include <baton/domain.h>
#include <baton/errno.h>
#include <baton/page_alloc.h>
#include <baton/sched.h>
#include <baton/vmap.h>
#include "ctx_fake.h"

struct ctx_fake_state ctx_fake;

static uint8_t *phys;

static uint8_t *phys_buf(void)
{
    if (!phys) {
        phys = aligned_alloc(PAGE_SIZE, (size_t)CTX_PHYS_PAGES * PAGE_SIZE);
        if (!phys)
            abort();
        memset(phys, 0, (size_t)CTX_PHYS_PAGES * PAGE_SIZE);
    }
    return phys;
}

void *ctx_fake_phys_to_virt(paddr_t pa)
{
    if (pa < CTX_PHYS_BASE || pa - CTX_PHYS_BASE >= (uint64_t)CTX_PHYS_PAGES * PAGE_SIZE) {
        ctx_fake.bad_phys++;
        return NULL;
    }
    return phys_buf() + (pa - CTX_PHYS_BASE);
}

paddr_t ctx_fake_virt_to_phys(const void *va)
{
    const uint8_t *p = va;

    if (p < phys_buf() || p >= phys + (size_t)CTX_PHYS_PAGES * PAGE_SIZE) {
        ctx_fake.bad_phys++;
        return 0;
    }
    return CTX_PHYS_BASE + (paddr_t)(p - phys);
}

uint8_t *ctx_fake_page(unsigned int i)
{
    return i < CTX_PHYS_PAGES ? phys_buf() + (size_t)i * PAGE_SIZE : NULL;
}

void ctx_fake_reset(void)
{
    for (unsigned int i = 0; i < CONFIG_MAX_DOMAINS; i++) {
        struct domain *d = domain_slot(i);

        if (d->state != DOMAIN_FREE)
            domain_drop_state(d);
    }
    memset(phys_buf(), 0, (size_t)CTX_PHYS_PAGES * PAGE_SIZE);
    memset(&ctx_fake, 0, sizeof(ctx_fake));
}

unsigned int ctx_fake_slots_used(void)
{
    unsigned int n = 0;

    for (unsigned int i = 0; i < CONFIG_MAX_DOMAINS; i++)
        n += domain_slot(i)->state != DOMAIN_FREE;
    return n;
}

static bool prepare(struct domain *d, unsigned int nr_vcpus, bool privileged,
                    unsigned int first_page, unsigned int mem_pages)
{
    d->privileged = privileged;
    d->nr_vcpus = nr_vcpus;
    d->nr_extents = 1;
    d->extents[0] = (struct mem_extent){ 0, CTX_PHYS_MFN(first_page), mem_pages };
    d->mem_size = (uint64_t)mem_pages << PAGE_SHIFT;
    return domain_map_abi_pages(d);
}

struct domain *ctx_fake_restoring(uint16_t domid, unsigned int nr_vcpus, bool privileged,
                                  unsigned int first_page, unsigned int mem_pages)
{
    struct domain *d = domain_claim_slot(domid);

    if (!d)
        return NULL;
    if (!prepare(d, nr_vcpus, privileged, first_page, mem_pages)) {
        domain_drop_state(d);
        return NULL;
    }
    return d;
}

struct domain *ctx_fake_restoring_heap(uint16_t domid, unsigned int nr_vcpus, bool privileged,
                                       unsigned int first_page, unsigned int mem_pages)
{
    struct domain *d = calloc(1, sizeof(*d));

    if (!d)
        abort();
    /* what domain_claim_slot does to a slot */
    d->domid = domid;
    d->state = DOMAIN_RESTORING;
    for (unsigned int v = 0; v < MAX_VIRT_CPUS; v++) {
        d->vcpus[v].id = v;
        d->vcpus[v].domain = d;
        d->vcpus[v].state = VCPU_OFFLINE;
    }
    if (!prepare(d, nr_vcpus, privileged, first_page, mem_pages)) {
        free(d);
        return NULL;
    }
    return d;
}

/* ------------------------------------------------------------ sched */

struct vcpu *current;

void sched_forget_domain(struct domain *d)
{
    (void)d;
    ctx_fake.forgets++;
}

void domain_unpause(struct domain *d)
{
    if (d->pause_count)
        d->pause_count--;
    ctx_fake.unpauses++;
}

/* ------------------------------------------------------------ arch: PV domains */

int arch_domain_pt_build(struct domain *d)
{
    ctx_fake.pt_builds++;
    if (ctx_fake.pt_build_fail_at && (int)ctx_fake.pt_builds == ctx_fake.pt_build_fail_at)
        return -BATON_ENOMEM;
    d->pt_root = 0x1000 * (paddr_t)ctx_fake.pt_builds;
    ctx_fake.pt_live++;
    return 0;
}

void arch_domain_pt_free(struct domain *d)
{
    if (d->pt_root) {
        ctx_fake.pt_live--;
        d->pt_root = 0;
    }
}

int guest_map_window(struct domain *d, unsigned int slot, uint64_t mfn, bool readonly)
{
    (void)d;
    (void)mfn;
    (void)readonly;
    if (slot >= GNT_WINDOW_SLOTS)
        abort();
    ctx_fake.maps++;
    if (ctx_fake.map_fail_at && (int)ctx_fake.maps == ctx_fake.map_fail_at)
        return -BATON_ENOMEM;
    return 0;
}

void guest_unmap_window(struct domain *d, unsigned int slot)
{
    (void)d;
    if (slot >= GNT_WINDOW_SLOTS)
        abort();
    ctx_fake.unmaps++;
}

/* ------------------------------------------------------------ vCPU stacks */

static pfn_t next_pfn = 0x100000;

pfn_t page_alloc(unsigned int order)
{
    pfn_t pfn = next_pfn;

    next_pfn += (pfn_t)1 << order;
    ctx_fake.pages_live += 1 << order;
    return pfn;
}

void page_free(pfn_t pfn, unsigned int order)
{
    (void)pfn;
    ctx_fake.pages_live -= 1 << order;
}

void *vmap(const mfn_t *mfns, unsigned int nr)
{
    void *p;

    (void)mfns;
    ctx_fake.vmaps++;
    if (ctx_fake.vmap_fail_at && (int)ctx_fake.vmaps == ctx_fake.vmap_fail_at)
        return NULL;
    p = aligned_alloc(PAGE_SIZE, (size_t)nr * PAGE_SIZE);
    if (!p)
        abort();
    memset(p, 0, (size_t)nr * PAGE_SIZE);
    ctx_fake.vmaps_live++;
    return p;
}

void vunmap(void *va, unsigned int nr)
{
    (void)nr;
    free(va);
    ctx_fake.vmaps_live--;
}

/* A new vCPU stack's first return address: never called on the host. */
void vcpu_start_trampoline(void)
{
    abort();
}
