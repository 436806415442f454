/*
 * The x86 side of kexec. At load (arch_kexec_prepare): a control page
 * holding a copy of kexec_reloc (its code, GDT and, at the top, its stack)
 * and identity page tables, all in heap pages outside every destination,
 * so that exec has nothing left to allocate and cannot fail. At exec
 * (arch_kexec_exec): interrupts and the APIC timer stopped, then
 * kexec_reloc (arch/x86/kexec_reloc.asm), which never returns.
 *
 * The identity tables use 2 MiB pages and map, virtual == physical: every
 * segment (null-buffer ones included), the low 1 MiB, all RAM of the
 * memory map (the list, the staged pages, the control page and whatever a
 * purgatory may touch), and also the image at its link address, where
 * kexec_reloc runs until it has jumped into its copy.
 */
#include <asm/io.h>
#include <asm/kexec.h>
#include <asm/page.h>
#include <baton/arch.h>
#include <baton/errno.h>
#include <baton/kimage.h>
#include <baton/lib.h>
#include <baton/memory.h>
#include <baton/printk.h>

#define LOW_MEMORY_END MiB(1)
#define LARGE_PAGE     MiB(2)

/* The local APIC timer: apic.c runs it; exec only has to silence it. */
#define MSR_APIC_BASE  0x1b
#define APIC_LVT_TIMER 0x320
#define APIC_TIMER_INIT 0x380
#define LVT_MASKED     (1u << 16)

/* The table the entry points to, allocated (zeroed, outside every destination) if absent. */
static uint64_t *next_table(struct kimage *image, uint64_t *entry)
{
    if (!(*entry & PTE_P)) {
        paddr_t pa = kimage_alloc_control_page(image);
        if (!pa)
            return NULL;
        *entry = pa | PTE_P | PTE_RW;
    }
    return phys_to_virt(*entry & PTE_ADDR);
}

/* Map [va, va + size) to pa with 2 MiB pages, rounded out to 2 MiB (va and pa congruent). */
static int map_large(struct kimage *image, uint64_t va, paddr_t pa, uint64_t size)
{
    uint64_t *l4 = phys_to_virt(image->pt_root);
    uint64_t off = va & (LARGE_PAGE - 1);
    uint64_t end = ALIGN_UP(va + size, LARGE_PAGE);

    for (va -= off, pa -= off; va < end; va += LARGE_PAGE, pa += LARGE_PAGE) {
        uint64_t *l3 = next_table(image, &l4[PT_INDEX(va, L4_SHIFT)]);
        uint64_t *l2 = l3 ? next_table(image, &l3[PT_INDEX(va, L3_SHIFT)]) : NULL;

        if (!l2)
            return -BATON_ENOMEM;
        l2[PT_INDEX(va, L2_SHIFT)] = pa | PTE_P | PTE_RW | PTE_PS;
    }
    return 0;
}

static int map_identity(struct kimage *image, paddr_t start, uint64_t size)
{
    return map_large(image, start, start, size);
}

static int build_identity_tables(struct kimage *image)
{
    int rc;

    image->pt_root = kimage_alloc_control_page(image);
    if (!image->pt_root)
        return -BATON_ENOMEM;
    rc = map_identity(image, 0, LOW_MEMORY_END);
    for (unsigned int i = 0; i < memory_map_entries && !rc; i++)
        if (memory_map[i].type == MEM_RAM && memory_map[i].size)
            rc = map_identity(image, memory_map[i].start, memory_map[i].size);
    for (unsigned int i = 0; i < image->nr_segments && !rc; i++)
        rc = map_identity(image, image->segments[i].dest_maddr, image->segments[i].dest_size);
    if (!rc)
        rc = map_large(image, HV_LINK_VIRT, image_region.start,
                       image_region.end - image_region.start);
    return rc;
}

int arch_kexec_prepare(struct kimage *image)
{
    size_t size = (size_t)(kexec_reloc_end - (const char *)kexec_reloc);
    int rc;

    BUG_ON(size > KEXEC_RELOC_MAX);
    image->control_page = kimage_alloc_control_page(image);
    if (!image->control_page)
        return -BATON_ENOMEM;
    memcpy(phys_to_virt(image->control_page), (const void *)kexec_reloc, size);
    rc = build_identity_tables(image);
    if (rc)
        pr_err("kexec: no heap pages left for the identity page tables\n");
    return rc;
}

static void stop_apic_timer(void)
{
    volatile uint32_t *apic = phys_to_virt(rdmsr(MSR_APIC_BASE) & PTE_ADDR);

    apic[APIC_LVT_TIMER / 4] = LVT_MASKED;
    apic[APIC_TIMER_INIT / 4] = 0;
}

void arch_kexec_exec(const struct kimage *image)
{
    irq_disable();
    stop_apic_timer();
    kexec_reloc(image->control_page, image->pt_root, image->head, image->entry);
}
