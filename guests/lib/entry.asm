; Guest kernel entry point.
;
; Register contract on entry (docs/specs/pv-abi.md, "Entry state"):
;   ring 3, rip = e_entry = _start
;   rdi    = start info page (0x1000)
;   rsp    = top of guest memory (mem_size)
;   rflags = IF only; every other GPR is 0
;
; We zero .bss (the builder zeroes memory too, but this is cheap and keeps the
; runtime correct whatever the loader did), move the stack into .bss so that
; every page from the end of the image to the top of memory belongs to the
; workload (memcheck fills all of it), and call guest_start(start_info).

bits 64
default abs

section .text.entry progbits alloc exec nowrite align=16

global _start
extern guest_start
extern __bss_start
extern __bss_end

_start:
    cld                             ; the C ABI wants DF clear
    mov     rbx, rdi                ; rbx: start info, survives rep stos
    mov     rdi, __bss_start
    mov     rdx, __bss_end
    sub     rdx, rdi                ; rdx: BSS octets
    mov     rcx, rdx
    shr     rcx, 3
    xor     eax, eax
    rep stosq                       ; no stack in use yet: safe to zero ours,
    mov     ecx, edx                ; 8 octets at a time (one instruction per 8
    and     ecx, 7                  ; under -icount), then the tail
    rep stosb
    mov     rsp, boot_stack_top     ; 16-aligned, as before a call
    xor     ebp, ebp                ; terminate frame-pointer chains
    mov     rdi, rbx
    call    guest_start             ; never returns
.hang:
    ud2                             ; a fault kills the domain: the right end
    jmp     .hang

section .bss nobits alloc noexec write align=16

boot_stack:
    resb    65536
boot_stack_top:
