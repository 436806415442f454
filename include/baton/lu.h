/*
 * Live update, hypervisor side (common/lu/): saving every domain into a
 * handover stream, restoring them from one, and the in-place rehearsal
 * that runs both on a live system. The stream format itself is
 * <baton/lu_stream.h>; this is what uses it.
 */
#ifndef BATON_LU_H
#define BATON_LU_H

#include <baton/cmdline.h>
#include <baton/config.h>
#include <baton/errno.h>
#include <baton/lu_stream.h>
#include <baton/printk.h>

/* Stream memory from the page allocator (never the live update bootmem,
 * which it does not hold), reached through the direct map. */
extern const struct lu_mem_ops lu_heap_ops;
/* A reader over this machine's RAM, refusing the image and the bootmem. */
void lu_reader_init(struct lu_reader *r);

/*
 * Write every domain (paused, switched out, each holding exactly one pause
 * of the caller's) into a new stream: LU_VERSION, LU_TIME, LU_DOWNTIME (*dt;
 * *dt_at gets its body's offset, to patch exec_tsc in last), then per
 * domain in ascending domid LU_DOMAIN_INFO, LU_DOMAIN_MEMORY and
 * LU_DOMAIN_CONTEXT, then END; *bc finds it. On failure nothing is left
 * allocated.
 */
int lu_save(struct lu_writer *w, const struct lu_rec_downtime *dt, uint64_t *dt_at,
            struct lu_breadcrumb *bc);

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

struct boot_info;
struct liveupdate_opt;
struct kimage;
struct vcpu;

#ifdef CONFIG_LIVE_UPDATE
/*
 * A live update boot (common/lu/handover.c), in the order memory_init and
 * start_baton call them: probe (is there a valid breadcrumb? the console
 * says why not), the bootmem-only boot allocator, open (validate the
 * stream; a refusal halts), reserve (every frame the stream names), then,
 * once the hypervisor is up, restore (domains rebuilt and unpaused, the
 * downtime logged). entry_tsc: the TSC at this build's first instruction.
 */
bool lu_handover_probe(const struct liveupdate_opt *opt, uint64_t entry_tsc);
void lu_handover_boot_allocator(const struct boot_info *bi);
void lu_handover_open(void);
void lu_handover_reserve(void);
void lu_handover_reserved(void);
const struct lu_rec_time *lu_handover_time(void);
/* The domains of the opened stream (sizes the early heap). */
uint32_t lu_handover_nr_domains(void);
void lu_handover_restore(void);
/* Log a line of a live update boot: held from the probe until every
 * domain is unpaused (lu_boot_log_flush; also before a panic), printed at
 * once otherwise. */
void lu_boot_log(const char *fmt, ...) __printf(1, 2);
void lu_boot_log_flush(void);
/* This boot is a live update. */
bool lu_handover_active(void);
/* ... and the stream is not consumed yet: allocate only from the bootmem. */
bool lu_handover_early(void);

/*
 * kexec_op(exec, LIVE_UPDATE): pause every domain and, on the idle vCPU,
 * save them, hand the breadcrumb to the image and jump (common/lu/exec.c).
 * 0 when started (caller's hypercall then returns 0 in the new build, or
 * the error if the exec fails before the jump), -BATON_EBUSY or
 * -BATON_ENOENT (no bootmem).
 */
int lu_exec(struct kimage *image, struct vcpu *caller);
void lu_exec_set_test(enum lu_test test);

/* lu_rehearse=COUNT,PERIOD_MS: arm the rehearsals (boot). */
void lu_rehearse_init(unsigned int count, unsigned int period_ms);
/*
 * One rehearsal now (control_op lu_rehearse): every domain paused, the
 * rehearsal run on the idle vCPU once the caller has left the hypervisor;
 * its "LU: rehearsal on request N" log line is the result. 0, or
 * -BATON_EBUSY when one is already armed.
 */
int lu_rehearse_now(void);
#else
static inline bool lu_handover_probe(const struct liveupdate_opt *opt, uint64_t entry_tsc)
{
    (void)opt;
    (void)entry_tsc;
    return false;
}
static inline void lu_handover_boot_allocator(const struct boot_info *bi) { (void)bi; }
static inline void lu_handover_open(void) {}
static inline void lu_handover_reserve(void) {}
static inline void lu_handover_reserved(void) {}
static inline const struct lu_rec_time *lu_handover_time(void) { return NULL; }
static inline uint32_t lu_handover_nr_domains(void) { return 0; }
static inline void lu_handover_restore(void) {}
#define lu_boot_log(...) pr_info(__VA_ARGS__)
static inline void lu_boot_log_flush(void) {}
static inline bool lu_handover_active(void) { return false; }
static inline bool lu_handover_early(void) { return false; }
static inline int lu_exec(struct kimage *image, struct vcpu *caller)
{
    (void)image;
    (void)caller;
    return -BATON_EOPNOTSUPP;
}
static inline void lu_exec_set_test(enum lu_test test) { (void)test; }

static inline int lu_rehearse_now(void)
{
    return -BATON_ENOSYS;
}

static inline void lu_rehearse_init(unsigned int count, unsigned int period_ms)
{
    (void)period_ms;
    if (count)
        pr_warn("LU: lu_rehearse= ignored: this build has no live update\n");
}
#endif

#endif
