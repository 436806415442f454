/*
 * kexec images: every segment of a load is checked before a byte is
 * copied, then the bytes are staged in hypervisor heap pages (never domain
 * pages, never the live update bootmem) that are no segment's destination,
 * and described by an indirection list (see baton/kimage.h) that
 * kexec_reloc follows at exec.
 *
 * Also built on the host: pages and the loader's memory are reached only
 * through image->ops.
 */
#include <baton/errno.h>
#include <baton/kimage.h>
#include <baton/lib.h>
#include <baton/printk.h>

/* ---------------------------------------------------------------- validation */

bool kimage_segment_is_null(const struct kexec_segment *seg)
{
    return seg->buf == 0 && seg->buf_size == 0;
}

static bool ram_covers(const struct kimage_ranges *r, paddr_t start, paddr_t end)
{
    paddr_t cur = start;
    bool progress = true;

    /* the map may list adjacent RAM ranges separately: follow them */
    while (cur < end && progress) {
        progress = false;
        for (unsigned int i = 0; i < r->nr_map; i++) {
            const struct mem_range *m = &r->map[i];
            if (m->type == MEM_RAM && m->start <= cur && cur - m->start < m->size) {
                cur = m->start + m->size;
                progress = true;
                break;
            }
        }
    }
    return cur >= end;
}

static paddr_t map_end(const struct kimage_ranges *r)
{
    paddr_t end = 0;

    for (unsigned int i = 0; i < r->nr_map; i++)
        end = MAX(end, r->map[i].start + r->map[i].size);
    return end;
}

static bool inside(paddr_t start, paddr_t end, paddr_t lo, paddr_t hi)
{
    return lo < hi && start >= lo && end <= hi;
}

static int check_live_update(const struct kexec_segment *seg, unsigned int i,
                             const struct kimage_ranges *r)
{
    paddr_t start = seg->dest_maddr, end = start + seg->dest_size;

    if (r->lu_end && start < r->lu_start + PAGE_SIZE && end > r->lu_start) {
        pr_err("kexec: segment %u (0x%llx-0x%llx) covers the breadcrumb page at 0x%llx, the first of "
               "MA_LIVEUPDATE: refused\n", i, (unsigned long long)start,
               (unsigned long long)end - 1, (unsigned long long)r->lu_start);
        return -BATON_EBUSY;
    }
    if (inside(start, end, r->xen_start, r->xen_end) ||
        inside(start, end, r->lu_start + PAGE_SIZE, r->lu_end))
        return 0;
    pr_err("kexec: segment %u (0x%llx-0x%llx) of a live update lies outside MA_XEN (0x%llx-0x%llx) "
           "and MA_LIVEUPDATE above its first page (0x%llx-0x%llx): refused\n", i,
           (unsigned long long)start, (unsigned long long)end - 1,
           (unsigned long long)r->xen_start, (unsigned long long)r->xen_end - 1,
           (unsigned long long)(r->lu_start + PAGE_SIZE), (unsigned long long)r->lu_end - 1);
    return -BATON_EPERM;
}

/* Alignment, wrap and buffer size: the rules that need no map. */
static int check_shape(const struct kexec_segment *seg, unsigned int i)
{
    unsigned long long dest = seg->dest_maddr, size = seg->dest_size;

    if (!IS_ALIGNED(dest, PAGE_SIZE) || !IS_ALIGNED(size, PAGE_SIZE) || size == 0) {
        pr_err("kexec: segment %u: destination 0x%llx size 0x%llx, want both page aligned and a "
               "non-zero size: refused\n", i, dest, size);
        return -BATON_EINVAL;
    }
    if (dest + size < dest) {
        pr_err("kexec: segment %u: destination 0x%llx + size 0x%llx wraps past 2^64: refused\n",
               i, dest, size);
        return -BATON_EOVERFLOW;
    }
    if (seg->buf == 0 && seg->buf_size != 0) {
        pr_err("kexec: segment %u: null buffer with buf_size 0x%llx (a null segment has 0): "
               "refused\n", i, (unsigned long long)seg->buf_size);
        return -BATON_EFAULT;
    }
    if (seg->buf_size > size) {
        pr_err("kexec: segment %u: buf_size 0x%llx larger than dest_size 0x%llx: refused\n", i,
               (unsigned long long)seg->buf_size, size);
        return -BATON_ENOSPC;
    }
    return 0;
}

int kimage_check_segment(const struct kexec_segment *seg, unsigned int i, uint8_t type,
                         const struct kimage_ranges *r)
{
    paddr_t start = seg->dest_maddr, end = start + seg->dest_size;
    int rc = check_shape(seg, i);

    if (rc)
        return rc;
    if (kimage_segment_is_null(seg)) {
        /* only identity mapped: any memory the map describes, RAM or not */
        if (end > map_end(r)) {
            pr_err("kexec: segment %u (null buffer, 0x%llx-0x%llx) ends beyond the memory map "
                   "(0x%llx): refused\n", i, (unsigned long long)start,
                   (unsigned long long)end - 1, (unsigned long long)map_end(r));
            return -BATON_ERANGE;
        }
        return 0;
    }
    if (!ram_covers(r, start, end)) {
        pr_err("kexec: segment %u (0x%llx-0x%llx) is not inside RAM: refused\n", i,
               (unsigned long long)start, (unsigned long long)end - 1);
        return -BATON_ERANGE;
    }
    return type == KEXEC_TYPE_LIVE_UPDATE ? check_live_update(seg, i, r) : 0;
}

static int check_overlaps(const struct kexec_segment *segs, unsigned int nr)
{
    for (unsigned int i = 0; i < nr; i++) {
        for (unsigned int j = i + 1; j < nr; j++) {
            const struct kexec_segment *a = &segs[i], *b = &segs[j];
            if (a->dest_maddr < b->dest_maddr + b->dest_size &&
                b->dest_maddr < a->dest_maddr + a->dest_size) {
                pr_err("kexec: segment %u (0x%llx-0x%llx) overlaps segment %u (0x%llx-0x%llx): "
                       "refused\n", j, (unsigned long long)b->dest_maddr,
                       (unsigned long long)(b->dest_maddr + b->dest_size - 1), i,
                       (unsigned long long)a->dest_maddr,
                       (unsigned long long)(a->dest_maddr + a->dest_size - 1));
                return -BATON_EEXIST;
            }
        }
    }
    return 0;
}

static int check_entry(uint64_t entry, const struct kexec_segment *segs, unsigned int nr)
{
    for (unsigned int i = 0; i < nr; i++)
        if (!kimage_segment_is_null(&segs[i]) && entry >= segs[i].dest_maddr &&
            entry - segs[i].dest_maddr < segs[i].dest_size)
            return 0;
    pr_err("kexec: entry 0x%llx is inside no segment that carries bytes: refused\n",
           (unsigned long long)entry);
    return -BATON_ENOENT;
}

int kimage_check_load(uint8_t type, uint64_t entry, const struct kexec_segment *segs,
                      unsigned int nr, const struct kimage_ranges *r)
{
    int rc;

    if (nr > KEXEC_SEGMENT_MAX) {
        pr_err("kexec: %u segments, at most %u: refused\n", nr, KEXEC_SEGMENT_MAX);
        return -BATON_E2BIG;
    }
    if (type == KEXEC_TYPE_LIVE_UPDATE && !r->lu_end) {
        pr_err("kexec: a live update needs the live update bootmem (liveupdate=): none reserved\n");
        return -BATON_EPERM;
    }
    for (unsigned int i = 0; i < nr; i++) {
        rc = kimage_check_segment(&segs[i], i, type, r);
        if (rc)
            return rc;
    }
    rc = check_overlaps(segs, nr);
    return rc ? rc : check_entry(entry, segs, nr);
}

/* ---------------------------------------------------------------- pages */

bool kimage_is_destination(const struct kimage *image, paddr_t pa, uint64_t size)
{
    for (unsigned int i = 0; i < image->nr_segments; i++) {
        const struct kexec_segment *s = &image->segments[i];
        if (pa < s->dest_maddr + s->dest_size && s->dest_maddr < pa + size)
            return true;
    }
    return false;
}

/* Give back the pages alloc_safe_page held aside (chained through their first word). */
static void release_rejects(struct kimage *image)
{
    const struct kimage_ops *ops = image->ops;

    while (image->rejects) {
        paddr_t next = *(paddr_t *)ops->map(image->rejects);
        ops->free_page(image->rejects);
        image->rejects = next;
    }
    image->nr_rejects = 0;
}

/*
 * A zeroed heap page that no segment will overwrite: kexec_reloc reads
 * staged pages, the list and its own page while it copies. Pages that are
 * destinations are held aside until the public call that allocates ends
 * (release_rejects), so that the allocator does not offer them again.
 */
static paddr_t alloc_safe_page(struct kimage *image)
{
    const struct kimage_ops *ops = image->ops;
    paddr_t pa;

    while ((pa = ops->alloc_page()) && kimage_is_destination(image, pa, PAGE_SIZE)) {
        *(paddr_t *)ops->map(pa) = image->rejects;
        image->rejects = pa;
        if (++image->nr_rejects == KIMAGE_MAX_REJECTS) {
            pa = 0;
            break;
        }
    }
    if (!pa) {
        pr_err("kexec: out of heap pages outside the destinations (%u pages held, %u refused)\n",
               image->nr_pages, image->nr_rejects);
        return 0;
    }
    memset(ops->map(pa), 0, PAGE_SIZE);
    image->nr_pages++;
    return pa;
}

static void free_page(struct kimage *image, paddr_t pa)
{
    image->ops->free_page(pa);
    image->nr_pages--;
}

/* ---------------------------------------------------------------- the indirection list */

static kimage_entry_t *ind_slot(const struct kimage *image, paddr_t page, unsigned int i)
{
    return (kimage_entry_t *)image->ops->map(page) + i;
}

/*
 * Append one entry. The list always ends with IND_DONE; when the current
 * page has only its last slot left, that slot links to a fresh page.
 */
static int add_entry(struct kimage *image, kimage_entry_t entry)
{
    if (!image->ind_page || image->ind_next == KIMAGE_IND_ENTRIES - 1) {
        paddr_t page = alloc_safe_page(image);

        if (!page)
            return -BATON_ENOMEM;
        if (image->ind_page)
            *ind_slot(image, image->ind_page, image->ind_next) = page | IND_INDIRECTION;
        else
            image->head = page | IND_INDIRECTION;
        image->ind_page = page;
        image->ind_next = 0;
    }
    *ind_slot(image, image->ind_page, image->ind_next++) = entry;
    *ind_slot(image, image->ind_page, image->ind_next) = IND_DONE;
    if (!(entry & IND_WRITE64))
        image->write_next = 0;
    return 0;
}

/* Stage one segment: a DESTINATION, then a SOURCE per page of bytes, a ZERO per page beyond. */
static int stage_segment(struct kimage *image, const struct kexec_segment *seg)
{
    const struct kimage_ops *ops = image->ops;
    uint64_t off;
    int rc;

    if (kimage_segment_is_null(seg))
        return 0;           /* identity mapped for the jump, never written */
    rc = add_entry(image, seg->dest_maddr | IND_DESTINATION);
    for (off = 0; !rc && off < seg->dest_size; off += PAGE_SIZE) {
        uint64_t len = off < seg->buf_size ? MIN(PAGE_SIZE, seg->buf_size - off) : 0;
        paddr_t page;

        if (!len) {
            rc = add_entry(image, IND_ZERO);
            continue;
        }
        page = alloc_safe_page(image);
        if (!page)
            return -BATON_ENOMEM;
        rc = ops->copy_in(ops->ctx, ops->map(page), seg->buf + off, len);
        if (!rc)
            rc = add_entry(image, page | IND_SOURCE);
        if (rc)
            free_page(image, page);
    }
    return rc;
}

int kimage_load(struct kimage *image, uint8_t type, uint64_t entry,
                const struct kexec_segment *segs, unsigned int nr,
                const struct kimage_ranges *r, const struct kimage_ops *ops)
{
    int rc = kimage_check_load(type, entry, segs, nr, r);

    if (rc)
        return rc;
    *image = (struct kimage){ .type = type, .entry = entry, .nr_segments = nr, .ops = ops,
                              .head = IND_DONE };
    memcpy(image->segments, segs, nr * sizeof(*segs));
    for (unsigned int i = 0; i < nr && !rc; i++) {
        rc = stage_segment(image, &segs[i]);
        if (rc)
            pr_err("kexec: segment %u (0x%llx octets to 0x%llx) not staged (%d)\n", i,
                   (unsigned long long)segs[i].buf_size,
                   (unsigned long long)segs[i].dest_maddr, rc);
    }
    release_rejects(image);
    if (rc) {
        kimage_free(image);
        return rc;
    }
    image->loaded = true;
    return 0;
}

int kimage_add_write64(struct kimage *image, paddr_t pa, uint64_t value)
{
    bool continues = image->write_next && pa == image->write_next;
    int rc;

    if (value & ~PAGE_MASK || !IS_ALIGNED(pa, 8) ||
        (!continues && !IS_ALIGNED(pa, PAGE_SIZE))) {
        pr_err("kexec: write64 of 0x%llx at 0x%llx: want the value's low 12 bits clear and the "
               "address page aligned or right after the previous write64\n",
               (unsigned long long)value, (unsigned long long)pa);
        return -BATON_EINVAL;
    }
    rc = continues ? 0 : add_entry(image, pa | IND_DESTINATION);
    if (!rc)
        rc = add_entry(image, value | IND_WRITE64);
    release_rejects(image);
    if (!rc)
        image->write_next = pa + 8;
    return rc;
}

/* ---------------------------------------------------------------- control pages */

/* Control pages are recorded in pages of addresses, slot 0 linking to the previous one. */
paddr_t kimage_alloc_control_page(struct kimage *image)
{
    paddr_t page;

    if (!image->control_list || image->control_next == KIMAGE_IND_ENTRIES) {
        paddr_t list = alloc_safe_page(image);

        if (!list) {
            release_rejects(image);
            return 0;
        }
        *ind_slot(image, list, 0) = image->control_list;
        image->control_list = list;
        image->control_next = 1;
    }
    page = alloc_safe_page(image);
    release_rejects(image);
    if (page)
        *ind_slot(image, image->control_list, image->control_next++) = page;
    return page;
}

static void free_control_pages(struct kimage *image)
{
    paddr_t list = image->control_list;

    while (list) {
        paddr_t prev = *ind_slot(image, list, 0);
        for (unsigned int i = 1; i < KIMAGE_IND_ENTRIES; i++) {
            paddr_t page = *ind_slot(image, list, i);
            if (page)
                free_page(image, page);
        }
        free_page(image, list);
        list = prev;
    }
}

/* Free the indirection pages and the staged (SOURCE) pages they list. */
static void free_list(struct kimage *image)
{
    kimage_entry_t e = image->head;
    paddr_t page = 0;
    unsigned int i = 0;

    while (!(e & IND_DONE)) {
        if (e & IND_INDIRECTION) {
            if (page)
                free_page(image, page);
            page = e & PAGE_MASK;
            i = 0;
        } else if (e & IND_SOURCE) {
            free_page(image, e & PAGE_MASK);
        }
        e = *ind_slot(image, page, i++);
    }
    if (page)
        free_page(image, page);
}

void kimage_free(struct kimage *image)
{
    if (image->ops) {
        release_rejects(image);
        free_list(image);
        free_control_pages(image);
        BUG_ON(image->nr_pages != 0);
    }
    *image = (struct kimage){ .head = IND_DONE };
}
