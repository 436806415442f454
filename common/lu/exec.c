/*
 * The old build's side of a live update, at kexec_op(exec,
 * KEXEC_TYPE_LIVE_UPDATE) (DESIGN.md steps 3 and 4):
 *   1. pause every domain; the rest runs on the idle vCPU, once every vCPU
 *      (the caller's included) has switched out at a restartable point;
 *   2. write the stream (save.c) into heap pages, never the bootmem nor
 *      any destination of the loaded image;
 *   3. hand the breadcrumb to kexec_reloc as three WRITE64 entries of the
 *      image, which it performs after every page is copied: its last
 *      stores before the jump;
 *   4. patch LU_DOWNTIME's exec_tsc, and jump (arch_kexec_exec).
 * Anything that fails before the jump frees the stream, unpauses every
 * domain and makes the caller's hypercall return the error: the domains
 * carry on under this build. On success the caller's hypercall returns 0
 * in the new build.
 *
 * lu_test= (tests only) damages the handover on purpose, to check how the
 * next build refuses it; see docs/user-guide.md.
 */
#include <baton/arch.h>
#include <baton/config.h>
#include <baton/domain.h>
#include <baton/errno.h>
#include <baton/kimage.h>
#include <baton/lib.h>
#include <baton/lu.h>
#include <baton/lu_bootmem.h>
#include <baton/printk.h>
#include <baton/sched.h>

static struct lu_exec {
    struct kimage *image;
    struct vcpu *caller;                /* its hypercall's result is ours */
    uint64_t pause_tsc;
    enum lu_test test;
    struct lu_writer writer;
} x;

void lu_exec_set_test(enum lu_test test)
{
    x.test = test;
}

/* Nothing of the stream may lie where kexec_reloc will copy. */
static int check_clear_of_image(const struct lu_writer *w)
{
    for (uint64_t i = 0; i < w->nr_pages; i++)
        if (kimage_is_destination(x.image, w->mfns[i] << PAGE_SHIFT, PAGE_SIZE))
            return -BATON_EEXIST;
    if (kimage_is_destination(x.image, w->mfns_mfn << PAGE_SHIFT, w->mfns_cap << PAGE_SHIFT))
        return -BATON_EEXIST;
    return 0;
}

/* What lu_test= asks to damage, after the stream is written (tests only). */
static void damage(struct lu_writer *w, struct lu_breadcrumb *bc)
{
    const uint64_t at = sizeof(struct lu_rec_hdr) +
                        __builtin_offsetof(struct lu_rec_version, stream_length);
    uint64_t len = w->bytes + LU_REC_ALIGN;

    switch (x.test) {
    case LU_TEST_BAD_MAGIC:
        bc->magic ^= 1ULL << 20;
        break;
    case LU_TEST_ARRAY_OUTSIDE_RAM:
        bc->mfn_array_pa = 1ULL << 45;
        break;
    case LU_TEST_FLIP_LENGTH:
        lu_writer_patch(w, at, &len, sizeof(len));
        break;
    default:
        return;
    }
    pr_warn("LU: lu_test: the handover is damaged on purpose\n");
}

/* Test only: leave the breadcrumb where kexec_reloc would, and stop. */
static __noreturn void halt_at_handover(const struct lu_breadcrumb *bc)
{
    *(struct lu_breadcrumb *)phys_to_virt(lu_bootmem.start) = *bc;
    pr_info("LU: halted at the handover (lu_test=halt): breadcrumb at 0x%llx, MFN array at 0x%llx, %llu stream pages\n",
            (unsigned long long)lu_bootmem.start, (unsigned long long)bc->mfn_array_pa,
            (unsigned long long)(bc->shifted_nr_pages >> PAGE_SHIFT));
    arch_halt();
}

static int add_breadcrumb(const struct lu_breadcrumb *bc)
{
    paddr_t at = lu_bootmem.start;
    int rc;

    rc = kimage_add_write64(x.image, at, bc->magic);
    if (!rc)
        rc = kimage_add_write64(x.image, at + 8, bc->mfn_array_pa);
    if (!rc)
        rc = kimage_add_write64(x.image, at + 16, bc->shifted_nr_pages);
    return rc;
}

static void fail(int rc, const char *where)
{
    lu_writer_free(&x.writer);
    domain_for_each(domain_unpause);
    arch_vcpu_set_return(x.caller, rc);
    pr_err("LU: exec failed at %s (%d): every domain unpaused, still on this build\n", where, rc);
    x.image = NULL;
}

static void exec_on_idle(void)
{
    struct lu_rec_downtime dt = { .pause_tsc = x.pause_tsc, .save_tsc = arch_cycles() };
    struct lu_breadcrumb bc;
    uint64_t dt_at, exec_tsc;
    int rc;

    BUG_ON(!is_idle_vcpu(current));
    rc = lu_save(&x.writer, &dt, &dt_at, &bc);
    if (!rc && x.test == LU_TEST_FAIL_SAVE)
        rc = -BATON_ENOMEM;         /* tests only: the way back, on purpose */
    if (!rc)
        rc = check_clear_of_image(&x.writer);
    if (rc) {
        fail(rc, rc == -BATON_EEXIST ? "a stream page under the new image" : "the save");
        return;
    }
    damage(&x.writer, &bc);
    if (x.test == LU_TEST_HALT)
        halt_at_handover(&bc);
    rc = add_breadcrumb(&bc);
    if (rc) {
        /* a partial run of writes may be in the image: it is no longer fit */
        kimage_free(x.image);
        fail(rc, "the breadcrumb (the image is unloaded: load it again)");
        return;
    }
    pr_info("LU: exec: %llu octets of stream in %llu pages, breadcrumb at 0x%llx; jumping\n",
            (unsigned long long)x.writer.bytes, (unsigned long long)x.writer.nr_pages,
            (unsigned long long)lu_bootmem.start);
    exec_tsc = arch_cycles();
    lu_writer_patch(&x.writer, dt_at + __builtin_offsetof(struct lu_rec_downtime, exec_tsc),
                    &exec_tsc, sizeof(exec_tsc));
    arch_kexec_exec(x.image);
}

int lu_exec(struct kimage *image, struct vcpu *caller)
{
    if (x.image)
        return -BATON_EBUSY;
    if (!lu_bootmem.end) {
        pr_err("LU: exec: no live update bootmem (boot with liveupdate=SIZE@ADDR)\n");
        return -BATON_ENOENT;
    }
    x.image = image;
    x.caller = caller;
    x.pause_tsc = arch_cycles();
    domain_for_each(domain_pause);
    if (sched_run_on_idle(exec_on_idle)) {
        domain_for_each(domain_unpause);
        x.image = NULL;
        pr_err("LU: exec: the idle vCPU's work queue is full; try again\n");
        return -BATON_EBUSY;
    }
    pr_info("LU: exec requested: every domain paused\n");
    return 0;
}
