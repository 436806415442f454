/*
 * Host fixture shared by the LU unit tests, fuzz targets and seed
 * generator: a fake physical memory laid out for the tests (the page
 * allocator and reader callbacks over it are tools/lib/lu_host.c's), test
 * domain context types, and a stream builder.
 */
#ifndef TESTS_LU_FIXTURE_H
#define TESTS_LU_FIXTURE_H

#include <baton/lu_stream.h>
#include "../../tools/lib/lu_host.h"

/* Fake physical memory: frames 0 .. FX_PAGES-1 at physical address 0. */
#define FX_PAGES          4096u
#define FX_BOOTMEM_MFN    1u     /* LU bootmem, reserved; breadcrumb in its first frame */
#define FX_BOOTMEM_PAGES  15u
#define FX_DOMAIN_MFN     16u    /* domain memory */
#define FX_DOMAIN_PAGES   1008u
#define FX_STREAM_MFN     1024u  /* single frames, handed out scattered */
#define FX_STREAM_PAGES   2048u
#define FX_CONTIG_MFN     3072u  /* contiguous allocations (the MFN array) */
#define FX_CONTIG_PAGES   1024u

void fx_phys_init(struct lu_host_pool *fp);
void fx_phys_fini(struct lu_host_pool *fp);
void *fx_phys_addr(struct lu_host_pool *fp, uint64_t pa);

/*
 * A reader over fp (fp may be NULL for plain buffers): RAM is the fake
 * memory, the LU bootmem is reserved, scratch comes from malloc.
 */
void fx_reader(struct lu_reader *r, struct lu_host_pool *fp);
/* Heap-allocated stream struct (it is large). */
struct lu_stream *fx_stream_new(void);

/* Test domain context types (0xff00 - 0xffff are for tests). */
#define FX_TYPE_DOMAIN 0xff00u /* per-domain, struct fx_dom_entry */
#define FX_TYPE_VCPU   0xff01u /* per-vCPU; stream version 2 appends fsbase */
#define FX_TYPE_ITEMS  0xff02u /* per-domain, several entries */

struct fx_dom_entry {
    uint64_t value;
};
struct fx_vcpu_v1 {
    uint64_t rip;
    uint64_t rsp;
};
struct fx_vcpu_v2 {
    uint64_t rip;
    uint64_t rsp;
    uint64_t fsbase;             /* added by stream version 2 (test) */
};
struct fx_item {
    uint32_t index;
    uint32_t pad;
    uint64_t value;
};

#ifdef LU_STREAM_TEST_V2
typedef struct fx_vcpu_v2 fx_vcpu_t;
#else
typedef struct fx_vcpu_v1 fx_vcpu_t;
#endif

#define FX_VCPUS_MAX 8
#define FX_ITEMS_MAX 8

/* What a test domain holds: the framework only sees a pointer to it. */
struct domain {
    uint16_t domid;
    unsigned int nr_vcpus;
    uint64_t dom_value;
    struct fx_vcpu_v2 vcpu[FX_VCPUS_MAX];
    unsigned int nr_items;
    uint64_t items[FX_ITEMS_MAX];
    unsigned int loads;          /* entries loaded */
    int fail_save_type;          /* make this type's save fail (0: none) */
    int fail_load_type;
    bool grow_on_save;           /* emit more items when not a dry run */
};

/* Register the three test types; returns 0 or the first error. */
int fx_register(void);
/* Fill a domain with values derived from seed. */
void fx_domain_init(struct domain *d, uint16_t domid, unsigned int nr_vcpus, uint64_t seed);
/* A fresh domain to load into, with the same shape as d. */
void fx_domain_blank(struct domain *d, uint16_t domid, unsigned int nr_vcpus);

/* Domain k's memory: 3 extents in FX_DOMAIN_MFN + k*32 .. +32 (k < 31). */
#define FX_EXTENTS 3
void fx_extents(unsigned int k, struct lu_extent ext[FX_EXTENTS]);
void fx_domain_info(const struct domain *d, struct lu_rec_domain_info *info);

/* VERSION, TIME, each domain (INFO, MEMORY, CONTEXT), END. */
int fx_write_stream(struct lu_writer *w, struct domain *doms, unsigned int n);
#define FX_TSC_HZ  2400000000ull
#define FX_TSC     0x123456789aull
#define FX_STIME   987654321000ull

/* The stream's octets, concatenated in MFN array order (malloc'd). */
uint8_t *fx_linearize(struct lu_host_pool *fp, const struct lu_writer *w, size_t *len);

/* Octet offset of the n-th record of a type in a linear stream, or -1. */
long fx_find_record(const uint8_t *buf, size_t len, uint32_t type, unsigned int n);

/*
 * A raw stream builder, independent of the writer, for streams the writer
 * would refuse to produce: records appended to a malloc'd buffer.
 */
struct fx_sb {
    uint8_t *b;
    size_t len, cap;
};

void fx_sb_init(struct fx_sb *x);
void fx_sb_free(struct fx_sb *x);
void fx_sb_rec(struct fx_sb *x, uint32_t type, const void *body, uint32_t len);
void fx_sb_version(struct fx_sb *x, uint32_t version, uint32_t compat);
void fx_sb_time(struct fx_sb *x);
void fx_sb_info(struct fx_sb *x, uint16_t domid, uint32_t max_vcpus);
void fx_sb_memory(struct fx_sb *x, const struct lu_extent *ext, uint32_t nr);
void fx_sb_summary(struct fx_sb *x, uint64_t total_pages, uint64_t p2m_size);

/*
 * The fixture of tests that read hand-built streams: a reader over plain
 * memory, a fresh lu_stream, an empty builder, the test context types
 * registered. 0 or the registration's error.
 */
int fx_sb_case_setup(struct lu_reader *rd, struct lu_stream **s, struct fx_sb *sb);
void fx_sb_case_teardown(struct lu_stream *s, struct fx_sb *sb);
/* HEADER and END only: valid whatever the handlers. */
void fx_sb_context_min(struct fx_sb *x);
/* INFO, nr one-frame extents at mfn, [SUMMARY,] minimal CONTEXT. */
void fx_sb_domain(struct fx_sb *x, uint16_t domid, uint64_t mfn, uint32_t nr, bool summary);
/* END; stream_length into a leading LU_VERSION; zeroes to a page boundary. */
void fx_sb_end(struct fx_sb *x);

#endif
