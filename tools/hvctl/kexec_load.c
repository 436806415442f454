/*
 * hvctl kexec load: NOT YET. The engineer who adds it replaces this file:
 * build the multiboot2 MBI, hvctl's purgatory and the segments (image over
 * KEXEC_RANGE_MA_XEN, everything else in KEXEC_RANGE_MA_LIVEUPDATE above
 * its first page, liveupdate=<N>M@0x<addr> appended for a live update),
 * using ctl_kexec_get_range(), ctl_memmap(), then ctl_upload() of one blob
 * holding every segment's bytes and ctl_kexec_load() with struct
 * ctl_kexec_segment offsets into that blob (tools/lib/ctl_client.h).
 */
#include <stdio.h>

#include "hvctl.h"

int hvctl_kexec_load(struct hvctl *h, int type, int argc, char **argv)
{
    (void)h;
    (void)type;
    (void)argc;
    (void)argv;
    fprintf(stderr, "hvctl kexec load: not yet implemented\n");
    return EXIT_NOTYET;
}
