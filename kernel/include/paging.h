/*
 * paging.h - the kernel's page tables, built and changed only through the
 * pv mmu ops (set_pte and friends, alloc_pt, the TLB flushes).
 */
#ifndef PVK_PAGING_H
#define PVK_PAGING_H

#include <types.h>
#include <boot_info.h>
#include <asm/pgtable_types.h>

/*
 * paging_init - build the final page tables and switch to them: kernel
 * text read-only and executable, rodata read-only, data and the rest of
 * low memory writable and not executable, nothing at address 0; then set
 * CR0.WP so ring 0 honours read-only pages.
 */
void paging_init(const struct boot_info *bi);

/* The top-level table pvk runs on (a physical address, as in cr3). */
extern phys_addr_t kernel_pml4;

/*
 * map_page - map the 4 KiB page at `va` to `pa` with `flags` (PTE_*)
 * in the tables rooted at `pml4`, creating levels as needed. When pml4
 * is kernel_pml4, flushes this CPU's old translation of `va`, whichever
 * address space is live (every process's shares the kernel's half).
 * Returns 0, or -EINVAL when a large page is in the way.
 */
int map_page(phys_addr_t pml4, u64 va, phys_addr_t pa, u64 flags);

/*
 * unmap_page - remove the 4 KiB mapping of `va` from the tables rooted at
 * `pml4`: its PTE set to 0 through set_pte (the tables themselves stay).
 * When pml4 is kernel_pml4, flushes this CPU's translation of `va`, as
 * map_page does. Returns the physical page that was mapped, or 0 when
 * `va` was not mapped by a 4 KiB page (nothing is changed then).
 */
phys_addr_t unmap_page(phys_addr_t pml4, u64 va);

/* lookup_pte - the PTE for `va` in `pml4`, or NULL when not 4 KiB mapped. */
pte_t *lookup_pte(phys_addr_t pml4, u64 va);

/* fixmap - the virtual address of fixmap slot `idx` (asm/layout.h). */
u64 fixmap_addr(int idx);

/* pml4_clone - a new top-level table sharing every mapping of `src`. */
phys_addr_t pml4_clone(phys_addr_t src);

/* pml4_free_clone - release a clone's top page (shared levels stay). */
void pml4_free_clone(phys_addr_t pml4);

#endif /* PVK_PAGING_H */
