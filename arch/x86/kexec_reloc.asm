; kexec_reloc: the last code the running hypervisor executes. It moves
; onto identity page tables, copies the staged pages of a kexec image to
; their destinations by following the indirection list (baton/kimage.h),
; performs the list's 64-bit writes (a live update's breadcrumb) after every
; page is in place, and enters the image in the state public/kexec.h
; documents ("the exec contract").
;
; Register contract at entry (called from C, System V order):
;   rdi = physical address of the control page; machine_kexec.c copied
;         kexec_reloc .. kexec_reloc_end to its start. The page is RAM
;         outside every destination and identity mapped by the new tables.
;   rsi = physical address of the identity page tables' root (PML4). They
;         map every segment, the low 1 MiB, all RAM (so the list, the
;         staged pages and the control page) with virtual == physical, and
;         also this image at its link address, so that the instruction after
;         the CR3 load is still there.
;   rdx = the first list entry: IND_INDIRECTION | first page, or IND_DONE
;   rcx = physical address of the image's entry
;   interrupts off, long mode, CPL 0; any stack (it is not used before rsp
;   is moved into the control page).
; It never returns.
;
; Inside: r8 = the list's first entry, r9 = the entry address; the walks use
; rbx (current entry), rdx (where the next entry is read), rdi (destination),
; rsi, rcx, rax (rep movsq / rep stosq operands).

%include "generated/asm-offsets.inc"

CR0_PE      equ 1 << 0
CR0_EM      equ 1 << 2
CR0_TS      equ 1 << 3
CR0_WP      equ 1 << 16
CR0_AM      equ 1 << 18
CR0_PG      equ 1 << 31
CR4_PAE     equ 1 << 5
RFLAGS_FIXED equ 1 << 1                 ; the one flag that always reads 1
ADDR_MASK   equ -PAGE_SIZE              ; sign-extended by 'and r64, imm32': ~0xfff
QWORDS_PER_PAGE equ PAGE_SIZE / 8

bits 64
section .text

global kexec_reloc
global kexec_reloc_end

align 16
kexec_reloc:
    cld                                 ; rep movsq/stosq go upwards

    ; CR3: the identity tables. They also map this image at its link
    ; address, so execution continues here. The old stack is not mapped by
    ; them: nothing touches the stack until rsp is moved below.
    mov     cr3, rsi

    ; Go on in the copy in the control page (identity mapped): from here on
    ; the image may be overwritten by what we copy.
    lea     rax, [rdi + (identity - kexec_reloc)]
    jmp     rax

identity:
    lea     rsp, [rdi + PAGE_SIZE]      ; the stack: the top of the control page
    mov     r8, rdx                     ; the list
    mov     r9, rcx                     ; the entry

    ; Our own GDT, in this page: the old one lies in the image. Its
    ; descriptor holds the copy's address, known only now.
    lea     rax, [rel gdt]
    mov     [rel gdt_desc + 2], rax
    lgdt    [rel gdt_desc]
    ; Reload CS from it with a far return, then the data segments.
    lea     rax, [rel .reload_cs]
    push    GDT_HV_CS
    push    rax
    o64 retf
.reload_cs:
    mov     eax, GDT_HV_DS
    mov     ds, ax
    mov     es, ax
    mov     ss, ax
    mov     fs, ax
    mov     gs, ax

    ; An IDT of limit 0: an exception or NMI from here on resets the
    ; machine instead of running the old handlers out of overwritten memory.
    lidt    [rel null_idt]

    ; CR4 = PAE only (long mode needs it). PGE off flushes the old global
    ; TLB entries; SMEP, SMAP, UMIP and the FPU/SSE enables go: the entry
    ; starts from a known state and sets what it wants.
    mov     eax, CR4_PAE
    mov     cr4, rax

    ; CR0: PE and PG stay (long mode); WP off so that nothing read-only
    ; can stop a copy; AM off (no alignment checks); TS and EM off so the
    ; entry may use the FPU without a fault.
    mov     rax, cr0
    and     eax, ~(CR0_WP | CR0_AM | CR0_TS | CR0_EM)
    or      eax, CR0_PG | CR0_PE
    mov     cr0, rax

    mov     rbx, r8
    call    copy_pages                  ; pass 1: every page
    mov     rbx, r8
    call    write_words                 ; pass 2: the 64-bit writes, last

    ; Enter as by a call (Xen's 'call *%rbp'): [rsp] = a return address
    ; that stops the CPU. Every other general-purpose register is zero and
    ; RFLAGS holds only its fixed bit (IF, DF, AC clear).
    lea     rax, [rel .stop]
    push    rax
    push    r9
    xor     eax, eax
    xor     ebx, ebx
    xor     ecx, ecx
    xor     edx, edx
    xor     esi, esi
    xor     edi, edi
    xor     ebp, ebp
    xor     r8d, r8d
    xor     r9d, r9d
    xor     r10d, r10d
    xor     r11d, r11d
    xor     r12d, r12d
    xor     r13d, r13d
    xor     r14d, r14d
    xor     r15d, r15d
    push    RFLAGS_FIXED
    popfq
    ret
.stop:
    cli
    hlt
    jmp     .stop

; copy_pages: pass 1. rbx = first entry. DESTINATION sets rdi, SOURCE
; copies a page to it, ZERO zeroes one (both advance rdi by a page),
; INDIRECTION moves on to another list page, DONE ends; WRITE64 is left for
; pass 2. Clobbers rax, rbx, rcx, rdx, rsi, rdi.
copy_pages:
    xor     edi, edi
    xor     edx, edx
.entry:
    test    bl, IND_DONE
    jnz     .done
    test    bl, IND_INDIRECTION
    jz      .not_indirection
    mov     rdx, rbx
    and     rdx, ADDR_MASK
    jmp     .next
.not_indirection:
    test    bl, IND_DESTINATION
    jz      .not_destination
    mov     rdi, rbx
    and     rdi, ADDR_MASK
    jmp     .next
.not_destination:
    test    bl, IND_SOURCE
    jz      .not_source
    mov     rsi, rbx
    and     rsi, ADDR_MASK
    mov     ecx, QWORDS_PER_PAGE
    rep movsq                           ; the page, 8 octets at a time; rdi += PAGE_SIZE
    jmp     .next
.not_source:
    test    bl, IND_ZERO
    jz      .next                       ; IND_WRITE64: pass 2
    xor     eax, eax
    mov     ecx, QWORDS_PER_PAGE
    rep stosq                           ; rdi += PAGE_SIZE
.next:
    mov     rbx, [rdx]
    add     rdx, 8
    jmp     .entry
.done:
    ret

; write_words: pass 2. rbx = first entry. DESTINATION sets rdi, WRITE64
; stores its value (the entry without its flag bits) there and advances rdi
; by 8; pages were done in pass 1. Clobbers rax, rbx, rdx, rdi.
write_words:
    xor     edi, edi
    xor     edx, edx
.entry:
    test    bl, IND_DONE
    jnz     .done
    test    bl, IND_INDIRECTION
    jz      .not_indirection
    mov     rdx, rbx
    and     rdx, ADDR_MASK
    jmp     .next
.not_indirection:
    test    bl, IND_DESTINATION
    jz      .not_destination
    mov     rdi, rbx
    and     rdi, ADDR_MASK
    jmp     .next
.not_destination:
    test    bl, IND_WRITE64
    jz      .next
    mov     rax, rbx
    and     rax, ADDR_MASK
    stosq                               ; [rdi] = rax; rdi += 8
.next:
    mov     rbx, [rdx]
    add     rdx, 8
    jmp     .entry
.done:
    ret

; ---------------------------------------------------------------- data (in the copy)
align 16
gdt:
    dq 0                                ; null
    dq 0x00af9a000000ffff               ; GDT_HV_CS: 64-bit code, DPL 0
    dq 0x00cf92000000ffff               ; GDT_HV_DS: flat data
gdt_end:
gdt_desc:
    dw gdt_end - gdt - 1
    dq 0                                ; base: the copy's gdt, filled in above
align 8
null_idt:
    dw 0
    dq 0
kexec_reloc_end:

; The copy must leave the control page room for its stack.
times -((kexec_reloc_end - kexec_reloc) > KEXEC_RELOC_MAX) db 0
%if GDT_HV_CS != 8 || GDT_HV_DS != 16
%error "kexec_reloc's GDT has code at 0x08 and data at 0x10: GDT_HV_CS/DS moved"
%endif
