/*
 * badpriv: executes a privileged instruction from ring 3 (IOPL 0). The
 * hypervisor must kill this domain alone; if the instruction completes it
 * prints BADPRIV SURVIVED. (x87 and SSE were here while ABI 1.0 forbade
 * them; since 1.1 guests may use them, and guests/fpucheck checks that
 * their state stays per vCPU.)
 *
 * cmdline: op=cli (default) | sti | hlt | rdcr3 | wrcr3 | in | out | rdmsr |
 *          wrmsr | invlpg | lgdt | wbinvd; port=N for in and out (default
 *          0x3f8, COM1). Domain 0 may use COM2 (0x2f8-0x2ff) and nothing
 *          else: as domain 0, "op=in port=0x2fd" reads COM2's line status
 *          and survives (the test expects BADPRIV SURVIVED then).
 */
#include "rt.h"

struct priv_op {
    const char *name;
    void (*run)(void);
};

/* The ports and MSR are ones a hypervisor cares about: COM1, EFER. */
static uint16_t io_port = 0x3f8;

static void op_cli(void)    { __asm__ volatile("cli"); }
static void op_sti(void)    { __asm__ volatile("sti"); }
static void op_hlt(void)    { __asm__ volatile("hlt"); }
static void op_wbinvd(void) { __asm__ volatile("wbinvd"); }

static void op_rdcr3(void)
{
    uint64_t v;
    __asm__ volatile("mov %%cr3, %0" : "=r"(v));
    printf("badpriv: cr3=%#lx\n", v);
}

static void op_wrcr3(void)
{
    __asm__ volatile("mov %0, %%cr3" : : "r"(0ull) : "memory");
}

static void op_in(void)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(io_port));
    printf("badpriv: in %#x -> %#x\n", io_port, v);
}

static void op_out(void)
{
    __asm__ volatile("outb %0, %1" : : "a"((uint8_t)'!'), "Nd"(io_port));
}

static void op_rdmsr(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(0xc0000080u));
    printf("badpriv: EFER=%#x%08x\n", hi, lo);
}

static void op_wrmsr(void)
{
    __asm__ volatile("wrmsr" : : "a"(0u), "d"(0u), "c"(0xc0000080u));
}

static void op_invlpg(void)
{
    __asm__ volatile("invlpg (%0)" : : "r"(PV_KERNEL_BASE) : "memory");
}

static void op_lgdt(void)
{
    static const struct __attribute__((packed)) { uint16_t limit; uint64_t base; } gdtr = { 0, 0 };
    __asm__ volatile("lgdt %0" : : "m"(gdtr));
}

static const struct priv_op ops[] = {
    { "cli", op_cli }, { "sti", op_sti }, { "hlt", op_hlt }, { "rdcr3", op_rdcr3 },
    { "wrcr3", op_wrcr3 }, { "in", op_in }, { "out", op_out }, { "rdmsr", op_rdmsr },
    { "wrmsr", op_wrmsr }, { "invlpg", op_invlpg }, { "lgdt", op_lgdt },
    { "wbinvd", op_wbinvd },
};

int guest_main(void)
{
    char name[16];

    rt_param_str("op", name, sizeof(name), "cli");
    io_port = (uint16_t)rt_param_u64("port", 0x3f8);
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        if (strcmp(name, ops[i].name) != 0)
            continue;
        printf("badpriv: dom%u executing %s (port %#x)\n", rt_domid(), name, io_port);
        ops[i].run();
        printf("BADPRIV SURVIVED %s\n", name);
        return 1;
    }
    panic("badpriv: unknown op=%s", name);
}
