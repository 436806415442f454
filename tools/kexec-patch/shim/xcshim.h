/*
 * The two halves of the libxenctrl shim (see libxenctrl.c):
 *
 *   libxenctrl.c  the libxenctrl face: Xen's types from libxen-dev's
 *                 <xenctrl.h>, the exported xc_* symbols
 *   xcshim.c      the Baton face: the control session (tools/lib/
 *                 ctl_client.c), the argument marshalling, errno
 *
 * They are separate translation units because <xenctrl.h> and Baton's
 * public headers (reached through ctl_client.h) define the same names
 * (struct start_info, EVTCHNOP_*, SHUTDOWN_crash...) differently. This
 * header is what they share: <stdint.h> types only.
 *
 * Every xcshim_* call that can fail returns -1 with errno set and the
 * reason on stderr, as libxenctrl's calls do.
 */
#ifndef XCSHIM_H
#define XCSHIM_H

#include <stddef.h>
#include <stdint.h>

#define XCSHIM_PREFIX   "libxenctrl (Baton)"
/* Environment: a descriptor number for "upload DONE TOTAL" lines (xcshim.c). */
#define XCSHIM_PROGRESS_ENV "BATON_PROGRESS_FD"
/* CTL_KEXEC_SEGMENTS_MAX (checked in xcshim.c) */
#define XCSHIM_SEGMENTS_MAX 16u

/* xen_kexec_segment_t, with the guest handle as the pointer it holds. */
struct xcshim_seg {
    const void *buf;        /* NULL (with buf_size 0): a null-buffer segment */
    uint64_t buf_size;
    uint64_t dest_maddr;
    uint64_t dest_size;
};

/* struct e820entry (packed in <xenctrl.h>), unpacked. */
struct xcshim_e820 {
    uint64_t addr, size;
    uint32_t type;
};

/* The session: opened from BATON_CTL on the first open, closed on the last close. */
int xcshim_open(void);
void xcshim_close(void);

int xcshim_memmap(struct xcshim_e820 *out, uint32_t max);
int xcshim_kexec_range(int range, int nr, uint64_t *size, uint64_t *start);
int xcshim_kexec_load(int type, uint16_t arch, uint64_t entry, uint32_t nr,
                      const struct xcshim_seg *segs);
int xcshim_kexec_unload(int type);
int xcshim_kexec_status(int type);
int xcshim_kexec_exec(int type);

/*
 * The marshalling of a load, pure (no I/O, no allocation), for the unit
 * test. xcshim_marshal checks arch and the segments and gives each its
 * place in one blob of every non-null buffer, end to end: out[i] (struct
 * ctl_kexec_segment, include/public/ctl.h) and the blob's size. 0, or a
 * positive errno value (EINVAL, EOVERFLOW) with the reason in why.
 * xcshim_pack then copies the buffers into a blob of that size.
 */
struct ctl_kexec_segment;
int xcshim_marshal(uint16_t arch, const struct xcshim_seg *segs, uint32_t nr,
                   struct ctl_kexec_segment *out, uint64_t *blob_size, char *why,
                   size_t why_len);
void xcshim_pack(const struct xcshim_seg *segs, uint32_t nr,
                 const struct ctl_kexec_segment *out, uint8_t *blob);

/* -BATON_E* and CTL_ERR_* (tools/lib/ctl_client.h) as errno values. */
int xcshim_errno(int err);

#endif
