; Trap and interrupt entry: one stub per vector pushes a dummy error code
; where the CPU pushes none, then the vector, and joins trap_common, which
; saves the general registers as struct cpu_user_regs (include/asm/regs.h)
; and calls do_trap(regs).

; GDT_*, VECTOR_HYPERCALL and the REGS_* offsets of struct cpu_user_regs:
; generated from the C headers by arch/x86/asm-offsets.c.
%include "generated/asm-offsets.inc"

; trap_common's pushes must build struct cpu_user_regs exactly: r15 lowest,
; then upwards in the order below, then what the stubs and the CPU push.
%macro CHECK_REGS 1-*
%assign off 0
%rep %0
%if REGS_%1 != off
%error struct cpu_user_regs (include/asm/regs.h) no longer matches the pushes at field %1
%endif
%assign off off + 8
%rotate 1
%endrep
%if REGS_SIZE != off
%error "struct cpu_user_regs (include/asm/regs.h) has fields entry.asm does not push"
%endif
%endmacro
CHECK_REGS r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax, \
    vector, error_code, rip, cs, rflags, rsp, ss

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
    ; A known flags register: the CPU clears TF and NT on the way in but
    ; not AC (a guest could enter with AC set and defeat SMAP) nor DF.
    ; IF is already clear (interrupt gates).
    push    2
    popfq
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
    add     rsp, REGS_rip - REGS_vector ; vector, error code
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

; ---------------------------------------------------------------- syscall
; Hypercall entry. The CPU leaves: rcx = guest rip, r11 = guest rflags,
; rsp = guest rsp (untouched), interrupts off (SFMASK clears IF). We switch
; to the running vCPU's hypervisor stack and build the same frame an
; interrupt from ring 3 would, marked VECTOR_HYPERCALL, so one exit path
; (trap_return, iretq) serves both. iretq also avoids sysret's trap on a
; non-canonical rip.
;
; Under kvm_pvm a guest's syscall never runs this: the CPU stays in ring 3
; and the fetch here faults (#PF 0x15). arch/x86/traps.c then turns the
; #PF frame into the one built below (complete_syscall_fault): a change to
; this frame is a change there too.

section .text
global syscall_entry
global switch_stacks
global vcpu_start_trampoline
extern pv_kstack_top
extern pv_guest_rsp_scratch

syscall_entry:
    mov     [rel pv_guest_rsp_scratch], rsp
    mov     rsp, [rel pv_kstack_top]
    push    GDT_USER_DS                 ; ss
    push    qword [rel pv_guest_rsp_scratch]
    push    r11
    push    GDT_USER_CS                 ; cs
    push    rcx
    push    0                           ; error code
    push    VECTOR_HYPERCALL
    jmp     trap_common

; switch_stacks(u64 *save_rsp [rdi], u64 new_rsp [rsi]): save the callee-saved
; registers on this stack, park it, and resume the one at new_rsp.
switch_stacks:
    push    rbp
    push    rbx
    push    r12
    push    r13
    push    r14
    push    r15
    mov     [rdi], rsp
    mov     rsp, rsi
    pop     r15
    pop     r14
    pop     r13
    pop     r12
    pop     rbx
    pop     rbp
    ret

; A vCPU's first switch_stacks "returns" here, on a fresh stack whose top
; holds its guest frame (struct cpu_user_regs): rsp points at that frame.
; It leaves through the same exit path as any trap from the guest, so a
; restored vCPU gets the upcall that was pending when it was saved.
;   in:  rsp = the guest frame (16-byte aligned), interrupts off
;   out: iretq to the guest (pv_exit_to_guest may schedule first)
extern pv_exit_to_guest
vcpu_start_trampoline:
    mov     rdi, rsp
    call    pv_exit_to_guest
    jmp     trap_return
