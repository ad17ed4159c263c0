/*
 * cpl3_mm.h - the page-table validator of pvhv's deprivileged mode
 * (abi/pvhv_cpl3.h, docs/pvhv-abi.md "Deprivileged mode"): a pure
 * function of guest memory and a per-frame table, no /dev/kvm, tested
 * with hostile input under ASan and UBSan (tests/unit/t_pvhv_cpl3_mm.c).
 *
 * It keeps, per guest frame, whether it is a pinned page table (and of
 * which level), how many entries of pinned tables link it as a table, and
 * how many writable level-1 entries of pinned tables map it. From that it
 * decides every PIN, UNPIN, MMU_UPDATE and NEW_BASEPTR. An accepted
 * change is written to guest memory at once (so the next call of a batch
 * sees it) and also appended to the write list, which the monitor
 * replays inside the guest before it resumes the kernel (on a host that
 * shadows guest page tables only a guest write is seen), followed by a
 * TLB flush (`flush`). A refused call changes nothing, in memory or in
 * the table.
 */
#ifndef PVHV_CPL3_MM_H
#define PVHV_CPL3_MM_H

#include <stdbool.h>
#include <stdint.h>
#include "pvhv.h"

struct cpl3_frame {
	uint8_t level;               /* 0: ordinary memory; 1..4: pinned table */
	uint32_t links;              /* entries of pinned tables of level+1 linking it */
	uint32_t wmaps;              /* writable level-1 entries of pinned tables mapping it */
};

struct cpl3_write {
	uint64_t gpa, val;           /* an 8-byte entry and its new value */
};

struct cpl3_mm {
	struct guest_mem *gm;
	uint64_t nr_frames;          /* guest RAM: frames 0 .. nr_frames-1 */
	uint64_t resv_first, resv_end; /* pvhv's frames [first, end): never mappable */
	uint64_t monitor_pml4e;      /* what pvhv puts in PVHV_CPL3_MONITOR_SLOT */
	uint64_t cr3;                /* frame of the live top table; 0: none yet */
	uint64_t walked_cr3;         /* the top table the CPU walks during this call:
	                              * cr3 at cpl3_mm_begin (the monitor loads a
	                              * new one only after the call), never unpinned */
	struct cpl3_frame *frames;   /* nr_frames of them */
	struct cpl3_write *writes;   /* the write list for the monitor */
	uint32_t nr_writes, max_writes;
	bool flush;                  /* the monitor flushes the TLB after the writes */
};

/* cpl3_mm_init - an empty table (no frame pinned, no cr3) over gm's RAM;
 * pvhv's own frames are [resv_first, resv_end); writes go to `buf` (max
 * entries). Returns 0, -EINVAL (resv_first > resv_end) or -ENOMEM. */
int cpl3_mm_init(struct cpl3_mm *mm, struct guest_mem *gm, uint64_t resv_first,
		 uint64_t resv_end, uint64_t monitor_pml4e, struct cpl3_write *buf,
		 uint32_t max);
void cpl3_mm_free(struct cpl3_mm *mm);

/* cpl3_mm_begin - start a hypercall (or a multicall): empty the write
 * list, clear `flush`, and note cr3 as the table the CPU (and the
 * monitor, through its slot) walks until the call is over. */
void cpl3_mm_begin(struct cpl3_mm *mm);

/* cpl3_mm_pin - frame `pfn` becomes a page table of `level` (1..4): every
 * present entry validated at that level; for level 4 the monitor slot must
 * be empty and gets monitor_pml4e. Returns 0 or -PVHV_E* (abi/pvhv_cpl3.h). */
int cpl3_mm_pin(struct cpl3_mm *mm, uint64_t pfn, int level);

/* cpl3_mm_unpin - the table at `pfn` becomes ordinary memory: refused
 * while linked, while it is cr3, or while the CPU still walks it (the cr3
 * of this call's start, replaced by a NEW_BASEPTR of the same call only
 * once the monitor loads the new one); its entries' counts are dropped. */
int cpl3_mm_unpin(struct cpl3_mm *mm, uint64_t pfn);

/* cpl3_mm_update - set the 8-byte entry at `gpa` (in a pinned table) to
 * `val`, validated at that table's level. */
int cpl3_mm_update(struct cpl3_mm *mm, uint64_t gpa, uint64_t val);

/* cpl3_mm_new_baseptr - the pinned level-4 table at `pfn` becomes cr3. */
int cpl3_mm_new_baseptr(struct cpl3_mm *mm, uint64_t pfn);

/* cpl3_mm_may_write - whether pvhv may write guest range [gpa, gpa+len)
 * on the guest's behalf (a hypercall's result, the vCPU page): all of it
 * in RAM (overflow-safe), no byte in a pinned table or in pvhv's frames.
 * Anything else would change a validated table behind the validator. */
bool cpl3_mm_may_write(const struct cpl3_mm *mm, uint64_t gpa, uint64_t len);

#endif /* PVHV_CPL3_MM_H */
