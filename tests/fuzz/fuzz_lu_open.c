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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct lu_stream *s;
    static struct lu_host_mem phys;
    struct lu_breadcrumb bc;
    struct lu_range ram, reserved = { 0, PAGE_SIZE };
    struct lu_reader r = { 0 };
    uint64_t image_pages;
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
    /* Strict: a map of memory the reader has not checked aborts. */
    lu_host_mem_init(&phys, true, true);
    lu_host_mem_add(&phys, 0, image_pages * PAGE_SIZE, image);
    lu_host_reader(&r, &phys);
    r.ram = &ram;
    r.nr_ram = 1;
    r.reserved = &reserved;
    r.nr_reserved = 1;
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
