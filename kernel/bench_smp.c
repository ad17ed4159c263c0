/*
 * bench_smp.c - the SMP workloads (bench=ipi, bench=tlb): what every
 * other CPU costs the one that needs it, through the same ops the kernel
 * uses, so one pvoff= switch compares a paravirt path with its native
 * twin. Each prints one parseable line:
 *   bench: ipi: R rounds to N CPUs in T us, X rounds/s, H hypercalls, I icr, Y yields
 *   bench: tlb: S shootdowns of N CPUs in T us, X shootdowns/s, I ipis, D deferred, Y yields
 * The host counts the exits around them (a run without the workload is
 * the baseline).
 */
#include <bench.h>
#include <paging.h>
#include <paravirt.h>
#include <printk.h>
#include <sched.h>
#include <smp_stats.h>
#include <asm/apic.h>
#include <asm/layout.h>
#include <asm/smp.h>
#include <asm/processor.h>

#define NS_PER_US 1000ull
#define BENCH_NS (2000000 * NS_PER_US)     /* each workload runs 2 s */
#define BUSY_START_NS (1000000 * NS_PER_US)

static void nothing(void *arg) { (void)arg; }

/* One line: the counters' change over the run. */
struct snap {
	u64 t, hcalls, icr, ipis, deferred, yields;
};

static void take(struct snap *s)
{
	s->t = sched_clock();
	s->hcalls = smp_stats_read(&smp_stats.ipi_hcalls);
	s->icr = smp_stats_read(&smp_stats.ipi_icr);
	s->ipis = smp_stats_read(&smp_stats.tlb_ipis);
	s->deferred = smp_stats_read(&smp_stats.tlb_deferred);
	s->yields = smp_stats_read(&smp_stats.yield_asks);
}

/* The other online CPUs; prints why not and returns 0 when there are none. */
static cpumask_t others(const char *name)
{
	cpumask_t m = smp_online_mask() & ~(1u << smp_processor_id());

	if (!m)
		printk("bench: %s: one CPU online, nothing to measure\n", name);
	return m;
}

/*
 * ipi: many-target IPI rounds: smp_call_function to every other CPU, an
 * empty function, for BENCH_NS. The others halt in between, as idle CPUs
 * do; each round is one send to the set (an ICR write per target, or one
 * KVM_HC_SEND_IPI) and the answers.
 */
void bench_ipi(void)
{
	cpumask_t m = others("ipi");
	struct snap a, b;
	u64 rounds = 0, us;

	if (!m)
		return;
	take(&a);
	do {
		smp_call_function(m, nothing, NULL);
		rounds++;
	} while (sched_clock() - a.t < BENCH_NS);
	take(&b);
	us = (b.t - a.t) / NS_PER_US;
	printk("bench: ipi: %llu rounds to %llu CPUs in %llu us, %llu rounds/s, "
	       "%llu hypercalls, %llu icr, %llu yields\n", (unsigned long long)rounds,
	       (unsigned long long)smp_stats_cpus(m), (unsigned long long)us,
	       (unsigned long long)(us ? rounds * 1000000 / us : 0),
	       (unsigned long long)(b.hcalls - a.hcalls), (unsigned long long)(b.icr - a.icr),
	       (unsigned long long)(b.yields - a.yields));
}

/*
 * The other CPUs kept busy: a kernel thread on each that spins with
 * interrupts on until told to stop. Overcommitted, their vCPUs are then
 * preempted now and then (an idle, halted vCPU never is), which is when a
 * shootdown has to wait for one, or can leave it to the host.
 */
static volatile bool busy_stop;
static volatile int busy_cpus;

static void busy_thread(void *arg)
{
	(void)arg;
	__atomic_fetch_add(&busy_cpus, 1, __ATOMIC_SEQ_CST);
	while (!busy_stop)
		cpu_relax();
}

static struct thread *busy[SMP_MAX_CPUS];

/* One busy thread on each CPU of m; false if not all started spinning
 * within BUSY_START_NS. */
static bool busy_start(cpumask_t m)
{
	u64 t0 = sched_clock();

	busy_stop = false;
	busy_cpus = 0;
	for (cpumask_t r = m; r; r &= r - 1)
		busy[__builtin_ctz(r)] = thread_create(busy_thread, NULL, __builtin_ctz(r));
	while (busy_cpus != (int)smp_stats_cpus(m))
		if (sched_clock() - t0 > BUSY_START_NS)
			return false;
		else
			cpu_relax();
	return true;
}

static void busy_end(void)
{
	busy_stop = true;
	for (int cpu = 0; cpu < SMP_MAX_CPUS; cpu++)
		if (busy[cpu]) {
			thread_join(busy[cpu]);
			busy[cpu] = NULL;
		}
}

/*
 * tlb: a shootdown storm: flush_tlb_range of one page on every other
 * CPU, for BENCH_NS, while they are busy. Natively each is an IPI to
 * each and a wait for every answer; under KVM with pv_tlb_flush a
 * preempted vCPU is marked for the host to flush instead.
 */
void bench_tlb(void)
{
	cpumask_t m = others("tlb");
	unsigned long va = fixmap_addr(FIX_TEST1);
	struct snap a, b;
	u64 shots = 0, us;

	if (!m)
		return;
	if (!busy_start(m)) {
		busy_end();
		printk("bench: tlb: the other CPUs did not start their busy loop\n");
		return;
	}
	take(&a);
	do {
		flush_tlb_range(m, va, va + PAGE_SIZE);
		shots++;
	} while (sched_clock() - a.t < BENCH_NS);
	take(&b);
	busy_end();
	us = (b.t - a.t) / NS_PER_US;
	printk("bench: tlb: %llu shootdowns of %llu CPUs in %llu us, %llu shootdowns/s, "
	       "%llu ipis, %llu deferred, %llu yields\n", (unsigned long long)shots,
	       (unsigned long long)smp_stats_cpus(m), (unsigned long long)us,
	       (unsigned long long)(us ? shots * 1000000 / us : 0),
	       (unsigned long long)(b.ipis - a.ipis), (unsigned long long)(b.deferred - a.deferred),
	       (unsigned long long)(b.yields - a.yields));
}
