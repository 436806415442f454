/*
 * Fixed-size bitmaps of 64-bit words: which entries of a fixed table are in
 * use (event channel ports, grant refs, grant window slots), so that the
 * live update's walks cost what is in use, not the size of the table.
 * Bit i of the map is bit i % 64 of word i / 64. No locking: the tables they
 * index have none either (the hypervisor is not preemptible on its one CPU).
 */
#ifndef BATON_BITMAP_H
#define BATON_BITMAP_H

#include <baton/types.h>

#define BITMAP_WORDS(nbits) (((nbits) + 63) / 64)

static inline void bitmap_set(uint64_t *map, unsigned int i)
{
    map[i / 64] |= UINT64_C(1) << (i % 64);
}

static inline void bitmap_clear(uint64_t *map, unsigned int i)
{
    map[i / 64] &= ~(UINT64_C(1) << (i % 64));
}

static inline bool bitmap_test(const uint64_t *map, unsigned int i)
{
    return (map[i / 64] >> (i % 64)) & 1;
}

/*
 * The lowest bit at or above `from` that differs from `skip` (0: find a set
 * bit, ~0: find a clear one), or nbits when there is none. It reads the
 * map afresh at every call, so a walk may clear bits as it goes.
 */
static inline unsigned int bitmap_find(const uint64_t *map, unsigned int nbits,
                                       unsigned int from, uint64_t skip)
{
    for (unsigned int w = from / 64; w < BITMAP_WORDS(nbits); w++) {
        uint64_t bits = map[w] ^ skip;

        if (w == from / 64)
            bits &= ~UINT64_C(0) << (from % 64);
        if (bits) {
            unsigned int i = w * 64 + (unsigned int)__builtin_ctzll(bits);

            return i < nbits ? i : nbits;
        }
    }
    return nbits;
}

/* The lowest set bit at or above `from`, or nbits when there is none. */
static inline unsigned int bitmap_next_set(const uint64_t *map, unsigned int nbits,
                                           unsigned int from)
{
    return bitmap_find(map, nbits, from, 0);
}

/* The lowest clear bit at or above `from`, or nbits when there is none. */
static inline unsigned int bitmap_next_clear(const uint64_t *map, unsigned int nbits,
                                             unsigned int from)
{
    return bitmap_find(map, nbits, from, ~UINT64_C(0));
}

/* for (i = first set bit; i < nbits; i = next set bit after i) */
#define bitmap_for_each_set(i, map, nbits)                                  \
    for ((i) = bitmap_next_set((map), (nbits), 0); (i) < (nbits);           \
         (i) = bitmap_next_set((map), (nbits), (i) + 1))

#endif
