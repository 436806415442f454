; The flat purgatory (purgatory.asm, nasm -f bin) as data in an ELF object
; linked into hvctl: hvctl_purgatory .. hvctl_purgatory_end. PURGATORY_BIN
; is the blob's path, given by hvctl.mk.
section .rodata align=16
global hvctl_purgatory
global hvctl_purgatory_end
hvctl_purgatory:
    incbin PURGATORY_BIN
hvctl_purgatory_end:

section .note.GNU-stack noalloc noexec nowrite progbits
