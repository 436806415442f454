/*
 * The in-place rehearsal of a live update (lu_rehearse=COUNT,PERIOD_MS):
 * the save and restore code a new build would run, on the running system,
 * with no kexec in between. In order:
 *   1. pause every domain (from the tick; the rest runs on the idle vCPU,
 *      once every vCPU has reached a restartable point and switched out);
 *   2. write the whole handover stream into pages from the heap (never the
 *      live update bootmem);
 *   3. throw away every domain's hypervisor-side state, keeping only its
 *      memory, which the stream describes by extent;
 *   4. open the stream with the full reader, as a new build would;
 *   5. restore every domain from it, free the stream and unpause.
 * Each rehearsal logs one line, "LU: rehearsal N of M", with what each
 * phase cost in TSC ticks (instructions under QEMU's -icount).
 *
 * Domain 0 can also ask for one now (control_op lu_rehearse, through
 * lu_rehearse_now): the same path, armed from the hypercall instead of the
 * timer, run once the caller has left it. Its line reads "LU: rehearsal on
 * request N: ..." and is the result; a failure panics as above.
 */
#include <baton/arch.h>
#include <baton/config.h>
#include <baton/domain.h>
#include <baton/errno.h>
#include <baton/lib.h>
#include <baton/lu.h>
#include <baton/printk.h>
#include <baton/sched.h>
#include <baton/time.h>

enum phase { PAUSE, SAVE, DROP, OPEN, RESTORE, FREE, UNPAUSE, NR_PHASES };

static const char *const phase_names[NR_PHASES] = {
    "pause", "save", "drop", "open", "restore", "free", "unpause",
};

static struct rehearsal {
    unsigned int count, period_ms, done;
    unsigned int requests;              /* on request (lu_rehearse_now) so far */
    bool armed;                         /* domains paused, rehearse() to run */
    bool on_request;                    /* ...for lu_rehearse_now */
    bool reader_ready;
    uint64_t requested;                 /* cycles when the pause was asked */
    uint64_t cost[NR_PHASES];
    unsigned int domains;
    uint64_t stream_bytes, stream_pages;
    struct hv_timer timer;
    struct lu_writer writer;
    struct lu_reader reader;
    struct lu_stream stream;
} r;

/* Charge the cycles since *mark to phase p. */
static void charge(enum phase p, uint64_t *mark)
{
    uint64_t now = arch_cycles();

    r.cost[p] = now - *mark;
    *mark = now;
}

static void report(void)
{
    char line[400], which[40];
    int n;

    if (r.on_request)
        snprintf(which, sizeof(which), "on request %u", r.requests);
    else
        snprintf(which, sizeof(which), "%u of %u", r.done, r.count);
    n = snprintf(line, sizeof(line), "LU: rehearsal %s: %u domain(s), stream %llu octets in %llu page(s); ticks:",
                 which, r.domains, (unsigned long long)r.stream_bytes,
                 (unsigned long long)r.stream_pages);
    uint64_t total = 0;

    for (unsigned int p = 0; p < NR_PHASES && n > 0 && (size_t)n < sizeof(line); p++) {
        n += snprintf(line + n, sizeof(line) - (size_t)n, " %s %llu", phase_names[p],
                      (unsigned long long)r.cost[p]);
        total += r.cost[p];
    }
    pr_info("%s total %llu\n", line, (unsigned long long)total);
}

static void rehearse(void)
{
    struct lu_breadcrumb bc;
    struct lu_rec_downtime dt;
    uint64_t mark = arch_cycles(), dt_at;
    int rc;

    r.cost[PAUSE] = mark - r.requested;
    r.armed = false;
    if (r.on_request)
        r.requests++;
    else
        r.done++;
    BUG_ON(!is_idle_vcpu(current));
    dt = (struct lu_rec_downtime){ .pause_tsc = r.requested, .save_tsc = mark };
    rc = lu_save(&r.writer, &dt, &dt_at, &bc);
    charge(SAVE, &mark);
    if (rc) {
        domain_for_each(domain_unpause);
        pr_err("LU: rehearsal %u of %u: save failed (%d): nothing dropped, domains unpaused\n",
               r.done, r.count, rc);
        return;
    }
    domain_for_each(domain_drop_state);
    charge(DROP, &mark);
    rc = lu_stream_open(&r.reader, &bc, &r.stream);
    charge(OPEN, &mark);
    if (rc)
        panic("LU: rehearsal %u: this build cannot open its own stream (%d: %s): domains lost",
              r.done, rc, r.stream.error);
    rc = lu_restore(&r.stream);
    charge(RESTORE, &mark);
    if (rc)
        panic("LU: rehearsal %u: restore from this build's own stream failed (%d): domains lost",
              r.done, rc);
    r.stream_bytes = r.writer.bytes;
    r.stream_pages = r.writer.nr_pages;
    lu_stream_close(&r.reader, &r.stream);
    lu_writer_free(&r.writer);
    charge(FREE, &mark);
    lu_restore_unpause();
    charge(UNPAUSE, &mark);
    report();
}

/* Pause every domain and have rehearse() run on the idle vCPU. */
static void arm(bool on_request)
{
    if (!r.reader_ready) {
        lu_reader_init(&r.reader);
        r.reader_ready = true;
    }
    r.armed = true;
    r.on_request = on_request;
    r.requested = arch_cycles();
    r.domains = domain_for_each(domain_pause);
    if (sched_run_on_idle(rehearse)) {
        domain_for_each(domain_unpause);
        r.armed = false;
        pr_err("LU: rehearsal: the idle vCPU's work queue is full; this one is skipped\n");
    }
}

static void rehearsal_due(struct hv_timer *t)
{
    if (r.done == r.count)
        return;
    /* one on request still to run: this one waits a period */
    if (!r.armed)
        arm(false);
    hv_timer_set(t, now_ns() + (uint64_t)r.period_ms * 1000000);
}

int lu_rehearse_now(void)
{
    if (r.armed)
        return -BATON_EBUSY;
    arm(true);
    return 0;
}

void lu_rehearse_init(unsigned int count, unsigned int period_ms)
{
    if (!count)
        return;
    r.count = count;
    r.period_ms = period_ms;
    r.timer.fn = rehearsal_due;
    r.reader_ready = true;
    lu_reader_init(&r.reader);
    hv_timer_set(&r.timer, now_ns() + (uint64_t)period_ms * 1000000);
    pr_info("LU: %u rehearsal(s), one every %u ms\n", count, period_ms);
}
