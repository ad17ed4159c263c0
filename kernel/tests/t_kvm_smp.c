/*
 * t_kvm_smp.c - KVM's SMP features really taken, each by the counters of
 * the path it took (smp_stats.h), and with pvoff=NAME the native path:
 *   pv_send_ipi     a call-function round to every other CPU is one
 *                   KVM_HC_SEND_IPI, no ICR write;
 *   pv_sched_yield  waiting for a CPU whose vCPU reads as preempted is a
 *                   KVM_HC_SCHED_YIELD;
 *   pv_tlb_flush    a shootdown of a CPU whose vCPU reads as preempted
 *                   marks its steal record FLUSH_TLB instead of an IPI.
 * "Reads as preempted" is made so here: the test writes KVM_VCPU_PREEMPTED
 * into the target's steal record, as t_kvm.c does for vcpu_is_preempted.
 * The host clears that byte whenever it updates the record (the target's
 * vCPU being scheduled in), so each such test tries a few times.
 */
#include <ktest.h>
#include <paging.h>
#include <paravirt.h>
#include <smp_stats.h>
#include <pv/kvm.h>
#include <pv/pvhv.h>
#include <pvops/native.h>
#include <asm/apic.h>
#include <asm/layout.h>
#include <asm/smp.h>
#include <asm/tlb.h>
#include <asm/processor.h>

#define NS_PER_MS 1000000ull
#define SLOW_CALL_NS (5 * NS_PER_MS)   /* long enough to be waited for */
#define TRIES 3

/* Is feature f in state `want`? If not, skip saying what it is. */
static bool state_is(struct ktest_ctx *t, enum kvm_feat f, enum kvm_feat_state want)
{
	static const char *const why[] = {
		[KVM_ABSENT] = "feature absent",
		[KVM_OFF] = "feature off (pvoff)",
		[KVM_ON] = "feature on",
		[KVM_REFUSED] = "feature refused",
		[KVM_OFFERED] = "feature offered, not used (one CPU)",
	};
	enum kvm_feat_state s = kvm_feature(f);

	if (s == want)
		return true;
	KT_SKIP(t, why[s]);
	return false;
}

/* The highest online CPU but this one; -1 (and skipped) if none. */
static int other_cpu(struct ktest_ctx *t)
{
	cpumask_t others = smp_online_mask() & ~(1u << smp_processor_id());

	if (!others) {
		KT_SKIP(t, "one CPU online");
		return -1;
	}
	return 31 - __builtin_clz(others);
}

static void nothing(void *arg) { (void)arg; }

/* Keep the CPU busy SLOW_CALL_NS in the call, so the caller waits. */
static void slow(void *arg)
{
	u64 t0 = sched_clock();

	(void)arg;
	while (sched_clock() - t0 < SLOW_CALL_NS)
		cpu_relax();
}

/* Make cpu's vCPU read as preempted (or not), through its steal record;
 * false when it has none (steal time off). */
static bool fake_preempted(int cpu, bool on)
{
	struct kvm_steal_time *st = kvm_steal_time_of[cpu];

	if (!st || kvm_feature(KVM_F_STEAL_TIME) != KVM_ON)
		return false;
	__atomic_store_n(&st->preempted, on ? KVM_VCPU_PREEMPTED : 0, __ATOMIC_SEQ_CST);
	return true;
}

/* A call-function round to every other CPU: `hcalls` KVM_HC_SEND_IPI
 * delivering one IPI each, and `icr` ICR writes. */
static void expect_round(struct ktest_ctx *t, u64 hcalls, u64 icr)
{
	cpumask_t others = smp_online_mask() & ~(1u << smp_processor_id());
	u64 h0 = smp_stats_read(&smp_stats.ipi_hcalls), d0 = smp_stats_read(&smp_stats.ipi_hcall);
	u64 i0 = smp_stats_read(&smp_stats.ipi_icr), h, d, i;

	KT_EXPECT(t, smp_call_function(others, nothing, NULL) == 0);
	h = smp_stats_read(&smp_stats.ipi_hcalls) - h0;
	d = smp_stats_read(&smp_stats.ipi_hcall) - d0;
	i = smp_stats_read(&smp_stats.ipi_icr) - i0;
	KT_EXPECTF(t, h == hcalls && d == (hcalls ? smp_stats_cpus(others) : 0) && i == icr,
		   "%llu hypercalls delivering %llu, %llu ICR writes; %llu, %llu and %llu wanted",
		   (unsigned long long)h, (unsigned long long)d, (unsigned long long)i,
		   (unsigned long long)hcalls,
		   (unsigned long long)(hcalls ? smp_stats_cpus(others) : 0),
		   (unsigned long long)icr);
}

KTEST(kvm_pv_send_ipi_one_hypercall_a_round)
{
	if (!state_is(t, KVM_F_PV_SEND_IPI, KVM_ON) || other_cpu(t) < 0)
		return;
	KT_EXPECT(t, pv_ops.apic.send_ipi_mask == kvm_send_ipi_mask);
	expect_round(t, 1, 0);
}

/* Wait for `cpu` made to read as preempted, running slow(): the yields
 * asked and the yield hypercalls made meanwhile, the most of TRIES. */
static void wait_for_preempted(int cpu, u64 *asks, u64 *hcalls)
{
	*asks = *hcalls = 0;
	for (int i = 0; i < TRIES && !*asks; i++) {
		u64 a0 = smp_stats_read(&smp_stats.yield_asks);
		u64 h0 = smp_stats_read(&smp_stats.yield_hcalls);

		fake_preempted(cpu, true);
		smp_call_function(1u << cpu, slow, NULL);
		fake_preempted(cpu, false);
		*asks = smp_stats_read(&smp_stats.yield_asks) - a0;
		*hcalls = smp_stats_read(&smp_stats.yield_hcalls) - h0;
	}
}

KTEST(kvm_pv_sched_yield_to_a_preempted_cpu)
{
	int cpu;
	u64 asks, hcalls;

	if (!state_is(t, KVM_F_PV_SCHED_YIELD, KVM_ON) || (cpu = other_cpu(t)) < 0)
		return;
	KT_EXPECT(t, pv_ops.lock.yield_to == kvm_yield_to);
	wait_for_preempted(cpu, &asks, &hcalls);
	KT_EXPECTF(t, asks > 0 && hcalls == asks,
		   "%llu yields asked, %llu KVM_HC_SCHED_YIELD made",
		   (unsigned long long)asks, (unsigned long long)hcalls);
}

/* Shoot `cpu` down, made to read as preempted: how many were left to the
 * host and how many IPIs went, on the first try that left it to the host
 * (else the last of TRIES: the host may clear the byte first); *marked
 * whether the record then held FLUSH_TLB, *consumed whether the host had
 * cleared the byte already. */
static void shoot_preempted(int cpu, u64 *deferred, u64 *ipis, bool *marked,
			    bool *consumed)
{
	struct kvm_steal_time *st = kvm_steal_time_of[cpu];
	/* an address nobody maps: only the path taken matters here */
	unsigned long va = fixmap_addr(FIX_TEST1);

	for (int i = 0; i < TRIES; i++) {
		u64 d0 = smp_stats_read(&smp_stats.tlb_deferred);
		u64 i0 = smp_stats_read(&smp_stats.tlb_ipis);

		fake_preempted(cpu, true);
		flush_tlb_range(1u << cpu, va, va + PAGE_SIZE);
		/* marked, or already consumed: the host clears the byte
		 * (flushing first, since it was marked) when it schedules
		 * the vCPU in, which may come before this read */
		u8 b = st ? __atomic_load_n(&st->preempted, __ATOMIC_SEQ_CST) : KVM_VCPU_PREEMPTED;
		*marked = b & KVM_VCPU_FLUSH_TLB;
		*consumed = b == 0;
		fake_preempted(cpu, false);
		*deferred = smp_stats_read(&smp_stats.tlb_deferred) - d0;
		*ipis = smp_stats_read(&smp_stats.tlb_ipis) - i0;
		if (*deferred)
			break;
	}
	/* the mark was a test's: flush it for real */
	flush_tlb_range(1u << cpu, va, va + PAGE_SIZE);
}

KTEST(kvm_pv_tlb_flush_leaves_preempted_to_host)
{
	int cpu;
	u64 deferred, ipis;
	bool marked, consumed;

	if (!state_is(t, KVM_F_PV_TLB_FLUSH, KVM_ON) || (cpu = other_cpu(t)) < 0)
		return;
	KT_EXPECT(t, pv_ops.mmu.flush_tlb_multi == kvm_flush_tlb_multi);
	shoot_preempted(cpu, &deferred, &ipis, &marked, &consumed);
	KT_EXPECTF(t, deferred == 1 && ipis == 0 && (marked || consumed),
		   "%llu left to the host, %llu IPIs, FLUSH_TLB %s",
		   (unsigned long long)deferred, (unsigned long long)ipis,
		   marked ? "set" : consumed ? "consumed by the host" : "not set");
	/* a running one still gets its IPI */
	u64 i0 = smp_stats_read(&smp_stats.tlb_ipis);
	flush_tlb_range(1u << cpu, 0, TLB_FLUSH_ALL);
	KT_EXPECT(t, smp_stats_read(&smp_stats.tlb_ipis) - i0 == 1);
}

/* With pvoff= of the three: the native op in each slot and its path
 * taken even where the KVM one would have been (a preempted target). */
KTEST(kvm_smp_pvoff_native_paths)
{
	int cpu, off = 0;

	if ((cpu = other_cpu(t)) < 0)
		return;
	/* off, and not taken by pvhv's twin instead (pvhv.c) */
	if (kvm_feature(KVM_F_PV_SEND_IPI) == KVM_OFF &&
	    pvhv_smp_feature(PVHV_SMP_SEND_IPI) != PVHV_SMP_ON) {
		off++;
		KT_EXPECT(t, pv_ops.apic.send_ipi_mask == apic->send_ipi_mask);
		expect_round(t, 0, smp_stats_cpus(smp_online_mask()) - 1);
	}
	if (kvm_feature(KVM_F_PV_SCHED_YIELD) == KVM_OFF &&
	    pvhv_smp_feature(PVHV_SMP_YIELD) != PVHV_SMP_ON) {
		u64 asks, hcalls;

		off++;
		KT_EXPECT(t, pv_ops.lock.yield_to == (void (*)(int))pv_nop);
		wait_for_preempted(cpu, &asks, &hcalls);
		KT_EXPECTF(t, hcalls == 0, "%llu KVM_HC_SCHED_YIELD made (%llu asked)",
			   (unsigned long long)hcalls, (unsigned long long)asks);
	}
	if (kvm_feature(KVM_F_PV_TLB_FLUSH) == KVM_OFF) {
		u64 deferred, ipis;
		bool marked, consumed;

		off++;
		KT_EXPECT(t, pv_ops.mmu.flush_tlb_multi == native_flush_tlb_multi);
		shoot_preempted(cpu, &deferred, &ipis, &marked, &consumed);
		KT_EXPECTF(t, deferred == 0 && ipis == 1 && !marked,
			   "%llu left to the host, %llu IPIs (the last try's)",
			   (unsigned long long)deferred, (unsigned long long)ipis);
	}
	if (!off)
		KT_SKIP(t, "none of pv_send_ipi, pv_sched_yield, pv_tlb_flush off by pvoff= "
			   "(and left native)");
}
