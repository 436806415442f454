/*
 * HYPERCALL_kexec_op, with Xen's numbering (public/kexec.h) so that
 * kexec-tools' live update path and hvctl drive it alike. Domain 0 only.
 *
 *   get_range  MA_XEN: the running image's slot, reserved at boot, as a
 *              loader may fill it; MA_LIVEUPDATE: the liveupdate= bootmem
 *              (size 0: none); MA_CRASH: size 0 (no crash kernel); MA_CPU:
 *              size 0 for CPU 0 (no crash notes), -EINVAL for others.
 *   load       DEFAULT or LIVE_UPDATE, x86-64 only: every segment checked,
 *              then staged (common/kimage.c) and the control page and
 *              identity tables prepared (arch_kexec_prepare). One image per
 *              type: a good load replaces the previous one, a refused load
 *              leaves it in place.
 *   unload     frees the image of a type (0 even when there was none).
 *   status     1 when an image of the type is loaded, else 0.
 *   exec       DEFAULT: a plain reboot into the image, domains not
 *              preserved; never returns. LIVE_UPDATE: every domain paused,
 *              then saved and handed over (common/lu/exec.c); the call
 *              returns 0 in the new build, or the error when the exec
 *              fails before the jump (domains unpaused).
 */
#include <baton/arch.h>
#include <baton/domain.h>
#include <baton/errno.h>
#include <baton/guest_access.h>
#include <baton/kexec.h>
#include <baton/lib.h>
#include <baton/lu.h>
#include <baton/lu_bootmem.h>
#include <baton/sched.h>
#include <baton/memory.h>
#include <baton/page_alloc.h>
#include <baton/printk.h>

#define NR_TYPES (KEXEC_TYPE_LIVE_UPDATE + 1)

static struct kimage images[NR_TYPES];
static struct kexec_segment segments[KEXEC_SEGMENT_MAX];

static const char *const type_names[NR_TYPES] = { "default", "crash", "live update" };

/* ---------------------------------------------------------------- kimage's pages */

static paddr_t heap_alloc_page(void)
{
    pfn_t pfn = page_alloc(0);

    return pfn == INVALID_PFN ? 0 : pfn << PAGE_SHIFT;
}

static void heap_free_page(paddr_t pa)
{
    page_free(pa >> PAGE_SHIFT, 0);
}

static void *heap_map(paddr_t pa)
{
    return phys_to_virt(pa);
}

static int copy_from_loader(void *ctx, void *dst, uint64_t src, size_t len)
{
    return copy_from_guest(ctx, dst, src, len);
}

/* ctx: the domain loading, set for the length of a load. */
static struct kimage_ops heap_ops = {
    .alloc_page = heap_alloc_page, .free_page = heap_free_page, .map = heap_map,
    .copy_in = copy_from_loader,
};

/* ---------------------------------------------------------------- ranges */

#ifdef CONFIG_LIVE_UPDATE
static struct phys_region live_update_region(void)
{
    return lu_bootmem;
}
#else
static struct phys_region live_update_region(void)
{
    return (struct phys_region){ 0, 0 };
}
#endif

void kexec_get_ranges(struct kimage_ranges *r)
{
    struct phys_region lu = live_update_region();

    *r = (struct kimage_ranges){
        .map = memory_map, .nr_map = memory_map_entries,
        /* exactly what memory_init reserved: the image slot, to HV_IMAGE_ALIGN */
        .xen_start = image_region.start, .xen_end = image_region.end,
        .lu_start = lu.end ? lu.start : 0, .lu_end = lu.end,
    };
}

static int get_range(struct domain *d, uint64_t arg)
{
    struct kexec_range range;
    struct kimage_ranges r;

    if (copy_from_guest(d, &range, arg, sizeof(range)))
        return -BATON_EFAULT;
    kexec_get_ranges(&r);
    switch (range.range) {
    case KEXEC_RANGE_MA_XEN:
        range.start = r.xen_start;
        range.size = r.xen_end - r.xen_start;
        break;
    case KEXEC_RANGE_MA_LIVEUPDATE:
        range.start = r.lu_start;
        range.size = r.lu_end - r.lu_start;
        break;
    case KEXEC_RANGE_MA_CRASH:
        range.start = range.size = 0;   /* no crash kernel area */
        break;
    case KEXEC_RANGE_MA_CPU:
        if (range.nr != 0)              /* Baton runs on the boot CPU alone */
            return -BATON_EINVAL;
        range.start = range.size = 0;   /* no crash notes */
        break;
    default:
        return -BATON_EINVAL;
    }
    return copy_to_guest(d, arg, &range, sizeof(range)) ? -BATON_EFAULT : 0;
}

/* ---------------------------------------------------------------- load, unload, status */

struct kimage *kexec_loaded_image(uint8_t type)
{
    return type < NR_TYPES && images[type].loaded ? &images[type] : NULL;
}

static int check_load_header(const struct kexec_load *l)
{
    if (l->pad) {
        pr_err("kexec: load: pad is 0x%x, want 0\n", l->pad);
        return -BATON_EINVAL;
    }
    if (l->type == KEXEC_TYPE_CRASH) {
        pr_err("kexec: load: crash images are not supported (Baton has no crash path)\n");
        return -BATON_EOPNOTSUPP;
    }
    if (l->type != KEXEC_TYPE_DEFAULT && l->type != KEXEC_TYPE_LIVE_UPDATE) {
        pr_err("kexec: load: type %u, want %u (default) or %u (live update)\n", l->type,
               KEXEC_TYPE_DEFAULT, KEXEC_TYPE_LIVE_UPDATE);
        return -BATON_EINVAL;
    }
    if (l->arch != KEXEC_ARCH_X86_64) {
        pr_err("kexec: load: ELF machine %u, want %u (x86-64)\n", l->arch, KEXEC_ARCH_X86_64);
        return -BATON_EINVAL;
    }
    if (l->nr_segments > KEXEC_SEGMENT_MAX) {
        pr_err("kexec: %u segments, at most %u: refused\n", l->nr_segments, KEXEC_SEGMENT_MAX);
        return -BATON_E2BIG;
    }
    return 0;
}

static int load(struct domain *d, uint64_t arg)
{
    struct kexec_load l;
    struct kimage staged, *slot;
    struct kimage_ranges r;
    int rc;

    if (copy_from_guest(d, &l, arg, sizeof(l)))
        return -BATON_EFAULT;
    rc = check_load_header(&l);
    if (rc)
        return rc;
    if (copy_from_guest(d, segments, l.segments, l.nr_segments * sizeof(segments[0])))
        return -BATON_EFAULT;

    kexec_get_ranges(&r);
    heap_ops.ctx = d;
    rc = kimage_load(&staged, l.type, l.entry_maddr, segments, l.nr_segments, &r, &heap_ops);
    heap_ops.ctx = NULL;
    if (rc)
        return rc;
    rc = arch_kexec_prepare(&staged);
    if (rc) {
        kimage_free(&staged);
        return rc;
    }
    slot = &images[l.type];
    kimage_free(slot);
    *slot = staged;
    pr_info("kexec: %s image loaded: %u segments, entry 0x%llx, %u heap pages\n",
            type_names[l.type], slot->nr_segments, (unsigned long long)slot->entry,
            slot->nr_pages);
    return 0;
}

/* The type of an unload, status or exec: 0..NR_TYPES-1, or -EINVAL. */
static int check_type(long type)
{
    if (type < 0 || type >= NR_TYPES) {
        pr_err("kexec: type %ld, want %u..%u\n", type, KEXEC_TYPE_DEFAULT,
               KEXEC_TYPE_LIVE_UPDATE);
        return -BATON_EINVAL;
    }
    return 0;
}

static int unload(struct domain *d, uint64_t arg)
{
    struct kexec_unload u;

    if (copy_from_guest(d, &u, arg, sizeof(u)))
        return -BATON_EFAULT;
    if (check_type(u.type))
        return -BATON_EINVAL;
    if (images[u.type].loaded)
        pr_info("kexec: %s image unloaded\n", type_names[u.type]);
    kimage_free(&images[u.type]);
    return 0;
}

static int status(struct domain *d, uint64_t arg)
{
    struct kexec_status st;

    if (copy_from_guest(d, &st, arg, sizeof(st)))
        return -BATON_EFAULT;
    if (check_type(st.type))
        return -BATON_EINVAL;
    return images[st.type].loaded ? 1 : 0;
}

/* ---------------------------------------------------------------- exec */

static int exec(struct domain *d, uint64_t arg)
{
    struct kexec_exec e;
    struct kimage *image;

    if (copy_from_guest(d, &e, arg, sizeof(e)))
        return -BATON_EFAULT;
    if (check_type(e.type))
        return -BATON_EINVAL;
    image = kexec_loaded_image((uint8_t)e.type);
    if (!image) {
        pr_err("kexec: exec: no %s image loaded\n", type_names[e.type]);
        return -BATON_ENOENT;
    }
    if (e.type == KEXEC_TYPE_LIVE_UPDATE)
        return lu_exec(image, current);
    pr_info("kexec: exec of the default image: entry 0x%llx, %u segments; domains are not "
            "preserved\n", (unsigned long long)image->entry, image->nr_segments);
    arch_kexec_exec(image);
}

/* ---------------------------------------------------------------- the hypercall */

long do_kexec_op(struct domain *d, uint32_t cmd, uint64_t arg)
{
    if (!d->privileged)         /* domain 0; nothing of arg is read */
        return -BATON_EPERM;
    switch (cmd) {
    case KEXEC_CMD_kexec_get_range:
        return get_range(d, arg);
    case KEXEC_CMD_kexec_load:
        return load(d, arg);
    case KEXEC_CMD_kexec_unload:
        return unload(d, arg);
    case KEXEC_CMD_kexec_status:
        return status(d, arg);
    case KEXEC_CMD_kexec:
        return exec(d, arg);
    default:
        return -BATON_ENOSYS;
    }
}
