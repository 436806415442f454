/*
 * The image hvctl kexec load takes (ELF64 + multiboot2 header with the
 * relocatable tag) and the multiboot2 information it builds for it. The
 * file is untrusted input: every offset and size is checked against the
 * file before the octets behind it are read.
 */
#include <elf.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kexec_image.h"

#define PAGE 4096ull
#define ALIGN_UP(x, a) (((x) + (a) - 1) & ~((uint64_t)(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((uint64_t)(a) - 1))

/* multiboot2 header tags (the image's side) */
#define MB2H_END            0
#define MB2H_INFO_REQUEST   1
#define MB2H_ADDRESS        2
#define MB2H_ENTRY          3
#define MB2H_FLAGS          4
#define MB2H_FRAMEBUFFER    5
#define MB2H_MODULE_ALIGN   6
#define MB2H_EFI_BS         7
#define MB2H_ENTRY_EFI32    8
#define MB2H_ENTRY_EFI64    9
#define MB2H_RELOCATABLE    10
#define MB2H_OPTIONAL       1u

static int fail(char *err, size_t len, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, len, fmt, ap);
    va_end(ap);
    return -1;
}

static uint32_t rd32(const uint8_t *p)
{
    uint32_t v;

    memcpy(&v, p, 4);
    return v;
}

static uint16_t rd16(const uint8_t *p)
{
    uint16_t v;

    memcpy(&v, p, 2);
    return v;
}

/* An MBI tag an image may ask for in its information request: ours. */
static int mbi_tag_provided(uint32_t type)
{
    return type == MB2_TAG_CMDLINE || type == MB2_TAG_LOADER || type == MB2_TAG_MODULE ||
           type == MB2_TAG_MEMINFO || type == MB2_TAG_MMAP || type == MB2_TAG_LOAD_BASE;
}

static int parse_mb2_tags(const uint8_t *h, uint32_t hlen, struct mb2_image *img, int *reloc,
                          char *err, size_t err_len)
{
    uint32_t off = 16;

    while (off + 8 <= hlen) {
        uint16_t type = rd16(h + off), flags = rd16(h + off + 2);
        uint32_t size = rd32(h + off + 4);

        if (size < 8 || size > hlen - off)
            return fail(err, err_len, "multiboot2 header tag %u at +%u has size %u (room %u)",
                        type, off, size, hlen - off);
        switch (type) {
        case MB2H_END:
            return 0;
        case MB2H_INFO_REQUEST:
            for (uint32_t i = 8; i + 4 <= size; i += 4)
                if (!mbi_tag_provided(rd32(h + off + i)) && !(flags & MB2H_OPTIONAL))
                    return fail(err, err_len, "the image requires MBI tag %u, which hvctl "
                                "does not provide", rd32(h + off + i));
            break;
        case MB2H_ENTRY:
            if (size < 12)
                return fail(err, err_len, "multiboot2 entry address tag too short (%u)", size);
            img->has_entry_tag = 1;
            img->entry_tag = rd32(h + off + 8);
            break;
        case MB2H_RELOCATABLE:
            if (size < 24)
                return fail(err, err_len, "multiboot2 relocatable tag too short (%u)", size);
            img->min_addr = rd32(h + off + 8);
            img->max_addr = rd32(h + off + 12);
            img->align = rd32(h + off + 16);
            img->preference = rd32(h + off + 20);
            *reloc = 1;
            break;
        case MB2H_ADDRESS:          /* the ELF program headers say the same */
        case MB2H_FLAGS:
        case MB2H_MODULE_ALIGN:     /* modules are page aligned anyway */
            break;
        default:                    /* framebuffer, EFI: nothing to give */
            if (!(flags & MB2H_OPTIONAL))
                return fail(err, err_len, "the image requires multiboot2 header tag %u, "
                            "which hvctl does not support", type);
            break;
        }
        off = (uint32_t)ALIGN_UP((uint64_t)off + size, 8);
    }
    return fail(err, err_len, "multiboot2 header without an end tag");
}

static int find_mb2_header(const uint8_t *file, size_t size, struct mb2_image *img, char *err,
                           size_t err_len)
{
    size_t limit = size < MB2_SEARCH ? size : MB2_SEARCH;
    int reloc = 0;

    for (size_t off = 0; off + 16 <= limit; off += 8) {
        uint32_t magic = rd32(file + off), arch = rd32(file + off + 4);
        uint32_t hlen = rd32(file + off + 8), sum = rd32(file + off + 12);

        if (magic != MB2_HEADER_MAGIC)
            continue;
        if ((uint32_t)(magic + arch + hlen + sum) != 0)
            continue;   /* not a header: the checksum is what tells */
        if (arch != 0)
            return fail(err, err_len, "multiboot2 header architecture %u, want 0 (i386 "
                        "protected mode)", arch);
        if (hlen < 24 || hlen > size - off)
            return fail(err, err_len, "multiboot2 header length %u does not fit the file", hlen);
        img->header_offset = (uint32_t)off;
        if (parse_mb2_tags(file + off, hlen, img, &reloc, err, err_len))
            return -1;
        if (!reloc)
            return fail(err, err_len, "the multiboot2 header has no relocatable tag (type 10): "
                        "hvctl only loads relocatable images (it places them over MA_XEN)");
        return 0;
    }
    return fail(err, err_len, "no multiboot2 header (magic 0x%x, 8-aligned, in the first "
                "%u octets): not a multiboot2 image", MB2_HEADER_MAGIC, MB2_SEARCH);
}

static int parse_elf(const uint8_t *file, size_t size, struct mb2_image *img, uint64_t *e_entry,
                     char *err, size_t err_len)
{
    Elf64_Ehdr eh;
    uint64_t lo = UINT64_MAX, file_hi = 0, mem_hi = 0;

    if (size < sizeof(eh) || memcmp(file, ELFMAG, SELFMAG))
        return fail(err, err_len, "not an ELF file");
    memcpy(&eh, file, sizeof(eh));
    if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB)
        return fail(err, err_len, "not a little-endian ELF64 file");
    if (eh.e_machine != EM_X86_64)
        return fail(err, err_len, "ELF machine %u, want %u (x86-64)", eh.e_machine, EM_X86_64);
    if (eh.e_type != ET_EXEC)
        return fail(err, err_len, "ELF type %u, want an executable (%u)", eh.e_type, ET_EXEC);
    if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phoff > size ||
        (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr) > size - eh.e_phoff)
        return fail(err, err_len, "ELF program headers do not fit the file");
    *e_entry = eh.e_entry;

    for (unsigned int i = 0; i < eh.e_phnum; i++) {
        Elf64_Phdr ph;

        memcpy(&ph, file + eh.e_phoff + (uint64_t)i * sizeof(ph), sizeof(ph));
        if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
            continue;
        if (img->nr_loads == MB2_IMAGE_LOADS_MAX)
            return fail(err, err_len, "more than %u PT_LOAD segments", MB2_IMAGE_LOADS_MAX);
        if (ph.p_filesz > ph.p_memsz || ph.p_offset > size || ph.p_filesz > size - ph.p_offset)
            return fail(err, err_len, "PT_LOAD %u: file octets 0x%llx+0x%llx (memsz 0x%llx) do "
                        "not fit the file", i, (unsigned long long)ph.p_offset,
                        (unsigned long long)ph.p_filesz, (unsigned long long)ph.p_memsz);
        if (ph.p_paddr + ph.p_memsz < ph.p_paddr || ph.p_paddr + ph.p_memsz > (1ull << 32))
            return fail(err, err_len, "PT_LOAD %u: physical 0x%llx+0x%llx is not below 4 GiB", i,
                        (unsigned long long)ph.p_paddr, (unsigned long long)ph.p_memsz);
        for (unsigned int j = 0; j < img->nr_loads; j++)
            if (ph.p_paddr < img->loads[j].paddr + img->loads[j].memsz &&
                img->loads[j].paddr < ph.p_paddr + ph.p_memsz)
                return fail(err, err_len, "PT_LOAD segments overlap in physical memory");
        img->loads[img->nr_loads].paddr = ph.p_paddr;
        img->loads[img->nr_loads].offset = ph.p_offset;
        img->loads[img->nr_loads].filesz = ph.p_filesz;
        img->loads[img->nr_loads].memsz = ph.p_memsz;
        img->nr_loads++;
        if (ph.p_paddr < lo)
            lo = ph.p_paddr;
        if (ph.p_filesz && ph.p_paddr + ph.p_filesz > file_hi)
            file_hi = ph.p_paddr + ph.p_filesz;
        if (ph.p_paddr + ph.p_memsz > mem_hi)
            mem_hi = ph.p_paddr + ph.p_memsz;
        /* the entry may be given virtually: turn it physical */
        if (eh.e_entry >= ph.p_vaddr && eh.e_entry < ph.p_vaddr + ph.p_memsz &&
            !(eh.e_entry >= ph.p_paddr && eh.e_entry < ph.p_paddr + ph.p_memsz))
            *e_entry = eh.e_entry - ph.p_vaddr + ph.p_paddr;
    }
    if (!img->nr_loads)
        return fail(err, err_len, "no PT_LOAD segment");
    img->link_base = ALIGN_DOWN(lo, PAGE);
    img->file_extent = file_hi > img->link_base ? file_hi - img->link_base : 0;
    img->mem_extent = ALIGN_UP(mem_hi, PAGE) - img->link_base;
    return 0;
}

int mb2_image_parse(const uint8_t *file, size_t size, struct mb2_image *img, char *err,
                    size_t err_len)
{
    uint64_t e_entry = 0;

    memset(img, 0, sizeof(*img));
    if (parse_elf(file, size, img, &e_entry, err, err_len))
        return -1;
    if (find_mb2_header(file, size, img, err, err_len))
        return -1;
    if (img->align == 0 || (img->align & (img->align - 1)) || img->align % PAGE)
        return fail(err, err_len, "relocatable tag alignment 0x%x: want a power of two, at "
                    "least a page", img->align);
    if (img->min_addr > img->max_addr)
        return fail(err, err_len, "relocatable tag min 0x%x above max 0x%x", img->min_addr,
                    img->max_addr);
    /* as kexec-tools: the entry address tag when there is one, else e_entry */
    img->entry = img->has_entry_tag ? img->entry_tag : e_entry;
    for (unsigned int i = 0; i < img->nr_loads; i++)
        if (img->entry >= img->loads[i].paddr &&
            img->entry < img->loads[i].paddr + img->loads[i].filesz)
            return 0;
    return fail(err, err_len, "entry 0x%llx lies in no PT_LOAD's file octets",
                (unsigned long long)img->entry);
}

void mb2_image_bytes(const uint8_t *file, const struct mb2_image *img, uint8_t *out)
{
    memset(out, 0, img->file_extent);
    for (unsigned int i = 0; i < img->nr_loads; i++)
        memcpy(out + (img->loads[i].paddr - img->link_base), file + img->loads[i].offset,
               img->loads[i].filesz);
}

/* ------------------------------------------------------------ the MBI */

struct mbi_writer {
    uint8_t *out;
    size_t max, len;
};

static void put(struct mbi_writer *w, const void *p, size_t n)
{
    if (w->out && w->len + n <= w->max)
        memcpy(w->out + w->len, p, n);
    w->len += n;
}

static void put32(struct mbi_writer *w, uint32_t v)
{
    put(w, &v, 4);
}

static void put64(struct mbi_writer *w, uint64_t v)
{
    put(w, &v, 8);
}

static void pad8(struct mbi_writer *w)
{
    static const uint8_t zero[8];

    put(w, zero, ALIGN_UP(w->len, 8) - w->len);
}

static void tag_string(struct mbi_writer *w, uint32_t type, const char *s)
{
    size_t n = strlen(s) + 1;

    put32(w, type);
    put32(w, (uint32_t)(8 + n));
    put(w, s, n);
    pad8(w);
}

size_t mbi_build(const struct mbi_input *in, uint8_t *out, size_t max)
{
    struct mbi_writer w = { out, max, 0 };
    uint64_t lower = 0, upper = 0;

    put32(&w, 0);               /* total_size, written last */
    put32(&w, 0);               /* reserved */
    tag_string(&w, MB2_TAG_CMDLINE, in->cmdline);
    tag_string(&w, MB2_TAG_LOADER, in->loader);

    for (unsigned int i = 0; i < in->nr_mods; i++) {
        size_t n = strlen(in->mods[i].cmdline) + 1;

        put32(&w, MB2_TAG_MODULE);
        put32(&w, (uint32_t)(16 + n));
        put32(&w, in->mods[i].start);
        put32(&w, in->mods[i].end);
        put(&w, in->mods[i].cmdline, n);
        pad8(&w);
    }

    /* basic memory information: KiB of RAM from 0 and from 1 MiB */
    for (unsigned int i = 0; i < in->nr_map; i++) {
        const struct control_e820 *e = &in->map[i];

        if (e->type != CONTROL_E820_RAM)
            continue;
        if (e->addr == 0)
            lower = e->size > 640 * 1024 ? 640 * 1024 : e->size;
        if (e->addr <= 0x100000 && e->addr + e->size > 0x100000)
            upper = e->addr + e->size - 0x100000;
    }
    if (upper > 0xffffffffull << 10)
        upper = 0xffffffffull << 10;
    put32(&w, MB2_TAG_MEMINFO);
    put32(&w, 16);
    put32(&w, (uint32_t)(lower >> 10));
    put32(&w, (uint32_t)(upper >> 10));

    /* memory map: entry_size 24, entry_version 0, {addr, len, type, zero} */
    put32(&w, MB2_TAG_MMAP);
    put32(&w, 16 + 24 * in->nr_map);
    put32(&w, 24);
    put32(&w, 0);
    for (unsigned int i = 0; i < in->nr_map; i++) {
        put64(&w, in->map[i].addr);
        put64(&w, in->map[i].size);
        put32(&w, in->map[i].type);
        put32(&w, 0);
    }

    put32(&w, MB2_TAG_LOAD_BASE);
    put32(&w, 12);
    put32(&w, in->load_base);
    pad8(&w);

    put32(&w, MB2_TAG_END);
    put32(&w, 8);

    if (out && w.len <= max) {
        uint32_t total = (uint32_t)w.len;
        memcpy(out, &total, 4);
    }
    return w.len;
}
