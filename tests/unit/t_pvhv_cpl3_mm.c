/*
 * t_pvhv_cpl3_mm.c - the page-table validator of pvhv's deprivileged mode
 * (vmm/cpl3_mm.c) with hostile input: every rule of abi/pvhv_cpl3.h's
 * "Validation" with its errno, frames and addresses outside RAM, a write
 * list that runs out, counters at their limit, and a random walk whose
 * every step is checked against counts recomputed here from memory.
 * Every refusal is also checked to change nothing (memory, counts, write
 * list, cr3, flush). Entries are written with literal bit values (not the
 * validator's constants). Built only into build/tests/pvhv-unit, with
 * ASan and UBSan (vmm/vmm.mk); guest memory is an exact-size heap block.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include <abi/pvhv_cpl3.h>

#include "cpl3_mm.h"

#define NF          32u                   /* guest frames */
#define PG          4096ull
#define MEM         (NF * PG)
#define RESV_FIRST  28u                   /* pvhv's frames: 28..31 */
#define RESV_END    NF
#define WMAX        8u                    /* write list entries */
#define SLOT        510u                  /* the monitor's PML4 slot */

/* x86-64 entry bits, written out */
#define F_P   0x1ull
#define F_RW  0x2ull
#define F_US  0x4ull
#define F_PS  0x80ull
#define F_G   0x100ull
#define F_NX  0x8000000000000000ull
#define F_AVL 0xe00ull                    /* bits 9..11 */

#define E(frame, flags)  (((uint64_t)(frame) << 12) | (flags))
#define GPA(pfn, idx)    ((uint64_t)(pfn) * PG + (uint64_t)(idx) * 8)
#define MONITOR_PML4E    0x1c003ull       /* frame 28, P RW, supervisor */

static struct guest_mem gm;
static struct cpl3_mm mm;
static struct cpl3_write wbuf[WMAX];

static void setup(void)
{
	gm.size = MEM;
	gm.host = calloc(1, MEM);
	cr_assert_not_null(gm.host);
	cr_assert_eq(cpl3_mm_init(&mm, &gm, RESV_FIRST, RESV_END, MONITOR_PML4E, wbuf, WMAX), 0);
	cpl3_mm_begin(&mm);
}

static void teardown(void)
{
	cpl3_mm_free(&mm);
	free(gm.host);
}

TestSuite(cpl3_mm, .init = setup, .fini = teardown);

/* ---- helpers ------------------------------------------------------------ */
static uint64_t get(uint64_t pfn, unsigned idx)
{
	uint64_t v;

	memcpy(&v, gm.host + GPA(pfn, idx), sizeof(v));
	return v;
}

/* The guest writes its own (unpinned) memory. */
static void set(uint64_t pfn, unsigned idx, uint64_t v)
{
	memcpy(gm.host + GPA(pfn, idx), &v, sizeof(v));
}

static void clear(uint64_t pfn)
{
	memset(gm.host + pfn * PG, 0, PG);
}

struct snap {
	uint8_t mem[MEM];
	struct cpl3_frame frames[NF];
	struct cpl3_write writes[WMAX];
	uint32_t nr_writes;
	bool flush;
	uint64_t cr3;
};
static struct snap before;

static void snap_take(struct snap *s)
{
	memcpy(s->mem, gm.host, MEM);
	memcpy(s->frames, mm.frames, sizeof(s->frames));
	memcpy(s->writes, wbuf, sizeof(s->writes));
	s->nr_writes = mm.nr_writes;
	s->flush = mm.flush;
	s->cr3 = mm.cr3;
}

static bool snap_same(const struct snap *s)
{
	return !memcmp(s->mem, gm.host, MEM) &&
	       !memcmp(s->frames, mm.frames, sizeof(s->frames)) &&
	       !memcmp(s->writes, wbuf, sizeof(s->writes)) &&
	       s->nr_writes == mm.nr_writes && s->flush == mm.flush && s->cr3 == mm.cr3;
}

/* `call` is refused with `err` and changes nothing. */
#define REFUSED(call, err) do { \
	snap_take(&before); \
	int r_ = (call); \
	cr_assert_eq(r_, -(err), "%s: %d, expected %d", #call, r_, -(err)); \
	cr_assert(snap_same(&before), "%s was refused but changed something", #call); \
} while (0)

#define OK(call) do { \
	int r_ = (call); \
	cr_assert_eq(r_, 0, "%s: %d, expected 0", #call, r_); \
} while (0)

static void expect_counts(uint64_t pfn, int level, uint32_t links, uint32_t wmaps)
{
	cr_assert_eq(mm.frames[pfn].level, level, "frame %lu level", (unsigned long)pfn);
	cr_assert_eq(mm.frames[pfn].links, links, "frame %lu links", (unsigned long)pfn);
	cr_assert_eq(mm.frames[pfn].wmaps, wmaps, "frame %lu wmaps", (unsigned long)pfn);
}

/* An empty table pinned at `level` (a level-4 one gets the monitor slot). */
static void pin_empty(uint64_t pfn, int level)
{
	clear(pfn);
	OK(cpl3_mm_pin(&mm, pfn, level));
}

/* ---- init ------------------------------------------------------------- */
Test(cpl3_mm, init_is_empty)
{
	cr_assert_eq(mm.nr_frames, NF);
	cr_assert_eq(mm.cr3, 0);
	cr_assert_eq(mm.nr_writes, 0);
	cr_assert(!mm.flush);
	for (unsigned f = 0; f < NF; f++)
		expect_counts(f, 0, 0, 0);

	struct cpl3_mm bad;
	cr_assert_eq(cpl3_mm_init(&bad, &gm, 5, 4, MONITOR_PML4E, wbuf, WMAX), -EINVAL);
}

/* ---- a 4-level chain by hand ------------------------------------------- */
Test(cpl3_mm, four_level_chain)
{
	/* PT at 10: 20 RW, 21 RO, 22 RW (twice), 23 RW+US+NX */
	clear(10);
	set(10, 0, E(20, F_P | F_RW));
	set(10, 1, E(21, F_P));
	set(10, 2, E(22, F_P | F_RW | F_US));
	set(10, 511, E(22, F_P | F_RW));
	set(10, 7, E(23, F_P | F_RW | F_US | F_NX | F_AVL));
	OK(cpl3_mm_pin(&mm, 10, 1));
	expect_counts(10, 1, 0, 0);
	expect_counts(20, 0, 0, 1);
	expect_counts(21, 0, 0, 0);
	expect_counts(22, 0, 0, 2);
	expect_counts(23, 0, 0, 1);
	cr_assert_eq(mm.nr_writes, 0, "pinning a level-1 table writes nothing");
	cr_assert(mm.flush);

	/* PD at 11: slots 0 and 5 both link the PT */
	clear(11);
	set(11, 0, E(10, F_P | F_RW | F_US));
	set(11, 5, E(10, F_P));
	OK(cpl3_mm_pin(&mm, 11, 2));
	expect_counts(10, 1, 2, 0);

	/* PDPT at 12, PML4 at 13 linking it from slots 0 and 511 */
	clear(12);
	set(12, 3, E(11, F_P | F_RW));
	OK(cpl3_mm_pin(&mm, 12, 3));
	clear(13);
	set(13, 0, E(12, F_P | F_RW | F_US));
	set(13, 511, E(12, F_P | F_RW));
	cpl3_mm_begin(&mm);
	cr_assert(!mm.flush);
	OK(cpl3_mm_pin(&mm, 13, 4));
	expect_counts(11, 2, 1, 0);
	expect_counts(12, 3, 2, 0);
	expect_counts(13, 4, 0, 0);
	cr_assert(mm.flush);
	/* the monitor slot: in memory and in the write list */
	cr_assert_eq(get(13, SLOT), 0x1c003ull);
	cr_assert_eq(mm.nr_writes, 1);
	cr_assert_eq(wbuf[0].gpa, 0xdff0ull);
	cr_assert_eq(wbuf[0].val, 0x1c003ull);

	OK(cpl3_mm_new_baseptr(&mm, 13));
	cr_assert_eq(mm.cr3, 13);

	/* unpinned only from the top down */
	REFUSED(cpl3_mm_unpin(&mm, 10), PVHV_EBUSY);
	REFUSED(cpl3_mm_unpin(&mm, 11), PVHV_EBUSY);
	REFUSED(cpl3_mm_unpin(&mm, 12), PVHV_EBUSY);
	REFUSED(cpl3_mm_unpin(&mm, 13), PVHV_EBUSY);     /* cr3 */

	/* a second PML4 becomes cr3: the first can go */
	clear(14);
	set(14, 0, E(12, F_P));
	OK(cpl3_mm_pin(&mm, 14, 4));
	expect_counts(12, 3, 3, 0);
	OK(cpl3_mm_new_baseptr(&mm, 14));
	cpl3_mm_begin(&mm);
	OK(cpl3_mm_unpin(&mm, 13));
	expect_counts(13, 0, 0, 0);
	expect_counts(12, 3, 1, 0);
	cr_assert_eq(get(13, SLOT), 0, "the monitor slot is cleared");
	cr_assert_eq(get(13, 0), E(12, F_P | F_RW | F_US), "other entries stay");
	cr_assert_eq(mm.nr_writes, 1);
	cr_assert_eq(wbuf[0].gpa, 0xdff0ull);
	cr_assert_eq(wbuf[0].val, 0);
	cr_assert(mm.flush);

	/* drop the PML4's link by update, then the rest unpins bottom-up */
	OK(cpl3_mm_update(&mm, GPA(14, 0), 0));
	expect_counts(12, 3, 0, 0);
	OK(cpl3_mm_unpin(&mm, 12));
	expect_counts(11, 2, 0, 0);
	OK(cpl3_mm_unpin(&mm, 11));
	expect_counts(10, 1, 0, 0);
	OK(cpl3_mm_unpin(&mm, 10));
	expect_counts(10, 0, 0, 0);
	expect_counts(20, 0, 0, 0);
	expect_counts(22, 0, 0, 0);
	expect_counts(23, 0, 0, 0);
	REFUSED(cpl3_mm_unpin(&mm, 10), PVHV_EINVAL);
}

/* ---- pin's arguments ---------------------------------------------------- */
Test(cpl3_mm, pin_arguments)
{
	clear(3);
	REFUSED(cpl3_mm_pin(&mm, 3, 0), PVHV_EINVAL);
	REFUSED(cpl3_mm_pin(&mm, 3, 5), PVHV_EINVAL);
	REFUSED(cpl3_mm_pin(&mm, 3, -1), PVHV_EINVAL);
	REFUSED(cpl3_mm_pin(&mm, NF, 1), PVHV_EFAULT);
	REFUSED(cpl3_mm_pin(&mm, 1ull << 52, 1), PVHV_EFAULT);
	REFUSED(cpl3_mm_pin(&mm, ~0ull, 4), PVHV_EFAULT);
	REFUSED(cpl3_mm_pin(&mm, (~0ull >> 12) + 1, 1), PVHV_EFAULT); /* wraps when shifted */
	REFUSED(cpl3_mm_pin(&mm, RESV_FIRST, 1), PVHV_EPERM);
	REFUSED(cpl3_mm_pin(&mm, RESV_END - 1, 4), PVHV_EPERM);
	OK(cpl3_mm_pin(&mm, RESV_FIRST - 1, 1));          /* just below pvhv's */
	OK(cpl3_mm_pin(&mm, 0, 1));
	OK(cpl3_mm_pin(&mm, 3, 2));
	REFUSED(cpl3_mm_pin(&mm, 3, 2), PVHV_EBUSY);      /* twice */
	REFUSED(cpl3_mm_pin(&mm, 3, 1), PVHV_EBUSY);      /* twice, another level */
}

Test(cpl3_mm, pin_of_a_writably_mapped_frame)
{
	clear(10);
	set(10, 4, E(5, F_P | F_RW));
	OK(cpl3_mm_pin(&mm, 10, 1));
	clear(5);
	REFUSED(cpl3_mm_pin(&mm, 5, 1), PVHV_EBUSY);
	/* read-only now: pinnable */
	OK(cpl3_mm_update(&mm, GPA(10, 4), E(5, F_P)));
	expect_counts(5, 0, 0, 0);
	OK(cpl3_mm_pin(&mm, 5, 1));
	/* and no longer to be made writable */
	REFUSED(cpl3_mm_update(&mm, GPA(10, 4), E(5, F_P | F_RW)), PVHV_EPERM);
	REFUSED(cpl3_mm_update(&mm, GPA(10, 9), E(5, F_P | F_RW | F_US)), PVHV_EPERM);
}

/* ---- entry format, at every level -------------------------------------- */
/* Frame 9 as a table-to-be with one entry `val` at slot 1, then pinned at
 * `level` (the preparation stays outside REFUSED's snapshot). */
static void prep9(uint64_t val)
{
	clear(9);
	set(9, 1, val);
}
#define PIN9_REFUSED(level, val, err) do { \
	prep9(val); \
	REFUSED(cpl3_mm_pin(&mm, 9, (level)), (err)); \
} while (0)
#define PIN9_OK(level, val) do { prep9(val); OK(cpl3_mm_pin(&mm, 9, (level))); } while (0)

static void unpin_ok(uint64_t pfn)
{
	OK(cpl3_mm_unpin(&mm, pfn));
}

Test(cpl3_mm, entry_format)
{
	static const uint64_t bad_bits[] = {
		F_G, 1ull << 52, 1ull << 55, 1ull << 62, 0x7ff0000000000000ull,
	};
	pin_empty(21, 1);          /* a PT, a PD, a PDPT to link */
	clear(22);
	set(22, 0, E(21, F_P));
	OK(cpl3_mm_pin(&mm, 22, 2));
	clear(23);
	set(23, 0, E(22, F_P));
	OK(cpl3_mm_pin(&mm, 23, 3));
	const uint64_t target[5] = { 0, 20, 21, 22, 23 };

	for (int level = 1; level <= 4; level++) {
		uint64_t good = E(target[level], F_P | F_US);

		for (unsigned b = 0; b < sizeof(bad_bits) / sizeof(bad_bits[0]); b++)
			PIN9_REFUSED(level, good | bad_bits[b], PVHV_EINVAL);
		if (level > 1)
			PIN9_REFUSED(level, good | F_PS, PVHV_EINVAL);
		/* software bits 9..11, NX, A, D, PWT, PCD: allowed */
		PIN9_OK(level, good | F_AVL | F_NX | 0x78ull);
		/* the same through update */
		for (unsigned b = 0; b < sizeof(bad_bits) / sizeof(bad_bits[0]); b++)
			REFUSED(cpl3_mm_update(&mm, GPA(9, 2), good | bad_bits[b]), PVHV_EINVAL);
		if (level > 1)
			REFUSED(cpl3_mm_update(&mm, GPA(9, 2), good | F_PS), PVHV_EINVAL);
		unpin_ok(9);
	}
	/* level 1: bit 7 is PAT, not PS */
	PIN9_OK(1, E(20, F_P | F_PS));
	unpin_ok(9);
}

Test(cpl3_mm, not_present_is_anything)
{
	/* every non-present value passes and counts nothing */
	clear(9);
	for (unsigned i = 0; i < 512; i++)
		set(9, i, (0xfedcba9876543210ull * (i + 1)) & ~F_P);
	set(9, SLOT, 0);
	for (int level = 1; level <= 4; level++) {
		OK(cpl3_mm_pin(&mm, 9, level));
		for (unsigned f = 0; f < NF; f++)
			cr_assert(mm.frames[f].links == 0 && mm.frames[f].wmaps == 0);
		OK(cpl3_mm_update(&mm, GPA(9, 3), ~F_P));
		unpin_ok(9);
	}
}

/* ---- targets ------------------------------------------------------------- */
Test(cpl3_mm, targets_outside_ram)
{
	for (int level = 1; level <= 4; level++) {
		PIN9_REFUSED(level, E(NF, F_P), PVHV_EFAULT);
		PIN9_REFUSED(level, E(0xffffffffffull, F_P | F_RW), PVHV_EFAULT); /* frame 2^40-1 */
	}
	pin_empty(9, 1);
	REFUSED(cpl3_mm_update(&mm, GPA(9, 0), E(NF, F_P)), PVHV_EFAULT);
	REFUSED(cpl3_mm_update(&mm, GPA(9, 0), E(NF + 1000, F_P | F_RW)), PVHV_EFAULT);
	OK(cpl3_mm_update(&mm, GPA(9, 0), E(NF - 5, F_P | F_RW)));
}

Test(cpl3_mm, pvhv_frames_are_never_mapped)
{
	for (unsigned f = RESV_FIRST; f < RESV_END; f++) {
		PIN9_REFUSED(1, E(f, F_P), PVHV_EPERM);          /* read-only */
		PIN9_REFUSED(1, E(f, F_P | F_RW), PVHV_EPERM);
		PIN9_REFUSED(1, E(f, F_P | F_US), PVHV_EPERM);
		PIN9_REFUSED(2, E(f, F_P), PVHV_EPERM);
	}
	pin_empty(9, 1);
	REFUSED(cpl3_mm_update(&mm, GPA(9, 0), E(RESV_FIRST, F_P)), PVHV_EPERM);
	REFUSED(cpl3_mm_update(&mm, GPA(9, 0), E(RESV_END - 1, F_P | F_RW)), PVHV_EPERM);
	REFUSED(cpl3_mm_update(&mm, GPA(9, 0), MONITOR_PML4E), PVHV_EPERM);
	OK(cpl3_mm_update(&mm, GPA(9, 0), E(RESV_FIRST - 1, F_P | F_RW)));
}

Test(cpl3_mm, tables_are_never_writable)
{
	pin_empty(15, 1);
	/* a writable map of a pinned table: refused; read-only: fine */
	PIN9_REFUSED(1, E(15, F_P | F_RW), PVHV_EPERM);
	PIN9_OK(1, E(15, F_P));
	cr_assert_eq(mm.frames[15].wmaps, 0);
	/* the table itself, writable: refused at pin and at update */
	unpin_ok(9);
	PIN9_REFUSED(1, E(9, F_P | F_RW), PVHV_EPERM);
	PIN9_OK(1, E(9, F_P));                         /* read-only self map */
	REFUSED(cpl3_mm_update(&mm, GPA(9, 1), E(9, F_P | F_RW)), PVHV_EPERM);
	REFUSED(cpl3_mm_update(&mm, GPA(9, 2), E(15, F_P | F_RW)), PVHV_EPERM);
	/* a PD is a table too */
	clear(16);
	OK(cpl3_mm_pin(&mm, 16, 2));
	REFUSED(cpl3_mm_update(&mm, GPA(9, 2), E(16, F_P | F_RW)), PVHV_EPERM);
	OK(cpl3_mm_update(&mm, GPA(9, 2), E(16, F_P)));
}

Test(cpl3_mm, links_only_one_level_down)
{
	pin_empty(15, 1);
	clear(16);
	OK(cpl3_mm_pin(&mm, 16, 2));
	clear(5);                                           /* not a table */
	PIN9_REFUSED(2, E(5, F_P), PVHV_EINVAL);
	PIN9_REFUSED(2, E(16, F_P), PVHV_EINVAL);      /* a PD under a PD */
	PIN9_REFUSED(3, E(15, F_P), PVHV_EINVAL);      /* a PT under a PDPT */
	PIN9_REFUSED(4, E(16, F_P), PVHV_EINVAL);
	PIN9_OK(2, E(15, F_P));
	REFUSED(cpl3_mm_update(&mm, GPA(9, 0), E(5, F_P)), PVHV_EINVAL);
	REFUSED(cpl3_mm_update(&mm, GPA(9, 0), E(9, F_P)), PVHV_EINVAL); /* itself */
	OK(cpl3_mm_update(&mm, GPA(9, 0), E(15, F_P | F_RW)));
	cr_assert_eq(mm.frames[15].links, 2);
}

Test(cpl3_mm, self_referencing_top_table)
{
	clear(9);
	set(9, 0, E(9, F_P | F_RW));                        /* the recursive slot */
	REFUSED(cpl3_mm_pin(&mm, 9, 4), PVHV_EINVAL);
	set(9, 0, 0);
	OK(cpl3_mm_pin(&mm, 9, 4));
	REFUSED(cpl3_mm_update(&mm, GPA(9, 0), E(9, F_P)), PVHV_EINVAL);
	for (int level = 1; level <= 3; level++) {
		clear(10);
		set(10, 8, E(10, F_P));
		REFUSED(cpl3_mm_pin(&mm, 10, level + 1), PVHV_EINVAL);
	}
}

/* ---- the monitor slot ---------------------------------------------------- */
Test(cpl3_mm, monitor_slot)
{
	clear(9);
	set(9, SLOT, E(5, F_P));
	REFUSED(cpl3_mm_pin(&mm, 9, 4), PVHV_EPERM);
	set(9, SLOT, MONITOR_PML4E);                        /* even pvhv's own value */
	REFUSED(cpl3_mm_pin(&mm, 9, 4), PVHV_EPERM);
	set(9, SLOT, 0x1234ull << 1);                       /* not present: fine */
	OK(cpl3_mm_pin(&mm, 9, 4));
	cr_assert_eq(get(9, SLOT), MONITOR_PML4E);

	cpl3_mm_begin(&mm);
	REFUSED(cpl3_mm_update(&mm, GPA(9, SLOT), 0), PVHV_EPERM);
	REFUSED(cpl3_mm_update(&mm, GPA(9, SLOT), MONITOR_PML4E | F_US), PVHV_EPERM);
	REFUSED(cpl3_mm_update(&mm, GPA(9, SLOT), E(5, F_P)), PVHV_EPERM);
	/* a rewrite of the value there: a success that changes nothing */
	snap_take(&before);
	OK(cpl3_mm_update(&mm, GPA(9, SLOT), MONITOR_PML4E));
	cr_assert(snap_same(&before));

	/* slot 510 of lower levels is ordinary */
	pin_empty(10, 1);
	OK(cpl3_mm_update(&mm, GPA(10, SLOT), E(5, F_P | F_RW)));
	cr_assert_eq(mm.frames[5].wmaps, 1);
	clear(11);
	set(11, SLOT, E(10, F_P));
	OK(cpl3_mm_pin(&mm, 11, 2));
	cr_assert_eq(mm.frames[10].links, 1);
}

/* ---- unpin --------------------------------------------------------------- */
Test(cpl3_mm, unpin_refusals)
{
	REFUSED(cpl3_mm_unpin(&mm, 4), PVHV_EINVAL);
	REFUSED(cpl3_mm_unpin(&mm, NF), PVHV_EFAULT);
	REFUSED(cpl3_mm_unpin(&mm, 1ull << 52), PVHV_EFAULT);
	REFUSED(cpl3_mm_unpin(&mm, ~0ull), PVHV_EFAULT);
	REFUSED(cpl3_mm_unpin(&mm, RESV_FIRST), PVHV_EINVAL);  /* never pinned */
	pin_empty(4, 3);
	clear(5);
	set(5, 100, E(4, F_P));
	OK(cpl3_mm_pin(&mm, 5, 4));
	REFUSED(cpl3_mm_unpin(&mm, 4), PVHV_EBUSY);          /* linked */
	OK(cpl3_mm_new_baseptr(&mm, 5));
	REFUSED(cpl3_mm_unpin(&mm, 5), PVHV_EBUSY);          /* cr3 */
}

/* ---- update ------------------------------------------------------------- */
Test(cpl3_mm, update_addresses)
{
	pin_empty(9, 1);
	clear(10);
	REFUSED(cpl3_mm_update(&mm, GPA(9, 0) + 1, 0), PVHV_EINVAL);
	REFUSED(cpl3_mm_update(&mm, GPA(9, 0) + 4, 0), PVHV_EINVAL);
	REFUSED(cpl3_mm_update(&mm, GPA(9, 512) - 1, 0), PVHV_EINVAL);
	REFUSED(cpl3_mm_update(&mm, GPA(10, 0), 0), PVHV_EINVAL);    /* not pinned */
	REFUSED(cpl3_mm_update(&mm, MEM, 0), PVHV_EFAULT);
	REFUSED(cpl3_mm_update(&mm, MEM - 8, 0), PVHV_EINVAL);      /* RAM, not a table */
	REFUSED(cpl3_mm_update(&mm, ~0ull - 7, 0), PVHV_EFAULT);
	REFUSED(cpl3_mm_update(&mm, ~0ull, 0), PVHV_EINVAL);
	REFUSED(cpl3_mm_update(&mm, 1ull << 52, 0), PVHV_EFAULT);
	REFUSED(cpl3_mm_update(&mm, GPA(9, 0) + (1ull << 52), 0), PVHV_EFAULT);
	REFUSED(cpl3_mm_update(&mm, GPA(RESV_FIRST, 0), 0), PVHV_EINVAL);
	OK(cpl3_mm_update(&mm, GPA(9, 511), E(1, F_P)));
	cr_assert_eq(get(9, 511), E(1, F_P));
}

Test(cpl3_mm, update_moves_counts)
{
	pin_empty(9, 1);
	cpl3_mm_begin(&mm);
	OK(cpl3_mm_update(&mm, GPA(9, 3), E(5, F_P | F_RW)));
	expect_counts(5, 0, 0, 1);
	cr_assert(mm.flush);
	cr_assert_eq(mm.nr_writes, 1);
	cr_assert_eq(wbuf[0].gpa, 0x9018ull);
	cr_assert_eq(wbuf[0].val, 0x5003ull);
	cr_assert_eq(get(9, 3), 0x5003ull, "written to memory at once");
	OK(cpl3_mm_update(&mm, GPA(9, 3), E(5, F_P | F_RW | F_US)));   /* same target */
	expect_counts(5, 0, 0, 1);
	OK(cpl3_mm_update(&mm, GPA(9, 3), E(5, F_P)));                 /* read-only */
	expect_counts(5, 0, 0, 0);
	OK(cpl3_mm_update(&mm, GPA(9, 3), E(6, F_P | F_RW)));          /* retarget */
	expect_counts(5, 0, 0, 0);
	expect_counts(6, 0, 0, 1);
	OK(cpl3_mm_update(&mm, GPA(9, 3), E(6, F_RW)));                /* not present */
	expect_counts(6, 0, 0, 0);
	cr_assert_eq(mm.nr_writes, 5);
	cr_assert_eq(wbuf[4].val, 0x6002ull);

	/* at level 2: links move */
	pin_empty(11, 1);
	clear(12);
	OK(cpl3_mm_pin(&mm, 12, 2));
	OK(cpl3_mm_update(&mm, GPA(12, 7), E(9, F_P)));
	expect_counts(9, 1, 1, 0);
	OK(cpl3_mm_update(&mm, GPA(12, 7), E(11, F_P | F_RW)));
	expect_counts(9, 1, 0, 0);
	expect_counts(11, 1, 1, 0);
	OK(cpl3_mm_unpin(&mm, 9));
}

/* ---- new_baseptr --------------------------------------------------------- */
Test(cpl3_mm, new_baseptr)
{
	clear(5);
	REFUSED(cpl3_mm_new_baseptr(&mm, 5), PVHV_EINVAL);
	OK(cpl3_mm_pin(&mm, 5, 3));
	REFUSED(cpl3_mm_new_baseptr(&mm, 5), PVHV_EINVAL);
	REFUSED(cpl3_mm_new_baseptr(&mm, NF), PVHV_EFAULT);
	REFUSED(cpl3_mm_new_baseptr(&mm, ~0ull), PVHV_EFAULT);
	REFUSED(cpl3_mm_new_baseptr(&mm, RESV_FIRST), PVHV_EINVAL);
	pin_empty(6, 4);
	cpl3_mm_begin(&mm);
	OK(cpl3_mm_new_baseptr(&mm, 6));
	cr_assert_eq(mm.cr3, 6);
	cr_assert_eq(mm.nr_writes, 0);
}

/* ---- the write list ------------------------------------------------------ */
Test(cpl3_mm, write_list_full)
{
	pin_empty(9, 1);
	clear(10);
	pin_empty(11, 4);
	clear(12);
	cpl3_mm_begin(&mm);
	for (unsigned i = 0; i < WMAX; i++)
		OK(cpl3_mm_update(&mm, GPA(9, i), E(5, F_P | F_RW)));
	cr_assert_eq(mm.nr_writes, WMAX);
	cr_assert_eq(mm.frames[5].wmaps, WMAX);
	REFUSED(cpl3_mm_update(&mm, GPA(9, 100), E(5, F_P)), PVHV_E2BIG);
	REFUSED(cpl3_mm_pin(&mm, 12, 4), PVHV_E2BIG);
	REFUSED(cpl3_mm_unpin(&mm, 11), PVHV_E2BIG);
	/* what writes nothing still goes */
	OK(cpl3_mm_pin(&mm, 10, 1));
	OK(cpl3_mm_unpin(&mm, 10));
	OK(cpl3_mm_update(&mm, GPA(11, SLOT), MONITOR_PML4E));
	OK(cpl3_mm_new_baseptr(&mm, 11));
	/* a refusal for another reason still says why */
	REFUSED(cpl3_mm_pin(&mm, 12, 7), PVHV_EINVAL);
	cpl3_mm_begin(&mm);
	cr_assert_eq(mm.nr_writes, 0);
	OK(cpl3_mm_pin(&mm, 12, 4));
	cr_assert_eq(mm.nr_writes, 1);
}

Test(cpl3_mm, no_write_list)
{
	struct cpl3_mm m0;

	cr_assert_eq(cpl3_mm_init(&m0, &gm, RESV_FIRST, RESV_END, MONITOR_PML4E, NULL, 0), 0);
	clear(9);
	cr_assert_eq(cpl3_mm_pin(&m0, 9, 1), 0);
	cr_assert_eq(cpl3_mm_update(&m0, GPA(9, 0), 0), -PVHV_E2BIG);
	cr_assert_eq(cpl3_mm_pin(&m0, 10, 4), -PVHV_E2BIG);
	cpl3_mm_free(&m0);
}

/* ---- counters at their limit ------------------------------------------- */
Test(cpl3_mm, counters_never_wrap)
{
	mm.frames[5].wmaps = UINT32_MAX - 1;
	clear(9);
	set(9, 0, E(5, F_P | F_RW));
	set(9, 1, E(6, F_P | F_RW));
	set(9, 300, E(5, F_P | F_RW));
	REFUSED(cpl3_mm_pin(&mm, 9, 1), PVHV_EBUSY);       /* the second would wrap */
	cr_assert_eq(mm.frames[6].wmaps, 0, "rolled back");
	set(9, 300, E(5, F_P));
	OK(cpl3_mm_pin(&mm, 9, 1));
	cr_assert_eq(mm.frames[5].wmaps, UINT32_MAX);
	REFUSED(cpl3_mm_update(&mm, GPA(9, 2), E(5, F_P | F_RW)), PVHV_EBUSY);
	OK(cpl3_mm_update(&mm, GPA(9, 0), E(5, F_P | F_RW | F_US))); /* the same map */
	cr_assert_eq(mm.frames[5].wmaps, UINT32_MAX);

	pin_empty(10, 1);
	mm.frames[10].links = UINT32_MAX;
	clear(11);
	set(11, 0, E(10, F_P));
	REFUSED(cpl3_mm_pin(&mm, 11, 2), PVHV_EBUSY);
	mm.frames[10].links = 0;
	OK(cpl3_mm_pin(&mm, 11, 2));
	mm.frames[10].links = UINT32_MAX;
	REFUSED(cpl3_mm_update(&mm, GPA(11, 1), E(10, F_P)), PVHV_EBUSY);
}

/* ---- RAM that ends inside a page ------------------------------------------ */
Test(cpl3_mm, partial_last_page)
{
	struct guest_mem g2 = { .host = calloc(1, 2 * PG + 64), .size = 2 * PG + 64 };
	struct cpl3_mm m2;

	cr_assert_eq(cpl3_mm_init(&m2, &g2, 2, 2, MONITOR_PML4E, wbuf, WMAX), 0);
	cr_assert_eq(m2.nr_frames, 2);
	cr_assert_eq(cpl3_mm_pin(&m2, 2, 1), -PVHV_EFAULT);
	cr_assert_eq(cpl3_mm_update(&m2, 2 * PG, 0), -PVHV_EFAULT);
	cr_assert_eq(cpl3_mm_pin(&m2, 1, 1), 0);
	cr_assert_eq(cpl3_mm_update(&m2, PG + 8, E(2, F_P)), -PVHV_EFAULT);
	cr_assert_eq(cpl3_mm_update(&m2, PG + 8, E(0, F_P | F_RW)), 0);
	cpl3_mm_free(&m2);
	free(g2.host);
}

/* ---- what pvhv itself may write ----------------------------------------- */
Test(cpl3_mm, may_write)
{
	pin_empty(9, 1);
	cr_assert(cpl3_mm_may_write(&mm, 0, 9 * PG));            /* frames 0..8 */
	cr_assert(!cpl3_mm_may_write(&mm, 0, 9 * PG + 1));       /* one byte of 9 */
	cr_assert(!cpl3_mm_may_write(&mm, 9 * PG + 100, 8));
	cr_assert(!cpl3_mm_may_write(&mm, 8 * PG + 4095, 2));
	cr_assert(cpl3_mm_may_write(&mm, 10 * PG, PG));
	cr_assert(cpl3_mm_may_write(&mm, 9 * PG, 0));            /* nothing written */
	cr_assert(!cpl3_mm_may_write(&mm, RESV_FIRST * PG - 8, 16)); /* into pvhv's */
	cr_assert(!cpl3_mm_may_write(&mm, (NF - 1) * PG, 8));
	cr_assert(cpl3_mm_may_write(&mm, RESV_FIRST * PG - 8, 8));
	cr_assert(!cpl3_mm_may_write(&mm, MEM, 1));
	cr_assert(!cpl3_mm_may_write(&mm, ~0ull - 7, 16));
	cr_assert(!cpl3_mm_may_write(&mm, 0, ~0ull));
	OK(cpl3_mm_unpin(&mm, 9));
	cr_assert(cpl3_mm_may_write(&mm, 9 * PG + 100, 8));
}

/* ---- a random walk, checked at every step --------------------------------- */
static uint64_t rng;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint64_t rnd_below(uint64_t n)
{
	return rnd() % n;
}

/* A frame: mostly a small one, sometimes out of RAM or pvhv's. */
static uint64_t rnd_frame(void)
{
	switch (rnd_below(16)) {
	case 0: return NF + rnd_below(4);
	case 1: return rnd();
	default: return rnd_below(NF);
	}
}

/* Mostly a frame of `level` (0: not pinned) if there is one, found from
 * a random start; else a random one. */
static uint64_t rnd_frame_at(int level)
{
	uint64_t start = rnd_below(NF);

	if (!rnd_below(8))
		return rnd_frame();
	for (uint64_t i = 0; i < NF; i++) {
		uint64_t f = (start + i) % NF;

		if (mm.frames[f].level == level)
			return f;
	}
	return rnd_frame();
}

static uint64_t rnd_entry(int level)
{
	static const uint64_t odd[] = { F_PS, F_G, 1ull << 52, 1ull << 60, F_NX, F_AVL, 0x60 };
	uint64_t v;

	switch (rnd_below(16)) {
	case 0: return 0;
	case 1: return rnd();
	case 2: return MONITOR_PML4E;
	default: break;
	}
	v = E(rnd_below(4) ? rnd_frame_at(level - 1) : rnd_frame(), F_P) & ~0xfff0000000000000ull;
	if (rnd_below(2))
		v |= F_RW;
	if (rnd_below(2))
		v |= F_US;
	if (!rnd_below(6))
		v |= odd[rnd_below(sizeof(odd) / sizeof(odd[0]))];
	if (!rnd_below(10))
		v &= ~F_P;
	return v;
}

/* The counts recomputed from the memory of the pinned tables, checking
 * on the way every entry against the rules (independently of cpl3_mm.c). */
static void check_consistent(void)
{
	static struct cpl3_frame want[NF];

	memset(want, 0, sizeof(want));
	for (unsigned f = 0; f < NF; f++) {
		int level = mm.frames[f].level;

		cr_assert(level <= 4);
		if (!level)
			continue;
		cr_assert(f < RESV_FIRST, "pvhv's frame %u pinned", f);
		for (unsigned i = 0; i < 512; i++) {
			uint64_t v = get(f, i), t = (v >> 12) & 0xffffffffffull;

			if (level == 4 && i == SLOT) {
				cr_assert_eq(v, MONITOR_PML4E, "monitor slot of %u", f);
				continue;
			}
			if (!(v & F_P))
				continue;
			cr_assert(!(v & (F_G | 0x7ff0000000000000ull)), "bad bits %#lx", (unsigned long)v);
			cr_assert(t < RESV_FIRST, "frame %u slot %u maps %lu", f, i, (unsigned long)t);
			if (level == 1) {
				if (v & F_RW)
					want[t].wmaps++;
				continue;
			}
			cr_assert(!(v & F_PS));
			cr_assert_eq(mm.frames[t].level, level - 1, "frame %u links %lu", f, (unsigned long)t);
			want[t].links++;
		}
	}
	for (unsigned f = 0; f < NF; f++) {
		cr_assert_eq(mm.frames[f].links, want[f].links, "links of %u", f);
		cr_assert_eq(mm.frames[f].wmaps, want[f].wmaps, "wmaps of %u", f);
		cr_assert(!(mm.frames[f].level && want[f].wmaps), "pinned frame %u writable", f);
	}
	cr_assert(mm.cr3 == 0 || mm.frames[mm.cr3].level == 4);
}

enum { OP_SCRIBBLE, OP_PIN, OP_UNPIN, OP_UPDATE, OP_BASEPTR, OP_BEGIN, OP_NR };

struct walk_stats {
	unsigned ok[OP_NR], err[PVHV_ENOSYS + 1], pinned[5];
};

/* The guest fills an unpinned frame: zeroes it, then a few entries. */
static void scribble(void)
{
	uint64_t f = rnd_below(NF);

	if (mm.frames[f].level)
		return;
	if (rnd_below(2))
		clear(f);
	for (unsigned n = rnd_below(4); n; n--)
		set(f, rnd_below(512), rnd_entry(1 + rnd_below(4)));
}

static uint64_t rnd_gpa(void)
{
	switch (rnd_below(16)) {
	case 0: return rnd();
	case 1: return rnd_frame() * PG + rnd_below(PG);
	default: return rnd_frame_at(1 + rnd_below(4)) * PG + rnd_below(512) * 8;
	}
}

static int walk_step(struct walk_stats *ws)
{
	int op = (int)rnd_below(OP_NR), r = 0, level = 1 + (int)rnd_below(4);
	uint64_t f, gpa = 0, val = 0;

	switch (op) {
	case OP_SCRIBBLE:
		scribble();
		return 0;
	case OP_BEGIN:
		if (!rnd_below(12))             /* rare: the list fills up at times */
			cpl3_mm_begin(&mm);
		return 0;
	case OP_PIN:
		f = rnd_frame();
		if (!rnd_below(32))
			level = (int)rnd_below(8) - 2;
		if (f < NF && !mm.frames[f].level && rnd_below(2)) {
			clear(f);             /* a fresh table with a few entries */
			for (unsigned n = rnd_below(6); n; n--)
				set(f, rnd_below(512), rnd_entry(level));
		}
		snap_take(&before);
		r = cpl3_mm_pin(&mm, f, level);
		if (!r)
			ws->pinned[level]++;
		cr_assert(r || mm.flush);
		break;
	case OP_UNPIN:
		snap_take(&before);
		r = cpl3_mm_unpin(&mm, rnd_frame_at(1 + (int)rnd_below(4)));
		cr_assert(r || mm.flush);
		break;
	case OP_UPDATE:
		gpa = rnd_gpa();
		f = gpa / PG;
		val = rnd_entry(f < NF && mm.frames[f].level ? mm.frames[f].level : 1);
		snap_take(&before);
		r = cpl3_mm_update(&mm, gpa, val);
		if (!r && val != MONITOR_PML4E) {
			cr_assert_eq(get(f, (gpa % PG) / 8), val);
			cr_assert_eq(wbuf[mm.nr_writes - 1].gpa, gpa);
			cr_assert_eq(wbuf[mm.nr_writes - 1].val, val);
			cr_assert(mm.flush);
		}
		break;
	case OP_BASEPTR:
		f = rnd_frame_at(4);
		snap_take(&before);
		r = cpl3_mm_new_baseptr(&mm, f);
		cr_assert(r || mm.cr3 == f);
		break;
	}
	/* a refusal changes nothing: memory, counts, write list, cr3, flush */
	cr_assert(!r || snap_same(&before), "a refusal (%d) changed something", r);
	if (r)
		ws->err[-r]++;
	else
		ws->ok[op]++;
	return r;
}

static void walk(uint64_t seed, unsigned steps)
{
	struct walk_stats ws;

	memset(&ws, 0, sizeof(ws));
	rng = seed;
	for (unsigned s = 0; s < steps; s++) {
		walk_step(&ws);
		check_consistent();
	}
	if (getenv("CPL3_MM_WALK_STATS"))
		fprintf(stderr, "seed %lx: ok scribble %u pin %u unpin %u update %u baseptr %u; "
			"pinned %u %u %u %u; EINVAL %u EFAULT %u EPERM %u EBUSY %u E2BIG %u\n",
			(unsigned long)seed, ws.ok[0], ws.ok[1], ws.ok[2], ws.ok[3], ws.ok[4],
			ws.pinned[1], ws.pinned[2], ws.pinned[3], ws.pinned[4],
			ws.err[PVHV_EINVAL], ws.err[PVHV_EFAULT], ws.err[PVHV_EPERM],
			ws.err[PVHV_EBUSY], ws.err[PVHV_E2BIG]);
	/* the walk reached every corner */
	cr_assert_gt(ws.ok[OP_UPDATE], steps / 100);
	cr_assert_gt(ws.ok[OP_UNPIN], steps / 200);
	cr_assert_gt(ws.ok[OP_BASEPTR], 0);
	for (int l = 1; l <= 4; l++)
		cr_assert_gt(ws.pinned[l], 0, "seed %lu: nothing pinned at %d", (unsigned long)seed, l);
	static const int errs[] = { PVHV_EINVAL, PVHV_EFAULT, PVHV_EPERM, PVHV_EBUSY, PVHV_E2BIG };
	for (unsigned i = 0; i < sizeof(errs) / sizeof(errs[0]); i++)
		cr_assert_gt(ws.err[errs[i]], 0, "seed %lu: never %d", (unsigned long)seed, errs[i]);
}

Test(cpl3_mm, random_walk)
{
	static const uint64_t seeds[] = { 0x9e3779b97f4a7c15ull, 1, 0xdeadbeefcafef00dull };

	for (unsigned i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		cpl3_mm_free(&mm);
		memset(gm.host, 0, MEM);
		cr_assert_eq(cpl3_mm_init(&mm, &gm, RESV_FIRST, RESV_END, MONITOR_PML4E, wbuf, WMAX), 0);
		walk(seeds[i], 5000);
	}
}
