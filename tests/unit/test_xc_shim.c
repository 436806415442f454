/*
 * The libxenctrl shim (tools/kexec-patch/shim/): the marshalling of a
 * kexec load into one upload and offsets (a null-buffer segment, a
 * zero-length one, every refusal with its errno), the hypercall buffer
 * arrays, and the calls kexec-tools makes, in its order and with its
 * macros, through the real client library and domain 0's real agent over
 * a Unix socket named by BATON_CTL (xcshim_agent.c, hypercalls faked).
 * Built with <xenctrl.h> from libxen-dev, as kexec-tools is.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <xenctrl.h>

#include <public/ctl.h>
#include <public/errno.h>
#include "xcshim.h"
#include "xcshim_agent.h"

#define EM_X86_64               62
#define EM_386                  3
#define TYPE_LIVE_UPDATE        2   /* kexec-tools' fallback: not in 4.17's headers */
#define RANGE_MA_LIVEUPDATE     7
#define MiB                     (UINT64_C(1) << 20)

int xc_remote_control(void);

static const char *ctl_spec;

/* ------------------------------------------------------------ marshalling */

static const uint8_t image[100] = { 1, 2, 3, [99] = 99 };
static const uint8_t purg[10] = { 0xaa, [9] = 0xbb };
static const uint8_t empty[1];

/* What kexec-tools passes for a live update: image, purgatory, MBI, the null low 1 MiB. */
static void live_update_segments(struct xcshim_seg s[4])
{
    s[0] = (struct xcshim_seg){ image, sizeof(image), 0x200000, 0x1000 };
    s[1] = (struct xcshim_seg){ purg, sizeof(purg), 0x3001000, 0x1000 };
    s[2] = (struct xcshim_seg){ NULL, 0, 0, MiB };
    s[3] = (struct xcshim_seg){ empty, 0, 0x3002000, 0x1000 };   /* zero octets, still a buffer */
}

static void test_marshal_offsets(void **state)
{
    struct ctl_kexec_segment out[4];
    struct xcshim_seg s[4];
    uint8_t blob[110];
    uint64_t size = 12345;
    char why[200] = "";

    (void)state;
    live_update_segments(s);
    assert_int_equal(xcshim_marshal(EM_X86_64, s, 4, out, &size, why, sizeof(why)), 0);
    assert_int_equal(size, sizeof(image) + sizeof(purg));
    assert_int_equal(out[0].offset, 0);
    assert_int_equal(out[0].size, sizeof(image));
    assert_int_equal(out[0].dest_maddr, 0x200000);
    assert_int_equal(out[0].dest_size, 0x1000);
    assert_int_equal(out[1].offset, sizeof(image));
    assert_int_equal(out[1].size, sizeof(purg));
    assert_int_equal(out[1].dest_maddr, 0x3001000);
    /* the null buffer: no octets, identity-mapped low memory */
    assert_true(out[2].offset == CTL_KEXEC_NOBUF);
    assert_int_equal(out[2].size, 0);
    assert_int_equal(out[2].dest_maddr, 0);
    assert_int_equal(out[2].dest_size, MiB);
    /* a real buffer of no octets is not a null one: kexec zeroes its destination */
    assert_int_equal(out[3].offset, sizeof(image) + sizeof(purg));
    assert_int_equal(out[3].size, 0);

    memset(blob, 0xee, sizeof(blob));
    xcshim_pack(s, 4, out, blob);
    assert_memory_equal(blob, image, sizeof(image));
    assert_memory_equal(blob + sizeof(image), purg, sizeof(purg));
}

static void test_marshal_edges(void **state)
{
    struct ctl_kexec_segment out[CTL_KEXEC_SEGMENTS_MAX];
    struct xcshim_seg s[CTL_KEXEC_SEGMENTS_MAX];
    uint64_t size = 1;
    char why[200];

    (void)state;
    /* nothing at all is a valid (empty) blob */
    assert_int_equal(xcshim_marshal(EM_X86_64, NULL, 0, out, &size, why, sizeof(why)), 0);
    assert_int_equal(size, 0);
    /* exactly the most segments a load carries */
    for (unsigned int i = 0; i < CTL_KEXEC_SEGMENTS_MAX; i++)
        s[i] = (struct xcshim_seg){ purg, sizeof(purg), 0x100000 + i * 0x1000, 0x1000 };
    assert_int_equal(xcshim_marshal(EM_X86_64, s, CTL_KEXEC_SEGMENTS_MAX, out, &size, why,
                                    sizeof(why)), 0);
    assert_int_equal(size, CTL_KEXEC_SEGMENTS_MAX * sizeof(purg));
    assert_int_equal(out[CTL_KEXEC_SEGMENTS_MAX - 1].offset,
                     (CTL_KEXEC_SEGMENTS_MAX - 1) * sizeof(purg));
    /* a destination up to the last page but one of the address space */
    s[0] = (struct xcshim_seg){ purg, sizeof(purg), UINT64_MAX - 0x1fff, 0x1000 };
    assert_int_equal(xcshim_marshal(EM_X86_64, s, 1, out, &size, why, sizeof(why)), 0);
}

/* One refusal: the errno, a reason that says what, nothing reported back. */
static void refused(uint16_t arch, const struct xcshim_seg *s, uint32_t nr, int want,
                    const char *says)
{
    struct ctl_kexec_segment out[CTL_KEXEC_SEGMENTS_MAX];
    uint64_t size = 777;
    char why[200] = "";

    assert_int_equal(xcshim_marshal(arch, s, nr, out, &size, why, sizeof(why)), want);
    assert_int_equal(size, 777);
    if (!strstr(why, says)) {
        print_error("reason \"%s\" does not say \"%s\"\n", why, says);
        fail();
    }
}

static void test_marshal_garbage(void **state)
{
    struct xcshim_seg s[CTL_KEXEC_SEGMENTS_MAX + 1];
    static uint8_t big;     /* never read: the sizes are refused first */

    (void)state;
    for (unsigned int i = 0; i <= CTL_KEXEC_SEGMENTS_MAX; i++)
        s[i] = (struct xcshim_seg){ purg, sizeof(purg), 0x100000 + i * 0x1000, 0x1000 };
    refused(EM_386, s, 1, EINVAL, "x86-64");
    refused(EM_X86_64, s, CTL_KEXEC_SEGMENTS_MAX + 1, EINVAL, "at most 16");
    refused(EM_X86_64, s, UINT32_MAX, EINVAL, "at most 16");
    refused(EM_X86_64, NULL, 2, EINVAL, "no segment array");

    s[1] = (struct xcshim_seg){ NULL, 5, 0x100000, 0x1000 };
    refused(EM_X86_64, s, 2, EINVAL, "segment 1: a null buffer of 5 octets");
    s[1] = (struct xcshim_seg){ purg, sizeof(purg), 0x100000, sizeof(purg) - 1 };
    refused(EM_X86_64, s, 2, EINVAL, "segment 1: 10 octets do not fit");
    s[1] = (struct xcshim_seg){ NULL, 0, 0, 0 };
    s[2] = (struct xcshim_seg){ purg, sizeof(purg), UINT64_MAX - 0xfff, 0x1001 };
    refused(EM_X86_64, s, 3, EINVAL, "segment 2: destination 0xfffffffffffff000 + 0x1001 wraps");
    /* an end of 2^64 does not fit the 64 bits kexec computes it in */
    s[2] = (struct xcshim_seg){ purg, sizeof(purg), UINT64_MAX - 0xfff, 0x1000 };
    refused(EM_X86_64, s, 3, EINVAL, "segment 2: destination 0xfffffffffffff000 + 0x1000 wraps");

    /* buffers that add up past 2^64 (their sizes alone are plausible) */
    s[0] = (struct xcshim_seg){ &big, UINT64_C(1) << 63, 0, UINT64_C(1) << 63 };
    s[1] = (struct xcshim_seg){ &big, UINT64_C(1) << 63, 0, UINT64_C(1) << 63 };
    refused(EM_X86_64, s, 2, EOVERFLOW, "segment 1: the buffers add up");
}

static void test_errno_map(void **state)
{
    static const int pairs[][2] = {
        { BATON_EPERM, EPERM }, { BATON_ENOENT, ENOENT }, { BATON_EIO, EIO },
        { BATON_E2BIG, E2BIG }, { BATON_EBADF, EBADF }, { BATON_EAGAIN, EAGAIN },
        { BATON_ENOMEM, ENOMEM }, { BATON_EFAULT, EFAULT }, { BATON_EBUSY, EBUSY },
        { BATON_EEXIST, EEXIST }, { BATON_EINVAL, EINVAL }, { BATON_ENOSPC, ENOSPC },
        { BATON_ERANGE, ERANGE }, { BATON_ENOSYS, ENOSYS }, { BATON_EBADMSG, EBADMSG },
        { BATON_EOVERFLOW, EOVERFLOW }, { BATON_EOPNOTSUPP, EOPNOTSUPP },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
        assert_int_equal(xcshim_errno(-pairs[i][0]), pairs[i][1]);
    assert_int_equal(xcshim_errno(0), 0);
    assert_int_equal(xcshim_errno(1), 0);
    assert_int_equal(xcshim_errno(-999), EIO);      /* unknown: still an error */
    assert_int_equal(xcshim_errno(-1002), ETIMEDOUT);  /* CTL_ERR_TIMEOUT */
}

/* ------------------------------------------------------------ local calls */

static void test_buffer_arrays(void **state)
{
    xc_hypercall_buffer_array_t *a = xc_hypercall_buffer_array_create(NULL, 2);
    DECLARE_HYPERCALL_BUFFER(void, buf);
    void *p, *q;

    (void)state;
    assert_non_null(a);
    p = xc_hypercall_buffer_array_alloc(NULL, a, 0, buf, 0);
    assert_non_null(p);                     /* size 0 still succeeds */
    assert_ptr_equal(HYPERCALL_BUFFER(buf)->hbuf, p);
    /* as kexec-tools: the pointer assigned, the shadow's hbuf the same */
    buf = xc_hypercall_buffer_array_alloc(NULL, a, 1, buf, 4096);
    assert_non_null(buf);
    memset(buf, 0x5a, 4096);
    assert_ptr_equal(HYPERCALL_BUFFER(buf)->hbuf, buf);
    q = xc_hypercall_buffer_array_alloc(NULL, a, 1, buf, 16);   /* replaces slot 1 */
    assert_non_null(q);
    assert_ptr_equal(HYPERCALL_BUFFER(buf)->hbuf, q);
    errno = 0;
    assert_null(xc_hypercall_buffer_array_alloc(NULL, a, 2, buf, 16));
    assert_int_equal(errno, EINVAL);
    xc_hypercall_buffer_array_destroy(NULL, a);
    xc_hypercall_buffer_array_destroy(NULL, NULL);

    /* the null buffer kexec-tools sets its low 1 MiB segment from */
    assert_int_equal(sizeof(XC__HYPERCALL_BUFFER_NAME(HYPERCALL_BUFFER_NULL)), 40);
    assert_null(XC__HYPERCALL_BUFFER_NAME(HYPERCALL_BUFFER_NULL).hbuf);
    assert_null(XC__HYPERCALL_BUFFER_NAME(HYPERCALL_BUFFER_NULL).param_shadow);
}

static void test_version(void **state)
{
    xen_capabilities_info_t caps;

    (void)state;
    memset(caps, 'x', sizeof(caps));
    assert_int_equal(xc_version(NULL, XENVER_capabilities, &caps), 0);
    assert_string_equal(caps, "xen-3.0-x86_64");
    assert_int_equal(xc_version(NULL, XENVER_version, NULL), 4 << 16 | 17);
    errno = 0;
    assert_int_equal(xc_version(NULL, XENVER_extraversion, &caps), -1);
    assert_int_equal(errno, ENOSYS);
    assert_int_equal(xc_get_max_cpus(NULL), 1);
    assert_int_equal(xc_remote_control(), 1);
}

static void test_open_without_line(void **state)
{
    static int not_a_handle;

    (void)state;
    unsetenv("BATON_CTL");
    errno = 0;
    assert_null(xc_interface_open(NULL, NULL, 0));
    assert_int_equal(errno, EINVAL);
    setenv("BATON_CTL", "unix:/nonexistent/baton-ctl", 1);
    errno = 0;
    assert_null(xc_interface_open(NULL, NULL, 0));
    assert_int_equal(errno, ENOENT);    /* connect()'s own */
    /* nothing is open: calls on a stale handle are refused */
    errno = 0;
    assert_int_equal(xc_kexec_status((xc_interface *)&not_a_handle, 0), -1);
    assert_int_equal(errno, EBADF);
    setenv("BATON_CTL", ctl_spec, 1);
}

/* ------------------------------------------------------------ through the agent */

static xc_interface *open_xc(void)
{
    xc_interface *xch = xc_interface_open(NULL, NULL, 0);

    assert_non_null(xch);
    return xch;
}

/* One session for opens that overlap; the last close ends it. */
static void test_session(void **state)
{
    unsigned int before = xa_connections();
    xc_interface *a, *b;

    (void)state;
    a = open_xc();
    b = open_xc();
    assert_ptr_equal(a, b);
    assert_int_equal(xc_kexec_status(a, 0), 0);
    assert_int_equal(xc_interface_close(a), 0);
    assert_int_equal(xc_kexec_status(b, 0), 0);     /* b still has the session */
    assert_int_equal(xc_interface_close(b), 0);
    assert_int_equal(xa_connections(), before + 1);
    assert_int_equal(xc_interface_close(b), -1);    /* closed once too often */
    assert_int_equal(errno, EBADF);
    assert_int_equal(xc_interface_close(NULL), 0);
    b = open_xc();                                  /* a new session */
    assert_int_equal(xc_kexec_status(b, 0), 0);
    assert_int_equal(xc_interface_close(b), 0);
    assert_int_equal(xa_connections(), before + 2);
}

/* kexec-tools' xen_get_kexec_range(), for MA_XEN and MA_LIVEUPDATE. */
static void test_ranges(void **state)
{
    xc_interface *xch = open_xc();
    uint64_t size = 0, start = 0;

    (void)state;
    assert_int_equal(xc_kexec_get_range(xch, KEXEC_RANGE_MA_XEN, 0, &size, &start), 0);
    assert_int_equal(start, XA_XEN_START);
    assert_int_equal(size, XA_XEN_SIZE);
    assert_int_equal(xc_kexec_get_range(xch, RANGE_MA_LIVEUPDATE, 0, &size, &start), 0);
    assert_int_equal(start, XA_LU_START);
    assert_int_equal(size, XA_LU_SIZE);
    errno = 0;
    assert_int_equal(xc_kexec_get_range(xch, KEXEC_RANGE_MA_CRASH, 0, &size, &start), -1);
    assert_int_equal(errno, EINVAL);                /* the hypervisor's -EINVAL */
    assert_int_equal(xc_interface_close(xch), 0);
}

static void test_memory_map(void **state)
{
    uint64_t addr[XA_MAP_NR], size[XA_MAP_NR];
    uint32_t type[XA_MAP_NR];
    struct e820entry map[E820MAX];
    xc_interface *xch = open_xc();

    (void)state;
    xa_fake_memmap(addr, size, type);
    assert_int_equal(xc_get_machine_memory_map(xch, map, E820MAX), XA_MAP_NR);
    for (int i = 0; i < XA_MAP_NR; i++) {
        assert_int_equal(map[i].addr, addr[i]);
        assert_int_equal(map[i].size, size[i]);
        assert_int_equal(map[i].type, type[i]);
    }
    errno = 0;
    assert_int_equal(xc_get_machine_memory_map(xch, map, XA_MAP_NR - 1), -1);
    assert_int_equal(errno, E2BIG);
    assert_int_equal(xc_interface_close(xch), 0);
}

/*
 * kexec-tools' xen_kexec_load(), step for step: each segment copied into a
 * hypercall buffer, then the null low 1 MiB from HYPERCALL_BUFFER_NULL.
 */
static int load_like_kexec_tools(uint8_t type, uint16_t arch, uint64_t entry)
{
    static const struct { const void *buf; size_t size; uint64_t mem, memsz; } in[] = {
        { image, sizeof(image), 0x200000, 0x2000 },
        { purg, sizeof(purg), 0x3001000, 0x1000 },
    };
    xen_kexec_segment_t xen_segs[3];
    xc_hypercall_buffer_array_t *array;
    xc_interface *xch = open_xc();
    int s, ret = -1;

    array = xc_hypercall_buffer_array_create(xch, 2);
    assert_non_null(array);
    for (s = 0; s < 2; s++) {
        DECLARE_HYPERCALL_BUFFER(void, seg_buf);

        seg_buf = xc_hypercall_buffer_array_alloc(xch, array, s, seg_buf, in[s].size);
        assert_non_null(seg_buf);
        memcpy(seg_buf, in[s].buf, in[s].size);
        set_xen_guest_handle(xen_segs[s].buf.h, seg_buf);
        xen_segs[s].buf_size = in[s].size;
        xen_segs[s].dest_maddr = in[s].mem;
        xen_segs[s].dest_size = in[s].memsz;
    }
    set_xen_guest_handle(xen_segs[s].buf.h, HYPERCALL_BUFFER_NULL);
    xen_segs[s].buf_size = 0;
    xen_segs[s].dest_maddr = 0;
    xen_segs[s].dest_size = MiB;
    ret = xc_kexec_load(xch, type, arch, entry, 3, xen_segs);
    xc_hypercall_buffer_array_destroy(xch, array);
    assert_int_equal(xc_interface_close(xch), 0);
    return ret;
}

static void test_load(void **state)
{
    struct xa_load l;

    (void)state;
    assert_int_equal(load_like_kexec_tools(TYPE_LIVE_UPDATE, EM_X86_64, 0x3001000), 0);
    xa_last_load(&l);
    assert_int_equal(l.type, TYPE_LIVE_UPDATE);
    assert_int_equal(l.arch, EM_X86_64);
    assert_int_equal(l.entry, 0x3001000);
    assert_int_equal(l.nr, 3);
    assert_false(l.segs[0].null_buf);
    assert_int_equal(l.segs[0].size, sizeof(image));
    assert_int_equal(l.segs[0].dest, 0x200000);
    assert_int_equal(l.segs[0].dest_size, 0x2000);
    assert_memory_equal(l.segs[0].bytes, image, XA_SEG_BYTES);
    assert_false(l.segs[1].null_buf);
    assert_int_equal(l.segs[1].size, sizeof(purg));
    assert_int_equal(l.segs[1].dest, 0x3001000);
    assert_memory_equal(l.segs[1].bytes, purg, sizeof(purg));
    /* the hypervisor sees a null buffer, as from Xen's libxenctrl */
    assert_true(l.segs[2].null_buf);
    assert_int_equal(l.segs[2].size, 0);
    assert_int_equal(l.segs[2].dest, 0);
    assert_int_equal(l.segs[2].dest_size, MiB);
}

/* Refused here, before a single frame leaves. */
static void test_load_refused_locally(void **state)
{
    xen_kexec_segment_t segs[2] = { { .buf_size = 5, .dest_size = 0x1000 } };
    uint64_t frames;
    xc_interface *xch = open_xc();
    struct xa_load l;
    unsigned int loads;

    (void)state;
    xa_last_load(&l);
    loads = l.loads;
    frames = xa_frames();
    errno = 0;
    assert_int_equal(xc_kexec_load(xch, 0, EM_386, 0x100000, 1, segs), -1);
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(xc_kexec_load(xch, 0, EM_X86_64, 0x100000, 17, segs), -1);
    assert_int_equal(errno, EINVAL);
    errno = 0;  /* a null buffer that claims 5 octets */
    assert_int_equal(xc_kexec_load(xch, 0, EM_X86_64, 0x100000, 1, segs), -1);
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(xc_kexec_load(xch, 0, EM_X86_64, 0x100000, 1, NULL), -1);
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(xc_kexec_status(xch, 256), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(xa_frames(), frames);
    xa_last_load(&l);
    assert_int_equal(l.loads, loads);
    assert_int_equal(xc_interface_close(xch), 0);
}

/* A refusal of the hypervisor comes back as its errno. */
static void test_load_refused_by_hypervisor(void **state)
{
    xc_interface *xch;

    (void)state;
    errno = 0;
    assert_int_equal(load_like_kexec_tools(7 /* no such type */, EM_X86_64, 0x200000), -1);
    assert_int_equal(errno, EINVAL);
    xch = open_xc();
    errno = 0;
    assert_int_equal(xc_kexec_status(xch, 7), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(xc_interface_close(xch), 0);
}

/* status, exec (failed, then done), unload, exec of nothing: as kexec -S, -e, -u. */
static void test_status_exec_unload(void **state)
{
    xc_interface *xch;

    (void)state;
    assert_int_equal(load_like_kexec_tools(TYPE_LIVE_UPDATE, EM_X86_64, 0x3001000), 0);
    xch = open_xc();
    assert_int_equal(xc_kexec_status(xch, TYPE_LIVE_UPDATE), 1);
    assert_int_equal(xc_kexec_status(xch, 0), 0);

    /* the update failed before the jump: the agent's notice carries why */
    xa_set_exec_result(TYPE_LIVE_UPDATE, -BATON_ENOSPC);
    errno = 0;
    assert_int_equal(xc_kexec_exec(xch, TYPE_LIVE_UPDATE), -1);
    assert_int_equal(errno, ENOSPC);
    /* done: the agent answers from the new build */
    xa_set_exec_result(TYPE_LIVE_UPDATE, 0);
    assert_int_equal(xc_kexec_exec(xch, TYPE_LIVE_UPDATE), 0);

    assert_int_equal(xc_kexec_unload(xch, TYPE_LIVE_UPDATE), 0);
    assert_int_equal(xc_kexec_status(xch, TYPE_LIVE_UPDATE), 0);
    errno = 0;
    assert_int_equal(xc_kexec_exec(xch, TYPE_LIVE_UPDATE), -1);
    assert_int_equal(errno, ENOENT);
    assert_int_equal(xc_interface_close(xch), 0);
}

/* A default kexec that comes back has failed: 0 would mean it jumped. */
static void test_exec_default_failed(void **state)
{
    xc_interface *xch;

    (void)state;
    assert_int_equal(load_like_kexec_tools(0, EM_X86_64, 0x200000), 0);
    xa_set_exec_result(0, -BATON_EBUSY);
    xch = open_xc();
    errno = 0;
    assert_int_equal(xc_kexec_exec(xch, 0), -1);
    assert_int_equal(errno, EBUSY);
    assert_int_equal(xc_kexec_unload(xch, 0), 0);
    assert_int_equal(xc_interface_close(xch), 0);
}

static int start_agent(void **state)
{
    (void)state;
    ctl_spec = xa_start();
    if (!ctl_spec)
        return -1;
    setenv("BATON_CTL", ctl_spec, 1);
    return 0;
}

static int stop_agent(void **state)
{
    (void)state;
    xa_stop();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_marshal_offsets),
        cmocka_unit_test(test_marshal_edges),
        cmocka_unit_test(test_marshal_garbage),
        cmocka_unit_test(test_errno_map),
        cmocka_unit_test(test_buffer_arrays),
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_open_without_line),
        cmocka_unit_test(test_session),
        cmocka_unit_test(test_ranges),
        cmocka_unit_test(test_memory_map),
        cmocka_unit_test(test_load),
        cmocka_unit_test(test_load_refused_locally),
        cmocka_unit_test(test_load_refused_by_hypervisor),
        cmocka_unit_test(test_status_exec_unload),
        cmocka_unit_test(test_exec_default_failed),
    };
    return cmocka_run_group_tests(tests, start_agent, stop_agent);
}
