/*
 * test_xc_shim's far end: domain 0's real agent (guests/dom0/agent.c,
 * ops.c) in a thread of the test, serving a Unix socket that BATON_CTL
 * names, with kexec_op and control_op faked (xcshim_agent.c). Separate
 * from test_xc_shim.c because the agent's headers and <xenctrl.h> cannot
 * share a translation unit (tools/kexec-patch/shim/xcshim.h says why):
 * plain types only here.
 */
#ifndef XCSHIM_AGENT_H
#define XCSHIM_AGENT_H

#include <stdbool.h>
#include <stdint.h>

/* What the fake kexec_op(get_range) answers. */
#define XA_XEN_START    UINT64_C(0x200000)
#define XA_XEN_SIZE     UINT64_C(0x200000)
#define XA_LU_START     UINT64_C(0x3000000)
#define XA_LU_SIZE      UINT64_C(0x400000)
/* The fake memory map: RAM, reserved, RAM. */
#define XA_MAP_NR       3

#define XA_SEG_BYTES    64u     /* octets of each segment the fake keeps */

struct xa_seg {
    bool null_buf;
    uint64_t size, dest, dest_size;
    uint8_t bytes[XA_SEG_BYTES];
};

/* The last kexec_op(load) the agent made. */
struct xa_load {
    unsigned int loads;     /* how many so far */
    uint8_t type;
    uint16_t arch;
    uint32_t nr;
    uint64_t entry;
    struct xa_seg segs[16];
};

/* Start the agent on a fresh socket: returns "unix:PATH" for BATON_CTL. */
const char *xa_start(void);
void xa_stop(void);

unsigned int xa_connections(void);      /* accepted since xa_start */
uint64_t xa_frames(void);               /* requests the agent answered */
void xa_last_load(struct xa_load *out);
/* What kexec_op(kexec) of that type returns from now on (0 at the start). */
void xa_set_exec_result(int type, int64_t rc);
void xa_fake_memmap(uint64_t addr[XA_MAP_NR], uint64_t size[XA_MAP_NR],
                    uint32_t type[XA_MAP_NR]);

#endif
