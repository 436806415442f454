/*
 * The bitmaps of struct domain that say which event channel ports, grant
 * refs and grant window slots are in use (include/baton/domain.h), checked
 * against a walk of the whole tables: the save, restore and release walks
 * trust them, so a test that changes the tables checks them exact.
 * Tests that build a domain by hand write the tables directly: they keep
 * the bitmaps with the set_* helpers here.
 */
#ifndef TESTS_UNIT_DOMAIN_MAPS_H
#define TESTS_UNIT_DOMAIN_MAPS_H

#include <baton/bitmap.h>
#include <baton/domain.h>

static inline void maps_port_written(struct domain *d, uint32_t port)
{
    if (d->evtchn[port].state == EVTCHNSTAT_closed)
        bitmap_clear(d->evtchn_open, port);
    else
        bitmap_set(d->evtchn_open, port);
}

static inline void maps_grant_written(struct domain *d, uint32_t ref)
{
    if (d->grants[ref].in_use)
        bitmap_set(d->grants_in_use, ref);
    else
        bitmap_clear(d->grants_in_use, ref);
}

static inline void maps_slot_written(struct domain *d, uint32_t slot)
{
    if (d->gnt_maps[slot].in_use)
        bitmap_set(d->gnt_maps_in_use, slot);
    else
        bitmap_clear(d->gnt_maps_in_use, slot);
}

/* 0 when every bitmap of d matches its table; else which one and where
 * (port + 1, 10000 + ref + 1, 20000 + slot + 1), for a readable failure. */
static inline unsigned int maps_mismatch(const struct domain *d)
{
    for (uint32_t p = 0; p < NR_EVTCHN_PORTS; p++)
        if (bitmap_test(d->evtchn_open, p) != (d->evtchn[p].state != EVTCHNSTAT_closed))
            return p + 1;
    for (uint32_t r = 0; r < NR_GRANT_REFS; r++)
        if (bitmap_test(d->grants_in_use, r) != d->grants[r].in_use)
            return 10000 + r + 1;
    for (uint32_t s = 0; s < GNT_WINDOW_SLOTS; s++)
        if (bitmap_test(d->gnt_maps_in_use, s) != d->gnt_maps[s].in_use)
            return 20000 + s + 1;
    return 0;
}

#endif
