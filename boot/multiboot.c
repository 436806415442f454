/*
 * Multiboot1 and multiboot2 boot information -> struct boot_info.
 *
 * The loader's structure is untrusted input like any other: every size is
 * checked against what contains it before the bytes behind it are read,
 * strings are copied with a bound, and too many entries are reported and
 * dropped rather than overflowing our arrays.
 */
#include <baton/bootinfo.h>
#include <baton/errno.h>
#include <baton/lib.h>
#include <baton/printk.h>
#include <public/multiboot2.h>

/* multiboot1 information structure (fields we use, by offset) */
#define MB1_FLAG_MEM      (1u << 0)
#define MB1_FLAG_CMDLINE  (1u << 2)
#define MB1_FLAG_MODS     (1u << 3)
#define MB1_FLAG_MMAP     (1u << 6)
#define MB1_FLAG_LOADER   (1u << 9)
#define MB1_INFO_SIZE     68

struct mb1_info {
    uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
    uint32_t mods_count, mods_addr;
    uint32_t syms[4];
    uint32_t mmap_length, mmap_addr;
    uint32_t drives_length, drives_addr, config_table, boot_loader_name;
};
_Static_assert(sizeof(struct mb1_info) == MB1_INFO_SIZE, "mb1 info layout");

struct mb1_module {
    uint32_t mod_start, mod_end, string, reserved;
};

/* multiboot2 (tag numbers: public/multiboot2.h) */
#define MB2_INFO_MAX      (1u << 20)   /* refuse absurd total sizes */

struct mb2_tag {
    uint32_t type, size;
};

struct mb2_mmap_entry {
    uint64_t addr, len;
    uint32_t type, zero;
};

#define MB1_STRING_MAX 4096

/*
 * Copy len bytes at physical pa; false when unmapped. Everything the loader
 * wrote is read this way: its structures need not be aligned.
 */
static bool read_phys(void *dst, paddr_t pa, size_t len, boot_map_fn map)
{
    const void *src = map(pa, len);

    if (!src)
        return false;
    memcpy(dst, src, len);
    return true;
}

/* Copy a NUL-terminated string at physical pa into dst (bounded). */
static int copy_phys_string(char *dst, size_t dst_size, paddr_t pa, boot_map_fn map)
{
    size_t i;

    for (i = 0; i + 1 < dst_size; i++) {
        const char *c = map(pa + i, 1);
        if (!c)
            return -BATON_EFAULT;
        if (*c == '\0')
            break;
        dst[i] = *c;
    }
    dst[i] = '\0';
    return 0;
}

/* Copy a string of at most len bytes (not necessarily terminated). */
static void copy_bounded_string(char *dst, size_t dst_size, const char *src, size_t len)
{
    size_t n = strnlen(src, len);

    if (n >= dst_size)
        n = dst_size - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static void add_mem(struct boot_info *bi, uint64_t start, uint64_t size, uint32_t type)
{
    if (bi->nr_mem == BOOT_MEM_MAX) {
        pr_warn("boot: more than %d memory map entries, ignoring 0x%llx+0x%llx\n",
                BOOT_MEM_MAX, (unsigned long long)start, (unsigned long long)size);
        return;
    }
    bi->mem[bi->nr_mem++] = (struct mem_range){ .start = start, .size = size, .type = type };
}

static struct boot_module *add_module(struct boot_info *bi, paddr_t start, paddr_t end)
{
    struct boot_module *m;

    if (end < start) {
        pr_warn("boot: module 0x%llx-0x%llx ends before it starts, ignored\n",
                (unsigned long long)start, (unsigned long long)end);
        return NULL;
    }
    if (bi->nr_mods == BOOT_MODS_MAX) {
        pr_warn("boot: more than %d modules, ignoring the rest\n", BOOT_MODS_MAX);
        return NULL;
    }
    m = &bi->mods[bi->nr_mods++];
    m->start = start;
    m->end = end;
    m->cmdline[0] = '\0';
    return m;
}

/* ---------------------------------------------------------------- multiboot1 */

static void mb1_parse_mmap(struct boot_info *bi, const struct mb1_info *info, boot_map_fn map)
{
    paddr_t pa = info->mmap_addr, end = (paddr_t)info->mmap_addr + info->mmap_length;

    while (pa + 4 <= end) {
        struct { uint64_t addr, len; uint32_t type; } __packed e;
        uint32_t size;

        if (!read_phys(&size, pa, 4, map) || size < 20 || pa + 4 + size > end ||
            !read_phys(&e, pa + 4, sizeof(e), map)) {
            pr_warn("boot: malformed multiboot1 memory map entry at 0x%llx\n",
                    (unsigned long long)pa);
            return;
        }
        add_mem(bi, e.addr, e.len, e.type);
        pa += 4 + size;
    }
}

static void mb1_parse_modules(struct boot_info *bi, const struct mb1_info *info, boot_map_fn map)
{
    for (uint32_t i = 0; i < info->mods_count && i < BOOT_MODS_MAX + 1; i++) {
        struct mb1_module mod;
        struct boot_module *m;

        if (!read_phys(&mod, (paddr_t)info->mods_addr + i * sizeof(mod), sizeof(mod), map)) {
            pr_warn("boot: multiboot1 module %u not readable\n", i);
            return;
        }
        m = add_module(bi, mod.mod_start, mod.mod_end);
        if (m && mod.string)
            copy_phys_string(m->cmdline, sizeof(m->cmdline), mod.string, map);
    }
}

static int mb1_parse(struct boot_info *bi, paddr_t mbi_pa, boot_map_fn map)
{
    struct mb1_info info;

    if (!read_phys(&info, mbi_pa, sizeof(info), map))
        return -BATON_EFAULT;
    bi->protocol = 1;
    if (info.flags & MB1_FLAG_CMDLINE)
        copy_phys_string(bi->cmdline, sizeof(bi->cmdline), info.cmdline, map);
    if (info.flags & MB1_FLAG_LOADER)
        copy_phys_string(bi->loader, sizeof(bi->loader), info.boot_loader_name, map);
    if (info.flags & MB1_FLAG_MMAP)
        mb1_parse_mmap(bi, &info, map);
    if (bi->nr_mem == 0 && (info.flags & MB1_FLAG_MEM)) {
        add_mem(bi, 0, (uint64_t)info.mem_lower << 10, MEM_RAM);
        add_mem(bi, MiB(1), (uint64_t)info.mem_upper << 10, MEM_RAM);
    }
    if (info.flags & MB1_FLAG_MODS)
        mb1_parse_modules(bi, &info, map);
    return 0;
}

/* ---------------------------------------------------------------- multiboot2 */

static void mb2_parse_mmap(struct boot_info *bi, const uint8_t *tag, uint32_t size)
{
    uint32_t entry_size, off;

    if (size < 16) {
        pr_warn("boot: multiboot2 memory map tag too short (%u)\n", size);
        return;
    }
    memcpy(&entry_size, tag + 8, 4);
    if (entry_size < sizeof(struct mb2_mmap_entry) || entry_size % 8) {
        pr_warn("boot: multiboot2 memory map entry size %u, want >= %zu and a multiple of 8\n",
                entry_size, sizeof(struct mb2_mmap_entry));
        return;
    }
    for (off = 16; (uint64_t)off + entry_size <= size; off += entry_size) {
        struct mb2_mmap_entry e;
        memcpy(&e, tag + off, sizeof(e));
        add_mem(bi, e.addr, e.len, e.type);
    }
}

static void mb2_parse_meminfo(struct boot_info *bi, const uint8_t *tag, uint32_t size)
{
    uint32_t lower, upper;

    if (size < 16)
        return;
    memcpy(&lower, tag + 8, 4);
    memcpy(&upper, tag + 12, 4);
    add_mem(bi, 0, (uint64_t)lower << 10, MEM_RAM);
    add_mem(bi, MiB(1), (uint64_t)upper << 10, MEM_RAM);
}

static void mb2_parse_module(struct boot_info *bi, const uint8_t *tag, uint32_t size)
{
    uint32_t start, end;
    struct boot_module *m;

    if (size < 16) {
        pr_warn("boot: multiboot2 module tag too short (%u)\n", size);
        return;
    }
    memcpy(&start, tag + 8, 4);
    memcpy(&end, tag + 12, 4);
    m = add_module(bi, start, end);
    if (m)
        copy_bounded_string(m->cmdline, sizeof(m->cmdline), (const char *)tag + 16, size - 16);
}

static void mb2_parse_tag(struct boot_info *bi, const uint8_t *tag, uint32_t type, uint32_t size,
                         bool *have_mmap)
{
    switch (type) {
    case MB2_TAG_CMDLINE:
        copy_bounded_string(bi->cmdline, sizeof(bi->cmdline), (const char *)tag + 8, size - 8);
        break;
    case MB2_TAG_LOADER:
        copy_bounded_string(bi->loader, sizeof(bi->loader), (const char *)tag + 8, size - 8);
        break;
    case MB2_TAG_MODULE:
        mb2_parse_module(bi, tag, size);
        break;
    case MB2_TAG_MMAP:
        *have_mmap = true;
        mb2_parse_mmap(bi, tag, size);
        break;
    default:
        break;
    }
}

static int mb2_parse(struct boot_info *bi, paddr_t mbi_pa, boot_map_fn map)
{
    const uint8_t *mbi, *meminfo = NULL;
    uint32_t total, off, size = 0, meminfo_size = 0;
    bool have_mmap = false;

    uint32_t header[2];         /* total_size, reserved */

    if (!read_phys(header, mbi_pa, sizeof(header), map))
        return -BATON_EFAULT;
    total = header[0];
    if (total < 16 || total > MB2_INFO_MAX) {
        pr_err("boot: multiboot2 info size %u, want 16..%u\n", total, MB2_INFO_MAX);
        return -BATON_EINVAL;
    }
    mbi = map(mbi_pa, total);
    if (!mbi)
        return -BATON_EFAULT;
    bi->protocol = 2;

    for (off = 8; off + 8 <= total; off = (uint32_t)ALIGN_UP((uint64_t)off + size, 8)) {
        struct mb2_tag t;

        memcpy(&t, mbi + off, sizeof(t));
        size = t.size;
        if (size < 8 || size > total - off) {
            pr_err("boot: multiboot2 tag %u at offset %u has size %u (room %u)\n",
                   t.type, off, size, total - off);
            return -BATON_EINVAL;
        }
        if (t.type == MB2_TAG_END)
            break;
        if (t.type == MB2_TAG_MEMINFO) {
            meminfo = mbi + off;
            meminfo_size = size;
        }
        mb2_parse_tag(bi, mbi + off, t.type, size, &have_mmap);
    }
    if (!have_mmap && meminfo)
        mb2_parse_meminfo(bi, meminfo, meminfo_size);
    return 0;
}

int bootinfo_parse(struct boot_info *bi, uint32_t magic, paddr_t mbi_pa, boot_map_fn map)
{
    memset(bi, 0, sizeof(*bi));
    switch (magic) {
    case MB1_BOOT_MAGIC:
        return mb1_parse(bi, mbi_pa, map);
    case MB2_BOOT_MAGIC:
        return mb2_parse(bi, mbi_pa, map);
    default:
        pr_err("boot: unknown boot magic 0x%x, want 0x%x (multiboot1) or 0x%x (multiboot2)\n",
               magic, MB1_BOOT_MAGIC, MB2_BOOT_MAGIC);
        return -BATON_EINVAL;
    }
}
