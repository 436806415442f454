/*
 * Copies between the hypervisor and a guest's memory. Guest addresses are
 * pseudo-physical (the guest maps them 1:1), so a copy translates through
 * the domain's extents and the direct map and never touches the guest's
 * page tables: a bad pointer is an -EFAULT, never a hypervisor fault.
 */
#include <baton/arch.h>
#include <baton/domain.h>
#include <baton/errno.h>
#include <baton/lib.h>

uint64_t guest_gpfn_to_mfn(const struct domain *d, uint64_t gpfn)
{
    for (unsigned int i = 0; i < d->nr_extents; i++) {
        const struct mem_extent *e = &d->extents[i];
        if (gpfn >= e->gpfn && gpfn - e->gpfn < e->count)
            return e->mfn + (gpfn - e->gpfn);
    }
    return INVALID_MFN;
}

/* The whole of [gva, gva + len) lies in guest RAM above page 0, every page
 * of it backed: checked before a byte moves, so a failed copy copies nothing. */
static bool guest_range_ok(const struct domain *d, uint64_t gva, size_t len)
{
    if (gva < PV_PAGE_SIZE || gva > d->mem_size || len > d->mem_size - gva)
        return false;
    for (uint64_t pfn = gva >> PAGE_SHIFT; len && pfn <= (gva + len - 1) >> PAGE_SHIFT; pfn++)
        if (guest_gpfn_to_mfn(d, pfn) == INVALID_MFN)
            return false;
    return true;
}

static void *guest_page(const struct domain *d, uint64_t gva)
{
    uint64_t mfn = guest_gpfn_to_mfn(d, gva >> PAGE_SHIFT);

    return mfn == INVALID_MFN ? NULL
                              : (uint8_t *)phys_to_virt(mfn << PAGE_SHIFT) + (gva & ~PAGE_MASK);
}

int copy_from_guest(const struct domain *d, void *dst, uint64_t gva, size_t len)
{
    uint8_t *out = dst;

    if (!guest_range_ok(d, gva, len))
        return -BATON_EFAULT;
    while (len) {
        size_t chunk = MIN(len, PAGE_SIZE - (gva & ~PAGE_MASK));
        const void *src = guest_page(d, gva);
        memcpy(out, src, chunk);
        out += chunk;
        gva += chunk;
        len -= chunk;
    }
    return 0;
}

int copy_to_guest(const struct domain *d, uint64_t gva, const void *src, size_t len)
{
    const uint8_t *in = src;

    if (!guest_range_ok(d, gva, len))
        return -BATON_EFAULT;
    while (len) {
        size_t chunk = MIN(len, PAGE_SIZE - (gva & ~PAGE_MASK));
        void *dst = guest_page(d, gva);
        memcpy(dst, in, chunk);
        in += chunk;
        gva += chunk;
        len -= chunk;
    }
    return 0;
}
