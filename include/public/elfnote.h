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

/* BATON_NOTE_LU_VERSIONS: the handover stream versions this image reads
 * (min..max) and the compat_version it writes. */
struct baton_note_lu_versions {
    uint32_t read_min;      /* 0x0 */
    uint32_t read_max;      /* 0x4: also the version this image writes */
    uint32_t write_compat;  /* 0x8 */
    uint32_t reserved;      /* 0xc: 0 */
};
_Static_assert(sizeof(struct baton_note_lu_versions) == 16, "lu versions note");

#endif
