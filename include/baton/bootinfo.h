/*
 * The boot information, whatever protocol delivered it. boot/multiboot.c
 * fills it from a multiboot1 or multiboot2 information structure; the rest
 * of the hypervisor reads only this.
 */
#ifndef BATON_BOOTINFO_H
#define BATON_BOOTINFO_H

#include <public/multiboot2.h>
#include <baton/types.h>

#define BOOT_CMDLINE_MAX   1024
#define BOOT_MEM_MAX       128
#define BOOT_MODS_MAX      16
#define BOOT_MOD_CMDLINE_MAX 512
#define BOOT_LOADER_MAX    64

/* Memory types as the BIOS e820 call and multiboot report them. */
enum mem_type {
    MEM_RAM = 1,
    MEM_RESERVED = 2,
    MEM_ACPI = 3,
    MEM_NVS = 4,
    MEM_UNUSABLE = 5,
};

struct mem_range {
    uint64_t start;
    uint64_t size;
    uint32_t type;
};

struct boot_module {
    paddr_t start;
    paddr_t end;          /* exclusive */
    char cmdline[BOOT_MOD_CMDLINE_MAX];
};

struct boot_info {
    unsigned int protocol;            /* 1 or 2: multiboot version */
    char cmdline[BOOT_CMDLINE_MAX];
    char loader[BOOT_LOADER_MAX];
    unsigned int nr_mem;
    struct mem_range mem[BOOT_MEM_MAX];
    unsigned int nr_mods;
    struct boot_module mods[BOOT_MODS_MAX];
};

#define MB1_BOOT_MAGIC 0x2badb002
#define MB2_BOOT_MAGIC MB2_BOOTLOADER_MAGIC

/*
 * Map [pa, pa + len) for reading, or NULL when it cannot be (outside what is
 * mapped, or pa + len overflows). The hypervisor passes the direct map.
 */
typedef const void *(*boot_map_fn)(paddr_t pa, size_t len);

/* Fill *bi from the boot information at mbi_pa; 0 or -BATON_E*. */
int bootinfo_parse(struct boot_info *bi, uint32_t magic, paddr_t mbi_pa, boot_map_fn map);

#endif
