/*
 * A user-space stand-in for the hypervisor side of the PV ABI, for host
 * tests of the guests (tests/unit/test_guestrun.c). Each domain is a child
 * process traced with PTRACE_SYSEMU: its `syscall`s are hypercalls served
 * here per docs/specs/pv-abi.md, its memory is a range of one shared memfd
 * ("machine memory") mapped at [0x1000, mem_size), grant maps are real
 * mmaps of the granter's pages, faults arrive as signals.
 *
 * It is a test double, not a model of Baton's internals: one vCPU per
 * domain, every domain a host process running at native speed.
 */
#ifndef TEST_GUESTEMU_H
#define TEST_GUESTEMU_H

#include <stdbool.h>
#include <stdint.h>

#define EMU_MAX_DOMS    32

enum emu_exit {
    EMU_EXIT_NONE = 0,      /* still running */
    EMU_EXIT_POWEROFF,
    EMU_EXIT_REBOOT,
    EMU_EXIT_CRASH,         /* domain_shutdown(crash) */
    EMU_EXIT_FAULT,         /* killed for a fault (signal) */
    EMU_EXIT_BUILD,         /* refused by the builder */
};

/* 0, or -errno when the host cannot trace (the caller skips). */
int emu_init(void);
void emu_fini(void);

/* Build and start a domain; returns its domid (creation order from 0). */
int emu_create(const char *elf_path, const char *name, uint64_t mem_size,
               const char *cmdline, bool privileged);

/* Run every domain until domid's console shows text; false on timeout or death. */
bool emu_run_until(int domid, const char *text, unsigned timeout_ms);
/* Run every domain until domid is gone; false on timeout. */
bool emu_run_until_dead(int domid, unsigned timeout_ms);
/* Run every domain for a while. */
void emu_run_for(unsigned ms);

/* Everything domid printed, each line prefixed "(dN) ". */
const char *emu_output(int domid);
enum emu_exit emu_exit_reason(int domid);

#endif
