/*
 * t_pvhv_cpl3_hc.c - pvhv's deprivileged mode before and while the kernel
 * runs (vmm/cpl3_boot.c, vmm/cpl3_hc.c, the doorbell's part): the layout
 * and initial page tables entry by entry against hand-computed values,
 * and hypercalls 9..16 with hostile arguments through hc_dispatch(), as
 * the doorbell runs them. Guest memory is an exact-size heap block (ASan
 * sees any stray access). Built into build/tests/pvhv-unit (vmm/vmm.mk).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cpl3.h"
#include "cpl3_region.h"

/* 16 MiB: monitor region at 0xff0000, 3 + 8 table frames below it. */
#define MEM         (16u << 20)
#define VBASE       0xffffff8000000000ull
#define REGION      0xff0000ull
#define PT_BASE     0xfe5000ull             /* 0xff0000 - 11 pages */
#define PML4        0xfe5000ull
#define PDPT        0xfe6000ull
#define PD          0xfe7000ull
#define PT0         0xfe8000ull
#define TEXT_START  0x100000ull             /* the PF_X segment: 3 pages */
#define TEXT_END    0x103000ull
#define PG          4096ull

/* Entry encodings, literal (SDM 3A 4.5): P 1, RW 2, US 4, NX bit 63. */
#define E_TABLE     0x7ull
#define E_DATA      0x8000000000000007ull
#define E_RO        0x8000000000000005ull
#define E_TEXT      0x7ull

static struct guest_mem gm;
static struct kernel_image ki;
static struct cpl3_layout lay;
static struct cpl3_vm cm;
static uint64_t mon_pml4e;

static struct rec {
	int msr_calls;
	bool msr_write;
	uint32_t msr_index;
	uint64_t msr_val;
	int timers;
	struct cpl3_timer timer;
	int fatals;
	char fatal[256];
} rec;

static int r_msr(void *c, uint32_t vcpu, bool write, uint32_t index, uint64_t *val)
{
	(void)c, (void)vcpu;
	rec.msr_calls++, rec.msr_write = write, rec.msr_index = index;
	if (write)
		rec.msr_val = *val;
	else
		*val = 0xd00d0000u + index;
	return 0;
}

static int r_timer(void *c, uint32_t vcpu, const struct cpl3_timer *t)
{
	(void)c, (void)vcpu;
	rec.timers++, rec.timer = *t;
	return 0;
}

static void r_fatal(void *c, uint32_t vcpu, const char *what)
{
	(void)c, (void)vcpu;
	rec.fatals++;
	snprintf(rec.fatal, sizeof(rec.fatal), "%s", what);
}

static struct hc_env env = {
	.mem = &gm, .nr_vcpus = 1, .msr = r_msr, .lapic_timer = r_timer, .fatal = r_fatal,
};

static uint64_t q(uint64_t gpa)
{
	uint64_t v;

	memcpy(&v, gm.host + gpa, sizeof(v));
	return v;
}

static void put(uint64_t gpa, uint64_t v)
{
	memcpy(gm.host + gpa, &v, sizeof(v));
}

static uint64_t mon(uint64_t off)
{
	return q(REGION + off);
}

/* The guest's own PTE of frame pfn in the initial map. */
static uint64_t pte_gpa(uint64_t pfn)
{
	return PT0 + pfn * 8;
}

static void setup(void)
{
	const char *why;

	gm.size = MEM;
	gm.host = calloc(1, MEM);
	cr_assert(gm.host);
	memset(&rec, 0, sizeof(rec));
	memset(&ki, 0, sizeof(ki));
	ki.has_cpl3 = true;
	ki.cpl3 = (struct pvhv_cpl3_note){ .entry = VBASE + TEXT_START, .virt_base = VBASE };
	ki.lowest = TEXT_START;
	ki.highest = 0x200000;
	ki.nr_exec = 1;
	ki.exec[0].start = TEXT_START;
	ki.exec[0].end = TEXT_END;
	cr_assert_eq(cpl3_layout_for(MEM, &ki, &lay, &why), 0, "%s", why);
	mon_pml4e = cpl3_region_build(&gm, lay.region_gpa, lay.ram, &why);
	cr_assert_neq(mon_pml4e, 0, "%s", why);
	cr_assert_eq(cpl3_init(&cm, &gm, &lay, mon_pml4e), 0);
	cr_assert_eq(cpl3_build_tables(&gm, &lay, &ki), 0);
	cr_assert_eq(cpl3_pin_tables(&cm.mm, &lay, &why), 0, "%s", why);
	env.cpl3 = &cm;
}

static void teardown(void)
{
	cpl3_free(&cm);
	free(gm.host);
}

TestSuite(pvhv_cpl3, .init = setup, .fini = teardown);

static int64_t call(uint64_t op, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
	uint64_t a[PVHV_HC_ARGS] = { a0, a1, a2, a3 };

	return hc_dispatch(&env, 0, op, a, NULL);
}

/* ---- layout and initial tables ------------------------------------------ */

Test(pvhv_cpl3, layout_by_hand)
{
	cr_assert_eq(lay.region_gpa, REGION);
	cr_assert_eq(lay.nr_pts, 8);
	cr_assert_eq(lay.nr_pt_frames, 11);
	cr_assert_eq(lay.pt_base, PT_BASE);
	struct pvhv_range r[CPL3_TOP_RESERVED];
	cpl3_top_reserved(&lay, r);
	cr_assert_eq(r[0].base, PT_BASE);
	cr_assert_eq(r[0].len, 0xb000);
	cr_assert_eq(r[1].base, REGION);
	cr_assert_eq(r[1].len, 0x10000);
}

Test(pvhv_cpl3, layout_refusals)
{
	struct cpl3_layout l;
	struct kernel_image k = ki;
	const char *why;

	cr_assert_eq(cpl3_layout_for(1025ull << 20, &ki, &l, &why), -EINVAL);
	cr_assert(strstr(why, "at most 1024 MiB"), "%s", why);
	cr_assert_eq(cpl3_layout_for(MEM + 0x1000, &ki, &l, &why), -EINVAL);
	k.highest = PT_BASE + 1;                 /* the kernel reaches the tables */
	cr_assert_eq(cpl3_layout_for(MEM, &k, &l, &why), -ENOMEM);
	cr_assert(strstr(why, "--mem 17 would hold both"), "%s", why);
	k.highest = PT_BASE;
	cr_assert_eq(cpl3_layout_for(MEM, &k, &l, &why), 0, "%s", why);
	k.has_cpl3 = false;
	cr_assert_eq(cpl3_layout_for(MEM, &k, &l, &why), -EINVAL);
	/* 1024 MiB: one full PD */
	k = ki;
	cr_assert_eq(cpl3_layout_for(1024ull << 20, &k, &l, &why), 0, "%s", why);
	cr_assert_eq(l.nr_pts, 512);
	cr_assert_eq(l.pt_base, (1024ull << 20) - 0x10000 - 515 * PG);
}

Test(pvhv_cpl3, initial_tables_entry_by_entry)
{
	cr_assert_eq(q(PML4 + 511 * 8), PDPT | E_TABLE);
	cr_assert_eq(q(PML4 + 510 * 8), mon_pml4e, "the pin put the monitor in");
	for (int i = 0; i < 510; i++)
		cr_assert_eq(q(PML4 + i * 8), 0, "PML4 slot %d", i);
	cr_assert_eq(q(PDPT), PD | E_TABLE);     /* VBASE is PDPT slot 0 */
	for (int i = 1; i < 512; i++)
		cr_assert_eq(q(PDPT + i * 8), 0);
	for (int i = 0; i < 8; i++)
		cr_assert_eq(q(PD + i * 8), (PT0 + i * PG) | E_TABLE, "PD %d", i);
	cr_assert_eq(q(PD + 8 * 8), 0);
	cr_assert_eq(q(pte_gpa(0)), 0x0 | E_DATA);
	cr_assert_eq(q(pte_gpa(0xff)), 0xff000 | E_DATA);
	cr_assert_eq(q(pte_gpa(0x100)), 0x100000 | E_TEXT);
	cr_assert_eq(q(pte_gpa(0x102)), 0x102000 | E_TEXT);
	cr_assert_eq(q(pte_gpa(0x103)), 0x103000 | E_DATA);
	cr_assert_eq(q(pte_gpa(0xfe4)), 0xfe4000 | E_DATA);
	for (uint64_t f = 0xfe5; f < 0xff0; f++)
		cr_assert_eq(q(pte_gpa(f)), (f << 12) | E_RO, "table frame %#lx", f);
	for (uint64_t f = 0xff0; f < 0x1000; f++)
		cr_assert_eq(q(pte_gpa(f)), 0, "monitor frame %#lx", f);
	/* no G (bit 8), no PS (bit 7) anywhere */
	for (uint64_t a = PT_BASE; a < REGION; a += 8)
		cr_assert_eq(q(a) & 0x180, 0, "entry at %#lx", a);
}

Test(pvhv_cpl3, initial_tables_pinned_bottom_up)
{
	cr_assert_eq(cm.mm.cr3, PML4 >> 12);
	cr_assert_eq(cm.mm.frames[PML4 >> 12].level, 4);
	cr_assert_eq(cm.mm.frames[PDPT >> 12].level, 3);
	cr_assert_eq(cm.mm.frames[PD >> 12].level, 2);
	for (uint64_t f = PT0 >> 12; f < REGION >> 12; f++)
		cr_assert_eq(cm.mm.frames[f].level, 1);
	cr_assert_eq(cm.mm.frames[0x200].level, 0);
}

Test(pvhv_cpl3, start_record)
{
	struct pvhv_cpl3_start s;

	cr_assert_eq(cpl3_write_start(&gm, &lay, 0x6000), 0);
	memcpy(&s, gm.host + 0x7000, sizeof(s));
	cr_assert_eq(s.magic, 0x33535650u);
	cr_assert_eq(s.version, 1);
	cr_assert_eq(s.hvm_start_info, 0x6000);
	cr_assert_eq(s.virt_base, VBASE);
	cr_assert_eq(s.pt_base, PT_BASE);
	cr_assert_eq(s.nr_pt_frames, 11);
	cr_assert_eq(s.reserved_base, REGION);
	cr_assert_eq(s.reserved_len, 0x10000);
}

/* ---- hypercalls --------------------------------------------------------- */

Test(pvhv_cpl3, mode_calls_are_enosys_elsewhere)
{
	env.cpl3 = NULL;
	for (uint64_t op = 9; op <= 16; op++)
		cr_assert_eq(call(op, 0, 0, 0, 0), -PVHV_ENOSYS, "op %lu", op);
	env.cpl3 = &cm;
	cr_assert_eq(call(17, 0, 0, 0, 0), -PVHV_ENOSYS);
}

Test(pvhv_cpl3, mmu_update_is_handed_to_the_monitor)
{
	uint64_t gpa = pte_gpa(0x300), val = 0x300000 | E_RO;

	cr_assert_eq(call(PVHV_HC_MMU_UPDATE, gpa, val, 0, 0), 0);
	cr_assert_eq(q(gpa), val);
	cr_assert_eq(mon(MON_DATA + MOND_NR_WRITES), 1);
	cr_assert_eq(mon(MON_WRITES), gpa);
	cr_assert_eq(mon(MON_WRITES + 8), val);
	cr_assert_eq(mon(MON_DATA + MOND_FLAGS), MON_F_FLUSH);
	/* the next call, a NOP, tells the monitor there is nothing to do */
	cr_assert_eq(call(PVHV_HC_NOP, 0, 0, 0, 0), 0);
	cr_assert_eq(mon(MON_DATA + MOND_NR_WRITES), 0);
	cr_assert_eq(mon(MON_DATA + MOND_FLAGS), 0);
}

Test(pvhv_cpl3, hostile_mmu_updates_change_nothing)
{
	/* a writable map of a table frame, of the monitor, beyond RAM,
	 * a large page, a global page, an entry outside any table */
	const uint64_t bad[][2] = {
		{ pte_gpa(0x300), PD | 0x7 },
		{ pte_gpa(0x300), REGION | 0x7 },
		{ pte_gpa(0x300), (MEM + 0ull) | 0x7 },
		{ PD + 8 * 8, 0x400000 | 0x87 },
		{ pte_gpa(0x300), 0x300000 | 0x107 },
		{ 0x300000, 0x7 },
		{ MEM - 8 + 0x1000, 0x7 },
		{ pte_gpa(0x300) + 1, 0x7 },
		{ PML4 + 510 * 8, 0x7 },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t before = bad[i][0] < MEM ? q(bad[i][0] & ~7ull) : 0;

		cr_assert_lt(call(PVHV_HC_MMU_UPDATE, bad[i][0], bad[i][1], 0, 0), 0, "case %zu", i);
		if (bad[i][0] < MEM)
			cr_assert_eq(q(bad[i][0] & ~7ull), before, "case %zu", i);
		cr_assert_eq(mon(MON_DATA + MOND_NR_WRITES), 0, "case %zu", i);
	}
}

Test(pvhv_cpl3, pin_levels_and_frames)
{
	cr_assert_eq(call(PVHV_HC_PIN, 0x300, 0, 0, 0), -PVHV_EINVAL);
	cr_assert_eq(call(PVHV_HC_PIN, 0x300, 5, 0, 0), -PVHV_EINVAL);
	cr_assert_eq(call(PVHV_HC_PIN, 0x300, UINT64_MAX, 0, 0), -PVHV_EINVAL);
	cr_assert_eq(call(PVHV_HC_PIN, MEM >> 12, 1, 0, 0), -PVHV_EFAULT);
	cr_assert_eq(call(PVHV_HC_PIN, UINT64_MAX, 1, 0, 0), -PVHV_EFAULT);
	cr_assert_eq(call(PVHV_HC_PIN, REGION >> 12, 1, 0, 0), -PVHV_EPERM);
	/* mapped writable by the initial map: refused until mapped read-only */
	cr_assert_eq(call(PVHV_HC_PIN, 0x300, 1, 0, 0), -PVHV_EBUSY);
	cr_assert_eq(call(PVHV_HC_PIN, PD >> 12, 2, 0, 0), -PVHV_EBUSY);
	cr_assert_eq(call(PVHV_HC_UNPIN, PML4 >> 12, 0, 0, 0), -PVHV_EBUSY);  /* live cr3 */
	cr_assert_eq(call(PVHV_HC_UNPIN, 0x300, 0, 0, 0), -PVHV_EINVAL);
}

/* Make frame f read-only in the initial map and pin it as a PML4. */
static void new_top(uint64_t f)
{
	cr_assert_eq(call(PVHV_HC_MMU_UPDATE, pte_gpa(f), (f << 12) | E_RO, 0, 0), 0);
	cr_assert_eq(call(PVHV_HC_PIN, f, 4, 0, 0), 0);
}

Test(pvhv_cpl3, new_baseptr_loads_cr3)
{
	new_top(0x400);
	cr_assert_eq(mon(MON_DATA + MOND_NR_WRITES), 1, "the monitor slot's entry");
	cr_assert_eq(mon(MON_WRITES), 0x400000 + 510 * 8);
	cr_assert_eq(mon(MON_WRITES + 8), mon_pml4e);
	cr_assert_eq(call(PVHV_HC_NEW_BASEPTR, 0x401, 0, 0, 0), -PVHV_EINVAL);
	cr_assert_eq(mon(MON_DATA + MOND_FLAGS) & MON_F_LOAD_CR3, 0);
	cr_assert_eq(call(PVHV_HC_NEW_BASEPTR, 0x400, 0, 0, 0), 0);
	cr_assert_eq(mon(MON_DATA + MOND_FLAGS) & MON_F_LOAD_CR3, MON_F_LOAD_CR3);
	cr_assert_eq(mon(MON_DATA + MOND_NEW_CR3), 0x400000);
	/* the old top is no longer live: it unpins */
	cr_assert_eq(call(PVHV_HC_UNPIN, 0x400, 0, 0, 0), -PVHV_EBUSY);
	cr_assert_eq(call(PVHV_HC_UNPIN, PML4 >> 12, 0, 0, 0), 0);
}

/* Gate v of an IDT-format table at gpa: handler h, present or not. */
static void gate(uint64_t gpa, int v, uint64_t h, bool present)
{
	uint8_t g[16] = { 0 };
	uint16_t lo = (uint16_t)h, mid = (uint16_t)(h >> 16);
	uint32_t hi = (uint32_t)(h >> 32);

	memcpy(g, &lo, 2);
	g[2] = 0x08;                             /* selector: pvhv ignores it */
	g[5] = present ? 0x8e : 0x0e;            /* P, DPL 0, interrupt gate */
	memcpy(g + 6, &mid, 2);
	memcpy(g + 8, &hi, 4);
	memcpy(gm.host + gpa + v * 16, g, sizeof(g));
}

#define GATES 0x500000ull

Test(pvhv_cpl3, trap_table)
{
	gate(GATES, 0, 0xffffff8000101234ull, true);
	gate(GATES, 1, 0xffffff8000105678ull, false);
	gate(GATES, 14, 0xffffff80abcdef01ull, true);
	cr_assert_eq(call(PVHV_HC_SET_TRAP_TABLE, GATES, 32, 0x10, 0x18), 0);
	cr_assert_eq(mon(MON_TRAPS + 0 * 8), 0xffffff8000101234ull);
	cr_assert_eq(mon(MON_TRAPS + 1 * 8), 0);
	cr_assert_eq(mon(MON_TRAPS + 14 * 8), 0xffffff80abcdef01ull);
	cr_assert_eq(mon(MON_TRAPS + 255 * 8), 0);
	cr_assert_eq(mon(MON_DATA + MOND_FRAME_CS), 0x10);
	cr_assert_eq(mon(MON_DATA + MOND_FRAME_SS), 0x18);
}

Test(pvhv_cpl3, hostile_trap_tables_change_nothing)
{
	gate(GATES, 3, 0xffffff8000101000ull, true);
	cr_assert_eq(call(PVHV_HC_SET_TRAP_TABLE, GATES, 4, 0x10, 0x18), 0);

	cr_assert_eq(call(PVHV_HC_SET_TRAP_TABLE, GATES, 257, 0x10, 0x18), -PVHV_EINVAL);
	cr_assert_eq(call(PVHV_HC_SET_TRAP_TABLE, GATES, 4, 0x10000, 0x18), -PVHV_EINVAL);
	cr_assert_eq(call(PVHV_HC_SET_TRAP_TABLE, GATES, 4, 0x10, 0x10000), -PVHV_EINVAL);
	gate(GATES, 0, 0xffffff0000001000ull, true);   /* the monitor's slot 510 */
	cr_assert_eq(call(PVHV_HC_SET_TRAP_TABLE, GATES, 4, 0x20, 0x28), -PVHV_EINVAL);
	gate(GATES, 0, 0x0000800000000000ull, true);   /* not canonical */
	cr_assert_eq(call(PVHV_HC_SET_TRAP_TABLE, GATES, 4, 0x20, 0x28), -PVHV_EINVAL);
	gate(GATES, 0, 0, true);                        /* present, handler 0 */
	cr_assert_eq(call(PVHV_HC_SET_TRAP_TABLE, GATES, 4, 0x20, 0x28), -PVHV_EINVAL);
	/* past the end of RAM; in the monitor region (the top of RAM) */
	cr_assert_eq(call(PVHV_HC_SET_TRAP_TABLE, MEM - 32, 3, 0x20, 0x28), -PVHV_EFAULT);
	cr_assert_eq(call(PVHV_HC_SET_TRAP_TABLE, MEM - 32, 2, 0x20, 0x28), -PVHV_EPERM);
	cr_assert_eq(call(PVHV_HC_SET_TRAP_TABLE, UINT64_MAX - 15, 1, 0x20, 0x28), -PVHV_EFAULT);
	cr_assert_eq(call(PVHV_HC_SET_TRAP_TABLE, GATES, UINT64_MAX, 0x20, 0x28), -PVHV_EINVAL);
	/* the first table stands */
	cr_assert_eq(mon(MON_TRAPS + 3 * 8), 0xffffff8000101000ull);
	cr_assert_eq(mon(MON_DATA + MOND_FRAME_CS), 0x10);
	/* the tables just below the monitor are fine to read */
	gate(REGION - 16, 0, 0xffffff8000102000ull, true);
	cr_assert_eq(call(PVHV_HC_SET_TRAP_TABLE, REGION - 16, 1, 0x20, 0x28), 0);
	cr_assert_eq(mon(MON_TRAPS), 0xffffff8000102000ull);
	cr_assert_eq(mon(MON_TRAPS + 3 * 8), 0, "a shorter table clears the rest");
}

Test(pvhv_cpl3, msrs_through_the_allow_list)
{
	uint64_t a[PVHV_HC_ARGS] = { 0xc0000080 };

	cr_assert_eq(hc_dispatch(&env, 0, PVHV_HC_RDMSR, a, NULL), 0);
	cr_assert_eq(a[1], 0xd00d0000u + 0xc0000080u, "the value comes back in args[1]");
	cr_assert_eq(call(PVHV_HC_WRMSR, 0xc0000100, 0xffffff8000200000ull, 0, 0), 0);
	cr_assert(rec.msr_write);
	cr_assert_eq(rec.msr_index, 0xc0000100);
	cr_assert_eq(rec.msr_val, 0xffffff8000200000ull);
	cr_assert_eq(call(PVHV_HC_WRMSR, 0xc0000101, 1, 0, 0), 0);
	cr_assert_eq(call(PVHV_HC_WRMSR, 0xc0000102, 2, 0, 0), 0);
	int calls = rec.msr_calls;
	cr_assert_eq(call(PVHV_HC_WRMSR, 0xc0000080, 0, 0, 0), -PVHV_EPERM);   /* EFER */
	cr_assert_eq(call(PVHV_HC_WRMSR, 0x10, 0, 0, 0), -PVHV_EPERM);         /* TSC */
	cr_assert_eq(call(PVHV_HC_WRMSR, 0x1b, 0, 0, 0), -PVHV_EPERM);         /* APIC base */
	cr_assert_eq(call(PVHV_HC_RDMSR, 0x174, 0, 0, 0), -PVHV_EPERM);        /* SYSENTER_CS */
	cr_assert_eq(call(PVHV_HC_RDMSR, 0x1c0000100ull, 0, 0, 0), -PVHV_EPERM); /* truncates to FS */
	cr_assert_eq(call(PVHV_HC_WRMSR, 0xc0000100, 0x0000800000000000ull, 0, 0), -PVHV_EINVAL);
	cr_assert_eq(rec.msr_calls, calls, "a refused MSR reached KVM");
	cr_assert_eq(call(PVHV_HC_RDMSR, 0x10, 0, 0, 0), 0);
	cr_assert_eq(call(PVHV_HC_RDMSR, 0x1b, 0, 0, 0), 0);
}

Test(pvhv_cpl3, timer_registers)
{
	struct cpl3_timer t;
	uint8_t regs[1024] = { 0 };

	cr_assert_eq(call(PVHV_HC_SET_TIMER, 0xec, 1000000, 0, 0), 0);
	cr_assert_eq(rec.timer.lvt, 0x200ec);            /* periodic, vector 0xec */
	cr_assert_eq(rec.timer.dcr, 0xb);                /* divide by 1 */
	cr_assert_eq(rec.timer.icr, 1000000);            /* 1 ms of a 1 GHz bus */
	cr_assert_eq(call(PVHV_HC_SET_TIMER, 0xec, 0, 0, 0), 0);
	cr_assert_eq(rec.timer.lvt, 0x100ec);            /* masked */
	cr_assert_eq(rec.timer.icr, 0);
	cr_assert_eq(rec.timers, 2);
	cr_assert_eq(call(PVHV_HC_SET_TIMER, 31, 1000000, 0, 0), -PVHV_EINVAL);
	cr_assert_eq(call(PVHV_HC_SET_TIMER, 256, 1000000, 0, 0), -PVHV_EINVAL);
	for (uint64_t v = 0xf8; v <= 0xfc; v++)   /* the monitor's gates */
		cr_assert_eq(call(PVHV_HC_SET_TIMER, v, 1000000, 0, 0), -PVHV_EINVAL);
	cr_assert_eq(call(PVHV_HC_SET_TIMER, 32, 9999, 0, 0), -PVHV_EINVAL);
	cr_assert_eq(call(PVHV_HC_SET_TIMER, 32, 1ull << 32, 0, 0), -PVHV_EINVAL);
	cr_assert_eq(call(PVHV_HC_SET_TIMER, 32, UINT64_MAX, 0, 0), -PVHV_EINVAL);
	cr_assert_eq(rec.timers, 2);
	cr_assert_eq(call(PVHV_HC_SET_TIMER, 0xf7, 1000000, 0, 0), 0);  /* beside the gates */
	cr_assert_eq(call(PVHV_HC_SET_TIMER, 0xfd, 1000000, 0, 0), 0);
	cr_assert_eq(call(PVHV_HC_SET_TIMER, 0xfe, 0xffffffffull, 0, 0), 0);
	/* 0xff is the LAPIC's spurious vector: its stub is a bare iretq with
	 * no EOI, so a real interrupt there would stay in service and block
	 * every other vector for good */
	cr_assert_eq(call(PVHV_HC_SET_TIMER, 0xff, 1000000, 0, 0), -PVHV_EINVAL);
	cr_assert_eq(call(PVHV_HC_SET_TIMER, 32, 10000, 0, 0), 0);

	cr_assert_eq(cpl3_timer_regs(0x30, 50000, &t), 0);
	cpl3_timer_apply(regs, &t);
	const uint8_t lvt[4] = { 0x30, 0x00, 0x02, 0x00 };
	const uint8_t icr[4] = { 0x50, 0xc3, 0x00, 0x00 };
	cr_assert_arr_eq(regs + 0x320, lvt, 4);
	cr_assert_arr_eq(regs + 0x380, icr, 4);
	cr_assert_eq(regs[0x3e0], 0xb);
}

/* ---- multicalls, and what pvhv writes for the kernel ---------------------- */

#define LIST 0x600000ull

static void entry(int i, uint64_t op, uint64_t a0, uint64_t a1)
{
	struct pvhv_multicall_entry e = { .op = op, .args = { a0, a1 } };

	memcpy(gm.host + LIST + i * sizeof(e), &e, sizeof(e));
}

static int64_t entry_ret(int i)
{
	struct pvhv_multicall_entry e;

	memcpy(&e, gm.host + LIST + i * sizeof(e), sizeof(e));
	return e.ret;
}

Test(pvhv_cpl3, multicall_of_64_pins_fills_one_write_list)
{
	for (int i = 0; i < 64; i++)
		entry(i, PVHV_HC_MMU_UPDATE, pte_gpa(0x700 + i), ((0x700ull + i) << 12) | E_RO);
	cr_assert_eq(call(PVHV_HC_MULTICALL, LIST, 64, 0, 0), 64);
	cr_assert_eq(mon(MON_DATA + MOND_NR_WRITES), 64);
	for (int i = 0; i < 64; i++) {
		cr_assert_eq(entry_ret(i), 0, "update %d", i);
		entry(i, PVHV_HC_PIN, 0x700 + i, 4);
	}
	cr_assert_eq(call(PVHV_HC_MULTICALL, LIST, 64, 0, 0), 64);
	cr_assert_eq(mon(MON_DATA + MOND_NR_WRITES), 64, "one list per multicall");
	for (int i = 0; i < 64; i++) {
		cr_assert_eq(entry_ret(i), 0, "pin %d", i);
		cr_assert_eq(mon(MON_WRITES + i * 16), ((0x700ull + i) << 12) + 510 * 8);
		cr_assert_eq(mon(MON_WRITES + i * 16 + 8), mon_pml4e);
	}
	cr_assert_eq(mon(MON_DATA + MOND_FLAGS), MON_F_FLUSH);
}

/*
 * NEW_BASEPTR only tells the monitor which cr3 to load on its way back:
 * until then the CPU still walks the old top table, the monitor's own
 * code, stack and write replay through its slot 510. An UNPIN of that
 * table later in the same MULTICALL would clear slot 510 under the
 * running monitor (and a PIN at level 1 plus an MMU_UPDATE of entry 510
 * would then hand the monitor's addresses to tables the kernel wrote).
 * Refused -EBUSY until the call that loads the new cr3 is over.
 */
Test(pvhv_cpl3, multicall_cannot_unpin_the_cr3_the_cpu_still_walks)
{
	new_top(0x400);
	entry(0, PVHV_HC_NEW_BASEPTR, 0x400, 0);
	entry(1, PVHV_HC_UNPIN, PML4 >> 12, 0);
	entry(2, PVHV_HC_PIN, PML4 >> 12, 1);
	cr_assert_eq(call(PVHV_HC_MULTICALL, LIST, 3, 0, 0), 3);
	cr_assert_eq(entry_ret(0), 0);
	cr_assert_eq(entry_ret(1), -PVHV_EBUSY, "unpinned the top table the CPU walks");
	cr_assert_eq(entry_ret(2), -PVHV_EBUSY, "pinned twice");
	cr_assert_eq(cm.mm.frames[PML4 >> 12].level, 4);
	cr_assert_eq(q(PML4 + 510 * 8), mon_pml4e, "the running monitor's slot");
	cr_assert_eq(mon(MON_DATA + MOND_NR_WRITES), 0);
	cr_assert_eq(mon(MON_DATA + MOND_FLAGS), MON_F_LOAD_CR3);
	cr_assert_eq(mon(MON_DATA + MOND_NEW_CR3), 0x400000);
	/* the monitor loaded 0x400 on the way back: the old top unpins now */
	cr_assert_eq(call(PVHV_HC_UNPIN, PML4 >> 12, 0, 0, 0), 0);
	cr_assert_eq(q(PML4 + 510 * 8), 0);
}

Test(pvhv_cpl3, multicall_nesting_and_lists_pvhv_must_not_write)
{
	entry(0, PVHV_HC_MULTICALL, LIST, 1);
	cr_assert_eq(call(PVHV_HC_MULTICALL, LIST, 1, 0, 0), 1);
	cr_assert_eq(entry_ret(0), -PVHV_EINVAL);
	/* a list in a pinned table or in the monitor region */
	cr_assert_eq(call(PVHV_HC_MULTICALL, PT0, 1, 0, 0), -PVHV_EPERM);
	cr_assert_eq(call(PVHV_HC_MULTICALL, REGION, 1, 0, 0), -PVHV_EPERM);
	/* an entry that pins the list's own frame: pvhv stops writing it */
	entry(0, PVHV_HC_MMU_UPDATE, pte_gpa(LIST >> 12), LIST | E_RO);
	entry(1, PVHV_HC_PIN, LIST >> 12, 1);
	entry(2, PVHV_HC_NOP, 0, 0);
	/* entry 1's ret before the call: a valid read-only PTE as it will be */
	const int64_t sentinel = 0x5005;
	memcpy(gm.host + LIST + sizeof(struct pvhv_multicall_entry) +
	       offsetof(struct pvhv_multicall_entry, ret), &sentinel, sizeof(sentinel));
	cr_assert_eq(call(PVHV_HC_MULTICALL, LIST, 3, 0, 0), -PVHV_EPERM);
	cr_assert_eq(cm.mm.frames[LIST >> 12].level, 1, "the entries are a valid table");
	cr_assert_eq(entry_ret(0), 0, "written before the pin");
	cr_assert_eq(entry_ret(1), sentinel, "pvhv wrote into a pinned table");
	/* GET_STATS into a table, CONSOLE_WRITE from the monitor */
	cr_assert_eq(call(PVHV_HC_GET_STATS, PD, 64, PVHV_ALL_VCPUS, 0), -PVHV_EPERM);
	cr_assert_eq(call(PVHV_HC_CONSOLE_WRITE, REGION, 16, 0, 0), -PVHV_EPERM);
}

Test(pvhv_cpl3, register_tells_the_monitor)
{
	struct pvhv_cpu cpu = { .index = 0 };

	cr_assert_eq(pvhv_register_page(&env, &cpu, 0x800), 0);
	cr_assert_eq(mon(MON_DATA + MOND_PAGE_GPA), 0x800000);
	cr_assert_eq(call(PVHV_HC_MMU_UPDATE, pte_gpa(0x800), 0x800000 | E_RO, 0, 0), 0);
	cr_assert_eq(call(PVHV_HC_PIN, 0x800, 1, 0, 0), -PVHV_EBUSY, "the vCPU page");
	cr_assert_eq(pvhv_register_page(&env, &cpu, 0), 0);
	cr_assert_eq(mon(MON_DATA + MOND_PAGE_GPA), 0);
	cr_assert_eq(pvhv_register_page(&env, &cpu, PT0 >> 12), -PVHV_EPERM);
	cr_assert_eq(pvhv_register_page(&env, &cpu, REGION >> 12), -PVHV_EPERM);
	cr_assert_eq(pvhv_register_page(&env, &cpu, MEM >> 12), -PVHV_EFAULT);
	cr_assert_eq(mon(MON_DATA + MOND_PAGE_GPA), 0);
	cr_assert_eq(cpu.page_gpa, 0);
}

Test(pvhv_cpl3, doorbell_writes_rdmsr_back_to_the_page)
{
	struct pvhv_cpu cpu = { .index = 0 };
	struct pvhv_vcpu_page *p = (void *)(gm.host + 0x800000);

	cr_assert_eq(pvhv_register_page(&env, &cpu, 0x800), 0);
	p->args[0] = 0xc0000101;
	cr_assert_eq(pvhv_doorbell(&env, &cpu, PVHV_HC_RDMSR, NULL), 0);
	cr_assert_eq(p->ret, 0);
	cr_assert_eq(p->args[1], 0xd00d0000u + 0xc0000101u);
}

Test(pvhv_cpl3, monitor_report)
{
	struct pvhv_cpu cpu = { .index = 0 };
	struct vcpu_stats st = { { 0 } };
	struct io_ctx c = { .env = &env, .pv = true, .cpu = &cpu, .st = &st };
	uint32_t reason = MON_FAIL_NO_HANDLER;

	put(REGION + MON_DATA + MOND_FAIL_VECTOR, 14);
	put(REGION + MON_DATA + MOND_FAIL_ERR, 2);
	put(REGION + MON_DATA + MOND_FAIL_RIP, 0xffffff8000101234ull);
	put(REGION + MON_DATA + MOND_FAIL_CR2, 0xdead000);
	io_access(&c, 0x5656, true, 4, &reason);
	cr_assert_eq(rec.fatals, 1);
	cr_assert_str_eq(rec.fatal, "monitor: an exception with no kernel handler: vector 14 "
			 "error 0x2 rip 0xffffff8000101234 cr2 0xdead000");
	reason = 99;
	io_access(&c, 0x5656, true, 4, &reason);
	cr_assert(strstr(rec.fatal, "unknown reason 99"), "%s", rec.fatal);
	/* not deprivileged: the port is nobody's */
	env.cpl3 = NULL;
	io_access(&c, 0x5656, true, 4, &reason);
	cr_assert_eq(rec.fatals, 2);
}

Test(pvhv_cpl3, kick_and_ipi_vectors_the_monitor_would_misread)
{
	/* no send_vector hook: a vector accepted returns 0, refused -EINVAL */
	cr_assert_eq(call(PVHV_HC_KICK, 0, 16, 0, 0), -PVHV_EINVAL);   /* exception range */
	cr_assert_eq(call(PVHV_HC_KICK, 0, 31, 0, 0), -PVHV_EINVAL);
	cr_assert_eq(call(PVHV_HC_KICK, 0, 0xf8, 0, 0), -PVHV_EINVAL);  /* HCALL gate */
	cr_assert_eq(call(PVHV_HC_KICK, 0, 0xfc, 0, 0), -PVHV_EINVAL);
	cr_assert_eq(call(PVHV_HC_KICK, 0, 0xff, 0, 0), -PVHV_EINVAL);  /* spurious */
	cr_assert_eq(call(PVHV_HC_SEND_IPI, 1, 0, 0xff, 0), -PVHV_EINVAL);
	cr_assert_eq(call(PVHV_HC_KICK, 0, 32, 0, 0), 0);
	cr_assert_eq(call(PVHV_HC_KICK, 0, 0xfe, 0, 0), 0);
	cr_assert_eq(call(PVHV_HC_SEND_IPI, 1, 0, 0xfa, 0), -PVHV_EINVAL);
	cr_assert_eq(call(PVHV_HC_SEND_IPI, 1, 0, 0xf0, 0), 1);
	env.cpl3 = NULL;                      /* elsewhere 16..255 as before */
	cr_assert_eq(call(PVHV_HC_KICK, 0, 16, 0, 0), 0);
	cr_assert_eq(call(PVHV_HC_KICK, 0, 0xf8, 0, 0), 0);
}

Test(pvhv_cpl3, flood_of_hostile_calls)
{
	struct pvhv_cpu cpu = { .index = 0 };

	srand(14);
	cr_assert_eq(pvhv_register_page(&env, &cpu, 0x800), 0);
	for (int i = 0; i < 20000; i++) {
		uint64_t a[PVHV_HC_ARGS];
		uint64_t op = 9 + (uint64_t)(rand() % 9);

		for (int j = 0; j < PVHV_HC_ARGS; j++) {
			switch (rand() % 4) {
			case 0: a[j] = (uint64_t)rand() % 5; break;
			case 1: a[j] = (uint64_t)rand() % (MEM >> 12); break;
			case 2: a[j] = PT_BASE + (uint64_t)(rand() % 0xb000) * 8 % 0xb000; break;
			default: a[j] = (uint64_t)rand() << 33 ^ (uint64_t)rand(); break;
			}
		}
		int64_t r = hc_dispatch(&env, 0, op, a, NULL);
		cr_assert(r <= 0 && r >= -PVHV_ENOSYS, "op %lu returned %ld", op, r);
		cr_assert_leq(mon(MON_DATA + MOND_NR_WRITES), MON_MAX_WRITES);
	}
	/* the monitor's slot in the live top table is still the monitor */
	cr_assert_eq(q((cm.mm.cr3 << 12) + 510 * 8), mon_pml4e);
}
