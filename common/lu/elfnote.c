/*
 * The image's notes (include/public/elfnote.h): the stream versions it
 * reads, and the domain context entry types it loads. A loader reads them
 * from the target before anything is paused.
 */
#include <baton/domctx_types.h>
#include <baton/lu_stream.h>
#include <public/elfnote.h>

struct baton_lu_note {
    uint32_t namesz, descsz, type;
    char name[8];
    struct baton_note_lu_versions desc;
};

struct baton_domctx_note {
    uint32_t namesz, descsz, type;
    char name[8];
    struct baton_note_domctx_types desc;
};

/* A test build (CONFIG_TEST_LU_NOTE_VERSION) claims one version only. */
#if CONFIG_TEST_LU_NOTE_VERSION
#define NOTE_READ_MIN   CONFIG_TEST_LU_NOTE_VERSION
#define NOTE_READ_MAX   CONFIG_TEST_LU_NOTE_VERSION
#define NOTE_COMPAT     CONFIG_TEST_LU_NOTE_VERSION
#else
#define NOTE_READ_MIN   LU_STREAM_VERSION_MIN
#define NOTE_READ_MAX   LU_STREAM_VERSION
#define NOTE_COMPAT     LU_STREAM_COMPAT
#endif

/* A test build (CONFIG_TEST_LU_NOTE_DROP_FPU) claims not to load FPU
 * entries, as every build before them: a target the preflight refuses. */
#ifdef CONFIG_TEST_LU_NOTE_DROP_FPU
#define NOTE_DOMCTX_LOADS   (DOMCTX_TYPES_LOADS & ~DOMCTX_TYPE_BIT(FPU))
#else
#define NOTE_DOMCTX_LOADS   DOMCTX_TYPES_LOADS
#endif

__attribute__((section(".note.baton"), aligned(4), used))
static const struct baton_lu_note lu_versions_note = {
    .namesz = sizeof(BATON_NOTE_NAME),
    .descsz = sizeof(struct baton_note_lu_versions),
    .type = BATON_NOTE_LU_VERSIONS,
    .name = BATON_NOTE_NAME,
    .desc = { NOTE_READ_MIN, NOTE_READ_MAX, NOTE_COMPAT, 0 },
};

__attribute__((section(".note.baton"), aligned(4), used))
static const struct baton_domctx_note domctx_types_note = {
    .namesz = sizeof(BATON_NOTE_NAME),
    .descsz = sizeof(struct baton_note_domctx_types),
    .type = BATON_NOTE_DOMCTX_TYPES,
    .name = BATON_NOTE_NAME,
    .desc = {
        .loads_lo = (uint32_t)NOTE_DOMCTX_LOADS,
        .loads_hi = (uint32_t)(NOTE_DOMCTX_LOADS >> 32),
    },
};
