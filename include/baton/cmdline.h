/* The hypervisor command line, and the key=value tokenizer it is built on. */
#ifndef BATON_CMDLINE_H
#define BATON_CMDLINE_H

#include <baton/types.h>

struct cmdline_token {
    const char *key;
    size_t key_len;
    const char *val;      /* NULL for a bare key */
    size_t val_len;       /* quotes stripped */
};

/*
 * Next whitespace-separated token of *cursor: key, key=value or
 * key="value with spaces". Returns 1 with *tok filled, 0 at the end,
 * -BATON_EINVAL for an unterminated quote (the rest of the line is skipped).
 */
int cmdline_next(const char **cursor, struct cmdline_token *tok);

/* True when the token's key is exactly `key`. */
bool cmdline_key_is(const struct cmdline_token *tok, const char *key);

/* Numbers: decimal or 0x-hex, whole string, no overflow. */
int parse_u64(const char *s, size_t len, uint64_t *out);
/* Sizes: a number with an optional K, M, G or T suffix (binary units). */
int parse_size(const char *s, size_t len, uint64_t *out);

struct liveupdate_opt {
    bool present;
    uint64_t size;
    bool has_addr;
    uint64_t addr;
};

/* lu_rehearse=COUNT,PERIOD_MS: COUNT in-place rehearsals, one every PERIOD_MS. */
#define LU_REHEARSE_COUNT_MAX  100000u
#define LU_REHEARSE_PERIOD_MAX 86400000u    /* a day */
struct lu_rehearse_opt {
    unsigned int count;           /* 0: none */
    unsigned int period_ms;
};

/* lu_test=WHAT (tests only): damage a live update on purpose, so that the
 * new build's refusals can be tested (common/lu/exec.c). */
enum lu_test {
    LU_TEST_NONE,
    LU_TEST_BAD_MAGIC,          /* bad-magic: the breadcrumb's magic is wrong */
    LU_TEST_ARRAY_OUTSIDE_RAM,  /* array-outside-ram: the MFN array beyond RAM */
    LU_TEST_FLIP_LENGTH,        /* flip-length: LU_VERSION's stream_length off by 8 */
    LU_TEST_HALT,               /* halt: stop at the handover, breadcrumb in place */
    LU_TEST_FAIL_SAVE,          /* fail-save: the save reports -ENOMEM after writing */
};

struct boot_options {
    bool console_com1;
    int loglvl;
    struct liveupdate_opt liveupdate;
    struct lu_rehearse_opt lu_rehearse;
    enum lu_test lu_test;
    unsigned int unknown;         /* options reported and ignored */
    unsigned int invalid;         /* known options with bad values */
};

/* Parse the hypervisor command line; problems are reported and the option ignored. */
void cmdline_parse(const char *cmdline, struct boot_options *opts);

/* liveupdate=SIZE[@ADDR]; 0 or -BATON_EINVAL / -BATON_ERANGE with a message. */
int parse_liveupdate(const char *s, size_t len, struct liveupdate_opt *lu);

/* lu_rehearse=COUNT,PERIOD_MS; 0 or -BATON_EINVAL with a message. */
int parse_lu_rehearse(const char *s, size_t len, struct lu_rehearse_opt *out);

#endif
