/*
 * mm.h - physical pages and the kernel's address space.
 *
 * pvk maps physical memory once, at KERNEL_VMA + pa, for the first 1 GiB
 * (the kernel is linked there too, so the image is part of that map).
 * RAM above 1 GiB is left unused: pvk needs little.
 */
#ifndef PVK_MM_H
#define PVK_MM_H

#include <types.h>
#include <boot_info.h>

#define MM_MAP_LIMIT (1ull << 30)

/* __va / __pa - between a physical address below MM_MAP_LIMIT and its
 * kernel mapping. */
void *__va(phys_addr_t pa);
phys_addr_t __pa(const void *va);

/*
 * pmm_init - take the RAM of the memory map, less the first 1 MiB, the
 * kernel image, the loader's structures and modules, as free pages.
 * Returns the number of free pages.
 */
u64 pmm_init(const struct boot_info *bi);

/* alloc_page - a zeroed 4 KiB page's physical address; panics when none. */
phys_addr_t alloc_page(void);

/* try_alloc_page - a zeroed page, or 0 when taking it would leave fewer
 * than PMM_RESERVE_PAGES free: what user processes' memory comes from,
 * so a greedy program gets an error, and the kernel keeps its pages. */
#define PMM_RESERVE_PAGES 512
phys_addr_t try_alloc_page(void);

/* free_page - give back a page from alloc_page or try_alloc_page. */
void free_page(phys_addr_t pa);

/* pmm_free_pages - how many pages are free now. */
u64 pmm_free_pages(void);

#endif /* PVK_MM_H */
