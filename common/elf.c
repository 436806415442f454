/*
 * ELF64 guest images. A boot module is untrusted input: every offset and
 * size is checked against the file and against the guest's memory before
 * anything is copied.
 */
#include <baton/domain.h>
#include <baton/domain_build.h>
#include <baton/errno.h>
#include <baton/lib.h>
#include <baton/printk.h>

#define EI_NIDENT   16
#define ELFCLASS64  2
#define ELFDATA2LSB 1
#define ET_EXEC     2
#define EM_X86_64   62
#define PT_LOAD     1
#define PHNUM_MAX   64

struct elf64_ehdr {
    uint8_t  e_ident[EI_NIDENT];
    uint16_t e_type, e_machine;
    uint32_t e_version;
    uint64_t e_entry, e_phoff, e_shoff;
    uint32_t e_flags;
    uint16_t e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx;
};
_Static_assert(sizeof(struct elf64_ehdr) == 64, "ELF64 header");

struct elf64_phdr {
    uint32_t p_type, p_flags;
    uint64_t p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_align;
};
_Static_assert(sizeof(struct elf64_phdr) == 56, "ELF64 program header");

static int check_header(const struct elf64_ehdr *eh, size_t size)
{
    if (memcmp(eh->e_ident, "\177ELF", 4)) {
        pr_err("elf: no ELF magic\n");
        return -BATON_EINVAL;
    }
    if (eh->e_ident[4] != ELFCLASS64 || eh->e_ident[5] != ELFDATA2LSB ||
        eh->e_machine != EM_X86_64 || eh->e_type != ET_EXEC) {
        pr_err("elf: want a little-endian ELF64 x86-64 executable, got class %u data %u "
               "machine %u type %u\n", eh->e_ident[4], eh->e_ident[5], eh->e_machine, eh->e_type);
        return -BATON_EINVAL;
    }
    if (eh->e_phentsize != sizeof(struct elf64_phdr) || eh->e_phnum == 0 ||
        eh->e_phnum > PHNUM_MAX || eh->e_phoff > size ||
        (size - eh->e_phoff) / sizeof(struct elf64_phdr) < eh->e_phnum) {
        pr_err("elf: program headers (offset 0x%llx, %u of %u bytes) do not fit the %zu-byte file\n",
               (unsigned long long)eh->e_phoff, eh->e_phnum, eh->e_phentsize, size);
        return -BATON_EINVAL;
    }
    return 0;
}

static int check_segment(const struct elf64_phdr *ph, size_t size, uint64_t mem_size)
{
    if (ph->p_filesz > ph->p_memsz || ph->p_offset > size || ph->p_filesz > size - ph->p_offset) {
        pr_err("elf: segment at 0x%llx: %llu file bytes at offset 0x%llx (file %zu bytes, memsz %llu)\n",
               (unsigned long long)ph->p_vaddr, (unsigned long long)ph->p_filesz,
               (unsigned long long)ph->p_offset, size, (unsigned long long)ph->p_memsz);
        return -BATON_EINVAL;
    }
    if (ph->p_vaddr < PV_KERNEL_BASE || ph->p_vaddr > mem_size ||
        ph->p_memsz > mem_size - ph->p_vaddr) {
        pr_err("elf: segment 0x%llx+0x%llx outside guest memory [0x%llx, 0x%llx)\n",
               (unsigned long long)ph->p_vaddr, (unsigned long long)ph->p_memsz,
               (unsigned long long)PV_KERNEL_BASE, (unsigned long long)mem_size);
        return -BATON_EINVAL;
    }
    return 0;
}

int elf_check(const uint8_t *img, size_t size, uint64_t mem_size, uint64_t *entry)
{
    struct elf64_ehdr eh;
    bool entry_ok = false;
    int rc;

    if (size < sizeof(eh)) {
        pr_err("elf: %zu bytes is too small for an ELF header\n", size);
        return -BATON_EINVAL;
    }
    memcpy(&eh, img, sizeof(eh));
    rc = check_header(&eh, size);
    if (rc)
        return rc;
    for (unsigned int i = 0; i < eh.e_phnum; i++) {
        struct elf64_phdr ph;
        memcpy(&ph, img + eh.e_phoff + i * sizeof(ph), sizeof(ph));
        if (ph.p_type != PT_LOAD)
            continue;
        rc = check_segment(&ph, size, mem_size);
        if (rc)
            return rc;
        if (eh.e_entry >= ph.p_vaddr && eh.e_entry - ph.p_vaddr < ph.p_memsz)
            entry_ok = true;
    }
    if (!entry_ok) {
        pr_err("elf: entry point 0x%llx is in no loadable segment\n", (unsigned long long)eh.e_entry);
        return -BATON_EINVAL;
    }
    *entry = eh.e_entry;
    return 0;
}

/* Copy the loadable segments (after elf_check); memory is already zeroed. */
int elf_load(struct domain *d, const uint8_t *img, size_t size)
{
    struct elf64_ehdr eh;
    uint64_t entry;
    int rc = elf_check(img, size, d->mem_size, &entry);

    if (rc)
        return rc;
    memcpy(&eh, img, sizeof(eh));
    for (unsigned int i = 0; i < eh.e_phnum && !rc; i++) {
        struct elf64_phdr ph;
        memcpy(&ph, img + eh.e_phoff + i * sizeof(ph), sizeof(ph));
        if (ph.p_type == PT_LOAD && ph.p_filesz)
            rc = copy_to_guest(d, ph.p_vaddr, img + ph.p_offset, ph.p_filesz);
    }
    return rc;
}
