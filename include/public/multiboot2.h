/*
 * The multiboot2 numbers Baton both reads (boot/multiboot.c, the boot
 * information a loader hands the image) and writes (hvctl kexec load,
 * which builds that information for the next build): one list, so the
 * writer and the reader cannot drift. The header the image carries is in
 * boot/head.asm. Only what Baton uses; see docs/boot-protocol.md.
 */
#ifndef PUBLIC_MULTIBOOT2_H
#define PUBLIC_MULTIBOOT2_H

#define MB2_HEADER_MAGIC      0xe85250d6u   /* in the image's header */
#define MB2_BOOTLOADER_MAGIC  0x36d76289u   /* in eax at the image's entry */

/* Boot information tag types. */
#define MB2_TAG_END           0
#define MB2_TAG_CMDLINE       1
#define MB2_TAG_LOADER        2
#define MB2_TAG_MODULE        3
#define MB2_TAG_MEMINFO       4
#define MB2_TAG_MMAP          6
#define MB2_TAG_LOAD_BASE     21

#endif
