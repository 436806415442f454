/*
 * Framing and CRC32 of the control protocol (include/public/ctl.h): the one
 * implementation, compiled into domain 0's agent (freestanding, guest flags)
 * and into the host tools. Needs only <stdint.h>, <stddef.h> and memcpy.
 */
#ifndef TOOLS_CTL_FRAME_H
#define TOOLS_CTL_FRAME_H

#include <stddef.h>
#include <stdint.h>
#include <public/ctl.h>

/* IEEE 802.3 CRC32 (reflected, poly 0xedb88320), zlib's convention:
 * start with crc = 0, feed pieces in order. */
uint32_t ctl_crc32(uint32_t crc, const void *data, size_t len);

/* Header (host order) <-> the 32 wire octets (little-endian). */
void ctl_hdr_encode(const struct ctl_hdr *h, uint8_t out[CTL_HDR_SIZE]);
void ctl_hdr_decode(const uint8_t in[CTL_HDR_SIZE], struct ctl_hdr *h);

/*
 * Seal a frame whose payload (plen octets) already sits at
 * frame + CTL_HDR_SIZE: write the header with both CRCs. Returns the frame
 * length, or 0 if plen > CTL_PAYLOAD_MAX.
 */
size_t ctl_frame_seal(uint8_t *frame, uint16_t type, uint8_t flags, uint32_t seq,
                      int32_t status, uint32_t plen);
/* Copy the payload in, then seal. Returns the length, 0 if it does not fit. */
size_t ctl_frame_build(uint8_t *out, size_t out_size, uint16_t type, uint8_t flags,
                       uint32_t seq, int32_t status, const void *payload, uint32_t plen);

enum ctl_parse_kind {
    CTL_PARSE_NEED,     /* keep the bytes from `consumed` on, wait for more */
    CTL_PARSE_FRAME,    /* a good frame at frame_off: hdr, payload */
    CTL_PARSE_BAD,      /* a bad frame: error; hdr valid if hdr_ok */
};

struct ctl_parse {
    enum ctl_parse_kind kind;
    size_t consumed;    /* octets the caller drops from the front */
    size_t skipped;     /* of which garbage before a magic */
    int hdr_ok;         /* hdr holds a header whose hdr_crc matched */
    int error;          /* CTL_PARSE_BAD: -BATON_E* (see ctl.h) */
    struct ctl_hdr hdr;
    const uint8_t *payload;  /* CTL_PARSE_FRAME: hdr.len octets */
};

/*
 * Look for one frame at the front of buf[0, len). Never reads past len.
 * timed_out: no byte came for the protocol's timeout: a partial frame is
 * then BAD (-EIO; a partial header is dropped up to its next candidate
 * magic). On BAD only the header is consumed (or one octet if the header
 * itself is damaged), so the next frame is found in what follows.
 */
void ctl_parse(const uint8_t *buf, size_t len, int timed_out, struct ctl_parse *r);

#endif
