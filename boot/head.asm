; Baton's entry: multiboot1 and multiboot2 headers, the 32-bit entry, the
; switch to long mode and the jump to the higher half.
;
; Register contract at entry32 (both protocols):
;   eax = 0x2badb002 (multiboot1) or 0x36d76289 (multiboot2)
;   ebx = physical address of the boot information
;   32-bit protected mode, paging off, flat segments, interrupts off;
;   esp is undefined (we must not rely on a stack the loader gave us).
;
; The image may be loaded at any 2 MiB-aligned physical address (the
; multiboot2 relocatable tag lets GRUB or kexec-tools choose), so everything
; here before paging is position independent: addresses are computed from
; ebp = physical address of the image's first byte.

; HV_*, DIRECTMAP_VIRT_START, BOOT_*, PTE_*, MSR_EFER, EFER_NXE, GDT_HV_CS:
; generated from the C headers by arch/x86/asm-offsets.c.
%include "generated/asm-offsets.inc"

MB1_MAGIC           equ 0x1badb002
MB1_FLAGS           equ (1 << 0) | (1 << 1) | (1 << 16) ; page-aligned modules, memory info, address fields
MB2_MAGIC           equ 0xe85250d6
MB2_TAG_ADDRESS     equ 2
MB2_TAG_ENTRY       equ 3
MB2_TAG_RELOCATABLE equ 10
MB2_RELOC_MIN       equ HV_LINK_PHYS
MB2_RELOC_MAX       equ 0x7fffffff          ; keep the image below 2 GiB
MB2_PREFER_LOW      equ 1

EFER_LME            equ 1 << 8              ; long mode enable (C never needs it)
BOOT_MAP_PDS        equ BOOT_MAP_LIMIT >> L3_SHIFT  ; page directories of the low map

extern __load_end_phys
extern __image_end_phys
extern __image_2m_pages
extern __bss_start
extern __bss_end
extern start_baton

global entry32
global boot_pml4
global boot_stack_top
global boot_gdt

; Offset of a symbol from the start of the image: valid in this section only,
; which is linked first (see arch/x86/baton.lds).
%define OFF(sym) ((sym) - image_start)

section .text.boot progbits alloc exec write align=4096
bits 32
image_start:

; ---------------------------------------------------------------- multiboot1
; QEMU -kernel rejects ELF64 multiboot images, so the header carries the
; a.out kludge: the file is one flat image loaded at HV_LINK_PHYS.
align 4
mb1_header:
    dd MB1_MAGIC
    dd MB1_FLAGS
    dd -(MB1_MAGIC + MB1_FLAGS)
    dd HV_LINK_PHYS + OFF(mb1_header)       ; header_addr
    dd HV_LINK_PHYS                         ; load_addr
    dd __load_end_phys                      ; load_end_addr
    dd __image_end_phys                     ; bss_end_addr
    dd HV_LINK_PHYS + OFF(entry32)          ; entry_addr

; ---------------------------------------------------------------- multiboot2
align 8
mb2_header:
    dd MB2_MAGIC
    dd 0                                    ; i386 protected mode
    dd mb2_header_end - mb2_header
    dd -(MB2_MAGIC + 0 + (mb2_header_end - mb2_header))
    ; address tag: the same flat image as multiboot1
    dw MB2_TAG_ADDRESS, 0
    dd 24
    dd HV_LINK_PHYS + OFF(mb2_header)       ; header_addr
    dd HV_LINK_PHYS                         ; load_addr
    dd __load_end_phys                      ; load_end_addr
    dd __image_end_phys                     ; bss_end_addr
    ; entry address tag (the loader adds the relocation offset)
    dw MB2_TAG_ENTRY, 0
    dd 12
    dd HV_LINK_PHYS + OFF(entry32)
    dd 0                                    ; pad to 8
    ; relocatable tag: anywhere 2 MiB-aligned between min and max
global mb2_reloc_tag
mb2_reloc_tag:
    dw MB2_TAG_RELOCATABLE, 0
    dd 24
    dd MB2_RELOC_MIN                        ; min_addr
    dd MB2_RELOC_MAX                        ; max_addr
    dd HV_IMAGE_ALIGN                       ; align
    dd MB2_PREFER_LOW                       ; preference
    ; end tag
    dw 0, 0
    dd 8
mb2_header_end:

; ---------------------------------------------------------------- 32-bit entry
entry32:
    cld
    cli
    mov     edi, eax                ; keep the magic
    mov     esi, ebx                ; keep the boot info address

    ; Find where we run. No stack is given, so borrow the first dword of the
    ; boot info (both protocols put a size or flags word there) as a
    ; one-slot stack for call/pop, and put it back.
    mov     edx, [ebx]
    lea     esp, [ebx + 4]
    call    .here
.here:
    pop     ebp
    mov     [ebx], edx
    sub     ebp, OFF(.here)         ; ebp = physical base of the image

    lea     esp, [ebp + OFF(boot_stack_top)]

    test    ebp, HV_IMAGE_ALIGN - 1
    jnz     .bad_align

    ; Long mode is required.
    mov     eax, 0x80000000
    cpuid
    cmp     eax, 0x80000001
    jb      .no_long_mode
    mov     eax, 0x80000001
    cpuid
    test    edx, 1 << 29
    jz      .no_long_mode
    mov     ebx, edx                ; remember NX support (edx bit 20)

    call    build_boot_page_tables

    ; PAE is a prerequisite of long mode paging.
    mov     eax, cr4
    or      eax, 1 << 5
    mov     cr4, eax

    lea     eax, [ebp + OFF(boot_pml4)]
    mov     cr3, eax

    ; Enable long mode, and no-execute when the CPU has it (PTEs may use it later).
    mov     ecx, MSR_EFER
    rdmsr
    or      eax, EFER_LME
    test    ebx, 1 << 20
    jz      .no_nx
    or      eax, EFER_NXE
.no_nx:
    wrmsr

    ; The GDT descriptor holds a physical base only known now.
    lea     eax, [ebp + OFF(boot_gdt)]
    mov     [ebp + OFF(boot_gdt_desc) + 2], eax
    lgdt    [ebp + OFF(boot_gdt_desc)]

    ; Paging on (WP so the hypervisor cannot write read-only pages by mistake):
    ; we are now in compatibility mode, identity mapped.
    mov     eax, cr0
    or      eax, (1 << 31) | (1 << 16) | 1
    mov     cr0, eax

    ; Far return into the 64-bit code segment.
    push    GDT_HV_CS
    lea     eax, [ebp + OFF(entry64_low)]
    push    eax
    retf

.bad_align:
    lea     eax, [ebp + OFF(msg_bad_align)]
    jmp     early_fatal
.no_long_mode:
    lea     eax, [ebp + OFF(msg_no_long_mode)]
    jmp     early_fatal

; build_boot_page_tables: ebp = image base. Clobbers eax, ecx, edx.
;   - identity map of the first 4 GiB with 2 MiB pages (boot info, modules,
;     this code until the jump to the higher half);
;   - the same tables again at DIRECTMAP_VIRT_START, so C code can read
;     low memory through the direct map before the real tables exist;
;   - the image at HV_LINK_VIRT.
build_boot_page_tables:
    ; PML4
    lea     eax, [ebp + OFF(boot_pdpt_low) + PTE_P + PTE_RW]
    mov     [ebp + OFF(boot_pml4)], eax
    mov     [ebp + OFF(boot_pml4) + ((DIRECTMAP_VIRT_START >> L4_SHIFT) & 511) * 8], eax
    lea     eax, [ebp + OFF(boot_pdpt_high) + PTE_P + PTE_RW]
    mov     [ebp + OFF(boot_pml4) + 511 * 8], eax

    ; low PDPT: one page directory per GiB of BOOT_MAP_LIMIT
    xor     ecx, ecx
.pdpt_low:
    mov     eax, ecx
    shl     eax, 12
    lea     eax, [ebp + OFF(boot_pd_low) + eax + PTE_P + PTE_RW]
    mov     [ebp + OFF(boot_pdpt_low) + ecx * 8], eax
    inc     ecx
    cmp     ecx, BOOT_MAP_PDS
    jne     .pdpt_low

    ; 2 MiB pages covering BOOT_MAP_LIMIT (4 GiB: 2048 of them)
    xor     ecx, ecx
.pd_low:
    mov     eax, ecx
    shl     eax, L2_SHIFT
    or      eax, PTE_P + PTE_RW + PTE_PS
    mov     [ebp + OFF(boot_pd_low) + ecx * 8], eax
    inc     ecx
    cmp     ecx, BOOT_MAP_LIMIT >> L2_SHIFT
    jne     .pd_low

    ; high half: PDPT slot of HV_VIRT_START, then the image's 2 MiB pages
    lea     eax, [ebp + OFF(boot_pd_high) + PTE_P + PTE_RW]
    mov     [ebp + OFF(boot_pdpt_high) + ((HV_VIRT_START >> L3_SHIFT) & 511) * 8], eax
    xor     ecx, ecx
.pd_high:
    mov     eax, ecx
    shl     eax, L2_SHIFT
    add     eax, ebp
    or      eax, PTE_P + PTE_RW + PTE_PS
    mov     [ebp + OFF(boot_pd_high) + ((HV_LINK_VIRT >> L2_SHIFT) & 511) * 8 + ecx * 8], eax
    inc     ecx
    cmp     ecx, __image_2m_pages
    jne     .pd_high
    ret

; early_fatal: eax = physical address of a NUL-terminated message. Writes it
; to COM1 and stops; used before anything else can report.
early_fatal:
    mov     esi, eax
.next:
    mov     dx, 0x3fd
.wait:
    in      al, dx
    test    al, 0x20
    jz      .wait
    lodsb
    test    al, al
    jz      .stop
    mov     dx, 0x3f8
    out     dx, al
    jmp     .next
.stop:
    cli
    hlt
    jmp     .stop

msg_bad_align:    db "Baton: image not loaded on a 2 MiB boundary", 13, 10, 0
msg_no_long_mode: db "Baton: CPU has no long mode", 13, 10, 0

; ---------------------------------------------------------------- 64-bit
bits 64
entry64_low:
    ; Still identity mapped: move to the linked (higher half) addresses.
    mov     rax, entry64_high
    jmp     rax

entry64_high:
    xor     eax, eax
    mov     ds, ax
    mov     es, ax
    mov     ss, ax
    mov     fs, ax
    mov     gs, ax
    mov     rsp, boot_stack_top

    mov     r12d, edi               ; magic
    mov     r13d, esi               ; boot info
    mov     r14d, ebp               ; image physical base

    ; Zero .bss ourselves: not every loader (kexec, for one) does it.
    mov     rdi, __bss_start
    mov     rcx, __bss_end
    sub     rcx, rdi
    shr     rcx, 3
    xor     eax, eax
    rep stosq

    mov     edi, r12d
    mov     esi, r13d
    mov     rdx, r14
    xor     ebp, ebp                ; end of the frame chain for backtraces
    call    start_baton
.halt:
    cli
    hlt
    jmp     .halt

; ---------------------------------------------------------------- data
align 16
boot_gdt:
    dq 0                            ; null
    dq 0x00af9a000000ffff           ; GDT_HV_CS: 64-bit code
    dq 0x00cf92000000ffff           ; GDT_HV_DS: data
boot_gdt_end:
boot_gdt_desc:
    dw boot_gdt_end - boot_gdt - 1
    dd 0                            ; base, filled in at run time

; Early page tables and the boot stack live in this section so that their
; physical addresses are ebp + OFF(x) before paging.
align 4096
boot_pml4:       times 4096 db 0
boot_pdpt_low:   times 4096 db 0
boot_pdpt_high:  times 4096 db 0
boot_pd_high:    times 4096 db 0
boot_pd_low:     times BOOT_MAP_PDS * 4096 db 0
boot_stack:      times BOOT_STACK_SIZE db 0
boot_stack_top:
