hv-y += common/lib.o common/printk.o common/cmdline.o common/memmap.o common/bootmem.o \
	common/memory.o common/page_alloc.o common/vmap.o common/time_scale.o common/version.o \
	common/domain.o common/domain_build.o common/elf.o common/guest_access.o common/sched.o \
	common/timer.o common/control.o
# the live update bootmem, reserved by memory_init at cold boot
hv-$(CONFIG_LIVE_UPDATE) += common/lu/bootmem.o
# kexec_op and kexec images (staging, the indirection list)
hv-y += common/kexec.o common/kimage.o
