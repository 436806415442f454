/*
 * libFuzzer target: the guest ELF checker, fed arbitrary module bytes. A
 * success must describe an image whose entry and segments fit the memory.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <baton/domain.h>
#include <baton/domain_build.h>
#include <baton/errno.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MEM_SIZE (64ULL << 20)

/* elf.c's loader copies into a domain; the checker alone is fuzzed here */
int copy_to_guest(const struct domain *d, uint64_t gva, const void *src, size_t len)
{
    (void)d, (void)gva, (void)src, (void)len;
    return -BATON_EFAULT;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t entry;

    if (elf_check(data, size, FUZZ_MEM_SIZE, &entry) == 0 &&
        (entry < PV_KERNEL_BASE || entry >= FUZZ_MEM_SIZE))
        __builtin_trap();
    return 0;
}
