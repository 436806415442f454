qemu-tests += boot
qemu-tests += domains
