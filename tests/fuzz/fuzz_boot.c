/*
 * libFuzzer target: the boot information parser and the command line parser,
 * fed what a broken or hostile boot loader could hand over.
 *
 * Input: byte 0 picks the protocol (even: multiboot1, odd: multiboot2), bytes
 * 1.. are "physical memory" from address 0, and the boot information sits at
 * address 0 of it. Pointers inside (mb1 strings, maps, modules) point into
 * the same buffer; anything outside it is unmapped.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <baton/bootinfo.h>
#include <baton/cmdline.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t *phys;
static size_t phys_size;

static const void *fuzz_map(paddr_t pa, size_t len)
{
    if (pa > phys_size || len > phys_size - pa)
        return NULL;
    return phys + pa;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct boot_info bi;
    struct boot_options opts;

    if (size < 1)
        return 0;
    phys = data + 1;
    phys_size = size - 1;
    if (bootinfo_parse(&bi, data[0] & 1 ? MB2_BOOT_MAGIC : MB1_BOOT_MAGIC, 0, fuzz_map) == 0) {
        /* what the parser produced must be bounded and terminated */
        if (bi.nr_mem > BOOT_MEM_MAX || bi.nr_mods > BOOT_MODS_MAX ||
            strnlen(bi.cmdline, sizeof(bi.cmdline)) == sizeof(bi.cmdline))
            __builtin_trap();
        cmdline_parse(bi.cmdline, &opts);
    }
    return 0;
}
