/* The image's note of the stream versions it reads (include/public/elfnote.h). */
#include <baton/lu_stream.h>
#include <public/elfnote.h>

struct baton_lu_note {
    uint32_t namesz, descsz, type;
    char name[8];
    struct baton_note_lu_versions desc;
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

__attribute__((section(".note.baton"), aligned(4), used))
static const struct baton_lu_note lu_versions_note = {
    .namesz = sizeof(BATON_NOTE_NAME),
    .descsz = sizeof(struct baton_note_lu_versions),
    .type = BATON_NOTE_LU_VERSIONS,
    .name = BATON_NOTE_NAME,
    .desc = { NOTE_READ_MIN, NOTE_READ_MAX, NOTE_COMPAT, 0 },
};
