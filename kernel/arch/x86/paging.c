/*
 * paging.c - x86-64 4-level page tables. Every entry written goes through
 * a pv mmu op (set_pte, set_pmd, set_pud, set_p4d) and every page that
 * becomes a table is announced with paravirt_alloc_pt, so a hypervisor
 * that validates or shadows page tables sees all of it.
 */
#include <mm.h>
#include <paging.h>
#include <paravirt.h>
#include <printk.h>
#include <string.h>
#include <pvops/errno.h>
#include <asm/layout.h>
#include <asm/x86_bits.h>

extern const char _text[], _etext[], __rodata_start[], __rodata_end[],
	_kernel_phys_start[], _kernel_phys_end[];

phys_addr_t kernel_pml4;


static u64 *table(phys_addr_t pa) { return __va(pa); }

/* The next level down from `e`, created when absent. */
static phys_addr_t next_level(u64 *e, int level, bool *large)
{
	*large = false;
	if (*e & PTE_PRESENT) {
		*large = (*e & PTE_PS) != 0;
		return pt_entry_addr(*e);
	}
	phys_addr_t pa = alloc_page();
	paravirt_alloc_pt(pa, level);
	u64 v = pa | PTE_TABLE;
	switch (level) {
	case 3: set_p4d((p4d_t *)e, (p4d_t){ v }); break;
	case 2: set_pud((pud_t *)e, (pud_t){ v }); break;
	case 1: set_pmd((pmd_t *)e, (pmd_t){ v }); break;
	default: panic("next_level: bad level %d", level);
	}
	return pa;
}

/* Walk to the PMD entry of `va`, creating the upper levels. */
static u64 *walk_pmd(phys_addr_t pml4, u64 va)
{
	bool large;
	phys_addr_t pud = next_level(&table(pml4)[PGD_INDEX(va)], 3, &large);
	phys_addr_t pmd = next_level(&table(pud)[PUD_INDEX(va)], 2, &large);

	if (large)
		return NULL;
	return &table(pmd)[PMD_INDEX(va)];
}

int map_page(phys_addr_t pml4, u64 va, phys_addr_t pa, u64 flags)
{
	u64 *pmd = walk_pmd(pml4, va);
	bool large;

	if (!pmd)
		return -EINVAL;
	phys_addr_t pt = next_level(pmd, 1, &large);
	if (large)
		return -EINVAL;
	set_pte((pte_t *)&table(pt)[PTE_INDEX(va)], (pte_t){ pa | flags });
	if (pml4 == kernel_pml4 && kernel_pml4 == read_cr3())
		flush_tlb_one_user(va);
	return 0;
}

pte_t *lookup_pte(phys_addr_t pml4, u64 va)
{
	u64 e = table(pml4)[PGD_INDEX(va)];

	if (!(e & PTE_PRESENT))
		return NULL;
	e = table(pt_entry_addr(e))[PUD_INDEX(va)];
	if (!(e & PTE_PRESENT) || (e & PTE_PS))
		return NULL;
	e = table(pt_entry_addr(e))[PMD_INDEX(va)];
	if (!(e & PTE_PRESENT) || (e & PTE_PS))
		return NULL;
	return (pte_t *)&table(pt_entry_addr(e))[PTE_INDEX(va)];
}

u64 fixmap_addr(int idx)
{
	return FIXMAP_BASE + (u64)idx * PAGE_SIZE;
}

/* Permissions for a kernel-image page at virtual address va. */
static u64 image_flags(u64 va)
{
	if (va >= (u64)_text && va < (u64)_etext)
		return PTE_PRESENT | PTE_GLOBAL;                  /* RX */
	if (va >= (u64)__rodata_start && va < (u64)__rodata_end)
		return PTE_PRESENT | PTE_GLOBAL | PTE_NX;         /* R */
	return PTE_PRESENT | PTE_WRITE | PTE_GLOBAL | PTE_NX;    /* RW */
}

/*
 * Map the 2 MiB chunk at pa with 4 KiB pages, each with the image's
 * permissions: one walk for the chunk, then one set_pte per page. The
 * first 1 MiB stays unmapped, so null-ish pointers fault.
 */
static void map_image_chunk(phys_addr_t pml4, u64 pa)
{
	u64 *pmd = walk_pmd(pml4, KERNEL_VMA + pa);
	bool large;

	BUG_ON(!pmd);
	pte_t *pt = (pte_t *)table(next_level(pmd, 1, &large));
	for (u64 p = pa < KERNEL_PHYS_BASE ? KERNEL_PHYS_BASE : pa;
	     p < pa + PMD_SIZE; p += PAGE_SIZE)
		set_pte(&pt[PTE_INDEX(KERNEL_VMA + p)],
			(pte_t){ p | image_flags(KERNEL_VMA + p) });
}

/* Map RAM below 1 GiB: 2 MiB pages, except 4 KiB where the image is. */
static void map_low_memory(phys_addr_t pml4, u64 top)
{
	u64 img_lo = ALIGN_DOWN((u64)_kernel_phys_start, PMD_SIZE);
	u64 img_hi = ALIGN_UP((u64)_kernel_phys_end, PMD_SIZE);

	lazy_mmu_enter();
	for (u64 pa = 0; pa < top; pa += PMD_SIZE) {
		if (pa >= img_lo && pa < img_hi) {
			map_image_chunk(pml4, pa);
			continue;
		}
		u64 *pmd = walk_pmd(pml4, KERNEL_VMA + pa);
		BUG_ON(!pmd);
		set_pmd((pmd_t *)pmd, (pmd_t){ pa | PTE_PRESENT | PTE_WRITE |
					       PTE_PS | PTE_GLOBAL | PTE_NX });
	}
	lazy_mmu_leave();
}

void paging_init(const struct boot_info *bi)
{
	u64 top = 0;

	for (int i = 0; i < bi->nr_mem; i++) {
		const struct mem_region *m = &bi->mem[i];
		if (m->type == MEM_RAM && m->base + m->len > top)
			top = m->base + m->len;
	}
	if (top > DIRECT_MAP_SIZE)
		top = DIRECT_MAP_SIZE;
	top = ALIGN_UP(top, PMD_SIZE);

	phys_addr_t pml4 = alloc_page();
	paravirt_alloc_pt(pml4, 4);
	map_low_memory(pml4, top);
	/* the fixmap's page table exists from the start */
	for (int i = 0; i < FIX_NR; i++)
		map_page(pml4, fixmap_addr(i), 0, 0);

	kernel_pml4 = pml4;
	write_cr3(pml4);
	write_cr0(read_cr0() | CR0_WP);
	flush_tlb_kernel();
	printk("mm: page tables at %#llx: %llu MiB mapped, text RX, rodata R, data RW NX\n",
	       (unsigned long long)pml4, (unsigned long long)(top >> 20));
}

phys_addr_t pml4_clone(phys_addr_t src)
{
	phys_addr_t pa = alloc_page();

	paravirt_alloc_pt(pa, 4);
	for (int i = 0; i < PTRS_PER_TABLE; i++)
		if (table(src)[i])
			set_p4d((p4d_t *)&table(pa)[i], (p4d_t){ table(src)[i] });
	return pa;
}

void pml4_free_clone(phys_addr_t pml4)
{
	paravirt_release_pt(pml4, 4);
	free_page(pml4);
}
