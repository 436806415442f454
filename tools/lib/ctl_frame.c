/*
 * Framing and CRC32 of the control protocol: the one implementation, shared
 * by domain 0's agent (built freestanding with the guest flags, see
 * guests/guests.mk) and the host tools (tools/lib/lib.mk). Only fixed-width
 * types and memcpy: no libc, no allocation, nothing read past a length.
 */
#include <stddef.h>
#include <stdint.h>
#include <public/ctl.h>
#include <public/errno.h>
#include "ctl_frame.h"

/* CRC32, IEEE 802.3 reflected (poly 0xedb88320), four bits at a time: a
 * 16-entry table is small enough for the guest and fast enough for MiBs. */
static const uint32_t crc_nibble[16] = {
    0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac, 0x76dc4190, 0x6b6b51f4,
    0x4db26158, 0x5005713c, 0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c,
    0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
};

uint32_t ctl_crc32(uint32_t crc, const void *data, size_t len)
{
    const uint8_t *p = data;

    crc = ~crc;
    while (len--) {
        crc ^= *p++;
        crc = (crc >> 4) ^ crc_nibble[crc & 0xf];
        crc = (crc >> 4) ^ crc_nibble[crc & 0xf];
    }
    return ~crc;
}

static void put_le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
    put_le16(p, (uint16_t)v);
    put_le16(p + 2, (uint16_t)(v >> 16));
}

static uint16_t get_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t get_le32(const uint8_t *p)
{
    return get_le16(p) | ((uint32_t)get_le16(p + 2) << 16);
}

void ctl_hdr_encode(const struct ctl_hdr *h, uint8_t out[CTL_HDR_SIZE])
{
    put_le32(out + 0x00, h->magic);
    out[0x04] = h->version;
    out[0x05] = h->flags;
    put_le16(out + 0x06, h->type);
    put_le32(out + 0x08, h->seq);
    put_le32(out + 0x0c, (uint32_t)h->status);
    put_le32(out + 0x10, h->len);
    put_le32(out + 0x14, h->data_crc);
    put_le32(out + 0x18, h->reserved);
    put_le32(out + 0x1c, h->hdr_crc);
}

void ctl_hdr_decode(const uint8_t in[CTL_HDR_SIZE], struct ctl_hdr *h)
{
    h->magic = get_le32(in + 0x00);
    h->version = in[0x04];
    h->flags = in[0x05];
    h->type = get_le16(in + 0x06);
    h->seq = get_le32(in + 0x08);
    h->status = (int32_t)get_le32(in + 0x0c);
    h->len = get_le32(in + 0x10);
    h->data_crc = get_le32(in + 0x14);
    h->reserved = get_le32(in + 0x18);
    h->hdr_crc = get_le32(in + 0x1c);
}

size_t ctl_frame_seal(uint8_t *frame, uint16_t type, uint8_t flags, uint32_t seq,
                      int32_t status, uint32_t plen)
{
    struct ctl_hdr h = {
        .magic = CTL_MAGIC, .version = CTL_VERSION, .flags = flags, .type = type,
        .seq = seq, .status = status, .len = plen,
    };

    if (plen > CTL_PAYLOAD_MAX)
        return 0;
    h.data_crc = ctl_crc32(0, frame + CTL_HDR_SIZE, plen);
    ctl_hdr_encode(&h, frame);
    h.hdr_crc = ctl_crc32(0, frame, CTL_HDR_SIZE - 4);
    put_le32(frame + 0x1c, h.hdr_crc);
    return CTL_HDR_SIZE + plen;
}

size_t ctl_frame_build(uint8_t *out, size_t out_size, uint16_t type, uint8_t flags,
                       uint32_t seq, int32_t status, const void *payload, uint32_t plen)
{
    if (plen > CTL_PAYLOAD_MAX || out_size < CTL_HDR_SIZE + (size_t)plen)
        return 0;
    if (plen)
        __builtin_memcpy(out + CTL_HDR_SIZE, payload, plen);
    return ctl_frame_seal(out, type, flags, seq, status, plen);
}

/* The magic's octets in wire order. */
static const uint8_t magic_octets[4] = {
    (uint8_t)CTL_MAGIC, (uint8_t)(CTL_MAGIC >> 8),
    (uint8_t)(CTL_MAGIC >> 16), (uint8_t)(CTL_MAGIC >> 24),
};

/* First offset at or after `from` where a magic starts, or where a prefix
 * of one runs to the end of the buffer; len if none. */
static size_t find_magic(const uint8_t *buf, size_t len, size_t from)
{
    for (size_t i = from; i < len; i++) {
        size_t n = 0;
        while (n < 4 && i + n < len && buf[i + n] == magic_octets[n])
            n++;
        if (n == 4 || i + n == len)
            return i;
    }
    return len;
}

/* What is wrong with a header whose hdr_crc matched; 0 if nothing. */
static int check_hdr(const struct ctl_hdr *h)
{
    if (h->version != CTL_VERSION)
        return -BATON_EOPNOTSUPP;
    if (h->len > CTL_PAYLOAD_MAX)
        return -BATON_E2BIG;
    return 0;
}

/* A complete header sits at buf[at]: check it, then the payload. Errors
 * consume the header only (one octet if the header is damaged). */
static void parse_at(const uint8_t *buf, size_t len, size_t at, int timed_out,
                     struct ctl_parse *r)
{
    const uint8_t *f = buf + at;

    r->kind = CTL_PARSE_BAD;
    r->consumed = at + CTL_HDR_SIZE;
    ctl_hdr_decode(f, &r->hdr);
    if (ctl_crc32(0, f, CTL_HDR_SIZE - 4) != r->hdr.hdr_crc) {
        r->error = -BATON_EBADMSG;
        r->consumed = at + 1;
        return;
    }
    r->hdr_ok = 1;
    r->error = check_hdr(&r->hdr);
    if (r->error)
        return;
    if (len - at - CTL_HDR_SIZE < r->hdr.len) {
        if (timed_out) {
            r->error = -BATON_EIO;
            return;
        }
        r->kind = CTL_PARSE_NEED;
        r->consumed = at;
        return;
    }
    if (ctl_crc32(0, f + CTL_HDR_SIZE, r->hdr.len) != r->hdr.data_crc) {
        r->error = -BATON_EBADMSG;
        return;
    }
    r->kind = CTL_PARSE_FRAME;
    r->payload = f + CTL_HDR_SIZE;
    r->consumed = at + CTL_HDR_SIZE + r->hdr.len;
}

void ctl_parse(const uint8_t *buf, size_t len, int timed_out, struct ctl_parse *r)
{
    size_t at = find_magic(buf, len, 0);

    *r = (struct ctl_parse){ .kind = CTL_PARSE_NEED, .skipped = at, .consumed = at };
    if (len - at >= CTL_HDR_SIZE) {
        parse_at(buf, len, at, timed_out, r);
        return;
    }
    if (at < len && timed_out) {
        /* a partial header that will never complete: drop up to the next
         * candidate magic after its first octet */
        r->consumed = find_magic(buf, len, at + 1);
        r->skipped = r->consumed;
    }
}
