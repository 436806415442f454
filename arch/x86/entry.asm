; Trap and interrupt entry: one stub per vector pushes a dummy error code
; where the CPU pushes none, then the vector, and joins trap_common, which
; saves the general registers as struct cpu_user_regs (include/asm/regs.h)
; and calls do_trap(regs).

bits 64
section .text

extern do_trap
global trap_stubs
global trap_return

; vectors for which the CPU pushes an error code
%define HAS_ERROR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

%macro STUB 1
align 16
stub_%1:
%if !HAS_ERROR(%1)
    push    0
%endif
    push    %1
    jmp     trap_common
%endmacro

%assign v 0
%rep 256
    STUB v
%assign v v + 1
%endrep

trap_common:
    push    rax
    push    rbx
    push    rcx
    push    rdx
    push    rsi
    push    rdi
    push    rbp
    push    r8
    push    r9
    push    r10
    push    r11
    push    r12
    push    r13
    push    r14
    push    r15
    cld
    mov     rdi, rsp
    call    do_trap
trap_return:
    pop     r15
    pop     r14
    pop     r13
    pop     r12
    pop     r11
    pop     r10
    pop     r9
    pop     r8
    pop     rbp
    pop     rdi
    pop     rsi
    pop     rdx
    pop     rcx
    pop     rbx
    pop     rax
    add     rsp, 16                 ; vector, error code
    iretq

section .rodata
align 8
; the address of every stub, for the IDT
trap_stubs:
%macro STUB_ADDR 1
    dq stub_%1
%endmacro
%assign v 0
%rep 256
    STUB_ADDR v
%assign v v + 1
%endrep
