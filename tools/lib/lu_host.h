/*
 * The one host-side backend of the live update stream library (common/lu),
 * for lu-dump, lu-bench, the unit tests' fixture and the fuzz targets:
 *
 * - struct lu_host_mem: physical memory present on the host as segments
 *   (a fake RAM buffer, a memory dump's PT_LOAD segments), and the reader
 *   callbacks over it (map_phys, vmap, their undo, malloc scratch);
 * - struct lu_host_pool: a page allocator over host memory for the writer
 *   (struct lu_mem_ops): single frames handed out with a stride (so a
 *   stream's frames need not be adjacent), runs first-fit, with a count of
 *   live frames and failure injection.
 */
#ifndef TOOLS_LIB_LU_HOST_H
#define TOOLS_LIB_LU_HOST_H

#include <baton/lu_stream.h>

#define LU_HOST_SEGMENTS 64

struct lu_host_segment {
    uint64_t pa, len;
    uint8_t *p;
};

struct lu_host_mem {
    struct lu_host_segment seg[LU_HOST_SEGMENTS];
    unsigned int nr;
    bool copy;          /* map and vmap return private copies, never aliases */
    bool strict;        /* a map of memory not present aborts (fuzz oracle) */
};

void lu_host_mem_init(struct lu_host_mem *m, bool copy, bool strict);
/* 0, or -1 when there are LU_HOST_SEGMENTS already. */
int lu_host_mem_add(struct lu_host_mem *m, uint64_t pa, uint64_t len, void *p);
/* [pa, pa + len) inside one segment, or NULL. */
void *lu_host_mem_ptr(const struct lu_host_mem *m, uint64_t pa, uint64_t len);
/* Whole pages of the segments, sorted and merged, into ram[max]: the count. */
unsigned int lu_host_mem_ram(struct lu_host_mem *m, struct lu_range *ram, unsigned int max);
/* The reader callbacks over m (RAM and reserved ranges are the caller's). */
void lu_host_reader(struct lu_reader *r, struct lu_host_mem *m);

struct lu_host_pool {
    uint8_t *mem;             /* frames [base, base + nr), page aligned */
    uint64_t base, nr;
    uint8_t *used;            /* one octet per frame */
    uint64_t single_first, single_nr, stride;  /* single frames */
    uint64_t run_first, run_nr;                /* runs (the MFN array) */
    uint64_t next_single;     /* stride cursor */
    uint64_t allocs;          /* successful allocations */
    int64_t fail_after;       /* fail allocation number N (0-based); -1 never */
    uint64_t live;            /* frames allocated, not yet freed */
    struct lu_host_mem phys;  /* the frames, for a reader (no copy) */
    struct lu_mem_ops ops;
};

/*
 * nr frames of zeroed host memory at frame base; single frames from
 * [single_first, + single_nr) with the given stride (co-prime with
 * single_nr), runs first-fit from [run_first, + run_nr). Aborts on no memory.
 */
void lu_host_pool_init(struct lu_host_pool *p, uint64_t base, uint64_t nr,
                       uint64_t single_first, uint64_t single_nr, uint64_t stride,
                       uint64_t run_first, uint64_t run_nr);
void lu_host_pool_fini(struct lu_host_pool *p);
/* Every frame free again, the cursor back at the start (a bump reset). */
void lu_host_pool_reset(struct lu_host_pool *p);
/* Host address of physical address pa in the pool, or NULL. */
void *lu_host_pool_addr(struct lu_host_pool *p, uint64_t pa);

#endif
