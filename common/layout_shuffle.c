/*
 * baton_layout_id: this build's internal layout, packed into the image for
 * the test that the two builds of the tree really differ (test_two_builds
 * in tests/qemu/boot.py reads it from each ELF's symbol table). Nothing
 * reads it at run time and it is no ABI: the layouts it describes never
 * cross a live update (<baton/layout_shuffle.h>).
 *
 * Each entry: a structure's size, and the offsets of the fields its
 * definition writes first and last. A normal build has first < last; a
 * LAYOUT_SHUFFLE build reverses the field groups (first > last) and pads
 * (another size). Little-endian, as the image.
 */
#include <baton/domain.h>
#include <baton/layout_shuffle.h>
#include <baton/page_alloc.h>

#define LAYOUT_ID_MAGIC "BLAYOUT1"

struct layout_entry {
    char name[16];
    uint32_t size;
    uint32_t first;                 /* offset of the field written first */
    uint32_t last;                  /* offset of the field written last */
    uint32_t reserved;
};

/* structure, the field written first, the field written last */
#define LAYOUT_STRUCTS(X)                  \
    X(domain, state, console)              \
    X(vcpu, id, arch)                      \
    X(arch_vcpu, ksp, gs)                  \
    X(evtchn, state, vcpu)                 \
    X(grant_entry, in_use, map_count)      \
    X(grant_mapping, in_use, ref)          \
    X(guest_console, line, share)          \
    X(console_share, tokens, burst)        \
    X(page_info, next, pad)

#define ENTRY(s, f, l) { #s, sizeof(struct s), __builtin_offsetof(struct s, f), \
                         __builtin_offsetof(struct s, l), 0 },
#define ONE(s, f, l) + 1

struct layout_id {
    char magic[8];                  /* LAYOUT_ID_MAGIC, no NUL */
    uint32_t shuffled;              /* LAYOUT_SHUFFLED: the table fills from the top too */
    uint32_t nr_entries;
    struct layout_entry entry[0 LAYOUT_STRUCTS(ONE)];
};

__attribute__((used))
const struct layout_id baton_layout_id = {
    .magic = LAYOUT_ID_MAGIC,
    .shuffled = LAYOUT_SHUFFLED,
    .nr_entries = 0 LAYOUT_STRUCTS(ONE),
    .entry = { LAYOUT_STRUCTS(ENTRY) },
};
