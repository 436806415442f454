/* The TSC-to-nanosecond scale shared with guests (see include/baton/time.h). */
#include <baton/time.h>

#define NS_PER_SEC 1000000000ULL

void time_scale_from_hz(struct time_scale *ts, uint64_t hz)
{
    int shift = 0;

    if (hz == 0)
        hz = 1;         /* callers check; this only keeps the loops finite */
    /*
     * Normalise the rate into (1e9, 2e9] ticks per second by halving or
     * doubling it; the fraction 1e9/rate is then in [0.5, 1) and fits a
     * 32-bit binary fraction with full precision.
     */
    while (hz > 2 * NS_PER_SEC) {
        hz >>= 1;
        shift--;
    }
    while (hz <= NS_PER_SEC) {
        hz <<= 1;
        shift++;
    }
    ts->mul = (uint32_t)((NS_PER_SEC << 32) / hz);
    ts->shift = (int8_t)shift;
}

uint64_t time_scale_apply(uint64_t delta, const struct time_scale *ts)
{
    if (ts->shift < 0)
        delta >>= -ts->shift;
    else
        delta <<= ts->shift;
    return (uint64_t)(((unsigned __int128)delta * ts->mul) >> 32);
}
