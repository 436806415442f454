/*
 * lu-dump: decode a live update stream with the hypervisor's own reader
 * (common/lu), print it as text or JSON, and exit non-zero with the
 * reader's error when the stream is invalid.
 *
 *   lu-dump [--json] [-v] --pages FILE --mfns FILE
 *       FILE (pages): the stream frames concatenated in stream order,
 *       a multiple of 4096 octets. FILE (mfns): the MFN array, one
 *       little-endian uint64 per frame, at least as many as there are
 *       pages; entries beyond that must be zero (a whole array page).
 *   lu-dump [--json] [-v] --memdump FILE --breadcrumb ADDR
 *       FILE: physical memory, either raw (file offset == physical
 *       address, as QEMU "pmemsave 0 SIZE FILE" writes it) or an ELF core
 *       (QEMU "dump-guest-memory"), whose PT_LOAD headers map physical
 *       addresses (p_paddr) to file offsets. ADDR: physical address of the
 *       breadcrumb (the start of the live update bootmem).
 *   lu-dump [--json] [-v] --stream FILE
 *       FILE: the records as one contiguous byte stream (a fuzz seed).
 *
 * Exit status: 0 valid stream, 1 invalid stream, 2 usage or I/O error.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <baton/lu_stream.h>
#include <baton/printk.h>
#include "../lib/host_shim.h"
#include "../lib/lu_host.h"

/* ------------------------------------------------------------ files */

struct file {
    const uint8_t *p;
    size_t len;
};

static struct file map_file(const char *path)
{
    struct file f = { NULL, 0 };
    struct stat st;
    int fd = open(path, O_RDONLY);

    if (fd < 0 || fstat(fd, &st) < 0)
        die("%s: %s", path, strerror(errno));
    f.len = (size_t)st.st_size;
    if (f.len) {
        f.p = mmap(NULL, f.len, PROT_READ, MAP_PRIVATE, fd, 0);
        if (f.p == MAP_FAILED)
            die("%s: mmap: %s", path, strerror(errno));
    }
    close(fd);
    return f;
}

/* ------------------------------------------------------------ physical memory */

/* What the dump holds, as segments of physical memory (tools/lib/lu_host.c). */
static struct lu_host_mem phys;
static struct lu_range ram[LU_HOST_SEGMENTS];
static unsigned int nr_ram;

static void add_segment(uint64_t pa, uint64_t len, const uint8_t *p)
{
    if (lu_host_mem_add(&phys, pa, len, (void *)p))
        die("more than %d memory segments", LU_HOST_SEGMENTS);
}

static void load_elf(const struct file *f)
{
    const Elf64_Ehdr *eh = (const void *)f->p;

    if (f->len < sizeof(*eh) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
        eh->e_phentsize != sizeof(Elf64_Phdr) ||
        eh->e_phoff > f->len || (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > f->len - eh->e_phoff)
        die("not an ELF64 core with program headers");
    for (unsigned int i = 0; i < eh->e_phnum; i++) {
        Elf64_Phdr ph;

        memcpy(&ph, f->p + eh->e_phoff + i * sizeof(ph), sizeof(ph));
        if (ph.p_type != PT_LOAD || !ph.p_filesz)
            continue;
        if (ph.p_offset > f->len || ph.p_filesz > f->len - ph.p_offset)
            die("PT_LOAD %u: file offset 0x%llx + 0x%llx beyond the file", i,
                (unsigned long long)ph.p_offset, (unsigned long long)ph.p_filesz);
        add_segment(ph.p_paddr, ph.p_filesz, f->p + ph.p_offset);
    }
}

/* --pages: the frames are already in stream order. */
static const uint8_t *pages_buf;

static const void *pages_vmap(void *priv, const uint64_t *mfns, uint64_t nr)
{
    uint8_t *va = aligned_alloc(PAGE_SIZE, nr * PAGE_SIZE);

    (void)priv;
    (void)mfns;
    if (va)
        memcpy(va, pages_buf, nr * PAGE_SIZE);
    return va;
}

/* ------------------------------------------------------------ text output */

static void print_hex(FILE *o, const uint8_t *p, size_t n, const char *sep)
{
    for (size_t i = 0; i < n; i++)
        fprintf(o, "%s%02x", i ? sep : "", p[i]);
}

static void print_handle(FILE *o, const uint8_t *h)
{
    for (unsigned int i = 0; i < LU_DOMAIN_HANDLE_LEN; i++)
        fprintf(o, "%s%02x", (i == 4 || i == 6 || i == 8 || i == 10) ? "-" : "", h[i]);
}

static int text_entry(void *priv, const struct domctx_entry *e)
{
    const char *name = domctx_type_name(e->typecode);

    (void)priv;
    printf("    %s%s0x%04x vcpu %u%s length %u:", name ? name : "", name ? " " : "",
           e->typecode, e->vcpu_id, (e->flags & DOMCTX_FLAG_IGNORE) ? " IGNORE" : "", e->length);
    if (e->length) {
        putchar(' ');
        print_hex(stdout, e->body, MIN(e->length, 32u), " ");
        if (e->length > 32)
            printf(" ...");
    }
    putchar('\n');
    return 0;
}

static void text_domain(const struct lu_domain *d, unsigned int i)
{
    const struct lu_rec_domain_info *in = &d->info;

    printf("domain %u: domid %u type %u%s page_shift %u max_vcpus %u%s\n", i, in->domid,
           in->type, in->type == LU_DOMAIN_TYPE_PV ? " (PV)" : "", in->page_shift,
           in->max_vcpus, (in->extra_flags & LU_DOMAIN_EXTRA_PRIVILEGED) ? " privileged" : "");
    printf("  handle ");
    print_handle(stdout, in->handle);
    printf(" ssidref 0x%x flags 0x%x emulation_flags 0x%x extra_flags 0x%x\n",
           in->ssidref, in->flags, in->emulation_flags, in->extra_flags);
    printf("  memory: %u extents, %llu pages, p2m_size 0x%llx%s\n", d->nr_extents,
           (unsigned long long)d->total_pages, (unsigned long long)d->p2m_size,
           d->summary_inferred ? " (inferred)" : "");
    for (uint32_t k = 0; k < d->nr_extents; k++) {
        struct lu_extent e;

        memcpy(&e, &d->extents[k], sizeof(e));
        printf("    gpfn 0x%llx -> mfn 0x%llx count 0x%llx\n", (unsigned long long)e.gpfn,
               (unsigned long long)e.mfn, (unsigned long long)e.count);
    }
    printf("  context: %u octets\n", d->context_len);
    domctx_walk(d->context, d->context_len, in->max_vcpus, DOMCTX_FRAMING_ONLY, text_entry,
                NULL, NULL, 0);
}

static void text_stream(const struct lu_stream *s)
{
    const struct lu_rec_version *v = &s->version;

    printf("LU stream version %u (compat %u), written by Baton %u.%u%s\n", v->stream_version,
           v->compat_version, v->hv_major, v->hv_minor, v->hv_extra);
    printf("  %llu octets", (unsigned long long)s->stream_len);
    if (s->mfns)
        printf(" in %llu pages", (unsigned long long)s->nr_pages);
    if (s->mfn_array_pa != LU_PA_NONE)
        printf(", MFN array at 0x%llx", (unsigned long long)s->mfn_array_pa);
    printf(", %u optional records skipped\n", s->nr_skipped);
    printf("  time: tsc_hz %llu tsc 0x%llx stime_ns %llu\n", (unsigned long long)s->time.tsc_hz,
           (unsigned long long)s->time.tsc, (unsigned long long)s->time.stime_ns);
    printf("  %u domains\n", s->nr_domains);
    for (unsigned int i = 0; i < s->nr_domains; i++)
        text_domain(&s->domains[i], i);
}

/* ------------------------------------------------------------ JSON output */

static void json_string(const char *str)
{
    putchar('"');
    for (; *str; str++) {
        unsigned char c = (unsigned char)*str;

        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

struct json_walk {
    unsigned int n;
};

static int json_entry(void *priv, const struct domctx_entry *e)
{
    struct json_walk *w = priv;
    const char *name = domctx_type_name(e->typecode);

    printf("%s{\"type\": %u, \"name\": ", w->n++ ? ", " : "", e->typecode);
    if (name)
        json_string(name);
    else
        printf("null");
    printf(", \"vcpu\": %u, \"flags\": %u, \"ignore\": %s, \"length\": %u, \"data\": \"",
           e->vcpu_id, e->flags, (e->flags & DOMCTX_FLAG_IGNORE) ? "true" : "false", e->length);
    print_hex(stdout, e->body, e->length, "");
    printf("\"}");
    return 0;
}

static void json_domain(const struct lu_domain *d)
{
    const struct lu_rec_domain_info *in = &d->info;
    struct json_walk w = { 0 };

    printf("{\"domid\": %u, \"type\": %u, \"page_shift\": %u, \"handle\": \"", in->domid,
           in->type, in->page_shift);
    print_handle(stdout, in->handle);
    printf("\", \"ssidref\": %u, \"flags\": %u, \"max_vcpus\": %u, \"emulation_flags\": %u, "
           "\"extra_flags\": %u, \"privileged\": %s, ", in->ssidref, in->flags, in->max_vcpus,
           in->emulation_flags, in->extra_flags,
           (in->extra_flags & LU_DOMAIN_EXTRA_PRIVILEGED) ? "true" : "false");
    printf("\"total_pages\": %llu, \"p2m_size\": %llu, \"summary_inferred\": %s, \"extents\": [",
           (unsigned long long)d->total_pages, (unsigned long long)d->p2m_size,
           d->summary_inferred ? "true" : "false");
    for (uint32_t k = 0; k < d->nr_extents; k++) {
        struct lu_extent e;

        memcpy(&e, &d->extents[k], sizeof(e));
        printf("%s{\"gpfn\": %llu, \"mfn\": %llu, \"count\": %llu}", k ? ", " : "",
               (unsigned long long)e.gpfn, (unsigned long long)e.mfn, (unsigned long long)e.count);
    }
    printf("], \"context\": {\"length\": %u, \"entries\": [", d->context_len);
    domctx_walk(d->context, d->context_len, in->max_vcpus, DOMCTX_FRAMING_ONLY, json_entry,
                &w, NULL, 0);
    printf("]}}");
}

static void json_stream(const struct lu_stream *s)
{
    const struct lu_rec_version *v = &s->version;

    printf("{\"stream_version\": %u, \"compat_version\": %u, \"hv_major\": %u, \"hv_minor\": %u, "
           "\"hv_extra\": ", v->stream_version, v->compat_version, v->hv_major, v->hv_minor);
    json_string(v->hv_extra);
    printf(", \"stream_length\": %llu, \"pages\": %llu, \"mfn_array_pa\": ",
           (unsigned long long)s->stream_len, (unsigned long long)s->nr_pages);
    if (s->mfn_array_pa != LU_PA_NONE)
        printf("%llu", (unsigned long long)s->mfn_array_pa);
    else
        printf("null");
    printf(", \"skipped_optional\": %u, \"time\": {\"tsc_hz\": %llu, \"tsc\": %llu, "
           "\"stime_ns\": %llu}, \"domains\": [", s->nr_skipped,
           (unsigned long long)s->time.tsc_hz, (unsigned long long)s->time.tsc,
           (unsigned long long)s->time.stime_ns);
    for (unsigned int i = 0; i < s->nr_domains; i++) {
        printf("%s", i ? ", " : "");
        json_domain(&s->domains[i]);
    }
    printf("]}\n");
}

/* ------------------------------------------------------------ modes */

static const struct lu_range all_ram = { 0, LU_FRAME_LIMIT << PAGE_SHIFT };

static void base_reader(struct lu_reader *r)
{
    memset(r, 0, sizeof(*r));
    lu_host_mem_init(&phys, true, false);
    lu_host_reader(r, &phys);
    r->ram = &all_ram;
    r->nr_ram = 1;
    /* No handlers here: check and show the context framing. */
    r->flags = LU_READ_CONTEXT_FRAMING_ONLY;
}

static int open_pages(struct lu_reader *r, struct lu_stream *s, const char *pages,
                      const char *mfns)
{
    struct file fp = map_file(pages), fm = map_file(mfns);
    uint64_t nr = fp.len / PAGE_SIZE;
    uint64_t *array;

    if (!nr || fp.len % PAGE_SIZE)
        die("%s: %zu octets, expected a non-zero multiple of %llu", pages, fp.len,
            (unsigned long long)PAGE_SIZE);
    if (fm.len % sizeof(uint64_t) || fm.len / sizeof(uint64_t) < nr)
        die("%s: %zu octets, expected %llu little-endian uint64 MFNs", mfns, fm.len,
            (unsigned long long)nr);
    for (size_t i = nr * sizeof(uint64_t); i < fm.len; i++)
        if (fm.p[i])
            die("%s: non-zero entry beyond the %llu pages of %s", mfns,
                (unsigned long long)nr, pages);
    array = malloc(nr * sizeof(uint64_t));
    if (!array)
        die("out of memory");
    memcpy(array, fm.p, nr * sizeof(uint64_t));
    pages_buf = fp.p;
    r->vmap = pages_vmap;
    return lu_stream_open_mfns(r, array, nr, LU_PA_NONE, s);
}

static int open_memdump(struct lu_reader *r, struct lu_stream *s, const char *path,
                        uint64_t bc_pa)
{
    static struct lu_range reserved;
    struct file f = map_file(path);
    const void *bc;

    if (f.len >= 4 && !memcmp(f.p, ELFMAG, SELFMAG))
        load_elf(&f);
    else
        add_segment(0, f.len, f.p);
    nr_ram = lu_host_mem_ram(&phys, ram, LU_HOST_SEGMENTS);
    if (!nr_ram)
        die("the dump holds no whole page of memory");
    bc = lu_host_mem_ptr(&phys, bc_pa, sizeof(struct lu_breadcrumb));
    if (!bc)
        die("breadcrumb address 0x%llx is not in the dump", (unsigned long long)bc_pa);
    /* The breadcrumb's page is live update bootmem: no stream data there. */
    reserved = (struct lu_range){ ALIGN_DOWN(bc_pa, PAGE_SIZE), ALIGN_DOWN(bc_pa, PAGE_SIZE) + PAGE_SIZE };
    r->ram = ram;
    r->nr_ram = nr_ram;
    r->reserved = &reserved;
    r->nr_reserved = 1;
    return lu_stream_open(r, bc, s);
}

static int open_stream(struct lu_reader *r, struct lu_stream *s, const char *path)
{
    struct file f = map_file(path);

    return lu_stream_parse(r, f.p ? f.p : (const uint8_t *)&all_ram, f.len, s);
}

static void __noreturn usage(void)
{
    fputs("usage: lu-dump [--json] [-v] --pages FILE --mfns FILE\n"
          "       lu-dump [--json] [-v] --memdump FILE --breadcrumb ADDR\n"
          "       lu-dump [--json] [-v] --stream FILE\n", stderr);
    exit(2);
}

int main(int argc, char **argv)
{
    const char *pages = NULL, *mfns = NULL, *memdump = NULL, *stream = NULL, *bc = NULL;
    static struct lu_stream s;
    struct lu_reader r;
    bool json = false;
    int rc;

    host_tool_name = "lu-dump";

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **slot = !strcmp(a, "--pages") ? &pages : !strcmp(a, "--mfns") ? &mfns :
                            !strcmp(a, "--memdump") ? &memdump : !strcmp(a, "--stream") ? &stream :
                            !strcmp(a, "--breadcrumb") ? &bc : NULL;

        if (!strcmp(a, "--json"))
            json = true;
        else if (!strcmp(a, "-v") || !strcmp(a, "--verbose"))
            host_tool_verbose = true;
        else if (slot && i + 1 < argc)
            *slot = argv[++i];
        else
            usage();
    }
    base_reader(&r);
    if (pages && mfns && !memdump && !stream && !bc)
        rc = open_pages(&r, &s, pages, mfns);
    else if (memdump && bc && !pages && !mfns && !stream)
        rc = open_memdump(&r, &s, memdump, strtoull(bc, NULL, 0));
    else if (stream && !pages && !mfns && !memdump && !bc)
        rc = open_stream(&r, &s, stream);
    else
        usage();
    if (rc) {
        fprintf(stderr, "lu-dump: invalid stream (%d): %s\n", rc, s.error);
        if (json) {
            printf("{\"error\": ");
            json_string(s.error);
            printf(", \"code\": %d}\n", rc);
        }
        return 1;
    }
    if (json)
        json_stream(&s);
    else
        text_stream(&s);
    lu_stream_close(&r, &s);
    return 0;
}
