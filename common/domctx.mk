# Domain context framework (typed per-domain / per-vCPU state entries).
hv-y += common/domctx.o

# The one list of the sources that register context handlers
# (DOMCTX_HANDLER), each in its subsystem's file: DOMAIN, VCPU, EVTCHN,
# GRANT, GRANT_MAP, TIMER, CONSOLE, FPU, and the cross-domain restore checks
# (evtchn_restore_check, gnttab_restore_check). Host programs that link the
# real handlers (tools/lu-dump, its test) use this list. Those files also
# hold hypervisor code, so compile them with $(domctx-handler-cflags) and
# link with -Wl,--gc-sections; what the handlers still reference is
# $(domctx-host-srcs) (tools/lib/lib.mk: tools/lib/domctx_host.c and
# common/guest_access.c as it is). A program with fakes of its own (a domain
# table, guest_gpfn_to_mfn) cannot link common/domain.c or guest_access.c
# next to them.
domctx-handler-srcs := common/domain.c arch/x86/vcpu.c arch/x86/fpu.c \
	common/event_channel.c common/grant_table.c common/timer.c common/guest_console.c
domctx-handler-cflags := -ffunction-sections -fdata-sections
