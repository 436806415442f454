/*
 * badmem: touches an address outside its memory. The hypervisor must kill
 * this domain alone; if the access survives, it prints BADMEM SURVIVED.
 *
 * cmdline: target=end (default: the first byte past mem_size) | null |
 *          hv (the hypervisor's upper half) | noncanon | gnt (an unmapped
 *          grant window slot) ; or addr=<hex> ; op=write (default) | read | exec
 */
#include "rt.h"

struct target {
    const char *name;
    uint64_t addr;
};

static uint64_t target_addr(const char *name)
{
    const struct target targets[] = {
        { "end", rt_mem_size() },
        { "null", 0 },
        { "hv", 0xffff800000000000ull },
        { "noncanon", 0x0000800000000000ull },
        { "gnt", GNT_WINDOW_ADDR(GNT_WINDOW_SLOTS - 1) },
    };

    for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
        if (strcmp(name, targets[i].name) == 0)
            return targets[i].addr;
    }
    panic("badmem: unknown target=%s", name);
}

static void touch(const char *op, uint64_t addr)
{
    volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)addr;

    if (strcmp(op, "read") == 0) {
        uint64_t v = *p;
        printf("badmem: read %#lx -> %#lx\n", addr, v);
    } else if (strcmp(op, "exec") == 0) {
        ((void (*)(void))(uintptr_t)addr)();
    } else {
        *p = 0xbad0bad0bad0bad0ull;
    }
}

int guest_main(void)
{
    char target[16], op[8];
    uint64_t addr;

    rt_param_str("target", target, sizeof(target), "end");
    rt_param_str("op", op, sizeof(op), "write");
    addr = rt_param_u64("addr", target_addr(target));
    printf("badmem: dom%u mem_size=%#lx: %s at %#lx (target=%s)\n", rt_domid(),
           rt_mem_size(), op, addr, target);
    touch(op, addr);
    printf("BADMEM SURVIVED %s addr=%#lx\n", op, addr);
    return 1;
}
