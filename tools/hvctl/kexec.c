/*
 * hvctl kexec: status, unload, exec, range (thin requests), and load
 * (kexec_load.c, which builds the image's segments).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hvctl.h"

static int parse_type(const char *s, int *type)
{
    if (strcmp(s, "default") == 0)
        *type = KEXEC_TYPE_DEFAULT;
    else if (strcmp(s, "live-update") == 0)
        *type = KEXEC_TYPE_LIVE_UPDATE;
    else if (strcmp(s, "crash") == 0)
        *type = KEXEC_TYPE_CRASH;
    else
        return -1;
    return 0;
}

static const char *type_name(int type)
{
    return type == KEXEC_TYPE_LIVE_UPDATE ? "live-update" :
           type == KEXEC_TYPE_CRASH ? "crash" : "default";
}

static const struct {
    const char *name;
    int range;
} ranges[] = {
    { "xen", KEXEC_RANGE_MA_XEN }, { "liveupdate", KEXEC_RANGE_MA_LIVEUPDATE },
    { "crash", KEXEC_RANGE_MA_CRASH }, { "cpu", KEXEC_RANGE_MA_CPU },
};

static int kexec_range(struct hvctl *h, int argc, char **argv)
{
    uint64_t start, size;
    int rc;

    if (argc < 1) {
        fprintf(stderr, "hvctl kexec range: xen|liveupdate|crash|cpu [N]\n");
        return EXIT_USAGE;
    }
    for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
        if (strcmp(argv[0], ranges[i].name))
            continue;
        rc = ctl_kexec_get_range(h->c, ranges[i].range, argc > 1 ? atoi(argv[1]) : 0,
                                 &start, &size);
        if (rc < 0)
            return hvctl_fail(h, "kexec range", rc);
        if (h->json)
            printf("{\"range\": \"%s\", \"start\": %llu, \"size\": %llu}\n", argv[0],
                   (unsigned long long)start, (unsigned long long)size);
        else
            printf("%s: %#llx-%#llx (%llu KiB)\n", argv[0], (unsigned long long)start,
                   (unsigned long long)(start + size), (unsigned long long)size >> 10);
        return 0;
    }
    fprintf(stderr, "hvctl kexec range: unknown range '%s'\n", argv[0]);
    return EXIT_USAGE;
}

/*
 * exec: the agent answers first, then jumps. A default kexec: a notice
 * within 2 s means the hypercall came back, so the jump failed. A live
 * update: domain 0's agent crosses it, and its notice from the new build
 * is the answer (CTL_EXEC_WAIT_*_MS).
 */
static int kexec_exec(struct hvctl *h, int type)
{
    bool lu = type == KEXEC_TYPE_LIVE_UPDATE;
    int exec_rc = 0, rc;

    rc = ctl_kexec_exec(h->c, (uint8_t)type, lu ? CTL_EXEC_WAIT_LU_MS : CTL_EXEC_WAIT_MS, &exec_rc);
    if (rc == CTL_ERR_EXEC)
        fprintf(stderr, "hvctl: kexec exec: the hypercall returned %d (%s)%s\n", exec_rc,
                ctl_errname(exec_rc), lu ? "; the domains run on in the old build" : "");
    if (rc < 0)
        return hvctl_fail(h, "kexec exec", rc);
    if (h->json)
        printf("{\"type\": \"%s\", \"exec\": \"%s\"}\n", type_name(type),
               lu ? "done" : "started");
    else if (lu)
        printf("kexec exec (live-update): done; domain 0's agent answers from the new build\n");
    else
        printf("kexec exec (%s): started\n", type_name(type));
    return 0;
}

static int kexec_simple(struct hvctl *h, const char *sub, int type)
{
    int rc;

    if (strcmp(sub, "status") == 0) {
        rc = ctl_kexec_status(h->c, (uint8_t)type);
        if (rc < 0)
            return hvctl_fail(h, "kexec status", rc);
        if (h->json)
            printf("{\"type\": \"%s\", \"loaded\": %s}\n", type_name(type), rc ? "true" : "false");
        else
            printf("%s: %s\n", type_name(type), rc ? "loaded" : "not loaded");
        return 0;
    }
    if (strcmp(sub, "unload") == 0) {
        rc = ctl_kexec_unload(h->c, (uint8_t)type);
        return rc < 0 ? hvctl_fail(h, "kexec unload", rc) : 0;
    }
    return kexec_exec(h, type);
}

/*
 * kexec exec without --type runs the image that is loaded: a live update
 * if that is what was loaded, else the default one. Both loaded is
 * ambiguous and refused, since the two do very different things.
 */
static int loaded_type(struct hvctl *h, int *type)
{
    int lu = ctl_kexec_status(h->c, KEXEC_TYPE_LIVE_UPDATE);
    int def = ctl_kexec_status(h->c, KEXEC_TYPE_DEFAULT);

    if (lu < 0)
        return hvctl_fail(h, "kexec status", lu);
    if (def < 0)
        return hvctl_fail(h, "kexec status", def);
    if (lu && def) {
        fprintf(stderr, "hvctl kexec exec: both a default and a live-update image are loaded; "
                "say which with --type\n");
        return EXIT_USAGE;
    }
    *type = lu ? KEXEC_TYPE_LIVE_UPDATE : KEXEC_TYPE_DEFAULT;
    return 0;
}

int hvctl_kexec(struct hvctl *h, int argc, char **argv)
{
    int type = KEXEC_TYPE_DEFAULT, rc, n = 0;
    bool type_given = false;
    char *rest[64];
    const char *sub;

    if (argc < 1) {
        fprintf(stderr, "hvctl kexec: load|exec|unload|status|range (see --help)\n");
        return EXIT_USAGE;
    }
    sub = argv[0];
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--type") == 0 && i + 1 < argc) {
            if (parse_type(argv[++i], &type) < 0) {
                fprintf(stderr, "hvctl kexec: --type default|live-update|crash\n");
                return EXIT_USAGE;
            }
            type_given = true;
        } else if (n < 64) {
            rest[n++] = argv[i];
        }
    }
    if (strcmp(sub, "load") == 0)
        return hvctl_kexec_load(h, type, n, rest);
    if (strcmp(sub, "status") && strcmp(sub, "unload") && strcmp(sub, "exec") &&
        strcmp(sub, "range")) {
        fprintf(stderr, "hvctl kexec: unknown subcommand '%s'\n", sub);
        return EXIT_USAGE;
    }
    rc = hvctl_connect(h);
    if (rc)
        return rc;
    if (strcmp(sub, "range") == 0)
        return kexec_range(h, n, rest);
    if (strcmp(sub, "exec") == 0 && !type_given) {
        rc = loaded_type(h, &type);
        if (rc)
            return rc;
    }
    return kexec_simple(h, sub, type);
}
