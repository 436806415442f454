/*
 * The kexec_op hypercall (common/kexec.c): domain 0 loads, unloads, asks
 * about and executes kexec images (public/kexec.h for the ABI and the exec
 * contract, baton/kimage.h for images).
 */
#ifndef BATON_KEXEC_H
#define BATON_KEXEC_H

#include <baton/kimage.h>
#include <baton/types.h>

struct domain;

/* HYPERCALL_kexec_op: -BATON_EPERM for any domain but domain 0, before arg is read. */
long do_kexec_op(struct domain *d, uint32_t cmd, uint64_t arg);

/*
 * The loaded image of a type (KEXEC_TYPE_DEFAULT or KEXEC_TYPE_LIVE_UPDATE),
 * or NULL. The live update's exec adds its breadcrumb with
 * kimage_add_write64() and enters it with arch_kexec_exec().
 */
struct kimage *kexec_loaded_image(uint8_t type);

/* What every load is checked against: RAM, MA_XEN, MA_LIVEUPDATE. */
void kexec_get_ranges(struct kimage_ranges *r);

#endif
