/*
 * Baton PV hypercalls: numbers, error codes, and the argument structs of the
 * vCPU, shutdown and control ops (event channel and grant structs are in
 * event_channel.h and grant_table.h). Specified in docs/specs/pv-abi.md.
 *
 * Calling convention: `syscall` from ring 3; rax = number; arguments in rdi,
 * rsi, rdx, r10, r8; result in rax: >= 0 success, -BATON_E* on error. rcx
 * and r11 are clobbered (syscall uses them); every other register, and the
 * FPU/SSE state, is preserved. A u32 argument is the low 32 bits of its
 * register (the upper half is ignored). An unknown number returns -ENOSYS.
 * A bad guest pointer returns -EFAULT; it never kills the caller.
 */
#ifndef BATON_PUBLIC_HYPERCALL_H
#define BATON_PUBLIC_HYPERCALL_H

#include <stddef.h>
#include <stdint.h>
#include <public/errno.h>   /* the error codes, returned negated */
#include <public/pv.h>
#include <public/event_channel.h>
#include <public/grant_table.h>

/* -------------------------------------------------------------- numbers */

#define HYPERCALL_console_write     0   /* (const char *buf, u64 len) -> bytes */
#define HYPERCALL_sched_yield       1   /* () -> 0 */
#define HYPERCALL_sched_block       2   /* () -> 0 */
#define HYPERCALL_set_timer         3   /* (u64 abs_ns) -> 0 */
#define HYPERCALL_event_channel_op  4   /* (u32 cmd, void *arg) */
#define HYPERCALL_grant_table_op    5   /* (u32 cmd, void *arg) */
#define HYPERCALL_vcpu_op           6   /* (u32 cmd, u32 vcpuid, void *arg) */
#define HYPERCALL_domain_shutdown   7   /* (u32 reason) -> no return */
#define HYPERCALL_upcall_return     8   /* (struct upcall_frame *) -> no return */
#define HYPERCALL_control_op        9   /* (u32 cmd, void *arg), domain 0 only: public/control.h */
#define HYPERCALL_kexec_op          10  /* (u32 cmd, void *arg), domain 0 only: public/kexec.h */
#define NR_HYPERCALLS               11

/* console_write: most bytes per call. */
#define CONSOLE_WRITE_MAX           4096u

/* set_timer: deadlines at or above this are rejected (-EINVAL). */
#define SET_TIMER_MAX_NS            (UINT64_C(1) << 63)

/* ------------------------------------------------------------ vcpu_op */

#define VCPUOP_register_upcall      0
#define VCPUOP_get_info             1   /* optional: may return -ENOSYS */
#define NR_VCPUOPS                  2

/*
 * VCPUOP_register_upcall: where the vCPU enters when an event is delivered.
 * entry must lie inside guest memory (PV_KERNEL_BASE <= entry < mem_size),
 * or be 0 to stop upcalls; reserved must be 0.
 */
struct vcpu_register_upcall {
    uint64_t entry;                 /* 0x0 in */
    uint64_t reserved;              /* 0x8 in: 0 */
};

/* vcpu_runstate_info.state and index of time[] */
#define RUNSTATE_running            0
#define RUNSTATE_runnable           1
#define RUNSTATE_blocked            2
#define RUNSTATE_offline            3

/* VCPUOP_get_info: where the vCPU's time went (system time, ns). */
struct vcpu_runstate_info {
    uint32_t state;                 /* 0x00 out: RUNSTATE_* */
    uint32_t pad;                   /* 0x04 */
    uint64_t state_entry_time;      /* 0x08 out: system time of the last change */
    uint64_t time[4];               /* 0x10 out: ns spent in each RUNSTATE_* */
};

/* ------------------------------------------------------- domain_shutdown */

#define SHUTDOWN_poweroff           0
#define SHUTDOWN_reboot             1
#define SHUTDOWN_crash              2
#define NR_SHUTDOWN_REASONS         3

/* ------------------------------------------------------------ control_op */

/*
 * control_op(cmd, arg): arg points at this header, followed by the command's
 * payload (public/control.h); header.cmd must equal cmd and version
 * CONTROL_OP_VERSION (else -EINVAL). Every domain but domain 0 gets -EPERM
 * (checked first, before arg is read); an unknown cmd is -ENOSYS.
 */
#define CONTROL_OP_VERSION          1

struct control_op_header {
    uint32_t cmd;                   /* 0x0 in */
    uint32_t version;               /* 0x4 in: CONTROL_OP_VERSION */
};

_Static_assert(sizeof(struct vcpu_register_upcall) == 16, "vcpu_register_upcall size");
_Static_assert(sizeof(struct vcpu_runstate_info) == 48, "vcpu_runstate_info size");
_Static_assert(offsetof(struct vcpu_runstate_info, state_entry_time) == 8, "runstate.entry");
_Static_assert(offsetof(struct vcpu_runstate_info, time) == 16, "runstate.time");
_Static_assert(sizeof(struct control_op_header) == 8, "control_op_header size");

#endif
