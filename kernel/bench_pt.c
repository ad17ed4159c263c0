/*
 * bench_pt.c - bench=pt: a page-table workload. PT_PAGES pages mapped at
 * an unused kernel range (BENCH_PT_BASE) through map_page, each touched,
 * then each unmapped through unmap_page: every PTE change goes through
 * set_pte and every flush through flush_tlb_one_user, the ops a
 * deprivileged platform has to validate (a hypercall each, unless
 * batched).
 *
 * Two ways, alternated over PT_PASSES passes each, after one pass (page
 * by page) that builds the range's page tables (they stay):
 *   each  every change on its own;
 *   lazy  the maps, then the unmaps, inside lazy_mmu_enter/leave: nothing
 *         natively, a multicall batch where the platform batches. The
 *         pages are touched outside lazy mode, where the changes are
 *         known to have landed.
 * bench=pt-each and bench=pt-lazy run one way only, bench=pt-setup
 * neither (the first pass alone): the host counts a whole boot's exits,
 * so a pt-each boot's less a pt-setup boot's are that way's, without the
 * frames' allocation (whose first touch can exit: the host populating
 * guest RAM).
 * Time per page (a map, a touch, an unmap) by sched_clock and the TSC;
 * the exits are counted by the host (bench/deprivileged/run.sh): there
 * is no generic op to read them. A pass checks that each touch landed in
 * its own frame, through the direct map.
 */
#include <bench.h>
#include <mm.h>
#include <paging.h>
#include <paravirt.h>
#include <printk.h>
#include <trap.h>
#include <asm/layout.h>
#include <asm/x86_bits.h>

#define PT_PAGES  4096
#define PT_PASSES 3
/* writable data; not global: a deprivileged platform refuses G */
#define PT_FLAGS  (PTE_PRESENT | PTE_WRITE | PTE_NX)
#define PT_MARK   0x5054000000000000ull   /* "PT": a touch's value is this | i */

_Static_assert((u64)PT_PAGES * PAGE_SIZE <= BENCH_PT_SIZE, "bench=pt's window is too small");

static phys_addr_t pt_frames[PT_PAGES];

static u64 pt_va(u32 i)
{
	return BENCH_PT_BASE + (u64)i * PAGE_SIZE;
}

/* Map every page; the number that failed. */
static u32 pt_map_all(void)
{
	u32 bad = 0;

	for (u32 i = 0; i < PT_PAGES; i++)
		bad += map_page(kernel_pml4, pt_va(i), pt_frames[i], PT_FLAGS) != 0;
	return bad;
}

static void pt_touch_all(void)
{
	for (u32 i = 0; i < PT_PAGES; i++)
		*(volatile u64 *)pt_va(i) = PT_MARK | i;
}

/* Unmap every page; the number that did not give back its frame. */
static u32 pt_unmap_all(void)
{
	u32 bad = 0;

	for (u32 i = 0; i < PT_PAGES; i++)
		bad += unmap_page(kernel_pml4, pt_va(i)) != pt_frames[i];
	return bad;
}

/* The touches, read back through the direct map (and cleared for the
 * next pass); the number that are not there. */
static u32 pt_check_touches(void)
{
	u32 bad = 0;

	for (u32 i = 0; i < PT_PAGES; i++) {
		u64 *p = __va(pt_frames[i]);

		bad += *p != (PT_MARK | i);
		*p = 0;
	}
	return bad;
}

/* One pass, lazy or not: its ns and cycles in *ns, *cyc; the number of
 * pages that went wrong. */
static u32 pt_pass(bool lazy, u64 *ns, u64 *cyc)
{
	u64 t0 = sched_clock(), c0 = cycles_ordered();
	u32 bad;

	if (lazy)
		lazy_mmu_enter();
	bad = pt_map_all();
	if (lazy)
		lazy_mmu_leave();
	pt_touch_all();
	if (lazy)
		lazy_mmu_enter();
	bad += pt_unmap_all();
	if (lazy)
		lazy_mmu_leave();
	*cyc = cycles_ordered() - c0;
	*ns = sched_clock() - t0;
	return bad + pt_check_touches();
}

static bool pt_frames_get(void)
{
	for (u32 i = 0; i < PT_PAGES; i++)
		if (!(pt_frames[i] = try_alloc_page())) {
			printk("bench: pt: out of memory after %u of %d pages\n", i, PT_PAGES);
			return false;
		}
	return true;
}

static void pt_frames_put(void)
{
	for (u32 i = 0; i < PT_PAGES; i++) {
		if (pt_frames[i])
			free_page(pt_frames[i]);
		pt_frames[i] = 0;
	}
}

/* The smallest of n values: a pass with the fewest interruptions. */
static u64 min_u64(const u64 *v, int n)
{
	u64 m = v[0];

	for (int i = 1; i < n; i++)
		m = v[i] < m ? v[i] : m;
	return m;
}

/* The ways a pass can go: bits of pt_run's `ways`. */
#define PT_EACH 1u
#define PT_LAZY 2u
#define PT_WAYS 2

static const char *const pt_way_name[PT_WAYS] = { "each", "lazy" };

/* The pass that builds the range's page tables (they stay; page by page
 * whatever `ways`, so that it costs the same in every variant), then
 * PT_PASSES of each way in `ways`, alternated; one summary line. */
static void pt_run(unsigned ways)
{
	u64 ns[PT_WAYS][PT_PASSES], cyc[PT_WAYS][PT_PASSES], n, c;
	char line[160] = "";
	int len = 0;
	u32 bad;

	if (!pt_frames_get()) {
		pt_frames_put();
		printk("bench: pt: not run\n");
		return;
	}
	bad = pt_pass(false, &n, &c);
	for (int p = 0; p < PT_PASSES; p++)
		for (int w = 0; w < PT_WAYS; w++) {
			if (!(ways & 1u << w))
				continue;
			bad += pt_pass(w == 1, &ns[w][p], &cyc[w][p]);
			printk("# bench: pt: pass %d %s: %llu ns, %llu cycles per page\n", p + 1,
			       pt_way_name[w], (unsigned long long)(ns[w][p] / PT_PAGES),
			       (unsigned long long)(cyc[w][p] / PT_PAGES));
		}
	pt_frames_put();
	for (int w = 0; w < PT_WAYS; w++)
		if (ways & 1u << w)
			len += snprintf(line + len, sizeof(line) - len,
					"%s %llu ns, %llu cycles per page; ", pt_way_name[w],
					(unsigned long long)(min_u64(ns[w], PT_PASSES) / PT_PAGES),
					(unsigned long long)(min_u64(cyc[w], PT_PASSES) / PT_PAGES));
	if (!ways)
		printk("bench: pt: setup: %d frames and the range's tables, one pass untimed; "
		       "%u wrong\n", PT_PAGES, bad);
	else
		printk("bench: pt: %d pages mapped, touched, unmapped (best of %d passes): "
		       "%s%u wrong\n", PT_PAGES, PT_PASSES, line, bad);
}

void bench_pt(void)
{
	pt_run(PT_EACH | PT_LAZY);
}

void bench_pt_each(void)
{
	pt_run(PT_EACH);
}

void bench_pt_lazy(void)
{
	pt_run(PT_LAZY);
}

void bench_pt_setup(void)
{
	pt_run(0);
}
