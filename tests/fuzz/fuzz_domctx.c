/*
 * Fuzz the domain context loader. Input: one octet for the vCPU count,
 * one for the flags, then the blob.
 *
 * Oracles: a blob that fails validation never reaches a handler; one that
 * passes loads (or is refused by a fixture handler only); marking a type
 * IGNORE keeps a valid blob valid; framing-only accepts all a full check does.
 */
#include <stdlib.h>
#include <string.h>

#include <baton/errno.h>
#include "lu_fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool registered;

static void check_valid(uint8_t *blob, size_t len, unsigned int nr, unsigned int flags)
{
    struct domain d;
    int rc;

    if (domctx_validate(blob, len, nr, flags | DOMCTX_FRAMING_ONLY, NULL, 0))
        abort();
    fx_domain_blank(&d, 1, nr);
    rc = domctx_load(&d, nr, blob, len, flags, NULL, 0);
    if (rc && rc != -BATON_EINVAL)
        abort();
    if (domctx_set_ignore(blob, len, FX_TYPE_VCPU) < 0)
        abort();
    if (domctx_validate(blob, len, nr, flags, NULL, 0))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned int nr, flags;
    struct domain d;
    uint8_t *blob;
    size_t len;

    if (!registered) {
        if (fx_register())
            abort();
        registered = true;
    }
    if (size < 2 || size > (1u << 20))
        return 0;
    nr = 1 + data[0] % FX_VCPUS_MAX;
    flags = data[1] & DOMCTX_ALLOW_LONGER;
    len = size - 2;
    blob = aligned_alloc(8, ALIGN_UP(len + 1, 8));
    if (!blob)
        abort();
    memcpy(blob, data + 2, len);
    if (domctx_validate(blob, len, nr, flags, NULL, 0) == 0) {
        check_valid(blob, len, nr, flags);
    } else {
        fx_domain_blank(&d, 1, nr);
        if (domctx_load(&d, nr, blob, len, flags, NULL, 0) >= 0 || d.loads)
            abort();
        domctx_walk(blob, len, nr, DOMCTX_FRAMING_ONLY, NULL, NULL, NULL, 0);
    }
    free(blob);
    return 0;
}
