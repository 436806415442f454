/*
 * Guest console output: the console_write hypercall, the console ring
 * (drained when the guest notifies its console port), and what both feed:
 * per-domain line assembly, "(dN) " prefixes, sanitising and a rate limit.
 *
 * A guest's output goes to the operator's terminal, so it is untrusted
 * text: control and non-ASCII bytes become '?' (no escape sequences), and
 * each domain gets a token bucket so a chatty or hostile guest cannot
 * drown the console (what exceeds it is dropped and reported later).
 *
 * Fairness. All guests together also share one bucket, kept under the
 * serial line rate. Left alone, a few domains each within their own rate
 * could empty it between them and silence everyone else, so the shared
 * bucket is split in two:
 *   - its bottom ALL_GUESTS_RESERVE is open only to output within the
 *     domain's fair share. Each domain has a third bucket, its share,
 *     refilled at ALL_GUESTS_RATE / n and holding at most
 *     ALL_GUESTS_RESERVE / n, where n is the number of domains with output
 *     in the last ACTIVE_WINDOW_NS (the domain printing included). Output
 *     paid from the share may take the shared bucket down to empty;
 *   - what is above the reserve is first come, first served: output beyond
 *     a domain's share may use it, never the reserve.
 * The shares together refill no faster than the shared bucket and hold no
 * more than the reserve, and output beyond them stops at the reserve, so a
 * domain printing no more than its share always finds the tokens for it,
 * however many others flood. The bandwidth nobody claims within a share
 * still goes to whoever wants more (the total is what it was).
 *
 * Error codes: console_write returns -EINVAL for len > CONSOLE_WRITE_MAX,
 * -EFAULT (and prints nothing) when any byte of [buf, buf + len) is not
 * guest memory; otherwise len, also when the rate limit dropped bytes.
 */
#include <baton/console.h>
#include <baton/domain.h>
#include <baton/domctx.h>
#include <baton/errno.h>
#include <baton/lib.h>
#include <baton/printk.h>
#include <baton/time.h>
#include <public/hypercall.h>

#define NS_PER_SEC              UINT64_C(1000000000)
/*
 * Token buckets, in bytes that reach the serial line (a guest's text plus
 * the "(dN) " prefix and CR LF of every line, so a guest printing empty
 * lines pays for what the line carries). Each domain has its own; all
 * guests together share one that keeps them under a 115200-baud line
 * (11.5 KB/s), since the hypervisor writes the UART synchronously.
 */
#define CONSOLE_RATE            KiB(8)
#define CONSOLE_BURST           KiB(16)
#define ALL_GUESTS_RATE         KiB(10)
#define ALL_GUESTS_BURST        KiB(24)
/*
 * The bottom of the shared bucket, kept for output within a fair share;
 * above it, ALL_GUESTS_BURST - ALL_GUESTS_RESERVE is one domain's burst.
 * Shared by up to 8 domains with output, a share still holds CONSOLE_RESUME
 * (and by up to 30, a full line).
 */
#define ALL_GUESTS_RESERVE      KiB(8)
/* A domain that printed within this long counts in the shares. */
#define ACTIVE_WINDOW_NS        (2 * NS_PER_SEC)
/*
 * Once dropping, a domain stays silent until this much is saved up again:
 * otherwise every trickle of new tokens would let a fragment and a drop
 * report through, and the reports (more text than the fragments) would
 * flood the console the limit is there to protect.
 */
#define CONSOLE_RESUME          KiB(1)
/* Bytes copied out of guest memory at a time (on the hypervisor stack). */
#define COPY_CHUNK              256u
/* "(d65535) " */
#define PREFIX_MAX              16u
/* What a line costs beyond its text: the prefix and CR LF. */
#define LINE_OVERHEAD(d)        (prefix_len(d) + 2u)

/* -------------------------------------------------------------- rate limit */

struct bucket {
    uint64_t *tokens;
    uint64_t *last_refill_ns;
    uint64_t rate;
    uint64_t burst;
};

static uint64_t all_guests_tokens, all_guests_last_refill;


static void refill(const struct bucket *b)
{
    uint64_t now = now_ns(), elapsed, add;

    /* a new bucket (never refilled) starts full */
    if (!*b->last_refill_ns) {
        *b->tokens = b->burst;
        *b->last_refill_ns = now ? now : 1;
        return;
    }
    /* system time never goes back; if it did, start counting from now */
    if (now < *b->last_refill_ns) {
        *b->last_refill_ns = now ? now : 1;
        return;
    }
    elapsed = now - *b->last_refill_ns;
    /* bounded first, so the multiplication below cannot overflow */
    if (elapsed >= b->burst * NS_PER_SEC / b->rate) {
        *b->tokens = b->burst;
        *b->last_refill_ns = now;
        return;
    }
    add = elapsed * b->rate / NS_PER_SEC;
    if (!add)
        return;         /* keep last_refill_ns: the time still counts */
    *b->tokens = MIN(*b->tokens + add, b->burst);
    *b->last_refill_ns += add * NS_PER_SEC / b->rate;
}

static struct bucket domain_bucket(struct domain *d)
{
    return (struct bucket){ &d->console.tokens, &d->console.last_refill_ns,
                            CONSOLE_RATE, CONSOLE_BURST };
}

static const struct bucket all_guests = {
    &all_guests_tokens, &all_guests_last_refill, ALL_GUESTS_RATE, ALL_GUESTS_BURST,
};

void guest_console_init(void)
{
    all_guests_tokens = 0;
    all_guests_last_refill = 0;         /* full at the first output */
}

/* Domains with output in the last ACTIVE_WINDOW_NS, counting `self` always. */
static unsigned int active_domains(const struct domain *self, uint64_t now)
{
    unsigned int n = 1;

    for (unsigned int i = 0; i < CONFIG_MAX_DOMAINS; i++) {
        const struct domain *d = domain_slot(i);
        uint64_t t = d->console.share.last_output_ns;

        if (d != self && d->state != DOMAIN_FREE && t && now >= t && now - t < ACTIVE_WINDOW_NS)
            n++;
    }
    return n;
}

/*
 * Refill d's bucket, the shared one and d's share, and return the share.
 * `output`: d has bytes to print, so it counts among the domains with
 * output from now on.
 */
static struct console_share *refill_all(struct domain *d, bool output)
{
    struct bucket b = domain_bucket(d);
    struct console_share *sh = &d->console.share;
    unsigned int n;
    uint64_t now = now_ns();

    refill(&b);
    refill(&all_guests);
    if (output)
        sh->last_output_ns = now ? now : 1;
    n = active_domains(d, now);
    b = (struct bucket){ &sh->tokens, &sh->last_refill_ns,
                         ALL_GUESTS_RATE / n, ALL_GUESTS_RESERVE / n };
    refill(&b);
    /* more domains print than when it filled: its share is smaller now */
    sh->tokens = MIN(sh->tokens, b.burst);
    sh->burst = b.burst;
    return sh;
}

/*
 * The buckets hold cost: take it and say yes. Paid from the share, it may
 * empty the shared bucket; beyond the share, it may not touch the reserve.
 */
static bool charge(struct domain *d, struct console_share *sh, uint64_t cost)
{
    if (d->console.tokens < cost || all_guests_tokens < cost)
        return false;
    if (sh->tokens >= cost)
        sh->tokens -= cost;
    else if (all_guests_tokens - cost < ALL_GUESTS_RESERVE)
        return false;
    d->console.tokens -= cost;
    all_guests_tokens -= cost;
    return true;
}

/* Shared tokens d may use now: its share (bounded by them), then any above the reserve. */
static uint64_t shared_available(const struct console_share *sh)
{
    uint64_t in_share = MIN(sh->tokens, all_guests_tokens);
    uint64_t rest = all_guests_tokens - in_share;

    return in_share + (rest > ALL_GUESTS_RESERVE ? rest - ALL_GUESTS_RESERVE : 0);
}

/*
 * A dropping domain may print again: CONSOLE_RESUME is saved up in its own
 * bucket and it can get that much of the shared one -- or, with so many
 * domains printing that a share holds less than that, its share is full.
 */
static bool may_resume(const struct domain *d, const struct console_share *sh)
{
    uint64_t want = MIN(CONSOLE_RESUME, sh->burst);

    return d->console.tokens >= CONSOLE_RESUME && shared_available(sh) >= want;
}

static unsigned int prefix_len(const struct domain *d)
{
    unsigned int n = 3;                 /* "(d" ... ")" */

    for (unsigned int id = d->domid; id >= 10; id /= 10)
        n++;
    return n + 2;                       /* the digit, ") " */
}

/* --------------------------------------------------------------- lines */

/* One console line: "(dN) " text "\n", in one write so lines never mix. */
static void emit_line(const struct domain *d, const char *s, size_t n)
{
    char buf[PREFIX_MAX + GUEST_CONSOLE_LINE + 1];
    int p = snprintf(buf, PREFIX_MAX, "(d%u) ", (unsigned int)d->domid);

    if (p < 0 || (size_t)p >= PREFIX_MAX)
        p = 0;
    n = MIN(n, (size_t)GUEST_CONSOLE_LINE);
    memcpy(buf + p, s, n);
    buf[(size_t)p + n] = '\n';
    console_write(buf, (size_t)p + n + 1);
}

static void flush_line(struct domain *d)
{
    emit_line(d, d->console.line, d->console.line_len);
    d->console.line_len = 0;
}

static char sanitise(char c)
{
    unsigned char u = (unsigned char)c;

    if (c == '\t' || (u >= 0x20 && u < 0x7f))
        return c;
    return '?';
}

static void put_char(struct domain *d, char c)
{
    struct guest_console *gc = &d->console;

    if (c == '\n') {
        flush_line(d);
        return;
    }
    /* a full line goes out as it is; the rest continues on the next */
    if (gc->line_len >= GUEST_CONSOLE_LINE)
        flush_line(d);
    gc->line[gc->line_len++] = sanitise(c);
}

/* Tokens are back after a drop: say how much was lost, in order. */
static void report_dropped(struct domain *d, struct console_share *sh)
{
    char msg[80];
    int n;

    if (d->console.line_len)
        flush_line(d);
    n = snprintf(msg, sizeof(msg), "[console: %llu bytes dropped by the rate limit]",
                 (unsigned long long)d->console.dropped);
    if (n > 0) {
        uint64_t cost = (uint64_t)MIN((size_t)n, sizeof(msg) - 1) + LINE_OVERHEAD(d);
        emit_line(d, msg, MIN((size_t)n, sizeof(msg) - 1));
        /* reports cost too (resume left room for one), from the share first */
        d->console.tokens -= MIN(d->console.tokens, cost);
        all_guests_tokens -= MIN(all_guests_tokens, cost);
        sh->tokens -= MIN(sh->tokens, cost);
    }
    d->console.dropped = 0;
}

/* Wire bytes of c: itself, plus prefix and CR LF when it ends a line. */
static uint64_t char_cost(const struct domain *d, char c)
{
    bool ends_line = c == '\n' || d->console.line_len >= GUEST_CONSOLE_LINE;

    return 1 + (ends_line ? LINE_OVERHEAD(d) : 0);
}

void guest_console_output(struct domain *d, const char *s, size_t n)
{
    struct guest_console *gc = &d->console;
    struct console_share *sh;
    size_t i;

    if (gc->line_len > GUEST_CONSOLE_LINE)
        gc->line_len = 0;       /* cannot happen; never index past line[] */
    sh = refill_all(d, n > 0);
    if (gc->dropped) {
        if (!may_resume(d, sh)) {
            gc->dropped += n;
            return;
        }
        report_dropped(d, sh);
    }
    for (i = 0; i < n; i++) {
        if (!charge(d, sh, char_cost(d, s[i])))
            break;
        put_char(d, s[i]);
    }
    gc->dropped += n - i;
}

/* ----------------------------------------------------------- console_write */

/* Every byte of [buf, buf + len) is readable: probe it chunk by chunk. */
static int check_range(const struct domain *d, uint64_t buf, uint64_t len)
{
    char tmp[COPY_CHUNK];

    if (buf + len < buf)        /* copy_from_guest catches it too; say it here */
        return -BATON_EFAULT;
    for (uint64_t off = 0; off < len; off += COPY_CHUNK) {
        if (copy_from_guest(d, tmp, buf + off, (size_t)MIN(len - off, (uint64_t)COPY_CHUNK)))
            return -BATON_EFAULT;
    }
    return 0;
}

long do_console_write(struct domain *d, uint64_t buf, uint64_t len)
{
    char tmp[COPY_CHUNK];

    if (len > CONSOLE_WRITE_MAX)
        return -BATON_EINVAL;
    if (!len)
        return 0;
    /* all or nothing: a bad tail must not leave half a message printed */
    if (check_range(d, buf, len))
        return -BATON_EFAULT;
    for (uint64_t off = 0; off < len; off += COPY_CHUNK) {
        size_t n = (size_t)MIN(len - off, (uint64_t)COPY_CHUNK);
        if (copy_from_guest(d, tmp, buf + off, n))
            return -BATON_EFAULT;
        guest_console_output(d, tmp, n);
    }
    return (long)len;
}

/* ------------------------------------------------------------ console ring */

/*
 * Corrupt indices are reported once per occurrence (we resync, so only a
 * guest that keeps scribbling repeats it); the report is charged to the
 * domain's bucket like its own output, so it cannot flood the console
 * faster than the guest could by printing.
 */
static void report_corrupt(struct domain *d, uint32_t prod, uint32_t cons)
{
    char msg[96];
    int n = snprintf(msg, sizeof(msg), "d%u: console ring indices corrupt (prod %u cons %u)\n",
                     (unsigned int)d->domid, prod, cons);
    uint64_t cost = n > 0 ? (uint64_t)n : 1;

    if (!charge(d, refill_all(d, true), cost))
        return;         /* a guest this busy is reported by its drops */
    pr_warn("%s", msg);
}

void guest_console_drain(struct domain *d)
{
    struct console_ring *r = d->console_ring;
    uint32_t prod, cons, used;
    char tmp[COPY_CHUNK];

    if (!r)
        return;
    /* each read once: the guest may change them under our feet */
    prod = __atomic_load_n(&r->out_prod, __ATOMIC_ACQUIRE);
    cons = __atomic_load_n(&r->out_cons, __ATOMIC_RELAXED);
    used = prod - cons;
    if (used > CONSOLE_OUT_SIZE) {
        report_corrupt(d, prod, cons);
        used = 0;               /* resync: drop whatever was there */
    }
    while (used) {
        uint32_t n = MIN(used, COPY_CHUNK);
        /* copied first: out[] is guest memory and may change while we print */
        for (uint32_t i = 0; i < n; i++)
            tmp[i] = r->out[CONSOLE_OUT_IDX(cons + i)];
        guest_console_output(d, tmp, n);
        cons += n;
        used -= n;
    }
    __atomic_store_n(&r->out_cons, prod, __ATOMIC_RELEASE);
}

/* ------------------------------------------------------------ context */

static int console_save(struct domain *d, unsigned int vcpu, struct domctx_save_ctx *c)
{
    const struct guest_console *gc = &d->console;
    struct domctx_console e = {
        .tokens = gc->tokens, .last_refill_ns = gc->last_refill_ns, .dropped = gc->dropped,
        .line_len = (uint32_t)gc->line_len,
        .share_tokens = gc->share.tokens, .share_last_refill_ns = gc->share.last_refill_ns,
        .share_last_output_ns = gc->share.last_output_ns, .share_burst = gc->share.burst,
    };

    (void)vcpu;
    memcpy(e.line, gc->line, MIN(gc->line_len, sizeof(e.line)));
    return domctx_save_entry(c, &e, sizeof(e));
}

/* What the output path can have left: a sanitised partial line, budgets
 * no larger than their buckets. */
static const char *console_entry_problem(const struct domctx_console *e)
{
    if (e->line_len > GUEST_CONSOLE_LINE)
        return "partial line longer than 256 octets";
    for (uint32_t i = 0; i < e->line_len; i++)
        if (sanitise(e->line[i]) != e->line[i])
            return "partial line with a control or non-ASCII octet";
    if (!mem_is_zero(e->line + e->line_len, sizeof(e->line) - e->line_len) || e->pad)
        return "nonzero padding";
    if (e->tokens > CONSOLE_BURST || e->share_burst > ALL_GUESTS_RESERVE ||
        e->share_tokens > e->share_burst)
        return "a budget larger than its bucket";
    return NULL;
}

static int console_load(struct domain *d, unsigned int vcpu, const struct domctx_entry *ent)
{
    struct guest_console *gc = &d->console;
    struct domctx_console e;
    const char *problem;
    int rc;

    (void)vcpu;
    rc = domctx_entry_read(ent, &e, sizeof(e));
    if (rc)
        return rc;
    problem = console_entry_problem(&e);
    if (problem) {
        pr_err("d%u CONSOLE: %s (line %u, tokens %llu, share %llu of %llu)\n", d->domid,
               problem, e.line_len, (unsigned long long)e.tokens,
               (unsigned long long)e.share_tokens, (unsigned long long)e.share_burst);
        return -BATON_EINVAL;
    }
    memcpy(gc->line, e.line, e.line_len);
    gc->line_len = e.line_len;
    gc->tokens = e.tokens;
    gc->last_refill_ns = e.last_refill_ns;
    gc->dropped = e.dropped;
    gc->share = (struct console_share){
        .tokens = e.share_tokens, .last_refill_ns = e.share_last_refill_ns,
        .last_output_ns = e.share_last_output_ns, .burst = e.share_burst,
    };
    return 0;
}

DOMCTX_HANDLER(console_ctx, DOMCTX_TYPE_CONSOLE, "CONSOLE", 0,
               sizeof(struct domctx_console), console_save, console_load);
