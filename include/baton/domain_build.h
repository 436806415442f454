/* Building domains from boot modules. */
#ifndef BATON_DOMAIN_BUILD_H
#define BATON_DOMAIN_BUILD_H

#include <baton/bootinfo.h>
#include <baton/domain.h>

#define DOMAIN_MEM_DEFAULT  MiB(16)
#define DOMAIN_MEM_MAX      GiB(4)

/* Domain 0's I/O ports: the second serial line (COM2), where its agent
 * serves the host-side tools. No other domain gets any port. */
#define DOM0_IOPORT_FIRST   0x2f8
#define DOM0_IOPORT_COUNT   8

/* What a module's command line asks for. */
struct domain_config {
    char name[DOMAIN_NAME_LEN];
    uint64_t mem;
    unsigned int vcpus;
    bool paused;            /* start paused: an unpause lets it run */
    char cmdline[START_INFO_CMDLINE_LEN];
};

/* Parse "name=NAME mem=SIZE vcpus=N paused=0|1 cmdline=\"...\"" (0 or -BATON_EINVAL, reported). */
int domain_config_parse(const char *line, struct domain_config *cfg);

/* Check an ELF64 guest image: a static x86-64 executable whose loadable
 * segments fit in [PV_KERNEL_BASE, mem_size). Reports what is wrong. */
int elf_check(const uint8_t *img, size_t size, uint64_t mem_size, uint64_t *entry);

/* Load a checked image into d's (zeroed) memory. */
int elf_load(struct domain *d, const uint8_t *img, size_t size);

/* What a domain is built from: the boot path (a module) and control_op's
 * domain_create (an image copied from domain 0) fill this in alike. */
struct domain_build_args {
    uint16_t domid;             /* not held by any domain */
    bool privileged;            /* domain 0: control_op and COM2's ports */
    const uint8_t *image;       /* the ELF64 kernel, in hypervisor memory */
    size_t size;
    const char *config;         /* NUL-terminated "name=... mem=..." line */
};

/* Build and start (or leave paused) one domain; 0 or -BATON_E*, reported,
 * and then nothing is left behind: the slot is free again. */
int domain_build(const struct domain_build_args *a);

/* Give d's memory (its extents) back to the page allocator. */
void domain_free_memory(struct domain *d);

/* Build one domain per boot module (the first is domain 0, privileged). */
void build_boot_domains(const struct boot_info *bi);

#endif
