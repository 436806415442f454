/*
 * Fuzz the full restore decode with every real context handler (issue 7):
 * DOMAIN, VCPU, EVTCHN, GRANT, GRANT_MAP, TIMER, CONSOLE as linked from
 * their subsystems' files and registered by domctx_init(), and
 * common/lu/restore.c's lu_restore (decode, cross-domain checks, commit)
 * over the fakes of tests/unit/ctx_fake.c.
 *
 * Input: one mode octet, then the body.
 *   bit 0 clear: the body is a domain context blob, domctx_load()ed into a
 *         scratch domain prepared as restore's decode prepares a slot:
 *         bits 1-2 its vCPUs - 1, bit 3 privileged, bit 4 its ABI pages
 *         mapped (the VCPU handler then checks the upcall bits against
 *         guest memory, all zero), bit 5 DOMCTX_ALLOW_LONGER, bits 6-7
 *         its domid.
 *   bit 0 set: the body is a handover stream, lu_stream_parse()d with
 *         the fake machine memory as RAM, then lu_restore()d.
 * Seeds (tests/fuzz/corpus/fuzz_restore/) come from the real writers:
 * `build/tests/unit/test_ctx_handlers --seeds DIR`.
 *
 * Oracles beyond the sanitizers:
 *   - a blob that loads, saved again (domctx_size agreeing), loads again
 *     into a fresh domain and saves to the same octets;
 *   - after lu_restore, failed or not once the restored domains are
 *     dropped: every slot FREE, every page table, stack page and vmap given
 *     back, no machine address outside the fake memory.
 */
#include <stdlib.h>
#include <string.h>

#include <baton/domain.h>
#include <baton/domctx.h>
#include <baton/lu.h>
#include "../../tools/lib/lu_host.h"
#include "../unit/ctx_fake.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MEM_PAGES 512u

struct buf {
    uint8_t *p;
    size_t len, cap;
};

static int buf_write(void *priv, const void *data, size_t len)
{
    struct buf *b = priv;

    if (b->len + len > b->cap) {
        b->cap = (b->len + len) * 2 + 256;
        b->p = realloc(b->p, b->cap);
        if (!b->p)
            abort();
    }
    memcpy(b->p + b->len, data, len);
    b->len += len;
    return 0;
}

static struct domain *scratch(uint8_t mode)
{
    struct domain *d = ctx_fake_restoring_heap(mode >> 6, ((mode >> 1) & 3) + 1, mode & 8, 0,
                                               MEM_PAGES);

    if (!d)
        abort();
    if (!(mode & 16)) {
        d->start_info = NULL;
        d->shared_info = NULL;
        d->console_ring = NULL;
    }
    return d;
}

static void save(struct domain *d, struct buf *b)
{
    size_t dry = 0, len = 0;

    b->len = 0;
    if (domctx_size(d, d->nr_vcpus, &dry) || domctx_save(d, d->nr_vcpus, buf_write, b, &len) ||
        dry != len || len != b->len)
        abort();
}

static void fuzz_blob(uint8_t mode, const uint8_t *p, size_t n)
{
    unsigned int flags = mode & 32 ? DOMCTX_ALLOW_LONGER : 0;
    struct domain *d = scratch(mode), *d2;
    struct buf b1 = { 0 }, b2 = { 0 };

    if (domctx_load(d, d->nr_vcpus, p, n, flags, NULL, 0) || d->state == DOMAIN_RESTORING) {
        /* refused, or no DOMAIN entry (nothing a restore would keep) */
        free(d);
        return;
    }
    save(d, &b1);
    d2 = scratch(mode);
    if (domctx_load(d2, d2->nr_vcpus, b1.p, b1.len, 0, NULL, 0))
        abort();
    save(d2, &b2);
    if (b1.len != b2.len || memcmp(b1.p, b2.p, b1.len))
        abort();
    free(b1.p);
    free(b2.p);
    free(d);
    free(d2);
}

static const struct lu_range ram[] = {
    { CTX_PHYS_BASE, CTX_PHYS_BASE + (uint64_t)CTX_PHYS_PAGES * PAGE_SIZE },
};
static const struct lu_range reserved[] = { { 0, PAGE_SIZE } };
static struct lu_reader rd;
static struct lu_stream *s;

static void fuzz_stream(const uint8_t *p, size_t n)
{
    uint8_t *buf = aligned_alloc(PAGE_SIZE, ALIGN_UP(n, PAGE_SIZE) + PAGE_SIZE);

    if (!buf)
        abort();
    memcpy(buf, p, n);
    if (!lu_stream_parse(&rd, buf, n, s)) {
        int rc = lu_restore(s);

        if (rc > 0)
            abort();
        for (unsigned int i = 0; i < CONFIG_MAX_DOMAINS; i++) {
            struct domain *d = domain_slot(i);

            if (d->state != DOMAIN_FREE) {
                if (rc)
                    abort();    /* a failed restore left a slot */
                domain_drop_state(d);
            }
        }
    }
    if (ctx_fake_slots_used() || ctx_fake.pt_live || ctx_fake.pages_live ||
        ctx_fake.vmaps_live || ctx_fake.bad_phys)
        abort();
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct lu_host_mem none;

    if (!s) {
        if (domctx_init())
            abort();
        s = calloc(1, sizeof(*s));
        if (!s)
            abort();
        lu_host_reader(&rd, &none);
        rd.map_phys = NULL;
        rd.unmap_phys = NULL;
        rd.vmap = NULL;
        rd.vunmap = NULL;
        rd.ram = ram;
        rd.nr_ram = 1;
        rd.reserved = reserved;
        rd.nr_reserved = 1;
        ctx_fake_reset();
    }
    if (size < 1 || size > (1u << 20))
        return 0;
    if (data[0] & 1)
        fuzz_stream(data + 1, size - 1);
    else
        fuzz_blob(data[0], data + 1, size - 1);
    return 0;
}
