/*
 * x87 and SSE state per vCPU. Guests may use x87, MMX and SSE (pv-abi.md
 * section 1); each vCPU owns a 512-octet FXSAVE image, and that state is
 * part of its domain context (DOMCTX_TYPE_FPU) across a live update.
 *
 * Why FXSAVE and not XSAVE: this build leaves CR4.OSXSAVE clear, so AVX
 * and later state is not part of the guest ABI; x87 and SSE are exactly
 * what FXSAVE covers, in a layout fixed by the architecture.
 *
 * Why eager and not lazy (CR0.TS and #NM): the switch saves the outgoing
 * guest's registers and loads the incoming one's every time. A lazy scheme
 * relies on the CPU trapping the first x87/SSE instruction, and under the
 * nested kvm_pvm of these machines CR0.EM and a clear CR4.OSFXSR are not
 * enforced in guest ring 3 (QEMU-HERE.md), so a trap cannot be relied
 * upon; eager switching is correct on every accelerator and costs one
 * FXSAVE and one FXRSTOR per switch.
 *
 * The hypervisor itself never touches these registers (HV_CFLAGS has
 * -mgeneral-regs-only): between two guests they hold the last guest's
 * state, which nothing reads before the next FXRSTOR.
 */
#include <asm/fpu.h>
#include <asm/io.h>
#include <baton/domain.h>
#include <baton/domctx.h>
#include <baton/errno.h>
#include <baton/lib.h>
#include <baton/printk.h>

#define CR0_TS         (1ULL << 3)
#define CR0_NE         (1ULL << 5)
#define CR4_OSFXSR     (1ULL << 9)
#define CR4_OSXMMEXCPT (1ULL << 10)

#define FXSAVE_MXCSR_MASK_OFFSET 28
#define ST_VALUE_LEN             10 /* an 80-bit register in its 16-octet slot */

#define CPUID_EXT_MAX            0x80000000u
#define CPUID_EXT_SIZES          0x80000008u
#define CPUID_XSAVEERPTR         (1u << 2)  /* 0x80000008 EBX: error pointers always saved */

static uint32_t mxcsr_mask = DOMCTX_FPU_MXCSR_MASK_DEFAULT;

/*
 * AMD CPUs without XSAVEERPTR save and restore FIP, FDP and FOP only while
 * an x87 exception is pending: FXRSTOR of another guest's image leaves the
 * previous guest's last x87 instruction and data pointers in place, for
 * the next one to read. Loading hypervisor values first (as Linux does)
 * stops that; elsewhere FXRSTOR replaces them and nothing is done.
 */
static bool scrub_error_pointers;
static const uint32_t scrub_operand;

uint32_t fpu_mxcsr_mask(void)
{
    return mxcsr_mask;
}

void fpu_set_mxcsr_mask(uint32_t mask)
{
    mxcsr_mask = mask;
}

void fpu_save(struct fpu_area *f)
{
    __asm__ volatile("fxsave64 %0" : "=m"(*f));
}

void fpu_restore(const struct fpu_area *f)
{
    /* fnclex: nothing pending, so the fild cannot raise; emms: every
     * register empty, so it cannot overflow the stack */
    if (scrub_error_pointers)
        __asm__ volatile("fnclex; emms; fildl %0" : : "m"(scrub_operand));
    __asm__ volatile("fxrstor64 %0" : : "m"(*f));
}

void fpu_state_reset(struct fpu_area *f)
{
    struct domctx_fpu img = {
        .fcw = DOMCTX_FPU_FCW_DEFAULT,
        .mxcsr = DOMCTX_FPU_MXCSR_DEFAULT,
    };

    _Static_assert(sizeof(img) == sizeof(f->fxsave), "entry and image agree");
    memcpy(f->fxsave, &img, sizeof(img));
}

static uint64_t read_cr4(void)
{
    uint64_t v;

    __asm__ volatile("mov %%cr4, %0" : "=r"(v));
    return v;
}

static void write_cr4(uint64_t v)
{
    __asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory");
}

static bool leaks_error_pointers(void)
{
    uint32_t a, b, c, d;
    char vendor[13];

    cpuid(0, 0, &a, &b, &c, &d);
    memcpy(vendor, &b, 4);
    memcpy(vendor + 4, &d, 4);
    memcpy(vendor + 8, &c, 4);
    vendor[12] = '\0';
    if (strcmp(vendor, "AuthenticAMD") != 0 && strcmp(vendor, "HygonGenuine") != 0)
        return false;
    cpuid(CPUID_EXT_MAX, 0, &a, &b, &c, &d);
    if (a < CPUID_EXT_SIZES)
        return true;
    cpuid(CPUID_EXT_SIZES, 0, &a, &b, &c, &d);
    return !(b & CPUID_XSAVEERPTR);
}

void fpu_init(void)
{
    static struct fpu_area probe;
    uint32_t reported;

    /* EM off and MP on: x87 runs and WAIT honours TS; TS off: nothing is
     * switched lazily; NE on: x87 errors raise #MF in the guest instead of
     * the legacy FERR# interrupt */
    write_cr0((read_cr0() & ~(CR0_EM | CR0_TS)) | CR0_MP | CR0_NE);
    /* OSFXSR: FXSAVE/FXRSTOR cover the XMM registers and SSE runs;
     * OSXMMEXCPT: an unmasked SSE exception is #XM (a guest fault) */
    write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
    /* which MXCSR bits FXRSTOR accepts here: a restored image is checked
     * against it, since FXRSTOR of any other bit faults in the hypervisor */
    fpu_save(&probe);
    memcpy(&reported, probe.fxsave + FXSAVE_MXCSR_MASK_OFFSET, sizeof(reported));
    if (reported)
        mxcsr_mask = reported;
    pr_info("fpu: x87/SSE per vCPU (FXSAVE, eager switch), MXCSR_MASK 0x%x\n", mxcsr_mask);
    scrub_error_pointers = leaks_error_pointers();
    if (scrub_error_pointers)
        pr_info("fpu: this CPU keeps FIP/FDP/FOP across FXRSTOR: scrubbed before each load\n");
}

/* ---------------------------------------------------------------- context */

/* The image as an entry, reserved octets cleared (CPUs may leave data there). */
static void area_to_ctx(const struct fpu_area *f, struct domctx_fpu *e)
{
    memcpy(e, f->fxsave, sizeof(*e));
    e->pad0 = 0;
    for (unsigned int i = 0; i < 8; i++)
        memset(&e->st[i][ST_VALUE_LEN], 0, sizeof(e->st[i]) - ST_VALUE_LEN);
    memset(e->pad1, 0, sizeof(e->pad1));
}

static int fpu_ctx_save(struct domain *d, unsigned int id, struct domctx_save_ctx *c)
{
    const struct vcpu *v = &d->vcpus[id];
    struct domctx_fpu e;

    /* an offline vCPU restarts from scratch: it has no state to keep */
    if (v->state == VCPU_OFFLINE)
        return 0;
    area_to_ctx(&v->arch.fpu, &e);
    return domctx_save_entry(c, &e, sizeof(e));
}

static bool st_reserved_zero(const struct domctx_fpu *e)
{
    for (unsigned int i = 0; i < 8; i++)
        if (!mem_is_zero(&e->st[i][ST_VALUE_LEN], sizeof(e->st[i]) - ST_VALUE_LEN))
            return false;
    return true;
}

static int check_fpu(const struct domain *d, unsigned int id, const struct domctx_fpu *e)
{
    const struct vcpu *v = &d->vcpus[id];

    if (v->state == VCPU_OFFLINE) {
        pr_err("d%u vcpu %u FPU: entry for an OFFLINE vCPU, expected none\n", d->domid, id);
        return -BATON_EINVAL;
    }
    if (e->mxcsr & ~mxcsr_mask) {
        pr_err("d%u vcpu %u FPU: MXCSR 0x%x sets bits 0x%x outside this CPU's MXCSR_MASK 0x%x\n",
               d->domid, id, e->mxcsr, e->mxcsr & ~mxcsr_mask, mxcsr_mask);
        return -BATON_EINVAL;
    }
    if (e->pad0 || !mem_is_zero(e->pad1, sizeof(e->pad1)) || !st_reserved_zero(e)) {
        pr_err("d%u vcpu %u FPU: nonzero reserved octets (pad0 0x%x, pad1 %s, ST slots' last 6 octets %s), expected 0\n",
               d->domid, id, e->pad0, mem_is_zero(e->pad1, sizeof(e->pad1)) ? "zero" : "nonzero",
               st_reserved_zero(e) ? "zero" : "nonzero");
        return -BATON_EINVAL;
    }
    return 0;
}

/* Runs after the vCPU's VCPU entry (lower type code), which reset the
 * state to the defaults: a stream without this entry keeps them. */
static int fpu_ctx_load(struct domain *d, unsigned int id, const struct domctx_entry *ent)
{
    struct domctx_fpu e;
    int rc;

    rc = domctx_entry_read(ent, &e, sizeof(e));
    if (!rc)
        rc = check_fpu(d, id, &e);
    if (rc)
        return rc;
    memcpy(d->vcpus[id].arch.fpu.fxsave, &e, sizeof(e));
    return 0;
}

DOMCTX_HANDLER(fpu_ctx, DOMCTX_TYPE_FPU, "FPU", DOMCTX_PER_VCPU,
               sizeof(struct domctx_fpu), fpu_ctx_save, fpu_ctx_load);
