/*
 * Guest command line parsing: "key=value" words separated by blanks (the
 * builder has already removed the outer cmdline="..." quoting). Pure code,
 * also built by the host unit tests.
 */
#ifndef GUEST_CMDLINE_H
#define GUEST_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Value of the last key=value word; *len its length. NULL when absent. */
const char *cmdline_find(const char *cmdline, const char *key, size_t *len);

/*
 * A number: decimal or 0x hex, optional K, M or G suffix (binary).
 * 0 on success, -BATON_EINVAL if malformed, -BATON_ERANGE on overflow.
 */
int parse_u64(const char *s, size_t len, uint64_t *out);

/* 0 and *out set; -BATON_ENOENT when absent; parse_u64's errors otherwise. */
int cmdline_u64(const char *cmdline, const char *key, uint64_t *out);

/* Copy the value into buf (truncated, NUL-terminated); false when absent. */
bool cmdline_str(const char *cmdline, const char *key, char *buf, size_t size);

#endif
