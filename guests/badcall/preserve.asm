; Register preservation probe for badcall.
;
; u64 hc_preserve_check(u64 nr, i64 *rc_out)
;   rdi = hypercall number, rsi = where to store the hypercall's rax.
; Loads every argument and callee register with a garbage pattern (pointer
; arguments non-canonical, u32 arguments unknown commands), issues the
; hypercall, and returns a bitmask of the registers the hypervisor changed:
;   bit 0 rbx, 1 rbp, 2 rdi, 3 rsi, 4 rdx, 5 r8, 6 r9, 7 r10,
;   8 r12, 9 r13, 10 r14, 11 r15.
; rcx and r11 are not checked: syscall itself clobbers them (ABI).

bits 64
default rel

%define PAT_RBX 0xdead0000000000b1
%define PAT_RBP 0xdead0000000000b2
%define PAT_RDI 0xdead0000000000d1
%define PAT_RSI 0xdead0000000000d2
%define PAT_RDX 0xdead0000000000d3
%define PAT_R8  0xdead0000000000e8
%define PAT_R9  0xdead0000000000e9
%define PAT_R10 0xdead0000000000ea
%define PAT_R12 0xdead0000000000ec
%define PAT_R13 0xdead0000000000ed
%define PAT_R14 0xdead0000000000ee
%define PAT_R15 0xdead0000000000ef

; CHECK reg, pattern, bit: set bit in ecx if reg no longer holds pattern
%macro CHECK 3
    mov     r11, %2
    cmp     %1, r11
    je      %%same
    or      ecx, 1 << %3
%%same:
%endmacro

section .text

global hc_preserve_check
hc_preserve_check:
    push    rbx
    push    rbp
    push    r12
    push    r13
    push    r14
    push    r15
    push    rsi                     ; rc_out, popped after the checks
    mov     rax, rdi
    mov     rbx, PAT_RBX
    mov     rbp, PAT_RBP
    mov     rdi, PAT_RDI
    mov     rsi, PAT_RSI
    mov     rdx, PAT_RDX
    mov     r8, PAT_R8
    mov     r9, PAT_R9
    mov     r10, PAT_R10
    mov     r12, PAT_R12
    mov     r13, PAT_R13
    mov     r14, PAT_R14
    mov     r15, PAT_R15
    syscall
    xor     ecx, ecx                ; rcx, r11: free after syscall
    CHECK   rbx, PAT_RBX, 0
    CHECK   rbp, PAT_RBP, 1
    CHECK   rdi, PAT_RDI, 2
    CHECK   rsi, PAT_RSI, 3
    CHECK   rdx, PAT_RDX, 4
    CHECK   r8, PAT_R8, 5
    CHECK   r9, PAT_R9, 6
    CHECK   r10, PAT_R10, 7
    CHECK   r12, PAT_R12, 8
    CHECK   r13, PAT_R13, 9
    CHECK   r14, PAT_R14, 10
    CHECK   r15, PAT_R15, 11
    pop     r11
    mov     [r11], rax
    mov     eax, ecx
    pop     r15
    pop     r14
    pop     r13
    pop     r12
    pop     rbp
    pop     rbx
    ret
