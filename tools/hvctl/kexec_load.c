/*
 * hvctl kexec load [--type default|live-update] IMAGE [--append "..."]
 *                  [--module "FILE ARGS"]...
 *
 * Builds what kexec-tools would for a multiboot2 hypervisor, and loads it
 * through the agent (docs/user-guide.md, "kexec load"; docs/boot-protocol.md,
 * "hvctl's purgatory and MBI"):
 *
 *   - the ranges MA_XEN and MA_LIVEUPDATE and the memory map, asked of the
 *     agent;
 *   - the image (ELF64, multiboot2 header with the relocatable tag): its
 *     PT_LOAD octets at the start of MA_XEN aligned up as the tag says,
 *     up to the last file octet; the rest of its memory (bss) is zeroed by
 *     kexec (dest_size > buf_size), never uploaded;
 *   - the purgatory (purgatory.asm, patched with the MBI and the image's
 *     entry), the MBI and the modules, each on its own pages: for a live
 *     update in MA_LIVEUPDATE above its first page (the breadcrumb's); for
 *     a default kexec top-down in RAM below 4 GiB outside MA_XEN, the image
 *     and MA_LIVEUPDATE, so that the new build can reserve its own
 *     live update bootmem at the same address (modules inside it would
 *     make liveupdate=SIZE@ADDR fail there);
 *   - a null-buffer segment over the low 1 MiB, as kexec-tools adds;
 *   - one upload of every segment's octets, then the load with offsets
 *     into it. The kexec entry is the purgatory.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hvctl.h"
#include "kexec_image.h"

#define PAGE            UINT64_C(4096)
#define MiB             (UINT64_C(1) << 20)
#define GiB4            (UINT64_C(1) << 32)
#define LOW_MEM         MiB
#define ALIGN_UP(x, a)  (((x) + (a) - 1) & ~((uint64_t)(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((uint64_t)(a) - 1))
/* null low 1 MiB, image, purgatory, MBI: the rest may be modules */
#define FIXED_SEGMENTS  4u
#define MODULES_MAX     (CTL_KEXEC_SEGMENTS_MAX - FIXED_SEGMENTS)
#define CMDLINE_MAX     4096u

struct module {
    const char *spec;           /* "FILE ARGS" as typed: the module's command line */
    char *path;
    uint8_t *data;
    uint64_t size;
};

struct segment {
    char what[96];
    uint64_t blob_off;          /* CTL_KEXEC_NOBUF: a null buffer */
    uint64_t size;
    uint64_t dest, dest_size;
};

struct load {
    int type;
    const char *image_path;
    const char *append;
    struct module mods[MODULES_MAX];
    unsigned int nr_mods;

    uint8_t *image_file;
    uint64_t image_file_size;
    struct mb2_image img;

    uint64_t xen_start, xen_size, lu_start, lu_size;
    struct control_e820 map[CTL_MEMMAP_MAX];
    uint32_t nr_map;

    uint64_t load_base, image_entry, purg_dest, mbi_dest, rest_lo, rest_hi;
    char cmdline[CMDLINE_MAX];
    struct segment segs[CTL_KEXEC_SEGMENTS_MAX];
    unsigned int nr_segs;
    uint8_t *blob;
    uint64_t blob_size;
};

static const char *type_name(int type)
{
    return type == KEXEC_TYPE_LIVE_UPDATE ? "live-update" : "default";
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int usage(const char *why)
{
    fprintf(stderr, "hvctl kexec load: %s\n"
            "usage: hvctl kexec load [--type default|live-update] IMAGE [--append \"...\"] "
            "[--module \"FILE ARGS\"]...\n", why);
    return EXIT_USAGE;
}

static int parse_args(struct load *l, int argc, char **argv)
{
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--append")) {
            if (++i == argc)
                return usage("--append needs a command line");
            l->append = argv[i];
        } else if (!strcmp(argv[i], "--module")) {
            if (++i == argc)
                return usage("--module needs \"FILE ARGS\"");
            if (l->nr_mods == MODULES_MAX) {
                fprintf(stderr, "hvctl kexec load: at most %u modules (%u segments in all, "
                        "%u taken by the low 1 MiB, the image, the purgatory and the MBI)\n",
                        MODULES_MAX, CTL_KEXEC_SEGMENTS_MAX, FIXED_SEGMENTS);
                return EXIT_USAGE;
            }
            l->mods[l->nr_mods++].spec = argv[i];
        } else if (!strncmp(argv[i], "--", 2)) {
            char why[128];
            snprintf(why, sizeof(why), "unknown option '%s'", argv[i]);
            return usage(why);
        } else if (!l->image_path) {
            l->image_path = argv[i];
        } else {
            return usage("one IMAGE only (modules go with --module)");
        }
    }
    if (!l->image_path)
        return usage("no IMAGE");
    return 0;
}

/* Read the image and the modules, and check the image. */
static int read_inputs(struct load *l)
{
    char err[256];

    l->image_file = hvctl_read_file(l->image_path, &l->image_file_size);
    if (!l->image_file)
        return EXIT_LOCAL;
    if (mb2_image_parse(l->image_file, l->image_file_size, &l->img, err, sizeof(err))) {
        fprintf(stderr, "hvctl kexec load: %s: %s\n", l->image_path, err);
        return EXIT_LOCAL;
    }
    for (unsigned int i = 0; i < l->nr_mods; i++) {
        struct module *m = &l->mods[i];
        size_t n = strcspn(m->spec + strspn(m->spec, " \t"), " \t");

        m->path = strndup(m->spec + strspn(m->spec, " \t"), n);
        if (!m->path || !n) {
            fprintf(stderr, "hvctl kexec load: --module '%s': no FILE\n", m->spec);
            return EXIT_USAGE;
        }
        m->data = hvctl_read_file(m->path, &m->size);
        if (!m->data)
            return EXIT_LOCAL;
    }
    if ((size_t)(hvctl_purgatory_end - hvctl_purgatory) > PAGE ||
        memcmp(hvctl_purgatory + PURG_SIGNATURE, PURG_SIGNATURE_TEXT, 8)) {
        fprintf(stderr, "hvctl kexec load: the embedded purgatory does not match "
                "kexec_image.h's layout (rebuild hvctl)\n");
        return EXIT_LOCAL;
    }
    return 0;
}

/* Ranges and the memory map from the agent. */
static int ask_agent(struct hvctl *h, struct load *l)
{
    int rc;

    rc = ctl_kexec_get_range(h->c, KEXEC_RANGE_MA_XEN, 0, &l->xen_start, &l->xen_size);
    if (rc < 0)
        return hvctl_fail(h, "kexec range xen", rc);
    rc = ctl_kexec_get_range(h->c, KEXEC_RANGE_MA_LIVEUPDATE, 0, &l->lu_start, &l->lu_size);
    if (rc < 0)
        return hvctl_fail(h, "kexec range liveupdate", rc);
    rc = ctl_memmap(h->c, l->map, CTL_MEMMAP_MAX, &l->nr_map);
    if (rc < 0)
        return hvctl_fail(h, "memmap", rc);
    return 0;
}

static int in_ram(const struct load *l, uint64_t start, uint64_t end)
{
    /* adjacent RAM entries join, as in kimage */
    while (start < end) {
        int found = 0;
        for (uint32_t i = 0; i < l->nr_map; i++) {
            const struct control_e820 *e = &l->map[i];
            if (e->type == CONTROL_E820_RAM && e->addr <= start && start < e->addr + e->size) {
                start = e->addr + e->size;
                found = 1;
                break;
            }
        }
        if (!found)
            return 0;
    }
    return 1;
}

/* The image over MA_XEN, aligned up as its relocatable tag says. */
static int place_image(struct load *l)
{
    const struct mb2_image *img = &l->img;
    uint64_t end;

    l->load_base = ALIGN_UP(l->xen_start, img->align);
    end = l->load_base + img->mem_extent;
    if (l->load_base < img->min_addr || end > img->max_addr) {
        fprintf(stderr, "hvctl kexec load: MA_XEN starts at 0x%" PRIx64 ": the image at 0x%"
                PRIx64 "-0x%" PRIx64 " breaks its relocatable tag (min 0x%x, max 0x%x)\n",
                l->xen_start, l->load_base, end, img->min_addr, img->max_addr);
        return EXIT_LOCAL;
    }
    if (end > l->xen_start + l->xen_size) {
        if (l->type == KEXEC_TYPE_LIVE_UPDATE) {
            fprintf(stderr, "hvctl kexec load: the image needs 0x%" PRIx64 "-0x%" PRIx64
                    " (%" PRIu64 " KiB with its bss), MA_XEN is 0x%" PRIx64 "-0x%" PRIx64
                    " (%" PRIu64 " KiB): it does not fit, and a live update may write "
                    "nowhere else\n", l->load_base, end, img->mem_extent >> 10, l->xen_start,
                    l->xen_start + l->xen_size, l->xen_size >> 10);
            return EXIT_LOCAL;
        }
        if (!in_ram(l, l->load_base, end)) {
            fprintf(stderr, "hvctl kexec load: the image at 0x%" PRIx64 "-0x%" PRIx64
                    " is larger than MA_XEN (%" PRIu64 " KiB) and runs out of RAM\n",
                    l->load_base, end, l->xen_size >> 10);
            return EXIT_LOCAL;
        }
        /* a default kexec replaces everything: RAM past MA_XEN is as good */
        fprintf(stderr, "hvctl kexec load: note: the image (%" PRIu64 " KiB with its bss) "
                "is larger than MA_XEN (%" PRIu64 " KiB): it runs on into RAM up to 0x%"
                PRIx64 " (a default kexec may; a live update could not)\n",
                img->mem_extent >> 10, l->xen_size >> 10, end);
    }
    l->image_entry = img->entry - img->link_base + l->load_base;
    return 0;
}

/*
 * Where the purgatory, the MBI and the modules go: [rest_lo, rest_hi).
 * A live update: MA_LIVEUPDATE above its first page. A default kexec: the
 * highest RAM below 4 GiB (above 1 MiB) outside MA_XEN, the image and
 * MA_LIVEUPDATE, top-down as kexec-tools places what it adds.
 */
static int place_rest(struct load *l, uint64_t need)
{
    if (l->type == KEXEC_TYPE_LIVE_UPDATE) {
        if (l->lu_size <= PAGE) {
            fprintf(stderr, "hvctl kexec load: a live update needs the live update bootmem "
                    "(MA_LIVEUPDATE), and this hypervisor has %s: boot it with "
                    "liveupdate=SIZE[@ADDR]\n", l->lu_size ? "only its first page" : "none");
            return EXIT_LOCAL;
        }
        if (l->lu_start + l->lu_size > GiB4) {
            fprintf(stderr, "hvctl kexec load: MA_LIVEUPDATE 0x%" PRIx64 "-0x%" PRIx64
                    " is not below 4 GiB: the MBI and the modules must be\n", l->lu_start,
                    l->lu_start + l->lu_size);
            return EXIT_LOCAL;
        }
        l->rest_lo = l->lu_start + PAGE;
        if (need > l->lu_size - PAGE) {
            fprintf(stderr, "hvctl kexec load: the purgatory, the MBI and the modules need %"
                    PRIu64 " KiB, MA_LIVEUPDATE has %" PRIu64 " KiB above its first page\n",
                    need >> 10, (l->lu_size - PAGE) >> 10);
            return EXIT_LOCAL;
        }
        l->rest_hi = l->rest_lo + need;
        return 0;
    }

    uint64_t excl[3][2] = {
        { l->xen_start, l->xen_start + l->xen_size },
        { l->load_base, l->load_base + l->img.mem_extent },
        { l->lu_start, l->lu_start + l->lu_size },
    };
    uint64_t best = 0;

    for (uint32_t i = 0; i < l->nr_map; i++) {
        const struct control_e820 *e = &l->map[i];
        uint64_t lo = e->addr, hi = e->addr + e->size;

        if (e->type != CONTROL_E820_RAM)
            continue;
        lo = ALIGN_UP(lo < LOW_MEM ? LOW_MEM : lo, PAGE);
        hi = ALIGN_DOWN(hi > GiB4 ? GiB4 : hi, PAGE);
        /* the highest spot of [lo, hi) that avoids every excluded range */
        while (hi >= lo + need) {
            uint64_t s = hi - need;
            int moved = 0;
            for (int k = 0; k < 3; k++) {
                if (excl[k][1] > excl[k][0] && s < excl[k][1] && excl[k][0] < hi) {
                    hi = ALIGN_DOWN(excl[k][0], PAGE);
                    moved = 1;
                    break;
                }
            }
            if (!moved) {
                if (s > best)
                    best = s;
                break;
            }
        }
    }
    if (!best) {
        fprintf(stderr, "hvctl kexec load: no %" PRIu64 " KiB of RAM between 1 MiB and 4 GiB "
                "outside MA_XEN, the image and MA_LIVEUPDATE for the purgatory, the MBI and "
                "the modules\n", need >> 10);
        return EXIT_LOCAL;
    }
    l->rest_lo = best;
    l->rest_hi = best + need;
    return 0;
}

static void add_segment(struct load *l, uint64_t blob_off, uint64_t size, uint64_t dest,
                        uint64_t dest_size, const char *fmt, const char *arg)
{
    struct segment *s = &l->segs[l->nr_segs++];

    *s = (struct segment){ .blob_off = blob_off, .size = size, .dest = dest,
                           .dest_size = dest_size };
    snprintf(s->what, sizeof(s->what), fmt, arg);
}

/* Lay everything out, build the MBI, patch the purgatory, fill the blob. */
static int build(struct load *l)
{
    struct mbi_module mmods[MODULES_MAX];
    struct mbi_input in;
    uint64_t purg_len = (uint64_t)(hvctl_purgatory_end - hvctl_purgatory);
    uint64_t mbi_len, need, dest, off;
    int n, rc;

    n = snprintf(l->cmdline, sizeof(l->cmdline), "%s%s%s", l->image_path,
                 l->append && *l->append ? " " : "", l->append ? l->append : "");
    if (n >= 0 && (size_t)n < sizeof(l->cmdline) && l->type == KEXEC_TYPE_LIVE_UPDATE)
        n += snprintf(l->cmdline + n, sizeof(l->cmdline) - n, " liveupdate=%" PRIu64
                      "M@0x%" PRIx64, (l->lu_size + MiB - 1) / MiB, l->lu_start);
    if (n < 0 || (size_t)n >= sizeof(l->cmdline)) {
        fprintf(stderr, "hvctl kexec load: the command line is longer than %u octets\n",
                CMDLINE_MAX - 1);
        return EXIT_USAGE;
    }

    /* sizes first: the MBI's does not depend on the addresses in it */
    for (unsigned int i = 0; i < l->nr_mods; i++)
        mmods[i] = (struct mbi_module){ 0, 0, l->mods[i].spec };
    in = (struct mbi_input){ .cmdline = l->cmdline, .loader = "hvctl", .mods = mmods,
                             .nr_mods = l->nr_mods, .map = l->map, .nr_map = l->nr_map };
    mbi_len = mbi_build(&in, NULL, 0);
    need = PAGE + ALIGN_UP(mbi_len, PAGE);
    for (unsigned int i = 0; i < l->nr_mods; i++)
        need += ALIGN_UP(l->mods[i].size ? l->mods[i].size : 1, PAGE);
    rc = place_rest(l, need);
    if (rc)
        return rc;

    /* destinations: purgatory, MBI, modules */
    dest = l->rest_lo;
    l->purg_dest = dest;
    dest += PAGE;
    l->mbi_dest = dest;
    dest += ALIGN_UP(mbi_len, PAGE);
    for (unsigned int i = 0; i < l->nr_mods; i++) {
        mmods[i].start = (uint32_t)dest;
        mmods[i].end = (uint32_t)(dest + l->mods[i].size);
        dest += ALIGN_UP(l->mods[i].size ? l->mods[i].size : 1, PAGE);
    }
    in.load_base = (uint32_t)l->load_base;

    /* the blob: image octets, purgatory, MBI, modules (16-aligned offsets) */
    l->blob_size = ALIGN_UP(l->img.file_extent, 16) + ALIGN_UP(purg_len, 16) +
                   ALIGN_UP(mbi_len, 16);
    for (unsigned int i = 0; i < l->nr_mods; i++)
        l->blob_size += ALIGN_UP(l->mods[i].size, 16);
    l->blob = calloc(1, l->blob_size);
    if (!l->blob) {
        fprintf(stderr, "hvctl kexec load: out of memory\n");
        return EXIT_LOCAL;
    }

    add_segment(l, CTL_KEXEC_NOBUF, 0, 0, LOW_MEM, "%s", "low 1 MiB (null buffer, as kexec-tools)");

    off = 0;
    mb2_image_bytes(l->image_file, &l->img, l->blob);
    add_segment(l, off, l->img.file_extent, l->load_base, l->img.mem_extent, "image %s",
                l->image_path);
    off += ALIGN_UP(l->img.file_extent, 16);

    memcpy(l->blob + off, hvctl_purgatory, purg_len);
    {
        uint64_t mbi = l->mbi_dest, entry = l->image_entry;
        memcpy(l->blob + off + PURG_MBI, &mbi, 8);
        memcpy(l->blob + off + PURG_ENTRY, &entry, 8);
    }
    add_segment(l, off, purg_len, l->purg_dest, PAGE, "%s", "purgatory (hvctl)");
    off += ALIGN_UP(purg_len, 16);

    if (mbi_build(&in, l->blob + off, mbi_len) != mbi_len) {
        fprintf(stderr, "hvctl kexec load: internal error: the MBI changed size\n");
        return EXIT_LOCAL;
    }
    add_segment(l, off, mbi_len, l->mbi_dest, ALIGN_UP(mbi_len, PAGE), "%s",
                "multiboot2 information");
    off += ALIGN_UP(mbi_len, 16);

    for (unsigned int i = 0; i < l->nr_mods; i++) {
        memcpy(l->blob + off, l->mods[i].data, l->mods[i].size);
        add_segment(l, off, l->mods[i].size,
                    mmods[i].start, ALIGN_UP(l->mods[i].size ? l->mods[i].size : 1, PAGE),
                    "module %s", l->mods[i].path);
        off += ALIGN_UP(l->mods[i].size, 16);
    }
    return 0;
}

static void print_summary(const struct hvctl *h, const struct load *l, double secs)
{
    if (h->json) {
        printf("{\"type\": \"%s\", \"entry\": %" PRIu64 ", \"image_entry\": %" PRIu64
               ", \"mbi\": %" PRIu64 ", \"image_base\": %" PRIu64 ", \"uploaded\": %" PRIu64
               ", \"seconds\": %.3f, \"segments\": [", type_name(l->type), l->purg_dest,
               l->image_entry, l->mbi_dest, l->load_base, l->blob_size, secs);
        for (unsigned int i = 0; i < l->nr_segs; i++) {
            const struct segment *s = &l->segs[i];
            printf("%s{\"dest\": %" PRIu64 ", \"dest_size\": %" PRIu64 ", \"buf_size\": %"
                   PRIu64 ", \"what\": \"", i ? ", " : "", s->dest, s->dest_size, s->size);
            for (const char *c = s->what; *c; c++)
                printf(*c == '"' || *c == '\\' ? "\\%c" : "%c", *c);
            printf("\"}");
        }
        printf("]}\n");
        return;
    }
    printf("kexec load (%s): %u segments, %" PRIu64 " octets uploaded in %.1f s (%.0f octets/s)\n",
           type_name(l->type), l->nr_segs, l->blob_size, secs, secs > 0 ? l->blob_size / secs : 0);
    for (unsigned int i = 0; i < l->nr_segs; i++) {
        const struct segment *s = &l->segs[i];
        printf("  %2u  0x%09" PRIx64 "-0x%09" PRIx64 " %7" PRIu64 " KiB %8" PRIu64 " octets  %s\n",
               i, s->dest, s->dest + s->dest_size - 1, s->dest_size >> 10, s->size, s->what);
    }
    printf("entry 0x%" PRIx64 " (purgatory) -> multiboot2 entry 0x%" PRIx64 ", MBI at 0x%" PRIx64
           "\ncommand line: %s\n", l->purg_dest, l->image_entry, l->mbi_dest, l->cmdline);
}

static void free_load(struct load *l)
{
    free(l->image_file);
    free(l->blob);
    for (unsigned int i = 0; i < l->nr_mods; i++) {
        free(l->mods[i].path);
        free(l->mods[i].data);
    }
}

static int do_load(struct hvctl *h, struct load *l, int argc, char **argv)
{
    struct ctl_kexec_segment segs[CTL_KEXEC_SEGMENTS_MAX];
    double t0, secs;
    int rc;

    rc = parse_args(l, argc, argv);
    if (rc)
        return rc;
    if (l->type != KEXEC_TYPE_DEFAULT && l->type != KEXEC_TYPE_LIVE_UPDATE) {
        fprintf(stderr, "hvctl kexec load: only --type default or live-update (Baton has no "
                "crash kernel area)\n");
        return EXIT_USAGE;
    }
    rc = read_inputs(l);
    if (rc)
        return rc;
    rc = hvctl_connect(h);
    if (rc)
        return rc;
    rc = ask_agent(h, l);
    if (rc)
        return rc;
    rc = place_image(l);
    if (rc)
        return rc;
    rc = build(l);
    if (rc)
        return rc;

    for (unsigned int i = 0; i < l->nr_segs; i++)
        segs[i] = (struct ctl_kexec_segment){ l->segs[i].blob_off, l->segs[i].size,
                                              l->segs[i].dest, l->segs[i].dest_size };
    t0 = now_s();
    rc = ctl_upload(h->c, l->blob, l->blob_size, hvctl_progress, h);
    secs = now_s() - t0;
    if (rc < 0)
        return hvctl_fail(h, "kexec load: upload", rc);
    rc = ctl_kexec_load(h->c, (uint8_t)l->type, l->purg_dest, segs, l->nr_segs);
    if (rc < 0) {
        fprintf(stderr, "hvctl kexec load: the hypervisor's log (hvctl dmesg) names the "
                "segment and the rule\n");
        return hvctl_fail(h, "kexec load", rc);
    }
    print_summary(h, l, secs);
    return 0;
}

int hvctl_kexec_load(struct hvctl *h, int type, int argc, char **argv)
{
    struct load *l = calloc(1, sizeof(*l));
    int rc;

    if (!l) {
        fprintf(stderr, "hvctl kexec load: out of memory\n");
        return EXIT_LOCAL;
    }
    l->type = type;
    rc = do_load(h, l, argc, argv);
    free_load(l);
    free(l);
    return rc;
}
