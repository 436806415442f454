/*
 * The agent's request handlers: one per CTL_T_* type, each checks the
 * payload's size before reading it, fills the reply in place and returns
 * the status. Uploads land in the staging buffer. See agent.h.
 */
#include "rt.h"
#include "agent.h"
#include "ctl_frame.h"
#include <public/control.h>
#include <public/kexec.h>

#define AGENT_NAME "baton-dom0 1"

static struct {
    uint8_t *base;
    uint64_t room;      /* octets of the buffer */
    uint64_t size;      /* declared by UPLOAD_BEGIN */
    bool complete;      /* UPLOAD_END checked the CRC */
} staging;
static uint16_t self_domid;
static int kexec_exec_type;

void ops_init(uint8_t *base, uint64_t room, uint16_t domid)
{
    staging.base = base;
    staging.room = room;
    staging.size = 0;
    staging.complete = false;
    self_domid = domid;
}

/* A request payload of exactly `want` octets (or at least, for variable ones). */
#define NEED_EXACT(len, want) do { if ((len) != (want)) return -BATON_EINVAL; } while (0)
#define NEED_AT_LEAST(len, want) do { if ((len) < (want)) return -BATON_EINVAL; } while (0)

static struct control_op_header op_hdr(uint32_t cmd)
{
    return (struct control_op_header){ .cmd = cmd, .version = CONTROL_OP_VERSION };
}

/* [off, off + size) of a complete upload, without overflow. */
static bool staged(uint64_t off, uint64_t size)
{
    return staging.complete && off <= staging.size && size <= staging.size - off;
}

static int32_t op_ping(uint32_t len, uint8_t *rep, uint32_t *rep_len)
{
    struct ctl_ping_rep p = {
        .proto_version = CTL_VERSION, .payload_max = CTL_PAYLOAD_MAX,
        .staging_size = staging.room, .control_version = CONTROL_OP_VERSION,
        .domid = self_domid,
    };

    NEED_EXACT(len, 0);
    memcpy(p.agent, AGENT_NAME, sizeof(AGENT_NAME));
    memcpy(rep, &p, sizeof(p));
    *rep_len = sizeof(p);
    return 0;
}

static int32_t op_list(uint32_t len, uint8_t *rep, uint32_t *rep_len)
{
    struct control_domain_list l = {
        .hdr = op_hdr(CONTROL_domain_list), .max = CTL_LIST_MAX,
        .buf = (uint64_t)(uintptr_t)(rep + sizeof(struct ctl_list_rep)),
    };
    struct ctl_list_rep head = { 0 };
    int64_t rc;

    NEED_EXACT(len, 0);
    rc = agent_control_op(CONTROL_domain_list, &l);
    if (rc < 0)
        return (int32_t)rc;
    head.nr = l.nr < CTL_LIST_MAX ? l.nr : CTL_LIST_MAX;
    memcpy(rep, &head, sizeof(head));
    *rep_len = sizeof(head) + head.nr * (uint32_t)sizeof(struct control_domain_info);
    return 0;
}

/* INFO, PAUSE, UNPAUSE, DESTROY: one domid in, the info out for INFO. */
static int32_t op_domain(uint32_t cmd, const uint8_t *req, uint32_t len, uint8_t *rep,
                         uint32_t *rep_len)
{
    struct control_domain_op op = { .hdr = op_hdr(cmd) };
    struct ctl_domid_req d;
    int64_t rc;

    NEED_EXACT(len, sizeof(d));
    memcpy(&d, req, sizeof(d));
    op.domid = d.domid;
    rc = agent_control_op(cmd, &op);
    if (rc < 0)
        return (int32_t)rc;
    if (cmd == CONTROL_domain_info) {
        memcpy(rep, &op.info, sizeof(op.info));
        *rep_len = sizeof(op.info);
    }
    if (cmd != CONTROL_domain_info)
        printf("dom0: ctl %s d%u\n", cmd == CONTROL_domain_pause ? "pause" :
               cmd == CONTROL_domain_unpause ? "unpause" : "destroy", d.domid);
    return 0;
}

static int32_t op_create(const uint8_t *req, uint32_t len, uint8_t *rep, uint32_t *rep_len)
{
    struct control_domain_create c = { .hdr = op_hdr(CONTROL_domain_create) };
    struct ctl_create_req r;
    struct ctl_domid_req out = { 0 };
    int64_t rc;

    NEED_AT_LEAST(len, sizeof(r));
    memcpy(&r, req, sizeof(r));
    if (r.config_len != len - sizeof(r) || r.config_len > CONTROL_CONFIG_MAX)
        return -BATON_EINVAL;
    if (!staged(r.image_offset, r.image_size) || r.image_size > CONTROL_IMAGE_MAX)
        return -BATON_EINVAL;
    c.image = (uint64_t)(uintptr_t)(staging.base + r.image_offset);
    c.image_size = r.image_size;
    c.config = (uint64_t)(uintptr_t)(req + sizeof(r));
    c.config_len = r.config_len;
    rc = agent_control_op(CONTROL_domain_create, &c);
    printf("dom0: ctl create (%lu octets, \"%.*s\") rc=%ld domid=%u\n",
           (unsigned long)r.image_size, (int)r.config_len, (const char *)(req + sizeof(r)),
           (long)rc, rc < 0 ? 0 : c.domid);
    if (rc < 0)
        return (int32_t)rc;
    out.domid = c.domid;
    memcpy(rep, &out, sizeof(out));
    *rep_len = sizeof(out);
    return 0;
}

static int32_t op_dmesg(const uint8_t *req, uint32_t len, uint8_t *rep, uint32_t *rep_len)
{
    struct control_console_read c = { .hdr = op_hdr(CONTROL_console_read) };
    struct ctl_dmesg_req r;
    struct ctl_dmesg_rep out = { 0 };
    int64_t rc;

    NEED_EXACT(len, sizeof(r));
    memcpy(&r, req, sizeof(r));
    c.buf = (uint64_t)(uintptr_t)(rep + sizeof(out));
    c.size = r.max < CTL_DMESG_MAX ? r.max : CTL_DMESG_MAX;
    c.offset = r.offset;
    rc = agent_control_op(CONTROL_console_read, &c);
    if (rc < 0)
        return (int32_t)rc;
    out.next = c.next;
    out.lost = c.lost;
    out.len = c.len <= c.size ? c.len : c.size;
    memcpy(rep, &out, sizeof(out));
    *rep_len = sizeof(out) + out.len;
    return 0;
}

static int32_t op_memmap(uint32_t len, uint8_t *rep, uint32_t *rep_len)
{
    struct control_memory_map m = {
        .hdr = op_hdr(CONTROL_memory_map), .max = CTL_MEMMAP_MAX,
        .buf = (uint64_t)(uintptr_t)(rep + sizeof(struct ctl_list_rep)),
    };
    struct ctl_list_rep head = { 0 };
    int64_t rc;

    NEED_EXACT(len, 0);
    rc = agent_control_op(CONTROL_memory_map, &m);
    if (rc < 0)
        return (int32_t)rc;
    head.nr = m.nr < CTL_MEMMAP_MAX ? m.nr : CTL_MEMMAP_MAX;
    memcpy(rep, &head, sizeof(head));
    *rep_len = sizeof(head) + head.nr * (uint32_t)sizeof(struct control_e820);
    return 0;
}

static int32_t op_rehearse(uint32_t len)
{
    struct control_op_header h = op_hdr(CONTROL_lu_rehearse);
    int64_t rc;

    NEED_EXACT(len, 0);
    rc = agent_control_op(CONTROL_lu_rehearse, &h);
    printf("dom0: ctl rehearse rc=%ld\n", (long)rc);
    return (int32_t)rc;
}

/* VERSION: the running build (CONTROL_version), asked afresh every time:
 * after a live update the same agent answers for the new build. */
static int32_t op_version(uint32_t len, uint8_t *rep, uint32_t *rep_len)
{
    struct control_version v = { .hdr = op_hdr(CONTROL_version) };
    int64_t rc;

    NEED_EXACT(len, 0);
    rc = agent_control_op(CONTROL_version, &v);
    if (rc < 0)
        return (int32_t)rc;
    v.info.version[sizeof(v.info.version) - 1] = 0;
    v.info.build_id[sizeof(v.info.build_id) - 1] = 0;
    memcpy(rep, &v.info, sizeof(v.info));
    *rep_len = sizeof(v.info);
    return 0;
}

/* ------------------------------------------------------------ uploads */

static int32_t op_upload_begin(const uint8_t *req, uint32_t len, uint8_t *rep,
                               uint32_t *rep_len)
{
    struct ctl_upload_begin_req r;
    struct ctl_upload_begin_rep out = { .staging_size = staging.room };

    NEED_EXACT(len, sizeof(r));
    memcpy(&r, req, sizeof(r));
    memcpy(rep, &out, sizeof(out));
    *rep_len = sizeof(out);
    staging.complete = false;
    staging.size = 0;
    if (r.size > staging.room)
        return -BATON_ENOSPC;
    staging.size = r.size;
    return 0;
}

static int32_t op_upload_chunk(const uint8_t *req, uint32_t len)
{
    struct ctl_upload_chunk_req r;
    uint32_t n;

    NEED_AT_LEAST(len, sizeof(r));
    memcpy(&r, req, sizeof(r));
    n = len - (uint32_t)sizeof(r);
    if (r.offset > staging.size || n > staging.size - r.offset)
        return -BATON_ERANGE;
    memcpy(staging.base + r.offset, req + sizeof(r), n);
    staging.complete = false;
    return 0;
}

static int32_t op_upload_end(const uint8_t *req, uint32_t len)
{
    struct ctl_upload_end_req r;

    NEED_EXACT(len, sizeof(r));
    memcpy(&r, req, sizeof(r));
    if (r.size != staging.size)
        return -BATON_EINVAL;
    if (ctl_crc32(0, staging.base, staging.size) != r.crc)
        return -BATON_EBADMSG;
    staging.complete = true;
    return 0;
}

/* ------------------------------------------------------------ kexec */

static int32_t op_kexec_range(const uint8_t *req, uint32_t len, uint8_t *rep,
                              uint32_t *rep_len)
{
    struct ctl_kexec_range_req r;
    struct kexec_range k = { 0 };
    struct ctl_kexec_range_rep out;
    int64_t rc;

    NEED_EXACT(len, sizeof(r));
    memcpy(&r, req, sizeof(r));
    k.range = r.range;
    k.nr = r.nr;
    rc = agent_kexec_op(KEXEC_CMD_kexec_get_range, &k);
    if (rc < 0)
        return (int32_t)rc;
    out.start = k.start;
    out.size = k.size;
    memcpy(rep, &out, sizeof(out));
    *rep_len = sizeof(out);
    return 0;
}

/* One ctl_kexec_segment (upload offsets) -> a kexec_segment (addresses). */
static int32_t kexec_segment(const struct ctl_kexec_segment *s, struct kexec_segment *k)
{
    if (s->offset == CTL_KEXEC_NOBUF) {
        if (s->size)
            return -BATON_EINVAL;
        *k = (struct kexec_segment){ 0, 0, s->dest_maddr, s->dest_size };
        return 0;
    }
    if (!staged(s->offset, s->size))
        return -BATON_EINVAL;
    *k = (struct kexec_segment){ (uint64_t)(uintptr_t)(staging.base + s->offset),
                                 s->size, s->dest_maddr, s->dest_size };
    return 0;
}

static int32_t op_kexec_load(const uint8_t *req, uint32_t len)
{
    struct kexec_segment segs[CTL_KEXEC_SEGMENTS_MAX];
    struct ctl_kexec_load_req r;
    struct kexec_load load = { 0 };
    int64_t rc;

    NEED_AT_LEAST(len, sizeof(r));
    memcpy(&r, req, sizeof(r));
    if (r.nr_segments > CTL_KEXEC_SEGMENTS_MAX ||
        len != sizeof(r) + r.nr_segments * sizeof(struct ctl_kexec_segment))
        return -BATON_EINVAL;
    for (uint32_t i = 0; i < r.nr_segments; i++) {
        struct ctl_kexec_segment s;

        memcpy(&s, req + sizeof(r) + i * sizeof(s), sizeof(s));
        rc = kexec_segment(&s, &segs[i]);
        if (rc < 0)
            return (int32_t)rc;
    }
    load.type = r.type;
    load.arch = r.arch;
    load.nr_segments = r.nr_segments;
    load.segments = (uint64_t)(uintptr_t)segs;
    load.entry_maddr = r.entry_maddr;
    rc = agent_kexec_op(KEXEC_CMD_kexec_load, &load);
    printf("dom0: ctl kexec load type %u, %u segments, entry %#lx: rc=%ld\n", r.type,
           r.nr_segments, (unsigned long)r.entry_maddr, (long)rc);
    return (int32_t)rc;
}

static int32_t kexec_type_op(uint32_t cmd, const uint8_t *req, uint32_t len, int *type)
{
    struct ctl_kexec_type_req r;

    NEED_EXACT(len, sizeof(r));
    memcpy(&r, req, sizeof(r));
    *type = r.type;
    if (cmd == KEXEC_CMD_kexec_unload) {
        struct kexec_unload u = { .type = r.type };
        return (int32_t)agent_kexec_op(cmd, &u);
    }
    struct kexec_status s = { .type = r.type };
    return (int32_t)agent_kexec_op(KEXEC_CMD_kexec_status, &s);
}

/* After the reply to EXEC has left: jump. Back here on failure, or after a
 * live update, in the new build. */
static void kexec_exec_after(uint32_t seq)
{
    struct kexec_exec e = { .type = kexec_exec_type };
    int64_t rc;

    printf("dom0: ctl kexec exec type %d\n", kexec_exec_type);
    agent_drain();
    rc = agent_kexec_op(KEXEC_CMD_kexec, &e);
    printf("dom0: ctl kexec exec returned rc=%ld\n", (long)rc);
    /* a live update returns 0 in the new build: done; a default kexec
     * that returns at all has failed */
    if (rc == 0 && kexec_exec_type == KEXEC_TYPE_LIVE_UPDATE)
        agent_notice(CTL_T_KEXEC_EXEC, seq, 0);
    else
        agent_notice(CTL_T_KEXEC_EXEC, seq, rc < 0 ? (int32_t)rc : -BATON_EIO);
}

static int32_t op_kexec_exec(const uint8_t *req, uint32_t len, ops_after_fn *after)
{
    int type;
    int32_t rc = kexec_type_op(KEXEC_CMD_kexec_status, req, len, &type);

    if (rc < 0)
        return rc;
    if (rc == 0)
        return -BATON_ENOENT;       /* nothing loaded of that type */
    kexec_exec_type = type;
    *after = kexec_exec_after;
    return 0;
}

int32_t ops_dispatch(uint16_t type, const uint8_t *req, uint32_t len, uint8_t *rep,
                     uint32_t *rep_len, ops_after_fn *after)
{
    int kt;

    *rep_len = 0;
    *after = NULL;
    switch (type) {
    case CTL_T_PING:          return op_ping(len, rep, rep_len);
    case CTL_T_LIST:          return op_list(len, rep, rep_len);
    case CTL_T_INFO:          return op_domain(CONTROL_domain_info, req, len, rep, rep_len);
    case CTL_T_PAUSE:         return op_domain(CONTROL_domain_pause, req, len, rep, rep_len);
    case CTL_T_UNPAUSE:       return op_domain(CONTROL_domain_unpause, req, len, rep, rep_len);
    case CTL_T_DESTROY:       return op_domain(CONTROL_domain_destroy, req, len, rep, rep_len);
    case CTL_T_CREATE:        return op_create(req, len, rep, rep_len);
    case CTL_T_DMESG:         return op_dmesg(req, len, rep, rep_len);
    case CTL_T_MEMMAP:        return op_memmap(len, rep, rep_len);
    case CTL_T_REHEARSE:      return op_rehearse(len);
    case CTL_T_UPLOAD_BEGIN:  return op_upload_begin(req, len, rep, rep_len);
    case CTL_T_UPLOAD_CHUNK:  return op_upload_chunk(req, len);
    case CTL_T_UPLOAD_END:    return op_upload_end(req, len);
    case CTL_T_KEXEC_RANGE:   return op_kexec_range(req, len, rep, rep_len);
    case CTL_T_KEXEC_LOAD:    return op_kexec_load(req, len);
    case CTL_T_KEXEC_UNLOAD:  return kexec_type_op(KEXEC_CMD_kexec_unload, req, len, &kt);
    case CTL_T_KEXEC_STATUS:  return kexec_type_op(KEXEC_CMD_kexec_status, req, len, &kt);
    case CTL_T_KEXEC_EXEC:    return op_kexec_exec(req, len, after);
    case CTL_T_VERSION:       return op_version(len, rep, rep_len);
    default:                  return -BATON_ENOSYS;
    }
}
