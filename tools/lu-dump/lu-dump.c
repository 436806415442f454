/*
 * lu-dump: decode a live update stream with the hypervisor's own reader
 * (common/lu), then every domain's context with the hypervisor's own
 * handlers and restore checks, print it as text or JSON, and exit non-zero
 * with the error the hypervisor would give when the stream is invalid.
 *
 * What it accepts, the hypervisor's restore accepts: the reader runs with
 * every registered handler (domctx_init(): the DOMCTX_HANDLER()s of the
 * linked subsystem files), so an unknown type without IGNORE is refused;
 * each domain is then decoded as common/lu/restore.c decode_domain() does
 * it (the shape and required-entry checks, a slot of the real domain table
 * with the stream's domid, handle, privilege, vCPUs and memory, then
 * domctx_load()), and the cross-domain checks (evtchn_restore_check,
 * gnttab_restore_check) run over every decoded domain. Only the guest's
 * memory is not looked at (no ABI page is mapped, as the VCPU handler
 * expects of a tool) and nothing is committed.
 *
 * --framing-only checks the records and the context framing but no entry
 * against this build's handlers: a forensic dump of a stream from another
 * build.
 *
 *   lu-dump [--json] [-v] [--framing-only] --pages FILE --mfns FILE
 *       FILE (pages): the stream frames concatenated in stream order,
 *       a multiple of 4096 octets. FILE (mfns): the MFN array, one
 *       little-endian uint64 per frame, at least as many as there are
 *       pages; entries beyond that must be zero (a whole array page).
 *   lu-dump [--json] [-v] [--framing-only] --memdump FILE --breadcrumb ADDR
 *       FILE: physical memory, either raw (file offset == physical
 *       address, as QEMU "pmemsave 0 SIZE FILE" writes it) or an ELF core
 *       (QEMU "dump-guest-memory"), whose PT_LOAD headers map physical
 *       addresses (p_paddr) to file offsets. ADDR: physical address of the
 *       breadcrumb (the start of the live update bootmem).
 *   lu-dump [--json] [-v] [--framing-only] --stream FILE
 *       FILE: the records as one contiguous byte stream (a fuzz seed).
 *
 * Exit status: 0 valid stream, 1 invalid stream (the reader's error, or
 * the domain and entry a handler or a restore check refused), 2 usage or
 * I/O error.
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

#include <baton/domain.h>
#include <baton/domain_build.h>
#include <baton/domctx.h>
#include <baton/errno.h>
#include <baton/lu.h>
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

/* ------------------------------------------------------------ entry fields */

/*
 * The fields of the public entry types (include/public/domctx.h), for
 * printing. Padding is not shown (a loader checks it is zero).
 */
enum field_kind { F_DEC, F_HEX, F_STR };

struct field {
    const char *name;
    unsigned short off, size;
    enum field_kind kind;
};

#define F(T, m, k) { #m, offsetof(struct T, m), sizeof(((struct T *)0)->m), k }

static const struct field domain_fields[] = {
    F(domctx_domain, name, F_STR), F(domctx_domain, state, F_DEC),
    F(domctx_domain, shutdown_reason, F_DEC), F(domctx_domain, pause_count, F_DEC),
    F(domctx_domain, flags, F_HEX), F(domctx_domain, time_base_ns, F_DEC),
    F(domctx_domain, ioport_first, F_HEX), F(domctx_domain, ioport_count, F_DEC),
};

static const struct field vcpu_fields[] = {
    F(domctx_vcpu, state, F_DEC), F(domctx_vcpu, rip, F_HEX), F(domctx_vcpu, rsp, F_HEX),
    F(domctx_vcpu, rflags, F_HEX), F(domctx_vcpu, cs, F_HEX), F(domctx_vcpu, ss, F_HEX),
    F(domctx_vcpu, ds, F_HEX), F(domctx_vcpu, es, F_HEX), F(domctx_vcpu, fs, F_HEX),
    F(domctx_vcpu, gs, F_HEX), F(domctx_vcpu, upcall_entry, F_HEX),
    F(domctx_vcpu, upcall_pending, F_DEC), F(domctx_vcpu, upcall_mask, F_DEC),
    F(domctx_vcpu, rax, F_HEX), F(domctx_vcpu, rbx, F_HEX), F(domctx_vcpu, rcx, F_HEX),
    F(domctx_vcpu, rdx, F_HEX), F(domctx_vcpu, rsi, F_HEX), F(domctx_vcpu, rdi, F_HEX),
    F(domctx_vcpu, rbp, F_HEX), F(domctx_vcpu, r8, F_HEX), F(domctx_vcpu, r9, F_HEX),
    F(domctx_vcpu, r10, F_HEX), F(domctx_vcpu, r11, F_HEX), F(domctx_vcpu, r12, F_HEX),
    F(domctx_vcpu, r13, F_HEX), F(domctx_vcpu, r14, F_HEX), F(domctx_vcpu, r15, F_HEX),
    F(domctx_vcpu, fs_base, F_HEX), F(domctx_vcpu, gs_base, F_HEX),
    F(domctx_vcpu, gs_base_kernel, F_HEX),
};

static const struct field evtchn_fields[] = {
    F(domctx_evtchn, port, F_DEC), F(domctx_evtchn, state, F_DEC),
    F(domctx_evtchn, remote_dom, F_DEC), F(domctx_evtchn, remote_port, F_DEC),
    F(domctx_evtchn, virq, F_DEC), F(domctx_evtchn, vcpu, F_DEC),
};

static const struct field grant_fields[] = {
    F(domctx_grant, ref, F_DEC), F(domctx_grant, grantee, F_DEC),
    F(domctx_grant, flags, F_HEX), F(domctx_grant, gpfn, F_HEX),
};

static const struct field grant_map_fields[] = {
    F(domctx_grant_map, slot, F_DEC), F(domctx_grant_map, granter, F_DEC),
    F(domctx_grant_map, readonly, F_DEC), F(domctx_grant_map, ref, F_DEC),
};

static const struct field timer_fields[] = {
    F(domctx_timer, deadline_ns, F_DEC),
};

static const struct field console_fields[] = {
    F(domctx_console, tokens, F_DEC), F(domctx_console, last_refill_ns, F_DEC),
    F(domctx_console, dropped, F_DEC), F(domctx_console, share_tokens, F_DEC),
    F(domctx_console, share_last_refill_ns, F_DEC),
    F(domctx_console, share_last_output_ns, F_DEC), F(domctx_console, share_burst, F_DEC),
    F(domctx_console, line_len, F_DEC), F(domctx_console, line, F_STR),
};

#undef F

struct entry_layout {
    uint16_t typecode;
    size_t size;
    const struct field *f;
    unsigned int n;
};

#define L(T, s, f) { DOMCTX_TYPE_##T, sizeof(struct s), f, ARRAY_SIZE(f) }
static const struct entry_layout layouts[] = {
    L(DOMAIN, domctx_domain, domain_fields), L(VCPU, domctx_vcpu, vcpu_fields),
    L(EVTCHN, domctx_evtchn, evtchn_fields), L(GRANT, domctx_grant, grant_fields),
    L(GRANT_MAP, domctx_grant_map, grant_map_fields), L(TIMER, domctx_timer, timer_fields),
    L(CONSOLE, domctx_console, console_fields),
};
#undef L

/* The layout of a public type, and its body zero-extended into buf (a
 * longer entry's tail is not shown); NULL for other types. */
static const struct entry_layout *entry_fields(const struct domctx_entry *e, uint8_t *buf,
                                               size_t bufsz)
{
    for (unsigned int i = 0; i < ARRAY_SIZE(layouts); i++) {
        if (layouts[i].typecode != e->typecode || layouts[i].size > bufsz)
            continue;
        memset(buf, 0, layouts[i].size);
        memcpy(buf, e->body, MIN((size_t)e->length, layouts[i].size));
        return &layouts[i];
    }
    return NULL;
}

static uint64_t field_value(const uint8_t *buf, const struct field *f)
{
    uint64_t v = 0;

    memcpy(&v, buf + f->off, MIN((size_t)f->size, sizeof(v)));  /* little-endian host */
    return v;
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

/* A NUL-padded string field, non-printable octets as \xNN. */
static void text_string(const uint8_t *p, size_t n)
{
    putchar('"');
    for (size_t i = 0; i < n && p[i]; i++) {
        if (p[i] == '"' || p[i] == '\\')
            printf("\\%c", p[i]);
        else if (p[i] < 0x20 || p[i] >= 0x7f)
            printf("\\x%02x", p[i]);
        else
            putchar(p[i]);
    }
    putchar('"');
}

static int text_entry(void *priv, const struct domctx_entry *e)
{
    const char *name = domctx_type_name(e->typecode);
    uint8_t buf[sizeof(struct domctx_console)];
    const struct entry_layout *l = entry_fields(e, buf, sizeof(buf));

    (void)priv;
    printf("    %s%s0x%04x vcpu %u%s length %u:", name ? name : "", name ? " " : "",
           e->typecode, e->vcpu_id, (e->flags & DOMCTX_FLAG_IGNORE) ? " IGNORE" : "", e->length);
    for (unsigned int i = 0; l && i < l->n; i++) {
        const struct field *f = &l->f[i];

        printf(" %s ", f->name);
        if (f->kind == F_STR)
            text_string(buf + f->off, f->size);
        else
            printf(f->kind == F_HEX ? "0x%llx" : "%llu", (unsigned long long)field_value(buf, f));
    }
    if (!l && e->length) {
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
    uint8_t buf[sizeof(struct domctx_console)];
    const struct entry_layout *l;

    printf("%s{\"type\": %u, \"name\": ", w->n++ ? ", " : "", e->typecode);
    if (name)
        json_string(name);
    else
        printf("null");
    printf(", \"vcpu\": %u, \"flags\": %u, \"ignore\": %s, \"length\": %u, \"data\": \"",
           e->vcpu_id, e->flags, (e->flags & DOMCTX_FLAG_IGNORE) ? "true" : "false", e->length);
    print_hex(stdout, e->body, e->length, "");
    printf("\"");
    l = entry_fields(e, buf, sizeof(buf));
    if (l) {
        printf(", \"fields\": {");
        for (unsigned int i = 0; i < l->n; i++) {
            const struct field *f = &l->f[i];

            printf("%s\"%s\": ", i ? ", " : "", f->name);
            if (f->kind == F_STR) {
                char str[DOMCTX_CONSOLE_LINE + 1];

                memcpy(str, buf + f->off, MIN((size_t)f->size, sizeof(str) - 1));
                str[MIN((size_t)f->size, sizeof(str) - 1)] = 0;
                json_string(str);
            } else {
                printf("%llu", (unsigned long long)field_value(buf, f));
            }
        }
        printf("}");
    }
    printf("}");
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

/* ------------------------------------------------------------ decode as restore does */

/*
 * Every check is the hypervisor's own code: the decode step of restore
 * (common/lu/decode.c), common/domain.c's domain table, the subsystems'
 * load handlers through domctx_load(), their restore checks.
 */

static char decode_err[1024];
static int decode_rc;

/* "what" followed by what the hypervisor printed since the last clear. */
static int __printf(2, 3) refuse(int rc, const char *fmt, ...)
{
    size_t n;
    va_list ap;

    va_start(ap, fmt);
    n = (size_t)vsnprintf(decode_err, sizeof(decode_err), fmt, ap);
    va_end(ap);
    for (const char *l = host_log(); *l && n < sizeof(decode_err) - 1;) {
        size_t len = strcspn(l, "\n");

        n += (size_t)snprintf(decode_err + n, sizeof(decode_err) - n, ": %.*s", (int)len, l);
        l += len + (l[len] == '\n');
    }
    decode_rc = rc;
    return rc;
}

/* The hypervisor's own decode (common/lu/decode.c), without guest memory. */
static int decode_all(const struct lu_stream *s)
{
    static struct lu_decoded dec;
    int rc;

    host_log_clear();
    rc = lu_decode_domains(s, false, &dec);
    if (rc)
        refuse(rc, "refused by this build's restore");
    return rc;
}

/* ------------------------------------------------------------ modes */

static const struct lu_range all_ram = { 0, LU_FRAME_LIMIT << PAGE_SHIFT };

static void base_reader(struct lu_reader *r, bool framing_only)
{
    memset(r, 0, sizeof(*r));
    lu_host_mem_init(&phys, true, false);
    lu_host_reader(r, &phys);
    r->ram = &all_ram;
    r->nr_ram = 1;
    /* Forensics of another build's stream: no entry checked by a handler. */
    r->flags = framing_only ? LU_READ_CONTEXT_FRAMING_ONLY : 0;
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
    fputs("usage: lu-dump [OPTIONS] --pages FILE --mfns FILE\n"
          "       lu-dump [OPTIONS] --memdump FILE --breadcrumb ADDR\n"
          "       lu-dump [OPTIONS] --stream FILE\n"
          "Decode a live update stream with this build's reader, then decode every\n"
          "domain's context as restore does: each entry through its subsystem's load\n"
          "handler (an unknown type is refused unless marked IGNORE), then the\n"
          "cross-domain checks (event channel peers, grant mappings). What it accepts,\n"
          "this build's restore accepts; guest memory is not looked at.\n"
          "  --pages FILE --mfns FILE  stream frames in order, and the MFN array\n"
          "  --memdump FILE            physical memory, raw or an ELF core, with\n"
          "  --breadcrumb ADDR         the physical address of the breadcrumb\n"
          "  --stream FILE             the records as one contiguous byte stream\n"
          "  --framing-only            check records and context framing only, no\n"
          "                            entry against this build's handlers (a\n"
          "                            stream from another build)\n"
          "  --json                    JSON on stdout\n"
          "  -v, --verbose             echo the hypervisor code's messages on stderr\n"
          "  -h, --help                this text\n"
          "Exit status: 0 valid, 1 invalid (the reader's error, or the domain and\n"
          "entry refused), 2 usage or I/O error.\n", stderr);
    exit(2);
}

int main(int argc, char **argv)
{
    const char *pages = NULL, *mfns = NULL, *memdump = NULL, *stream = NULL, *bc = NULL;
    static struct lu_stream s;
    struct lu_reader r;
    bool json = false, framing_only = false;
    int rc;

    host_tool_name = "lu-dump";

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **slot = !strcmp(a, "--pages") ? &pages : !strcmp(a, "--mfns") ? &mfns :
                            !strcmp(a, "--memdump") ? &memdump : !strcmp(a, "--stream") ? &stream :
                            !strcmp(a, "--breadcrumb") ? &bc : NULL;

        if (!strcmp(a, "--json"))
            json = true;
        else if (!strcmp(a, "--framing-only"))
            framing_only = true;
        else if (!strcmp(a, "-v") || !strcmp(a, "--verbose"))
            host_tool_verbose = true;
        else if (slot && i + 1 < argc)
            *slot = argv[++i];
        else
            usage();
    }
    base_reader(&r, framing_only);
    /* This build's handlers: the reader checks every entry's type with them. */
    if (!framing_only && domctx_init())
        die("cannot register the context handlers: %s", host_log());
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
    if (!framing_only && decode_all(&s)) {
        fprintf(stderr, "lu-dump: invalid stream (%d): %s\n", decode_rc, decode_err);
        if (json) {
            printf("{\"error\": ");
            json_string(decode_err);
            printf(", \"code\": %d}\n", decode_rc);
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
