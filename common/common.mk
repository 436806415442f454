hv-y += common/lib.o common/printk.o common/cmdline.o common/memmap.o common/bootmem.o \
	common/page_alloc.o common/vmap.o common/time_scale.o common/version.o
