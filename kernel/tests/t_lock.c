/*
 * t_lock.c - the queued spinlock (spinlock.h, kernel/qspinlock.c): the
 * word's states uncontended, and a counter every CPU increments under the
 * lock that ends exact, through the platform's slow path and through the
 * pv one forced (its queue, halt and kick logic run on any platform: with
 * native wait and kick, a bounded spin and nothing). KVM's wait and kick
 * really engaged: t_kvm.c; the unlock site's bytes: t_patch.c.
 */
#include <paravirt.h>
#include <asm/smp.h>
#include <asm/x86_bits.h>
#include "t_lock.h"

/* Each CPU takes the lock until the deadline (at most CONTEND_ITERS
 * times): a fixed count would let each finish inside one time slice of a
 * host that runs vCPUs in turn (TCG on few host CPUs), with nobody to
 * contend with; a fixed time makes them overlap. */
#define CONTEND_ITERS       1000000
#define CONTEND_NS          250000000ull    /* well under smp_call_function's 2 s */

/* Uncontended: the word is Q_LOCKED_VAL while held and 0 after; trylock
 * fails on a held lock and takes a free one; irqsave turns interrupts off
 * and irqrestore gives back what was. */
KTEST(lock_uncontended)
{
	spinlock_t l = SPINLOCK_INIT;
	unsigned long outer = arch_local_save_flags(), flags;

	KT_EXPECT(t, l.val == 0 && !spin_is_locked(&l));
	spin_lock(&l);
	KT_EXPECTF(t, l.val == Q_LOCKED_VAL, "word %#x held", l.val);
	KT_EXPECT(t, !spin_trylock(&l));
	spin_unlock(&l);
	KT_EXPECTF(t, l.val == 0, "word %#x after unlock", l.val);
	KT_EXPECT(t, spin_trylock(&l) && l.val == Q_LOCKED_VAL);
	spin_unlock(&l);
	arch_local_irq_enable();
	flags = spin_lock_irqsave(&l);
	KT_EXPECT(t, !(arch_local_save_flags() & X86_EFLAGS_IF));
	KT_EXPECT(t, flags & X86_EFLAGS_IF);
	spin_unlock_irqrestore(&l, flags);
	KT_EXPECT(t, arch_local_save_flags() & X86_EFLAGS_IF);
	arch_local_irq_restore(outer);
	KT_EXPECT(t, l.val == 0);
}

/* The run in flight (static: a CPU late past a timeout writes here). */
static struct {
	spinlock_t lock;
	enum lock_way way;
	u32 iters;
	u64 deadline;
	volatile u64 counter;
	u32 done[SMP_MAX_CPUS];
} run;

static void take(void)
{
	if (run.way == LOCK_API) {
		spin_lock(&run.lock);
		return;
	}
	u32 val = 0;

	if (!__atomic_compare_exchange_n(&run.lock.val, &val, Q_LOCKED_VAL, false,
					 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		pv_queued_spin_lock_slowpath(&run.lock, val);
}

static void drop(void)
{
	if (run.way == LOCK_API)
		spin_unlock(&run.lock);
	else
		pv_queued_spin_unlock(&run.lock.locked);
}

/* The critical section: a read, a pause, a write; lost updates show. */
static void contend_fn(void *arg)
{
	u32 n = 0;

	(void)arg;
	for (; n < run.iters; n++) {
		if (!(n & 15) && sched_clock() > run.deadline)
			break;
		take();
		u64 c = run.counter;
		cpu_relax();
		run.counter = c + 1;
		drop();
	}
	__atomic_store_n(&run.done[smp_processor_id()], n, __ATOMIC_RELEASE);
}

static struct qspinlock_stats stats_minus(struct qspinlock_stats a, struct qspinlock_stats b)
{
	return (struct qspinlock_stats){ a.slowpaths - b.slowpaths, a.waits - b.waits,
					 a.kicks - b.kicks, a.preempted - b.preempted,
					 a.steals - b.steals };
}

bool lock_contend(struct ktest_ctx *t, enum lock_way way, u32 iters,
		  struct qspinlock_stats *delta)
{
	cpumask_t online = smp_online_mask(), missed;
	struct qspinlock_stats before;
	u64 sum = 0;
	int cpus = 0;

	if (!(online & (online - 1))) {
		KT_SKIP(t, "one CPU online: nobody to contend with");
		return false;
	}
	spin_lock_init(&run.lock);
	run.way = way;
	run.iters = iters;
	run.counter = 0;
	__builtin_memset(run.done, 0, sizeof(run.done));
	before = qspinlock_stats_sum();
	run.deadline = sched_clock() + CONTEND_NS;
	missed = smp_call_function(online, contend_fn, NULL);
	*delta = stats_minus(qspinlock_stats_sum(), before);
	KT_EXPECTF(t, missed == 0, "CPUs %#x did not answer", missed);
	for (int i = 0; i < SMP_MAX_CPUS; i++) {
		sum += __atomic_load_n(&run.done[i], __ATOMIC_ACQUIRE);
		cpus += online >> i & 1;
	}
	KT_EXPECTF(t, run.counter == sum, "counter %llu, %llu increments made",
		   (unsigned long long)run.counter, (unsigned long long)sum);
	KT_EXPECTF(t, run.lock.val == 0, "lock word %#x after the run", run.lock.val);
	printk("# %s: %d CPUs, %llu increments (at most %u each); slow paths %llu, "
	       "waits %llu, kicks %llu, preempted %llu, steals %llu\n", t->name,
	       cpus, (unsigned long long)sum, iters,
	       (unsigned long long)delta->slowpaths, (unsigned long long)delta->waits,
	       (unsigned long long)delta->kicks, (unsigned long long)delta->preempted,
	       (unsigned long long)delta->steals);
	return true;
}

/* Through spin_lock: the platform's slow path and unlock. With several
 * CPUs hammering one lock, the slow path is taken. */
KTEST(lock_contention_exact)
{
	struct qspinlock_stats d;

	if (!lock_contend(t, LOCK_API, CONTEND_ITERS, &d))
		return;
	KT_EXPECTF(t, d.slowpaths > 0, "%s", "no slow path: no contention seen");
}

/* The pv slow path and unlock, whatever the platform installed: the queue
 * with its halts (here maybe spins) and kicks ends exact too. */
KTEST(lock_contention_pv_slowpath)
{
	struct qspinlock_stats d;

	if (!lock_contend(t, LOCK_PV_DIRECT, CONTEND_ITERS, &d))
		return;
	KT_EXPECTF(t, d.slowpaths > 0, "%s", "no slow path: no contention seen");
}

/* The pv unlock's contract: releasing a lock nobody holds is a bug it
 * names (panics); held plain or slow, it releases. The slow case kicks
 * nobody when no CPU says it waits on this lock. */
KTEST(lock_pv_unlock_states)
{
	spinlock_t l = SPINLOCK_INIT;
	struct qspinlock_stats before = qspinlock_stats_sum();

	l.locked = Q_LOCKED_VAL;
	pv_queued_spin_unlock(&l.locked);
	KT_EXPECTF(t, l.val == 0, "word %#x", l.val);
	l.locked = Q_SLOW_VAL;
	pv_queued_spin_unlock(&l.locked);
	KT_EXPECTF(t, l.val == 0, "word %#x", l.val);
	KT_EXPECT(t, qspinlock_stats_sum().kicks == before.kicks);
}
