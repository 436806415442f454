/*
 * Error codes of the Baton ABI: every hypercall and every hypervisor
 * function returns them negated (-BATON_E*). The one list: the hypervisor's
 * <baton/errno.h> includes this header, and so does <public/hypercall.h>
 * for guests. The values are the Linux/Xen errno numbers, so a guest may
 * map them one to one. Specified in docs/specs/pv-abi.md.
 */
#ifndef BATON_PUBLIC_ERRNO_H
#define BATON_PUBLIC_ERRNO_H

#define BATON_EPERM        1
#define BATON_ENOENT       2
#define BATON_EIO          5
#define BATON_E2BIG        7
#define BATON_EBADF        9
#define BATON_EAGAIN      11
#define BATON_ENOMEM      12
#define BATON_EFAULT      14
#define BATON_EBUSY       16
#define BATON_EEXIST      17
#define BATON_EINVAL      22
#define BATON_ENOSPC      28
#define BATON_ERANGE      34
#define BATON_ENOSYS      38
#define BATON_EBADMSG     74
#define BATON_EOVERFLOW   75
#define BATON_EOPNOTSUPP  95

#endif
