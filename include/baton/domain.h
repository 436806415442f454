/*
 * Domains and vCPUs: the hypervisor's internal view (never part of any ABI;
 * the guest sees include/public/pv.h, the next build sees LU records).
 */
#ifndef BATON_DOMAIN_H
#define BATON_DOMAIN_H

#include <asm/fpu.h>
#include <asm/regs.h>
#include <baton/types.h>
#include <baton/bitmap.h>
#include <baton/event_channel.h>
#include <baton/grant_table.h>
#include <baton/guest_access.h>
#include <baton/guest_console.h>
#include <baton/layout_shuffle.h>
#include <baton/timer.h>
#include <public/pv.h>

#define DOMAIN_EXTENTS_MAX   64
#define DOMAIN_NAME_LEN      START_INFO_NAME_LEN
#define DOMID_INVALID        0xffffu

/* Guest memory: gpfn..gpfn+count-1 is backed by mfn..mfn+count-1. */
struct mem_extent {
    uint64_t gpfn;
    uint64_t mfn;
    uint64_t count;
};

enum vcpu_state {
    VCPU_RUNNABLE,      /* on the run queue or running */
    VCPU_BLOCKED,       /* sched_block: waits for an event */
    VCPU_OFFLINE,       /* not started, or its domain is dead */
};

/* x86: what a switched-out vCPU keeps (arch/x86/vcpu.c). */
struct arch_vcpu {
    LAYOUT_GROUPS((
        uint64_t ksp;             /* saved hypervisor stack pointer while switched out */
        void *kstack;             /* base of this vCPU's hypervisor stack; NULL: none */
        pfn_t kstack_pfn;         /* its first frame */
    ), (
        LAYOUT_PAD(shuffle_pad, 8)
        /* the guest's registers until arch_vcpu_start puts them on the stack */
        struct cpu_user_regs regs;
        uint16_t ds, es, fs, gs;  /* guest data selectors, switched with the vCPU */
    ), (
        /* the guest's x87/SSE registers while switched out (fpu.c) */
        struct fpu_area fpu;
    ))
};

struct domain;

/* Field groups in this order; reversed and padded by LAYOUT_SHUFFLE. */
struct vcpu {
    LAYOUT_PAD(shuffle_pad_head, 24)
    LAYOUT_GROUPS((
        unsigned int id;
        struct domain *domain;
        enum vcpu_state state;
    ), (
        uint64_t upcall_entry;          /* VCPUOP_register_upcall */
        uint64_t timer_deadline;        /* hypervisor system time (ns); 0: none */
        uint32_t virq_port[NR_VIRQS];   /* 0: not bound */
    ), (
        LAYOUT_PAD(shuffle_pad_runq, 8)
        struct vcpu *runq_next;
        bool on_runq;
    ), (
        struct arch_vcpu arch;
    ))
};

enum domain_state {
    DOMAIN_FREE = 0,
    DOMAIN_ALIVE,
    DOMAIN_SHUTDOWN,          /* asked to stop (domain_shutdown) */
    DOMAIN_CRASHED,           /* killed for a fault or a bad upcall stack */
    DOMAIN_RESTORING,         /* decoded from a stream, not yet committed */
};

/* Field groups in this order; reversed and padded by LAYOUT_SHUFFLE. */
struct domain {
    LAYOUT_PAD(shuffle_pad_head, 40)
    LAYOUT_GROUPS((
        enum domain_state state;
        uint16_t domid;
        uint8_t handle[16];
        char name[DOMAIN_NAME_LEN];
        bool privileged;
        unsigned int shutdown_reason;
        unsigned int pause_count;
    ), (
        uint64_t mem_size;              /* bytes of pseudo-physical memory */
        unsigned int nr_extents;
        struct mem_extent extents[DOMAIN_EXTENTS_MAX];
        paddr_t pt_root;                /* the domain's page tables */
    ), (
        LAYOUT_PAD(shuffle_pad_abi, 24)
        /* the ABI pages, through the direct map */
        struct start_info *start_info;
        struct shared_info *shared_info;
        struct console_ring *console_ring;
        uint64_t time_base_ns;          /* hypervisor time at guest time 0 */
        uint16_t ioport_first;          /* I/O ports the domain may use, */
        uint16_t ioport_count;          /* [first, first + count); 0: none */
    ), (
        unsigned int nr_vcpus;
        struct vcpu vcpus[MAX_VIRT_CPUS];
    ), (
        LAYOUT_PAD(shuffle_pad_events, 8)
        struct evtchn evtchn[NR_EVTCHN_PORTS];
        /* bit p: evtchn[p] is not closed; bit r: grants[r].in_use; bit s:
         * gnt_maps[s].in_use. Kept exact by event_channel.c and
         * grant_table.c, so that save, restore and release walk what is in
         * use instead of the whole tables (docs/benchmarks.md). */
        uint64_t evtchn_open[BITMAP_WORDS(NR_EVTCHN_PORTS)];
        uint64_t grants_in_use[BITMAP_WORDS(NR_GRANT_REFS)];
        uint64_t gnt_maps_in_use[BITMAP_WORDS(GNT_WINDOW_SLOTS)];
        uint32_t console_port;
        struct grant_entry grants[NR_GRANT_REFS];
        struct grant_mapping gnt_maps[GNT_WINDOW_SLOTS];
        struct guest_console console;
    ))
};

/* ---- common/domain.c */
struct domain *domain_by_id(uint16_t domid);     /* an ALIVE domain or NULL */
/* Any domain holding the id, whatever its state but FREE (restore's checks). */
struct domain *domain_by_id_any(uint16_t domid);
struct domain *domain_slot(unsigned int i);      /* i < CONFIG_MAX_DOMAINS, any state */
/* fn on every domain that is not FREE, in slot order; how many. */
unsigned int domain_for_each(void (*fn)(struct domain *d));
/*
 * A FREE slot with domid and RESTORING state, every other field zero; NULL
 * when full. A FREE slot is all zero already (bss at boot; every path that
 * frees one clears it whole), so it is not cleared again here.
 */
struct domain *domain_claim_slot(uint16_t domid);
void domain_crash(struct domain *d, const char *why);
void domain_shutdown(struct domain *d, unsigned int reason);
/*
 * Tear d down for good, alive or dead: its vCPUs, page tables, event
 * channels and grants released, its memory back to the page allocator and
 * its slot free for a new domain. Refused, with nothing changed, for the
 * privileged domain or the caller's own (-EINVAL), and while another domain
 * still maps a page d granted (-EBUSY: those pages must not be reused).
 */
int domain_destroy(struct domain *d);
/* Guest time (ns since the domain started), as its shared info says. */
uint64_t domain_guest_time(const struct domain *d);
/* The ABI pages (start info, shared info, console ring) through the direct
 * map, from the extents; false when the extents do not cover them. */
bool domain_map_abi_pages(struct domain *d);
/*
 * Throw away d's hypervisor-side state (vCPU stacks, page tables, run queue
 * entries, the slot itself) but not its memory, which stays where it is
 * (the caller has it described, as extents in a stream). d must be paused
 * and none of its vCPUs running.
 */
void domain_drop_state(struct domain *d);

#endif
