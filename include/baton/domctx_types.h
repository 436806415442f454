/*
 * The domain context entry types this build loads and writes, as 64-bit
 * masks of type codes 0..63 (bit t set: DOMCTX_TYPE t). The test range
 * DOMCTX_TYPE_TEST_FIRST.. is never in a mask; HEADER and END belong to the
 * framing, not to a handler, and are not in them either.
 *
 * The one place these masks are written down. The image's ELF note
 * BATON_NOTE_DOMCTX_TYPES carries the load mask (common/lu/elfnote.c) and
 * CONTROL_version reports both (common/control.c), so that a loader can
 * refuse a target that cannot load an entry the running build writes:
 * such a target halts at its early boot and the domains are lost.
 * domctx_types_check() (common/domctx.c, run by tests/unit/test_ctx_handlers.c
 * over the real handlers) proves that the masks name exactly the types
 * with a registered load or save handler, so they cannot drift.
 */
#ifndef BATON_DOMCTX_TYPES_H
#define BATON_DOMCTX_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <public/domctx.h>

#define DOMCTX_TYPE_BIT(name) (UINT64_C(1) << DOMCTX_TYPE_##name)

/* Every entry type this build has a handler for, X(NAME) each: the names
 * tools print for the bits of a mask. */
#define DOMCTX_TYPES_EACH(X) \
    X(DOMAIN) X(VCPU) X(EVTCHN) X(GRANT) X(GRANT_MAP) X(TIMER) X(CONSOLE) X(FPU)

/* Types with a load handler: what this build's restore accepts. */
#define DOMCTX_TYPES_LOADS                                                   \
    (DOMCTX_TYPE_BIT(DOMAIN) | DOMCTX_TYPE_BIT(VCPU) | DOMCTX_TYPE_BIT(EVTCHN) | \
     DOMCTX_TYPE_BIT(GRANT) | DOMCTX_TYPE_BIT(GRANT_MAP) | DOMCTX_TYPE_BIT(TIMER) | \
     DOMCTX_TYPE_BIT(CONSOLE) | DOMCTX_TYPE_BIT(FPU))

/* Types with a save handler: what this build's save may emit. */
#define DOMCTX_TYPES_WRITES                                                  \
    (DOMCTX_TYPE_BIT(DOMAIN) | DOMCTX_TYPE_BIT(VCPU) | DOMCTX_TYPE_BIT(EVTCHN) | \
     DOMCTX_TYPE_BIT(GRANT) | DOMCTX_TYPE_BIT(GRANT_MAP) | DOMCTX_TYPE_BIT(TIMER) | \
     DOMCTX_TYPE_BIT(CONSOLE) | DOMCTX_TYPE_BIT(FPU))

/* A type code past 63 cannot be carried by the masks (nor the note). */
#define DOMCTX_TYPE_FITS_MASK_(name) \
    _Static_assert(DOMCTX_TYPE_##name < 64, "DOMCTX_TYPE_" #name " fits a 64-bit mask");
DOMCTX_TYPES_EACH(DOMCTX_TYPE_FITS_MASK_)
#undef DOMCTX_TYPE_FITS_MASK_

/*
 * Masks of the registered types (codes 0..63, common/domctx.c) that have a
 * load handler (loads) or a save handler (!loads).
 */
uint64_t domctx_registered_types(bool loads);
/*
 * 0 when the registered handlers are exactly DOMCTX_TYPES_LOADS and
 * DOMCTX_TYPES_WRITES; else -BATON_EINVAL, and err[errsz] says which types
 * differ. Call after domctx_init() in a program that links every handler.
 */
int domctx_types_check(char *err, size_t errsz);

#endif
