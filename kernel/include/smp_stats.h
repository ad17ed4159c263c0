/*
 * smp_stats.h - what the IPI, TLB-shootdown and yield paths did, counted
 * where each path takes its branch (the native ops and KVM's), so the
 * self-tests can tell which one engaged and the benchmarks can put the
 * work next to the exits the host counted. Counts only grow; read them
 * before and after.
 */
#ifndef PVK_SMP_STATS_H
#define PVK_SMP_STATS_H

#include <types.h>

struct smp_stats {
	u64 ipi_icr;         /* IPIs sent by an ICR write each (send_ipi_mask) */
	u64 ipi_hcall;       /* IPIs KVM_HC_SEND_IPI (or pvhv's) said it delivered */
	u64 ipi_hcalls;      /* KVM_HC_SEND_IPI (or PVHV_HC_SEND_IPI) hypercalls made */
	u64 tlb_shootdowns;  /* flush_tlb_multi calls (with a CPU in the set) */
	u64 tlb_ipis;        /* CPUs a shootdown interrupted with an IPI */
	u64 tlb_deferred;    /* CPUs left to the host: preempted, marked FLUSH_TLB */
	u64 yield_asks;      /* yield_to calls from a wait for a preempted CPU */
	u64 yield_hcalls;    /* KVM_HC_SCHED_YIELD (or PVHV_HC_YIELD) hypercalls made */
};

/* Every CPU's, in one place (kernel/arch/x86/tlb.c). */
extern struct smp_stats smp_stats;

/* smp_stats_add - add n to counter c, from any CPU. */
static inline void smp_stats_add(u64 *c, u64 n)
{
	__atomic_fetch_add(c, n, __ATOMIC_RELAXED);
}

/* smp_stats_read - one counter, as it stands. */
static inline u64 smp_stats_read(const u64 *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

/* smp_stats_cpus - how many CPUs a cpumask_t holds (no popcount
 * instruction assumed, no libgcc). */
static inline u64 smp_stats_cpus(u32 mask)
{
	u64 n = 0;

	for (; mask; mask &= mask - 1)
		n++;
	return n;
}

#endif /* PVK_SMP_STATS_H */
