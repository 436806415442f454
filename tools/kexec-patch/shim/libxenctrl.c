/*
 * libxenctrl.so.4.17 for Baton: what Debian 12's /sbin/kexec (kexec-tools
 * 2.0.25, built with the Xen backend) imports from libxenctrl, and no more,
 * done over Baton's control protocol instead of Xen hypercalls.
 *
 *   Build      make xc-shim -> build/kexec-tools/lib/libxenctrl.so.4.17
 *              (SONAME libxenctrl.so.4.17, every symbol at version node
 *              VERS_4.17.0 as in Xen's: libxenctrl.map), and the
 *              libxenctrl.so link next to it (shim.mk).
 *   Use        BATON_CTL=unix:PATH LD_LIBRARY_PATH=build/kexec-tools/lib kexec ...
 *              BATON_CTL says where domain 0's control agent is, in hvctl's
 *              syntax (unix:PATH, tty:PATH, pty:PATH, or a bare PATH).
 *   Exports    xc_interface_open/close, xc_version, xc_get_max_cpus,
 *              xc_get_machine_memory_map, xc_kexec_get_range/load/unload/
 *              status/exec, xc_hypercall_buffer_array_create/destroy,
 *              xc__hypercall_buffer_array_alloc, the data object
 *              xc__hypercall_buffer_HYPERCALL_BUFFER_NULL; and
 *              xc_remote_control(), which the patched kexec-tools looks
 *              up as a weak symbol (docs/kexec-tools.md).
 *   Sessions   one control session per process: opened from BATON_CTL by
 *              the first xc_interface_open, shared by the opens that
 *              overlap it, closed by the last xc_interface_close.
 *   Loads      the segments' buffers go up as one upload, end to end, and
 *              the load names each by its offset in it (xcshim.c).
 *   Errors     -1 (NULL for xc_interface_open) with errno set from Baton's
 *              error, and the reason on stderr.
 *
 * This file is the libxenctrl face: Xen's own types and declarations from
 * libxen-dev's <xenctrl.h>, so that the ABI is the one kexec-tools was
 * built against. It needs GNU C (shim.mk). The Baton face, which cannot
 * share a translation unit with <xenctrl.h>, is xcshim.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenctrl.h>

#include "xcshim.h"

/* The handle every open returns: the session itself is xcshim.c's. */
struct xc_interface_core {
    unsigned int opens;
};
static struct xc_interface_core the_interface;

struct xc_hypercall_buffer_array {
    unsigned int n;
    void *bufs[];
};

/* What kexec-tools' set_xen_guest_handle() reads for a null buffer: as
 * libxenctrl defines it. */
xc_hypercall_buffer_t XC__HYPERCALL_BUFFER_NAME(HYPERCALL_BUFFER_NULL) = {
    .hbuf = NULL,
    .param_shadow = NULL,
    HYPERCALL_BUFFER_INIT_NO_BOUNCE
};

/* Not in Xen: true tells the patched kexec-tools that the hypervisor is
 * remote, so that it neither probes for a local Xen nor touches this host. */
int xc_remote_control(void);
int xc_remote_control(void)
{
    return 1;
}

static int bad_handle(xc_interface *xch)
{
    if (xch == &the_interface && the_interface.opens)
        return 0;
    fprintf(stderr, XCSHIM_PREFIX ": not a handle from xc_interface_open\n");
    errno = EBADF;
    return 1;
}

/* ------------------------------------------------------------ the interface */

/* The loggers are ignored: NULL (kexec-tools' choice) means stderr, where
 * the messages go anyway. */
xc_interface *xc_interface_open(xentoollog_logger *logger, xentoollog_logger *dombuild_logger,
                                unsigned open_flags)
{
    (void)logger;
    (void)dombuild_logger;
    (void)open_flags;
    if (xcshim_open() < 0)
        return NULL;
    the_interface.opens++;
    return &the_interface;
}

int xc_interface_close(xc_interface *xch)
{
    if (!xch)
        return 0;       /* as libxenctrl */
    if (bad_handle(xch))
        return -1;
    the_interface.opens--;
    xcshim_close();
    return 0;
}

/*
 * Only crash loads ask (for the ELF class of the notes): a 64-bit Xen
 * 4.17, as the library's version claims.
 */
int xc_version(xc_interface *xch, int cmd, void *arg)
{
    (void)xch;
    switch (cmd) {
    case XENVER_version:
        return 4 << 16 | 17;
    case XENVER_capabilities:
        if (!arg) {
            errno = EFAULT;
            return -1;
        }
        snprintf(arg, sizeof(xen_capabilities_info_t), "xen-3.0-x86_64");
        return 0;
    default:
        errno = ENOSYS;
        return -1;
    }
}

/* Crash loads size their note table with it. Baton runs on one CPU. */
int xc_get_max_cpus(xc_interface *xch)
{
    (void)xch;
    return 1;
}

int xc_get_machine_memory_map(xc_interface *xch, struct e820entry entries[],
                              uint32_t max_entries)
{
    struct xcshim_e820 map[E820MAX];
    int n;

    if (bad_handle(xch))
        return -1;
    n = xcshim_memmap(map, max_entries < E820MAX ? max_entries : E820MAX);
    for (int i = 0; i < n; i++) {
        entries[i].addr = map[i].addr;
        entries[i].size = map[i].size;
        entries[i].type = map[i].type;
    }
    return n;
}

/* ------------------------------------------------------------ kexec */

int xc_kexec_get_range(xc_interface *xch, int range, int nr, uint64_t *size,
                       uint64_t *start)
{
    return bad_handle(xch) ? -1 : xcshim_kexec_range(range, nr, size, start);
}

int xc_kexec_load(xc_interface *xch, uint8_t type, uint16_t arch, uint64_t entry_maddr,
                  uint32_t nr_segments, xen_kexec_segment_t *segments)
{
    struct xcshim_seg segs[XCSHIM_SEGMENTS_MAX];
    /* more than fit are refused by the marshalling before it reads any */
    uint32_t n = nr_segments <= XCSHIM_SEGMENTS_MAX ? nr_segments : 0;

    if (bad_handle(xch))
        return -1;
    for (uint32_t i = 0; segments && i < n; i++)
        segs[i] = (struct xcshim_seg){ segments[i].buf.h.p, segments[i].buf_size,
                                       segments[i].dest_maddr, segments[i].dest_size };
    return xcshim_kexec_load(type, arch, entry_maddr, nr_segments, segments ? segs : NULL);
}

int xc_kexec_unload(xc_interface *xch, int type)
{
    return bad_handle(xch) ? -1 : xcshim_kexec_unload(type);
}

int xc_kexec_status(xc_interface *xch, int type)
{
    return bad_handle(xch) ? -1 : xcshim_kexec_status(type);
}

int xc_kexec_exec(xc_interface *xch, int type)
{
    return bad_handle(xch) ? -1 : xcshim_kexec_exec(type);
}

/* ------------------------------------------------------------ buffers */

/*
 * kexec-tools copies each segment into a "hypercall buffer" before the
 * load. No hypercall follows here, so plain heap memory does: the load
 * reads it back through the segments' guest handles.
 */
xc_hypercall_buffer_array_t *xc_hypercall_buffer_array_create(xc_interface *xch, unsigned n)
{
    xc_hypercall_buffer_array_t *a;

    (void)xch;
    /* n is 32-bit: the size cannot overflow a 64-bit size_t */
    a = calloc(1, sizeof(*a) + (size_t)n * sizeof(a->bufs[0]));
    if (a)
        a->n = n;
    return a;
}

/* Never NULL on success, even for size 0: NULL is the caller's failure test. */
void *xc__hypercall_buffer_array_alloc(xc_interface *xch, xc_hypercall_buffer_array_t *array,
                                       unsigned index, xc_hypercall_buffer_t *hbuf,
                                       size_t size)
{
    void *p;

    (void)xch;
    if (!array || !hbuf || index >= array->n) {
        errno = EINVAL;
        return NULL;
    }
    p = malloc(size ? size : 1);
    if (!p)
        return NULL;
    free(array->bufs[index]);
    array->bufs[index] = p;
    hbuf->hbuf = p;
    return p;
}

void xc_hypercall_buffer_array_destroy(xc_interface *xc, xc_hypercall_buffer_array_t *array)
{
    (void)xc;
    if (!array)
        return;
    for (unsigned int i = 0; i < array->n; i++)
        free(array->bufs[i]);
    free(array);
}
