/* System time from the pvclock record: see pvclock.h and pv.h. */
#include "pvclock.h"

uint64_t pvclock_scale(uint64_t delta, uint32_t mul, int8_t shift)
{
    if (shift >= 0)
        delta <<= shift;
    else
        delta >>= -shift;
    /* 64 x 32 bits: the product needs up to 96 bits */
    return (uint64_t)(((unsigned __int128)delta * mul) >> 32);
}

uint64_t pvclock_read(const volatile struct pv_time_info *t, uint64_t (*read_tsc)(void))
{
    uint32_t version;
    uint64_t tsc_timestamp, system_time, tsc;
    uint32_t mul;
    int8_t shift;

    do {
        version = t->version;
        __asm__ volatile("" ::: "memory");  /* x86 keeps loads in order; gcc must too */
        tsc_timestamp = t->tsc_timestamp;
        system_time = t->system_time;
        mul = t->tsc_to_system_mul;
        shift = t->tsc_shift;
        tsc = read_tsc();
        __asm__ volatile("" ::: "memory");
    } while ((version & 1) || version != t->version);

    /* A TSC behind the stamp (another CPU's, slightly skewed) is "no time yet". */
    if (tsc < tsc_timestamp)
        return system_time;
    return system_time + pvclock_scale(tsc - tsc_timestamp, mul, shift);
}
