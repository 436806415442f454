/* Host backend of the LU stream library: see lu_host.h. */
#include <stdlib.h>
#include <string.h>

#include <baton/errno.h>
#include <baton/lib.h>
#include "lu_host.h"

/* ------------------------------------------------------------ memory */

void lu_host_mem_init(struct lu_host_mem *m, bool copy, bool strict)
{
    memset(m, 0, sizeof(*m));
    m->copy = copy;
    m->strict = strict;
}

int lu_host_mem_add(struct lu_host_mem *m, uint64_t pa, uint64_t len, void *p)
{
    if (m->nr == LU_HOST_SEGMENTS)
        return -1;
    m->seg[m->nr++] = (struct lu_host_segment){ pa, len, p };
    return 0;
}

void *lu_host_mem_ptr(const struct lu_host_mem *m, uint64_t pa, uint64_t len)
{
    for (unsigned int i = 0; i < m->nr; i++) {
        const struct lu_host_segment *s = &m->seg[i];

        if (pa >= s->pa && len <= s->len && pa - s->pa <= s->len - len)
            return s->p + (pa - s->pa);
    }
    return NULL;
}

static int by_pa(const void *a, const void *b)
{
    const struct lu_host_segment *x = a, *y = b;

    return x->pa < y->pa ? -1 : x->pa > y->pa;
}

unsigned int lu_host_mem_ram(struct lu_host_mem *m, struct lu_range *ram, unsigned int max)
{
    unsigned int n = 0;

    qsort(m->seg, m->nr, sizeof(m->seg[0]), by_pa);
    for (unsigned int i = 0; i < m->nr; i++) {
        uint64_t start = ALIGN_UP(m->seg[i].pa, PAGE_SIZE);
        uint64_t end = ALIGN_DOWN(m->seg[i].pa + m->seg[i].len, PAGE_SIZE);

        if (start >= end)
            continue;
        if (n && start <= ram[n - 1].end) {
            ram[n - 1].end = MAX(end, ram[n - 1].end);
            continue;
        }
        if (n == max)
            break;
        ram[n++] = (struct lu_range){ start, end };
    }
    return n;
}

/* A pointer into a segment is an alias, anything else a private copy. */
static bool is_alias(const struct lu_host_mem *m, const void *va)
{
    for (unsigned int i = 0; i < m->nr; i++)
        if ((const uint8_t *)va >= m->seg[i].p &&
            (const uint8_t *)va < m->seg[i].p + m->seg[i].len)
            return true;
    return false;
}

static void *missing(const struct lu_host_mem *m, void *copy)
{
    free(copy);
    if (m->strict)
        abort(); /* the reader mapped memory it had not checked */
    return NULL;
}

/* Copy [pa, pa + len) page by page: a range may span segments. */
static void *copy_phys(const struct lu_host_mem *m, uint64_t pa, size_t len)
{
    uint8_t *buf = aligned_alloc(PAGE_SIZE, ALIGN_UP(len ? len : 1, PAGE_SIZE));

    for (size_t done = 0; buf && done < len;) {
        size_t chunk = MIN(len - done, PAGE_SIZE - ((pa + done) & (PAGE_SIZE - 1)));
        const uint8_t *src = lu_host_mem_ptr(m, pa + done, chunk);

        if (!src)
            return missing(m, buf);
        memcpy(buf + done, src, chunk);
        done += chunk;
    }
    return buf;
}

static const void *host_map_phys(void *priv, paddr_t pa, size_t len)
{
    struct lu_host_mem *m = priv;
    void *p = m->copy ? NULL : lu_host_mem_ptr(m, pa, len);

    return p ? p : copy_phys(m, pa, len);
}

static void host_unmap(struct lu_host_mem *m, const void *va)
{
    if (!is_alias(m, va))
        free((void *)va);
}

static void host_unmap_phys(void *priv, const void *va, size_t len)
{
    (void)len;
    host_unmap(priv, va);
}

/* Consecutive frames inside one segment map in place, unless copy is set. */
static const void *host_vmap(void *priv, const uint64_t *mfns, uint64_t nr)
{
    struct lu_host_mem *m = priv;
    uint8_t *va;
    uint64_t i;

    for (i = 1; !m->copy && i < nr && mfns[i] == mfns[0] + i; i++)
        ;
    if (!m->copy && i == nr && mfns[0] < LU_FRAME_LIMIT) {
        va = lu_host_mem_ptr(m, mfns[0] << PAGE_SHIFT, nr * PAGE_SIZE);
        if (va)
            return va;
    }
    va = aligned_alloc(PAGE_SIZE, nr * PAGE_SIZE);
    for (i = 0; va && i < nr; i++) {
        const uint8_t *src = mfns[i] < LU_FRAME_LIMIT ?
                             lu_host_mem_ptr(m, mfns[i] << PAGE_SHIFT, PAGE_SIZE) : NULL;

        if (!src)
            return missing(m, va);
        memcpy(va + i * PAGE_SIZE, src, PAGE_SIZE);
    }
    return va;
}

static void host_vunmap(void *priv, const void *va, uint64_t nr)
{
    (void)nr;
    host_unmap(priv, va);
}

static void *host_scratch_alloc(void *priv, size_t size)
{
    (void)priv;
    return malloc(size ? size : 1);
}

static void host_scratch_free(void *priv, void *p, size_t size)
{
    (void)priv;
    (void)size;
    free(p);
}

void lu_host_reader(struct lu_reader *r, struct lu_host_mem *m)
{
    r->map_phys = host_map_phys;
    r->unmap_phys = host_unmap_phys;
    r->vmap = host_vmap;
    r->vunmap = host_vunmap;
    r->scratch_alloc = host_scratch_alloc;
    r->scratch_free = host_scratch_free;
    r->priv = m;
}

/* ------------------------------------------------------------ page pool */

static bool take(struct lu_host_pool *p, uint64_t mfn, uint64_t nr)
{
    for (uint64_t i = 0; i < nr; i++)
        if (p->used[mfn - p->base + i])
            return false;
    memset(&p->used[mfn - p->base], 1, nr);
    p->live += nr;
    p->allocs++;
    return true;
}

static int pool_alloc(void *priv, uint64_t nr, mfn_t *mfn)
{
    struct lu_host_pool *p = priv;

    if (p->fail_after >= 0 && p->allocs == (uint64_t)p->fail_after)
        return -BATON_ENOMEM;
    if (nr == 1) {
        for (uint64_t tries = 0; tries < p->single_nr; tries++) {
            uint64_t m = p->single_first + (p->next_single++ * p->stride) % p->single_nr;

            if (take(p, m, 1)) {
                *mfn = m;
                return 0;
            }
        }
        return -BATON_ENOMEM;
    }
    for (uint64_t m = p->run_first; m + nr <= p->run_first + p->run_nr; m++) {
        if (take(p, m, nr)) {
            *mfn = m;
            return 0;
        }
    }
    return -BATON_ENOMEM;
}

/* Frames [mfn, mfn + nr) are the pool's. */
static bool pool_has(const struct lu_host_pool *p, uint64_t mfn, uint64_t nr)
{
    return mfn >= p->base && mfn - p->base <= p->nr && nr <= p->nr - (mfn - p->base);
}

static void pool_free(void *priv, mfn_t mfn, uint64_t nr)
{
    struct lu_host_pool *p = priv;

    if (!pool_has(p, mfn, nr))
        abort();
    for (uint64_t i = 0; i < nr; i++) {
        if (!p->used[mfn - p->base + i])
            abort(); /* double free: a writer bug */
        p->used[mfn - p->base + i] = 0;
    }
    p->live -= nr;
}

static void *pool_map(void *priv, mfn_t mfn, uint64_t nr)
{
    struct lu_host_pool *p = priv;

    if (!pool_has(p, mfn, nr))
        return NULL;
    return p->mem + (mfn - p->base) * PAGE_SIZE;
}

void lu_host_pool_init(struct lu_host_pool *p, uint64_t base, uint64_t nr,
                       uint64_t single_first, uint64_t single_nr, uint64_t stride,
                       uint64_t run_first, uint64_t run_nr)
{
    memset(p, 0, sizeof(*p));
    p->mem = aligned_alloc(PAGE_SIZE, nr * PAGE_SIZE);
    p->used = calloc(nr, 1);
    if (!p->mem || !p->used)
        abort();
    memset(p->mem, 0, nr * PAGE_SIZE);
    p->base = base;
    p->nr = nr;
    p->single_first = single_first;
    p->single_nr = single_nr;
    p->stride = stride;
    p->run_first = run_first;
    p->run_nr = run_nr;
    p->fail_after = -1;
    lu_host_mem_init(&p->phys, false, false);
    lu_host_mem_add(&p->phys, base << PAGE_SHIFT, nr * PAGE_SIZE, p->mem);
    p->ops = (struct lu_mem_ops){ pool_alloc, pool_free, pool_map, p };
}

void lu_host_pool_fini(struct lu_host_pool *p)
{
    free(p->mem);
    free(p->used);
    p->mem = NULL;
    p->used = NULL;
}

void lu_host_pool_reset(struct lu_host_pool *p)
{
    memset(p->used, 0, p->nr);
    p->live = 0;
    p->next_single = 0;
}

void *lu_host_pool_addr(struct lu_host_pool *p, uint64_t pa)
{
    return lu_host_mem_ptr(&p->phys, pa, 1);
}
