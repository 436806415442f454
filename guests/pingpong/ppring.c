/* pingpong rings and sequence checks: see ppring.h. */
#include "ppring.h"

uint64_t pp_check(uint64_t seq)
{
    return ~seq * 0x9e3779b97f4a7c15ull;
}

void pp_seq_init(struct pp_seq *s)
{
    s->next = 1;
}

enum pp_verdict pp_seq_accept(struct pp_seq *s, const struct pp_msg *m)
{
    if (m->check != pp_check(m->seq))
        return PP_CORRUPT;
    if (m->seq < s->next)
        return PP_DUP;
    if (m->seq > s->next)
        return PP_GAP;
    s->next++;
    return PP_OK;
}

const char *pp_verdict_name(enum pp_verdict v)
{
    switch (v) {
    case PP_OK: return "ok";
    case PP_GAP: return "gap";
    case PP_DUP: return "duplicate";
    case PP_CORRUPT: return "corrupt";
    }
    return "?";
}

void pp_ring_init(struct pp_ring *r)
{
    r->prod = 0;
    r->cons = 0;
}

int pp_ring_used(const struct pp_ring *r)
{
    uint32_t prod = __atomic_load_n(&r->prod, __ATOMIC_ACQUIRE);
    uint32_t cons = __atomic_load_n(&r->cons, __ATOMIC_ACQUIRE);
    uint32_t used = prod - cons;

    return used > PP_SLOTS ? -1 : (int)used;
}

bool pp_ring_put(struct pp_ring *r, uint64_t seq)
{
    int used = pp_ring_used(r);
    uint32_t prod = r->prod;

    if (used < 0 || used == (int)PP_SLOTS)
        return false;
    r->msg[prod % PP_SLOTS].seq = seq;
    r->msg[prod % PP_SLOTS].check = pp_check(seq);
    /* the message before the index that publishes it */
    __atomic_store_n(&r->prod, prod + 1, __ATOMIC_RELEASE);
    return true;
}

bool pp_ring_get(struct pp_ring *r, struct pp_msg *out)
{
    int used = pp_ring_used(r);
    uint32_t cons = r->cons;

    if (used <= 0)
        return false;
    out->seq = ((volatile struct pp_msg *)&r->msg[cons % PP_SLOTS])->seq;
    out->check = ((volatile struct pp_msg *)&r->msg[cons % PP_SLOTS])->check;
    /* the message is copied out before the slot is handed back */
    __atomic_store_n(&r->cons, cons + 1, __ATOMIC_RELEASE);
    return true;
}
