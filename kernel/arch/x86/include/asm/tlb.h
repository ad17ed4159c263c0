/*
 * tlb.h - the native TLB shootdown: an IPI on TLB_FLUSH_VECTOR to each
 * other CPU of the set, each flushes and answers (kernel/arch/x86/tlb.c).
 */
#ifndef ASM_TLB_H
#define ASM_TLB_H

#include <pv_ops.h>

/* How long a shootdown waits for every CPU to answer before it panics
 * (a CPU that kept a stale translation is a broken invariant): TCG under
 * overcommit is slow, a live CPU never takes this long. */
#define TLB_SHOOTDOWN_TIMEOUT_NS (10000000000ull)

/*
 * native_flush_tlb_multi - mmu.flush_tlb_multi on bare metal: counts the
 * shootdown, then native_flush_tlb_others. `cpus` must not hold the
 * caller (panics): flush_tlb_range flushes it itself.
 */
void native_flush_tlb_multi(cpumask_t cpus, const struct flush_tlb_info *info);

/*
 * native_flush_tlb_others - every online CPU in `cpus` (not the caller)
 * flushes what info says: one TLB_FLUSH_VECTOR IPI each through
 * apic.send_ipi_mask, then wait for each to answer (yielding to a
 * preempted one: smp_wait_answers), at most TLB_SHOOTDOWN_TIMEOUT_NS,
 * else panic. One shootdown at a time; a CPU waiting for its turn answers
 * the one in flight itself, so interrupts may be off. The part of the
 * op a hypervisor's flush_tlb_multi keeps for the CPUs it must interrupt.
 */
void native_flush_tlb_others(cpumask_t cpus, const struct flush_tlb_info *info);

/* tlb_smp_init - take TLB_FLUSH_VECTOR (smp_init, on the boot CPU). */
void tlb_smp_init(void);

#endif /* ASM_TLB_H */
