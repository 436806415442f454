/*
 * hvctl kexec load's pieces that need no control line: the ELF64 image
 * with its multiboot2 header (the relocatable tag), the multiboot2 boot
 * information (MBI) hvctl hands the new image, and the purgatory blob
 * (purgatory.asm, embedded by hvctl.mk) with the offsets hvctl patches.
 * Used by kexec_load.c. See docs/boot-protocol.md, "hvctl's purgatory and
 * MBI".
 */
#ifndef TOOLS_HVCTL_KEXEC_IMAGE_H
#define TOOLS_HVCTL_KEXEC_IMAGE_H

#include <stddef.h>
#include <stdint.h>
#include <public/control.h>
#include <public/multiboot2.h>

/* ------------------------------------------------------------ the purgatory */

/* The flat blob (nasm -f bin of tools/hvctl/purgatory.asm). */
extern const unsigned char hvctl_purgatory[];
extern const unsigned char hvctl_purgatory_end[];

/* Fixed offsets in the blob (purgatory.asm checks them at assembly time). */
#define PURG_MBI            0x08    /* u64: the MBI's physical address (< 4 GiB) */
#define PURG_ENTRY          0x10    /* u64: the image's multiboot2 32-bit entry (< 4 GiB) */
#define PURG_SIGNATURE      0x18    /* 8 octets: PURG_SIGNATURE_TEXT */
#define PURG_SIGNATURE_TEXT "hvctlPG1"

/* ------------------------------------------------------------ the image */

#define MB2_SEARCH          32768u  /* the header lies in the file's first 32 KiB */
#define MB2_IMAGE_LOADS_MAX 8u

struct mb2_image {
    /* multiboot2 header */
    uint32_t header_offset;     /* in the file */
    int has_entry_tag;
    uint32_t entry_tag;         /* entry address tag (unrelocated) */
    /* relocatable tag */
    uint32_t min_addr, max_addr, align, preference;
    /* PT_LOAD segments, by physical address */
    unsigned int nr_loads;
    struct {
        uint64_t paddr, offset, filesz, memsz;
    } loads[MB2_IMAGE_LOADS_MAX];
    uint64_t link_base;         /* lowest p_paddr, page aligned down */
    uint64_t file_extent;       /* link_base .. last file octet */
    uint64_t mem_extent;        /* link_base .. last memory octet, page aligned up */
    uint64_t entry;             /* unrelocated entry: the entry tag, else e_entry */
};

/*
 * Parse an ELF64 x86-64 image with a multiboot2 header carrying the
 * relocatable tag. 0, or -1 with a one-line reason in err.
 */
int mb2_image_parse(const uint8_t *file, size_t size, struct mb2_image *img, char *err,
                    size_t err_len);

/*
 * The image's loadable octets, as they lie in memory from link_base, up to
 * the last file octet (file_extent octets; gaps between PT_LOADs zero).
 * Memory beyond is zero-filled by kexec (dest_size > buf_size), never
 * uploaded.
 */
void mb2_image_bytes(const uint8_t *file, const struct mb2_image *img, uint8_t *out);

/* ------------------------------------------------------------ the MBI */

struct mbi_module {
    uint32_t start, end;        /* physical; end exclusive (multiboot2's mod_end) */
    const char *cmdline;
};

struct mbi_input {
    const char *cmdline;
    const char *loader;
    const struct mbi_module *mods;
    unsigned int nr_mods;
    const struct control_e820 *map;
    unsigned int nr_map;
    uint32_t load_base;         /* the image's load address (tag 21) */
};

/*
 * Build the MBI into out (max octets; NULL to measure): total size and
 * reserved, then command line, boot loader name, modules, basic memory
 * information, memory map (e820 types, entry size 24) and load base
 * address tags, each 8-aligned, and the end tag. Returns the size, which
 * does not depend on the addresses inside.
 */
size_t mbi_build(const struct mbi_input *in, uint8_t *out, size_t max);

#endif
