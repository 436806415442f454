/*
 * Fuzz the LU stream reader on a contiguous stream (lu_stream_parse), then
 * load every accepted domain context. Built for stream version 1
 * (fuzz_lu_stream) and version 2 (fuzz_lu_stream_v2).
 *
 * Oracles beyond the sanitizers: a rejected stream leaves no domains and
 * says why; an accepted one holds only what the spec allows (sorted,
 * in-RAM extents with the stated totals, contexts that validate again).
 */
#include <stdlib.h>
#include <string.h>

#include <baton/errno.h>
#include "lu_fixture.h"
#include "../../common/lu/lu_private.h" /* lu_in_ram, for the oracle */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct lu_reader rd;
static struct lu_stream *s;

static void check_domain(const struct lu_domain *d)
{
    uint64_t pages = 0, end = 0;
    struct domain e;
    int rc;

    for (uint32_t i = 0; i < d->nr_extents; i++) {
        struct lu_extent x;

        memcpy(&x, &d->extents[i], sizeof(x));
        if (!x.count || x.gpfn < end || !lu_in_ram(&rd, x.mfn, x.count))
            abort();
        pages += x.count;
        end = x.gpfn + x.count;
    }
    if (pages != d->total_pages || d->p2m_size < end || d->nr_extents > LU_EXTENTS_MAX)
        abort();
    if (domctx_validate(d->context, d->context_len, d->info.max_vcpus, s->ctx_flags, NULL, 0))
        abort();
    fx_domain_blank(&e, d->info.domid, d->info.max_vcpus);
    rc = domctx_load(&e, d->info.max_vcpus, d->context, d->context_len, s->ctx_flags, NULL, 0);
    /* Only the fixture's own handlers may refuse a validated entry. */
    if (rc && rc != -BATON_EINVAL)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *buf;
    int rc;

    if (!s) {
        if (fx_register())
            abort();
        fx_reader(&rd, NULL);
        s = fx_stream_new();
    }
    if (size > (1u << 20))
        return 0;
    buf = aligned_alloc(8, ALIGN_UP(size + 1, 8));
    if (!buf)
        abort();
    memcpy(buf, data, size);
    rc = lu_stream_parse(&rd, buf, size, s);
    if (rc) {
        if (rc > 0 || s->nr_domains || !s->error[0])
            abort();
    } else {
        if (s->stream_len > size || s->version.stream_length != s->stream_len)
            abort();
        for (uint32_t i = 0; i < s->nr_domains; i++)
            check_domain(&s->domains[i]);
    }
    free(buf);
    return 0;
}
