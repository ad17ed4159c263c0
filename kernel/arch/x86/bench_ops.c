/*
 * bench_ops.c - bench=ops: what each hot op costs at one call site, in
 * whatever build this is (pv_build_mode(): "nopv", the PARAVIRT=0 kernel;
 * "nopatch", pv=nopatch, each site its indirect call; "patched").
 *
 * Each op is one small function calling it through its paravirt.h
 * wrapper, so its instructions are those of a real site (with the
 * compiler's code around it, as every caller has). Per op:
 *   insns   instructions one call executes, less an empty function's
 *           (count_insns_nops: single-stepping, exact anywhere); the
 *           fewest of OPS_COUNTS counts (an interrupt may add steps)
 *   nops    how many of those were NOPs (a patched site's padding)
 *   cycles  median over OPS_RUNS runs of OPS_ITERS calls, serialized TSC
 *           (cycles_ordered), less the same loop over an empty function,
 *           per call in tenths. Under TCG or PVM this times the emulator.
 * One line each, for bench/ops/run.sh:
 *   bench: ops build MODE tsc_khz K runs R iters N
 *   bench: ops OP insns N nops K cycles_median C.D
 *   bench: ops done
 * spin_lock_unlock is an uncontended lock and unlock of a queued spinlock:
 * the lock's fast path is one cmpxchg in every build, the unlock is the
 * site (natively patched to the byte store).
 * Runs only with bench=ops; nothing here is on any other path.
 */
#include <bench.h>
#include <paravirt.h>
#include <printk.h>
#include <spinlock.h>
#include <trap.h>
#include <pv/platform.h>
#include <asm/tsc.h>

#define OPS_RUNS   31          /* odd: the median is one run */
#define OPS_ITERS  64          /* calls per timed run */
#define OPS_COUNTS 5           /* instruction counts per op, fewest kept */
#define TENTHS     10

static volatile unsigned long ops_sink;
static unsigned long ops_cr3;  /* the live cr3, for write_cr3 */

#define OP_FN __attribute__((noinline))

static OP_FN void op_empty(void) { __asm__ volatile(""); }

static OP_FN void op_irq_save_restore(void)
{
	unsigned long f = arch_local_irq_save();

	arch_local_irq_restore(f);
}

/* enable then disable: interrupts are off around it, and stay off */
static OP_FN void op_irq_enable_disable(void)
{
	arch_local_irq_enable();
	arch_local_irq_disable();
}

static OP_FN void op_read_cr2(void) { ops_sink = read_cr2(); }
static OP_FN void op_read_cr3(void) { ops_sink = read_cr3(); }
static OP_FN void op_write_cr3(void) { write_cr3(ops_cr3); }
static OP_FN void op_flush_tlb_one_user(void)
{
	flush_tlb_one_user((unsigned long)&ops_sink);
}
static OP_FN void op_sched_clock(void) { ops_sink = sched_clock(); }
/* no interrupt in service: the APIC ignores it, the write is still made */
static OP_FN void op_eoi(void) { apic_eoi(); }
/* never contended: only this CPU takes it, with interrupts off */
static spinlock_t ops_lock = SPINLOCK_INIT;
static OP_FN void op_spin_lock_unlock(void)
{
	spin_lock(&ops_lock);
	spin_unlock(&ops_lock);
}
/* the same lock reached through a pointer, as most locks are: its address
 * is in a register already, where the unlock site wants it (rdi) */
static spinlock_t *volatile ops_lock_ptr = &ops_lock;
static OP_FN void op_spin_lock_unlock_ptr(void)
{
	spinlock_t *l = ops_lock_ptr;

	spin_lock(l);
	spin_unlock(l);
}

static const struct {
	const char *name;
	void (*fn)(void);
} ops[] = {
	{ "irq_save_restore", op_irq_save_restore },
	{ "irq_enable_disable", op_irq_enable_disable },
	{ "read_cr2", op_read_cr2 },
	{ "read_cr3", op_read_cr3 },
	{ "write_cr3", op_write_cr3 },
	{ "flush_tlb_one_user", op_flush_tlb_one_user },
	{ "sched_clock", op_sched_clock },
	{ "eoi", op_eoi },
	{ "spin_lock_unlock", op_spin_lock_unlock },
	{ "spin_lock_unlock_ptr", op_spin_lock_unlock_ptr },
};

/* One run: OPS_ITERS calls of fn, in TSC cycles. */
static OP_FN u64 time_run(void (*fn)(void))
{
	u64 t0 = cycles_ordered();

	for (int i = 0; i < OPS_ITERS; i++)
		fn();
	return cycles_ordered() - t0;
}

/* The median of OPS_RUNS runs (insertion sort: 31 numbers). */
static u64 median_run(void (*fn)(void))
{
	u64 r[OPS_RUNS];

	for (int i = 0; i < OPS_RUNS; i++) {
		u64 v = time_run(fn);
		int j = i;

		for (; j > 0 && r[j - 1] > v; j--)
			r[j] = r[j - 1];
		r[j] = v;
	}
	return r[OPS_RUNS / 2];
}

void bench_ops(void)
{
	unsigned long flags = arch_local_irq_save();
	u64 empty;

	ops_cr3 = read_cr3();
	printk("bench: ops build %s tsc_khz %llu runs %d iters %d\n", pv_build_mode(),
	       (unsigned long long)tsc_khz(), OPS_RUNS, OPS_ITERS);
	empty = median_run(op_empty);
	for (size_t i = 0; i < ARRAY_SIZE(ops); i++) {
		u64 insns = ~0ull, nops = 0;

		for (int c = 0; c < OPS_COUNTS; c++) {
			u64 k, n = count_insns_nops(ops[i].fn, &k);

			if (n < insns) {
				insns = n;
				nops = k;
			}
		}
		u64 m = median_run(ops[i].fn);
		u64 c10 = m > empty ? (m - empty) * TENTHS / OPS_ITERS : 0;

		printk("bench: ops %s insns %llu nops %llu cycles_median %llu.%llu\n",
		       ops[i].name, (unsigned long long)insns, (unsigned long long)nops,
		       (unsigned long long)(c10 / TENTHS), (unsigned long long)(c10 % TENTHS));
	}
	arch_local_irq_restore(flags);
	printk("bench: ops done\n");
}
