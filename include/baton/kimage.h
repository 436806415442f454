/*
 * A kexec image being loaded or loaded (common/kimage.c): its segments
 * checked against the rules of a load, its bytes staged in hypervisor heap
 * pages, and the indirection list kexec_reloc follows at exec.
 *
 * kimage.c is also built on the host (tests/unit/test_kimage.c): it reaches
 * pages and the loader's memory only through struct kimage_ops.
 */
#ifndef BATON_KIMAGE_H
#define BATON_KIMAGE_H

#include <baton/bootinfo.h>
#include <baton/types.h>
#include <public/kexec.h>

/*
 * The indirection list: 64-bit entries, an address (page aligned, or a
 * value for WRITE64) ORed with one flag. kexec_reloc reads them
 * (arch/x86/kexec_reloc.asm, through asm-offsets) in two passes:
 *
 *   pass 1  DESTINATION  the next page goes to this physical address
 *           SOURCE       copy this staged page to it; destination += 4 KiB
 *           ZERO         zero it (address bits 0); destination += 4 KiB
 *   pass 2  DESTINATION  the next WRITE64 stores at this address
 *           WRITE64      store (entry & PAGE_MASK) there; destination += 8
 *   both    INDIRECTION  the list continues in this page
 *           DONE         the end
 *
 * so every 64-bit write happens after every page is in place, wherever it
 * sits in the list. A WRITE64 value has its low 12 bits clear (hence the
 * masked breadcrumb magic of public/lu.h).
 */
#define IND_DESTINATION 0x1
#define IND_INDIRECTION 0x2
#define IND_DONE        0x4
#define IND_SOURCE      0x8
#define IND_ZERO        0x10
#define IND_WRITE64     0x20
#define IND_FLAGS       0x3f

typedef uint64_t kimage_entry_t;

/* Entries per indirection page; the last slot is kept for the link. */
#define KIMAGE_IND_ENTRIES (PAGE_SIZE / sizeof(kimage_entry_t))
/* Heap pages one call may refuse (they are destinations) before it gives up. */
#define KIMAGE_MAX_REJECTS 4096

/*
 * What a load is checked against. RAM is the sanitized memory map; MA_XEN
 * and MA_LIVEUPDATE are [start, end) (end == 0: none).
 */
struct kimage_ranges {
    const struct mem_range *map;
    unsigned int nr_map;
    paddr_t xen_start, xen_end;
    paddr_t lu_start, lu_end;
};

/* Pages and the loader's memory: the hypervisor's (common/kexec.c) or a test's. */
struct kimage_ops {
    paddr_t (*alloc_page)(void);          /* a heap page, or 0 */
    void (*free_page)(paddr_t pa);
    void *(*map)(paddr_t pa);             /* the page's bytes (the direct map) */
    /* Copy len octets at the loader's address src; 0 or -BATON_EFAULT. */
    int (*copy_in)(void *ctx, void *dst, uint64_t src, size_t len);
    void *ctx;
};

struct kimage {
    bool loaded;
    uint8_t type;                        /* KEXEC_TYPE_* */
    uint64_t entry;                      /* machine address kexec_reloc enters */
    unsigned int nr_segments;
    struct kexec_segment segments[KEXEC_SEGMENT_MAX];
    const struct kimage_ops *ops;

    kimage_entry_t head;                 /* IND_INDIRECTION | first page, or IND_DONE */
    paddr_t ind_page;                    /* the indirection page being filled */
    unsigned int ind_next;               /* its next free slot (it holds IND_DONE) */
    paddr_t write_next;                  /* where a WRITE64 continues a run, or 0 */
    paddr_t control_list;                /* pages holding the control pages' addresses */
    unsigned int control_next;
    unsigned int nr_pages;               /* every heap page the image holds */
    paddr_t rejects;                     /* heap pages refused (destinations), held for a call */
    unsigned int nr_rejects;

    /* Filled by arch_kexec_prepare (baton/arch.h, "kexec"). */
    paddr_t control_page;                /* kexec_reloc's copy, its stack and GDT */
    paddr_t pt_root;                     /* the identity page tables */
};

/* ---------------------------------------------------------------- validation (pure) */

/*
 * Check one segment alone (index i, for the messages): 0, or a negative
 * code naming the rule, with a message naming the segment:
 *   -BATON_EINVAL    destination or size not page aligned, or size 0
 *   -BATON_EOVERFLOW destination + size wraps past 2^64
 *   -BATON_EFAULT    a null buffer (buf 0) with a non-zero buf_size
 *   -BATON_ENOSPC    buf_size larger than dest_size
 *   -BATON_ERANGE    a segment with bytes not inside one RAM range, or a
 *                    null-buffer segment beyond the end of the memory map
 *   -BATON_EPERM     live update: outside MA_XEN and MA_LIVEUPDATE
 *   -BATON_EBUSY     live update: on the first page of MA_LIVEUPDATE (the breadcrumb's)
 * A null-buffer segment (buf 0, buf_size 0) is only identity mapped for the
 * jump, never written: it may cover non-RAM (kexec-tools' low 1 MiB) and
 * is exempt from the live update ranges.
 */
int kimage_check_segment(const struct kexec_segment *seg, unsigned int i, uint8_t type,
                         const struct kimage_ranges *r);
/*
 * Check a whole load before anything is copied: the count (-BATON_E2BIG
 * above KEXEC_SEGMENT_MAX), each segment, no two overlapping
 * (-BATON_EEXIST), and the entry inside a segment that carries bytes
 * (-BATON_ENOENT).
 */
int kimage_check_load(uint8_t type, uint64_t entry, const struct kexec_segment *segs,
                      unsigned int nr, const struct kimage_ranges *r);
bool kimage_segment_is_null(const struct kexec_segment *seg);

/* ---------------------------------------------------------------- staging */

/*
 * Check (kimage_check_load) and stage a load into *image (which must be
 * zeroed or freed): every segment's bytes copied from the loader into heap
 * pages that are no segment's destination, and the indirection list built.
 * On failure nothing is left allocated. 0 or -BATON_E*.
 */
int kimage_load(struct kimage *image, uint8_t type, uint64_t entry,
                const struct kexec_segment *segs, unsigned int nr,
                const struct kimage_ranges *r, const struct kimage_ops *ops);
/*
 * Add a 64-bit store of value at pa, done by kexec_reloc after every page
 * is copied. pa is 8-aligned and either page aligned or right after the
 * previous write64 (a run: the breadcrumb's three words); value has its
 * low 12 bits clear. 0, -BATON_EINVAL or -BATON_ENOMEM.
 */
int kimage_add_write64(struct kimage *image, paddr_t pa, uint64_t value);
/* A zeroed heap page outside every destination, freed with the image (0: none). */
paddr_t kimage_alloc_control_page(struct kimage *image);
/* Whether [pa, pa + size) meets a segment's destination. */
bool kimage_is_destination(const struct kimage *image, paddr_t pa, uint64_t size);
/* Free every page the image holds and zero it. */
void kimage_free(struct kimage *image);

#endif
