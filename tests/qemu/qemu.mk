qemu-tests += boot
qemu-tests += domains
qemu-tests += rehearsal
qemu-tests += control
qemu-tests += control_plane
qemu-tests += kexec
qemu-tests += liveupdate
qemu-tests += kexec_tools
