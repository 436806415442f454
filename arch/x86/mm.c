/*
 * The x86 side of memory bring-up (the order and the policy are in
 * common/memory.c): whether PTEs may use NX, where the image sits, and the
 * hypervisor's own page tables: a direct map of all RAM, the image at its
 * link address, and the vmap area's top-level entry.
 */
#include <asm/io.h>
#include <asm/page.h>
#include <baton/arch.h>
#include <baton/errno.h>
#include <baton/lib.h>
#include <baton/lu.h>
#include <baton/memory.h>
#include <baton/printk.h>

extern char __image_start[], __image_end[];

paddr_t hv_phys_start;

static bool cpu_has_gbpages(void)
{
    uint32_t a, b, c, d;

    cpuid(0x80000000, 0, &a, &b, &c, &d);
    if (a < 0x80000001)
        return false;
    cpuid(0x80000001, 0, &a, &b, &c, &d);
    return d & (1u << 26);
}

void arch_memory_early_init(void)
{
    /* head.asm turned NX on if the CPU has it */
    bool nx = rdmsr(MSR_EFER) & EFER_NXE;

    paging_set_nx(nx);
    if (!nx)
        pr_warn("memory: CPU without NX: hypervisor data is executable\n");
    /* 1 GiB pages keep the direct map and guests' tables one entry per
     * GiB: the new build's early boot does not grow with RAM */
    paging_set_gbpages(cpu_has_gbpages());
}

/*
 * The image's slot: from its load address up to the next HV_IMAGE_ALIGN
 * boundary, the alignment head.asm's multiboot2 relocatable tag asks for.
 * The whole slot is reserved and reported as KEXEC_RANGE_MA_XEN, so a
 * next build a little larger than this one still fits where kexec-tools
 * puts it (the start of MA_XEN, aligned up as the tag says).
 */
void arch_image_region(struct phys_region *image)
{
    *image = (struct phys_region){ hv_phys_start,
        hv_phys_start + ALIGN_UP((uint64_t)(__image_end - __image_start), HV_IMAGE_ALIGN) };
}

/* Every RAM range of the memory map at DIRECTMAP_VIRT_START + its address. */
static int map_all_ram(paddr_t root)
{
    int rc = 0;

    for (unsigned int i = 0; i < memory_map_entries && !rc; i++) {
        const struct mem_range *r = &memory_map[i];
        paddr_t s = ALIGN_UP(r->start, PAGE_SIZE), e = ALIGN_DOWN(r->start + r->size, PAGE_SIZE);
        if (r->type != MEM_RAM || e <= s)
            continue;
        rc = map_range(root, DIRECTMAP_VIRT_START + s, s, e - s, PAGE_HV_RW | PTE_G, true,
                       alloc_pt_page);
    }
    return rc;
}

/* The vmap area's top-level entry, created now so that every address space
 * that copies the hypervisor half sees later vmaps too. */
static int make_vmap_l4_entry(paddr_t root)
{
    paddr_t l3 = alloc_pt_page();
    uint64_t *l4 = phys_to_virt(root);

    if (!l3)
        return -BATON_ENOMEM;
    l4[PT_INDEX(VMAP_VIRT_START, L4_SHIFT)] = l3 | PTE_P | PTE_RW;
    return 0;
}

void arch_build_page_tables(void)
{
    paddr_t root = alloc_pt_page();
    int rc = root ? 0 : -BATON_ENOMEM;

    if (!rc)
        rc = map_all_ram(root);
    if (!rc)
        rc = map_range(root, HV_LINK_VIRT, image_region.start,
                       image_region.end - image_region.start, PAGE_HV_RWX | PTE_G, true,
                       alloc_pt_page);
    if (!rc)
        rc = make_vmap_l4_entry(root);
    if (rc) {
        lu_boot_log_flush();
        panic("memory: cannot build the hypervisor page tables (%d)", rc);
    }
    write_cr3(root);
    idle_pt_root = root;
}
