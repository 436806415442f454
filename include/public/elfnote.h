/*
 * ELF notes in Baton's image (PT_NOTE, name "Baton"), read by loaders and
 * preflight tools before anything is paused: a live update to an image that
 * cannot read this build's handover stream is refused up front.
 * Specified in docs/specs/live-update-handover.md ("The image's ELF note").
 */
#ifndef BATON_PUBLIC_ELFNOTE_H
#define BATON_PUBLIC_ELFNOTE_H

#include <stdint.h>

#define BATON_NOTE_NAME            "Baton"     /* namesz 6, padded to 8 */
#define BATON_NOTE_LU_VERSIONS     1
#define BATON_NOTE_DOMCTX_TYPES    2

/* BATON_NOTE_LU_VERSIONS: the handover stream versions this image reads
 * (min..max) and the compat_version it writes. */
struct baton_note_lu_versions {
    uint32_t read_min;      /* 0x0 */
    uint32_t read_max;      /* 0x4: also the version this image writes */
    uint32_t write_compat;  /* 0x8 */
    uint32_t reserved;      /* 0xc: 0 */
};
_Static_assert(sizeof(struct baton_note_lu_versions) == 16, "lu versions note");

/*
 * BATON_NOTE_DOMCTX_TYPES: the domain context entry types (include/public/
 * domctx.h) this image LOADS, as a 64-bit little-endian mask of type codes
 * 0..63 (bit t: type t; HEADER, END and the test range 0xff00.. never
 * set). A running build must not hand over to an image missing a type it
 * writes: that image would refuse the entry at its early boot and halt
 * with every domain. The mask is two 32-bit words, low first (the octets
 * of a little-endian u64), so that the note keeps the 4-octet alignment
 * of the notes around it. An image without this note predates it.
 */
struct baton_note_domctx_types {
    uint32_t loads_lo;      /* 0x0: types 0..31 */
    uint32_t loads_hi;      /* 0x4: types 32..63 */
    uint32_t reserved[2];   /* 0x8: 0 */
};
_Static_assert(sizeof(struct baton_note_domctx_types) == 16, "domctx types note");

#endif
