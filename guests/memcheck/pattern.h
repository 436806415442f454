/*
 * memcheck's pattern and checksum. Pure code, also built by the host unit
 * tests.
 *
 * Every u64 word holds memcheck_word(seed, domid, its address): a bijective
 * mix of a value that differs for every address, domain and seed, so a page
 * that moved, a page of another domain, or a stale page all show up.
 */
#ifndef GUEST_MEMCHECK_PATTERN_H
#define GUEST_MEMCHECK_PATTERN_H

#include <stddef.h>
#include <stdint.h>

#define MEMCHECK_CSUM_INIT  0xcbf29ce484222325ull   /* FNV-1a offset basis */

struct memcheck_params {
    uint64_t seed;
    uint16_t domid;
};

/* Called for every word that differs: its address, the pattern and what was there. */
typedef void (*memcheck_bad_fn)(uint64_t addr, uint64_t want, uint64_t got, void *ctx);

uint64_t memcheck_word(uint64_t seed, uint16_t domid, uint64_t addr);
/* Fold one word into a running checksum (FNV-1a over u64 words). */
uint64_t memcheck_csum(uint64_t csum, uint64_t word);

/* Fill nwords at base; returns the checksum continued from csum. */
uint64_t memcheck_fill(const struct memcheck_params *p, uint64_t *base, size_t nwords,
                       uint64_t csum);
/*
 * Check nwords at base; calls bad() for every mismatch and returns the
 * checksum of what was read, continued from csum.
 */
uint64_t memcheck_verify(const struct memcheck_params *p, const uint64_t *base, size_t nwords,
                         uint64_t csum, memcheck_bad_fn bad, void *ctx);

#endif
