/*
 * The hypervisor side of the PV ABI in user space, for guest tests: see
 * test_guestemu.h. Every rule here is docs/specs/pv-abi.md's; where the
 * real hypervisor has a choice, this file takes the simplest.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <linux/ptrace.h>
#include <sys/stat.h>
#include <sys/user.h>
#include <sys/wait.h>

#include <public/hypercall.h>
#include "pvclock.h"
#include "test_guestemu.h"

#define MACHINE_SIZE    (1ull << 30)    /* sparse memfd shared by all domains */
#define E(x)            (-(int64_t)BATON_##x)
#define SYSCALL_LEN     2               /* 0f 05 */

enum run_state { ST_FREE, ST_RUNNING, ST_HELD, ST_BLOCKED, ST_DEAD };

struct port {
    uint8_t state;                      /* EVTCHNSTAT_* */
    bool console;
    uint16_t rdom;
    uint32_t rport;
    uint32_t virq;
};

struct grant {
    bool active;
    uint16_t grantee;
    uint16_t flags;
    uint64_t gpfn;
    uint32_t maps;
};

struct slot {
    bool used;
    bool readonly;
    uint16_t granter;
    uint32_t ref;
};

struct dom {
    enum run_state st;
    enum emu_exit exit;
    pid_t pid;
    bool stop_requested;                /* SIGSTOP sent to deliver an upcall */
    bool privileged;
    uint16_t id;
    uint64_t mem_off, mem_size;
    uint8_t *mem;                       /* our view of its memory */
    struct shared_info *sh;
    struct console_ring *con;
    uint64_t upcall_entry;
    uint64_t deadline;
    struct port ports[NR_EVTCHN_PORTS];
    struct grant grants[NR_GRANT_REFS];
    struct slot slots[GNT_WINDOW_SLOTS];
    struct user_regs_struct regs;       /* valid while held or blocked */
    char *out;
    size_t out_len, out_cap;
    bool at_line_start;
};

static struct dom doms[EMU_MAX_DOMS];
static int machine_fd = -1;
static uint8_t *machine;
static uint64_t machine_used;
static uint32_t tsc_mul;
static int8_t tsc_shift;
static bool verbose;

/* ------------------------------------------------------------------ time */

static uint64_t rdtsc(void)
{
    uint32_t lo, hi;

    __asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static uint64_t mono_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* TSC frequency over 50 ms, turned into pvclock's mul and shift. */
static void calibrate_tsc(void)
{
    uint64_t t0 = mono_ns(), c0 = rdtsc();
    struct timespec nap = { 0, 50 * 1000 * 1000 };

    nanosleep(&nap, NULL);
    uint64_t ns = mono_ns() - t0, ticks = rdtsc() - c0;
    /* ns per tick as 32.32, scaled by 2^shift until it fits in 32 bits */
    unsigned __int128 ratio = ((unsigned __int128)ns << 32) / ticks;
    tsc_shift = 0;
    while (ratio > 0xffffffffu) {
        ratio >>= 1;
        tsc_shift++;
    }
    tsc_mul = (uint32_t)ratio;
}

static uint64_t dom_now(struct dom *d)
{
    return pvclock_read(&d->sh->time, rdtsc);
}

/* ---------------------------------------------------------------- output */

static void out_append(struct dom *d, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char prefix[16];
        int plen = 0;
        if (d->at_line_start)
            plen = snprintf(prefix, sizeof(prefix), "(d%u) ", d->id);
        if (d->out_len + (size_t)plen + 2 > d->out_cap) {
            d->out_cap = d->out_cap ? d->out_cap * 2 : 65536;
            d->out = realloc(d->out, d->out_cap);
        }
        memcpy(d->out + d->out_len, prefix, (size_t)plen);
        d->out_len += (size_t)plen;
        d->out[d->out_len++] = s[i];
        d->out[d->out_len] = '\0';
        d->at_line_start = s[i] == '\n';
        if (verbose) {
            fwrite(prefix, 1, (size_t)plen, stderr);
            fputc(s[i], stderr);
        }
    }
}

static void drain_console(struct dom *d)
{
    struct console_ring *r = d->con;
    uint32_t prod = __atomic_load_n(&r->out_prod, __ATOMIC_ACQUIRE);
    uint32_t cons = r->out_cons;

    if (prod - cons > CONSOLE_OUT_SIZE) {      /* broken ring: skip, never overrun */
        __atomic_store_n(&r->out_cons, prod, __ATOMIC_RELEASE);
        return;
    }
    for (; cons != prod; cons++)
        out_append(d, &r->out[CONSOLE_OUT_IDX(cons)], 1);
    __atomic_store_n(&r->out_cons, cons, __ATOMIC_RELEASE);
}

/* ----------------------------------------------------------- guest memory */

static struct dom *live_dom(uint64_t id)
{
    if (id >= EMU_MAX_DOMS)
        return NULL;
    struct dom *d = &doms[id];
    return d->st == ST_FREE || d->st == ST_DEAD ? NULL : d;
}

/* Our pointer to [gva, gva + len) of d, or NULL if any byte is not the guest's. */
static void *guest_ptr(struct dom *d, uint64_t gva, uint64_t len, bool write)
{
    if (gva + len < gva)
        return NULL;
    if (gva >= PV_START_INFO_GPA && gva + len <= d->mem_size)
        return d->mem + gva;
    if (gva < GNT_WINDOW_BASE || gva + len > GNT_WINDOW_ADDR(GNT_WINDOW_SLOTS) || len == 0)
        return NULL;
    uint64_t slot = (gva - GNT_WINDOW_BASE) / PV_PAGE_SIZE;
    struct slot *s = &d->slots[slot];
    if ((gva + len - 1 - GNT_WINDOW_BASE) / PV_PAGE_SIZE != slot || !s->used)
        return NULL;                    /* one slot per access keeps it simple */
    if (write && s->readonly)
        return NULL;
    struct dom *g = &doms[s->granter];
    return g->mem + g->grants[s->ref].gpfn * PV_PAGE_SIZE + (gva % PV_PAGE_SIZE);
}

static int copy_in(struct dom *d, void *dst, uint64_t gva, size_t len)
{
    void *p = guest_ptr(d, gva, len, false);

    if (!p)
        return -1;
    memcpy(dst, p, len);
    return 0;
}

static int copy_out(struct dom *d, uint64_t gva, const void *src, size_t len)
{
    void *p = guest_ptr(d, gva, len, true);

    if (!p)
        return -1;
    memcpy(p, src, len);
    return 0;
}

/* ---------------------------------------------------------------- events */

static void set_bit64(unsigned bit, uint64_t *word, bool *was)
{
    uint64_t old = __atomic_fetch_or(word, 1ull << bit, __ATOMIC_SEQ_CST);

    if (was)
        *was = (old >> bit) & 1;
}

/* The spec's five steps of raising a port. */
static void raise_port(struct dom *d, uint32_t port)
{
    bool was;

    set_bit64(port % 64, &d->sh->evtchn_pending[port / 64], &was);
    if (was)
        return;
    if ((__atomic_load_n(&d->sh->evtchn_mask[port / 64], __ATOMIC_SEQ_CST) >> (port % 64)) & 1)
        return;
    set_bit64(port / 64, &d->sh->vcpu_info[0].evtchn_pending_sel, NULL);
    __atomic_store_n(&d->sh->vcpu_info[0].evtchn_upcall_pending, 1, __ATOMIC_SEQ_CST);
}

static int64_t alloc_port(struct dom *d)
{
    for (uint32_t p = 1; p < NR_EVTCHN_PORTS; p++) {
        if (d->ports[p].state == EVTCHNSTAT_closed)
            return p;
    }
    return E(ENOSPC);
}

static void close_port(struct dom *d, uint32_t port)
{
    struct port *p = &d->ports[port];
    struct dom *r = p->state == EVTCHNSTAT_interdomain && !p->console ? live_dom(p->rdom) : NULL;

    if (r) {
        r->ports[p->rport].state = EVTCHNSTAT_unbound;
        r->ports[p->rport].rdom = d->id;
        r->ports[p->rport].rport = 0;
    }
    memset(p, 0, sizeof(*p));
    __atomic_fetch_and(&d->sh->evtchn_pending[port / 64], ~(1ull << (port % 64)), __ATOMIC_SEQ_CST);
}

static bool bad_port(uint32_t port)
{
    return port == 0 || port >= NR_EVTCHN_PORTS;
}

static int64_t ev_alloc_unbound(struct dom *d, struct evtchn_alloc_unbound *a)
{
    if (a->pad || a->remote_dom >= DOMID_FIRST_RESERVED)
        return E(EINVAL);
    int64_t port = alloc_port(d);
    if (port < 0)
        return port;
    d->ports[port] = (struct port){ .state = EVTCHNSTAT_unbound, .rdom = a->remote_dom };
    a->port = (uint32_t)port;
    return 0;
}

static int64_t ev_bind_interdomain(struct dom *d, struct evtchn_bind_interdomain *a)
{
    if (a->pad || a->remote_dom >= DOMID_FIRST_RESERVED)
        return E(EINVAL);
    struct dom *r = live_dom(a->remote_dom);
    if (!r)
        return E(ENOENT);
    if (bad_port(a->remote_port))
        return E(EINVAL);
    struct port *rp = &r->ports[a->remote_port];
    if (rp->state != EVTCHNSTAT_unbound || rp->rdom != d->id)
        return E(EINVAL);
    int64_t port = alloc_port(d);
    if (port < 0)
        return port;
    d->ports[port] = (struct port){ .state = EVTCHNSTAT_interdomain, .rdom = r->id,
                                    .rport = a->remote_port };
    rp->state = EVTCHNSTAT_interdomain;
    rp->rport = (uint32_t)port;
    a->local_port = (uint32_t)port;
    return 0;
}

static int64_t ev_bind_virq(struct dom *d, struct evtchn_bind_virq *a)
{
    if (a->virq != VIRQ_TIMER)
        return E(EINVAL);
    if (a->vcpu >= 1)
        return E(ENOENT);
    for (uint32_t p = 1; p < NR_EVTCHN_PORTS; p++) {
        if (d->ports[p].state == EVTCHNSTAT_virq && d->ports[p].virq == a->virq)
            return E(EEXIST);
    }
    int64_t port = alloc_port(d);
    if (port < 0)
        return port;
    d->ports[port] = (struct port){ .state = EVTCHNSTAT_virq, .virq = a->virq };
    a->port = (uint32_t)port;
    return 0;
}

static int64_t ev_send(struct dom *d, uint32_t port)
{
    if (bad_port(port))
        return E(EINVAL);
    struct port *p = &d->ports[port];
    if (p->state == EVTCHNSTAT_closed || p->state == EVTCHNSTAT_virq)
        return E(EINVAL);
    if (p->console)
        drain_console(d);
    else if (p->state == EVTCHNSTAT_interdomain && live_dom(p->rdom))
        raise_port(&doms[p->rdom], p->rport);
    return 0;
}

static int64_t ev_close(struct dom *d, uint32_t port)
{
    if (bad_port(port) || d->ports[port].state == EVTCHNSTAT_closed)
        return E(EINVAL);
    if (d->ports[port].console)
        return E(EPERM);
    close_port(d, port);
    return 0;
}

static int64_t ev_status(struct dom *d, struct evtchn_status *a)
{
    if (bad_port(a->port))
        return E(EINVAL);
    struct port *p = &d->ports[a->port];
    a->state = p->state;
    a->remote_dom = p->console ? DOMID_HYPERVISOR : p->rdom;
    a->pad = 0;
    a->remote_port_or_virq = p->state == EVTCHNSTAT_virq ? p->virq : p->rport;
    return 0;
}

/* Copy the struct in, run the op, copy it back out on success. */
static int64_t do_event_channel_op(struct dom *d, uint32_t cmd, uint64_t arg)
{
    static const size_t sizes[NR_EVTCHNOPS] = {
        sizeof(struct evtchn_alloc_unbound), sizeof(struct evtchn_bind_interdomain),
        sizeof(struct evtchn_bind_virq), sizeof(struct evtchn_send),
        sizeof(struct evtchn_close), sizeof(struct evtchn_status),
    };
    union {
        struct evtchn_alloc_unbound au;
        struct evtchn_bind_interdomain bi;
        struct evtchn_bind_virq bv;
        struct evtchn_send s;
        struct evtchn_close c;
        struct evtchn_status st;
    } u;
    int64_t rc;

    if (cmd >= NR_EVTCHNOPS)
        return E(ENOSYS);
    if (copy_in(d, &u, arg, sizes[cmd]))
        return E(EFAULT);
    switch (cmd) {
    case EVTCHNOP_alloc_unbound:    rc = ev_alloc_unbound(d, &u.au); break;
    case EVTCHNOP_bind_interdomain: rc = ev_bind_interdomain(d, &u.bi); break;
    case EVTCHNOP_bind_virq:        rc = ev_bind_virq(d, &u.bv); break;
    case EVTCHNOP_send:             rc = ev_send(d, u.s.port); break;
    case EVTCHNOP_close:            rc = ev_close(d, u.c.port); break;
    default:                        rc = ev_status(d, &u.st); break;
    }
    if (rc == 0 && copy_out(d, arg, &u, sizes[cmd]))
        return E(EFAULT);
    return rc;
}

/* ------------------------------------------------------------------ grants */

/*
 * Run one real system call inside the child, stopped at a hypercall (for
 * grant mmaps): point it back at its own `syscall` with the call's
 * registers, resume with PTRACE_SYSCALL until the exit of that call (the
 * skipped hypercall may report an exit of its own first), then put its
 * registers back.
 */
static long inject_syscall(struct dom *d, long nr, long a1, long a2, long a3, long a4,
                           long a5, long a6)
{
    struct user_regs_struct r = d->regs;
    struct ptrace_syscall_info info;
    bool entered = false;
    int status;

    r.rip -= SYSCALL_LEN;
    r.rax = (unsigned long)nr;
    r.orig_rax = (unsigned long)-1;
    r.rdi = (unsigned long)a1; r.rsi = (unsigned long)a2; r.rdx = (unsigned long)a3;
    r.r10 = (unsigned long)a4; r.r8 = (unsigned long)a5; r.r9 = (unsigned long)a6;
    ptrace(PTRACE_SETREGS, d->pid, 0, &r);
    for (;;) {
        ptrace(PTRACE_SYSCALL, d->pid, 0, 0);
        if (waitpid(d->pid, &status, __WALL) < 0 || !WIFSTOPPED(status))
            return -ESRCH;
        if (WSTOPSIG(status) == SIGSTOP) {
            d->stop_requested = false;  /* our upcall kick; step() sends another */
            continue;
        }
        if (WSTOPSIG(status) != (SIGTRAP | 0x80))
            return -EFAULT;
        ptrace(PTRACE_GET_SYSCALL_INFO, d->pid, sizeof(info), &info);
        if (info.op == PTRACE_SYSCALL_INFO_ENTRY)
            entered = info.entry.nr == (unsigned long)nr;
        else if (info.op == PTRACE_SYSCALL_INFO_EXIT && entered)
            break;
    }
    ptrace(PTRACE_GETREGS, d->pid, 0, &r);
    ptrace(PTRACE_SETREGS, d->pid, 0, &d->regs);
    return (long)r.rax;
}

static int64_t gnt_grant_access(struct dom *d, struct gnttab_grant_access *a)
{
    if (a->ref >= NR_GRANT_REFS || (a->flags & ~GNTF_MASK) ||
        a->domid >= DOMID_FIRST_RESERVED || a->domid == d->id ||
        a->gpfn < PV_KERNEL_FIRST_PFN || a->gpfn >= d->mem_size / PV_PAGE_SIZE)
        return E(EINVAL);
    if (d->grants[a->ref].active)
        return E(EEXIST);
    d->grants[a->ref] = (struct grant){ .active = true, .grantee = a->domid,
                                        .flags = a->flags, .gpfn = a->gpfn };
    return 0;
}

static int64_t gnt_end_access(struct dom *d, uint32_t ref)
{
    if (ref >= NR_GRANT_REFS)
        return E(EINVAL);
    if (!d->grants[ref].active)
        return E(ENOENT);
    if (d->grants[ref].maps)
        return E(EBUSY);
    d->grants[ref].active = false;
    return 0;
}

static int64_t gnt_map(struct dom *d, struct gnttab_map *a)
{
    if (a->pad || (a->flags & ~GNTMAP_MASK) || a->slot >= GNT_WINDOW_SLOTS ||
        a->ref >= NR_GRANT_REFS || a->domid >= DOMID_FIRST_RESERVED || a->domid == d->id)
        return E(EINVAL);
    struct dom *g = live_dom(a->domid);
    if (!g || !g->grants[a->ref].active || g->grants[a->ref].grantee != d->id)
        return E(ENOENT);
    if (d->slots[a->slot].used)
        return E(EBUSY);
    bool ro = a->flags & GNTMAP_readonly;
    if ((g->grants[a->ref].flags & GNTF_readonly) && !ro)
        return E(EPERM);
    long rc = inject_syscall(d, 9 /* mmap */, (long)GNT_WINDOW_ADDR(a->slot), PV_PAGE_SIZE,
                             PROT_READ | (ro ? 0 : PROT_WRITE), MAP_SHARED | MAP_FIXED,
                             machine_fd,
                             (long)(g->mem_off + g->grants[a->ref].gpfn * PV_PAGE_SIZE));
    if (rc < 0 && rc > -4096)
        return E(EAGAIN);               /* host trouble, not the guest's fault */
    d->slots[a->slot] = (struct slot){ .used = true, .readonly = ro, .granter = g->id,
                                       .ref = a->ref };
    g->grants[a->ref].maps++;
    return 0;
}

static void drop_slot(struct dom *d, uint32_t slot, bool live)
{
    struct slot *s = &d->slots[slot];
    struct dom *g = &doms[s->granter];

    if (live)
        inject_syscall(d, 11 /* munmap */, (long)GNT_WINDOW_ADDR(slot), PV_PAGE_SIZE, 0, 0, 0, 0);
    if (g->grants[s->ref].maps)
        g->grants[s->ref].maps--;
    s->used = false;
}

static int64_t gnt_unmap(struct dom *d, uint32_t slot)
{
    if (slot >= GNT_WINDOW_SLOTS)
        return E(EINVAL);
    if (!d->slots[slot].used)
        return E(ENOENT);
    drop_slot(d, slot, true);
    return 0;
}

static int64_t do_grant_table_op(struct dom *d, uint32_t cmd, uint64_t arg)
{
    static const size_t sizes[NR_GNTTABOPS] = {
        sizeof(struct gnttab_grant_access), sizeof(struct gnttab_end_access),
        sizeof(struct gnttab_map), sizeof(struct gnttab_unmap),
    };
    union {
        struct gnttab_grant_access ga;
        struct gnttab_end_access ea;
        struct gnttab_map m;
        struct gnttab_unmap u;
    } u;

    if (cmd >= NR_GNTTABOPS)
        return E(ENOSYS);
    if (copy_in(d, &u, arg, sizes[cmd]))
        return E(EFAULT);
    switch (cmd) {
    case GNTTABOP_grant_access: return gnt_grant_access(d, &u.ga);
    case GNTTABOP_end_access:   return gnt_end_access(d, u.ea.ref);
    case GNTTABOP_map:          return gnt_map(d, &u.m);
    default:                    return gnt_unmap(d, u.u.slot);
    }
}

/* ------------------------------------------------------------ vcpu, upcall */

static int64_t do_vcpu_op(struct dom *d, uint32_t cmd, uint32_t vcpu, uint64_t arg)
{
    struct vcpu_register_upcall r;

    if (cmd >= NR_VCPUOPS)
        return E(ENOSYS);
    if (vcpu >= 1)
        return E(ENOENT);
    if (cmd == VCPUOP_get_info)
        return E(ENOSYS);               /* optional in the spec */
    if (copy_in(d, &r, arg, sizeof(r)))
        return E(EFAULT);
    if (r.reserved || (r.entry && (r.entry < PV_KERNEL_BASE || r.entry >= d->mem_size)))
        return E(EINVAL);
    d->upcall_entry = r.entry;
    return 0;
}

static void kill_dom(struct dom *d, enum emu_exit why, const char *msg);

/* Build the upcall frame if one is due (spec section 9). */
static void maybe_deliver_upcall(struct dom *d)
{
    struct vcpu_info *v = &d->sh->vcpu_info[0];
    struct user_regs_struct *r = &d->regs;

    if (!v->evtchn_upcall_pending || v->evtchn_upcall_mask || !d->upcall_entry)
        return;
    uint64_t frame = (r->rsp - UPCALL_RED_ZONE - UPCALL_FRAME_SIZE) & ~(uint64_t)15;
    struct upcall_frame f = {
        .rax = r->rax, .rbx = r->rbx, .rcx = r->rcx, .rdx = r->rdx,
        .rsi = r->rsi, .rdi = r->rdi, .rbp = r->rbp, .rsp = r->rsp,
        .r8 = r->r8, .r9 = r->r9, .r10 = r->r10, .r11 = r->r11,
        .r12 = r->r12, .r13 = r->r13, .r14 = r->r14, .r15 = r->r15,
        .rip = r->rip, .rflags = r->eflags,
    };
    uint64_t zero = 0;
    if (frame < 8 || copy_out(d, frame, &f, sizeof(f)) || copy_out(d, frame - 8, &zero, 8)) {
        kill_dom(d, EMU_EXIT_FAULT, "bad upcall stack");
        return;
    }
    v->evtchn_upcall_mask = 1;
    r->rip = d->upcall_entry;
    r->rdi = frame;
    r->rsp = frame - 8;
    r->eflags = 0x202;
}

static int64_t do_upcall_return(struct dom *d, uint64_t arg)
{
    struct upcall_frame f;
    struct user_regs_struct *r = &d->regs;

    if (copy_in(d, &f, arg, sizeof(f)))
        return E(EFAULT);
    if (f.rip >= PV_USER_TOP)
        return E(EINVAL);
    r->rax = f.rax; r->rbx = f.rbx; r->rcx = f.rcx; r->rdx = f.rdx;
    r->rsi = f.rsi; r->rdi = f.rdi; r->rbp = f.rbp; r->rsp = f.rsp;
    r->r8 = f.r8; r->r9 = f.r9; r->r10 = f.r10; r->r11 = f.r11;
    r->r12 = f.r12; r->r13 = f.r13; r->r14 = f.r14; r->r15 = f.r15;
    r->rip = f.rip;
    r->eflags = (f.rflags & UPCALL_RFLAGS_GUEST) | 0x202;
    d->sh->vcpu_info[0].evtchn_upcall_mask = 0;
    return 0;
}

/* ------------------------------------------------------------ hypercalls */

static int64_t do_console_write(struct dom *d, uint64_t buf, uint64_t len)
{
    if (len > CONSOLE_WRITE_MAX)
        return E(EINVAL);
    if (len == 0)
        return 0;
    const char *p = guest_ptr(d, buf, len, false);
    if (!p)
        return E(EFAULT);
    out_append(d, p, len);
    return (int64_t)len;
}

static int64_t do_shutdown(struct dom *d, uint32_t reason)
{
    static const enum emu_exit why[] = { EMU_EXIT_POWEROFF, EMU_EXIT_REBOOT, EMU_EXIT_CRASH };

    if (reason >= NR_SHUTDOWN_REASONS)
        return E(EINVAL);
    kill_dom(d, why[reason], NULL);
    return 0;
}

/* One hypercall; d->regs holds the caller's registers (rip after syscall). */
static int64_t do_hypercall(struct dom *d, bool *resume_as_is)
{
    struct user_regs_struct *r = &d->regs;
    uint64_t nr = r->orig_rax, a1 = r->rdi, a2 = r->rsi, a3 = r->rdx;

    *resume_as_is = false;
    switch (nr) {
    case HYPERCALL_console_write:   return do_console_write(d, a1, a2);
    case HYPERCALL_sched_yield:     return 0;
    case HYPERCALL_sched_block:
        if (!d->sh->vcpu_info[0].evtchn_upcall_pending)
            d->st = ST_BLOCKED;
        return 0;
    case HYPERCALL_set_timer:
        if (a1 >= SET_TIMER_MAX_NS)
            return E(EINVAL);
        d->deadline = a1;
        return 0;
    case HYPERCALL_event_channel_op: return do_event_channel_op(d, (uint32_t)a1, a2);
    case HYPERCALL_grant_table_op:  return do_grant_table_op(d, (uint32_t)a1, a2);
    case HYPERCALL_vcpu_op:         return do_vcpu_op(d, (uint32_t)a1, (uint32_t)a2, a3);
    case HYPERCALL_domain_shutdown: return do_shutdown(d, (uint32_t)a1);
    case HYPERCALL_upcall_return: {
        int64_t rc = do_upcall_return(d, a1);
        *resume_as_is = rc == 0;
        return rc;
    }
    case HYPERCALL_control_op:      return d->privileged ? E(ENOSYS) : E(EPERM);
    default:                        return E(ENOSYS);
    }
}

/* ----------------------------------------------------------------- domains */

static void kill_dom(struct dom *d, enum emu_exit why, const char *msg)
{
    if (d->st == ST_DEAD || d->st == ST_FREE)
        return;
    if (msg) {
        char line[160];
        int n = snprintf(line, sizeof(line), "[emu] domain %u killed: %s\n", d->id, msg);
        out_append(d, line, (size_t)n);
    }
    drain_console(d);
    kill(d->pid, SIGKILL);
    waitpid(d->pid, NULL, __WALL);
    d->st = ST_DEAD;
    d->exit = why;
    for (uint32_t p = 1; p < NR_EVTCHN_PORTS; p++) {
        if (d->ports[p].state != EVTCHNSTAT_closed)
            close_port(d, p);
    }
    for (uint32_t s = 0; s < GNT_WINDOW_SLOTS; s++) {
        if (d->slots[s].used)
            drop_slot(d, s, false);
    }
}

/* Let a held domain go on, delivering an upcall first if one is due. */
static void resume(struct dom *d)
{
    maybe_deliver_upcall(d);
    if (d->st == ST_DEAD)
        return;
    ptrace(PTRACE_SETREGS, d->pid, 0, &d->regs);
    ptrace(PTRACE_SYSEMU, d->pid, 0, 0);
    d->st = ST_RUNNING;
}

static void handle_stop(struct dom *d, int status)
{
    if (!WIFSTOPPED(status)) {
        d->st = ST_HELD;                /* so that kill_dom reaps nothing twice */
        kill_dom(d, EMU_EXIT_FAULT, "process ended");
        return;
    }
    int sig = WSTOPSIG(status);
    d->st = ST_HELD;
    ptrace(PTRACE_GETREGS, d->pid, 0, &d->regs);
    if (sig == (SIGTRAP | 0x80)) {
        bool as_is;
        int64_t rc = do_hypercall(d, &as_is);
        if (d->st == ST_DEAD)
            return;
        if (!as_is)
            d->regs.rax = (uint64_t)rc;
        if (d->st == ST_HELD)
            resume(d);
        return;
    }
    if (sig == SIGSTOP) {               /* our kick for an upcall */
        d->stop_requested = false;
        resume(d);
        return;
    }
    char msg[96];
    snprintf(msg, sizeof(msg), "fault: signal %d (%s) at rip=%#llx", sig, strsignal(sig),
             (unsigned long long)d->regs.rip);
    kill_dom(d, EMU_EXIT_FAULT, msg);
}

/* The builder's checks on the kernel ELF (spec section 1). */
static int load_elf(struct dom *d, const char *path, uint64_t *entry)
{
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0)
        return -1;
    uint8_t *img = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (img == MAP_FAILED)
        return -1;
    const Elf64_Ehdr *eh = (const void *)img;
    int rc = -1;
    bool entry_ok = false;
    if ((size_t)st.st_size < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
        eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_machine != EM_X86_64 ||
        eh->e_type != ET_EXEC || eh->e_phoff + (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) >
        (uint64_t)st.st_size)
        goto out;
    for (unsigned i = 0; i < eh->e_phnum; i++) {
        const Elf64_Phdr *ph = (const void *)(img + eh->e_phoff + i * sizeof(Elf64_Phdr));
        if (ph->p_type != PT_LOAD)
            continue;
        if (ph->p_vaddr < PV_KERNEL_BASE || ph->p_vaddr + ph->p_memsz < ph->p_vaddr ||
            ph->p_vaddr + ph->p_memsz > d->mem_size || ph->p_filesz > ph->p_memsz ||
            ph->p_offset + ph->p_filesz > (uint64_t)st.st_size)
            goto out;
        memcpy(d->mem + ph->p_vaddr, img + ph->p_offset, ph->p_filesz);
        if (eh->e_entry >= ph->p_vaddr && eh->e_entry < ph->p_vaddr + ph->p_memsz)
            entry_ok = true;
    }
    *entry = eh->e_entry;
    rc = entry_ok ? 0 : -1;
out:
    munmap(img, (size_t)st.st_size);
    return rc;
}

static void write_start_info(struct dom *d, const char *name, const char *cmdline)
{
    struct start_info *si = (struct start_info *)(d->mem + PV_START_INFO_GPA);

    si->magic = START_INFO_MAGIC;
    si->abi_version = PV_ABI_VERSION;
    si->domid = d->id;
    si->flags = d->privileged ? SIF_PRIVILEGED : 0;
    si->mem_size = d->mem_size;
    si->shared_info = PV_SHARED_INFO_GPA;
    si->console_ring = PV_CONSOLE_RING_GPA;
    si->nr_vcpus = 1;
    snprintf(si->name, sizeof(si->name), "%s", name);
    snprintf(si->cmdline, sizeof(si->cmdline), "%s", cmdline);
    /* the console port: the lowest, bound to the hypervisor */
    d->ports[1] = (struct port){ .state = EVTCHNSTAT_interdomain, .console = true };
    si->console_port = 1;
    d->sh->time.tsc_timestamp = rdtsc();
    d->sh->time.tsc_to_system_mul = tsc_mul;
    d->sh->time.tsc_shift = tsc_shift;
    d->sh->time.version = 2;
}

/* The child: map its memory at 0x1000 and stop until we set its registers. */
static pid_t spawn(struct dom *d)
{
    pid_t pid = fork();

    if (pid != 0)
        return pid;
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    void *p = mmap((void *)PV_START_INFO_GPA, d->mem_size - PV_START_INFO_GPA,
                   PROT_READ | PROT_WRITE | PROT_EXEC, MAP_SHARED | MAP_FIXED_NOREPLACE,
                   machine_fd, (off_t)(d->mem_off + PV_START_INFO_GPA));
    if (p != (void *)PV_START_INFO_GPA)
        _exit(99);
    ptrace(PTRACE_TRACEME, 0, 0, 0);
    raise(SIGSTOP);
    _exit(98);
}

static int start_child(struct dom *d, uint64_t entry)
{
    int status;

    d->pid = spawn(d);
    if (d->pid < 0 || waitpid(d->pid, &status, __WALL) < 0 || !WIFSTOPPED(status))
        return -1;
    ptrace(PTRACE_SETOPTIONS, d->pid, 0, PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL);
    ptrace(PTRACE_GETREGS, d->pid, 0, &d->regs);
    struct user_regs_struct *r = &d->regs;
    r->rax = r->rbx = r->rcx = r->rdx = r->rsi = r->rbp = 0;
    r->r8 = r->r9 = r->r10 = r->r11 = r->r12 = r->r13 = r->r14 = r->r15 = 0;
    r->rip = entry;
    r->rdi = PV_START_INFO_GPA;
    r->rsp = d->mem_size;
    r->eflags = 0x202;
    r->orig_rax = (unsigned long)-1;    /* no syscall restart on the way out */
    d->st = ST_HELD;
    resume(d);
    return 0;
}

int emu_create(const char *elf_path, const char *name, uint64_t mem_size,
               const char *cmdline, bool privileged)
{
    int id = 0;
    uint64_t entry;

    while (id < EMU_MAX_DOMS && doms[id].st != ST_FREE)
        id++;
    if (id == EMU_MAX_DOMS || machine_used + mem_size > MACHINE_SIZE)
        return -1;
    struct dom *d = &doms[id];
    memset(d, 0, sizeof(*d));
    d->id = (uint16_t)id;
    d->privileged = privileged;
    d->mem_off = machine_used;
    d->mem_size = mem_size;
    d->mem = machine + machine_used;
    d->sh = (struct shared_info *)(d->mem + PV_SHARED_INFO_GPA);
    d->con = (struct console_ring *)(d->mem + PV_CONSOLE_RING_GPA);
    d->at_line_start = true;
    machine_used += mem_size;
    d->st = ST_HELD;
    if (load_elf(d, elf_path, &entry) < 0) {
        d->st = ST_DEAD;
        d->exit = EMU_EXIT_BUILD;
        return -1;
    }
    write_start_info(d, name, cmdline);
    if (start_child(d, entry) < 0) {
        d->st = ST_DEAD;
        d->exit = EMU_EXIT_BUILD;
        return -1;
    }
    return id;
}

/* ------------------------------------------------------------- main loop */

/* Poll every domain once; true if anything happened. */
static bool step(void)
{
    bool busy = false;

    for (int i = 0; i < EMU_MAX_DOMS; i++) {
        struct dom *d = &doms[i];
        int status;
        if (d->st == ST_RUNNING && waitpid(d->pid, &status, WNOHANG | __WALL) > 0) {
            handle_stop(d, status);
            busy = true;
        }
        if (d->st == ST_FREE || d->st == ST_DEAD)
            continue;
        if (d->deadline && dom_now(d) >= d->deadline) {
            d->deadline = 0;
            for (uint32_t p = 1; p < NR_EVTCHN_PORTS; p++) {
                if (d->ports[p].state == EVTCHNSTAT_virq && d->ports[p].virq == VIRQ_TIMER)
                    raise_port(d, p);
            }
        }
        struct vcpu_info *v = &d->sh->vcpu_info[0];
        if (d->st == ST_BLOCKED && v->evtchn_upcall_pending) {
            resume(d);
            busy = true;
        } else if (d->st == ST_RUNNING && v->evtchn_upcall_pending && !v->evtchn_upcall_mask &&
                   d->upcall_entry && !d->stop_requested) {
            d->stop_requested = true;   /* like an interrupt: upcall on the way back */
            kill(d->pid, SIGSTOP);
        }
    }
    return busy;
}

static bool run(bool (*done)(int, const char *), int domid, const char *text, unsigned ms)
{
    uint64_t end = mono_ns() + (uint64_t)ms * 1000000ull;

    while (mono_ns() < end) {
        if (done && done(domid, text))
            return true;
        if (!step()) {
            struct timespec nap = { 0, 50 * 1000 };
            nanosleep(&nap, NULL);
        }
    }
    return done && done(domid, text);
}

static bool output_has(int domid, const char *text)
{
    struct dom *d = &doms[domid];

    if (d->st == ST_DEAD)
        return true;                    /* stop waiting: the caller checks */
    return d->out && strstr(d->out, text);
}

static bool is_dead(int domid, const char *text)
{
    (void)text;
    return doms[domid].st == ST_DEAD;
}

bool emu_run_until(int domid, const char *text, unsigned timeout_ms)
{
    run(output_has, domid, text, timeout_ms);
    return doms[domid].out && strstr(doms[domid].out, text);
}

bool emu_run_until_dead(int domid, unsigned timeout_ms)
{
    return run(is_dead, domid, NULL, timeout_ms);
}

void emu_run_for(unsigned ms)
{
    run(NULL, 0, NULL, ms);
}

const char *emu_output(int domid)
{
    return doms[domid].out ? doms[domid].out : "";
}

enum emu_exit emu_exit_reason(int domid)
{
    return doms[domid].exit;
}

int emu_init(void)
{
    verbose = getenv("GUESTEMU_VERBOSE") != NULL;
    if (!tsc_mul)
        calibrate_tsc();
    memset(doms, 0, sizeof(doms));
    machine_used = 0;
    machine_fd = memfd_create("guestemu-machine", 0);
    if (machine_fd < 0 || ftruncate(machine_fd, (off_t)MACHINE_SIZE) < 0)
        return -errno;
    machine = mmap(NULL, MACHINE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, machine_fd, 0);
    if (machine == MAP_FAILED)
        return -errno;
    return 0;
}

void emu_fini(void)
{
    for (int i = 0; i < EMU_MAX_DOMS; i++) {
        kill_dom(&doms[i], EMU_EXIT_POWEROFF, NULL);
        free(doms[i].out);
        doms[i].out = NULL;
    }
    if (machine && machine != MAP_FAILED)
        munmap(machine, MACHINE_SIZE);
    if (machine_fd >= 0)
        close(machine_fd);
    machine = NULL;
    machine_fd = -1;
}
