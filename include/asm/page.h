/* x86-64 page tables and address translation. */
#ifndef ASM_PAGE_H
#define ASM_PAGE_H

#include <baton/layout.h>
#include <baton/types.h>

#define PTE_P       (1ULL << 0)
#define PTE_RW      (1ULL << 1)
#define PTE_US      (1ULL << 2)
#define PTE_PWT     (1ULL << 3)
#define PTE_PCD     (1ULL << 4)
#define PTE_A       (1ULL << 5)
#define PTE_D       (1ULL << 6)
#define PTE_PS      (1ULL << 7)
#define PTE_G       (1ULL << 8)
#define PTE_NX      (1ULL << 63)
#define PTE_ADDR    0x000ffffffffff000ULL

#define PAGE_HV_RW   (PTE_P | PTE_RW | PTE_NX)        /* hypervisor data */
#define PAGE_HV_RWX  (PTE_P | PTE_RW)                 /* the image (one segment) */
#define PAGE_HV_MMIO (PTE_P | PTE_RW | PTE_NX | PTE_PCD | PTE_PWT)

#define L1_SHIFT 12
#define L2_SHIFT 21
#define L3_SHIFT 30
#define L4_SHIFT 39
#define PT_INDEX(va, shift) (((va) >> (shift)) & 511)

/* Physical base of the running image (where the loader put it). */
extern paddr_t hv_phys_start;

static inline void *phys_to_virt(paddr_t pa)
{
    return (void *)(uintptr_t)(DIRECTMAP_VIRT_START + pa);
}

/* Physical address of a direct-map or image virtual address. */
static inline paddr_t virt_to_phys(const void *va)
{
    uint64_t v = (uint64_t)(uintptr_t)va;

    if (v >= HV_VIRT_START)
        return v - HV_LINK_VIRT + hv_phys_start;
    return v - DIRECTMAP_VIRT_START;
}

/* Allocator for page-table pages: returns a zeroed page's physical address or 0. */
typedef paddr_t (*pt_alloc_fn)(void);

/* Map [va, va + size) to [pa, ...) in the tables rooted at root_pa. Large
 * pages (1 GiB where paging_set_gbpages allowed them, else 2 MiB) are used
 * where alignment allows and `large` is set. */
int map_range(paddr_t root_pa, uint64_t va, paddr_t pa, uint64_t size, uint64_t flags,
              bool large, pt_alloc_fn alloc);
/* Whether NX may be used in PTEs (EFER.NXE was set at boot). */
void paging_set_nx(bool available);
/* Whether large mappings may use 1 GiB pages (CPUID Page1GB). */
void paging_set_gbpages(bool available);
/* Clear the 4K mappings of [va, va + size) (no large pages). */
void unmap_range(paddr_t root_pa, uint64_t va, uint64_t size);
/* The physical address va maps to, or INVALID_PADDR-like ~0 when unmapped. */
paddr_t translate(paddr_t root_pa, uint64_t va);

/* The hypervisor's own page tables (upper half), built by paging_init. */
extern paddr_t idle_pt_root;

#endif
