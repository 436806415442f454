/*
 * Host glue for programs that link the real domain context handlers
 * ($(domctx-handler-srcs), common/domctx.mk) outside the hypervisor:
 * lu-dump and its test. Those sources also hold hypervisor code (hypercalls,
 * delivery, the context switch) that a host program must not pull in: they
 * are compiled with -ffunction-sections -fdata-sections and linked with
 * -Wl,--gc-sections, so only the handlers, the restore checks and what they
 * call stay. This file defines what is then still missing, and only that:
 *
 *   current   (common/sched.c) the running vCPU. vcpu_save() asserts that
 *             it is not saving the running vCPU; a host program runs no
 *             vCPU, so it is NULL and never matches.
 *
 * Real, linked as they are: the domain table (common/domain.c:
 * domain_claim_slot, domain_by_id_any, domain_slot) and guest_gpfn_to_mfn
 * (common/guest_access.c, which the GRANT handler uses). If a handler
 * starts to reference something new, the link of lu-dump fails with an
 * undefined reference: add it here with what it means on the host.
 */
#include <baton/domain.h>
#include <baton/sched.h>

struct vcpu *current;
