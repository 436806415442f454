qemu-tests += boot
