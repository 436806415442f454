/*
 * Descriptor tables (GDT with user segments and the TSS, IDT) and the C
 * side of every trap: exceptions get a register dump, interrupts go to
 * their handlers.
 */
#include <asm/io.h>
#include <asm/page.h>
#include <asm/regs.h>
#include <baton/lib.h>
#include <baton/printk.h>
#include <baton/traps.h>
#include <public/pv.h>

#define IST_DOUBLE_FAULT 1
#define IST_NMI          2
#define TRAP_STACK_SIZE  0x4000

struct tss {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
} __packed;
_Static_assert(sizeof(struct tss) == 104, "TSS layout");

/*
 * The TSS and, right behind it, an I/O permission bitmap for all 65536
 * ports (a clear bit lets ring 3 use that port with IOPL 0) and the one
 * extra 0xff octet the CPU may read past the bitmap's end (it always reads
 * two octets, for a port at the end of a byte). The TSS limit covers all of
 * it. A domain with ports (d->ioport_count: domain 0 and COM2) runs with
 * iomap_base pointing at the bitmap; every other one with iomap_base past
 * the limit, so that any port access faults (#GP).
 */
#define IO_BITMAP_BYTES  (65536 / 8)
struct tss_io {
    struct tss tss;
    uint8_t io_bitmap[IO_BITMAP_BYTES];
    uint8_t io_bitmap_end;          /* always 0xff */
} __packed;
#define IOMAP_NONE  ((uint16_t)sizeof(struct tss_io))    /* past the limit */
#define IOMAP_OURS  ((uint16_t)offsetof(struct tss_io, io_bitmap))

struct idt_entry {
    uint16_t offset_low;
    uint16_t selector;
    uint8_t ist;
    uint8_t type_attr;
    uint16_t offset_mid;
    uint32_t offset_high;
    uint32_t zero;
};
_Static_assert(sizeof(struct idt_entry) == 16, "IDT entry layout");

struct desc_ptr {
    uint16_t limit;
    uint64_t base;
} __packed;


static uint64_t gdt[8] __aligned(16);
static struct idt_entry idt[256] __aligned(16);
static struct tss_io tss_io __aligned(16);
/* The ports the bitmap lets through now: [first, first + count). */
static uint16_t io_open_first, io_open_count;
static uint8_t ring0_stack[TRAP_STACK_SIZE] __aligned(16);
static uint8_t df_stack[TRAP_STACK_SIZE] __aligned(16);
static uint8_t nmi_stack[TRAP_STACK_SIZE] __aligned(16);

/* #PF: the one exception that sets CR2 */
#define TRAP_PAGE_FAULT 14

static const char *const exception_names[32] = {
    "divide error", "debug", "NMI", "breakpoint", "overflow", "bound range",
    "invalid opcode", "device not available", "double fault", "coprocessor overrun",
    "invalid TSS", "segment not present", "stack fault", "general protection",
    "page fault", "reserved", "x87 FP error", "alignment check", "machine check",
    "SIMD FP error", "virtualization", "control protection", "reserved", "reserved",
    "reserved", "reserved", "reserved", "reserved", "hypervisor injection",
    "VMM communication", "security", "reserved",
};

static void (*irq_handlers[256])(struct cpu_user_regs *regs);

void traps_set_irq_handler(unsigned int vector, void (*fn)(struct cpu_user_regs *regs))
{
    irq_handlers[vector & 0xff] = fn;
}

void tss_set_rsp0(uint64_t rsp0)
{
    tss_io.tss.rsp[0] = rsp0;
}

static void io_bitmap_set(unsigned int first, unsigned int count, bool allow)
{
    for (unsigned int p = first; p < first + count && p < 65536; p++) {
        if (allow)
            tss_io.io_bitmap[p / 8] &= (uint8_t)~(1u << (p % 8));
        else
            tss_io.io_bitmap[p / 8] |= (uint8_t)(1u << (p % 8));
    }
}

/*
 * The ports ring 3 may use from now on: [first, first + count), none when
 * count is 0. Called on every switch to a guest vCPU; the bitmap is only
 * rewritten when the range changes (in practice: never, domain 0 alone
 * has ports).
 */
void tss_set_io_ports(uint16_t first, uint16_t count)
{
    if (!count) {
        tss_io.tss.iomap_base = IOMAP_NONE;
        return;
    }
    if (first != io_open_first || count != io_open_count) {
        io_bitmap_set(io_open_first, io_open_count, false);
        io_bitmap_set(first, count, true);
        io_open_first = first;
        io_open_count = count;
    }
    tss_io.tss.iomap_base = IOMAP_OURS;
}

const char *exception_name(unsigned int vector)
{
    return vector < 32 ? exception_names[vector] : "interrupt";
}

static void gdt_init(void)
{
    uint64_t base = (uint64_t)(uintptr_t)&tss_io;
    struct desc_ptr ptr = { sizeof(gdt) - 1, (uint64_t)(uintptr_t)gdt };

    gdt[0] = 0;
    gdt[1] = 0x00af9a000000ffffULL;        /* 0x08 hypervisor code, 64-bit */
    gdt[2] = 0x00cf92000000ffffULL;        /* 0x10 hypervisor data */
    gdt[3] = 0x00cff2000000ffffULL;        /* 0x18 user data, DPL 3 */
    gdt[4] = 0x00affa000000ffffULL;        /* 0x20 user code, 64-bit, DPL 3 */
    /* 0x28: 64-bit available TSS, 16 bytes */
    gdt[5] = (sizeof(tss_io) - 1) | ((base & 0xffffff) << 16) | (0x89ULL << 40) |
             (((base >> 24) & 0xff) << 56);
    gdt[6] = base >> 32;

    tss_io.tss.rsp[0] = (uint64_t)(uintptr_t)(ring0_stack + sizeof(ring0_stack));
    tss_io.tss.ist[IST_DOUBLE_FAULT - 1] = (uint64_t)(uintptr_t)(df_stack + sizeof(df_stack));
    tss_io.tss.ist[IST_NMI - 1] = (uint64_t)(uintptr_t)(nmi_stack + sizeof(nmi_stack));
    /* every port closed, and none of them reachable until a domain with
     * ports runs: any port access faults in ring 3 */
    memset(tss_io.io_bitmap, 0xff, sizeof(tss_io.io_bitmap));
    tss_io.io_bitmap_end = 0xff;
    tss_io.tss.iomap_base = IOMAP_NONE;

    /* The boot GDT is replaced: reload every segment register and the task register. */
    __asm__ volatile(
        "lgdt %0\n\t"
        "pushq $0x08\n\t"
        "leaq 1f(%%rip), %%rax\n\t"
        "pushq %%rax\n\t"
        "lretq\n"
        "1:\n\t"
        "movw $0x10, %%ax\n\t"
        "movw %%ax, %%ds\n\t"
        "movw %%ax, %%es\n\t"
        "movw %%ax, %%ss\n\t"
        "xorw %%ax, %%ax\n\t"
        "movw %%ax, %%fs\n\t"
        "movw %%ax, %%gs\n\t"
        "movw $0x28, %%ax\n\t"
        "ltr %%ax"
        : : "m"(ptr) : "rax", "memory");
}

static void idt_set(unsigned int v, uint64_t handler, unsigned int ist, unsigned int dpl)
{
    idt[v] = (struct idt_entry){
        .offset_low = handler & 0xffff,
        .selector = GDT_HV_CS,
        .ist = (uint8_t)ist,
        .type_attr = (uint8_t)(0x8e | (dpl << 5)),   /* present, interrupt gate */
        .offset_mid = (handler >> 16) & 0xffff,
        .offset_high = (uint32_t)(handler >> 32),
    };
}

static void idt_init(void)
{
    struct desc_ptr ptr = { sizeof(idt) - 1, (uint64_t)(uintptr_t)idt };

    for (unsigned int v = 0; v < 256; v++)
        idt_set(v, trap_stubs[v], 0, 0);
    idt_set(8, trap_stubs[8], IST_DOUBLE_FAULT, 0);
    idt_set(2, trap_stubs[2], IST_NMI, 0);
    __asm__ volatile("lidt %0" : : "m"(ptr));
}

void traps_init(void)
{
    gdt_init();
    idt_init();
}

static void show_backtrace(uint64_t rbp)
{
    printk(LOG_EMERG, "backtrace:\n");
    for (unsigned int depth = 0; depth < 16 && rbp >= HV_VIRT_START && IS_ALIGNED(rbp, 8); depth++) {
        const uint64_t *frame = (const uint64_t *)(uintptr_t)rbp;
        printk(LOG_EMERG, "  [<%016llx>]\n", (unsigned long long)frame[1]);
        if (frame[0] <= rbp)
            break;
        rbp = frame[0];
    }
}

/*
 * Only a page fault writes CR2: for any other vector it still holds the
 * address of the last page fault, maybe another domain's, and printing it
 * would both mislead and leak that address into this domain's crash report.
 */
void show_registers(const struct cpu_user_regs *r)
{
    if (r->vector == TRAP_PAGE_FAULT)
        printk(LOG_EMERG, "vector %llu (%s) error 0x%llx cr2 0x%016llx cr3 0x%016llx\n",
               (unsigned long long)r->vector, exception_name((unsigned int)r->vector),
               (unsigned long long)r->error_code, (unsigned long long)read_cr2(),
               (unsigned long long)read_cr3());
    else
        printk(LOG_EMERG, "vector %llu (%s) error 0x%llx cr3 0x%016llx\n",
               (unsigned long long)r->vector, exception_name((unsigned int)r->vector),
               (unsigned long long)r->error_code, (unsigned long long)read_cr3());
    printk(LOG_EMERG, "rip %04llx:%016llx rflags %016llx rsp %04llx:%016llx\n",
           (unsigned long long)r->cs, (unsigned long long)r->rip,
           (unsigned long long)r->rflags, (unsigned long long)r->ss,
           (unsigned long long)r->rsp);
    printk(LOG_EMERG, "rax %016llx rbx %016llx rcx %016llx rdx %016llx\n",
           (unsigned long long)r->rax, (unsigned long long)r->rbx,
           (unsigned long long)r->rcx, (unsigned long long)r->rdx);
    printk(LOG_EMERG, "rsi %016llx rdi %016llx rbp %016llx r8  %016llx\n",
           (unsigned long long)r->rsi, (unsigned long long)r->rdi,
           (unsigned long long)r->rbp, (unsigned long long)r->r8);
    printk(LOG_EMERG, "r9  %016llx r10 %016llx r11 %016llx r12 %016llx\n",
           (unsigned long long)r->r9, (unsigned long long)r->r10,
           (unsigned long long)r->r11, (unsigned long long)r->r12);
    printk(LOG_EMERG, "r13 %016llx r14 %016llx r15 %016llx\n",
           (unsigned long long)r->r13, (unsigned long long)r->r14,
           (unsigned long long)r->r15);
    if (!regs_from_guest(r))
        show_backtrace(r->rbp);
}

static void hypervisor_exception(struct cpu_user_regs *regs, unsigned int v)
{
    printk(LOG_EMERG, "FATAL hypervisor exception: %s\n", exception_name(v));
    show_registers(regs);
    panic("exception %u (%s) in the hypervisor at 0x%llx", v, exception_name(v),
          (unsigned long long)regs->rip);
}

/*
 * An NMI (watchdog, front-panel button, LINT1) says nothing about the code
 * it interrupted: count it and go back, on the IST stack it came in on
 * (no scheduling from here). The first few are logged.
 */
#define NMI_LOG_MAX 8
static unsigned long nmi_count;

static void do_nmi(const struct cpu_user_regs *regs)
{
    if (++nmi_count <= NMI_LOG_MAX)
        pr_warn("traps: NMI %lu at rip 0x%llx (%s)%s\n", nmi_count,
                (unsigned long long)regs->rip, regs_from_guest(regs) ? "guest" : "hypervisor",
                nmi_count == NMI_LOG_MAX ? "; further NMIs are counted silently" : "");
}

/*
 * The syscall fault path. Under kvm_pvm (the nested KVM of
 * docs/kvm.md), `syscall` from ring 3 loads rcx and r11, applies SFMASK
 * and jumps to LSTAR but leaves the vCPU in ring 3: the fetch at
 * syscall_entry then faults as a user instruction fetch of a present
 * supervisor page. That exact fault is completed as the hypercall the
 * guest asked for, with the frame syscall_entry would have built.
 *
 * On real CPUs and TCG the same fault comes only from a guest jumping to
 * syscall_entry itself, with rcx and r11 of its choosing. It gets nothing
 * a `syscall` would not give it: a hypercall that returns to an rcx in
 * the guest's half of the address space, with flags a ring-3 popf could
 * have set (never IOPL, never IF clear).
 */
#define PF_ERROR_PRESENT  (1u << 0)
#define PF_ERROR_USER     (1u << 2)
#define PF_ERROR_FETCH    (1u << 4)
#define SYSCALL_FAULT_ERROR (PF_ERROR_PRESENT | PF_ERROR_USER | PF_ERROR_FETCH)   /* 0x15 */

/* The flags ring 3 with IOPL 0 can set itself (popf): CF PF AF ZF SF TF DF
 * OF NT AC ID. A real syscall's r11 holds nothing else but IF, which is
 * always set in a guest. */
#define RFLAGS_RING3_WRITABLE UINT64_C(0x244dd5)
#define RFLAGS_RESERVED_ONE   UINT64_C(0x2)

static bool hypercall_fault_announced;

static bool is_syscall_fetch_fault(const struct cpu_user_regs *r)
{
    return r->vector == TRAP_PAGE_FAULT && r->error_code == SYSCALL_FAULT_ERROR &&
           r->rip == (uint64_t)(uintptr_t)syscall_entry && r->cs == GDT_USER_CS &&
           r->rcx < PV_USER_TOP;
}

/* Turn the #PF frame into the one syscall_entry builds: return to rcx
 * with r11's flags; rsp and ss are already the guest's. rcx and r11 stay
 * as they are, clobbered as the hypercall ABI says. */
static void complete_syscall_fault(struct cpu_user_regs *r)
{
    r->vector = VECTOR_HYPERCALL;
    r->error_code = 0;
    r->rip = r->rcx;
    r->rflags = (r->r11 & RFLAGS_RING3_WRITABLE) | RFLAGS_IF | RFLAGS_RESERVED_ONE;
    if (!hypercall_fault_announced) {
        hypercall_fault_announced = true;
        pr_info("traps: hypercall completed through the syscall fault path "
                "(ring-3 fetch fault at the syscall entry, as under kvm_pvm)\n");
    }
}

void do_trap(struct cpu_user_regs *regs)
{
    unsigned int v = (unsigned int)regs->vector;

    if (v == VECTOR_NMI) {
        do_nmi(regs);
        return;
    }
    if (is_syscall_fetch_fault(regs)) {
        complete_syscall_fault(regs);
        v = VECTOR_HYPERCALL;
    }
    if (v == VECTOR_HYPERCALL) {
        pv_hypercall(regs);
    } else if (v >= 32) {
        if (v < 256 && irq_handlers[v])
            irq_handlers[v](regs);
        else if (v != VECTOR_SPURIOUS)
            pr_warn("traps: unexpected interrupt vector %u\n", v);
    } else if (regs_from_guest(regs)) {
        pv_guest_exception(regs);
    } else {
        hypervisor_exception(regs, v);
    }
    if (regs_from_guest(regs))
        pv_exit_to_guest(regs);
}
