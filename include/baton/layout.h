/*
 * Virtual address layout of the hypervisor. nasm sees these constants
 * through generated/asm-offsets.inc (arch/x86/asm-offsets.c lists those
 * it needs).
 *
 *   0x0000000000000000 - 0x00007fffffffffff  guest (lower half)
 *   0xffff888000000000 - ...                 direct map of all RAM
 *   0xffffc90000000000 - +1 GiB              vmap area
 *   0xffffffff80000000 - +1 GiB              the image (linked at +2 MiB)
 */
#ifndef BATON_LAYOUT_H
#define BATON_LAYOUT_H

#define HV_VIRT_START        0xffffffff80000000
#define HV_LINK_VIRT         0xffffffff80200000   /* where the image is linked */
#define HV_LINK_PHYS         0x200000             /* default physical load address */
#define HV_IMAGE_ALIGN       0x200000             /* the image is placed on 2 MiB */
#define HV_IMAGE_MAX         0x40000000           /* 1 GiB of virtual room */

#define DIRECTMAP_VIRT_START 0xffff888000000000
#define DIRECTMAP_SIZE       0x0000100000000000   /* 16 TiB */
#define VMAP_VIRT_START      0xffffc90000000000
#define VMAP_SIZE            0x40000000           /* 1 GiB */

#define BOOT_STACK_SIZE      0x8000
#define BOOT_MAP_LIMIT       0x100000000          /* boot page tables map the first 4 GiB */

#endif
