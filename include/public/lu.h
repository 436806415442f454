/*
 * Live update handover ABI: the record stream one Baton build leaves for
 * the next, and the breadcrumb that finds it. Specified in
 * docs/specs/live-update-handover.md; this header and that page must agree.
 *
 * Everything here is an ABI between two builds that may share no internal
 * structure: fixed-width fields, little-endian (x86-64 only today), explicit
 * padding that a writer zeroes and a reader checks, and a size assertion
 * on every structure. Never change a structure in place: add a record.
 */
#ifndef PUBLIC_LU_H
#define PUBLIC_LU_H

#include <stdint.h>

#define LU_PAGE_SHIFT 12
#define LU_PAGE_SIZE  (1ULL << LU_PAGE_SHIFT)
#define LU_PAGE_MASK  (~(LU_PAGE_SIZE - 1))

/* ------------------------------------------------------------ breadcrumb */

/*
 * Written by kexec_reloc as its last act into the first 24 octets of the
 * live update bootmem. kexec_reloc can only write values masked with
 * PAGE_MASK, hence the masked magic and the shifted page count. A build of
 * another page size or endianness will not recognise the magic: intended.
 */
#define LU_BREADCRUMB_MAGIC_RAW 0x4c69766555706461ULL /* "LiveUpda" */
#define LU_BREADCRUMB_MAGIC     (LU_BREADCRUMB_MAGIC_RAW & LU_PAGE_MASK)

struct lu_breadcrumb {
    uint64_t magic;            /* LU_BREADCRUMB_MAGIC */
    uint64_t mfn_array_pa;     /* physical address of the MFN array, page aligned */
    uint64_t shifted_nr_pages; /* stream page count << LU_PAGE_SHIFT */
};
_Static_assert(sizeof(struct lu_breadcrumb) == 24, "lu_breadcrumb is 24 octets");

/*
 * The MFN array: shifted_nr_pages >> LU_PAGE_SHIFT little-endian uint64_t
 * machine frame numbers, physically contiguous, in stream order. Mapping
 * those frames one after the other gives the byte stream of records.
 */

/* ------------------------------------------------------------ versions */

/*
 * Stream format versions. A reader of version V reads V and V-1 (inferring
 * what V-1 lacks), and a newer stream whose compat_version is <= V.
 * Version 2 exists only in test builds (LU_STREAM_TEST_V2) to exercise the
 * compatibility rules; production builds write version 1.
 */
#define LU_STREAM_V1 1
#define LU_STREAM_V2 2

/* ------------------------------------------------------------ framing */

/*
 * Every record: a header, body_length octets of body, then zero padding to
 * the next multiple of 8 octets. Records start 8-aligned in the stream.
 */
struct lu_rec_hdr {
    uint32_t type;
    uint32_t body_length; /* octets of body, padding excluded */
};
_Static_assert(sizeof(struct lu_rec_hdr) == 8, "lu_rec_hdr is 8 octets");

#define LU_REC_ALIGN          8
#define LU_REC_OPTIONAL       0x80000000u /* a reader may skip it */
#define LU_REC_LIVE_UPDATE    0x40000000u /* defined for live update only */

/* Record types. */
#define LU_REC_END            0x00000000u /* last record; empty body */
/* 0x00000001 - 0x3fffffff: reserved for records shared with domain
 * save/restore to a file (same framing, no bit 30). */
#define LU_REC_SR_FIRST       0x00000001u
#define LU_REC_SR_LAST        0x3fffffffu

#define LU_REC_VERSION        0x40000000u /* first record */
/*
 * 0x40000001 LU_M2P and 0x40000002 LU_M2P_COMPAT: reserved, numbered as in
 * the original live update spec, never written. Baton's PV domains have no
 * M2P: they run on page tables the hypervisor builds and never see machine
 * frame numbers, so there is no machine-to-guest table to hand over.
 */
#define LU_REC_M2P            0x40000001u /* reserved */
#define LU_REC_M2P_COMPAT     0x40000002u /* reserved */
#define LU_REC_DOMAIN_INFO    0x40000003u /* opens one domain's records */
/* Baton's own records. */
#define LU_REC_TIME           0x40000004u
#define LU_REC_DOMAIN_MEMORY  0x40000005u
#define LU_REC_DOMAIN_CONTEXT 0x40000006u
/* Reserved for SMP (per-CPU state the next build must inherit). */
#define LU_REC_CPUS           0x40000007u
/* Reserved for the save/restore issue (a domain image inside a stream). */
#define LU_REC_DOMAIN_IMAGE   0x40000008u
/* 0x40000009 - 0x7fffffff: future mandatory live update records. */

/* Optional live update records. */
#define LU_REC_DOMAIN_SUMMARY 0xc0000000u /* stream version 2 (test) */
#define LU_REC_DOWNTIME       0xc0000001u /* the old build's side of the blackout */
/* 0xc0000002 - 0xffffffff: future optional live update records. */

/* ------------------------------------------------------------ bodies */

/*
 * LU_REC_VERSION: who wrote the stream and in which format. It opens with
 * the writer's major and minor version, as in the original spec; Baton's
 * fields follow.
 */
#define LU_VERSION_EXTRA_LEN 32
struct lu_rec_version {
    uint32_t hv_major;       /* writer's Baton version, for workarounds */
    uint32_t hv_minor;
    uint32_t stream_version; /* format of this stream (LU_STREAM_V*) */
    uint32_t compat_version; /* oldest reader version that can read it */
    /* Octets from the start of the stream through the END header. Written
     * last: zeroes after a truncated stream would otherwise read as END. */
    uint64_t stream_length;
    char hv_extra[LU_VERSION_EXTRA_LEN]; /* printable, NUL-terminated, NUL-padded */
};
_Static_assert(sizeof(struct lu_rec_version) == 56, "lu_rec_version is 56 octets");
_Static_assert(__builtin_offsetof(struct lu_rec_version, hv_major) == 0, "major at 0");
_Static_assert(__builtin_offsetof(struct lu_rec_version, hv_minor) == 4, "minor at 4");
_Static_assert(__builtin_offsetof(struct lu_rec_version, stream_version) == 8, "version at 8");
_Static_assert(__builtin_offsetof(struct lu_rec_version, stream_length) == 16, "length at 16");
_Static_assert(__builtin_offsetof(struct lu_rec_version, hv_extra) == 24, "extra at 24");

/* LU_REC_TIME: lets the next build continue system time without a jump. */
struct lu_rec_time {
    uint64_t tsc_hz;    /* TSC frequency, Hz, non-zero */
    uint64_t tsc;       /* TSC read at the save instant */
    uint64_t stime_ns;  /* system time (ns since cold boot) at that TSC */
};
_Static_assert(sizeof(struct lu_rec_time) == 24, "lu_rec_time is 24 octets");

/* LU_REC_DOMAIN_INFO */
#define LU_DOMAIN_TYPE_PV   1 /* x86-64 PV */
#define LU_DOMAIN_TYPE_HVM  2 /* reserved; Baton has no HVM */
#define LU_DOMAIN_HANDLE_LEN 16
#define LU_DOMAIN_EXTRA_PRIVILEGED 0x00000001u
#define LU_DOMAIN_EXTRA_KNOWN      LU_DOMAIN_EXTRA_PRIVILEGED
struct lu_rec_domain_info {
    uint32_t type;            /* LU_DOMAIN_TYPE_* */
    uint16_t page_shift;      /* guest page size: 1 << page_shift */
    uint16_t domid;
    uint8_t handle[LU_DOMAIN_HANDLE_LEN]; /* toolstack UUID */
    uint32_t ssidref;
    uint32_t flags;           /* domain creation flags, passed through */
    uint32_t max_vcpus;
    uint32_t emulation_flags; /* passed through */
    uint32_t extra_flags;     /* LU_DOMAIN_EXTRA_* */
    uint32_t pad;             /* zero */
};
_Static_assert(sizeof(struct lu_rec_domain_info) == 48, "lu_rec_domain_info is 48 octets");
_Static_assert(__builtin_offsetof(struct lu_rec_domain_info, handle) == 8, "handle at 8");
_Static_assert(__builtin_offsetof(struct lu_rec_domain_info, extra_flags) == 40, "extra at 40");

/*
 * LU_REC_DOWNTIME (optional, global, after LU_TIME): TSC readings of the
 * old build, so that the new one can log the whole blackout, phase by
 * phase, on one clock (the TSC keeps counting across kexec). exec_tsc is
 * filled in last, just before the old build hands over; 0 when the stream
 * was not handed over by kexec (a rehearsal, a saved image).
 */
struct lu_rec_downtime {
    uint64_t pause_tsc;  /* the first domain paused */
    uint64_t save_tsc;   /* every vCPU stopped: the save began */
    uint64_t exec_tsc;   /* the old build jumped to kexec_reloc */
};
_Static_assert(sizeof(struct lu_rec_downtime) == 24, "lu_rec_downtime is 24 octets");

/* LU_REC_DOMAIN_MEMORY: the domain's memory as machine-contiguous runs. */
struct lu_extent {
    uint64_t gpfn;  /* first guest frame */
    uint64_t mfn;   /* first machine frame */
    uint64_t count; /* frames, >= 1 */
};
_Static_assert(sizeof(struct lu_extent) == 24, "lu_extent is 24 octets");

struct lu_rec_domain_memory {
    uint32_t nr_extents;
    uint32_t pad;            /* zero */
    /* followed by nr_extents struct lu_extent, sorted by gpfn */
};
_Static_assert(sizeof(struct lu_rec_domain_memory) == 8, "lu_rec_domain_memory is 8 octets");

/* LU_REC_DOMAIN_CONTEXT: a domain context blob, see public/domctx.h. */

/*
 * LU_REC_DOMAIN_SUMMARY (optional, stream version 2): totals a reader could
 * otherwise only compute by walking the extents. Required in every stream
 * of version 2 or later read by a version 2 reader; reading version 1, that
 * reader computes both from the extents (total_pages = sum of the counts,
 * p2m_size = the last extent's gpfn + count).
 */
struct lu_rec_domain_summary {
    uint64_t total_pages; /* sum of the extents' counts */
    uint64_t p2m_size;    /* guest frames the p2m covers: >= the highest gpfn + count */
};
_Static_assert(sizeof(struct lu_rec_domain_summary) == 16, "lu_rec_domain_summary is 16 octets");

#endif
