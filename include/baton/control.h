/* control_op, domain 0's privileged hypercalls (common/control.c). */
#ifndef BATON_CONTROL_H
#define BATON_CONTROL_H

#include <baton/types.h>
#include <public/control.h>

struct domain;

/* HYPERCALL_control_op from d: public/control.h. */
long do_control_op(struct domain *d, uint32_t cmd, uint64_t arg);

/* domain_create's argument before anything is copied: pad, then the sizes
 * against CONTROL_IMAGE_MAX and CONTROL_CONFIG_MAX. 0 or -BATON_E*. */
int control_check_create(const struct control_domain_create *c);

#endif
