qemu-tests += boot
qemu-tests += domains
qemu-tests += rehearsal
qemu-tests += control
