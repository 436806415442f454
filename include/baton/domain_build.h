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

/* Build domain `domid` from a boot module; 0 or -BATON_E* (nothing left behind). */
int domain_build(uint16_t domid, const struct boot_module *mod);

/* Build one domain per boot module (the first is domain 0, privileged). */
void build_boot_domains(const struct boot_info *bi);

#endif
