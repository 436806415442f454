; hvctl's purgatory: the entry of every image `hvctl kexec load` builds.
; kexec_reloc (arch/x86/kexec_reloc.asm) jumps here after copying the
; segments; this code leaves long mode and enters the new image through
; its multiboot2 32-bit entry. Assembled flat (nasm -f bin, origin 0) and
; embedded in hvctl (tools/hvctl/hvctl.mk); hvctl patches the two words at
; PURG_MBI and PURG_ENTRY, checks PURG_SIGNATURE, and loads the blob as its
; own page-aligned segment whose first octet is the kexec entry.
;
; Register contract at entry (the exec contract, include/public/kexec.h):
;   64-bit long mode, CPL 0, one CPU; paging on with identity tables that
;   map this segment, the MBI, the image and the low 1 MiB; interrupts off
;   (RFLAGS = 0x2); RSP in the control page (a return address at [RSP]
;   that stops the CPU: we never return); every other general-purpose
;   register zero; the GDT is the control page's (0x08 code64, 0x10 data),
;   the IDT has limit 0 (any exception resets the machine).
;   This blob lies below 4 GiB (hvctl places it so): it keeps running at
;   the same addresses after paging is turned off.
;
; Register contract at exit (the multiboot2 machine state, as the image's
; entry32 in boot/head.asm expects it):
;   eax = 0x36d76289 (multiboot2 magic), ebx = physical address of the MBI;
;   32-bit protected mode, paging off (CR0.PG 0, EFER.LME 0, CR4.PAE 0);
;   CS a flat 32-bit code segment (0x08 of our GDT), DS = ES = FS = GS =
;   SS a flat 32-bit data segment (0x10); interrupts off; EFLAGS = 0x2;
;   esp at the top of a 512-octet stack inside this blob (multiboot2 says
;   the image must not rely on it; Baton's does not). The GDT stays in this
;   blob: the image loads its own before relying on segment reloads.
;
; Layout (fixed offsets, hvctl's PURG_* in tools/hvctl/kexec_image.h):
;   0x00  jmp to the code (the kexec entry)
;   0x08  u64 MBI physical address (patched by hvctl; < 4 GiB)
;   0x10  u64 image entry physical address (patched by hvctl; < 4 GiB)
;   0x18  8 octets "hvctlPG1": the layout's signature, checked by hvctl

CR0_PG      equ 1 << 31
CR4_PAE     equ 1 << 5
MSR_EFER    equ 0xc0000080
EFER_LME    equ 1 << 8
MB2_BOOTLOADER_MAGIC equ 0x36d76289

SEL_CODE32  equ 0x08
SEL_DATA32  equ 0x10

PURG_MBI       equ 0x08
PURG_ENTRY     equ 0x10
PURG_SIGNATURE equ 0x18

bits 64
org 0

start:
    jmp     code64

    times PURG_MBI - ($ - $$) db 0
mbi_addr:   dq 0                        ; patched: MBI physical address
entry_addr: dq 0                        ; patched: the image's multiboot2 entry
signature:  db "hvctlPG1"

%if mbi_addr - start != PURG_MBI || entry_addr - start != PURG_ENTRY || signature - start != PURG_SIGNATURE
%error "purgatory layout changed: update PURG_* in tools/hvctl/kexec_image.h"
%endif

code64:
    cli                                 ; already off (contract); keep it so
    cld

    ; Where we run: the blob is identity mapped and below 4 GiB, so its
    ; virtual address is its physical one and fits 32 bits. esi keeps it
    ; across the mode switch (32-bit code has no rip-relative addressing).
    lea     rsi, [rel start]

    ; Our own GDT: the control page's has no 32-bit code segment, and the
    ; control page is no concern of ours once we leave. Its base is physical
    ; (identity mapped).
    lea     rax, [rel gdt]
    mov     [rel gdt_desc + 2], rax
    lgdt    [rel gdt_desc]

    ; Far return into the 32-bit code segment (L = 0, D = 1): the CPU goes
    ; from 64-bit mode to compatibility mode, still in IA-32e mode with
    ; paging on. retfq pops RIP then CS.
    lea     rax, [rel compat32]
    push    SEL_CODE32
    push    rax
    retfq

bits 32
compat32:
    ; Compatibility mode, identity mapped. Flat 32-bit data segments.
    mov     eax, SEL_DATA32
    mov     ds, eax
    mov     es, eax
    mov     fs, eax
    mov     gs, eax
    mov     ss, eax
    lea     esp, [esi + stack_top - start]

    ; CR0.PG = 0: paging off. In compatibility mode this also deactivates
    ; IA-32e mode (EFER.LMA reads 0 from here on). The next fetch is
    ; physical: the same address, since the tables were an identity map.
    mov     eax, cr0
    and     eax, ~CR0_PG
    mov     cr0, eax

    ; EFER.LME = 0: long mode disabled, so that turning paging on later
    ; (the image's own code does) starts from legacy protected mode.
    ; NXE is left as it is: without paging it has no effect.
    mov     ecx, MSR_EFER
    rdmsr
    and     eax, ~EFER_LME
    wrmsr

    ; CR4.PAE = 0 and CR3 = 0: nothing of the old tables is left for the
    ; image to inherit (multiboot2 promises neither).
    mov     eax, cr4
    and     eax, ~CR4_PAE
    mov     cr4, eax
    xor     eax, eax
    mov     cr3, eax

    ; EFLAGS = 0x2: IF, DF, AC and the rest clear.
    push    dword 2
    popfd

    ; The multiboot2 hand-off.
    mov     ebx, [esi + PURG_MBI]
    mov     edi, [esi + PURG_ENTRY]
    mov     eax, MB2_BOOTLOADER_MAGIC
    xor     ecx, ecx
    xor     edx, edx
    xor     ebp, ebp
    jmp     edi                         ; flat CS: the entry's physical address
                                        ; (edi is scratch for head.asm's entry32)

align 16
gdt:
    dq 0                                ; null
    dq 0x00cf9a000000ffff               ; 0x08: 32-bit code, base 0, 4 GiB, D = 1, L = 0
    dq 0x00cf92000000ffff               ; 0x10: 32-bit data, base 0, 4 GiB
gdt_end:
gdt_desc:
    dw gdt_end - gdt - 1
    dq 0                                ; base: filled in at run time

align 16
stack:
    times 512 db 0
stack_top:
