/* Guest memory (common/guest_access.c): frames and copies. */
#ifndef BATON_GUEST_ACCESS_H
#define BATON_GUEST_ACCESS_H

#include <baton/types.h>

struct domain;

/* Machine frame of gpfn, or INVALID_MFN when outside the domain's memory. */
#define INVALID_MFN (~(uint64_t)0)
uint64_t guest_gpfn_to_mfn(const struct domain *d, uint64_t gpfn);
/* Copy to/from guest pseudo-physical (== guest virtual) memory. Any byte
 * outside [PV_PAGE_SIZE, mem_size) gives -BATON_EFAULT and copies nothing. */
int copy_from_guest(const struct domain *d, void *dst, uint64_t gva, size_t len);
int copy_to_guest(const struct domain *d, uint64_t gva, const void *src, size_t len);

#endif
