/*
 * sched.c - kernel threads on per-CPU run queues (sched.h has the model).
 *
 * Each CPU has a run queue: a lock, a FIFO of ready threads, the running
 * thread and the idle one. Every change of a thread's state happens under
 * its CPU's queue lock, taken with interrupts off. A switch is made with
 * that lock held and is finished by the thread switched to, which
 * releases it (as Linux's finish_task_switch): the lock covers the whole
 * handover, so a wake from another CPU sees either the thread blocked
 * and off its stack's top, or not yet blocked.
 */
#include <paravirt.h>
#include <printk.h>
#include <proc.h>
#include <sched.h>
#include <spinlock.h>
#include <trap.h>
#include <asm/irq_vectors.h>
#include <asm/preempt.h>
#include <asm/smp.h>
#include <asm/switch.h>

/* Written at the bottom of every pool stack; checked at each switch. */
#define STACK_CANARY 0x5354414b43414e59ull    /* "STAKCANY" */

struct runqueue {
	spinlock_t lock;
	struct thread *head, *tail;  /* ready threads, first to run first */
	struct thread *curr;         /* running: NULL before sched_init* */
	struct thread *idle;         /* runs when nothing is ready */
	struct thread *sleepers;     /* in thread_sleep_until, any order */
	u64 switches;
};

static struct runqueue rqs[SMP_MAX_CPUS];
/* Each CPU's first context: "main" on the boot CPU, idle on an AP. */
static struct thread cpu_threads[SMP_MAX_CPUS];
static struct thread pool[SCHED_MAX_THREADS];
static u8 stacks[SCHED_MAX_THREADS][THREAD_STACK_SIZE] __attribute__((aligned(16)));
static spinlock_t pool_lock = SPINLOCK_INIT;

_Static_assert(__builtin_offsetof(struct thread, rsp) == 0,
	       "switch.S saves the stack pointer at a thread's start");

static struct runqueue *this_rq(void)
{
	return &rqs[this_cpu()->cpu];
}

/* Is anything ready on rq? A hint without the lock (an interrupt
 * handler's, the idle loop's with interrupts off: a wake after the look
 * sends the IPI that ends the halt). */
static bool rq_has_ready(struct runqueue *rq)
{
	return READ_ONCE(rq->head) != NULL;
}

struct thread *thread_current(void)
{
	return this_rq()->curr;
}

bool sched_has_ready(int cpu)
{
	return rq_has_ready(&rqs[cpu]);
}

u64 sched_switches(int cpu)
{
	return __atomic_load_n(&rqs[cpu].switches, __ATOMIC_RELAXED);
}

/* Queue t last. Under rq->lock. */
static void enqueue(struct runqueue *rq, struct thread *t)
{
	t->state = THREAD_READY;
	t->next = NULL;
	if (rq->tail)
		rq->tail->next = t;
	else
		rq->head = t;
	rq->tail = t;
}

/* The first ready thread, taken off the queue; NULL if none. Under
 * rq->lock. */
static struct thread *dequeue(struct runqueue *rq)
{
	struct thread *t = rq->head;

	if (t) {
		rq->head = t->next;
		if (!rq->head)
			rq->tail = NULL;
		t->next = NULL;
	}
	return t;
}

/*
 * After a switch, in the thread switched to: release the queue lock
 * prev took, then, when prev was exiting, declare it dead (it is off its
 * stack now) and wake whoever joins it. The lock is dropped first: a
 * wake takes the joiner's queue lock, which may be another CPU's.
 */
static void finish_switch(struct runqueue *rq, struct thread *prev)
{
	struct thread *joiner;
	bool exiting = prev->state == THREAD_EXITING;

	spin_unlock(&rq->lock);
	if (!exiting)
		return;
	__atomic_store_n(&prev->state, THREAD_DEAD, __ATOMIC_SEQ_CST);
	joiner = __atomic_load_n(&prev->joiner, __ATOMIC_SEQ_CST);
	if (joiner)
		thread_wake(joiner);
}

/*
 * The switch: with rq->lock held (interrupts off, their state in the
 * caller's flags), put the current thread back in the queue if it is
 * still running, pick the first ready one (the idle thread if none), and
 * switch. Returns in the caller's thread, once it runs again, with the
 * lock released; the caller restores its flags.
 */
static void switch_locked(struct runqueue *rq)
{
	struct thread *prev = rq->curr, *next;

	if (prev->stack && *(u64 *)prev->stack != STACK_CANARY)
		panic("schedule: thread %d overflowed its stack", prev->id);
	if (prev->state == THREAD_RUNNING && prev != rq->idle)
		enqueue(rq, prev);
	next = dequeue(rq);
	if (!next)
		next = rq->idle;
	this_cpu()->need_resched = false;
	if (next == prev) {
		prev->state = THREAD_RUNNING;
		spin_unlock(&rq->lock);
		return;
	}
	next->state = THREAD_RUNNING;
	next->slice = 0;
	if (next->proc)
		proc_switch_to(next);  /* its address space and rsp0 */
	rq->curr = next;
	rq->switches++;
	prev = sched_switch(prev, next);
	finish_switch(rq, prev);
}

void schedule(void)
{
	struct runqueue *rq = this_rq();
	unsigned long flags;

	if (preempt_count())
		panic("schedule: called holding a spinlock (preempt count %d)",
		      preempt_count());
	flags = spin_lock_irqsave(&rq->lock);
	switch_locked(rq);
	arch_local_irq_restore(flags);
}

void thread_block(void)
{
	struct runqueue *rq = this_rq();
	unsigned long flags;
	struct thread *me;

	if (preempt_count())
		panic("thread_block: called holding a spinlock (preempt count %d)",
		      preempt_count());
	flags = spin_lock_irqsave(&rq->lock);
	me = rq->curr;
	if (me == rq->idle)
		panic("thread_block: the idle thread of CPU %d cannot block", me->cpu);
	if (me->wake_pending) {
		me->wake_pending = false;
		spin_unlock_irqrestore(&rq->lock, flags);
		return;
	}
	me->state = THREAD_BLOCKED;
	switch_locked(rq);
	arch_local_irq_restore(flags);
}

/* Get `cpu` to look at its queue: an IPI if it is another CPU and idle;
 * on this CPU, only the idle thread (woken from an interrupt handler)
 * needs telling. Under that CPU's queue lock: true when the IPI is due. */
static bool kick_needed(struct runqueue *rq, int cpu)
{
	if (rq->curr != rq->idle)
		return false;
	if (cpu != (int)this_cpu()->cpu)
		return true;
	this_cpu()->need_resched = true;
	return false;
}

/* The IPI, with interrupts still off: an xAPIC's is two register writes,
 * which a handler sending its own in between would mix up. */
static void kick(int cpu)
{
	apic_send_ipi(percpu[cpu].apic_id, RESCHEDULE_VECTOR);
}

void thread_wake(struct thread *t)
{
	struct runqueue *rq = &rqs[t->cpu];
	unsigned long flags = spin_lock_irqsave(&rq->lock);
	bool ipi = false;

	if (t->state == THREAD_BLOCKED) {
		enqueue(rq, t);
		ipi = kick_needed(rq, t->cpu);
	} else if (t->state == THREAD_READY || t->state == THREAD_RUNNING) {
		t->wake_pending = true;
	}
	spin_unlock(&rq->lock);
	if (ipi)
		kick(t->cpu);
	arch_local_irq_restore(flags);
}

/* A new thread's first code (switch.S's thread_entry): finish the switch
 * to it, turn interrupts on (its creator's flags are not its own), run. */
noreturn void sched_thread_start(struct thread *prev)
{
	struct runqueue *rq = this_rq();
	struct thread *me = rq->curr;

	finish_switch(rq, prev);
	arch_local_irq_enable();
	me->fn(me->arg);
	thread_exit();
}

noreturn void thread_exit(void)
{
	struct runqueue *rq = this_rq();
	struct thread *me;

	if (preempt_count())
		panic("thread_exit: called holding a spinlock (preempt count %d)",
		      preempt_count());
	spin_lock_irqsave(&rq->lock);
	me = rq->curr;
	if (me->id < 0 || me == rq->idle)
		panic("thread_exit: CPU %d's %s thread cannot exit", me->cpu, me->name);
	me->state = THREAD_EXITING;
	switch_locked(rq);
	panic("thread_exit: thread %d ran again after exiting", me->id);
}

/* A pool slot made ready to run fn(arg) on cpu from its first switch
 * (switch.S's thread_entry), in no queue yet; NULL when the pool is used
 * up. */
static struct thread *thread_alloc(void (*fn)(void *), void *arg, int cpu)
{
	struct thread *t = NULL;
	unsigned long flags = spin_lock_irqsave(&pool_lock);

	for (int i = 0; i < SCHED_MAX_THREADS; i++)
		if (pool[i].state == THREAD_FREE) {
			t = &pool[i];
			t->state = THREAD_NEW;   /* a late wake leaves it alone */
			break;
		}
	spin_unlock_irqrestore(&pool_lock, flags);
	if (!t)
		return NULL;
	t->id = (int)(t - pool);
	t->cpu = cpu;
	t->wake_pending = false;
	t->joiner = NULL;
	t->next = NULL;
	t->fn = fn;
	t->arg = arg;
	t->name = "thread";
	t->proc = NULL;
	t->sleeping = false;
	t->interrupted = false;
	t->sleep_next = NULL;
	t->stack = stacks[t->id];
	*(u64 *)t->stack = STACK_CANARY;
	t->rsp = arch_thread_stack(t->stack + THREAD_STACK_SIZE);
	return t;
}

struct thread *thread_create(void (*fn)(void *), void *arg, int cpu)
{
	struct thread *t;
	struct runqueue *rq;
	unsigned long flags;
	bool ipi;

	if (cpu < 0 || cpu >= SMP_MAX_CPUS || !(smp_online_mask() & 1u << cpu) ||
	    !READ_ONCE(rqs[cpu].curr))
		return NULL;
	t = thread_alloc(fn, arg, cpu);
	if (!t)
		return NULL;
	rq = &rqs[cpu];
	flags = spin_lock_irqsave(&rq->lock);
	enqueue(rq, t);
	ipi = kick_needed(rq, cpu);
	spin_unlock(&rq->lock);
	if (ipi)
		kick(cpu);
	arch_local_irq_restore(flags);
	return t;
}

/* Give dead t's pool slot back. */
static void slot_free(struct thread *t)
{
	unsigned long flags = spin_lock_irqsave(&pool_lock);

	t->state = THREAD_FREE;
	spin_unlock_irqrestore(&pool_lock, flags);
}

void thread_join(struct thread *t)
{
	if (t == thread_current() || t->id < 0)
		panic("thread_join: thread %d cannot be joined by this thread", t->id);
	/* Dekker with finish_switch: it stores DEAD then reads joiner; we
	 * store joiner then read the state. One of us sees the other. */
	__atomic_store_n(&t->joiner, thread_current(), __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&t->state, __ATOMIC_SEQ_CST) != THREAD_DEAD)
		thread_block();
	slot_free(t);
}

bool thread_try_join(struct thread *t)
{
	if (__atomic_load_n(&t->state, __ATOMIC_SEQ_CST) != THREAD_DEAD)
		return false;
	slot_free(t);
	return true;
}

/* Take t out of rq's sleeper list if it is there. Under rq->lock. */
static void sleeper_remove(struct runqueue *rq, struct thread *t)
{
	struct thread **pp = &rq->sleepers;

	if (!t->sleeping)
		return;
	while (*pp && *pp != t)
		pp = &(*pp)->sleep_next;
	if (*pp)
		*pp = t->sleep_next;
	t->sleeping = false;
	t->sleep_next = NULL;
}

void thread_sleep_until(u64 deadline)
{
	struct runqueue *rq = this_rq();
	struct thread *me = rq->curr;
	unsigned long flags;

	while (sched_clock() < deadline && !thread_interrupted()) {
		flags = spin_lock_irqsave(&rq->lock);
		me->wake_at = deadline;
		if (!me->sleeping) {
			me->sleeping = true;
			me->sleep_next = rq->sleepers;
			rq->sleepers = me;
		}
		spin_unlock_irqrestore(&rq->lock, flags);
		thread_block();       /* the tick's wake, or an earlier one */
	}
	flags = spin_lock_irqsave(&rq->lock);
	sleeper_remove(rq, me);
	spin_unlock_irqrestore(&rq->lock, flags);
}

void thread_interrupt(struct thread *t)
{
	__atomic_store_n(&t->interrupted, true, __ATOMIC_RELEASE);
	thread_wake(t);       /* after the flag: the wakened loop sees it */
}

bool thread_interrupted(void)
{
	return __atomic_load_n(&thread_current()->interrupted, __ATOMIC_ACQUIRE);
}

/* The tick's look at the sleepers: wake each whose deadline passed.
 * Interrupts are off (a handler). */
static void wake_sleepers(struct runqueue *rq)
{
	struct thread *due[SCHED_MAX_THREADS], *t, **pp;
	int n = 0;
	u64 now;

	if (!READ_ONCE(rq->sleepers))
		return;
	now = sched_clock();
	spin_lock(&rq->lock);
	pp = &rq->sleepers;
	while ((t = *pp)) {
		if (t->wake_at <= now && n < SCHED_MAX_THREADS) {
			*pp = t->sleep_next;
			t->sleeping = false;
			t->sleep_next = NULL;
			due[n++] = t;
		} else {
			pp = &t->sleep_next;
		}
	}
	spin_unlock(&rq->lock);
	/* a wake of a thread that left its sleep meanwhile is a spurious
	 * one, which thread_block's callers allow for */
	for (int i = 0; i < n; i++)
		thread_wake(due[i]);
}

void sched_tick(void)
{
	struct runqueue *rq = this_rq();
	struct thread *curr = rq->curr;

	if (curr)
		wake_sleepers(rq);
	if (!curr || !rq_has_ready(rq))
		return;
	if (curr == rq->idle || ++curr->slice >= SCHED_SLICE_TICKS)
		this_cpu()->need_resched = true;
}

void sched_irq_exit(void)
{
	struct percpu *p = this_cpu();

	if (p->need_resched && p->preempt_count == 0 && rqs[p->cpu].curr)
		schedule();
}

/* RESCHEDULE_VECTOR: another CPU queued a thread here while this one
 * was idle. The switch happens at the interrupt's end; an IPI that comes
 * late, when a thread already runs, asks for nothing (the tick will). */
static void reschedule_irq(void)
{
	struct percpu *p = this_cpu();
	struct runqueue *rq = &rqs[p->cpu];

	p->resched_ipis++;
	if (rq->curr == rq->idle)
		p->need_resched = true;
	apic_eoi();
}

/* The calling context becomes CPU cpu's running thread. */
static struct thread *adopt_context(int cpu, const char *name)
{
	struct thread *t = &cpu_threads[cpu];

	t->id = -1;
	t->cpu = cpu;
	t->state = THREAD_RUNNING;
	t->name = name;
	rqs[cpu].curr = t;
	return t;
}

noreturn void sched_idle(void)
{
	struct runqueue *rq = this_rq();

	if (rq->curr != rq->idle)
		panic("sched_idle: CPU %d: not its idle thread", rq->curr->cpu);
	for (;;) {
		arch_local_irq_disable();
		if (!rq_has_ready(rq)) {
			safe_halt();    /* sti; hlt: a wake's IPI cannot slip by */
			continue;
		}
		arch_local_irq_enable();
		schedule();
	}
}

/* The boot CPU's idle thread: a pool thread, never queued, never exits. */
static void boot_cpu_idle(void *arg)
{
	(void)arg;
	sched_idle();
}

void sched_init_cpu(void)
{
	int cpu = (int)this_cpu()->cpu;

	rqs[cpu].idle = adopt_context(cpu, "idle");
}

void sched_init(void)
{
	struct thread *idle;

	if (this_cpu()->cpu != 0)
		panic("sched_init: not on the boot CPU");
	irq_register(RESCHEDULE_VECTOR, reschedule_irq);
	idle = thread_alloc(boot_cpu_idle, NULL, 0);
	if (!idle)
		panic("sched_init: no thread for the boot CPU's idle loop");
	idle->name = "idle";
	rqs[0].idle = idle;
	adopt_context(0, "main");
}
