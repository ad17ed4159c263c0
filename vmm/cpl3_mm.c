/*
 * cpl3_mm.c - the page-table validator of pvhv's deprivileged mode
 * (vmm/cpl3_mm.h, abi/pvhv_cpl3.h "Validation").
 *
 * The invariants it keeps, from which the guest's safety follows:
 *  - every present entry of a pinned table maps guest RAM outside pvhv's
 *    frames, carries no PS, G or reserved bit, and (level 2..4) links a
 *    frame pinned exactly one level down, so tables form no cycle;
 *  - no writable level-1 entry of a pinned table maps a pinned frame: a
 *    pinned table changes only through this file;
 *  - frames[f].links and frames[f].wmaps are exactly the counts of such
 *    entries (the unit tests recompute them from memory and compare);
 *  - slot PVHV_CPL3_MONITOR_SLOT of every pinned level-4 table holds
 *    monitor_pml4e, and nothing else can be written there;
 *  - the top table the CPU walks during a call (cr3 at cpl3_mm_begin) stays
 *    pinned through the call, whatever NEW_BASEPTR said: the monitor runs
 *    on its slot 510 until it loads the new cr3 after the call.
 *
 * Every call checks everything first and changes memory, counts and the
 * write list only once it cannot fail any more (the one exception, a
 * counter that would overflow while a table's counts are added, is rolled
 * back before the refusal). The checks, in order: the arguments (level,
 * alignment), where the frame is (-EFAULT, -EPERM), its state (-EINVAL,
 * -EBUSY), room in the write list (-E2BIG), then the entries; for an
 * entry: its format (-EINVAL), its target's place (-EFAULT, -EPERM), its
 * target's state (-EPERM, -EINVAL), then the counters (-EBUSY).
 *
 * Not thread-safe: pvhv serializes the calls of all vCPUs (one lock
 * around a hypercall or multicall and the replay of its write list).
 */
#include <stdlib.h>
#include <string.h>

#include <abi/pvhv_cpl3.h>
#include <abi/x86.h>

#include "cpl3_mm.h"

#define LEVEL_NONE     0         /* ordinary memory */
#define LEVEL_PT       1         /* a page table: its entries map pages */
#define LEVEL_TOP      4         /* the PML4: what cr3 points at */
#define ENTRY_SIZE     sizeof(uint64_t)
#define ENTRY_ALIGN    (ENTRY_SIZE - 1)
#define PAGE_OFFSET    (PVHV_PAGE_SIZE - 1ull)

/* Bits 52..62: available to software in hardware, refused here so that
 * nothing hides in them. Bits 9..11 stay the kernel's. */
#define PTE_RESERVED   0x7ff0000000000000ull
/* Never in any entry: global mappings outlive a cr3 switch (no PGE). */
#define PTE_REFUSED    (PTE_RESERVED | PTE_GLOBAL)

_Static_assert(PTRS_PER_TABLE * ENTRY_SIZE == PVHV_PAGE_SIZE, "a table is one page");

/* The frame an entry points at (bits 12..51). */
static uint64_t pte_frame(uint64_t val)
{
	return (val & PTE_ADDR_MASK) >> PVHV_PAGE_SHIFT;
}

static bool pte_present(uint64_t val)
{
	return (val & PTE_PRESENT) != 0;
}

static bool frame_reserved(const struct cpl3_mm *mm, uint64_t pfn)
{
	return pfn >= mm->resv_first && pfn < mm->resv_end;
}

static bool is_monitor_slot(int level, unsigned idx)
{
	return level == LEVEL_TOP && idx == PVHV_CPL3_MONITOR_SLOT;
}

/* Whether frame `pfn` may be a table at all: in RAM, not pvhv's. */
static int frame_usable(const struct cpl3_mm *mm, uint64_t pfn)
{
	if (pfn >= mm->nr_frames)
		return -PVHV_EFAULT;
	if (frame_reserved(mm, pfn))
		return -PVHV_EPERM;
	return 0;
}

/* Room for `need` more entries in the write list. */
static bool writes_room(const struct cpl3_mm *mm, uint32_t need)
{
	return mm->nr_writes <= mm->max_writes && need <= mm->max_writes - mm->nr_writes;
}

/* A copy of the 512 entries of table `pfn` (< nr_frames): every later
 * decision is taken on this one snapshot. */
static int table_read(const struct cpl3_mm *mm, uint64_t pfn,
		      uint64_t table[PTRS_PER_TABLE])
{
	const void *src = gm_ptr(mm->gm, pfn << PVHV_PAGE_SHIFT, PVHV_PAGE_SIZE);

	if (!src)
		return -PVHV_EFAULT;
	memcpy(table, src, PVHV_PAGE_SIZE);
	return 0;
}

/* Set the entry at `gpa` in guest memory and in the write list. The
 * caller checked gpa (gm_ptr) and the room in the list. */
static void entry_write(struct cpl3_mm *mm, uint64_t gpa, uint64_t val)
{
	void *dst = gm_ptr(mm->gm, gpa, ENTRY_SIZE);

	if (dst)
		memcpy(dst, &val, ENTRY_SIZE);
	mm->writes[mm->nr_writes].gpa = gpa;
	mm->writes[mm->nr_writes].val = val;
	mm->nr_writes++;
}

/*
 * The counter that entry `val` at `idx` of a pinned table of `level`
 * contributes one to: links of its target (levels 2..4), wmaps of its
 * target (a writable level-1 entry), or none (not present, read-only
 * level 1, the monitor slot, or a target outside RAM, which a validated
 * entry never has).
 */
static uint32_t *entry_counter(struct cpl3_mm *mm, int level, unsigned idx, uint64_t val)
{
	uint64_t target = pte_frame(val);

	if (!pte_present(val) || is_monitor_slot(level, idx) || target >= mm->nr_frames)
		return NULL;
	if (level > LEVEL_PT)
		return &mm->frames[target].links;
	return (val & PTE_WRITE) ? &mm->frames[target].wmaps : NULL;
}

/*
 * Whether `val` may be an entry (not the monitor slot) of table `table_pfn`
 * at `level`: 0 or the refusal. A writable level-1 entry may map neither a
 * pinned frame nor the table itself (which is about to be, or is, pinned).
 */
static int entry_check(const struct cpl3_mm *mm, uint64_t table_pfn, int level,
		       uint64_t val)
{
	uint64_t target = pte_frame(val);
	int r;

	if (!pte_present(val))
		return 0;
	if ((val & PTE_REFUSED) || (level > LEVEL_PT && (val & PTE_PS)))
		return -PVHV_EINVAL;
	r = frame_usable(mm, target);
	if (r)
		return r;
	if (level == LEVEL_PT) {
		bool table = mm->frames[target].level != LEVEL_NONE || target == table_pfn;
		return (val & PTE_WRITE) && table ? -PVHV_EPERM : 0;
	}
	return mm->frames[target].level == level - 1 ? 0 : -PVHV_EINVAL;
}

/* Every entry of `table` (to be pinned at `level` at frame pfn); the
 * monitor slot of a level-4 table must be empty (not present). */
static int table_check(const struct cpl3_mm *mm, uint64_t pfn, int level,
		       const uint64_t table[PTRS_PER_TABLE])
{
	for (unsigned i = 0; i < PTRS_PER_TABLE; i++) {
		int r;

		if (is_monitor_slot(level, i))
			r = pte_present(table[i]) ? -PVHV_EPERM : 0;
		else
			r = entry_check(mm, pfn, level, table[i]);
		if (r)
			return r;
	}
	return 0;
}

/* Take back the counts of the first `n` entries of `table`. */
static void table_uncount(struct cpl3_mm *mm, int level,
			  const uint64_t table[PTRS_PER_TABLE], unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		uint32_t *c = entry_counter(mm, level, i, table[i]);

		if (c && *c)                  /* never below 0, whatever memory says */
			(*c)--;
	}
}

/* Add the counts of every entry of `table`; a counter at its maximum
 * refuses the whole table (-EBUSY) with the counts as they were. */
static int table_count(struct cpl3_mm *mm, int level, const uint64_t table[PTRS_PER_TABLE])
{
	for (unsigned i = 0; i < PTRS_PER_TABLE; i++) {
		uint32_t *c = entry_counter(mm, level, i, table[i]);

		if (!c)
			continue;
		if (*c == UINT32_MAX) {
			table_uncount(mm, level, table, i);
			return -PVHV_EBUSY;
		}
		(*c)++;
	}
	return 0;
}

/* The gpa of the monitor slot of level-4 table `pfn`. */
static uint64_t monitor_slot_gpa(uint64_t pfn)
{
	return (pfn << PVHV_PAGE_SHIFT) + PVHV_CPL3_MONITOR_SLOT * ENTRY_SIZE;
}

int cpl3_mm_init(struct cpl3_mm *mm, struct guest_mem *gm, uint64_t resv_first,
		 uint64_t resv_end, uint64_t monitor_pml4e, struct cpl3_write *buf,
		 uint32_t max)
{
	memset(mm, 0, sizeof(*mm));
	if (resv_first > resv_end)
		return -EINVAL;
	mm->gm = gm;
	mm->nr_frames = gm->size >> PVHV_PAGE_SHIFT;
	mm->resv_first = resv_first;
	mm->resv_end = resv_end;
	mm->monitor_pml4e = monitor_pml4e;
	mm->writes = buf;
	mm->max_writes = buf ? max : 0;
	mm->frames = pvhv_zalloc(mm->nr_frames * sizeof(*mm->frames),
				 "the page-table validator's frame table");
	return mm->frames ? 0 : -ENOMEM;
}

void cpl3_mm_free(struct cpl3_mm *mm)
{
	free(mm->frames);
	mm->frames = NULL;
	mm->nr_frames = 0;
}

void cpl3_mm_begin(struct cpl3_mm *mm)
{
	mm->nr_writes = 0;
	mm->flush = false;
	mm->walked_cr3 = mm->cr3;
}

int cpl3_mm_pin(struct cpl3_mm *mm, uint64_t pfn, int level)
{
	uint64_t table[PTRS_PER_TABLE];
	int r;

	if (level < LEVEL_PT || level > LEVEL_TOP)
		return -PVHV_EINVAL;
	r = frame_usable(mm, pfn);
	if (r)
		return r;
	if (mm->frames[pfn].level != LEVEL_NONE || mm->frames[pfn].wmaps)
		return -PVHV_EBUSY;           /* pinned already, or writable somewhere */
	if (!writes_room(mm, level == LEVEL_TOP))
		return -PVHV_E2BIG;
	r = table_read(mm, pfn, table);
	if (!r)
		r = table_check(mm, pfn, level, table);
	if (!r)
		r = table_count(mm, level, table);
	if (r)
		return r;
	mm->frames[pfn].level = (uint8_t)level;
	if (level == LEVEL_TOP)
		entry_write(mm, monitor_slot_gpa(pfn), mm->monitor_pml4e);
	mm->flush = true;
	return 0;
}

int cpl3_mm_unpin(struct cpl3_mm *mm, uint64_t pfn)
{
	uint64_t table[PTRS_PER_TABLE];
	struct cpl3_frame *f;
	int r;

	if (pfn >= mm->nr_frames)
		return -PVHV_EFAULT;
	f = &mm->frames[pfn];
	if (f->level == LEVEL_NONE)
		return -PVHV_EINVAL;
	if (f->links || pfn == mm->cr3 || pfn == mm->walked_cr3)
		return -PVHV_EBUSY;           /* still linked, or a live top table */
	if (!writes_room(mm, f->level == LEVEL_TOP))
		return -PVHV_E2BIG;
	r = table_read(mm, pfn, table);
	if (r)
		return r;
	table_uncount(mm, f->level, table, PTRS_PER_TABLE);
	if (f->level == LEVEL_TOP)
		entry_write(mm, monitor_slot_gpa(pfn), 0);
	f->level = LEVEL_NONE;
	mm->flush = true;
	return 0;
}

int cpl3_mm_update(struct cpl3_mm *mm, uint64_t gpa, uint64_t val)
{
	const uint64_t *p;
	uint64_t pfn, old;
	uint32_t *old_c, *new_c;
	unsigned idx;
	int level, r;

	if (gpa & ENTRY_ALIGN)
		return -PVHV_EINVAL;
	p = gm_ptr(mm->gm, gpa, ENTRY_SIZE);
	pfn = gpa >> PVHV_PAGE_SHIFT;
	if (!p || pfn >= mm->nr_frames)
		return -PVHV_EFAULT;
	level = mm->frames[pfn].level;
	if (level == LEVEL_NONE)
		return -PVHV_EINVAL;
	idx = (unsigned)((gpa & PAGE_OFFSET) / ENTRY_SIZE);
	if (is_monitor_slot(level, idx))          /* pvhv's: only a rewrite of itself */
		return val == mm->monitor_pml4e ? 0 : -PVHV_EPERM;
	if (!writes_room(mm, 1))
		return -PVHV_E2BIG;
	r = entry_check(mm, pfn, level, val);
	if (r)
		return r;
	memcpy(&old, p, sizeof(old));
	old_c = entry_counter(mm, level, idx, old);
	new_c = entry_counter(mm, level, idx, val);
	if (new_c && new_c != old_c && *new_c == UINT32_MAX)
		return -PVHV_EBUSY;
	if (old_c && *old_c)
		(*old_c)--;
	if (new_c)
		(*new_c)++;
	entry_write(mm, gpa, val);
	mm->flush = true;
	return 0;
}

int cpl3_mm_new_baseptr(struct cpl3_mm *mm, uint64_t pfn)
{
	if (pfn >= mm->nr_frames)
		return -PVHV_EFAULT;
	if (mm->frames[pfn].level != LEVEL_TOP)
		return -PVHV_EINVAL;
	mm->cr3 = pfn;
	return 0;
}

bool cpl3_mm_may_write(const struct cpl3_mm *mm, uint64_t gpa, uint64_t len)
{
	if (!gm_ptr(mm->gm, gpa, len))
		return false;
	if (!len)
		return true;
	/* gpa + len <= RAM size now: no wrap */
	uint64_t last = (gpa + len - 1) >> PVHV_PAGE_SHIFT;

	for (uint64_t f = gpa >> PVHV_PAGE_SHIFT; f <= last; f++) {
		if (frame_reserved(mm, f))
			return false;
		if (f < mm->nr_frames && mm->frames[f].level != LEVEL_NONE)
			return false;
	}
	return true;
}
