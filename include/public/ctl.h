/*
 * The control protocol: host tools (hvctl, tools/lib/ctl_client.c) <->
 * domain 0's agent (guests/dom0/), over the second serial line (COM2).
 * Specified in docs/specs/control-protocol.md. One implementation of the
 * framing and CRC, tools/lib/ctl_frame.c, is compiled into both ends.
 *
 * Every frame, request or reply:
 *
 *     struct ctl_hdr (32 octets) | payload (len octets, len <= CTL_PAYLOAD_MAX)
 *
 * All fields little-endian. CRC32 is IEEE 802.3 (zlib's crc32): reflected,
 * polynomial 0xedb88320, initial value 0xffffffff, final xor 0xffffffff;
 * crc32("123456789") = 0xcbf43926. hdr_crc covers the header's first 28
 * octets, data_crc the payload (0 for an empty one: crc32 of nothing).
 *
 * A reply has CTL_F_REPLY set, the request's type and seq, and status: 0 or
 * a positive result, or -BATON_E* (include/public/errno.h). A request has
 * status 0. Payload structures below are fixed-width, explicitly padded,
 * size-checked; "req" is the request payload, "rep" the reply payload.
 */
#ifndef BATON_PUBLIC_CTL_H
#define BATON_PUBLIC_CTL_H

#include <stdint.h>

#define CTL_MAGIC           UINT32_C(0x4c544342)   /* "BCTL" on the wire */
#define CTL_VERSION         1
#define CTL_HDR_SIZE        32u
#define CTL_PAYLOAD_MAX     8192u                  /* octets after the header */
#define CTL_FRAME_MAX       (CTL_HDR_SIZE + CTL_PAYLOAD_MAX)

/* ctl_hdr.flags */
#define CTL_F_REPLY         0x01u   /* agent -> host */
#define CTL_F_NOTICE        0x02u   /* with REPLY: unsolicited (see KEXEC_EXEC) */

struct ctl_hdr {
    uint32_t magic;         /* 0x00 CTL_MAGIC */
    uint8_t version;        /* 0x04 CTL_VERSION */
    uint8_t flags;          /* 0x05 CTL_F_* */
    uint16_t type;          /* 0x06 CTL_T_* */
    uint32_t seq;           /* 0x08 chosen by the host, never 0; echoed */
    int32_t status;         /* 0x0c replies: >= 0 or -BATON_E*; requests: 0 */
    uint32_t len;           /* 0x10 payload octets */
    uint32_t data_crc;      /* 0x14 CRC32 of the payload */
    uint32_t reserved;      /* 0x18 0 */
    uint32_t hdr_crc;       /* 0x1c CRC32 of octets 0x00..0x1b */
};

/*
 * Errors about the frame itself. A reply to a frame whose header could not
 * be trusted (bad hdr_crc) has type CTL_T_NONE and seq 0: "some frame of
 * yours was damaged"; a client resends at once instead of waiting for its
 * timeout. Bytes before a magic are skipped silently.
 *   bad hdr_crc             -EBADMSG, seq 0
 *   version != CTL_VERSION  -EOPNOTSUPP (seq echoed, type echoed)
 *   len > CTL_PAYLOAD_MAX   -E2BIG
 *   bad data_crc            -EBADMSG
 *   truncated (no byte for CTL_RX_TIMEOUT_MS inside a frame)  -EIO
 *   unknown type            -ENOSYS
 *   payload of the wrong size for its type  -EINVAL
 * After any of them the receiver drops the header only and looks for the
 * next magic, so a frame sent right after a damaged one is not lost.
 */
#define CTL_RX_TIMEOUT_MS   1000u

/*
 * At most once: the agent keeps its last reply. A request with the seq,
 * type and data_crc of the last one handled is answered from that copy and
 * not run again, so a client may resend after a timeout or a damaged reply
 * without pausing, creating or destroying twice. A client starts its seq at
 * a random non-zero value.
 */

/* ------------------------------------------------------------ types */
#define CTL_T_NONE          0   /* frame errors only */
#define CTL_T_PING          1   /* req: -; rep: struct ctl_ping_rep */
#define CTL_T_LIST          2   /* req: -; rep: struct ctl_list_rep + control_domain_info[nr] */
#define CTL_T_INFO          3   /* req: ctl_domid_req; rep: struct control_domain_info */
#define CTL_T_PAUSE         4   /* req: ctl_domid_req; rep: - */
#define CTL_T_UNPAUSE       5   /* req: ctl_domid_req; rep: - */
#define CTL_T_DESTROY       6   /* req: ctl_domid_req; rep: - */
#define CTL_T_CREATE        7   /* req: ctl_create_req + config; rep: ctl_domid_req (new domid) */
#define CTL_T_DMESG         8   /* req: ctl_dmesg_req; rep: ctl_dmesg_rep + text */
#define CTL_T_MEMMAP        9   /* req: -; rep: ctl_list_rep + control_e820[nr] */
#define CTL_T_REHEARSE      10  /* req: -; rep: - (status as control_op returned it) */
#define CTL_T_UPLOAD_BEGIN  11  /* req: ctl_upload_begin_req; rep: ctl_upload_begin_rep */
#define CTL_T_UPLOAD_CHUNK  12  /* req: ctl_upload_chunk_req + data; rep: - */
#define CTL_T_UPLOAD_END    13  /* req: ctl_upload_end_req; rep: - (-EBADMSG: CRC differs) */
#define CTL_T_KEXEC_RANGE   14  /* req: ctl_kexec_range_req; rep: ctl_kexec_range_rep */
#define CTL_T_KEXEC_LOAD    15  /* req: ctl_kexec_load_req + ctl_kexec_segment[nr]; rep: - */
#define CTL_T_KEXEC_UNLOAD  16  /* req: ctl_kexec_type_req; rep: - */
#define CTL_T_KEXEC_STATUS  17  /* req: ctl_kexec_type_req; rep: - (status 1 loaded, 0 not) */
#define CTL_T_KEXEC_EXEC    18  /* req: ctl_kexec_type_req; rep: - (see below) */
#define CTL_T_VERSION       19  /* req: -; rep: struct control_version_info */
#define CTL_T_MAX           19

/* ------------------------------------------------------------ payloads */

#define CTL_AGENT_NAME_LEN  32

struct ctl_ping_rep {
    uint32_t proto_version;     /* CTL_VERSION */
    uint32_t payload_max;       /* CTL_PAYLOAD_MAX */
    uint64_t staging_size;      /* octets an upload may hold */
    uint32_t control_version;   /* CONTROL_OP_VERSION the agent speaks */
    uint16_t domid;             /* the agent's own */
    uint16_t pad;
    char agent[CTL_AGENT_NAME_LEN];  /* NUL-terminated, e.g. "baton-dom0 1" */
};

struct ctl_domid_req {
    uint16_t domid;
    uint16_t pad[3];
};

/* Head of a LIST or MEMMAP reply; nr entries follow. */
#define CTL_LIST_MAX        64u     /* control_domain_info entries */
#define CTL_MEMMAP_MAX      128u    /* control_e820 entries */
struct ctl_list_rep {
    uint32_t nr;
    uint32_t pad;
};

/*
 * CREATE: the ELF image is the staged upload's [image_offset,
 * image_offset + image_size) (finished with UPLOAD_END); the configuration
 * line (boot-module syntax, at most CONTROL_CONFIG_MAX octets, no NUL)
 * follows this structure in the payload: config_len octets.
 */
struct ctl_create_req {
    uint64_t image_offset;
    uint64_t image_size;
    uint32_t config_len;
    uint32_t pad;
};

/* DMESG: console_read from offset, at most max octets (<= CTL_DMESG_MAX). */
#define CTL_DMESG_MAX       (CTL_PAYLOAD_MAX - 32u)
struct ctl_dmesg_req {
    uint64_t offset;
    uint32_t max;
    uint32_t pad;
};
struct ctl_dmesg_rep {
    uint64_t next;              /* where to read next */
    uint64_t lost;              /* octets the ring no longer held */
    uint32_t len;               /* octets of text that follow */
    uint32_t pad;
};

/*
 * Uploads: one staging buffer in the agent. BEGIN sets the size (at most
 * staging_size) and forgets the previous upload; CHUNKs write data at
 * offset (offset + data <= size; a chunk may be resent); END checks the
 * CRC32 of the whole [0, size) and marks the upload complete. CREATE and
 * KEXEC_LOAD refer to a complete upload only (-EINVAL otherwise).
 */
#define CTL_CHUNK_MAX       (CTL_PAYLOAD_MAX - 16u)
struct ctl_upload_begin_req {
    uint64_t size;
};
struct ctl_upload_begin_rep {
    uint64_t staging_size;
};
struct ctl_upload_chunk_req {
    uint64_t offset;
    uint64_t pad;               /* data follows: len - 16 octets */
};
struct ctl_upload_end_req {
    uint64_t size;              /* must equal BEGIN's */
    uint32_t crc;               /* CRC32 of the whole upload */
    uint32_t pad;
};

/* KEXEC_RANGE: kexec_op(get_range). */
struct ctl_kexec_range_req {
    int32_t range;              /* KEXEC_RANGE_MA_* */
    int32_t nr;                 /* CPU for MA_CPU */
};
struct ctl_kexec_range_rep {
    uint64_t start;
    uint64_t size;
};

/*
 * KEXEC_LOAD: kexec_op(load). Each segment's bytes are the complete
 * upload's [offset, offset + size); the agent turns them into struct
 * kexec_segment with its own buffer addresses. offset CTL_KEXEC_NOBUF
 * (size 0) is a segment with a null buffer: identity-mapped, never copied.
 */
#define CTL_KEXEC_SEGMENTS_MAX  16u     /* KEXEC_SEGMENT_MAX */
#define CTL_KEXEC_NOBUF         UINT64_MAX
struct ctl_kexec_segment {
    uint64_t offset;
    uint64_t size;
    uint64_t dest_maddr;
    uint64_t dest_size;
};
struct ctl_kexec_load_req {
    uint8_t type;               /* KEXEC_TYPE_* */
    uint8_t pad;
    uint16_t arch;              /* KEXEC_ARCH_X86_64 */
    uint32_t nr_segments;       /* <= CTL_KEXEC_SEGMENTS_MAX; segments follow */
    uint64_t entry_maddr;
};

/*
 * KEXEC_UNLOAD / STATUS / EXEC. EXEC is answered before the jump (status 0:
 * "loaded, jumping"; the agent waits for the UART to drain first). If the
 * hypercall then returns, the agent sends a notice: flags REPLY|NOTICE,
 * type KEXEC_EXEC, the request's seq, status the error.
 * For a live update (KEXEC_TYPE_LIVE_UPDATE) the hypercall always returns,
 * since domain 0 is preserved: the notice always comes, status 0 when it
 * returned in the new build, the error when the update failed before the
 * jump and the old build carries on.
 */
struct ctl_kexec_type_req {
    uint8_t type;               /* KEXEC_TYPE_* */
    uint8_t pad[7];
};

_Static_assert(sizeof(struct ctl_hdr) == CTL_HDR_SIZE, "ctl_hdr size");
_Static_assert(sizeof(struct ctl_ping_rep) == 56, "ctl_ping_rep size");
_Static_assert(sizeof(struct ctl_domid_req) == 8, "ctl_domid_req size");
_Static_assert(sizeof(struct ctl_list_rep) == 8, "ctl_list_rep size");
_Static_assert(sizeof(struct ctl_create_req) == 24, "ctl_create_req size");
_Static_assert(sizeof(struct ctl_dmesg_req) == 16, "ctl_dmesg_req size");
_Static_assert(sizeof(struct ctl_dmesg_rep) == 24, "ctl_dmesg_rep size");
_Static_assert(sizeof(struct ctl_upload_begin_req) == 8, "ctl_upload_begin_req size");
_Static_assert(sizeof(struct ctl_upload_chunk_req) == 16, "ctl_upload_chunk_req size");
_Static_assert(sizeof(struct ctl_upload_end_req) == 16, "ctl_upload_end_req size");
_Static_assert(sizeof(struct ctl_kexec_range_req) == 8, "ctl_kexec_range_req size");
_Static_assert(sizeof(struct ctl_kexec_range_rep) == 16, "ctl_kexec_range_rep size");
_Static_assert(sizeof(struct ctl_kexec_segment) == 32, "ctl_kexec_segment size");
_Static_assert(sizeof(struct ctl_kexec_load_req) == 16, "ctl_kexec_load_req size");
_Static_assert(sizeof(struct ctl_kexec_type_req) == 8, "ctl_kexec_type_req size");
_Static_assert(CTL_LIST_MAX * 0x50 + 8 <= CTL_PAYLOAD_MAX, "a full list fits a frame");
_Static_assert(CTL_MEMMAP_MAX * 24 + 8 <= CTL_PAYLOAD_MAX, "a full memory map fits a frame");
_Static_assert(24 + CTL_KEXEC_SEGMENTS_MAX * 32 <= CTL_PAYLOAD_MAX, "a full load fits a frame");

#endif
