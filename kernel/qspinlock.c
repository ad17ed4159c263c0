/*
 * qspinlock.c - the queued spinlock's slow paths (spinlock.h has the
 * word's layout and the fast path): Linux's kernel/locking/qspinlock.c
 * and, simplified, qspinlock_paravirt.h.
 *
 * Each CPU has Q_MAX_NODES MCS queue nodes, one per nesting level (a lock
 * taken in an interrupt while this CPU already waits for another). A
 * waiter that finds the lock contended puts its node's (cpu, idx) in the
 * lock's tail with one exchange; if there was a tail before, it links
 * itself behind that node and spins on its own node's `locked` until the
 * predecessor hands over. Only the head of the queue spins on the lock
 * word itself, so a contended lock costs one cache line per waiter
 * instead of every waiter hammering the lock's.
 *
 * The pv slow path differs where a vCPU that spins may be spinning for a
 * vCPU that does not run (overcommit): it spins a bounded while and then
 * waits (lock.wait: a halt on KVM), and the CPU that hands it the queue
 * head or releases the lock kicks it (lock.kick: a hypercall on KVM).
 * Linux finds the halted head of a lock through a hash table; pvk has at
 * most SMP_MAX_CPUS CPUs and looks at each one's `pv_waiting_on` instead,
 * as Linux's pv ticket locks did (kvm_unlock_kick, Linux 3.x).
 *
 * Generic code: the hypervisor's part is only behind lock.wait and
 * lock.kick, and which slow path runs is the platform's choice.
 */
#include <printk.h>
#include <spinlock.h>
#include <asm/smp.h>

#define PV_SPIN_THRESHOLD   (1u << 12)  /* spins before a pv waiter waits */
#define PV_PREV_CHECK_MASK  0xffu       /* look at the predecessor every 256 */
#define Q_PENDING_LOOPS     (1u << 9)   /* wait out a pending->locked handover */
#define NATIVE_WAIT_LOOPS   (1u << 10)  /* qspinlock_native_wait's bound */

enum qnode_state { QN_RUNNING, QN_HALTED };

struct qnode {
	struct qnode *next;      /* the waiter behind this one */
	u8 locked;               /* 1: the predecessor made this the head */
	u8 state;                /* pv: enum qnode_state */
	u16 cpu;                 /* pv: whose node, for kick and preempted */
	u32 count;               /* node 0 only: nodes in use on this CPU */
};

static struct qnode qnodes[SMP_MAX_CPUS][Q_MAX_NODES] __attribute__((aligned(64)));
static struct qspinlock *pv_waiting_on[SMP_MAX_CPUS];   /* pv: the head's lock */
static struct qspinlock_stats stats[SMP_MAX_CPUS];

_Static_assert(SMP_MAX_CPUS < (1u << Q_TAIL_CPU_BITS), "the tail holds cpu + 1");

static inline u32 encode_tail(int cpu, u32 idx)
{
	return (u32)(cpu + 1) << Q_TAIL_CPU_OFFSET | idx << Q_TAIL_IDX_OFFSET;
}

static inline struct qnode *decode_tail(u32 tail)
{
	u32 cpu = (tail >> Q_TAIL_CPU_OFFSET) - 1;
	u32 idx = (tail & Q_TAIL_IDX_MASK) >> Q_TAIL_IDX_OFFSET;

	if (cpu >= SMP_MAX_CPUS)
		panic("qspinlock: tail %#x names no CPU", tail);
	return &qnodes[cpu][idx];
}

/* Put our tail in the word, keep locked and pending: the old tail. */
static inline u32 xchg_tail(struct qspinlock *lock, u32 tail)
{
	return (u32)__atomic_exchange_n(&lock->tail, (u16)(tail >> Q_TAIL_IDX_OFFSET),
					__ATOMIC_RELEASE) << Q_TAIL_IDX_OFFSET;
}

static inline struct qspinlock_stats *my_stats(void)
{
	return &stats[smp_processor_id()];
}

struct qspinlock_stats qspinlock_stats_sum(void)
{
	struct qspinlock_stats s = { 0 };

	for (int i = 0; i < SMP_MAX_CPUS; i++) {
		s.slowpaths += READ_ONCE(stats[i].slowpaths);
		s.waits += READ_ONCE(stats[i].waits);
		s.kicks += READ_ONCE(stats[i].kicks);
		s.preempted += READ_ONCE(stats[i].preempted);
		s.steals += READ_ONCE(stats[i].steals);
	}
	return s;
}

/* --- pv: waiting, kicking ------------------------------------------------ */

/* Queued behind prev: spin until made head; halt when that takes long,
 * sooner when prev's vCPU is not running (it cannot hand over soon). */
static void pv_wait_node(struct qnode *node, struct qnode *prev)
{
	for (;;) {
		for (u32 loop = PV_SPIN_THRESHOLD; loop; loop--) {
			if (__atomic_load_n(&node->locked, __ATOMIC_ACQUIRE))
				return;
			if (!(loop & PV_PREV_CHECK_MASK) && vcpu_is_preempted(prev->cpu)) {
				my_stats()->preempted++;
				break;
			}
			cpu_relax();
		}
		/* say we halt, then look again (the hand-over stores locked,
		 * then reads state: one of the two sees the other) */
		__atomic_exchange_n(&node->state, QN_HALTED, __ATOMIC_SEQ_CST);
		if (!__atomic_load_n(&node->locked, __ATOMIC_SEQ_CST)) {
			my_stats()->waits++;
			pv_wait(&node->state, QN_HALTED);
		}
		WRITE_ONCE(node->state, QN_RUNNING);
	}
}

/* Made next the head: wake it if it halted. */
static void pv_kick_node(struct qnode *next)
{
	u8 halted = QN_HALTED;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_compare_exchange_n(&next->state, &halted, QN_RUNNING, false,
					__ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) {
		my_stats()->kicks++;
		pv_kick(next->cpu);
	}
}

/* pv: the head spins with the pending byte set, and takes the lock by
 * turning "pending, not locked" into "locked" (Linux's
 * trylock_clear_pending). */
static bool trylock_clear_pending(struct qspinlock *lock)
{
	u16 pending = Q_PENDING_VAL;

	return !READ_ONCE(lock->locked) &&
	       __atomic_compare_exchange_n(&lock->locked_pending, &pending, (u16)Q_LOCKED_VAL,
					   false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

/*
 * pv: before queueing, take the lock if it is free and the queue's head
 * is not spinning for it (pending clear: the head halted, or there is no
 * queue), as Linux's pv_hybrid_queued_unfair_trylock. Under overcommit
 * the head may not run for a while; a fair hand-over would leave the lock
 * idle until it does, while this vCPU, which runs, could use it. The
 * halted head is kicked anyway and gets its turn when it spins again.
 * Bounded (Linux's is not): a holder that does not run must not keep
 * this vCPU spinning here rather than queued, where it may halt.
 */
static bool pv_steal(struct qspinlock *lock)
{
	for (u32 loop = PV_SPIN_THRESHOLD; loop; loop--) {
		u32 val = __atomic_load_n(&lock->val, __ATOMIC_RELAXED);
		u8 free = 0;

		if (!(val & Q_LOCKED_PENDING_MASK) &&
		    __atomic_compare_exchange_n(&lock->locked, &free, Q_LOCKED_VAL, false,
						__ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
			my_stats()->steals++;
			return true;
		}
		if (!(val & Q_TAIL_MASK) || (val & Q_PENDING_MASK))
			return false;       /* no queue, or its head spins: queue */
		cpu_relax();
	}
	return false;
}

/* The head: spin with pending set (no stealing meanwhile) for the lock;
 * when it stays held, clear pending, say which lock this CPU waits on,
 * turn the byte into Q_SLOW_VAL (the unlocker then kicks) and wait while
 * it is. Returns the word, held. */
static u32 pv_wait_head_or_lock(struct qspinlock *lock, struct qnode *node)
{
	for (;;) {
		WRITE_ONCE(lock->pending, 1);
		for (u32 loop = PV_SPIN_THRESHOLD; loop; loop--) {
			if (trylock_clear_pending(lock))
				goto locked;
			cpu_relax();
		}
		WRITE_ONCE(lock->pending, 0);
		__atomic_store_n(&pv_waiting_on[node->cpu], lock, __ATOMIC_SEQ_CST);
		u8 old = Q_LOCKED_VAL;
		if (!__atomic_compare_exchange_n(&lock->locked, &old, Q_SLOW_VAL, false,
						 __ATOMIC_SEQ_CST, __ATOMIC_RELAXED) &&
		    old != Q_SLOW_VAL)
			continue;           /* released meanwhile: take it */
		my_stats()->waits++;
		pv_wait(&lock->locked, Q_SLOW_VAL);
	}
locked:
	__atomic_store_n(&pv_waiting_on[node->cpu], NULL, __ATOMIC_RELAXED);
	return __atomic_load_n(&lock->val, __ATOMIC_RELAXED);
}

/*
 * The pv unlock: a locked byte of Q_LOCKED_VAL is released with one
 * compare-and-exchange; Q_SLOW_VAL means the head halted: release, then
 * kick every CPU whose head waits on this lock (one, but a CPU that has
 * already stopped waiting may be named until it clears its entry: a
 * spurious kick, which wait allows).
 */
void pv_queued_spin_unlock(u8 *locked)
{
	struct qspinlock *lock = (struct qspinlock *)locked;
	u8 old = Q_LOCKED_VAL;

	if (__builtin_expect(__atomic_compare_exchange_n(&lock->locked, &old, 0, false,
							 __ATOMIC_RELEASE, __ATOMIC_RELAXED), 1))
		return;
	if (old != Q_SLOW_VAL)
		panic("pv_queued_spin_unlock: lock %p not held (locked byte %#x)", lock, old);
	__atomic_store_n(&lock->locked, 0, __ATOMIC_SEQ_CST);
	for (int cpu = 0; cpu < SMP_MAX_CPUS; cpu++)
		if (__atomic_load_n(&pv_waiting_on[cpu], __ATOMIC_SEQ_CST) == lock) {
			my_stats()->kicks++;
			pv_kick(cpu);
		}
}
PV_CALLEE_SAVE_THUNK(pv_queued_spin_unlock);

void qspinlock_native_wait(u8 *ptr, u8 val)
{
	for (u32 i = 0; i < NATIVE_WAIT_LOOPS && READ_ONCE(*ptr) == val; i++)
		cpu_relax();
}

/* --- the queue ------------------------------------------------------------ */

/* Queue up behind the tail, wait to be head, take the lock, hand the head
 * to the next. pv: the pv waits and kicks; else spinning. */
static __attribute__((always_inline)) inline void queue(struct qspinlock *lock, bool pv)
{
	int cpu = smp_processor_id();
	struct qnode *node, *next = NULL;
	u32 idx = qnodes[cpu][0].count++;
	u32 tail = encode_tail(cpu, idx), old, val;

	barrier();
	if (idx >= Q_MAX_NODES) {
		/* nested deeper than there are nodes: spin on the word alone */
		while (!queued_spin_trylock(lock))
			cpu_relax();
		goto release;
	}
	node = &qnodes[cpu][idx];
	node->locked = 0;
	node->next = NULL;
	node->cpu = (u16)cpu;
	node->state = QN_RUNNING;
	if (pv ? pv_steal(lock) : queued_spin_trylock(lock))
		goto release;
	/* the node's fields before the tail names it: xchg_tail releases */
	old = xchg_tail(lock, tail);
	if (old & Q_TAIL_MASK) {
		struct qnode *prev = decode_tail(old);

		WRITE_ONCE(prev->next, node);
		if (pv)
			pv_wait_node(node, prev);
		else
			while (!__atomic_load_n(&node->locked, __ATOMIC_ACQUIRE))
				cpu_relax();
		next = READ_ONCE(node->next);
	}
	/* the head: the owner and a pending waiter go first */
	if (pv)
		val = pv_wait_head_or_lock(lock, node);
	else
		while ((val = __atomic_load_n(&lock->val, __ATOMIC_ACQUIRE)) &
		       Q_LOCKED_PENDING_MASK)
			cpu_relax();
	/* last in the queue: the word becomes just "locked" (pv: it is
	 * locked already, by us) */
	if ((val & Q_TAIL_MASK) == tail &&
	    __atomic_compare_exchange_n(&lock->val, &val, Q_LOCKED_VAL, false,
					__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		goto release;
	if (!pv)
		WRITE_ONCE(lock->locked, Q_LOCKED_VAL);   /* nobody else writes it now */
	/* someone queued behind: wait for the link, hand over */
	while (!(next = READ_ONCE(node->next)))
		cpu_relax();
	__atomic_store_n(&next->locked, 1, __ATOMIC_RELEASE);
	if (pv)
		pv_kick_node(next);
release:
	barrier();
	qnodes[cpu][0].count--;
}

void pv_queued_spin_lock_slowpath(struct qspinlock *lock, u32 val)
{
	(void)val;                 /* no pending bit: straight to the queue */
	my_stats()->slowpaths++;
	queue(lock, true);
}

void qspinlock_native_slowpath(struct qspinlock *lock, u32 val)
{
	my_stats()->slowpaths++;
	/* a pending waiter being handed the lock: wait for it, briefly */
	if (val == Q_PENDING_VAL)
		for (u32 n = Q_PENDING_LOOPS;
		     (val = __atomic_load_n(&lock->val, __ATOMIC_RELAXED)) == Q_PENDING_VAL && n;
		     n--)
			cpu_relax();
	if (val & ~Q_LOCKED_MASK)
		goto queue;                 /* others wait already */
	/* the first to wait: set pending and spin on the locked byte */
	val = __atomic_fetch_or(&lock->val, Q_PENDING_VAL, __ATOMIC_ACQUIRE);
	if (val & ~Q_LOCKED_MASK) {
		if (!(val & Q_PENDING_MASK))
			/* we set it, but a queue formed: undo, and queue */
			__atomic_store_n(&lock->pending, 0, __ATOMIC_RELAXED);
		goto queue;
	}
	while (__atomic_load_n(&lock->locked, __ATOMIC_ACQUIRE))
		cpu_relax();
	/* pending off, locked on, in one store (the tail is another half) */
	__atomic_store_n(&lock->locked_pending, (u16)Q_LOCKED_VAL, __ATOMIC_RELAXED);
	return;
queue:
	queue(lock, false);
}
