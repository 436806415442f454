/* Host fakes for the core's unit tests: see core_fakes.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <baton/arch.h>
#include <baton/domain.h>
#include <baton/sched.h>
#include <baton/time.h>
#include "core_fakes.h"

struct core_fake_state core_fake;

static struct domain domains[CONFIG_MAX_DOMAINS];
static struct shared_info shared[CONFIG_MAX_DOMAINS];
static uint8_t *phys_mem;
static void (*tick_hook)(void);

void core_fake_reset(void)
{
    memset(domains, 0, sizeof(domains));
    memset(shared, 0, sizeof(shared));
    if (!phys_mem)
        phys_mem = malloc(CORE_FAKE_PHYS_SIZE);
    assert_non_null(phys_mem);
    memset(phys_mem, 0, CORE_FAKE_PHYS_SIZE);
    memset(&core_fake, 0, sizeof(core_fake));
    core_fake.now = UINT64_C(1000000000);
}

struct domain *core_fake_domain(uint16_t domid, unsigned int nr_vcpus)
{
    assert_true(nr_vcpus >= 1 && nr_vcpus <= MAX_VIRT_CPUS);
    for (unsigned int i = 0; i < CONFIG_MAX_DOMAINS; i++) {
        struct domain *d = &domains[i];
        if (d->state != DOMAIN_FREE)
            continue;
        memset(d, 0, sizeof(*d));
        memset(&shared[i], 0, sizeof(shared[i]));
        d->state = DOMAIN_ALIVE;
        d->domid = domid;
        d->mem_size = PV_MIN_MEM_SIZE;
        d->shared_info = &shared[i];
        d->nr_vcpus = nr_vcpus;
        for (unsigned int v = 0; v < MAX_VIRT_CPUS; v++) {
            d->vcpus[v].id = v;
            d->vcpus[v].domain = d;
            d->vcpus[v].state = v < nr_vcpus ? VCPU_RUNNABLE : VCPU_OFFLINE;
        }
        return d;
    }
    fail_msg("core_fake_domain: no free slot");
    return NULL;
}

void core_fake_tick(void)
{
    assert_non_null(tick_hook);
    tick_hook();
}

uint8_t *core_fake_page(unsigned int i)
{
    assert_true((uint64_t)(i + 1) << PAGE_SHIFT <= CORE_FAKE_PHYS_SIZE);
    assert_non_null(phys_mem);
    return phys_mem + ((uint64_t)i << PAGE_SHIFT);
}

void *core_fake_phys_to_virt(paddr_t pa)
{
    if (!phys_mem || pa < CORE_FAKE_PHYS_BASE || pa - CORE_FAKE_PHYS_BASE >= CORE_FAKE_PHYS_SIZE)
        fail_msg("phys_to_virt(0x%llx): outside the fake machine memory", (unsigned long long)pa);
    return phys_mem + (pa - CORE_FAKE_PHYS_BASE);
}

paddr_t core_fake_virt_to_phys(const void *va)
{
    const uint8_t *p = va;

    if (!phys_mem || p < phys_mem || p >= phys_mem + CORE_FAKE_PHYS_SIZE)
        fail_msg("virt_to_phys(%p): outside the fake machine memory", va);
    return CORE_FAKE_PHYS_BASE + (paddr_t)(p - phys_mem);
}

/* ------------------------------------------------------- common/domain.c */

struct domain *domain_slot(unsigned int i)
{
    return i < CONFIG_MAX_DOMAINS ? &domains[i] : NULL;
}

/* ------------------------------------------------------------ arch, time */

void arch_context_switch(struct vcpu *prev, struct vcpu *next)
{
    assert_true(core_fake.nr_switches < CORE_FAKE_MAX_SWITCHES);
    core_fake.switches[core_fake.nr_switches++] = (struct core_fake_switch){ prev, next };
}

void arch_set_tick_hook(void (*hook)(void))
{
    core_fake.tick_hooks++;
    tick_hook = hook;
}

/* The idle loop is not run by these tests: reaching it is a failure. */
void arch_idle_wait(void)
{
    fail_msg("arch_idle_wait: the idle loop ran in a host test");
}

void arch_irq_disable(void)
{
}

/* One CPU and no interrupts on the host: nothing to save. */
unsigned long arch_irq_save(void)
{
    return 0;
}

void arch_irq_restore(unsigned long flags)
{
    (void)flags;
}

uint64_t now_ns(void)
{
    return core_fake.now;
}

/* ---------------------------------------------------------- event channels */

void send_virq(struct vcpu *v, unsigned int virq)
{
    assert_true(core_fake.nr_virqs < CORE_FAKE_MAX_VIRQS);
    core_fake.virqs[core_fake.nr_virqs++] = (struct core_fake_virq){ v, virq };
}
