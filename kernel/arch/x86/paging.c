/*
 * paging.c - x86-64 4-level page tables. Every page that becomes a table
 * is announced with paravirt_alloc_pt before it is linked, and every entry
 * of an announced table is written through a pv mmu op (set_pte, set_pmd,
 * set_pud, set_p4d), so a hypervisor that validates or shadows page tables
 * sees all of it. (A page may be filled with plain stores before it is
 * announced: until then it is ordinary memory.)
 */
#include <mm.h>
#include <paging.h>
#include <paravirt.h>
#include <printk.h>
#include <string.h>
#include <uvm.h>
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
	/* the kernel's half is in every address space (uvm.c): whichever
	 * is live, it sees this change */
	if (pml4 == kernel_pml4) {
		flush_tlb_one_user(va);
		uvm_kernel_flushed();
	}
	return 0;
}

phys_addr_t unmap_page(phys_addr_t pml4, u64 va)
{
	pte_t *pte = lookup_pte(pml4, va);
	phys_addr_t pa;

	if (!pte || !(pte->v & PTE_PRESENT))
		return 0;
	pa = pt_entry_addr(pte->v);
	set_pte(pte, (pte_t){ 0 });
	if (pml4 == kernel_pml4) {    /* as in map_page */
		flush_tlb_one_user(va);
		uvm_kernel_flushed();
	}
	return pa;
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
	return FIXMAP_ADDR((u64)idx);
}

#define PAGE_RW_NX (PTE_PRESENT | PTE_WRITE | PTE_GLOBAL | PTE_NX)
#define PAGE_RX    (PTE_PRESENT | PTE_GLOBAL)
#define PAGE_RO_NX (PTE_PRESENT | PTE_GLOBAL | PTE_NX)

/* Entries for the pages [from, to) (physical) in the table pt. */
static void fill_ptes(u64 *pt, u64 from, u64 to, u64 flags)
{
	for (u64 p = from; p < to; p += PAGE_SIZE)
		pt[PTE_INDEX(KERNEL_VMA + p)] = p | flags;
}

static u64 clamp(u64 v, u64 lo, u64 hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/*
 * Map the 2 MiB chunk at pa with 4 KiB pages: text read-only and
 * executable, rodata read-only, the rest writable and not executable. The
 * page table is filled while it is still ordinary memory, with plain
 * stores, and only then announced (alloc_pt) and linked (set_pmd):
 * entries of a table the hypervisor knows about are only ever written
 * through the ops. The first 1 MiB stays unmapped, so null-ish pointers
 * fault.
 */
static void map_image_chunk(u64 *pmd, u64 pa)
{
	u64 lo = pa < KERNEL_PHYS_BASE ? KERNEL_PHYS_BASE : pa, hi = pa + PMD_SIZE;
	/* section bounds rounded out to whole pages (the linker aligns the
	 * starts; a section's last page is its own) */
#define PAGE_OF(sym, lo_) clamp(ALIGN_UP((u64)(sym) - KERNEL_VMA, PAGE_SIZE), lo_, hi)
	u64 text0 = PAGE_OF(_text, lo), text1 = PAGE_OF(_etext, text0);
	u64 ro0 = PAGE_OF(__rodata_start, text1), ro1 = PAGE_OF(__rodata_end, ro0);
#undef PAGE_OF
	phys_addr_t pt_pa = alloc_page();
	u64 *pt = table(pt_pa);

	BUG_ON(*pmd & PTE_PRESENT);
	fill_ptes(pt, lo, text0, PAGE_RW_NX);
	fill_ptes(pt, text0, text1, PAGE_RX);
	fill_ptes(pt, text1, ro0, PAGE_RW_NX);
	fill_ptes(pt, ro0, ro1, PAGE_RO_NX);
	fill_ptes(pt, ro1, hi, PAGE_RW_NX);
	paravirt_alloc_pt(pt_pa, 1);
	set_pmd((pmd_t *)pmd, (pmd_t){ pt_pa | PTE_TABLE });
}

/*
 * Map RAM below 1 GiB at KERNEL_VMA: 2 MiB pages, except 4 KiB where the
 * image is. It all lies under one PUD entry, so one walk serves it all.
 */
static void map_low_memory(phys_addr_t pml4, u64 top)
{
	u64 img_lo = ALIGN_DOWN((u64)_kernel_phys_start, PMD_SIZE);
	u64 img_hi = ALIGN_UP((u64)_kernel_phys_end, PMD_SIZE);
	u64 *pmds = walk_pmd(pml4, KERNEL_VMA) - PMD_INDEX(KERNEL_VMA);

	BUG_ON(top > DIRECT_MAP_SIZE);
	lazy_mmu_enter();
	for (u64 pa = 0; pa < top; pa += PMD_SIZE) {
		u64 *pmd = &pmds[PMD_INDEX(KERNEL_VMA + pa)];

		if (pa >= img_lo && pa < img_hi)
			map_image_chunk(pmd, pa);
		else
			set_pmd((pmd_t *)pmd, (pmd_t){ pa | PAGE_RW_NX | PTE_PS });
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
