; x87 and SSE register access for fpucheck. The runtime and fpucheck.c
; build with -mgeneral-regs-only, so nothing but these two functions (and
; the hypervisor, across switches) touches the x87 and SSE registers: what
; fpu_load puts there must still be there at the next fpu_snapshot.
;
; void fpu_load(const struct fpu_pattern *p)
;   rdi = p (any alignment):
;     +0   u16 fcw          loaded with fldcw after fninit
;     +4   u32 mxcsr        loaded with ldmxcsr
;     +8   u32 nr_st        how many of st[] to push (0..8)
;     +16  u64 st[8]        integers, pushed with fild from st[nr_st-1] down
;                           to st[0], so ST0 = st[0] ... ST(nr_st-1) = st[nr_st-1]
;     +80  u8  xmm[16][16]  XMM0..XMM15 (movdqu)
;   Clobbers the whole x87/SSE state (that is its purpose) and rax, rcx.
;
; void fpu_snapshot(void *area)
;   rdi = a 512-octet, 16-aligned area: fxsave64 writes the 64-bit FXSAVE
;   image there. Changes no register.
;
; void fpu_raise_xm(void), void fpu_raise_mf(void)
;   No arguments. Unmask the zero-divide exception (MXCSR 0x1d80, FCW
;   0x037b), divide by zero and so raise #XM (SSE, CR4.OSXMMEXCPT) or #MF
;   (x87, at the fwait after the fdivp; CR0.NE). They return only if the
;   exception was not delivered. Clobber rax and the x87/SSE state.
;
; void fpu_try_avx(void)
;   No arguments. One VEX instruction (vpxor ymm0): with CR4.OSXSAVE clear
;   it must raise #UD; it returns only where the CPU runs it anyway, and
;   then YMM state (which FXSAVE does not cover) is not switched.
;   Clobbers ymm0.

bits 64
default rel

section .text

global fpu_load
fpu_load:
    fninit
    fldcw   [rdi]
    ldmxcsr [rdi + 4]
    mov     ecx, [rdi + 8]
    cmp     ecx, 8
    jbe     .push
    mov     ecx, 8
.push:
    test    ecx, ecx
    jz      .xmm
    fild    qword [rdi + 16 + rcx * 8 - 8]
    dec     ecx
    jmp     .push
.xmm:
    movdqu  xmm0, [rdi + 80 + 0 * 16]
    movdqu  xmm1, [rdi + 80 + 1 * 16]
    movdqu  xmm2, [rdi + 80 + 2 * 16]
    movdqu  xmm3, [rdi + 80 + 3 * 16]
    movdqu  xmm4, [rdi + 80 + 4 * 16]
    movdqu  xmm5, [rdi + 80 + 5 * 16]
    movdqu  xmm6, [rdi + 80 + 6 * 16]
    movdqu  xmm7, [rdi + 80 + 7 * 16]
    movdqu  xmm8, [rdi + 80 + 8 * 16]
    movdqu  xmm9, [rdi + 80 + 9 * 16]
    movdqu  xmm10, [rdi + 80 + 10 * 16]
    movdqu  xmm11, [rdi + 80 + 11 * 16]
    movdqu  xmm12, [rdi + 80 + 12 * 16]
    movdqu  xmm13, [rdi + 80 + 13 * 16]
    movdqu  xmm14, [rdi + 80 + 14 * 16]
    movdqu  xmm15, [rdi + 80 + 15 * 16]
    ret

global fpu_snapshot
fpu_snapshot:
    fxsave64 [rdi]
    ret

global fpu_raise_xm
fpu_raise_xm:
    sub     rsp, 8
    mov     dword [rsp], 0x1d80
    ldmxcsr [rsp]
    mov     eax, 0x3f800000             ; 1.0f
    movd    xmm0, eax
    xorps   xmm1, xmm1
    divss   xmm0, xmm1
    add     rsp, 8
    ret

global fpu_try_avx
fpu_try_avx:
    vpxor   ymm0, ymm0, ymm0
    ret

global fpu_raise_mf
fpu_raise_mf:
    sub     rsp, 8
    fninit
    mov     word [rsp], 0x037b
    fldcw   [rsp]
    fld1
    fldz
    fdivp   st1, st0                    ; zero divide, now pending
    fwait                               ; delivers it
    add     rsp, 8
    ret
