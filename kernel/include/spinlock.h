/*
 * spinlock.h - the kernel's spinlock API: a queued spinlock, as Linux's
 * qspinlock (include/asm-generic/qspinlock*.h, kernel/locking/).
 *
 * The lock is one 32-bit word:
 *
 *   bits  0.. 7  locked   Q_LOCKED_VAL while held; Q_SLOW_VAL while held
 *                         and a waiter halted (the pv slow path only)
 *   bits  8.. 15 pending  native: the first waiter, spinning on `locked`
 *                         without a queue node; pv: the queue's head is
 *                         spinning (so nobody steals the lock)
 *   bits 16..17  tail idx which of the tail CPU's nodes (nesting level)
 *   bits 18..31  tail cpu the last queued waiter's CPU + 1 (0: no queue)
 *
 * Taking a free lock is one compare-and-exchange here, inline; anything
 * else goes through the pv op lock.queued_spin_lock_slowpath
 * (kernel/qspinlock.c: natively an MCS queue, each waiter spinning on its
 * own per-CPU node; paravirtualized the same queue, but a waiter that has
 * spun long enough halts its vCPU and is kicked awake). Releasing is the
 * callee-save op lock.spin_unlock on the locked byte: natively patched to
 * the single `movb $0,(%rdi)`, paravirtualized a call that also kicks a
 * halted waiter.
 *
 * Holding a lock, or waiting for one, keeps this CPU's thread from being
 * preempted (asm/preempt.h): spin_lock raises the preempt count before
 * it tries, spin_unlock lowers it after the release. Without it a thread
 * preempted mid-queue would leave its CPU's MCS node to the next thread.
 */
#ifndef PVK_SPINLOCK_H
#define PVK_SPINLOCK_H

#include <paravirt.h>
#include <types.h>
#include <asm/preempt.h>
#include <asm/processor.h>

typedef struct qspinlock {
	union {
		u32 val;
		struct {
			u8 locked;
			u8 pending;
		};
		struct {
			u16 locked_pending;
			u16 tail;
		};
	};
} spinlock_t;

#define Q_LOCKED_OFFSET   0
#define Q_LOCKED_BITS     8
#define Q_LOCKED_MASK     (((1u << Q_LOCKED_BITS) - 1) << Q_LOCKED_OFFSET)
#define Q_PENDING_OFFSET  8
#define Q_PENDING_BITS    8
#define Q_PENDING_MASK    (((1u << Q_PENDING_BITS) - 1) << Q_PENDING_OFFSET)
#define Q_TAIL_IDX_OFFSET 16
#define Q_TAIL_IDX_BITS   2
#define Q_TAIL_IDX_MASK   (((1u << Q_TAIL_IDX_BITS) - 1) << Q_TAIL_IDX_OFFSET)
#define Q_TAIL_CPU_OFFSET 18
#define Q_TAIL_CPU_BITS   14
#define Q_TAIL_CPU_MASK   (((1u << Q_TAIL_CPU_BITS) - 1) << Q_TAIL_CPU_OFFSET)
#define Q_TAIL_MASK       (Q_TAIL_IDX_MASK | Q_TAIL_CPU_MASK)
#define Q_LOCKED_PENDING_MASK (Q_LOCKED_MASK | Q_PENDING_MASK)

#define Q_LOCKED_VAL      (1u << Q_LOCKED_OFFSET)
#define Q_PENDING_VAL     (1u << Q_PENDING_OFFSET)
#define Q_SLOW_VAL        (3u << Q_LOCKED_OFFSET)   /* held, a waiter halted */
#define Q_MAX_NODES       (1u << Q_TAIL_IDX_BITS)   /* nesting: thread, irq, ... */

_Static_assert(sizeof(spinlock_t) == 4, "one 32-bit word");
_Static_assert(__builtin_offsetof(spinlock_t, locked) == 0,
	       "lock.spin_unlock stores to the lock's first byte");

#define SPINLOCK_INIT { { 0 } }

static inline void spin_lock_init(spinlock_t *l) { __atomic_store_n(&l->val, 0, __ATOMIC_RELAXED); }

/* queued_spin_trylock - take the lock if it is free and nobody queues:
 * true when taken. */
static inline bool queued_spin_trylock(spinlock_t *l)
{
	u32 val = __atomic_load_n(&l->val, __ATOMIC_RELAXED);

	if (val)
		return false;
	return __atomic_compare_exchange_n(&l->val, &val, Q_LOCKED_VAL, false,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static inline void spin_lock(spinlock_t *l)
{
	u32 val = 0;

	preempt_disable();
	if (__builtin_expect(__atomic_compare_exchange_n(&l->val, &val, Q_LOCKED_VAL, false,
							 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED), 1))
		return;
	queued_spin_lock_slowpath(l, val);
}

static inline bool spin_trylock(spinlock_t *l)
{
	preempt_disable();
	if (queued_spin_trylock(l))
		return true;
	preempt_enable();
	return false;
}

static inline void spin_unlock(spinlock_t *l)
{
	pv_spin_unlock(&l->locked);   /* a compiler barrier: the site clobbers memory */
	preempt_enable();
}

/* spin_is_locked - held right now (for assertions and tests). */
static inline bool spin_is_locked(spinlock_t *l)
{
	return __atomic_load_n(&l->locked, __ATOMIC_RELAXED) != 0;
}

/* With this CPU's interrupts off while held: for data an interrupt
 * handler also takes. Returns the flags spin_unlock_irqrestore wants. */
static inline unsigned long spin_lock_irqsave(spinlock_t *l)
{
	unsigned long flags = arch_local_irq_save();

	spin_lock(l);
	return flags;
}

static inline void spin_unlock_irqrestore(spinlock_t *l, unsigned long flags)
{
	spin_unlock(l);
	arch_local_irq_restore(flags);
}

/* --- the slow paths (kernel/qspinlock.c) ------------------------------- */

/*
 * qspinlock_native_slowpath - Linux's: a lone waiter sets the
 * pending bit and spins on the locked byte; others queue on their per-CPU
 * MCS node, each spinning on its own node until its predecessor hands it
 * the head, and the head spins on the lock word. `val` is the word the
 * fast path saw. Returns with the lock held. After smp_init (the nodes
 * are per CPU).
 */
void qspinlock_native_slowpath(spinlock_t *lock, u32 val);

/*
 * pv_queued_spin_lock_slowpath - the same queue, for vCPUs that may not
 * run: a newcomer takes a free lock whose head is not spinning (a
 * running vCPU uses the lock while the head's vCPU is out); a queued
 * waiter spins PV_SPIN_THRESHOLD times (less when its predecessor's vCPU
 * is preempted), then marks its node halted and calls lock.wait on it;
 * the head spins with the pending byte set (no stealing meanwhile), then
 * clears it, says which lock it waits on, turns the locked byte into
 * Q_SLOW_VAL and waits the same way. Whoever hands over or releases kicks
 * (lock.kick) the one halted.
 * Installed by a platform (with pv_queued_spin_unlock) or by
 * qspinlock=pv.
 */
void pv_queued_spin_lock_slowpath(spinlock_t *lock, u32 val);

/* pv_queued_spin_unlock - release, and kick the head waiter when it
 * halted (the locked byte was Q_SLOW_VAL); panics when not held. As the
 * callee-save op lock.spin_unlock: __pv_cs_pv_queued_spin_unlock. */
void pv_queued_spin_unlock(u8 *locked);
PV_CALLEE_SAVE_DECLARE(pv_queued_spin_unlock);

/* qspinlock_native_wait - lock.wait for the native platform (used only
 * with qspinlock=pv): spin while *ptr == val, a bounded while (a return
 * while unchanged is a spurious wake-up, which callers allow). Its kick is
 * pv_nop: a spinning waiter needs no wake-up. */
void qspinlock_native_wait(u8 *ptr, u8 val);

/* What the slow paths did, per CPU: read by self-tests and bench=lock. */
struct qspinlock_stats {
	u64 slowpaths;    /* slow path entered */
	u64 waits;        /* lock.wait called (a halt, on a hypervisor) */
	u64 kicks;        /* lock.kick called */
	u64 preempted;    /* spinning cut short: the predecessor's vCPU preempted */
	u64 steals;       /* pv: taken before queueing while the head halted */
};

/* qspinlock_stats_sum - the counters of every CPU, added up. */
struct qspinlock_stats qspinlock_stats_sum(void);

#endif /* PVK_SPINLOCK_H */
