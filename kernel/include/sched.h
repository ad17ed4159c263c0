/*
 * sched.h - kernel threads, each pinned to one CPU, on per-CPU run
 * queues (kernel/sched.c; the switch itself is arch/x86/switch.S).
 *
 * The model is xv6's, one queue per CPU and no migration: a thread runs
 * only on the CPU it was created for, so the queue's lock is all that
 * guards it. Each CPU runs its ready threads round robin: a thread runs
 * until it blocks, yields, exits, or has run SCHED_SLICE_TICKS of its
 * CPU's timer ticks while another waits, and is then switched out at
 * the end of that tick's interrupt (never while it holds a spinlock:
 * asm/preempt.h). A CPU with nothing ready runs its idle thread, which
 * waits in safe_halt(); a wake from another CPU brings it out with a
 * RESCHEDULE_VECTOR IPI (apic.send_ipi).
 *
 * The boot CPU's first context becomes the thread "main" (kernel_main
 * and the self-tests run there); each AP's first context its idle thread.
 *
 * Waiting is park and unpark: a waiter loops on its own condition,
 *
 *     while (!READ_ONCE(done))             WRITE_ONCE(done, true);
 *             thread_block();              thread_wake(waiter);
 *
 * and a wake that comes before the block makes that block return at
 * once, so no wake is lost between the test and the block.
 */
#ifndef PVK_SCHED_H
#define PVK_SCHED_H

#include <types.h>

/* Threads in the pool (their stacks are static) and each one's stack. */
#define SCHED_MAX_THREADS  32
#define THREAD_STACK_SIZE  (8 * 1024)
/* Timer ticks a thread runs before a ready one on its CPU gets a turn. */
#define SCHED_SLICE_TICKS  2

enum thread_state {
	THREAD_FREE,         /* a pool slot nobody uses */
	THREAD_NEW,          /* taken by thread_create, in no queue yet */
	THREAD_READY,        /* in its CPU's run queue */
	THREAD_RUNNING,      /* its CPU's current thread */
	THREAD_BLOCKED,      /* in thread_block, until thread_wake */
	THREAD_EXITING,      /* in thread_exit, still on its stack */
	THREAD_DEAD,         /* off its stack for good: thread_join may free */
};

struct thread {
	u64 rsp;                     /* saved by switch.S: keep first */
	enum thread_state state;     /* under its CPU's run-queue lock */
	int cpu;                     /* the CPU it runs on, for good */
	int id;                      /* pool index; -1: a CPU's first context */
	bool wake_pending;           /* a wake came while it was not blocked */
	u32 slice;                   /* ticks run since it was last switched in */
	struct thread *next;         /* run-queue link */
	struct thread *joiner;       /* who waits in thread_join for it */
	void (*fn)(void *);
	void *arg;
	u8 *stack;                   /* pool threads: the lowest byte */
	const char *name;
	struct process *proc;        /* a user process's thread: its process
					(set by the thread itself, proc.c) */
	u64 wake_at;                 /* thread_sleep_until: its deadline */
	struct thread *sleep_next;   /* its CPU's sleeper list */
	bool sleeping;               /* in that list (under the queue lock) */
	bool interrupted;            /* thread_interrupt: give up waiting */
};

struct process;

/*
 * sched_init - the scheduler on the boot CPU: its current context
 * becomes the thread "main", an idle thread is made for it, the
 * RESCHEDULE_VECTOR handler is registered. Once, after smp_init (each
 * AP has set itself up with sched_init_cpu as it started; until then a
 * tick on the boot CPU finds no scheduler and does nothing more).
 */
void sched_init(void);

/*
 * sched_init_cpu - on an application processor, before it says it is
 * online: its current context becomes its idle thread. Then it calls
 * sched_idle.
 */
void sched_init_cpu(void);

/*
 * sched_idle - the calling context's idle loop, for good: with
 * interrupts off, look at the run queue; empty, safe_halt() (interrupts
 * on, wait for one); a thread ready, schedule(). For an AP after
 * sched_init_cpu.
 */
noreturn void sched_idle(void);

/*
 * thread_create - a thread that runs fn(arg) on CPU `cpu` (online, the
 * calling one included) and exits when fn returns. It is put last in that
 * CPU's run queue, and the CPU is kicked if it is idle. NULL when `cpu`
 * is not online or the pool (SCHED_MAX_THREADS) is used up. Every thread
 * created must be joined, which gives its slot back.
 */
struct thread *thread_create(void (*fn)(void *), void *arg, int cpu);

/*
 * thread_join - wait (blocked) until t has exited, then free its slot;
 * t is gone after. One joiner per thread, never t itself. From a thread.
 */
void thread_join(struct thread *t);

/* thread_exit - end the calling thread (a pool thread: not "main", not
 * an idle thread, which panic). Its joiner is woken once it is off its
 * stack. */
noreturn void thread_exit(void);

/*
 * thread_block - wait until a thread_wake of the calling thread. Returns
 * at once when a wake came since the last return (the pending wake is
 * used up), so it may return for an old wake: callers loop on their
 * condition. Not from an interrupt handler, not holding a spinlock
 * (panics), not from an idle thread.
 */
void thread_block(void);

/*
 * thread_wake - make t run again: blocked, it goes last in its CPU's run
 * queue, and that CPU, when it is another and idle, gets a
 * RESCHEDULE_VECTOR IPI; not blocked, its next thread_block returns at
 * once. Any CPU, threads and interrupt handlers.
 */
void thread_wake(struct thread *t);

/*
 * schedule - give the CPU to the next ready thread, if any; the caller
 * stays ready and goes last in its queue. Not holding a spinlock
 * (panics). yield() is the same call under the name threads use.
 */
void schedule(void);
static inline void yield(void) { schedule(); }

/*
 * thread_sleep_until - block until sched_clock() reaches `deadline` (ns):
 * the thread waits in its CPU's sleeper list, which that CPU's tick
 * looks at, so it wakes within a tick of the deadline. Not from an
 * interrupt handler, not holding a spinlock.
 */
void thread_sleep_until(u64 deadline);

/*
 * thread_interrupt - t is being ended (its process killed): its waits
 * give up. thread_sleep_until returns before its deadline, and loops
 * around thread_block that check thread_interrupted() leave; t is woken
 * so that it looks. Sticky for the rest of t's life. Any CPU.
 */
void thread_interrupt(struct thread *t);

/* thread_interrupted - thread_interrupt was called on this thread. */
bool thread_interrupted(void);

/* thread_try_join - thread_join without waiting: frees t's slot and
 * returns true when t is dead already, else false (t left as it is). */
bool thread_try_join(struct thread *t);

/* thread_stack_top - the top of t's kernel stack (a pool thread). */
static inline u64 thread_stack_top(const struct thread *t)
{
	return (u64)t->stack + THREAD_STACK_SIZE;
}

/* thread_current - the calling CPU's running thread (NULL before its
 * scheduler is up). */
struct thread *thread_current(void);

/* sched_has_ready - are threads waiting in CPU cpu's run queue (a look
 * without its lock: a hint, stale as soon as it is returned). */
bool sched_has_ready(int cpu);

/* sched_switches - context switches CPU `cpu` has made. */
u64 sched_switches(int cpu);

/*
 * sched_tick - the timer interrupt's part (every CPU's, in its handler):
 * counts the running thread's slice and asks for a switch when it is
 * used up and another thread is ready, or the idle thread has work.
 */
void sched_tick(void);

/*
 * sched_irq_exit - at the end of every interrupt (trap_dispatch): switch
 * if a tick or a wake asked for it and the interrupted thread holds no
 * spinlock (preempt count 0). The interrupted thread resumes here later
 * and returns from its interrupt as usual.
 */
void sched_irq_exit(void);

#endif /* PVK_SCHED_H */
