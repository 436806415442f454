/*
 * The pingpong shared page: a header for the rendezvous and two rings of
 * sequence-numbered messages (requests front -> back, responses back ->
 * front). Pure code, also built by the host unit tests.
 *
 * The page lives in the frontend's memory and is granted to the backend,
 * which therefore trusts nothing in it: indices are checked, every message
 * carries a check word, sequence numbers must go up by exactly one.
 */
#ifndef GUEST_PPRING_H
#define GUEST_PPRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PP_MAGIC        0x474e5050u     /* "PPNG" */
#define PP_VERSION      1u
#define PP_SLOTS        32u             /* per ring, a power of two */

struct pp_msg {
    uint64_t seq;
    uint64_t check;                     /* pp_check(seq) */
};

/* Producer and consumer indices on their own cache lines (free-running). */
struct pp_ring {
    uint32_t prod;
    uint32_t pad0[15];
    uint32_t cons;
    uint32_t pad1[15];
    struct pp_msg msg[PP_SLOTS];
};

/*
 * Rendezvous: the frontend writes front_domid, front_port and version, then
 * magic (release); then it grants the page. The backend maps it, waits for
 * magic, binds front_port, sets back_domid and then back_connected.
 */
struct pp_page {
    uint32_t magic;
    uint32_t version;
    uint32_t front_port;
    uint16_t front_domid;
    uint16_t back_domid;
    uint32_t back_connected;
    uint32_t pad[11];
    struct pp_ring req;
    struct pp_ring rsp;
};

_Static_assert(sizeof(struct pp_page) <= 4096, "pingpong page fits a page");
_Static_assert(sizeof(struct pp_ring) == 0x280, "pp_ring size (docs/specs/pv-abi.md)");
_Static_assert(offsetof(struct pp_ring, cons) == 0x40, "pp_ring.cons");
_Static_assert(offsetof(struct pp_ring, msg) == 0x80, "pp_ring.msg");
_Static_assert(offsetof(struct pp_page, back_connected) == 0x10, "pp_page.back_connected");
_Static_assert(offsetof(struct pp_page, req) == 0x40, "pp_page.req");
_Static_assert(offsetof(struct pp_page, rsp) == 0x2c0, "pp_page.rsp");

/* Sequence checker: expects 1, 2, 3, ... */
struct pp_seq {
    uint64_t next;
};

enum pp_verdict {
    PP_OK = 0,
    PP_GAP,         /* a sequence number was skipped */
    PP_DUP,         /* a sequence number came again (or went back) */
    PP_CORRUPT,     /* check word does not match */
};

uint64_t pp_check(uint64_t seq);
void pp_seq_init(struct pp_seq *s);
enum pp_verdict pp_seq_accept(struct pp_seq *s, const struct pp_msg *m);
const char *pp_verdict_name(enum pp_verdict v);

void pp_ring_init(struct pp_ring *r);
/* Messages waiting; -1 when the indices are impossible (corrupt ring). */
int pp_ring_used(const struct pp_ring *r);
/* Producer side: false when full or corrupt. */
bool pp_ring_put(struct pp_ring *r, uint64_t seq);
/* Consumer side: false when empty or corrupt. */
bool pp_ring_get(struct pp_ring *r, struct pp_msg *out);

#endif
