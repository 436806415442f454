/*
 * Fuzz the whole open path: breadcrumb, MFN array, stream frames, records.
 * Input: a 24-octet breadcrumb, then a physical memory image starting at
 * address 0 (at most FZ_PAGES frames; frame 0 is reserved, as the LU
 * bootmem holding the breadcrumb would be).
 */
#include <stdlib.h>
#include <string.h>

#include <baton/errno.h>
#include "lu_fixture.h"

#define FZ_PAGES 32u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t *image;
static uint64_t image_pages;

static const void *fz_map_phys(void *priv, paddr_t pa, size_t len)
{
    (void)priv;
    if (pa > image_pages * PAGE_SIZE || len > image_pages * PAGE_SIZE - pa)
        return NULL;
    return image + pa;
}

static const void *fz_vmap(void *priv, const uint64_t *mfns, uint64_t nr)
{
    uint8_t *va = aligned_alloc(PAGE_SIZE, nr * PAGE_SIZE);

    (void)priv;
    for (uint64_t i = 0; va && i < nr; i++) {
        /* The reader checked every frame against RAM before mapping. */
        if (mfns[i] >= image_pages)
            abort();
        memcpy(va + i * PAGE_SIZE, image + mfns[i] * PAGE_SIZE, PAGE_SIZE);
    }
    return va;
}

static void fz_vunmap(void *priv, const void *va, uint64_t nr)
{
    (void)priv;
    (void)nr;
    free((void *)va);
}

static void *fz_alloc(void *priv, size_t size)
{
    (void)priv;
    return malloc(size ? size : 1);
}

static void fz_free(void *priv, void *p, size_t size)
{
    (void)priv;
    (void)size;
    free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct lu_stream *s;
    struct lu_breadcrumb bc;
    struct lu_range ram, reserved = { 0, PAGE_SIZE };
    struct lu_reader r = {
        .map_phys = fz_map_phys, .vmap = fz_vmap, .vunmap = fz_vunmap,
        .scratch_alloc = fz_alloc, .scratch_free = fz_free,
        .ram = &ram, .nr_ram = 1, .reserved = &reserved, .nr_reserved = 1,
    };
    int rc;

    if (!s) {
        if (fx_register())
            abort();
        s = fx_stream_new();
        image = aligned_alloc(PAGE_SIZE, FZ_PAGES * PAGE_SIZE);
        if (!image)
            abort();
    }
    if (size < sizeof(bc) + PAGE_SIZE)
        return 0;
    memcpy(&bc, data, sizeof(bc));
    image_pages = MIN((size - sizeof(bc) + PAGE_SIZE - 1) / PAGE_SIZE, FZ_PAGES);
    memset(image, 0, image_pages * PAGE_SIZE);
    memcpy(image, data + sizeof(bc), MIN(size - sizeof(bc), image_pages * PAGE_SIZE));
    ram = (struct lu_range){ 0, image_pages * PAGE_SIZE };
    rc = lu_stream_open(&r, &bc, s);
    if (rc) {
        if (rc > 0 || s->nr_domains || s->mapped || !s->error[0])
            abort();
        return 0;
    }
    for (uint64_t i = 0; i < s->nr_pages; i++)
        if (!s->mfns[i] || s->mfns[i] >= image_pages)
            abort();
    lu_stream_close(&r, s);
    return 0;
}
