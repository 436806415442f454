/*
 * The Baton PV guest runtime: what a workload sees. A workload defines
 * guest_main(); the runtime has by then checked the start info, set up the
 * console ring, registered the event upcall and bound VIRQ_TIMER.
 *
 * Concurrency model: one vCPU. Event handlers run in the upcall, with
 * upcalls masked; they should be short (set a flag, count). Code waiting
 * for something uses the generation pattern, which cannot lose a wakeup:
 *
 *     for (;;) {
 *         uint64_t gen = evtchn_generation();
 *         if (condition())
 *             break;
 *         wait_events(gen, deadline_ns);
 *     }
 */
#ifndef GUEST_RT_H
#define GUEST_RT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <public/pv.h>
#include <public/hypercall.h>
#include "hcall.h"
#include "fmt.h"
#include "rtstring.h"

#define __noreturn_fn   __attribute__((noreturn))
#define __printf_fn(a, b) __attribute__((format(printf, a, b)))
#define barrier()       __asm__ volatile("" ::: "memory")

#define NS_PER_MS       UINT64_C(1000000)
#define NS_PER_SEC      UINT64_C(1000000000)

/* ---------------------------------------------------------------- start */

/* Provided by the workload. 0: power off; anything else: crash. */
int guest_main(void);

extern const struct start_info *rt_start_info;
extern struct shared_info *rt_shared_info;
extern struct console_ring *rt_console;
/* First byte after the kernel image, page-aligned (from the link script). */
extern char __image_end[];

uint16_t rt_domid(void);
uint64_t rt_mem_size(void);
const char *rt_name(void);
const char *rt_cmdline(void);

/* A numeric cmdline parameter (decimal, 0x hex, K/M/G suffix); panics if malformed. */
uint64_t rt_param_u64(const char *key, uint64_t dflt);
/* A string parameter copied into buf; false (and buf = dflt) when absent. */
bool rt_param_str(const char *key, char *buf, size_t size, const char *dflt);

__noreturn_fn void rt_exit(uint32_t reason);
__noreturn_fn __printf_fn(1, 2) void panic(const char *fmt, ...);

/* --------------------------------------------------------------- console */

/* Early/panic output: straight to the hypervisor by console_write. */
void console_write_early(const char *s, size_t len);
/* Normal output: the console ring (console_write before it is set up). */
void console_write(const char *s, size_t len);
__printf_fn(1, 2) int printf(const char *fmt, ...);
int vprintf(const char *fmt, va_list ap);

/* ------------------------------------------------------------------ time */

uint64_t rdtsc_ordered(void);
/* System time in ns, from the shared info page (no hypercall). */
uint64_t now_ns(void);
uint64_t now_ms(void);
/* Sleep with set_timer + sched_block; events are handled meanwhile. */
void sleep_until(uint64_t deadline_ns);
void sleep_ms(uint64_t ms);

/* ---------------------------------------------------------------- events */

typedef void (*evtchn_handler_t)(uint32_t port, void *data);

void evtchn_init(void);
/* (Re)register the runtime's upcall entry with VCPUOP_register_upcall. */
void evtchn_register_upcall(void);
void evtchn_set_handler(uint32_t port, evtchn_handler_t fn, void *data);
/* Incremented by every handled event. */
uint64_t evtchn_generation(void);
/* How many times port fired since boot. */
uint64_t evtchn_count(uint32_t port);
/*
 * Block until an event is handled after gen was read, or system time
 * reaches deadline_ns (0: no deadline). Call with events enabled.
 */
void wait_events(uint64_t gen, uint64_t deadline_ns);
/* Deliver nothing while disabled (the vCPU's upcall mask); returns the old mask. */
bool events_disable(void);
void events_enable(void);
void events_restore(bool was_disabled);
/* Handle every pending, unmasked port. Call with events disabled. */
void evtchn_poll(void);
void evtchn_mask(uint32_t port);
void evtchn_unmask(uint32_t port);
uint32_t evtchn_timer_port(void);
uint64_t evtchn_upcalls(void);

int evtchn_alloc_unbound(uint16_t remote_dom, uint32_t *port);
int evtchn_bind_interdomain(uint16_t remote_dom, uint32_t remote_port, uint32_t *local_port);
int evtchn_bind_virq(uint32_t virq, uint32_t vcpu, uint32_t *port);
int evtchn_send(uint32_t port);
int evtchn_close(uint32_t port);
int evtchn_status(uint32_t port, struct evtchn_status *st);

/* ---------------------------------------------------------------- grants */

int gnttab_grant_access(uint32_t ref, uint16_t domid, const void *page, bool readonly);
int gnttab_end_access(uint32_t ref);
/* Map (domid, ref) into window slot; *va gets its address. */
int gnttab_map(uint16_t domid, uint32_t ref, uint32_t slot, bool readonly, void **va);
int gnttab_unmap(uint32_t slot);

#endif
