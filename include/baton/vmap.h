/* vmap: map an array of arbitrary frames at contiguous virtual addresses. */
#ifndef BATON_VMAP_H
#define BATON_VMAP_H

#include <baton/types.h>

void vmap_init(void);
/* Map nr frames (in the order given) read-write; NULL when out of room.
 * The page after every mapping stays unmapped (a guard), and so does the
 * page before the first one: an overrun either way faults. */
void *vmap(const mfn_t *mfns, unsigned int nr);
void vunmap(void *va, unsigned int nr);
/* Map frames to check vmap works end to end; panics on a mismatch. */
void vmap_self_test(void);

#endif
