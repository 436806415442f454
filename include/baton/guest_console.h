/* Guest console (common/guest_console.c): line assembly and rate limit. */
#ifndef BATON_GUEST_CONSOLE_H
#define BATON_GUEST_CONSOLE_H

#include <baton/types.h>
#include <baton/layout_shuffle.h>

struct domain;

#define GUEST_CONSOLE_LINE   256

/* The domain's fair share of the budget all guests share (guest_console.c). */
/* (fields reversed and padded by LAYOUT_SHUFFLE) */
struct console_share {
    LAYOUT_PAD(shuffle_pad, 8)
    LAYOUT_GROUPS((
        uint64_t tokens;
    ), (
        uint64_t last_refill_ns;
    ), (
        uint64_t last_output_ns;        /* 0: none yet */
    ), (
        uint64_t burst;                 /* its size at the last refill */
    ))
};

/* Field groups in this order; reversed and padded by LAYOUT_SHUFFLE. */
struct guest_console {
    LAYOUT_PAD(shuffle_pad_head, 24)
    LAYOUT_GROUPS((
        char line[GUEST_CONSOLE_LINE];  /* partial line, printed at '\n' */
        size_t line_len;
    ), (
        uint64_t tokens;                /* rate limit: bytes allowed now */
        uint64_t last_refill_ns;
    ), (
        LAYOUT_PAD(shuffle_pad_dropped, 8)
        uint64_t dropped;               /* bytes dropped since the last report */
    ), (
        struct console_share share;
    ))
};

/* Start the console budget all guests share (boot, and tests). */
void guest_console_init(void);
long do_console_write(struct domain *d, uint64_t buf, uint64_t len);
/* Drain the domain's console ring (its console port was notified). */
void guest_console_drain(struct domain *d);
/* Emit guest text: "(dN) " per line, rate limited. */
void guest_console_output(struct domain *d, const char *s, size_t n);

#endif
