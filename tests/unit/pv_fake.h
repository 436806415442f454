/*
 * Host fakes of what common/event_channel.c, grant_table.c and
 * guest_console.c call elsewhere: the domain table, guest memory and
 * copies, the grant window, vcpu_wake, now_ns and console_write.
 *
 * Domains live in a static table of CONFIG_MAX_DOMAINS slots. Each has a
 * host buffer as its guest memory (gva g is mem + g), one extent
 * gpfn 0.. -> mfn FAKE_MFN_BASE(slot).., and its shared info and console
 * ring at their ABI addresses inside that memory, like a real guest.
 */
#ifndef TESTS_UNIT_PV_FAKE_H
#define TESTS_UNIT_PV_FAKE_H

#include <baton/domain.h>

#define FAKE_MEM_SIZE           MiB(4)
#define FAKE_MFN_BASE(slot)     ((uint64_t)((slot) + 1) << 20)
/* Where tests put hypercall argument structs: guest memory above the ABI pages. */
#define FAKE_ARG_GVA            PV_KERNEL_BASE

struct pv_fake_state {
    uint64_t now;                   /* what now_ns() returns */
    unsigned int wakes;             /* vcpu_wake() calls */
    struct vcpu *last_wake;
    unsigned int maps, unmaps;      /* guest_map_window / guest_unmap_window calls */
    struct domain *last_map_dom;
    unsigned int last_map_slot;
    uint64_t last_map_mfn;
    bool last_map_ro;
    unsigned int last_unmap_slot;
    int map_rc;                     /* guest_map_window() returns this when nonzero */
    bool fail_copy_to;              /* copy_to_guest() fails with -EFAULT */
};
extern struct pv_fake_state pv_fake;

/* Every slot FREE (memory zeroed), counters and the console capture cleared. */
void pv_fake_reset(void);
/* An ALIVE domain in the first free slot, with mem_size <= FAKE_MEM_SIZE. */
struct domain *pv_fake_domain(uint16_t domid, unsigned int nr_vcpus, uint64_t mem_size);
unsigned int pv_fake_slot_of(const struct domain *d);
/* Host address of guest address gva (no checks). */
void *pv_fake_ptr(const struct domain *d, uint64_t gva);

/* Text console_write() received since the last clear (NUL-terminated). */
const char *pv_fake_console(void);
void pv_fake_console_clear(void);

#endif
