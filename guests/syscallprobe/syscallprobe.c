/*
 * syscallprobe: the syscall fault path (arch/x86/traps.c, docs/kvm.md)
 * seen from a guest, and the cost of a hypercall.
 *
 * Under kvm_pvm a `syscall` reaches the hypervisor as a ring-3 fetch fault
 * at the syscall entry, which the hypervisor completes as the hypercall.
 * Elsewhere that fault comes only from a guest jumping to the entry
 * itself, with rcx and r11 of its own choosing: this guest does exactly
 * that and checks it gets no more than a `syscall` grants.
 *
 * cmdline: entry=<the hypervisor's syscall_entry address> (for the jumps)
 *   op=jump      jump to entry with rcx = a return label and r11 = flags
 *                no syscall could carry (IOPL 3, IF clear, RF, VM, VIF,
 *                VIP) plus CF: the hypercall (console_write) must run and
 *                return with CF kept, IOPL 0 and IF set. Prints
 *                "SYSCALLPROBE OK jump ..." then reads COM1, which must
 *                kill the domain (#GP); "SYSCALLPROBE SURVIVED" if not.
 *   op=badrcx    rcx in the hypervisor's half: no hypercall, the domain dies
 *   op=toprcx    rcx = the first non-user address (0x800000000000): dies
 *   op=offset    jump to entry + 1: not the syscall entry, dies
 *   op=bench     count=N (default 100000) null hypercalls by `syscall`
 *                (an unused number: -ENOSYS), timed by the TSC and system
 *                time: "SYSCALLPROBE BENCH calls=N tsc_per_call=T
 *                ns_per_call=X.YYY"
 * Any hypercall that should not have happened prints "SYSCALLPROBE
 * UNEXPECTED ...".
 */
#include <public/errno.h>
#include "rt.h"

#define RFLAGS_CF    UINT64_C(0x1)
#define RFLAGS_IOPL  UINT64_C(0x3000)
#define RFLAGS_RF    UINT64_C(0x10000)
#define RFLAGS_VM    UINT64_C(0x20000)
#define RFLAGS_VIF   UINT64_C(0x80000)
#define RFLAGS_VIP   UINT64_C(0x100000)
/* what r11 carries into the jump: everything a syscall's r11 never has */
#define JUMP_RFLAGS  (RFLAGS_CF | RFLAGS_IOPL | RFLAGS_RF | RFLAGS_VM | RFLAGS_VIF | \
                      RFLAGS_VIP | UINT64_C(0x2))
#define NULL_HYPERCALL UINT64_C(0x7fff)     /* no such hypercall: -ENOSYS */

static const char jump_msg[] = "syscallprobe: console_write through a jump to the syscall entry\n";

struct jump_result {
    int64_t rax;
    uint64_t rflags;    /* pushfq right after the return */
    uint64_t r9;        /* the target, preserved by the hypercall ABI */
};

/*
 * console_write(jump_msg) entered by jumping to `target` with JUMP_RFLAGS
 * in r11 and, in rcx, `ret_rip` or (when 0) the label right after the
 * jump: what `syscall` would leave, but with flags it never would. CF is
 * set on return only if the hypervisor took r11's arithmetic flags, as
 * syscall does.
 */
static struct jump_result jump_hypercall(uint64_t target, uint64_t ret_rip)
{
    register uint64_t r9 __asm__("r9") = target;
    register uint64_t r10 __asm__("r10") = 0;
    register uint64_t r8 __asm__("r8") = 0;
    struct jump_result res;

    __asm__ volatile("lea 1f(%%rip), %%rcx\n\t"
                     "test %[ret], %[ret]\n\t"
                     "cmovnz %[ret], %%rcx\n\t"
                     "mov %[fl], %%r11\n\t"
                     "jmp *%%r9\n"
                     "1:\n\t"
                     "pushfq\n\t"
                     "pop %[flags]\n\t"
                     : "=a"(res.rax), [flags] "=&r"(res.rflags), "+r"(r9), "+r"(r10), "+r"(r8)
                     : "a"((uint64_t)HYPERCALL_console_write), "D"(jump_msg),
                       "S"(sizeof(jump_msg) - 1), "d"(0), [ret] "r"(ret_rip),
                       [fl] "i"(JUMP_RFLAGS)
                     : "rcx", "r11", "memory", "cc");
    res.r9 = r9;
    return res;
}

static uint64_t entry_param(void)
{
    uint64_t entry = rt_param_u64("entry", 0);

    if (entry < UINT64_C(0xffff800000000000))
        panic("syscallprobe: entry=%#lx is not a hypervisor address", entry);
    return entry;
}

static int op_jump(void)
{
    uint64_t entry = entry_param();
    struct jump_result r = jump_hypercall(entry, 0);
    uint8_t v;

    if (r.rax != (int64_t)(sizeof(jump_msg) - 1) || r.r9 != entry ||
        (r.rflags & (RFLAGS_IOPL | RFLAGS_VM | RFLAGS_VIF | RFLAGS_VIP)) ||
        !(r.rflags & RFLAGS_IF) || !(r.rflags & RFLAGS_CF)) {
        printf("SYSCALLPROBE UNEXPECTED jump: rax=%ld (want %lu) r9=%#lx rflags=%#lx "
               "(want CF and IF, no IOPL/VM/VIF/VIP)\n", r.rax, sizeof(jump_msg) - 1, r.r9,
               r.rflags);
        return 1;
    }
    printf("SYSCALLPROBE OK jump rax=%ld rflags=%#lx\n", r.rax, r.rflags);
    /* IOPL stayed 0: reading COM1 must fault and end this domain */
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"((uint16_t)0x3f8));
    printf("SYSCALLPROBE SURVIVED in 0x3f8 -> %#x\n", v);
    return 1;
}

/* Jumps that must not be taken for a hypercall: each kills the domain. */
static int op_refused(const char *name, uint64_t target, uint64_t rcx)
{
    struct jump_result r;

    printf("syscallprobe: %s: jump to %#lx with rcx %#lx (0: the return label)\n", name, target, rcx);
    r = jump_hypercall(target, rcx);
    printf("SYSCALLPROBE UNEXPECTED %s: returned rax=%ld\n", name, r.rax);
    return 1;
}

static int op_bench(void)
{
    uint64_t count = rt_param_u64("count", 100000);
    uint64_t t0, ns0, t1, ns1, ps_per_call;

    if (count == 0)
        panic("syscallprobe: count=0");
    t0 = rdtsc_ordered();
    ns0 = now_ns();
    for (uint64_t i = 0; i < count; i++) {
        int64_t rc = hypercall5(NULL_HYPERCALL, 0, 0, 0, 0, 0);
        if (rc != -BATON_ENOSYS) {
            printf("SYSCALLPROBE UNEXPECTED bench: hypercall %#lx returned %ld\n",
                   NULL_HYPERCALL, rc);
            return 1;
        }
    }
    ns1 = now_ns();
    t1 = rdtsc_ordered();
    ps_per_call = (ns1 - ns0) * 1000 / count;
    printf("SYSCALLPROBE BENCH calls=%lu tsc_per_call=%lu ns_per_call=%lu.%03lu\n", count,
           (t1 - t0) / count, ps_per_call / 1000, ps_per_call % 1000);
    return 0;
}

int guest_main(void)
{
    char op[16];

    rt_param_str("op", op, sizeof(op), "jump");
    printf("syscallprobe: dom%u op=%s\n", rt_domid(), op);
    if (strcmp(op, "jump") == 0)
        return op_jump();
    if (strcmp(op, "badrcx") == 0)
        return op_refused(op, entry_param(), UINT64_C(0xffffffff80100000));
    if (strcmp(op, "toprcx") == 0)
        return op_refused(op, entry_param(), PV_USER_TOP);
    if (strcmp(op, "offset") == 0)
        return op_refused(op, entry_param() + 1, 0);
    if (strcmp(op, "bench") == 0)
        return op_bench();
    panic("syscallprobe: unknown op=%s", op);
}
