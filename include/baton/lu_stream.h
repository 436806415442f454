/*
 * Live update record stream (common/lu/): the writer the old build runs at
 * kexec time and the reader the new build runs at early boot. The same
 * sources build into the hypervisor and into host tools and tests, so all
 * memory comes through callbacks: a page allocator and a direct map for the
 * writer, a physical map and a vmap for the reader.
 *
 * Format: include/public/lu.h and docs/specs/live-update-handover.md.
 * The reader's internals are in common/lu/lu_private.h.
 */
#ifndef BATON_LU_STREAM_H
#define BATON_LU_STREAM_H

#include <baton/types.h>
#include <baton/domctx.h>
#include <public/lu.h>

/*
 * The stream format version this build writes and reads. Test builds pass
 * -DLU_STREAM_TEST_V2 to get version 2, which adds the optional
 * LU_DOMAIN_SUMMARY record (and the unit tests' extended context entry),
 * so both directions of compatibility are exercised.
 */
#ifdef LU_STREAM_TEST_V2
#define LU_STREAM_VERSION 2
#else
#define LU_STREAM_VERSION 1
#endif
/* Oldest stream version this build reads: V-1, never below 1. */
#define LU_STREAM_VERSION_MIN (LU_STREAM_VERSION > 1 ? LU_STREAM_VERSION - 1 : 1)
/* compat_version this build writes: everything v2 adds, a v1 reader may skip. */
#define LU_STREAM_COMPAT 1

/* Limits a reader checks before it maps, allocates or walks anything. */
#define LU_STREAM_PAGES_MAX  16384u   /* 64 MiB of records */
#define LU_DOMAINS_MAX       1024u
#define LU_VCPUS_MAX         512u     /* per domain */
#define LU_EXTENTS_MAX       65536u   /* per domain */
#define LU_EXTENTS_TOTAL_MAX 262144u
#define LU_RANGES_MAX        256u     /* RAM or reserved ranges from the caller */
#define LU_DOMID_LIMIT       0x7ff0u  /* first reserved domid */
#define LU_FRAME_LIMIT       (1ULL << 40) /* frames below 2^52 octets */
#define LU_ERROR_LEN         256

/* ------------------------------------------------------------ writer */

struct lu_mem_ops {
    /* nr physically contiguous frames: 0 and *mfn, or a negative error */
    int (*alloc)(void *priv, uint64_t nr, mfn_t *mfn);
    void (*free)(void *priv, mfn_t mfn, uint64_t nr);
    /* writable pointer to nr contiguous frames (the direct map) */
    void *(*map)(void *priv, mfn_t mfn, uint64_t nr);
    void *priv;
};

struct lu_writer {
    const struct lu_mem_ops *ops;
    uint64_t *mfns;          /* the MFN array, mapped */
    mfn_t mfns_mfn;          /* its first frame */
    uint64_t mfns_cap;       /* its size in frames */
    uint64_t nr_pages;       /* stream frames so far */
    uint8_t *first;          /* the first frame: LU_VERSION is patched at END */
    uint8_t *page;           /* the frame being filled */
    size_t page_used;
    uint64_t bytes;          /* stream octets so far */
    bool in_record;
    uint32_t rec_len, rec_done;
    uint32_t ext_left;       /* extents still due in LU_DOMAIN_MEMORY */
    uint64_t ext_pages, ext_end;
    int error;               /* sticky: the first failure */
};

int lu_writer_init(struct lu_writer *w, const struct lu_mem_ops *ops);
/* Raw records: begin with the exact body length, data, end pads. */
int lu_record_begin(struct lu_writer *w, uint32_t type, uint32_t body_length);
int lu_record_data(struct lu_writer *w, const void *data, size_t len);
int lu_record_end(struct lu_writer *w);
int lu_write_record(struct lu_writer *w, uint32_t type, const void *body, uint32_t len);
/* Typed records, in stream order. */
int lu_write_version(struct lu_writer *w, uint32_t hv_major, uint32_t hv_minor,
                     const char *hv_extra);
int lu_write_time(struct lu_writer *w, uint64_t tsc_hz, uint64_t tsc, uint64_t stime_ns);
int lu_write_domain_info(struct lu_writer *w, const struct lu_rec_domain_info *info);
/* Extents sorted by gpfn, non-overlapping; nr_extents known up front. */
int lu_write_memory_begin(struct lu_writer *w, uint32_t nr_extents);
int lu_write_memory_extent(struct lu_writer *w, uint64_t gpfn, mfn_t mfn, uint64_t count);
int lu_write_memory_end(struct lu_writer *w);
int lu_write_domain_memory(struct lu_writer *w, const struct lu_extent *ext, uint32_t nr);
/* Sizes the context with a dry run, then streams it into the record. */
int lu_write_domain_context(struct lu_writer *w, struct domain *d, unsigned int nr_vcpus);
/* LU_DOWNTIME; *at gets the stream offset of its body for lu_writer_patch. */
int lu_write_downtime(struct lu_writer *w, const struct lu_rec_downtime *dt, uint64_t *at);
/* Overwrite len octets at stream offset off (written already), wherever the
 * frames holding them are: a late field such as LU_DOWNTIME's exec_tsc. */
int lu_writer_patch(struct lu_writer *w, uint64_t off, const void *data, size_t len);
int lu_write_end(struct lu_writer *w);
/* After END: the breadcrumb that finds the MFN array and page count. */
int lu_writer_finish(struct lu_writer *w, struct lu_breadcrumb *bc);
/* Give back every frame (an abandoned save; host tests). */
void lu_writer_free(struct lu_writer *w);

/* ------------------------------------------------------------ reader */

/* [start, end) in octets of physical address space. */
struct lu_range {
    uint64_t start;
    uint64_t end;
};

#define LU_READ_CONTEXT_FRAMING_ONLY 0x1u /* no domctx handlers (tools) */

struct lu_reader {
    /* len octets of contiguous physical memory at pa (the MFN array) */
    const void *(*map_phys)(void *priv, paddr_t pa, size_t len);
    /* frames mfns[0..nr) at contiguous addresses, in order (vmap) */
    const void *(*vmap)(void *priv, const uint64_t *mfns, uint64_t nr);
    /* undo them; either may be NULL */
    void (*unmap_phys)(void *priv, const void *va, size_t len);
    void (*vunmap)(void *priv, const void *va, uint64_t nr);
    /* scratch for the overlap check, freed before return */
    void *(*scratch_alloc)(void *priv, size_t size);
    void (*scratch_free)(void *priv, void *p, size_t size);
    void *priv;
    const struct lu_range *ram;      /* sorted, disjoint; everything must be inside */
    unsigned int nr_ram;
    const struct lu_range *reserved; /* image, LU bootmem: nothing may be inside */
    unsigned int nr_reserved;
    unsigned int flags;              /* LU_READ_* */
};

/* One domain, validated: restore walks these without checking again. */
struct lu_domain {
    struct lu_rec_domain_info info;
    const struct lu_extent *extents; /* in the mapped stream, sorted by gpfn */
    uint32_t nr_extents;
    uint32_t context_len;
    const void *context;             /* domctx blob, in the mapped stream */
    bool context_validated;          /* checked with every handler (not framing only) */
    /* entries restore cannot do without, counted while the blob was
     * checked (IGNORE ones excluded): restore need not walk it again */
    struct lu_context_required {
        uint32_t domain, console, vcpus;
    } context_required;
    uint64_t total_pages;            /* sum of the extents' counts */
    uint64_t p2m_size;               /* LU_DOMAIN_SUMMARY's, or the last gpfn + count */
    bool summary_inferred;           /* no LU_DOMAIN_SUMMARY (version 1): computed */
    uint64_t offset;                 /* of its LU_DOMAIN_INFO record */
};

struct lu_stream {
    struct lu_rec_version version;
    struct lu_rec_time time;
    struct lu_rec_downtime downtime; /* zero when the stream has none */
    unsigned int ctx_flags;          /* pass to domctx_load() */
    uint32_t nr_domains;
    uint32_t nr_skipped;             /* unknown optional records skipped */
    uint64_t stream_len;             /* octets through END */
    const uint8_t *base;             /* the records */
    size_t len;
    const uint64_t *mfns;            /* stream frames (NULL for a plain buffer) */
    uint64_t nr_pages;
    paddr_t mfn_array_pa;            /* LU_PA_NONE when not in memory */
    uint64_t mfn_array_pages;
    unsigned int mapped;             /* LU_MAPPED_*: what close undoes */
    char error[LU_ERROR_LEN];        /* why the last call failed */
    struct lu_domain domains[LU_DOMAINS_MAX];
};

#define LU_PA_NONE (~(paddr_t)0)
#define LU_MAPPED_ARRAY  0x1u
#define LU_MAPPED_STREAM 0x2u

/* Check a breadcrumb; -BATON_ENOENT when there is none (a cold boot). */
int lu_breadcrumb_decode(const struct lu_breadcrumb *bc, paddr_t *mfn_array_pa,
                         uint64_t *nr_pages, struct lu_stream *s);
/* Breadcrumb -> MFN array -> vmap -> validated stream. */
int lu_stream_open(const struct lu_reader *r, const struct lu_breadcrumb *bc,
                   struct lu_stream *s);
/* From an MFN array already in hand (array_pa may be LU_PA_NONE). */
int lu_stream_open_mfns(const struct lu_reader *r, const uint64_t *mfns, uint64_t nr,
                        paddr_t array_pa, struct lu_stream *s);
/* A stream already contiguous in memory, 8-aligned (fuzzing, tools). */
int lu_stream_parse(const struct lu_reader *r, const void *buf, size_t len,
                    struct lu_stream *s);
void lu_stream_close(const struct lu_reader *r, struct lu_stream *s);
/* Name of a record type, NULL when this build does not know it. */
const char *lu_rec_name(uint32_t type);

#endif
