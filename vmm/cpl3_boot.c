/*
 * cpl3_boot.c - the deprivileged mode's pages before the VM runs
 * (abi/pvhv_cpl3.h, docs/pvhv-abi.md "Deprivileged mode"): the layout at
 * the top of RAM (the monitor region, the kernel's initial page tables
 * just below it), the initial tables themselves, their pinning through
 * the validator (cpl3_mm.c) and the start record the kernel gets in RDI.
 *
 * Pure over guest memory, like loader.c: the host tests check every
 * entry the tables hold.
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include <abi/x86.h>

#include "cpl3.h"

#define PAGE          PVHV_PAGE_SIZE
#define PFN(gpa)      ((gpa) >> PVHV_PAGE_SHIFT)
#define CPL3_START_VERSION 1    /* struct pvhv_cpl3_start's */

_Static_assert(MON_SIZE % PAGE == 0, "the monitor region is whole pages");
_Static_assert((uint64_t)PVHV_CPL3_MAX_MEM_MB * PVHV_MIB <= CPL3_PT_ENTRIES * CPL3_PT_SPAN,
	       "one PD maps all of the mode's RAM");

/* The entry flags of the initial map. */
#define CPL3_PTE_TABLE  (PTE_PRESENT | PTE_WRITE | PTE_USER)           /* PML4E, PDPTE, PDE */
#define CPL3_PTE_DATA   (PTE_PRESENT | PTE_WRITE | PTE_USER | PTE_NX)
#define CPL3_PTE_RO     (PTE_PRESENT | PTE_USER | PTE_NX)              /* the tables */
#define CPL3_PTE_TEXT   (PTE_PRESENT | PTE_WRITE | PTE_USER)           /* PF_X segments */


int cpl3_layout_for(uint64_t ram, const struct kernel_image *ki, struct cpl3_layout *l,
		    const char **why)
{
	const uint64_t max = (uint64_t)PVHV_CPL3_MAX_MEM_MB * PVHV_MIB;

	memset(l, 0, sizeof(*l));
	*why = NULL;
	if (!ki->has_cpl3)
		return pvhv_why(why, -EINVAL, "the kernel has no PVHV note");
	if (ram > max || ram % MON_SIZE || ram <= PVHV_HIGH_RAM_START)
		return pvhv_why(why, -EINVAL, "%llu bytes of RAM: deprivileged mode needs a "
			     "multiple of %u bytes above 1 MiB, at most %u MiB",
			     (unsigned long long)ram, MON_SIZE, PVHV_CPL3_MAX_MEM_MB);
	l->ram = ram;
	l->virt_base = ki->cpl3.virt_base;
	l->region_gpa = ram - MON_SIZE;
	l->nr_pts = (ram + CPL3_PT_SPAN - 1) / CPL3_PT_SPAN;
	l->nr_pt_frames = CPL3_FIXED_TABLES + l->nr_pts;
	l->pt_base = l->region_gpa - l->nr_pt_frames * PAGE;
	if (ki->highest > l->pt_base)
		return pvhv_why(why, -ENOMEM, "the kernel ends at %#llx, above the initial page "
			     "tables at %#llx: --mem %llu would hold both",
			     (unsigned long long)ki->highest, (unsigned long long)l->pt_base,
			     (unsigned long long)((ki->highest + (ram - l->pt_base) +
						   PVHV_MIB - 1) / PVHV_MIB));
	return 0;
}

void cpl3_top_reserved(const struct cpl3_layout *l, struct pvhv_range out[CPL3_TOP_RESERVED])
{
	out[0] = (struct pvhv_range){ l->pt_base, l->region_gpa - l->pt_base };
	out[1] = (struct pvhv_range){ l->region_gpa, MON_SIZE };
}

/* Is frame pfn in [start, end) bytes, rounded out to whole pages? */
static bool frame_in(uint64_t pfn, uint64_t start, uint64_t end)
{
	return end > start && pfn >= PFN(start) && pfn <= PFN(end - 1);
}

uint64_t cpl3_leaf_flags(const struct cpl3_layout *l, const struct kernel_image *ki,
			 uint64_t pfn)
{
	if (frame_in(pfn, l->region_gpa, l->region_gpa + MON_SIZE))
		return 0;
	if (frame_in(pfn, l->pt_base, l->region_gpa))
		return CPL3_PTE_RO;
	for (int i = 0; i < ki->nr_exec && i < PVHV_MAX_EXEC_SEGMENTS; i++)
		if (frame_in(pfn, ki->exec[i].start, ki->exec[i].end))
			return CPL3_PTE_TEXT;
	return CPL3_PTE_DATA;
}

/* The gpa of the initial tables' frames: PML4, PDPT, PD, then PT i. */
static uint64_t pml4_gpa(const struct cpl3_layout *l) { return l->pt_base; }
static uint64_t pdpt_gpa(const struct cpl3_layout *l) { return l->pt_base + PAGE; }
static uint64_t pd_gpa(const struct cpl3_layout *l) { return l->pt_base + 2 * PAGE; }
static uint64_t pt_gpa(const struct cpl3_layout *l, uint64_t i)
{
	return l->pt_base + (CPL3_FIXED_TABLES + i) * PAGE;
}

int cpl3_build_tables(struct guest_mem *gm, const struct cpl3_layout *l,
		      const struct kernel_image *ki)
{
	uint64_t *tables = gm_ptr(gm, l->pt_base, l->nr_pt_frames * PAGE);
	uint64_t frames = l->ram / PAGE;

	if (!tables || l->nr_pts > CPL3_PT_ENTRIES)
		return -EFAULT;
	memset(tables, 0, l->nr_pt_frames * PAGE);
	uint64_t *pml4 = tables, *pdpt = tables + CPL3_PT_ENTRIES;
	uint64_t *pd = tables + 2 * CPL3_PT_ENTRIES, *pts = tables + 3 * CPL3_PT_ENTRIES;
	pml4[CPL3_VIRT_SLOT] = pdpt_gpa(l) | CPL3_PTE_TABLE;
	pdpt[PUD_INDEX(l->virt_base)] = pd_gpa(l) | CPL3_PTE_TABLE;
	for (uint64_t i = 0; i < l->nr_pts; i++)
		pd[i] = pt_gpa(l, i) | CPL3_PTE_TABLE;
	for (uint64_t pfn = 0; pfn < frames; pfn++) {
		uint64_t flags = cpl3_leaf_flags(l, ki, pfn);
		pts[pfn] = flags ? (pfn << PVHV_PAGE_SHIFT) | flags : 0;
	}
	return 0;
}

/* Pin one frame; on refusal say which (pvhv's bug, not the guest's). */
static int pin(struct cpl3_mm *mm, uint64_t gpa, int level, const char **why)
{
	int r = cpl3_mm_pin(mm, PFN(gpa), level);

	if (r < 0)
		return pvhv_why(why, r, "the validator refused pvhv's own initial table at "
			     "%#llx (level %d): errno %d", (unsigned long long)gpa, level, -r);
	return 0;
}

int cpl3_pin_tables(struct cpl3_mm *mm, const struct cpl3_layout *l, const char **why)
{
	int r = 0;

	*why = NULL;
	for (uint64_t i = 0; i < l->nr_pts && !r; i++)
		r = pin(mm, pt_gpa(l, i), 1, why);
	if (!r)
		r = pin(mm, pd_gpa(l), 2, why);
	if (!r)
		r = pin(mm, pdpt_gpa(l), 3, why);
	if (!r)
		r = pin(mm, pml4_gpa(l), 4, why);
	if (r)
		return r;
	r = cpl3_mm_new_baseptr(mm, PFN(pml4_gpa(l)));
	if (r < 0)
		return pvhv_why(why, r, "the validator refused pvhv's initial PML4 at %#llx as "
			     "the base pointer: errno %d", (unsigned long long)pml4_gpa(l), -r);
	return 0;
}

int cpl3_write_start(struct guest_mem *gm, const struct cpl3_layout *l, uint64_t si_gpa)
{
	struct pvhv_cpl3_start *s = gm_ptr(gm, PVHV_CPL3_START_GPA, sizeof(*s));

	if (!s)
		return -EFAULT;
	*s = (struct pvhv_cpl3_start){
		.magic = PVHV_CPL3_START_MAGIC, .version = CPL3_START_VERSION, .hvm_start_info = si_gpa,
		.virt_base = l->virt_base, .pt_base = l->pt_base,
		.nr_pt_frames = l->nr_pt_frames, .reserved_base = l->region_gpa,
		.reserved_len = MON_SIZE,
	};
	return 0;
}
