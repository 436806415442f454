/*
 * Live update, hypervisor side (common/lu/): saving every domain into a
 * handover stream, restoring them from one, and the in-place rehearsal
 * that runs both on a live system. The stream format itself is
 * <baton/lu_stream.h>; this is what uses it.
 */
#ifndef BATON_LU_H
#define BATON_LU_H

#include <baton/config.h>
#include <baton/lu_stream.h>
#include <baton/printk.h>

/* Stream memory from the page allocator (never the live update bootmem,
 * which it does not hold), reached through the direct map. */
extern const struct lu_mem_ops lu_heap_ops;
/* A reader over this machine's RAM, refusing the image and the bootmem. */
void lu_reader_init(struct lu_reader *r);

/*
 * Write every domain (paused, switched out, each holding exactly one pause
 * of the caller's) into a new stream: LU_VERSION, LU_TIME, then per domain
 * in ascending domid LU_DOMAIN_INFO, LU_DOMAIN_MEMORY and
 * LU_DOMAIN_CONTEXT, then END; *bc finds it. On failure nothing is left
 * allocated.
 */
int lu_save(struct lu_writer *w, struct lu_breadcrumb *bc);

/*
 * Decode every domain of an opened stream into slots of the domain table
 * (state RESTORING, then what its DOMAIN entry says), checking every entry
 * with its subsystem's load handler and then what refers across domains;
 * allocates nothing. guest_memory: the domains' memory is this machine's
 * (the hypervisor), so the ABI pages are mapped and checked; a host tool
 * decodes without it. The slots claimed are in *out, also on failure: the
 * caller frees them.
 */
struct lu_decoded {
    struct domain *claimed[CONFIG_MAX_DOMAINS];
    unsigned int nr;
};
int lu_decode_domains(const struct lu_stream *s, bool guest_memory, struct lu_decoded *out);

/*
 * Rebuild every domain of an opened stream. Decodes all of them first
 * (every entry checked, cross-domain references too), then commits (page
 * tables from the extents, grant windows, vCPU stacks). On failure no
 * domain of the stream exists and nothing it took is kept. Restored
 * domains hold one pause each: lu_restore_unpause() lets them run.
 */
int lu_restore(const struct lu_stream *s);
void lu_restore_unpause(void);

#ifdef CONFIG_LIVE_UPDATE
/* lu_rehearse=COUNT,PERIOD_MS: arm the rehearsals (boot). */
void lu_rehearse_init(unsigned int count, unsigned int period_ms);
#else
static inline void lu_rehearse_init(unsigned int count, unsigned int period_ms)
{
    (void)period_ms;
    if (count)
        pr_warn("LU: lu_rehearse= ignored: this build has no live update\n");
}
#endif

#endif
