/*
 * bench.c - benchmark workloads (bench=NAME). Generic code: the console
 * and the clock only through the pv_ops wrappers, so the same workload
 * measures whatever the platform put behind them (the UART, pvhv's
 * console hypercall, ...). The host side counts the exits.
 */
#include <bench.h>
#include <paravirt.h>
#include <printk.h>
#include <spinlock.h>
#include <string.h>
#include <trap.h>
#include <asm/apic.h>
#include <asm/smp.h>

#define CONSOLE_BYTES (64 * 1024)
#define LINE_BYTES    64            /* a printk-sized write */

/* 64 KiB as 1024 writes of one 64-byte line each, as printk would. */
static void bench_console(void)
{
	static const char digits[] = "0123456789abcdef";
	char line[LINE_BYTES];
	u64 t0 = sched_clock();

	for (int n = 0; n < CONSOLE_BYTES / LINE_BYTES; n++) {
		memset(line, '.', LINE_BYTES - 1);
		memcpy(line, "bench console line ", 19);
		for (int d = 0; d < 4; d++)
			line[19 + d] = digits[(n >> (4 * (3 - d))) & 0xf];
		line[LINE_BYTES - 1] = '\n';
		console_write(line, LINE_BYTES);
	}
	u64 t1 = sched_clock();
	printk("bench: console: %d bytes in %d writes of %d in %llu us\n",
	       CONSOLE_BYTES, CONSOLE_BYTES / LINE_BYTES, LINE_BYTES,
	       (unsigned long long)((t1 - t0) / 1000));
}

/*
 * irq: IRQ_TICKS timer interrupts, waited for as an idle kernel waits
 * (sti; hlt, then cli). Each one is an interrupt delivered and an EOI
 * (apic.eoi): the host's exit counts per interrupt show what the
 * platform's EOI costs.
 */
#define IRQ_TICKS 1000

static void bench_irq(void)
{
	unsigned long flags = arch_local_irq_save();
	u64 start = apic_ticks, t0 = sched_clock();

	while (apic_ticks - start < IRQ_TICKS) {
		safe_halt();
		arch_local_irq_disable();
	}
	u64 t1 = sched_clock();
	arch_local_irq_restore(flags);
	printk("bench: irq: %d timer interrupts in %llu us\n", IRQ_TICKS,
	       (unsigned long long)((t1 - t0) / 1000));
}

/* iodelay: IODELAY_CALLS io_delay with interrupts off, so the exits
 * counted around it are its own (natively an OUT to port 0x80 each). */
#define IODELAY_CALLS 10000

static void bench_iodelay(void)
{
	unsigned long flags = arch_local_irq_save();
	u64 t0 = sched_clock();

	for (int i = 0; i < IODELAY_CALLS; i++)
		io_delay();
	u64 t1 = sched_clock();
	arch_local_irq_restore(flags);
	printk("bench: iodelay: %d calls in %llu us, %llu instructions per call\n",
	       IODELAY_CALLS, (unsigned long long)((t1 - t0) / 1000),
	       (unsigned long long)count_insns(io_delay));
}

/*
 * clock: CLOCK_CALLS sched_clock with interrupts off, timed by itself,
 * and one call's instructions counted by single-stepping (the number
 * that means something where each privileged instruction is emulated:
 * cycles under PVM or TCG do not).
 */
#define CLOCK_CALLS 10000
#define CLOCK_COUNTS 5

static volatile u64 clock_sink;

static void one_sched_clock(void)
{
	clock_sink = sched_clock();
}

static void bench_clock(void)
{
	unsigned long flags = arch_local_irq_save();
	u64 t0 = sched_clock(), prev = t0, back = 0, lo = ~0ull, hi = 0;

	for (int i = 0; i < CLOCK_CALLS; i++) {
		u64 now = sched_clock();

		back += now < prev;
		prev = now;
	}
	u64 t1 = sched_clock();
	/* the fewest and most of a few counts: a retry shows as a spread */
	for (int i = 0; i < CLOCK_COUNTS; i++) {
		u64 n = count_insns(one_sched_clock);

		lo = n < lo ? n : lo;
		hi = n > hi ? n : hi;
	}
	arch_local_irq_restore(flags);
	printk("bench: clock: %d calls in %llu us, %llu backwards; "
	       "%llu..%llu instructions per call\n", CLOCK_CALLS,
	       (unsigned long long)((t1 - t0) / 1000), (unsigned long long)back,
	       (unsigned long long)lo, (unsigned long long)hi);
}

/*
 * lock: every online CPU at once (smp_call_function) takes one spinlock
 * again and again around a short critical section (a counter bumped) for
 * LOCK_NS; acquisitions per second, and what the slow paths did. Compare
 * pv spinlocks with the native queued spinlock by one switch:
 * pvoff=pv_unhalt (KVM), qspinlock=pv (any platform). A fixed time, not a
 * fixed count: with vCPUs taking turns on a host CPU, a count small
 * enough to end inside smp_call_function's bound under the native lock
 * ends inside one time slice with no contention at all.
 */
#define LOCK_NS       500000000ull      /* under smp_call_function's 2 s */
#define LOCK_CLOCK_EVERY 16             /* acquisitions between clock reads */

static spinlock_t bench_lock_lock = SPINLOCK_INIT;
static volatile u64 bench_lock_counter;
static u64 bench_lock_deadline;

static void bench_lock_fn(void *arg)
{
	(void)arg;
	for (u32 i = 0;; i++) {
		if (!(i % LOCK_CLOCK_EVERY) && sched_clock() > bench_lock_deadline)
			break;
		spin_lock(&bench_lock_lock);
		bench_lock_counter++;
		spin_unlock(&bench_lock_lock);
	}
}

static void bench_lock(void)
{
	cpumask_t online = smp_online_mask(), missed;
	struct qspinlock_stats s0 = qspinlock_stats_sum(), s1;
	int cpus = 0;

	for (int i = 0; i < SMP_MAX_CPUS; i++)
		cpus += online >> i & 1;
	bench_lock_counter = 0;
	u64 t0 = sched_clock();
	bench_lock_deadline = t0 + LOCK_NS;
	missed = smp_call_function(online, bench_lock_fn, NULL);
	u64 t1 = sched_clock();
	s1 = qspinlock_stats_sum();
	u64 ns = t1 - t0 ? t1 - t0 : 1;
	printk("bench: lock: %d CPUs, %llu acquisitions in %llu us, "
	       "%llu acquisitions/s; slow paths %llu, waits %llu, kicks %llu, "
	       "preempted %llu, steals %llu%s\n", cpus,
	       (unsigned long long)bench_lock_counter, (unsigned long long)(ns / 1000),
	       (unsigned long long)(bench_lock_counter * 1000000000ull / ns),
	       (unsigned long long)(s1.slowpaths - s0.slowpaths),
	       (unsigned long long)(s1.waits - s0.waits),
	       (unsigned long long)(s1.kicks - s0.kicks),
	       (unsigned long long)(s1.preempted - s0.preempted),
	       (unsigned long long)(s1.steals - s0.steals),
	       missed ? " (some CPUs did not answer: not a result)" : "");
}

static const struct {
	const char *name;
	void (*run)(void);
} workloads[] = {
	{ "console", bench_console },
	{ "irq", bench_irq },
	{ "iodelay", bench_iodelay },
	{ "clock", bench_clock },
	{ "ops", bench_ops },
	{ "lock", bench_lock },
	{ "ipi", bench_ipi },
	{ "tlb", bench_tlb },
	{ "user", bench_user },
	{ "compute", bench_compute },
	{ "pt", bench_pt },
	{ "pt-each", bench_pt_each },
	{ "pt-lazy", bench_pt_lazy },
	{ "pt-setup", bench_pt_setup },
};

void bench_run(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(workloads); i++)
		if (!strcmp(name, workloads[i].name)) {
			workloads[i].run();
			return;
		}
	printk("bench: unknown workload '%s' (console, irq, iodelay, clock, ops, lock, ipi, tlb, user, compute, pt, pt-each, pt-lazy, pt-setup)\n", name);
}
