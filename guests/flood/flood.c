/*
 * flood: a hostile console writer. Loops console_write (the hypercall, not
 * the ring) of 4 KiB of valid, printable text, as fast as it can: within
 * the per-domain rate limit's rules, but far over it, and several of them
 * together far over what all guests may print. The fairness test runs a
 * few of these beside a quiet domain, which must still be heard.
 *
 * cmdline: count=N stops after N writes (0, the default: forever).
 */
#include "rt.h"

#define LINE_LEN    64          /* each line: 63 characters and '\n' */

static char text[CONSOLE_WRITE_MAX];

static void fill_text(void)
{
    char head[LINE_LEN];
    int n = rt_snprintf(head, sizeof(head), "flood d%u ", rt_domid());

    for (size_t i = 0; i < sizeof(text); i++) {
        size_t col = i % LINE_LEN;
        if (col == LINE_LEN - 1)
            text[i] = '\n';
        else if (n > 0 && col < (size_t)n)
            text[i] = head[col];
        else
            text[i] = (char)('a' + (i / LINE_LEN + col) % 26);
    }
}

int guest_main(void)
{
    uint64_t count = rt_param_u64("count", 0);
    uint64_t writes = 0;

    fill_text();
    printf("flood: dom%u writing %u-byte blocks flat out\n", rt_domid(), CONSOLE_WRITE_MAX);
    for (; count == 0 || writes < count; writes++) {
        int64_t rc = hc_console_write(text, sizeof(text));
        if (rc != (int64_t)sizeof(text))
            panic("flood: console_write returned %ld", rc);
    }
    return 0;
}
