/*
 * hvctl: the Baton control tool, modelled on xl. Talks to domain 0's agent
 * over the control line (--ctl unix:PATH, a tty/pty path, or BATON_CTL)
 * with the client library (tools/lib/ctl_client.c). See --help and
 * docs/user-guide.md.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <baton/domctx_types.h>

#include "hvctl.h"

static const char usage_text[] =
"usage: hvctl [OPTIONS] COMMAND [ARGS]\n"
"\n"
"Commands:\n"
"  ping                      the agent's protocol version and limits\n"
"  version                   the running build: version, build id, the live\n"
"                            update stream versions it writes and reads, and\n"
"                            the domain context entry types it writes and loads\n"
"  list                      every domain: name, id, memory, vCPUs, state\n"
"  info DOMID                one domain in full\n"
"  pause DOMID | unpause DOMID | destroy DOMID\n"
"  create IMAGE [CONFIG...]  a new domain from a guest ELF; CONFIG is the boot\n"
"                            module syntax: name=NAME mem=4M cmdline=\"...\"\n"
"  dmesg [--offset N]        the hypervisor's console log\n"
"  memmap                    the machine memory map (e820 types)\n"
"  rehearse                  arm one in-place live update rehearsal\n"
"  upload FILE               stage FILE in the agent and report octets/s\n"
"  kexec load [--type T] IMAGE [--append S] [--module \"FILE ARGS\"]...\n"
"  kexec exec|unload|status [--type T]     T: default (the default) or live-update;\n"
"                                           exec without --type runs the loaded one\n"
"  kexec range xen|liveupdate|crash|cpu [N]\n"
"\n"
"Options:\n"
"  --ctl SPEC      unix:PATH (QEMU socket chardev), tty:PATH or pty:PATH, or a\n"
"                  path; default: $BATON_CTL\n"
"  --json          machine-readable output (one JSON value on stdout)\n"
"  --timeout MS    per attempt (default 10000); --retries N (default 3)\n"
"  --progress      always draw the upload progress bar (default: on a tty)\n"
"\n"
"Exit codes:\n"
"  0 success          1 usage              2 cannot connect\n"
"  3 no answer (timeout after retries) or the line failed\n"
"  4 protocol error   5 refused by the agent or the hypervisor (-E...)\n"
"  6 local file error 7 kexec exec accepted but the jump failed\n"
"  8 not implemented yet\n";

/* ------------------------------------------------------------ helpers */

int hvctl_connect(struct hvctl *h)
{
    int rc;

    if (h->c)
        return 0;
    rc = ctl_open(h->ctl_spec, &h->c);
    if (rc == CTL_ERR_ARG) {
        fprintf(stderr, "hvctl: no control line: use --ctl unix:PATH or set %s\n", CTL_ENV);
        return EXIT_USAGE;
    }
    if (rc < 0) {
        fprintf(stderr, "hvctl: cannot open the control line '%s': %s\n",
                h->ctl_spec ? h->ctl_spec : getenv(CTL_ENV), strerror(errno));
        return EXIT_CONNECT;
    }
    ctl_set_timeout(h->c, h->timeout_ms);
    ctl_set_retries(h->c, h->retries);
    return 0;
}

int hvctl_fail(struct hvctl *h, const char *what, int rc)
{
    if (h->json)
        printf("{\"error\": \"%s\", \"code\": %d, \"what\": \"%s\", \"message\": \"%s\"}\n",
               ctl_errname(rc), rc, what, ctl_strerror(rc));
    fprintf(stderr, "hvctl: %s: %s (%s, %d)\n", what, ctl_strerror(rc), ctl_errname(rc), rc);
    switch (rc) {
    case CTL_ERR_CONNECT: return EXIT_CONNECT;
    case CTL_ERR_TIMEOUT:
    case CTL_ERR_IO:      return EXIT_NOANSWER;
    case CTL_ERR_PROTO:   return EXIT_PROTO;
    case CTL_ERR_ARG:     return EXIT_USAGE;
    case CTL_ERR_EXEC:    return EXIT_EXEC;
    default:              return EXIT_REFUSED;
    }
}

void hvctl_progress(uint64_t done, uint64_t total, void *arg)
{
    struct hvctl *h = arg;
    int width = 40, fill = total ? (int)(done * width / total) : width;

    if (!h->progress)
        return;
    fprintf(stderr, "\r[%.*s%*s] %3d%% %llu/%llu KiB", fill,
            "########################################", width - fill, "",
            total ? (int)(done * 100 / total) : 100, (unsigned long long)done >> 10,
            (unsigned long long)total >> 10);
    if (done == total)
        fputc('\n', stderr);
    fflush(stderr);
}

void *hvctl_read_file(const char *path, uint64_t *size)
{
    FILE *f = fopen(path, "rb");
    void *buf = NULL;
    long n;

    if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
        fprintf(stderr, "hvctl: %s: %s\n", path, strerror(errno));
        goto out;
    }
    buf = malloc(n ? (size_t)n : 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "hvctl: %s: cannot read\n", path);
        free(buf);
        buf = NULL;
        goto out;
    }
    *size = (uint64_t)n;
out:
    if (f)
        fclose(f);
    return buf;
}

static void json_string(const char *s, size_t len)
{
    putchar('"');
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];

        if (ch == '"' || ch == '\\')
            printf("\\%c", ch);
        else if (ch == '\n')
            fputs("\\n", stdout);
        else if (ch < 0x20 || ch >= 0x7f)
            printf("\\u%04x", ch);
        else
            putchar(ch);
    }
    putchar('"');
}

static int parse_domid(const char *s, uint16_t *domid)
{
    char *end;
    unsigned long v = strtoul(s, &end, 0);

    if (!*s || *end || v > 0xffff) {
        fprintf(stderr, "hvctl: '%s' is not a domain id\n", s);
        return EXIT_USAGE;
    }
    *domid = (uint16_t)v;
    return 0;
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------ domains */

static const char *state_name(const struct control_domain_info *d)
{
    static const char *const reasons[] = { "poweroff", "reboot", "crash" };
    static char buf[32];

    switch (d->state) {
    case CONTROL_DOMAIN_ALIVE:
        return (d->flags & CONTROL_DOMAIN_PAUSED) ? "paused" : "running";
    case CONTROL_DOMAIN_SHUTDOWN:
        snprintf(buf, sizeof(buf), "shutdown(%s)",
                 d->shutdown_reason < 3 ? reasons[d->shutdown_reason] : "?");
        return buf;
    case CONTROL_DOMAIN_CRASHED:
        return "crashed";
    default:
        return "unknown";
    }
}

static void print_domain_json(const struct control_domain_info *d)
{
    printf("{\"domid\": %u, \"name\": ", d->domid);
    json_string(d->name, strnlen(d->name, CONTROL_NAME_LEN));
    printf(", \"state\": \"%s\", \"privileged\": %s, \"paused\": %s, \"pause_count\": %u, "
           "\"mem_bytes\": %llu, \"vcpus\": %u, \"extents\": %u, \"handle\": \"",
           state_name(d), (d->flags & CONTROL_DOMAIN_PRIVILEGED) ? "true" : "false",
           (d->flags & CONTROL_DOMAIN_PAUSED) ? "true" : "false", d->pause_count,
           (unsigned long long)d->mem_size, d->nr_vcpus, d->nr_extents);
    for (int i = 0; i < 16; i++)
        printf("%02x", d->handle[i]);
    printf("\"}");
}

static int cmd_list(struct hvctl *h)
{
    struct control_domain_info d[CTL_LIST_MAX];
    uint32_t nr = 0;
    int rc = ctl_list(h->c, d, CTL_LIST_MAX, &nr);

    if (rc < 0)
        return hvctl_fail(h, "list", rc);
    if (h->json) {
        printf("[");
        for (uint32_t i = 0; i < nr; i++) {
            printf(i ? ",\n " : "");
            print_domain_json(&d[i]);
        }
        printf("]\n");
        return 0;
    }
    printf("%-32s %5s %8s %5s %-8s\n", "Name", "ID", "Mem(MiB)", "VCPUs", "State");
    for (uint32_t i = 0; i < nr; i++)
        printf("%-32.32s %5u %8llu %5u %-8s%s\n", d[i].name, d[i].domid,
               (unsigned long long)d[i].mem_size >> 20, d[i].nr_vcpus, state_name(&d[i]),
               (d[i].flags & CONTROL_DOMAIN_PRIVILEGED) ? " privileged" : "");
    return 0;
}

static int cmd_info(struct hvctl *h, uint16_t domid)
{
    struct control_domain_info d;
    int rc = ctl_domain_info(h->c, domid, &d);

    if (rc < 0)
        return hvctl_fail(h, "info", rc);
    if (h->json) {
        print_domain_json(&d);
        printf("\n");
        return 0;
    }
    printf("name:        %s\ndomid:       %u\nstate:       %s\nprivileged:  %s\n"
           "pause count: %u\nmemory:      %llu MiB in %u extent(s)\nvcpus:       %u\n"
           "handle:      ", d.name, d.domid, state_name(&d),
           (d.flags & CONTROL_DOMAIN_PRIVILEGED) ? "yes" : "no", d.pause_count,
           (unsigned long long)d.mem_size >> 20, d.nr_extents, d.nr_vcpus);
    for (int i = 0; i < 16; i++)
        printf("%02x%s", d.handle[i], i == 3 || i == 5 || i == 7 || i == 9 ? "-" : "");
    printf("\n");
    return 0;
}

static int cmd_domain_op(struct hvctl *h, const char *cmd, uint16_t domid)
{
    int rc = strcmp(cmd, "pause") == 0 ? ctl_domain_pause(h->c, domid) :
             strcmp(cmd, "unpause") == 0 ? ctl_domain_unpause(h->c, domid) :
             ctl_domain_destroy(h->c, domid);

    if (rc < 0)
        return hvctl_fail(h, cmd, rc);
    if (h->json)
        printf("{\"domid\": %u, \"%s\": true}\n", domid, cmd);
    return 0;
}

/* The CONFIG words joined by spaces, as one module command line. */
static int join_config(int argc, char **argv, char *out, size_t size)
{
    size_t n = 0;

    out[0] = 0;
    for (int i = 0; i < argc; i++) {
        int w = snprintf(out + n, size - n, "%s%s", i ? " " : "", argv[i]);
        if (w < 0 || (size_t)w >= size - n) {
            fprintf(stderr, "hvctl: configuration longer than %u octets\n", CONTROL_CONFIG_MAX);
            return EXIT_USAGE;
        }
        n += (size_t)w;
    }
    return 0;
}

static int cmd_create(struct hvctl *h, int argc, char **argv)
{
    char config[CONTROL_CONFIG_MAX + 1];
    uint64_t size;
    uint16_t domid = 0;
    void *image;
    int rc;

    if (argc < 1) {
        fprintf(stderr, "hvctl create: IMAGE [CONFIG...]\n");
        return EXIT_USAGE;
    }
    rc = join_config(argc - 1, argv + 1, config, sizeof(config));
    if (rc)
        return rc;
    image = hvctl_read_file(argv[0], &size);
    if (!image)
        return EXIT_LOCAL;
    rc = hvctl_connect(h);
    if (!rc) {
        rc = ctl_domain_create(h->c, image, size, config, hvctl_progress, h, &domid);
        rc = rc < 0 ? hvctl_fail(h, "create", rc) : 0;
    }
    free(image);
    if (rc)
        return rc;
    if (h->json)
        printf("{\"domid\": %u}\n", domid);
    else
        printf("created domain %u\n", domid);
    return 0;
}

static int cmd_upload(struct hvctl *h, const char *path)
{
    uint64_t size;
    void *data = hvctl_read_file(path, &size);
    double t0, dt;
    int rc;

    if (!data)
        return EXIT_LOCAL;
    rc = hvctl_connect(h);
    if (rc) {
        free(data);
        return rc;
    }
    t0 = now_s();
    rc = ctl_upload(h->c, data, size, hvctl_progress, h);
    dt = now_s() - t0;
    free(data);
    if (rc < 0)
        return hvctl_fail(h, "upload", rc);
    if (h->json)
        printf("{\"bytes\": %llu, \"seconds\": %.3f, \"bytes_per_second\": %.0f, "
               "\"resends\": %llu}\n", (unsigned long long)size, dt, size / dt,
               (unsigned long long)ctl_client_stats(h->c)->resends);
    else
        printf("uploaded %llu octets in %.3f s: %.0f octets/s\n", (unsigned long long)size,
               dt, size / dt);
    return 0;
}

static int cmd_dmesg(struct hvctl *h, uint64_t offset)
{
    static char buf[CTL_DMESG_MAX];
    struct ctl_dmesg_rep r;
    uint64_t lost = 0;
    int rc;

    if (h->json)
        printf("{\"offset\": %llu, \"text\": \"", (unsigned long long)offset);
    for (;;) {
        rc = ctl_dmesg(h->c, offset, buf, sizeof(buf), &r);
        if (rc < 0) {
            if (h->json)
                printf("\"}\n");
            return hvctl_fail(h, "dmesg", rc);
        }
        lost += r.lost;
        if (h->json) {
            /* the string's body, without its quotes */
            for (uint32_t i = 0; i < r.len; i++) {
                unsigned char ch = (unsigned char)buf[i];
                if (ch == '"' || ch == '\\')
                    printf("\\%c", ch);
                else if (ch == '\n')
                    fputs("\\n", stdout);
                else if (ch < 0x20 || ch >= 0x7f)
                    printf("\\u%04x", ch);
                else
                    putchar(ch);
            }
        } else {
            fwrite(buf, 1, r.len, stdout);
        }
        if (r.len == 0 || r.next == offset)
            break;
        offset = r.next;
    }
    if (h->json)
        printf("\", \"next\": %llu, \"lost\": %llu}\n", (unsigned long long)r.next,
               (unsigned long long)lost);
    else if (lost)
        fprintf(stderr, "hvctl: %llu octets of the log were overwritten before they were read\n",
                (unsigned long long)lost);
    return 0;
}

static int cmd_memmap(struct hvctl *h)
{
    static const char *const types[] = { "?", "RAM", "reserved", "ACPI", "NVS", "unusable" };
    struct control_e820 e[CTL_MEMMAP_MAX];
    uint32_t nr = 0;
    int rc = ctl_memmap(h->c, e, CTL_MEMMAP_MAX, &nr);

    if (rc < 0)
        return hvctl_fail(h, "memmap", rc);
    if (h->json)
        printf("[");
    for (uint32_t i = 0; i < nr; i++) {
        if (h->json)
            printf("%s{\"addr\": %llu, \"size\": %llu, \"type\": %u}", i ? ",\n " : "",
                   (unsigned long long)e[i].addr, (unsigned long long)e[i].size, e[i].type);
        else
            printf("%016llx-%016llx %s\n", (unsigned long long)e[i].addr,
                   (unsigned long long)(e[i].addr + e[i].size),
                   e[i].type < 6 ? types[e[i].type] : "?");
    }
    if (h->json)
        printf("]\n");
    return 0;
}

static int cmd_ping(struct hvctl *h)
{
    struct ctl_ping_rep p;
    int rc = ctl_ping(h->c, &p);

    if (rc < 0)
        return hvctl_fail(h, "ping", rc);
    if (h->json)
        printf("{\"agent\": \"%s\", \"protocol\": %u, \"payload_max\": %u, "
               "\"staging_bytes\": %llu, \"control_version\": %u, \"domid\": %u}\n",
               p.agent, p.proto_version, p.payload_max, (unsigned long long)p.staging_size,
               p.control_version, p.domid);
    else
        printf("%s (domain %u): protocol %u, payload %u, staging %llu KiB\n", p.agent,
               p.domid, p.proto_version, p.payload_max,
               (unsigned long long)p.staging_size >> 10);
    return 0;
}

/* The names hvctl knows of domain context types (a newer build's extra
 * bits print as hex codes). */
static const char *const domctx_type_names[64] = {
#define TYPE_NAME_(n) [DOMCTX_TYPE_##n] = #n,
    DOMCTX_TYPES_EACH(TYPE_NAME_)
#undef TYPE_NAME_
};

/* A mask of domain context types as names: "DOMAIN VCPU ..." or, in
 * JSON, ["DOMAIN", "VCPU", ...]. */
static void print_domctx_types(uint64_t mask, bool json)
{
    const char *sep = "";

    if (json)
        putchar('[');
    for (unsigned int t = 0; t < 64; t++) {
        if (!(mask & (UINT64_C(1) << t)))
            continue;
        if (domctx_type_names[t])
            printf(json ? "%s\"%s\"" : "%s%s", sep, domctx_type_names[t]);
        else
            printf(json ? "%s\"0x%04x\"" : "%s0x%04x", sep, t);
        sep = json ? ", " : " ";
    }
    if (json)
        putchar(']');
}

static int cmd_version(struct hvctl *h)
{
    struct control_version_info v;
    int rc = ctl_version(h->c, &v);
    bool lu;

    if (rc < 0)
        return hvctl_fail(h, "version", rc);
    lu = v.flags & CONTROL_VERSION_F_LIVE_UPDATE;
    if (h->json) {
        printf("{\"version\": ");
        json_string(v.version, strlen(v.version));
        printf(", \"major\": %u, \"minor\": %u, \"build_id\": ", v.major, v.minor);
        json_string(v.build_id, strlen(v.build_id));
        printf(", \"live_update\": %s, \"lu_stream_write\": %u, \"lu_stream_compat\": %u, "
               "\"lu_stream_read_min\": %u, \"lu_stream_read_max\": %u, "
               "\"domctx_types_write\": %llu, \"domctx_types_load\": %llu, "
               "\"domctx_types_write_names\": ",
               lu ? "true" : "false", v.lu_write, v.lu_compat, v.lu_read_min, v.lu_read_max,
               (unsigned long long)v.domctx_types_write,
               (unsigned long long)v.domctx_types_load);
        print_domctx_types(v.domctx_types_write, true);
        printf(", \"domctx_types_load_names\": ");
        print_domctx_types(v.domctx_types_load, true);
        printf("}\n");
        return 0;
    }
    printf("Baton %s (build-id %s)\n", v.version, v.build_id);
    if (lu)
        printf("live update stream: writes version %u (compat %u), reads %u..%u\n",
               v.lu_write, v.lu_compat, v.lu_read_min, v.lu_read_max);
    else
        printf("live update: not in this build\n");
    printf("domain context: writes ");
    print_domctx_types(v.domctx_types_write, false);
    printf(" (0x%llx); loads ", (unsigned long long)v.domctx_types_write);
    print_domctx_types(v.domctx_types_load, false);
    printf(" (0x%llx)\n", (unsigned long long)v.domctx_types_load);
    return 0;
}

static int cmd_rehearse(struct hvctl *h)
{
    int rc = ctl_rehearse(h->c);

    if (rc < 0)
        return hvctl_fail(h, "rehearse", rc);
    if (h->json)
        printf("{\"rehearse\": \"armed\"}\n");
    else
        printf("rehearsal armed: see 'LU: rehearsal on request' in hvctl dmesg\n");
    return 0;
}

/* ------------------------------------------------------------ main */

/* Commands that only need the line and their arguments checked. */
static int run(struct hvctl *h, const char *cmd, int argc, char **argv)
{
    uint16_t domid;
    int rc;

    if (strcmp(cmd, "kexec") == 0)
        return hvctl_kexec(h, argc, argv);
    if (strcmp(cmd, "create") == 0)
        return cmd_create(h, argc, argv);
    if (strcmp(cmd, "upload") == 0) {
        if (argc != 1)
            goto usage;
        return cmd_upload(h, argv[0]);
    }
    if (!strcmp(cmd, "info") || !strcmp(cmd, "pause") || !strcmp(cmd, "unpause") ||
        !strcmp(cmd, "destroy")) {
        if (argc != 1)
            goto usage;
        rc = parse_domid(argv[0], &domid);
        if (rc || (rc = hvctl_connect(h)))
            return rc;
        return !strcmp(cmd, "info") ? cmd_info(h, domid) : cmd_domain_op(h, cmd, domid);
    }
    if (!strcmp(cmd, "dmesg")) {
        uint64_t offset = 0;
        if (argc == 2 && !strcmp(argv[0], "--offset"))
            offset = strtoull(argv[1], NULL, 0);
        else if (argc)
            goto usage;
        return (rc = hvctl_connect(h)) ? rc : cmd_dmesg(h, offset);
    }
    if (argc)
        goto usage;
    if (!strcmp(cmd, "list") || !strcmp(cmd, "ping") || !strcmp(cmd, "memmap") ||
        !strcmp(cmd, "rehearse") || !strcmp(cmd, "version")) {
        if ((rc = hvctl_connect(h)))
            return rc;
        return !strcmp(cmd, "list") ? cmd_list(h) : !strcmp(cmd, "ping") ? cmd_ping(h) :
               !strcmp(cmd, "memmap") ? cmd_memmap(h) :
               !strcmp(cmd, "version") ? cmd_version(h) : cmd_rehearse(h);
    }
    fprintf(stderr, "hvctl: unknown command '%s' (hvctl --help)\n", cmd);
    return EXIT_USAGE;
usage:
    fprintf(stderr, "hvctl %s: wrong arguments (hvctl --help)\n", cmd);
    return EXIT_USAGE;
}

int main(int argc, char **argv)
{
    struct hvctl h = { .timeout_ms = CTL_DEFAULT_TIMEOUT_MS, .retries = CTL_DEFAULT_RETRIES,
                       .progress = isatty(2) };
    int i, rc;

    for (i = 1; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(usage_text, stdout);
            return 0;
        } else if (!strcmp(argv[i], "--json")) {
            h.json = true;
        } else if (!strcmp(argv[i], "--progress")) {
            h.progress = true;
        } else if (!strcmp(argv[i], "--ctl") && i + 1 < argc) {
            h.ctl_spec = argv[++i];
        } else if (!strcmp(argv[i], "--timeout") && i + 1 < argc) {
            h.timeout_ms = (unsigned int)strtoul(argv[++i], NULL, 0);
        } else if (!strcmp(argv[i], "--retries") && i + 1 < argc) {
            h.retries = (unsigned int)strtoul(argv[++i], NULL, 0);
        } else {
            fprintf(stderr, "hvctl: unknown option '%s'\n%s", argv[i], usage_text);
            return EXIT_USAGE;
        }
    }
    if (i == argc) {
        fputs(usage_text, stderr);
        return EXIT_USAGE;
    }
    rc = run(&h, argv[i], argc - i - 1, argv + i + 1);
    ctl_close(h.c);
    return rc;
}
