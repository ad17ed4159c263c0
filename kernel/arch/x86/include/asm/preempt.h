/*
 * preempt.h - whether this CPU's running thread may be switched out by
 * an interrupt (the timer's round robin, a wake's IPI: kernel/sched.c).
 *
 * A per-CPU count, as Linux's preempt_count: spin_lock raises it and
 * spin_unlock lowers it, so a thread is never preempted while it holds
 * a spinlock or waits for one (a queued lock's per-CPU wait node stays
 * that thread's until it has the lock). The scheduler switches at an
 * interrupt's end only where the count is 0. One instruction each, on
 * this CPU's own area through GS: no lock, no atomic needed, since only
 * this CPU writes it and an interrupt leaves it as it found it.
 */
#ifndef ASM_PREEMPT_H
#define ASM_PREEMPT_H

#include <types.h>
#include <asm/smp.h>

#define PERCPU_PREEMPT_COUNT __builtin_offsetof(struct percpu, preempt_count)

/* preempt_disable - no switch away from this thread until the matching
 * preempt_enable. Nests. Valid from smp_boot_cpu_early on. */
static inline void preempt_disable(void)
{
	__asm__ volatile("incl %%gs:%c0" : : "i"(PERCPU_PREEMPT_COUNT) : "memory");
}

/* preempt_enable - undo one preempt_disable. A switch asked for
 * meanwhile happens at the next interrupt's end (the next tick at the
 * latest), not here: an unlock never schedules. */
static inline void preempt_enable(void)
{
	__asm__ volatile("decl %%gs:%c0" : : "i"(PERCPU_PREEMPT_COUNT) : "memory");
}

/* preempt_count - this CPU's count: 0 where a switch may happen. */
static inline int preempt_count(void)
{
	int n;

	__asm__ volatile("movl %%gs:%c1, %0" : "=r"(n) : "i"(PERCPU_PREEMPT_COUNT));
	return n;
}

#endif /* ASM_PREEMPT_H */
