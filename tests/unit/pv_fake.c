/* Host fakes for the PV services' unit tests: see pv_fake.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <baton/console.h>
#include <baton/arch.h>
#include <baton/domain.h>
#include <baton/sched.h>
#include <baton/errno.h>
#include <baton/time.h>
#include "pv_fake.h"

struct pv_fake_state pv_fake;

static struct domain domains[CONFIG_MAX_DOMAINS];
static uint8_t *memory[CONFIG_MAX_DOMAINS];
static char console_buf[1 << 17];
static size_t console_len;

void pv_fake_reset(void)
{
    for (unsigned int i = 0; i < CONFIG_MAX_DOMAINS; i++) {
        memset(&domains[i], 0, sizeof(domains[i]));
        if (!memory[i])
            memory[i] = malloc(FAKE_MEM_SIZE);
        assert_non_null(memory[i]);
        memset(memory[i], 0, FAKE_MEM_SIZE);
    }
    memset(&pv_fake, 0, sizeof(pv_fake));
    pv_fake.now = UINT64_C(1000000000);
    pv_fake_console_clear();
}

struct domain *pv_fake_domain(uint16_t domid, unsigned int nr_vcpus, uint64_t mem_size)
{
    assert_true(mem_size <= FAKE_MEM_SIZE && mem_size >= PV_MIN_MEM_SIZE);
    assert_true(nr_vcpus >= 1 && nr_vcpus <= MAX_VIRT_CPUS);
    for (unsigned int i = 0; i < CONFIG_MAX_DOMAINS; i++) {
        struct domain *d = &domains[i];
        if (d->state != DOMAIN_FREE)
            continue;
        memset(d, 0, sizeof(*d));
        d->state = DOMAIN_ALIVE;
        d->domid = domid;
        d->mem_size = mem_size;
        d->nr_extents = 1;
        d->extents[0] = (struct mem_extent){ 0, FAKE_MFN_BASE(i), mem_size >> PV_PAGE_SHIFT };
        d->start_info = (struct start_info *)(memory[i] + PV_START_INFO_GPA);
        d->shared_info = (struct shared_info *)(memory[i] + PV_SHARED_INFO_GPA);
        d->console_ring = (struct console_ring *)(memory[i] + PV_CONSOLE_RING_GPA);
        d->nr_vcpus = nr_vcpus;
        for (unsigned int v = 0; v < MAX_VIRT_CPUS; v++) {
            d->vcpus[v].id = v;
            d->vcpus[v].domain = d;
            d->vcpus[v].state = v < nr_vcpus ? VCPU_RUNNABLE : VCPU_OFFLINE;
        }
        return d;
    }
    fail_msg("pv_fake_domain: no free slot");
    return NULL;
}

unsigned int pv_fake_slot_of(const struct domain *d)
{
    assert_true(d >= domains && d < domains + CONFIG_MAX_DOMAINS);
    return (unsigned int)(d - domains);
}

void *pv_fake_ptr(const struct domain *d, uint64_t gva)
{
    return memory[pv_fake_slot_of(d)] + gva;
}

const char *pv_fake_console(void)
{
    return console_buf;
}

void pv_fake_console_clear(void)
{
    console_len = 0;
    console_buf[0] = '\0';
}

/* ------------------------------------------------------- common/domain.c */

struct domain *domain_slot(unsigned int i)
{
    return i < CONFIG_MAX_DOMAINS ? &domains[i] : NULL;
}

struct domain *domain_by_id(uint16_t domid)
{
    for (unsigned int i = 0; i < CONFIG_MAX_DOMAINS; i++)
        if (domains[i].state == DOMAIN_ALIVE && domains[i].domid == domid)
            return &domains[i];
    return NULL;
}

struct domain *domain_by_id_any(uint16_t domid)
{
    for (unsigned int i = 0; i < CONFIG_MAX_DOMAINS; i++)
        if (domains[i].state != DOMAIN_FREE && domains[i].domid == domid)
            return &domains[i];
    return NULL;
}

/* ------------------------------------------ common/guest_access.c, the same rules */

uint64_t guest_gpfn_to_mfn(const struct domain *d, uint64_t gpfn)
{
    for (unsigned int i = 0; i < d->nr_extents; i++) {
        const struct mem_extent *e = &d->extents[i];
        if (gpfn >= e->gpfn && gpfn - e->gpfn < e->count)
            return e->mfn + (gpfn - e->gpfn);
    }
    return INVALID_MFN;
}

/* [gva, gva + len) within [PV_PAGE_SIZE, mem_size) and every page backed. */
static bool guest_range_ok(const struct domain *d, uint64_t gva, size_t len)
{
    if (gva < PV_PAGE_SIZE || gva > d->mem_size || len > d->mem_size - gva)
        return false;
    for (uint64_t p = gva >> PV_PAGE_SHIFT; len && p <= (gva + len - 1) >> PV_PAGE_SHIFT; p++)
        if (guest_gpfn_to_mfn(d, p) == INVALID_MFN)
            return false;
    return true;
}

int copy_from_guest(const struct domain *d, void *dst, uint64_t gva, size_t len)
{
    if (!guest_range_ok(d, gva, len))
        return -BATON_EFAULT;
    memcpy(dst, pv_fake_ptr(d, gva), len);
    return 0;
}

int copy_to_guest(const struct domain *d, uint64_t gva, const void *src, size_t len)
{
    if (pv_fake.fail_copy_to || !guest_range_ok(d, gva, len))
        return -BATON_EFAULT;
    memcpy(pv_fake_ptr(d, gva), src, len);
    return 0;
}

/* ------------------------------------------------------------ arch, sched */

int guest_map_window(struct domain *d, unsigned int slot, uint64_t mfn, bool readonly)
{
    assert_true(slot < GNT_WINDOW_SLOTS);
    if (pv_fake.map_rc)
        return pv_fake.map_rc;
    pv_fake.maps++;
    pv_fake.last_map_dom = d;
    pv_fake.last_map_slot = slot;
    pv_fake.last_map_mfn = mfn;
    pv_fake.last_map_ro = readonly;
    return 0;
}

void guest_unmap_window(struct domain *d, unsigned int slot)
{
    (void)d;
    assert_true(slot < GNT_WINDOW_SLOTS);
    pv_fake.unmaps++;
    pv_fake.last_unmap_slot = slot;
}

void vcpu_wake(struct vcpu *v)
{
    pv_fake.wakes++;
    pv_fake.last_wake = v;
}

uint64_t now_ns(void)
{
    return pv_fake.now;
}

void console_write(const char *s, size_t n)
{
    size_t room = sizeof(console_buf) - 1 - console_len;

    if (n > room)
        fail_msg("console capture full");
    memcpy(console_buf + console_len, s, n);
    console_len += n;
    console_buf[console_len] = '\0';
}
