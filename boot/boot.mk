hv-y += boot/head.o boot/multiboot.o
