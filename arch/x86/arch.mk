hv-y += arch/x86/entry.o arch/x86/traps.o arch/x86/paging.o arch/x86/mm.o \
	arch/x86/serial.o arch/x86/time.o arch/x86/tsc_calibrate.o arch/x86/apic.o arch/x86/setup.o arch/x86/pv.o \
	arch/x86/vcpu.o arch/x86/domain_pt.o
# x87/SSE state per vCPU, switched eagerly
hv-y += arch/x86/fpu.o
# kexec: the control page and identity tables at load, kexec_reloc at exec
hv-y += arch/x86/machine_kexec.o arch/x86/kexec_reloc.o
