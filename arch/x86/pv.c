/*
 * The x86 side of PV guests: syscall entry setup, upcall delivery on the
 * way back to ring 3, the hypercall table and guest exceptions. vCPU
 * stacks and the context switch are in vcpu.c, page tables and the grant
 * window in domain_pt.c.
 */
#include <asm/fpu.h>
#include <asm/io.h>
#include <asm/page.h>
#include <asm/regs.h>
#include <baton/control.h>
#include <baton/domain.h>
#include <baton/errno.h>
#include <baton/kexec.h>
#include <baton/lib.h>
#include <baton/memory.h>
#include <baton/page_alloc.h>
#include <baton/printk.h>
#include <baton/sched.h>
#include <baton/traps.h>
#include <baton/vmap.h>
#include <public/hypercall.h>

#define MSR_STAR      0xc0000081
#define MSR_LSTAR     0xc0000082
#define MSR_SFMASK    0xc0000084
#define RFLAGS_TF     (1ULL << 8)
#define RFLAGS_DF     (1ULL << 10)
#define RFLAGS_NT     (1ULL << 14)
#define RFLAGS_AC     (1ULL << 18)
#define RFLAGS_FIXED  (1ULL << 1)


/* Read by syscall_entry: a spill slot for the guest's rsp. */
uint64_t pv_guest_rsp_scratch;

#define CR4_PAE   (1ULL << 5)
#define CR4_PGE   (1ULL << 7)
#define CR4_UMIP  (1ULL << 11)
#define CR4_SMEP  (1ULL << 20)
#define CR4_SMAP  (1ULL << 21)
#define MSR_SYSENTER_CS 0x174

/*
 * CR4 from scratch, not OR-ed into what the loader (firmware, kexec from
 * another kernel) left: no OSXSAVE or FSGSBASE that would give guests state
 * we never switch. What the CPU offers to protect the hypervisor is on:
 * SMEP and SMAP (the hypervisor reaches guests only through the direct
 * map), UMIP (no sgdt/sidt/str leaking addresses to ring 3).
 */
static void setup_cr4(void)
{
    uint32_t a, b, c, d, max;
    uint64_t cr4 = CR4_PAE | CR4_PGE;

    cpuid(0, 0, &max, &b, &c, &d);
    if (max >= 7) {
        cpuid(7, 0, &a, &b, &c, &d);
        cr4 |= (b & (1u << 7) ? CR4_SMEP : 0) | (b & (1u << 20) ? CR4_SMAP : 0) |
               (c & (1u << 2) ? CR4_UMIP : 0);
    }
    __asm__ volatile("mov %0, %%cr4" : : "r"(cr4) : "memory");
    pr_info("pv: SMEP %s, SMAP %s, UMIP %s\n", cr4 & CR4_SMEP ? "on" : "not available",
            cr4 & CR4_SMAP ? "on" : "not available", cr4 & CR4_UMIP ? "on" : "not available");
}

void pv_init(void)
{
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
    /* syscall: CS 0x08 SS 0x10; sysret bases at 0x10 (user SS 0x1b, CS 0x23) */
    wrmsr(MSR_STAR, (0x10ULL << 48) | ((uint64_t)GDT_HV_CS << 32));
    wrmsr(MSR_LSTAR, (uint64_t)(uintptr_t)syscall_entry);
    /* the hypervisor runs with interrupts off and a sane flags register */
    wrmsr(MSR_SFMASK, RFLAGS_IF | RFLAGS_TF | RFLAGS_DF | RFLAGS_NT | RFLAGS_AC);
    /* sysenter is valid in 64-bit mode on Intel: make it fault (#GP) rather
     * than enter ring 0 wherever a previous kernel pointed it */
    wrmsr(MSR_SYSENTER_CS, 0);
    setup_cr4();
    /* after setup_cr4, which builds CR4 from scratch: x87/SSE for guests,
     * each vCPU with its own state */
    fpu_init();
}

/* ---------------------------------------------------------------- upcalls */

static struct upcall_frame frame_from_regs(const struct cpu_user_regs *r)
{
    return (struct upcall_frame){
        .rax = r->rax, .rbx = r->rbx, .rcx = r->rcx, .rdx = r->rdx,
        .rsi = r->rsi, .rdi = r->rdi, .rbp = r->rbp, .rsp = r->rsp,
        .r8 = r->r8, .r9 = r->r9, .r10 = r->r10, .r11 = r->r11,
        .r12 = r->r12, .r13 = r->r13, .r14 = r->r14, .r15 = r->r15,
        .rip = r->rip, .rflags = r->rflags,
    };
}

static void regs_from_frame(struct cpu_user_regs *r, const struct upcall_frame *f)
{
    r->rax = f->rax; r->rbx = f->rbx; r->rcx = f->rcx; r->rdx = f->rdx;
    r->rsi = f->rsi; r->rdi = f->rdi; r->rbp = f->rbp; r->rsp = f->rsp;
    r->r8 = f->r8; r->r9 = f->r9; r->r10 = f->r10; r->r11 = f->r11;
    r->r12 = f->r12; r->r13 = f->r13; r->r14 = f->r14; r->r15 = f->r15;
    r->rip = f->rip;
    /* the guest chooses arithmetic flags only: IF stays on, IOPL stays 0 */
    r->rflags = (f->rflags & UPCALL_RFLAGS_GUEST) | RFLAGS_IF | RFLAGS_FIXED;
    r->cs = GDT_USER_CS;
    r->ss = GDT_USER_DS;
}

/* Enter the guest's upcall entry if an event waits and upcalls are unmasked.
 * False when the frame could not be written (the domain is crashed). */
static bool deliver_upcall(struct vcpu *v, struct cpu_user_regs *regs)
{
    struct domain *d = v->domain;
    struct vcpu_info *vi = &d->shared_info->vcpu_info[v->id];
    struct upcall_frame f;
    uint64_t fa, zero = 0;

    if (!v->upcall_entry || !__atomic_load_n(&vi->evtchn_upcall_pending, __ATOMIC_SEQ_CST) ||
        __atomic_load_n(&vi->evtchn_upcall_mask, __ATOMIC_SEQ_CST))
        return true;
    f = frame_from_regs(regs);
    fa = ALIGN_DOWN(regs->rsp - UPCALL_RED_ZONE - sizeof(f), UPCALL_FRAME_ALIGN);
    /* the frame, and a zero return address below it (ends backtraces) */
    if (regs->rsp < UPCALL_RED_ZONE + sizeof(f) + PV_PAGE_SIZE ||
        copy_to_guest(d, fa, &f, sizeof(f)) || copy_to_guest(d, fa - 8, &zero, sizeof(zero))) {
        pr_err("d%u: upcall frame below rsp 0x%llx is not guest memory\n", d->domid,
               (unsigned long long)regs->rsp);
        domain_crash(d, "bad stack for an upcall");
        return false;
    }
    __atomic_store_n(&vi->evtchn_upcall_mask, 1, __ATOMIC_SEQ_CST);
    regs->rip = v->upcall_entry;
    regs->rdi = fa;
    regs->rsp = fa - 8;
    regs->rflags = RFLAGS_IF | RFLAGS_FIXED;
    return true;
}

static long do_upcall_return(struct vcpu *v, struct cpu_user_regs *regs, uint64_t frame_gva)
{
    struct upcall_frame f;

    if (copy_from_guest(v->domain, &f, frame_gva, sizeof(f)))
        return -BATON_EFAULT;
    if (f.rip >= PV_USER_TOP || f.rsp >= PV_USER_TOP)
        return -BATON_EINVAL;
    regs_from_frame(regs, &f);
    __atomic_store_n(&v->domain->shared_info->vcpu_info[v->id].evtchn_upcall_mask, 0,
                     __ATOMIC_SEQ_CST);
    return 0;
}

void pv_exit_to_guest(struct cpu_user_regs *regs)
{
    for (;;) {
        struct vcpu *v = current;
        bool runnable = v->state == VCPU_RUNNABLE && v->domain->state == DOMAIN_ALIVE &&
                        v->domain->pause_count == 0;
        if (need_resched || !runnable) {
            schedule();
            continue;
        }
        if (deliver_upcall(v, regs))
            return;
    }
}

/* ---------------------------------------------------------------- hypercalls */

static long do_vcpu_op(struct domain *d, uint32_t cmd, uint32_t vcpuid, uint64_t arg)
{
    struct vcpu_register_upcall reg;

    if (cmd != VCPUOP_register_upcall)
        return -BATON_ENOSYS;       /* get_info is optional and not provided */
    if (vcpuid >= d->nr_vcpus)
        return -BATON_ENOENT;
    if (copy_from_guest(d, &reg, arg, sizeof(reg)))
        return -BATON_EFAULT;
    if (reg.reserved || (reg.entry && (reg.entry < PV_KERNEL_BASE || reg.entry >= d->mem_size)))
        return -BATON_EINVAL;
    d->vcpus[vcpuid].upcall_entry = reg.entry;
    return 0;
}

static long do_shutdown(struct domain *d, uint32_t reason)
{
    if (reason >= NR_SHUTDOWN_REASONS)
        return -BATON_EINVAL;
    domain_shutdown(d, reason);
    return 0;
}

void pv_hypercall(struct cpu_user_regs *regs)
{
    struct vcpu *v = current;
    struct domain *d = v->domain;
    long rc;

    switch (regs->rax) {
    case HYPERCALL_console_write:
        rc = do_console_write(d, regs->rdi, regs->rsi);
        break;
    case HYPERCALL_sched_yield:
        sched_yield();
        rc = 0;
        break;
    case HYPERCALL_sched_block:
        vcpu_block(v);
        rc = 0;
        break;
    case HYPERCALL_set_timer:
        rc = vcpu_set_timer(v, regs->rdi);
        break;
    case HYPERCALL_event_channel_op:
        rc = do_event_channel_op(d, v, (uint32_t)regs->rdi, regs->rsi);
        break;
    case HYPERCALL_grant_table_op:
        rc = do_grant_table_op(d, (uint32_t)regs->rdi, regs->rsi);
        break;
    case HYPERCALL_vcpu_op:
        rc = do_vcpu_op(d, (uint32_t)regs->rdi, (uint32_t)regs->rsi, regs->rdx);
        break;
    case HYPERCALL_domain_shutdown:
        rc = do_shutdown(d, (uint32_t)regs->rdi);
        break;
    case HYPERCALL_upcall_return:
        rc = do_upcall_return(v, regs, regs->rdi);
        if (rc == 0)
            return;         /* every register now holds the interrupted context */
        break;
    case HYPERCALL_control_op:
        rc = do_control_op(d, (uint32_t)regs->rdi, regs->rsi);
        break;
    case HYPERCALL_kexec_op:
        rc = do_kexec_op(d, (uint32_t)regs->rdi, regs->rsi);
        break;
    default:
        rc = -BATON_ENOSYS;
        break;
    }
    regs->rax = (uint64_t)rc;
}

/* ---------------------------------------------------------------- faults */

void pv_guest_exception(struct cpu_user_regs *regs)
{
    struct domain *d = current->domain;
    unsigned int v = (unsigned int)regs->vector;

    if (v == 14)        /* #PF: CR2 holds its address; for others it is stale */
        pr_err("d%u: %s (vector %u, error 0x%llx) at rip 0x%llx, cr2 0x%llx\n", d->domid,
               exception_name(v), v, (unsigned long long)regs->error_code,
               (unsigned long long)regs->rip, (unsigned long long)read_cr2());
    else
        pr_err("d%u: %s (vector %u, error 0x%llx) at rip 0x%llx\n", d->domid,
               exception_name(v), v, (unsigned long long)regs->error_code,
               (unsigned long long)regs->rip);
    show_registers(regs);
    domain_crash(d, exception_name(v));
}
