/* memcheck's pattern and checksum: see pattern.h. */
#include "pattern.h"

uint64_t memcheck_word(uint64_t seed, uint16_t domid, uint64_t addr)
{
    /* addr < 2^47, so domid << 48 cannot collide with another address */
    uint64_t z = addr ^ ((uint64_t)domid << 48);

    z += seed * 0x9e3779b97f4a7c15ull;
    /* splitmix64's finaliser: a bijection, so distinct inputs stay distinct */
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

uint64_t memcheck_csum(uint64_t csum, uint64_t word)
{
    return (csum ^ word) * 0x100000001b3ull;
}

uint64_t memcheck_fill(const struct memcheck_params *p, uint64_t *base, size_t nwords,
                       uint64_t csum)
{
    for (size_t i = 0; i < nwords; i++) {
        uint64_t w = memcheck_word(p->seed, p->domid, (uint64_t)(uintptr_t)&base[i]);
        base[i] = w;
        csum = memcheck_csum(csum, w);
    }
    return csum;
}

uint64_t memcheck_verify(const struct memcheck_params *p, const uint64_t *base, size_t nwords,
                         uint64_t csum, memcheck_bad_fn bad, void *ctx)
{
    for (size_t i = 0; i < nwords; i++) {
        uint64_t addr = (uint64_t)(uintptr_t)&base[i];
        uint64_t got = ((const volatile uint64_t *)base)[i];
        uint64_t want = memcheck_word(p->seed, p->domid, addr);
        if (got != want)
            bad(addr, want, got, ctx);
        csum = memcheck_csum(csum, got);
    }
    return csum;
}
