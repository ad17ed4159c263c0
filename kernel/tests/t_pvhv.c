/*
 * t_pvhv.c - self-tests of pvhv's interface from the guest's side: its
 * hypercalls' errors, a multicall's one exit, what io_delay and the
 * console cost in exits, kicks and IPIs delivered; pvhv's SMP features
 * (kick, send_ipi, yield) engaged where in use. Each skips unless pvhv
 * is the platform (pv/pvhv.h), the SMP ones unless their feature is on.
 */
#include <cmdline.h>
#include <ktest.h>
#include <mm.h>
#include <paravirt.h>
#include <printk.h>
#include <string.h>
#include <trap.h>
#include <pv/pvhv.h>
#include <pvops/native.h>
#include <smp_stats.h>
#include <spinlock.h>
#include "t_lock.h"
#include <asm/irq_vectors.h>
#include <asm/smp.h>
static bool on_pvhv(struct ktest_ctx *t)
{
	if (pvhv_in_use())
		return true;
	KT_SKIP(t, "not on pvhv");
	return false;
}

KTEST(pvhv_hypercall_errors)
{
	static char byte = '\n';

	if (!on_pvhv(t))
		return;
	KT_EXPECT(t, pvhv_call(PVHV_HC_NOP, 0, 0, 0) == 0);
	KT_EXPECT(t, pvhv_call(PVHV_HC_NR, 0, 0, 0) == -PVHV_ENOSYS);
	KT_EXPECT(t, pvhv_call(0xffffffffu, 0, 0, 0) == -PVHV_ENOSYS);
	KT_EXPECT(t, pvhv_call(PVHV_HC_CONSOLE_WRITE, ~0ull, 1, 0) == -PVHV_EFAULT);
	KT_EXPECT(t, pvhv_call(PVHV_HC_CONSOLE_WRITE, ~0ull - 2, 16, 0) == -PVHV_EFAULT);
	KT_EXPECT(t, pvhv_call(PVHV_HC_CONSOLE_WRITE, 0, PVHV_CONSOLE_MAX + 1, 0) == -PVHV_E2BIG);
	KT_EXPECT(t, pvhv_call(PVHV_HC_CONSOLE_WRITE, __pa(&byte), 1, 0) == 1);
	KT_EXPECT(t, pvhv_call(PVHV_HC_POWER_OFF, PVHV_STATUS_MAX + 1, 0, 0) == -PVHV_EINVAL);
	KT_EXPECT(t, pvhv_call(PVHV_HC_KICK, 1u << 20, TIMER_VECTOR, 0) == -PVHV_EINVAL);
	KT_EXPECT(t, pvhv_call(PVHV_HC_KICK, 0, 1, 0) == -PVHV_EINVAL);
	KT_EXPECT(t, pvhv_call(PVHV_HC_SEND_IPI, 1ull << 63, 0, TIMER_VECTOR) == -PVHV_EINVAL);
	KT_EXPECT(t, pvhv_call(PVHV_HC_YIELD, PVHV_ALL_VCPUS, 0, 0) == 0);
	KT_EXPECT(t, pvhv_call(PVHV_HC_MULTICALL, ~0ull, 2, 0) == -PVHV_EFAULT);
	KT_EXPECT(t, pvhv_call(PVHV_HC_MULTICALL, 0, PVHV_MULTICALL_MAX + 1, 0) == -PVHV_E2BIG);
}

/* A multicall of four operations costs one exit: the VM's own counters
 * (read with GET_STATS) move by two, the multicall and the second read. */
KTEST(pvhv_multicall_one_exit)
{
	static struct pvhv_stats before, after;
	static struct pvhv_multicall_entry mc[4];

	if (!on_pvhv(t))
		return;
	memset(mc, 0, sizeof(mc));
	mc[0].op = PVHV_HC_NOP;
	mc[1].op = PVHV_HC_YIELD;
	mc[1].args[0] = PVHV_ALL_VCPUS;
	mc[2].op = PVHV_HC_MULTICALL;              /* nested: refused */
	mc[3].op = PVHV_HC_NR;                     /* unknown: refused */
	KT_EXPECT(t, pvhv_call(PVHV_HC_GET_STATS, __pa(&before), sizeof(before),
			       PVHV_ALL_VCPUS) == sizeof(before));
	KT_EXPECT(t, pvhv_call(PVHV_HC_MULTICALL, __pa(mc), 4, 0) == 4);
	KT_EXPECT(t, pvhv_call(PVHV_HC_GET_STATS, __pa(&after), sizeof(after),
			       PVHV_ALL_VCPUS) == sizeof(after));
	KT_EXPECT(t, mc[0].ret == 0 && mc[1].ret == 0);
	KT_EXPECT(t, mc[2].ret == -PVHV_EINVAL && mc[3].ret == -PVHV_ENOSYS);
	KT_EXPECT(t, before.nr == PVHV_STAT_NR && before.vcpus >= 1);
	KT_EXPECTF(t, after.count[PVHV_STAT_IO_PVHV] - before.count[PVHV_STAT_IO_PVHV] == 2,
		   "(%llu doorbells)", (unsigned long long)(after.count[PVHV_STAT_IO_PVHV] -
							    before.count[PVHV_STAT_IO_PVHV]));
	/* multicall + 4 entries + GET_STATS */
	KT_EXPECT(t, after.count[PVHV_STAT_HYPERCALLS] - before.count[PVHV_STAT_HYPERCALLS] == 6);
}

/*
 * io_delay is observable from here only: natively an OUT to port 0x80,
 * which no device of pvhv's (or KVM's in-kernel ones) decodes, so pvhv
 * counts each as an exit on another port. With interrupts off nothing
 * else does port I/O between the two reads (the reads are pvhv's own
 * ports). A platform that made it a no-op would show no exit.
 */
KTEST(pvhv_io_delay_exits)
{
	enum { DELAYS = 4 };
	static struct pvhv_stats before, after;
	u64 want;

	if (!on_pvhv(t))
		return;
	if (pv_ops.cpu.io_delay == (void (*)(void))pv_native_io_delay)
		want = DELAYS;
	else if (pv_ops.cpu.io_delay == (void (*)(void))pv_nop)
		want = 0;
	else {
		KT_SKIP(t, "io_delay is neither native nor a no-op");
		return;
	}
	unsigned long flags = arch_local_irq_save();
	KT_EXPECT(t, pvhv_call(PVHV_HC_GET_STATS, __pa(&before), sizeof(before),
			       PVHV_ALL_VCPUS) == sizeof(before));
	for (int i = 0; i < DELAYS; i++)
		io_delay();
	KT_EXPECT(t, pvhv_call(PVHV_HC_GET_STATS, __pa(&after), sizeof(after),
			       PVHV_ALL_VCPUS) == sizeof(after));
	arch_local_irq_restore(flags);
	u64 got = after.count[PVHV_STAT_IO_OTHER] - before.count[PVHV_STAT_IO_OTHER];
	KT_EXPECTF(t, got == want, "%llu port exits for %d io_delay, want %llu",
		   (unsigned long long)got, DELAYS, (unsigned long long)want);
}

/* A kick is an interrupt: the timer's vector, so its handler counts it. */
static volatile u64 test_ipis;

static void test_ipi(void)
{
	test_ipis++;
	apic_eoi();
}

/* Wait (interrupts on) until `n` test IPIs have arrived, or give up. */
static void wait_test_ipis(u64 n)
{
	arch_local_irq_enable();
	for (int i = 0; i < 1000 && test_ipis < n; i++)
		barrier();
	arch_local_irq_disable();
}

/*
 * Kick and IPI deliver their vector: TEST_IPI_VECTOR, which nothing else
 * raises (the timer's ticks would make the test pass without them). One
 * at a time: two requests for the same vector while it is pending are
 * one interrupt (the APIC has one IRR bit per vector).
 */
KTEST(pvhv_kick_self_delivers)
{
	if (!on_pvhv(t))
		return;
	irq_register(TEST_IPI_VECTOR, test_ipi);
	unsigned long flags = arch_local_irq_save();
	u64 before = test_ipis;

	KT_EXPECT(t, pvhv_call(PVHV_HC_KICK, pvhv_vcpu_id(), TEST_IPI_VECTOR, 0) == 0);
	wait_test_ipis(before + 1);
	KT_EXPECTF(t, test_ipis == before + 1, "kick: %llu delivered",
		   (unsigned long long)(test_ipis - before));
	KT_EXPECT(t, pvhv_call(PVHV_HC_SEND_IPI, 1, pvhv_vcpu_id(), TEST_IPI_VECTOR) == 1);
	wait_test_ipis(before + 2);
	KT_EXPECTF(t, test_ipis == before + 2, "IPI: %llu delivered",
		   (unsigned long long)(test_ipis - before - 1));
	arch_local_irq_restore(flags);
}

/* The median of v[0..n) (sorts v: n is small). */
static u64 median(u64 *v, int n)
{
	for (int i = 0; i <= n / 2; i++)
		for (int j = i + 1; j < n; j++)
			if (v[j] < v[i]) {
				u64 x = v[i];
				v[i] = v[j];
				v[j] = x;
			}
	return v[n / 2];
}

/* What one hypercall costs pvk, from ring 0 through pvhv_call (the exit
 * plus the emulated instructions around it): a KTAP diagnostic. */
KTEST(pvhv_nop_call_cost)
{
	enum { CALLS = 64 };
	static u64 ns[CALLS], base[CALLS];
	s64 r = 0;

	if (!on_pvhv(t))
		return;
	for (int i = 0; i < CALLS; i++) {
		u64 t0 = sched_clock();
		base[i] = sched_clock() - t0;        /* the clock's own cost */
		t0 = sched_clock();
		r |= pvhv_call(PVHV_HC_NOP, 0, 0, 0);
		ns[i] = sched_clock() - t0;
	}
	KT_EXPECT(t, r == 0);
	printk("# pvhv: NOP hypercall from pvk: median %llu ns, clock alone %llu ns (%d calls)\n",
	       (unsigned long long)median(ns, CALLS), (unsigned long long)median(base, CALLS),
	       CALLS);
}

/*
 * The console op is pvhv's hypercall unless pvoff=console: pvhv's own
 * counters say which device the bytes of one printk went to.
 */
KTEST(pvhv_console_follows_pvoff)
{
	static struct pvhv_stats before, after;
	static const char line[] = "# pvhv: console check\n";
	bool off = pv_feature_off("console");

	if (!on_pvhv(t))
		return;
	unsigned long flags = arch_local_irq_save();
	KT_EXPECT(t, pvhv_call(PVHV_HC_GET_STATS, __pa(&before), sizeof(before),
			       PVHV_ALL_VCPUS) == sizeof(before));
	console_write(line, sizeof(line) - 1);
	KT_EXPECT(t, pvhv_call(PVHV_HC_GET_STATS, __pa(&after), sizeof(after),
			       PVHV_ALL_VCPUS) == sizeof(after));
	arch_local_irq_restore(flags);
	u64 uart = after.count[PVHV_STAT_UART_BYTES] - before.count[PVHV_STAT_UART_BYTES];
	u64 hc = after.count[PVHV_STAT_CONSOLE_BYTES] - before.count[PVHV_STAT_CONSOLE_BYTES];
	/* the UART driver sends "\r\n" for the line's one '\n' */
	u64 want = off ? sizeof(line) : sizeof(line) - 1;
	KT_EXPECTF(t, off ? uart == want && hc == 0 : hc == want && uart == 0,
		   "pvoff=console %s: %llu bytes by hypercall, %llu to the UART, want %llu to %s",
		   off ? "given" : "not given", (unsigned long long)hc,
		   (unsigned long long)uart, (unsigned long long)want,
		   off ? "the UART" : "the hypercall");
}

/* --- a page per vCPU ---------------------------------------------------- */

static s64 nop_ret[SMP_MAX_CPUS];
static u32 vcpu_seen[SMP_MAX_CPUS];

static void call_nop(void *unused)
{
	int cpu = smp_processor_id();

	(void)unused;
	nop_ret[cpu] = pvhv_call(PVHV_HC_NOP, 0, 0, 0);
	vcpu_seen[cpu] = pvhv_vcpu_id();
}

/* Every online CPU, asked by IPI, makes a call through its own page: it
 * answers 0, and the vCPU numbers pvhv wrote in the pages are all
 * different (one page each, not the boot CPU's shared). */
KTEST(pvhv_every_cpu_calls_through_its_page)
{
	cpumask_t online = smp_online_mask();

	if (!on_pvhv(t))
		return;
	if (!(online & (online - 1))) {
		KT_SKIP(t, "one CPU online");
		return;
	}
	memset(nop_ret, 0xff, sizeof(nop_ret));
	KT_EXPECT(t, smp_call_function(online, call_nop, NULL) == 0);
	for (int cpu = 0; cpu < SMP_MAX_CPUS; cpu++) {
		if (!(online & (1u << cpu)))
			continue;
		KT_EXPECTF(t, nop_ret[cpu] == 0, "CPU %d: NOP returned %lld", cpu,
			   (long long)nop_ret[cpu]);
		for (int other = 0; other < cpu; other++)
			if (online & (1u << other))
				KT_EXPECTF(t, vcpu_seen[cpu] != vcpu_seen[other],
					   "CPUs %d and %d both vCPU %u", other, cpu,
					   vcpu_seen[cpu]);
	}
}

/* ---- pvhv's SMP features: kick, send_ipi, yield ------------------------ */

/* Is pvhv's SMP feature f in use? If not, skip saying what it is. */
static bool smp_on(struct ktest_ctx *t, enum pvhv_smp f)
{
	static const char *const why[] = {
		[PVHV_SMP_ABSENT] = "feature absent (or not on pvhv)",
		[PVHV_SMP_OFF] = "feature off (pvoff)",
		[PVHV_SMP_KVM] = "KVM's twin feature in use",
		[PVHV_SMP_OFFERED] = "feature offered, not used (one CPU)",
		[PVHV_SMP_ON] = "feature on",
	};
	enum pvhv_smp_state s = pvhv_smp_feature(f);

	if (s == PVHV_SMP_ON)
		return true;
	KT_SKIP(t, why[s]);
	return false;
}

/* Every online CPU but this one; 0 (and skipped) if none. */
static cpumask_t other_cpus(struct ktest_ctx *t)
{
	cpumask_t others = smp_online_mask() & ~(1u << smp_processor_id());

	if (!others)
		KT_SKIP(t, "one CPU online");
	return others;
}

/*
 * kick: the pv spinlock over pvhv's wait and kick is in its slots, and
 * under contention (several vCPUs on fewer host CPUs) waiters halt and
 * are woken by PVHV_HC_KICK, none refused; the counter still ends exact
 * (lock_contend checks it).
 */
KTEST(pvhv_kick_waits_halt_and_are_kicked)
{
	struct pvhv_smp_stats s0 = pvhv_smp_stats;
	struct qspinlock_stats d;
	u64 halts, kicks;

	if (!smp_on(t, PVHV_SMP_KICK))
		return;
	KT_EXPECT(t, pv_ops.lock.queued_spin_lock_slowpath == pv_queued_spin_lock_slowpath);
	KT_EXPECT(t, pv_ops.lock.spin_unlock.func == __pv_cs_pv_queued_spin_unlock);
	KT_EXPECT(t, pv_ops.lock.wait == pvhv_lock_wait);
	KT_EXPECT(t, pv_ops.lock.kick == pvhv_lock_kick);
	if (!lock_contend(t, LOCK_API, 1000000, &d))
		return;
	halts = smp_stats_read(&pvhv_smp_stats.halts) - s0.halts;
	kicks = smp_stats_read(&pvhv_smp_stats.kicks) - s0.kicks;
	KT_EXPECTF(t, d.waits > 0 && d.kicks > 0 && halts > 0 && kicks == d.kicks,
		   "lock waits %llu, kicks %llu; pvhv halts %llu, PVHV_HC_KICKs %llu",
		   (unsigned long long)d.waits, (unsigned long long)d.kicks,
		   (unsigned long long)halts, (unsigned long long)kicks);
	KT_EXPECT(t, smp_stats_read(&pvhv_smp_stats.kicks_refused) == s0.kicks_refused);
	printk("# %s: pvhv halts %llu, PVHV_HC_KICKs %llu\n", t->name,
	       (unsigned long long)halts, (unsigned long long)kicks);
}

static void nothing(void *arg) { (void)arg; }

/* send_ipi: a call-function round to every other CPU is one
 * PVHV_HC_SEND_IPI delivering to each of them, and no ICR write. */
KTEST(pvhv_send_ipi_one_hypercall_a_round)
{
	cpumask_t others;
	u64 h0, d0, i0, h, d, i;

	if (!smp_on(t, PVHV_SMP_SEND_IPI) || !(others = other_cpus(t)))
		return;
	KT_EXPECT(t, pv_ops.apic.send_ipi_mask == pvhv_send_ipi_mask);
	h0 = smp_stats_read(&smp_stats.ipi_hcalls);
	d0 = smp_stats_read(&smp_stats.ipi_hcall);
	i0 = smp_stats_read(&smp_stats.ipi_icr);
	KT_EXPECT(t, smp_call_function(others, nothing, NULL) == 0);
	h = smp_stats_read(&smp_stats.ipi_hcalls) - h0;
	d = smp_stats_read(&smp_stats.ipi_hcall) - d0;
	i = smp_stats_read(&smp_stats.ipi_icr) - i0;
	KT_EXPECTF(t, h == 1 && d == smp_stats_cpus(others) && i == 0,
		   "%llu hypercalls delivering %llu, %llu ICR writes; 1, %llu and 0 wanted",
		   (unsigned long long)h, (unsigned long long)d, (unsigned long long)i,
		   (unsigned long long)smp_stats_cpus(others));
}

/* yield: lock.yield_to is pvhv's, and a yield to another CPU is one
 * hypercall, which pvhv ran and accepted: this vCPU's own count (read with
 * GET_STATS, interrupts off between) moves by two, the yield and the
 * second read. */
KTEST(pvhv_yield_to_is_one_hypercall)
{
	static struct pvhv_stats before, after;
	unsigned long flags;
	cpumask_t others;
	u64 y0, n;

	if (!smp_on(t, PVHV_SMP_YIELD) || !(others = other_cpus(t)))
		return;
	KT_EXPECT(t, pv_ops.lock.yield_to == pvhv_yield_to);
	flags = arch_local_irq_save();
	y0 = smp_stats_read(&smp_stats.yield_hcalls);
	pvhv_call(PVHV_HC_GET_STATS, __pa(&before), sizeof(before), pvhv_vcpu_id());
	yield_to(31 - __builtin_clz(others));
	pvhv_call(PVHV_HC_GET_STATS, __pa(&after), sizeof(after), pvhv_vcpu_id());
	y0 = smp_stats_read(&smp_stats.yield_hcalls) - y0;
	arch_local_irq_restore(flags);
	n = after.count[PVHV_STAT_HYPERCALLS] - before.count[PVHV_STAT_HYPERCALLS];
	KT_EXPECT(t, before.vcpus == 1 && y0 == 1);
	KT_EXPECTF(t, n == 2 && after.count[PVHV_STAT_HC_ERRORS] == before.count[PVHV_STAT_HC_ERRORS],
		   "(%llu hypercalls, %llu refused)", (unsigned long long)n,
		   (unsigned long long)(after.count[PVHV_STAT_HC_ERRORS] -
					before.count[PVHV_STAT_HC_ERRORS]));
}

/* pvoff=kick,send_ipi,yield (or KVM's twins in use): not pvhv's ops. */
KTEST(pvhv_smp_features_off_not_in_slots)
{
	bool any = false;

	if (!on_pvhv(t))
		return;
	if (pvhv_smp_feature(PVHV_SMP_KICK) != PVHV_SMP_ON) {
		KT_EXPECT(t, pv_ops.lock.wait != pvhv_lock_wait);
		KT_EXPECT(t, pv_ops.lock.kick != pvhv_lock_kick);
		any = true;
	}
	if (pvhv_smp_feature(PVHV_SMP_SEND_IPI) != PVHV_SMP_ON) {
		KT_EXPECT(t, pv_ops.apic.send_ipi_mask != pvhv_send_ipi_mask);
		any = true;
	}
	if (pvhv_smp_feature(PVHV_SMP_YIELD) != PVHV_SMP_ON) {
		KT_EXPECT(t, pv_ops.lock.yield_to != pvhv_yield_to);
		any = true;
	}
	if (!any)
		KT_SKIP(t, "every pvhv SMP feature on");
}
