/*
 * Raw hypercall wrappers: one `syscall` each, register contract as in
 * include/public/hypercall.h (rax = number; rdi, rsi, rdx, r10, r8; result
 * in rax; rcx and r11 clobbered, everything else preserved).
 */
#ifndef GUEST_HCALL_H
#define GUEST_HCALL_H

#include <stdint.h>
#include <public/hypercall.h>

/* The one place that issues `syscall`; the typed wrappers below use it. */
static inline int64_t hypercall5(uint64_t nr, uint64_t a1, uint64_t a2, uint64_t a3,
                                 uint64_t a4, uint64_t a5)
{
    register uint64_t r10 __asm__("r10") = a4;
    register uint64_t r8 __asm__("r8") = a5;
    int64_t ret;

    /* "memory": the hypervisor reads and writes argument structs. */
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(nr), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8)
                     : "rcx", "r11", "memory");
    return ret;
}

static inline int64_t hc_console_write(const char *buf, uint64_t len)
{
    return hypercall5(HYPERCALL_console_write, (uint64_t)buf, len, 0, 0, 0);
}

static inline int64_t hc_sched_yield(void)
{
    return hypercall5(HYPERCALL_sched_yield, 0, 0, 0, 0, 0);
}

static inline int64_t hc_sched_block(void)
{
    return hypercall5(HYPERCALL_sched_block, 0, 0, 0, 0, 0);
}

static inline int64_t hc_set_timer(uint64_t abs_ns)
{
    return hypercall5(HYPERCALL_set_timer, abs_ns, 0, 0, 0, 0);
}

static inline int64_t hc_event_channel_op(uint32_t cmd, void *arg)
{
    return hypercall5(HYPERCALL_event_channel_op, cmd, (uint64_t)arg, 0, 0, 0);
}

static inline int64_t hc_grant_table_op(uint32_t cmd, void *arg)
{
    return hypercall5(HYPERCALL_grant_table_op, cmd, (uint64_t)arg, 0, 0, 0);
}

static inline int64_t hc_vcpu_op(uint32_t cmd, uint32_t vcpuid, void *arg)
{
    return hypercall5(HYPERCALL_vcpu_op, cmd, vcpuid, (uint64_t)arg, 0, 0);
}

static inline int64_t hc_domain_shutdown(uint32_t reason)
{
    return hypercall5(HYPERCALL_domain_shutdown, reason, 0, 0, 0, 0);
}

static inline int64_t hc_upcall_return(struct upcall_frame *frame)
{
    return hypercall5(HYPERCALL_upcall_return, (uint64_t)frame, 0, 0, 0, 0);
}

/* control_op: domain 0 only; arg opens with struct control_op_header
 * (include/public/control.h). */
static inline int64_t hc_control_op(uint32_t cmd, void *arg)
{
    return hypercall5(HYPERCALL_control_op, cmd, (uint64_t)arg, 0, 0, 0);
}

/* kexec_op: domain 0 only; KEXEC_CMD_* and their structs in
 * include/public/kexec.h. */
static inline int64_t hc_kexec_op(uint32_t cmd, void *arg)
{
    return hypercall5(HYPERCALL_kexec_op, cmd, (uint64_t)arg, 0, 0, 0);
}

#endif
