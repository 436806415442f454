/*
 * x86 vCPUs: each has a hypervisor stack (through vmap, between guard
 * pages) whose top holds the guest's register frame whenever the vCPU is
 * switched out; the context switch; and the vCPU's domain context entry
 * (DOMCTX_TYPE_VCPU), which is that frame plus what the frame lacks.
 * The x87/SSE registers are switched here too; their state and context
 * entry are fpu.c's.
 *
 * A vCPU is only ever switched out at a restartable point: in
 * pv_exit_to_guest, with its frame complete (a hypercall's result already
 * in rax, including sched_block's). So a vCPU restored from its registers
 * alone, on a fresh stack that enters through the same exit path, carries
 * on exactly where it stopped.
 */
#include <asm/fpu.h>
#include <asm/io.h>
#include <asm/page.h>
#include <asm/regs.h>
#include <baton/arch.h>
#include <baton/domain.h>
#include <baton/domctx.h>
#include <baton/errno.h>
#include <baton/lib.h>
#include <baton/page_alloc.h>
#include <baton/printk.h>
#include <baton/sched.h>
#include <baton/traps.h>
#include <baton/vmap.h>

#define KSTACK_ORDER  2
#define KSTACK_PAGES  (1u << KSTACK_ORDER)
#define KSTACK_SIZE   (PAGE_SIZE << KSTACK_ORDER)

#define RFLAGS_FIXED  (1ULL << 1)
/* What a ring-3 guest may hold in rflags: arithmetic flags, TF, IF, DF, RF,
 * AC and ID. Never IOPL, NT, VM, VIF or VIP. */
#define RFLAGS_GUEST_OK UINT64_C(0x250fd7)


/* Read by syscall_entry: the running vCPU's stack top. */
uint64_t pv_kstack_top;

static uint64_t kstack_top(const struct vcpu *v)
{
    return (uint64_t)(uintptr_t)v->arch.kstack + KSTACK_SIZE;
}

/* The guest frame of v: always at the top of its hypervisor stack. */
static struct cpu_user_regs *guest_regs(const struct vcpu *v)
{
    return (struct cpu_user_regs *)(uintptr_t)kstack_top(v) - 1;
}

/* The registers of a switched-out vCPU: on its stack once started. */
static struct cpu_user_regs *vcpu_regs(struct vcpu *v)
{
    return v->arch.kstack ? guest_regs(v) : &v->arch.regs;
}

void arch_vcpu_init_regs(struct vcpu *v, uint64_t entry, uint64_t rsp, uint64_t rdi)
{
    struct cpu_user_regs *r = &v->arch.regs;

    memset(r, 0, sizeof(*r));
    r->rip = entry;
    r->cs = GDT_USER_CS;
    r->rflags = RFLAGS_IF | RFLAGS_FIXED;
    r->rsp = rsp;
    r->ss = GDT_USER_DS;
    r->rdi = rdi;
    fpu_state_reset(&v->arch.fpu);
}

int arch_vcpu_start(struct vcpu *v)
{
    pfn_t pfn = page_alloc(KSTACK_ORDER);
    mfn_t mfns[KSTACK_PAGES];
    uint64_t *sp;

    if (pfn == INVALID_PFN)
        return -BATON_ENOMEM;
    /* through vmap, between unmapped guard pages: an overflow faults (and
     * the double fault handler reports it) instead of corrupting memory */
    for (unsigned int i = 0; i < KSTACK_PAGES; i++)
        mfns[i] = pfn + i;
    v->arch.kstack = vmap(mfns, KSTACK_PAGES);
    if (!v->arch.kstack) {
        page_free(pfn, KSTACK_ORDER);
        return -BATON_ENOMEM;
    }
    v->arch.kstack_pfn = pfn;
    *guest_regs(v) = v->arch.regs;
    /* what switch_stacks pops: six callee-saved registers and a return
     * address, the trampoline into the exit path */
    sp = (uint64_t *)guest_regs(v);
    *--sp = (uint64_t)(uintptr_t)vcpu_start_trampoline;
    for (unsigned int i = 0; i < 6; i++)
        *--sp = 0;
    v->arch.ksp = (uint64_t)(uintptr_t)sp;
    return 0;
}

void arch_vcpu_set_return(struct vcpu *v, long rc)
{
    ASSERT(v != current);
    vcpu_regs(v)->rax = (uint64_t)rc;
}

void arch_vcpu_destroy(struct vcpu *v)
{
    ASSERT(v != current);
    if (!v->arch.kstack)
        return;
    /* the registers outlive the stack, for a later save or restart */
    v->arch.regs = *guest_regs(v);
    vunmap(v->arch.kstack, KSTACK_PAGES);
    page_free(v->arch.kstack_pfn, KSTACK_ORDER);
    v->arch.kstack = NULL;
    v->arch.ksp = 0;
}

static void save_data_selectors(struct vcpu *v)
{
    __asm__ volatile("mov %%ds, %0; mov %%es, %1; mov %%fs, %2; mov %%gs, %3"
                     : "=r"(v->arch.ds), "=r"(v->arch.es), "=r"(v->arch.fs), "=r"(v->arch.gs));
}

/* Loading a selector also loads its base (0 for every selector a guest may
 * hold): guests never see another domain's data selectors or bases. */
static void load_data_selectors(const struct vcpu *v)
{
    __asm__ volatile("mov %0, %%ds; mov %1, %%es; mov %2, %%fs; mov %3, %%gs"
                     : : "r"(v->arch.ds), "r"(v->arch.es), "r"(v->arch.fs), "r"(v->arch.gs)
                     : "memory");
}

void arch_context_switch(struct vcpu *prev, struct vcpu *next)
{
    /* x87/SSE eagerly, both ways (why: fpu.c): the idle vCPU has no state
     * and the hypervisor uses none, so only guests save and load */
    if (!is_idle_vcpu(prev)) {
        save_data_selectors(prev);
        fpu_save(&prev->arch.fpu);
    }
    if (is_idle_vcpu(next)) {
        write_cr3(idle_pt_root);
    } else {
        load_data_selectors(next);
        fpu_restore(&next->arch.fpu);
        pv_kstack_top = kstack_top(next);
        tss_set_rsp0(pv_kstack_top);
        /* the I/O bitmap follows the domain: only one with ports (domain 0,
         * COM2) may reach any; every other port access faults (#GP) */
        tss_set_io_ports(next->domain->ioport_first, next->domain->ioport_count);
        write_cr3(next->domain->pt_root);
    }
    switch_stacks(&prev->arch.ksp, next->arch.ksp);
}

/* ---------------------------------------------------------------- context */

static const uint8_t state_to_ctx[] = {
    [VCPU_RUNNABLE] = DOMCTX_VCPU_RUNNABLE,
    [VCPU_BLOCKED] = DOMCTX_VCPU_BLOCKED,
    [VCPU_OFFLINE] = DOMCTX_VCPU_OFFLINE,
};

static void regs_to_ctx(const struct cpu_user_regs *r, struct domctx_vcpu *c)
{
    c->rax = r->rax; c->rbx = r->rbx; c->rcx = r->rcx; c->rdx = r->rdx;
    c->rsi = r->rsi; c->rdi = r->rdi; c->rbp = r->rbp; c->rsp = r->rsp;
    c->r8 = r->r8; c->r9 = r->r9; c->r10 = r->r10; c->r11 = r->r11;
    c->r12 = r->r12; c->r13 = r->r13; c->r14 = r->r14; c->r15 = r->r15;
    c->rip = r->rip; c->rflags = r->rflags;
    c->cs = (uint16_t)r->cs; c->ss = (uint16_t)r->ss;
}

static void ctx_to_regs(const struct domctx_vcpu *c, struct cpu_user_regs *r)
{
    memset(r, 0, sizeof(*r));
    r->rax = c->rax; r->rbx = c->rbx; r->rcx = c->rcx; r->rdx = c->rdx;
    r->rsi = c->rsi; r->rdi = c->rdi; r->rbp = c->rbp; r->rsp = c->rsp;
    r->r8 = c->r8; r->r9 = c->r9; r->r10 = c->r10; r->r11 = c->r11;
    r->r12 = c->r12; r->r13 = c->r13; r->r14 = c->r14; r->r15 = c->r15;
    r->rip = c->rip; r->rflags = c->rflags;
    r->cs = c->cs; r->ss = c->ss;
}

static int vcpu_save(struct domain *d, unsigned int id, struct domctx_save_ctx *c)
{
    struct vcpu *v = &d->vcpus[id];
    struct domctx_vcpu e = {
        .upcall_entry = v->upcall_entry,
        .ds = v->arch.ds, .es = v->arch.es, .fs = v->arch.fs, .gs = v->arch.gs,
        .state = state_to_ctx[v->state],
    };

    /* a running vCPU's frame is incomplete: only switched-out ones are saved */
    BUG_ON(v == current);
    regs_to_ctx(vcpu_regs(v), &e);
    if (d->shared_info) {
        const struct vcpu_info *vi = &d->shared_info->vcpu_info[id];

        e.upcall_pending = __atomic_load_n(&vi->evtchn_upcall_pending, __ATOMIC_SEQ_CST);
        e.upcall_mask = __atomic_load_n(&vi->evtchn_upcall_mask, __ATOMIC_SEQ_CST);
    }
    return domctx_save_entry(c, &e, sizeof(e));
}

static bool data_selector_ok(uint16_t sel)
{
    return sel == 0 || sel == GDT_USER_DS;
}

/* The registers a PV guest can have: ring 3, user half, sane flags. */
static int check_regs(const struct domain *d, unsigned int id, const struct domctx_vcpu *e)
{
    const char *what = NULL;

    if (e->rip >= PV_USER_TOP)
        what = "rip outside the user half";
    else if (e->cs != GDT_USER_CS || e->ss != GDT_USER_DS)
        what = "cs/ss not the ring-3 selectors 0x23/0x1b";
    else if (!data_selector_ok(e->ds) || !data_selector_ok(e->es) ||
             !data_selector_ok(e->fs) || !data_selector_ok(e->gs))
        what = "a data selector other than 0 or 0x1b";
    else if (!(e->rflags & RFLAGS_IF) || !(e->rflags & RFLAGS_FIXED) ||
             (e->rflags & ~RFLAGS_GUEST_OK))
        what = "rflags without IF, or with IOPL, NT, VM, VIF, VIP or reserved bits";
    else if (e->fs_base || e->gs_base || e->gs_base_kernel)
        what = "a segment base (this build gives PV guests none)";
    if (!what)
        return 0;
    pr_err("d%u vcpu %u VCPU: %s (rip 0x%llx cs 0x%x ss 0x%x ds 0x%x es 0x%x fs 0x%x gs 0x%x rflags 0x%llx)\n",
           d->domid, id, what, (unsigned long long)e->rip, e->cs, e->ss, e->ds, e->es, e->fs,
           e->gs, (unsigned long long)e->rflags);
    return -BATON_EINVAL;
}

static int check_vcpu(const struct domain *d, unsigned int id, const struct domctx_vcpu *e)
{
    const char *what = NULL;

    if (e->state < DOMCTX_VCPU_RUNNABLE || e->state > DOMCTX_VCPU_OFFLINE)
        what = "state not RUNNABLE, BLOCKED or OFFLINE";
    else if (d->state != DOMAIN_ALIVE && d->state != DOMAIN_RESTORING &&
             e->state != DOMCTX_VCPU_OFFLINE)
        what = "a dead domain's vCPU not OFFLINE";
    else if (e->upcall_entry &&
             (e->upcall_entry < PV_KERNEL_BASE || e->upcall_entry >= d->mem_size))
        what = "upcall entry outside the guest kernel's memory";
    else if (!mem_is_zero(e->pad, sizeof(e->pad)))
        what = "nonzero padding";
    if (what) {
        pr_err("d%u vcpu %u VCPU: %s (state %u, upcall entry 0x%llx, memory 0x%llx)\n",
               d->domid, id, what, e->state, (unsigned long long)e->upcall_entry,
               (unsigned long long)d->mem_size);
        return -BATON_EINVAL;
    }
    return e->state == DOMCTX_VCPU_OFFLINE ? 0 : check_regs(d, id, e);
}

/* The upcall bits stay in guest memory: the entry's copy must agree. */
static int check_upcall_bits(const struct domain *d, unsigned int id, const struct domctx_vcpu *e)
{
    const struct vcpu_info *vi;

    if (!d->shared_info)
        return 0;       /* a tool decoding without the guest's memory */
    vi = &d->shared_info->vcpu_info[id];
    if (vi->evtchn_upcall_pending == e->upcall_pending && vi->evtchn_upcall_mask == e->upcall_mask)
        return 0;
    pr_err("d%u vcpu %u VCPU: upcall pending %u mask %u saved, guest memory holds %u %u\n",
           d->domid, id, e->upcall_pending, e->upcall_mask, vi->evtchn_upcall_pending,
           vi->evtchn_upcall_mask);
    return -BATON_EINVAL;
}

static const enum vcpu_state ctx_to_state[] = {
    [DOMCTX_VCPU_RUNNABLE] = VCPU_RUNNABLE,
    [DOMCTX_VCPU_BLOCKED] = VCPU_BLOCKED,
    [DOMCTX_VCPU_OFFLINE] = VCPU_OFFLINE,
};

static int vcpu_load(struct domain *d, unsigned int id, const struct domctx_entry *ent)
{
    struct vcpu *v = &d->vcpus[id];
    struct domctx_vcpu e;
    int rc;

    rc = domctx_entry_read(ent, &e, sizeof(e));
    if (!rc)
        rc = check_vcpu(d, id, &e);
    if (!rc)
        rc = check_upcall_bits(d, id, &e);
    if (rc)
        return rc;
    v->state = ctx_to_state[e.state];
    v->upcall_entry = e.upcall_entry;
    /* the defaults, unless this vCPU's FPU entry (loaded after this one,
     * absent from streams of builds before it) says otherwise */
    fpu_state_reset(&v->arch.fpu);
    /* an offline vCPU's registers are not kept: it restarts from scratch */
    if (v->state != VCPU_OFFLINE) {
        ctx_to_regs(&e, &v->arch.regs);
        v->arch.ds = e.ds;
        v->arch.es = e.es;
        v->arch.fs = e.fs;
        v->arch.gs = e.gs;
    }
    return 0;
}

DOMCTX_HANDLER(vcpu_ctx, DOMCTX_TYPE_VCPU, "VCPU", DOMCTX_PER_VCPU,
               sizeof(struct domctx_vcpu), vcpu_save, vcpu_load);
