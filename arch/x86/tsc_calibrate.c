/*
 * What to believe about the TSC's frequency: CPUID's leaves checked for
 * presence and sanity, and the arithmetic of a PIT channel 0 read-back
 * window. No hardware access here (time.c does it), so the host unit test
 * can feed every branch garbage.
 */
#include <asm/tsc_calibrate.h>
#include <baton/errno.h>
#include <baton/lib.h>

static bool tsc_hz_believable(uint64_t hz)
{
    return hz >= TSC_HZ_MIN && hz <= TSC_HZ_MAX;
}

int tsc_hz_from_hv_leaf(const struct tsc_cpuid *c, uint64_t *hz, char *why, size_t len)
{
    uint64_t khz = c->hv_tsc_khz;

    if (!c->hypervisor) {
        snprintf(why, len, "no hypervisor (CPUID 1 ecx bit 31 clear)");
        return -BATON_ENOENT;
    }
    if (c->hv_max < CPUID_HV_TSC_FREQ || c->hv_max > CPUID_HV_LAST) {
        snprintf(why, len, "hypervisor max leaf 0x%x, expected 0x%x..0x%x", c->hv_max,
                 CPUID_HV_TSC_FREQ, CPUID_HV_LAST);
        return -BATON_ENOENT;
    }
    if (!tsc_hz_believable(khz * 1000)) {
        snprintf(why, len, "leaf 0x%x says %llu kHz, expected %llu..%llu kHz", CPUID_HV_TSC_FREQ,
                 (unsigned long long)khz, TSC_HZ_MIN / 1000, TSC_HZ_MAX / 1000);
        return -BATON_EINVAL;
    }
    *hz = khz * 1000;
    return 0;
}

/* Leaf 0x16's base frequency, for a crystal-driven TSC whose crystal leaf 0x15 leaves out. */
static int tsc_hz_from_base_freq(const struct tsc_cpuid *c, uint64_t *hz, char *why, size_t len)
{
    uint64_t base = (uint64_t)c->l16_eax * 1000000;

    if (c->max_basic < CPUID_BASE_FREQ) {
        snprintf(why, len, "leaf 0x15 names no crystal (ecx 0) and max basic leaf 0x%x has no 0x16",
                 c->max_basic);
        return -BATON_ENOENT;
    }
    if (!tsc_hz_believable(base)) {
        snprintf(why, len, "leaf 0x15 names no crystal and leaf 0x16 says base %u MHz, expected %llu..%llu MHz",
                 c->l16_eax, TSC_HZ_MIN / 1000000, TSC_HZ_MAX / 1000000);
        return -BATON_EINVAL;
    }
    *hz = base;
    return 0;
}

int tsc_hz_from_cpuid_leaves(const struct tsc_cpuid *c, uint64_t *hz, const char **source,
                             char *why, size_t len)
{
    uint64_t tsc;

    if (c->max_basic < CPUID_TSC_CRYSTAL) {
        snprintf(why, len, "max basic leaf 0x%x, expected 0x%x or more", c->max_basic,
                 CPUID_TSC_CRYSTAL);
        return -BATON_ENOENT;
    }
    if (!c->l15_eax || !c->l15_ebx) {
        snprintf(why, len, "leaf 0x15 gives no TSC/crystal ratio (eax %u, ebx %u), expected both nonzero",
                 c->l15_eax, c->l15_ebx);
        return -BATON_ENOENT;
    }
    if (!c->l15_ecx) {
        *source = "cpuid-0x16";
        return tsc_hz_from_base_freq(c, hz, why, len);
    }
    /* 32 x 32 bits: no overflow in 64 */
    tsc = (uint64_t)c->l15_ecx * c->l15_ebx / c->l15_eax;
    if (!tsc_hz_believable(tsc)) {
        snprintf(why, len, "leaf 0x15 says crystal %u Hz * %u / %u = %llu Hz, expected %llu..%llu Hz",
                 c->l15_ecx, c->l15_ebx, c->l15_eax, (unsigned long long)tsc, TSC_HZ_MIN, TSC_HZ_MAX);
        return -BATON_EINVAL;
    }
    *source = "cpuid-0x15";
    *hz = tsc;
    return 0;
}

void pit_window_start(struct pit_window *w, uint64_t tsc, uint16_t count)
{
    *w = (struct pit_window){ .tsc_start = tsc, .tsc_last = tsc, .last_count = count };
}

void pit_window_poll(struct pit_window *w, uint64_t tsc, uint16_t count)
{
    /* a down counter: what it lost since the last reading, modulo its 65536 */
    uint16_t ticks = (uint16_t)(w->last_count - count);

    w->ticks += ticks;
    w->still = ticks ? 0 : w->still + 1;
    w->last_count = count;
    w->tsc_last = tsc;
}

uint64_t pit_window_hz(const struct pit_window *w, char *why, size_t len)
{
    uint64_t span = w->tsc_last - w->tsc_start;
    uint64_t hz;

    if (!w->ticks) {
        snprintf(why, len, "the counter never moved from %u", w->last_count);
        return 0;
    }
    if (!span || w->tsc_last < w->tsc_start) {
        snprintf(why, len, "the TSC went from %llu to %llu over %llu PIT ticks",
                 (unsigned long long)w->tsc_start, (unsigned long long)w->tsc_last,
                 (unsigned long long)w->ticks);
        return 0;
    }
    /* span * PIT_HZ fits 64 bits for windows up to 150 s at 100 GHz */
    hz = span <= UINT64_MAX / PIT_HZ ? span * PIT_HZ / w->ticks : UINT64_MAX;
    if (hz < TSC_HZ_MIN || hz > TSC_HZ_MAX) {
        snprintf(why, len, "%llu TSC ticks in %llu PIT ticks is %llu Hz, expected %llu..%llu Hz",
                 (unsigned long long)span, (unsigned long long)w->ticks,
                 (unsigned long long)hz, TSC_HZ_MIN, TSC_HZ_MAX);
        return 0;
    }
    return hz;
}

static bool rates_agree(uint64_t a, uint64_t b)
{
    uint64_t diff = a > b ? a - b : b - a;

    return a && b && diff <= MAX(a, b) / TSC_AGREE_PARTS;
}

static void sort_rates(uint64_t sorted[TSC_WINDOWS], const uint64_t hz[TSC_WINDOWS])
{
    memcpy(sorted, hz, TSC_WINDOWS * sizeof(sorted[0]));
    for (unsigned int i = 1; i < TSC_WINDOWS; i++) {    /* insertion sort of three */
        for (unsigned int j = i; j && sorted[j - 1] > sorted[j]; j--) {
            uint64_t t = sorted[j];

            sorted[j] = sorted[j - 1];
            sorted[j - 1] = t;
        }
    }
}

uint64_t tsc_hz_median(const uint64_t hz[TSC_WINDOWS])
{
    uint64_t sorted[TSC_WINDOWS];

    sort_rates(sorted, hz);
    return sorted[TSC_WINDOWS / 2];
}

uint64_t tsc_hz_agreed(const uint64_t hz[TSC_WINDOWS])
{
    uint64_t sorted[TSC_WINDOWS];
    unsigned int mid = TSC_WINDOWS / 2;

    sort_rates(sorted, hz);
    for (unsigned int i = 0; i < TSC_WINDOWS; i++) {
        if (i != mid && rates_agree(sorted[mid], sorted[i]))
            return sorted[mid];
    }
    return 0;
}
