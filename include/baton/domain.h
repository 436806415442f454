/*
 * Domains and vCPUs: the hypervisor's internal view (never part of any ABI;
 * the guest sees include/public/pv.h, the next build sees LU records).
 */
#ifndef BATON_DOMAIN_H
#define BATON_DOMAIN_H

#include <baton/types.h>
#include <public/event_channel.h>
#include <public/grant_table.h>
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

struct evtchn {
    uint8_t state;            /* EVTCHNSTAT_* */
    uint8_t pad;
    uint16_t remote_dom;      /* unbound: who may bind; interdomain: peer */
    uint32_t remote_port;     /* interdomain: peer's port */
    uint32_t virq;            /* virq: which */
    uint32_t vcpu;            /* virq: notified vCPU */
};

struct grant_entry {
    bool in_use;
    uint16_t grantee;
    uint16_t flags;           /* GNTF_* */
    uint64_t gpfn;
    uint32_t map_count;       /* live mappings by the grantee */
};

/* A page of another domain mapped in this domain's grant window. */
struct grant_mapping {
    bool in_use;
    bool readonly;
    uint16_t granter;
    uint32_t ref;
};

#define GUEST_CONSOLE_LINE   256
struct guest_console {
    char line[GUEST_CONSOLE_LINE];  /* partial line, printed at '\n' */
    size_t line_len;
    uint64_t tokens;                /* rate limit: bytes allowed now */
    uint64_t last_refill_ns;
    uint64_t dropped;               /* bytes dropped since the last report */
};

struct arch_vcpu {
    uint64_t ksp;             /* saved hypervisor stack pointer while switched out */
    void *kstack;             /* base of this vCPU's hypervisor stack */
};

struct domain;

struct vcpu {
    unsigned int id;
    struct domain *domain;
    enum vcpu_state state;
    uint64_t upcall_entry;          /* VCPUOP_register_upcall */
    uint64_t timer_deadline;        /* hypervisor system time (ns); 0: none */
    uint32_t virq_port[NR_VIRQS];   /* 0: not bound */
    struct vcpu *runq_next;
    bool on_runq;
    struct arch_vcpu arch;
};

enum domain_state {
    DOMAIN_FREE = 0,
    DOMAIN_ALIVE,
    DOMAIN_SHUTDOWN,          /* asked to stop (domain_shutdown) */
    DOMAIN_CRASHED,           /* killed for a fault or a bad upcall stack */
};

struct domain {
    enum domain_state state;
    uint16_t domid;
    uint8_t handle[16];
    char name[DOMAIN_NAME_LEN];
    bool privileged;
    unsigned int shutdown_reason;
    unsigned int pause_count;

    uint64_t mem_size;              /* bytes of pseudo-physical memory */
    unsigned int nr_extents;
    struct mem_extent extents[DOMAIN_EXTENTS_MAX];
    paddr_t pt_root;                /* the domain's page tables */

    /* the ABI pages, through the direct map */
    struct start_info *start_info;
    struct shared_info *shared_info;
    struct console_ring *console_ring;
    uint64_t time_base_ns;          /* hypervisor time at guest time 0 */

    unsigned int nr_vcpus;
    struct vcpu vcpus[MAX_VIRT_CPUS];

    struct evtchn evtchn[NR_EVTCHN_PORTS];
    uint32_t console_port;
    struct grant_entry grants[NR_GRANT_REFS];
    struct grant_mapping gnt_maps[GNT_WINDOW_SLOTS];
    struct guest_console console;
};

/* ---- common/domain.c */
struct domain *domain_by_id(uint16_t domid);     /* an ALIVE domain or NULL */
struct domain *domain_slot(unsigned int i);      /* i < CONFIG_MAX_DOMAINS, any state */
void domain_crash(struct domain *d, const char *why);
void domain_shutdown(struct domain *d, unsigned int reason);
/* Guest time (ns since the domain started), as its shared info says. */
uint64_t domain_guest_time(const struct domain *d);

/* ---- guest memory (common/guest_access.c) */
/* Machine frame of gpfn, or INVALID_MFN when outside the domain's memory. */
#define INVALID_MFN (~(uint64_t)0)
uint64_t guest_gpfn_to_mfn(const struct domain *d, uint64_t gpfn);
/* Copy to/from guest pseudo-physical (== guest virtual) memory. Any byte
 * outside [PV_PAGE_SIZE, mem_size) gives -BATON_EFAULT and copies nothing. */
int copy_from_guest(const struct domain *d, void *dst, uint64_t gva, size_t len);
int copy_to_guest(const struct domain *d, uint64_t gva, const void *src, size_t len);

/* ---- arch: the grant window in the domain's page tables */
int guest_map_window(struct domain *d, unsigned int slot, uint64_t mfn, bool readonly);
void guest_unmap_window(struct domain *d, unsigned int slot);

/* ---- scheduler (common/sched.c) */
void vcpu_wake(struct vcpu *v);
void vcpu_block(struct vcpu *v);
/*
 * Pause counts nest. On one CPU the hypervisor code calling this is the only
 * thing running, so when it returns no vCPU of d is on the CPU; the caller's
 * own vCPU, if d is its domain, stops at its next exit to the guest.
 */
void domain_pause(struct domain *d);
void domain_unpause(struct domain *d);

/* ---- event channels (common/event_channel.c) */
long do_event_channel_op(struct domain *d, struct vcpu *v, uint32_t cmd, uint64_t arg);
/* Builder: bind the console port (remote end: the hypervisor). */
int evtchn_init_domain(struct domain *d);
/* Mark port pending in d (mask and upcall logic included) and wake the vCPU. */
void evtchn_set_pending(struct domain *d, uint32_t port);
void send_virq(struct vcpu *v, unsigned int virq);
/* A dying domain: close every port (peers go back to unbound). */
void evtchn_release(struct domain *d);

/* ---- grants (common/grant_table.c) */
long do_grant_table_op(struct domain *d, uint32_t cmd, uint64_t arg);
/* A dying domain: drop its window mappings. */
void gnttab_release(struct domain *d);

/* ---- console (common/guest_console.c) */
/* Start the console budget all guests share (boot, and tests). */
void guest_console_init(void);
long do_console_write(struct domain *d, uint64_t buf, uint64_t len);
/* Drain the domain's console ring (its console port was notified). */
void guest_console_drain(struct domain *d);
/* Emit guest text: "(dN) " per line, rate limited. */
void guest_console_output(struct domain *d, const char *s, size_t n);

#endif
