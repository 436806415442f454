/* hvctl: shared between its files (hvctl.c, kexec.c). */
#ifndef TOOLS_HVCTL_H
#define TOOLS_HVCTL_H

#include <stdbool.h>
#include "ctl_client.h"

/* Exit codes (also in --help and docs/specs/control-protocol.md). */
#define EXIT_USAGE      1   /* bad command line */
#define EXIT_CONNECT    2   /* cannot open the control line */
#define EXIT_NOANSWER   3   /* no answer after every retry, or the line failed */
#define EXIT_PROTO      4   /* the agent's reply broke the protocol */
#define EXIT_REFUSED    5   /* the agent or the hypervisor refused (-E...) */
#define EXIT_LOCAL      6   /* a local file could not be read */
#define EXIT_EXEC       7   /* kexec exec accepted, then the jump failed */
#define EXIT_NOTYET     8   /* not implemented yet */

struct hvctl {
    const char *ctl_spec;
    bool json;
    bool progress;          /* draw a progress bar on stderr */
    unsigned int timeout_ms;
    unsigned int retries;
    struct ctl_client *c;   /* opened by connect_agent() */
};

/* Open the line (once); on failure print why and return the exit code. */
int hvctl_connect(struct hvctl *h);
/* Report a failed request (text or JSON) and map it to an exit code. */
int hvctl_fail(struct hvctl *h, const char *what, int rc);
/* The upload progress bar (ctl_progress_fn). */
void hvctl_progress(uint64_t done, uint64_t total, void *arg);
/* Read a whole file; NULL (and a message) on error. */
void *hvctl_read_file(const char *path, uint64_t *size);

/* kexec.c: `hvctl kexec SUBCOMMAND ...` */
int hvctl_kexec(struct hvctl *h, int argc, char **argv);
/*
 * `hvctl kexec load [--type T] IMAGE [--append ...] [--module "FILE ARGS"]...`:
 * to be written (kexec_load.c): build the multiboot2 MBI, purgatory and
 * segments, ctl_upload() them as one blob, then ctl_kexec_load() with
 * segments referring to offsets in it. type is KEXEC_TYPE_*; argv starts
 * after the options hvctl_kexec already took.
 */
int hvctl_kexec_load(struct hvctl *h, int type, int argc, char **argv);

#endif
