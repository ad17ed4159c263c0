/*
 * t_ipi.c - self-tests of IPIs to a set (apic.send_ipi_mask) and of the
 * TLB shootdown (flush_tlb_range over mmu.flush_tlb_multi), whatever the
 * platform put behind them: what must hold is what every CPU saw, and
 * that the counters of the paths taken add up (smp_stats.h). Which path
 * a hypervisor took is t_kvm_smp.c's.
 */
#include <ktest.h>
#include <mm.h>
#include <paging.h>
#include <paravirt.h>
#include <smp_stats.h>
#include <trap.h>
#include <asm/apic.h>
#include <asm/irq_vectors.h>
#include <asm/layout.h>
#include <asm/smp.h>
#include <asm/processor.h>

#define NS_PER_MS 1000000ull
#define IPI_WAIT_NS (2000 * NS_PER_MS)   /* TCG, overcommitted: generous */

/* False, and the test skipped, with fewer than two CPUs online. */
static bool two_cpus(struct ktest_ctx *t)
{
	cpumask_t online = smp_online_mask();

	if (!(online & (online - 1))) {
		KT_SKIP(t, "one CPU online: no other CPU to send to");
		return false;
	}
	return true;
}

/* --- send_ipi_mask --------------------------------------------------- */

static u32 ipi_counts[SMP_MAX_CPUS];

static void count_ipi(void)
{
	__atomic_fetch_add(&ipi_counts[smp_processor_id()], 1, __ATOMIC_RELAXED);
	apic_eoi();
}

/* TEST_IPI_VECTOR to `mask` through apic.send_ipi_mask: every CPU in it
 * takes it exactly once, no other CPU does, and the ICR writes plus the
 * IPIs a hypercall delivered are the targets, one each. This CPU, when in
 * the set, takes its own with interrupts on while it waits. */
static void expect_ipi(struct ktest_ctx *t, cpumask_t mask)
{
	u64 icr = smp_stats_read(&smp_stats.ipi_icr);
	u64 hc = smp_stats_read(&smp_stats.ipi_hcall);
	u64 t0, sent;
	unsigned long flags;
	bool all;

	__builtin_memset(ipi_counts, 0, sizeof(ipi_counts));
	irq_register(TEST_IPI_VECTOR, count_ipi);
	flags = arch_local_irq_save();
	apic_send_ipi_mask(mask, TEST_IPI_VECTOR);
	arch_local_irq_enable();
	t0 = sched_clock();
	do {
		all = true;
		for (int i = 0; i < SMP_MAX_CPUS; i++)
			if ((mask >> i & 1) && !__atomic_load_n(&ipi_counts[i], __ATOMIC_RELAXED))
				all = false;
		cpu_relax();
	} while (!all && sched_clock() - t0 < IPI_WAIT_NS);
	arch_local_irq_restore(flags);
	for (int i = 0; i < SMP_MAX_CPUS; i++) {
		u32 want = mask >> i & 1;
		u32 got = __atomic_load_n(&ipi_counts[i], __ATOMIC_RELAXED);

		KT_EXPECTF(t, got == want, "CPU %d took it %u times, %u wanted (mask %#x)",
			   i, got, want, mask);
	}
	sent = smp_stats_read(&smp_stats.ipi_icr) - icr + smp_stats_read(&smp_stats.ipi_hcall) - hc;
	KT_EXPECTF(t, sent == smp_stats_cpus(mask), "%llu IPIs counted (ICR and hypercall), %llu targets",
		   (unsigned long long)sent, (unsigned long long)smp_stats_cpus(mask));
}

/* One other CPU: the highest online one. */
KTEST(ipi_mask_to_one)
{
	if (two_cpus(t))
		expect_ipi(t, 1u << (31 - __builtin_clz(smp_online_mask())));
}

/* A set: the odd-numbered CPUs, so on four CPUs 0 and 2 must not take it. */
KTEST(ipi_mask_to_a_set)
{
	if (two_cpus(t))
		expect_ipi(t, smp_online_mask() & 0xaaaaaaaau);
}

/* Every online CPU, this one included. */
KTEST(ipi_mask_to_all)
{
	if (two_cpus(t))
		expect_ipi(t, smp_online_mask());
}

/* --- TLB shootdown ----------------------------------------------------- */

#define TLB_OLD_VALUE 0x01d01d01u
#define TLB_NEW_VALUE 0x0e110e11u

static u32 tlb_seen[SMP_MAX_CPUS];

static void read_test_page(void *va)
{
	tlb_seen[smp_processor_id()] = *(volatile u32 *)va;
}

/* Every online CPU reads va (by IPI; this one itself): each must see want. */
static void expect_every_cpu_reads(struct ktest_ctx *t, u64 va, u32 want, const char *when)
{
	cpumask_t online = smp_online_mask(), missed;

	__builtin_memset(tlb_seen, 0, sizeof(tlb_seen));
	missed = smp_call_function(online, read_test_page, (void *)va);
	KT_EXPECTF(t, missed == 0, "CPUs %#x did not read (%s)", missed, when);
	for (int i = 0; i < SMP_MAX_CPUS; i++)
		if (online >> i & 1)
			KT_EXPECTF(t, tlb_seen[i] == want, "CPU %d read %#x, %#x wanted %s",
				   i, tlb_seen[i], want, when);
}

/*
 * A page mapped at a fixmap address, read by every CPU (so each caches
 * the translation), then remapped to another frame and shot down on
 * every CPU: each must read the new frame. The shot-down CPUs are each
 * an IPI or a flush left to the host, one per CPU (counters).
 */
static void shootdown_test(struct ktest_ctx *t, bool whole)
{
	u64 va = fixmap_addr(FIX_TEST1);
	phys_addr_t a = alloc_page(), b = alloc_page();
	cpumask_t online = smp_online_mask();
	u64 ipis = smp_stats_read(&smp_stats.tlb_ipis);
	u64 deferred = smp_stats_read(&smp_stats.tlb_deferred);
	u64 n;

	*(volatile u32 *)__va(a) = TLB_OLD_VALUE;
	*(volatile u32 *)__va(b) = TLB_NEW_VALUE;
	KT_EXPECT(t, map_page(kernel_pml4, va, a, PTE_PRESENT | PTE_WRITE | PTE_NX) == 0);
	flush_tlb_range(online, 0, TLB_FLUSH_ALL);   /* nobody remembers an older one */
	expect_every_cpu_reads(t, va, TLB_OLD_VALUE, "before the remap");
	/* map_page flushes this CPU only: the others keep the old frame's
	 * translation until the shootdown */
	KT_EXPECT(t, map_page(kernel_pml4, va, b, PTE_PRESENT | PTE_WRITE | PTE_NX) == 0);
	ipis = smp_stats_read(&smp_stats.tlb_ipis);
	deferred = smp_stats_read(&smp_stats.tlb_deferred);
	if (whole)
		flush_tlb_range(online, 0, TLB_FLUSH_ALL);
	else
		flush_tlb_range(online, va, va + PAGE_SIZE);
	n = smp_stats_read(&smp_stats.tlb_ipis) - ipis +
	    smp_stats_read(&smp_stats.tlb_deferred) - deferred;
	KT_EXPECTF(t, n == smp_stats_cpus(online) - 1,
		   "%llu CPUs shot down (IPI or left to the host), %llu others online",
		   (unsigned long long)n, (unsigned long long)smp_stats_cpus(online) - 1);
	expect_every_cpu_reads(t, va, TLB_NEW_VALUE, "after the remap and the shootdown");
	map_page(kernel_pml4, va, 0, 0);
	flush_tlb_range(online, va, va + PAGE_SIZE);
	free_page(a);
	free_page(b);
}

KTEST(tlb_shootdown_page_seen_by_every_cpu)
{
	if (two_cpus(t))
		shootdown_test(t, false);
}

KTEST(tlb_shootdown_all_seen_by_every_cpu)
{
	if (two_cpus(t))
		shootdown_test(t, true);
}
