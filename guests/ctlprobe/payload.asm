; The ELF image ctlprobe builds a domain from (control_op domain_create):
; the heartbeat guest, embedded at build time (guests.mk puts
; $(O)/guests/ on nasm's include path and makes this object depend on it).

bits 64

section .rodata
align 16
global payload_start, payload_end
payload_start:
    incbin "heartbeat.elf"
payload_end:
