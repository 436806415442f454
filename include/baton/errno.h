/* Error codes returned negated by hypervisor functions: the ABI's own list. */
#ifndef BATON_ERRNO_H
#define BATON_ERRNO_H

#include <public/errno.h>

#endif
