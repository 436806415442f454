/* The image's note of the stream versions it reads (include/public/elfnote.h). */
#include <baton/lu_stream.h>
#include <public/elfnote.h>

struct baton_lu_note {
    uint32_t namesz, descsz, type;
    char name[8];
    struct baton_note_lu_versions desc;
};

__attribute__((section(".note.baton"), aligned(4), used))
static const struct baton_lu_note lu_versions_note = {
    .namesz = sizeof(BATON_NOTE_NAME),
    .descsz = sizeof(struct baton_note_lu_versions),
    .type = BATON_NOTE_LU_VERSIONS,
    .name = BATON_NOTE_NAME,
    .desc = { LU_STREAM_VERSION_MIN, LU_STREAM_VERSION, LU_STREAM_COMPAT, 0 },
};
