/*
 * Internals of the live update stream reader (common/lu only). The files
 * depend one way:
 *
 *   stream_open.c   the entry points (lu_stream_open, _open_mfns, _parse)
 *     -> stream_read.c    records: framing, bodies, order
 *     -> stream_check.c   frames: breadcrumb, overlap of everything claimed
 *        -> stream_common.c   lu_fail, record names, reader config, RAM
 */
#ifndef COMMON_LU_PRIVATE_H
#define COMMON_LU_PRIVATE_H

#include <baton/lu_stream.h>

/* Physical addresses the reader accepts: below 2^52. */
#define LU_PHYS_LIMIT (LU_FRAME_LIMIT << PAGE_SHIFT)

/* stream_common.c */
/* Format the error into s->error, log it, return rc. */
int lu_fail(struct lu_stream *s, int rc, const char *fmt, ...) __printf(3, 4);
/* "NAME (0x40000003)" or "0x40000003", for messages. */
struct lu_rec_label {
    char s[48];
};
struct lu_rec_label lu_rec_label(uint32_t type);
int lu_check_reader(const struct lu_reader *r, struct lu_stream *s);
bool lu_in_ram(const struct lu_reader *r, uint64_t mfn, uint64_t count);

/* stream_read.c: the records of a stream already mapped, 8-aligned. */
int lu_parse_records(const struct lu_reader *r, const void *buf, size_t len,
                     struct lu_stream *s);

/* stream_check.c: no frame claimed twice, nothing in a reserved range. */
int lu_check_frames(const struct lu_reader *r, struct lu_stream *s);

#endif
