/*
 * fpucheck: every vCPU owns its x87 and SSE state. In mode=check it first
 * checks that it started with the default state (nothing left over from
 * another domain), then keeps known values in every x87 register (ST0..ST7,
 * with its own control word) and every SSE register (XMM0..XMM15, with its
 * own MXCSR), and checks them all, again and again, after busy spins (where
 * the tick preempts it), yields and sleeps: across other domains' use of
 * the same registers and across live updates. In mode=noise it keeps
 * loading other values into the same registers and yielding, so that a
 * hypervisor that does not switch the state shows them to the checker.
 *
 * mode=xm and mode=mf divide by zero with the exception unmasked (SSE,
 * x87): the domain must crash of "SIMD FP error" / "x87 FP error" alone.
 * mode=avx runs one VEX instruction, which must be an invalid opcode
 * (AVX is not enabled, and its state is not switched).
 *
 * cmdline: mode=check|noise|xm|mf|avx (default check); seed=N (default: the domid)
 * chooses the values; period=MS between progress lines (default 1000);
 * spin=MS busy time per round (default 2); sleep=MS per round (default 5).
 *
 * Markers (docs/specs/pv-abi.md section 11):
 *   "fpucheck: dom<d> defaults ok", or "FPUCHECK FAIL defaults <field> ...";
 *   "fpucheck: loaded seed=<n>";
 *   "FPUCHECK ok <n>": n rounds checked so far, every period;
 *   "FPUCHECK FAIL <register> want=<hex> got=<hex> after=<spin|yield|sleep>
 *    round=<n>" on any change (then the domain crashes);
 *   "fpunoise: dom<d> loads <n>" (noise), every period;
 *   "fpucheck: dom<d> raising #XM|#MF", then the crash, or "FPUCHECK FAIL
 *    survived #XM|#MF";
 *   "fpucheck: dom<d> trying AVX", then the crash, or "FPUCHECK FAIL
 *    AVX ran with CR4.OSXSAVE clear: YMM state is not switched".
 *
 * Only fpuregs.asm touches the registers: the runtime and this file build
 * with -mgeneral-regs-only.
 */
#include "rt.h"
#include <public/domctx.h>

#define NR_ST   8
#define NR_XMM  16
#define ST_LEN  10      /* an 80-bit register in its 16-octet FXSAVE slot */

#define CHECK_FCW    0x027fu  /* every exception masked, 53-bit precision */
#define CHECK_MXCSR  0x3f80u  /* every exception masked, round down */
#define NOISE_FCW    0x0f7fu  /* round toward zero, 64-bit precision */
#define NOISE_MXCSR  0xff80u  /* flush to zero, round toward zero */
#define NOISE_NR_ST  7        /* one push fewer: another TOP and tag word */

/* What fpu_load takes (fpuregs.asm states the same offsets). */
struct fpu_pattern {
    uint16_t fcw;
    uint16_t pad0;
    uint32_t mxcsr;
    uint32_t nr_st;
    uint32_t pad1;
    uint64_t st[NR_ST];
    uint8_t xmm[NR_XMM][16];
};
_Static_assert(__builtin_offsetof(struct fpu_pattern, mxcsr) == 4, "mxcsr at 4");
_Static_assert(__builtin_offsetof(struct fpu_pattern, nr_st) == 8, "nr_st at 8");
_Static_assert(__builtin_offsetof(struct fpu_pattern, st) == 16, "st at 16");
_Static_assert(__builtin_offsetof(struct fpu_pattern, xmm) == 80, "xmm at 80");

/* The 64-bit FXSAVE image: the same layout as the FPU context entry. */
struct fpu_image {
    _Alignas(16) struct domctx_fpu f;
};

void fpu_load(const struct fpu_pattern *p);
void fpu_snapshot(struct fpu_image *img);
void fpu_raise_xm(void);
void fpu_raise_mf(void);
void fpu_try_avx(void);

static uint64_t mix64(uint64_t x)
{
    x += UINT64_C(0x9e3779b97f4a7c15);
    x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
    return x ^ (x >> 31);
}

/* Values only this seed (and round of noise) gives; st[] exact in 80 bits. */
static void make_pattern(struct fpu_pattern *p, uint64_t seed, uint16_t fcw, uint32_t mxcsr,
                         uint32_t nr_st)
{
    memset(p, 0, sizeof(*p));
    p->fcw = fcw;
    p->mxcsr = mxcsr;
    p->nr_st = nr_st;
    for (unsigned int i = 0; i < NR_ST; i++)
        p->st[i] = (mix64(seed * 64 + i) >> 2) | 1;     /* positive, nonzero */
    for (unsigned int i = 0; i < NR_XMM; i++) {
        uint64_t w[2] = { mix64(seed * 64 + 16 + 2 * i), mix64(seed * 64 + 17 + 2 * i) };

        memcpy(p->xmm[i], w, sizeof(w));
    }
}

/* A positive integer as the x87 stores it: 64-bit significand with its
 * integer bit, then sign and 15-bit biased exponent. */
static void int_to_ext80(uint64_t v, uint8_t out[ST_LEN])
{
    unsigned int msb = 63 - (unsigned int)__builtin_clzll(v);
    uint64_t significand = v << (63 - msb);
    uint16_t exponent = (uint16_t)(16383 + msb);

    memcpy(out, &significand, 8);
    memcpy(out + 8, &exponent, 2);
}

static void print_hex(const char *label, const uint8_t *p, size_t n)
{
    printf("%s", label);
    for (size_t i = n; i > 0; i--)
        printf("%02x", p[i - 1]);
}

/* One line naming the first difference; true when there was none. */
static bool same(const char *prefix, const char *reg, const void *want, const void *got, size_t n,
                 const char *suffix)
{
    if (memcmp(want, got, n) == 0)
        return true;
    printf("FPUCHECK FAIL %s%s", prefix, reg);
    print_hex(" want=", want, n);
    print_hex(" got=", got, n);
    printf("%s\n", suffix);
    return false;
}

/* The registers' image after fpu_load(p) (ST slots beyond nr_st: not checked). */
static void expected_image(const struct fpu_pattern *p, struct domctx_fpu *e)
{
    uint32_t top = (NR_ST - p->nr_st) % NR_ST;

    memset(e, 0, sizeof(*e));
    e->fcw = p->fcw;
    e->fsw = (uint16_t)(top << 11);
    e->ftw = (uint8_t)(0xffu << (NR_ST - p->nr_st));   /* physical registers top..7 */
    e->mxcsr = p->mxcsr;
    for (unsigned int i = 0; i < p->nr_st; i++)
        int_to_ext80(p->st[i], e->st[i]);
    memcpy(e->xmm, p->xmm, sizeof(e->xmm));
}

/* Compare every register fpu_load set; the x87 pointers (FIP, FDP, FOP) are
 * not state fpucheck chose, and CPUs differ in saving them. */
static bool image_matches(const struct domctx_fpu *want, const struct domctx_fpu *got,
                          unsigned int nr_st, const char *prefix, const char *suffix)
{
    char reg[8];
    bool ok = same(prefix, "fcw", &want->fcw, &got->fcw, 2, suffix) &&
              same(prefix, "fsw", &want->fsw, &got->fsw, 2, suffix) &&
              same(prefix, "ftw", &want->ftw, &got->ftw, 1, suffix) &&
              same(prefix, "mxcsr", &want->mxcsr, &got->mxcsr, 4, suffix);

    for (unsigned int i = 0; ok && i < nr_st; i++) {
        rt_snprintf(reg, sizeof(reg), "st%u", i);
        ok = same(prefix, reg, want->st[i], got->st[i], ST_LEN, suffix);
    }
    for (unsigned int i = 0; ok && i < NR_XMM; i++) {
        rt_snprintf(reg, sizeof(reg), "xmm%u", i);
        ok = same(prefix, reg, want->xmm[i], got->xmm[i], 16, suffix);
    }
    return ok;
}

/* A new vCPU's state: FNINIT's control word, MXCSR 0x1f80, every register 0. */
static bool check_defaults(void)
{
    struct fpu_image img;
    struct domctx_fpu want = { .fcw = DOMCTX_FPU_FCW_DEFAULT, .mxcsr = DOMCTX_FPU_MXCSR_DEFAULT };

    fpu_snapshot(&img);
    if (!image_matches(&want, &img.f, NR_ST, "defaults ", ""))
        return false;
    printf("fpucheck: dom%u defaults ok\n", rt_domid());
    return true;
}

static bool check_round(const struct domctx_fpu *want, const char *after, uint64_t round)
{
    struct fpu_image img;
    char suffix[48];

    fpu_snapshot(&img);
    rt_snprintf(suffix, sizeof(suffix), " after=%s round=%lu", after, round);
    return image_matches(want, &img.f, NR_ST, "", suffix);
}

/* Busy for ms: the scheduler's tick preempts it, other domains run. */
static void spin_ms(uint64_t ms)
{
    uint64_t end = now_ns() + ms * NS_PER_MS;

    while (now_ns() < end)
        __asm__ volatile("pause");
}

struct params {
    uint64_t seed, period_ms, spin_ms, sleep_ms;
};

static int run_check(const struct params *pr)
{
    struct fpu_pattern p;
    struct domctx_fpu want;
    uint64_t next_report = now_ms() + pr->period_ms;

    if (!check_defaults())
        return 1;
    make_pattern(&p, pr->seed, CHECK_FCW, CHECK_MXCSR, NR_ST);
    expected_image(&p, &want);
    fpu_load(&p);
    printf("fpucheck: loaded seed=%lu\n", pr->seed);
    for (uint64_t round = 1;; round++) {
        spin_ms(pr->spin_ms);
        if (!check_round(&want, "spin", round))
            return 1;
        hc_sched_yield();
        if (!check_round(&want, "yield", round))
            return 1;
        sleep_ms(pr->sleep_ms);
        if (!check_round(&want, "sleep", round))
            return 1;
        if (now_ms() >= next_report) {
            printf("FPUCHECK ok %lu\n", round);
            next_report = now_ms() + pr->period_ms;
        }
    }
}

static __noreturn_fn void run_noise(const struct params *pr)
{
    struct fpu_pattern p;
    uint64_t next_report = now_ms() + pr->period_ms;

    for (uint64_t n = 1;; n++) {
        make_pattern(&p, ~pr->seed * 4096 + n, NOISE_FCW, NOISE_MXCSR, NOISE_NR_ST);
        fpu_load(&p);
        spin_ms(pr->spin_ms);
        hc_sched_yield();
        if (now_ms() >= next_report) {
            printf("fpunoise: dom%u loads %lu\n", rt_domid(), n);
            next_report = now_ms() + pr->period_ms;
        }
    }
}

int guest_main(void)
{
    char mode[16];
    struct params pr = {
        .seed = rt_param_u64("seed", rt_domid()),
        .period_ms = rt_param_u64("period", 1000),
        .spin_ms = rt_param_u64("spin", 2),
        .sleep_ms = rt_param_u64("sleep", 5),
    };

    rt_param_str("mode", mode, sizeof(mode), "check");
    printf("fpucheck: dom%u mode=%s seed=%lu\n", rt_domid(), mode, pr.seed);
    if (strcmp(mode, "check") == 0)
        return run_check(&pr);
    if (strcmp(mode, "noise") == 0)
        run_noise(&pr);
    if (strcmp(mode, "xm") == 0 || strcmp(mode, "mf") == 0) {
        bool xm = mode[0] == 'x';

        printf("fpucheck: dom%u raising %s\n", rt_domid(), xm ? "#XM" : "#MF");
        if (xm)
            fpu_raise_xm();
        else
            fpu_raise_mf();
        printf("FPUCHECK FAIL survived %s\n", xm ? "#XM" : "#MF");
        return 1;
    }
    if (strcmp(mode, "avx") == 0) {
        printf("fpucheck: dom%u trying AVX\n", rt_domid());
        fpu_try_avx();
        printf("FPUCHECK FAIL AVX ran with CR4.OSXSAVE clear: YMM state is not switched\n");
        return 1;
    }
    panic("fpucheck: mode=%s, expected check, noise, xm, mf or avx", mode);
}
