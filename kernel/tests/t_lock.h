/*
 * t_lock.h - the lock contention run the lock tests share (t_lock.c):
 * t_kvm.c runs it to see KVM's wait and kick engaged.
 */
#ifndef PVK_T_LOCK_H
#define PVK_T_LOCK_H

#include <ktest.h>
#include <spinlock.h>

/* How a contention run takes and drops its lock. */
enum lock_way {
	LOCK_API,         /* spin_lock/spin_unlock: what the platform installed */
	LOCK_PV_DIRECT,   /* the pv slow path and unlock called directly */
};

/*
 * lock_contend - every online CPU at once (smp_call_function) increments
 * one counter under one lock, for a fixed time, up to `iters` times each;
 * the
 * test fails unless the counter is exactly the sum of the increments and
 * every CPU answered. Skips (false) with one CPU. *delta gets what the
 * run added to the slow-path counters.
 */
bool lock_contend(struct ktest_ctx *t, enum lock_way way, u32 iters,
		  struct qspinlock_stats *delta);

#endif /* PVK_T_LOCK_H */
