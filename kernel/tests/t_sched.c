/*
 * t_sched.c - self-tests of the threads and their per-CPU run queues
 * (sched.c) and of every CPU's own timer.
 *
 * The tests run in the thread "main" on the boot CPU. Threads they make
 * never print (printk from several CPUs at once would mix the KTAP
 * lines): they leave what they saw in statics, and main checks it. Every
 * wait is bounded (WAIT_NS), so a broken scheduler fails a test instead
 * of hanging the boot; a thread that never finished is not joined (its
 * slot is lost, and the test says so).
 */
#include <ktest.h>
#include <paravirt.h>
#include <sched.h>
#include <spinlock.h>
#include <asm/preempt.h>
#include <asm/smp.h>
#include <asm/processor.h>

#define NS_PER_MS 1000000ull
#define WAIT_NS   (3000 * NS_PER_MS)  /* TCG, 4 vCPUs overcommitted */

/* The online CPUs, and how many. */
static int online_cpus(cpumask_t *mask)
{
	int n = 0;

	*mask = smp_online_mask();
	for (cpumask_t m = *mask; m; m &= m - 1)
		n++;
	return n;
}

/* The highest online CPU: another than main's when there are two. */
static int last_cpu(void)
{
	return 31 - __builtin_clz(smp_online_mask());
}

/* Threads bump `finished` as their last act; main waits for n of them,
 * bounded. Main runs with interrupts off, as kernel_main always has, so
 * nothing preempts it: it yields while threads are ready on its own CPU,
 * else halts until the next interrupt (a tick at the latest). */
static volatile int finished;

static void main_wait(void)
{
	if (sched_has_ready(smp_processor_id())) {
		yield();
	} else {
		safe_halt();
		arch_local_irq_disable();
	}
}

static bool wait_finished(int n)
{
	u64 t0 = sched_clock();

	while (__atomic_load_n(&finished, __ATOMIC_ACQUIRE) < n)
		if (sched_clock() - t0 > WAIT_NS)
			return false;
		else
			main_wait();
	return true;
}

static void thread_done(void)
{
	__atomic_fetch_add(&finished, 1, __ATOMIC_RELEASE);
}

/* Wait for the n threads in ts to finish, then join them all. False (and
 * nothing joined) when they did not finish in time. */
static bool finish_all(struct ktest_ctx *t, struct thread **ts, int n)
{
	bool ok = wait_finished(n);

	KT_EXPECTF(t, ok, "%d of %d threads finished in %llu ms", finished, n,
		   (unsigned long long)(WAIT_NS / NS_PER_MS));
	if (ok)
		for (int i = 0; i < n; i++)
			thread_join(ts[i]);
	return ok;
}

/* --- a thread on every CPU ------------------------------------------- */

static int ran_on[SMP_MAX_CPUS], ran_as[SMP_MAX_CPUS];

static void report_cpu(void *arg)
{
	int i = (int)(long)arg;

	ran_on[i] = smp_processor_id();
	ran_as[i] = thread_current()->cpu;
	thread_done();
}

/* One thread created for each online CPU runs there, and only there. */
KTEST(sched_threads_run_on_every_cpu)
{
	struct thread *ts[SMP_MAX_CPUS];
	cpumask_t online;
	int n = 0;

	online_cpus(&online);
	finished = 0;
	for (int cpu = 0; cpu < SMP_MAX_CPUS; cpu++) {
		if (!(online & 1u << cpu))
			continue;
		ran_on[cpu] = ran_as[cpu] = -1;
		ts[n] = thread_create(report_cpu, (void *)(long)cpu, cpu);
		KT_EXPECTF(t, ts[n], "no thread for CPU %d", cpu);
		if (!ts[n])
			return;
		n++;
	}
	if (!finish_all(t, ts, n))
		return;
	for (int cpu = 0; cpu < SMP_MAX_CPUS; cpu++)
		if (online & 1u << cpu)
			KT_EXPECTF(t, ran_on[cpu] == cpu && ran_as[cpu] == cpu,
				   "the thread for CPU %d ran on CPU %d as CPU %d's", cpu,
				   ran_on[cpu], ran_as[cpu]);
	KT_EXPECT(t, !thread_create(report_cpu, NULL, SMP_MAX_CPUS));
}

/* --- block and wake across CPUs -------------------------------------- */

static volatile bool go;
static volatile int sleeper_cpu, sleeper_blocks;

/* Block until main says go; count the returns of thread_block. */
static void sleeper(void *arg)
{
	(void)arg;
	while (!go) {
		thread_block();
		sleeper_blocks++;
	}
	sleeper_cpu = smp_processor_id();
	thread_done();
}

/* A thread on another CPU blocks (that CPU goes idle, halted); main,
 * on the boot CPU, wakes it: it runs again, there, and the wake came to
 * its halted CPU as a RESCHEDULE_VECTOR IPI. */
KTEST(sched_block_wake_across_cpus)
{
	int cpu = last_cpu();
	struct thread *th;
	u64 ipis, t0;

	if (cpu == smp_processor_id()) {
		KT_SKIP(t, "one CPU online: no other CPU to wake a thread on");
		return;
	}
	finished = 0;
	go = false;
	sleeper_cpu = -1;
	sleeper_blocks = 0;
	th = thread_create(sleeper, NULL, cpu);
	KT_EXPECT(t, th);
	if (!th)
		return;
	t0 = sched_clock();
	while (READ_ONCE(th->state) != THREAD_BLOCKED && sched_clock() - t0 < WAIT_NS)
		cpu_relax();
	KT_EXPECTF(t, th->state == THREAD_BLOCKED, "the thread on CPU %d never blocked (state %d)",
		   cpu, th->state);
	ipis = READ_ONCE(percpu[cpu].resched_ipis);
	go = true;
	thread_wake(th);
	if (!finish_all(t, &th, 1))
		return;
	KT_EXPECTF(t, sleeper_cpu == cpu, "it ran on CPU %d, not %d", sleeper_cpu, cpu);
	KT_EXPECTF(t, sleeper_blocks >= 1, "thread_block returned %d times", sleeper_blocks);
	/* The IPI was sent, but it need not have arrived yet: if CPU cpu's
	 * tick woke it first, the thread may have run and exited while the
	 * IPI was still on its way (seen under TCG with a loaded host, where
	 * a vCPU thread can stall between the unlock and the ICR write). */
	t0 = sched_clock();
	while (READ_ONCE(percpu[cpu].resched_ipis) == ipis && sched_clock() - t0 < WAIT_NS)
		cpu_relax();
	KT_EXPECTF(t, percpu[cpu].resched_ipis > ipis,
		   "CPU %d took no reschedule IPI for the wake (%llu before, %llu after)",
		   cpu, (unsigned long long)ipis,
		   (unsigned long long)percpu[cpu].resched_ipis);
}

/* A wake that comes before the block is not lost: the block returns. */
static void wake_first(void *arg)
{
	(void)arg;
	thread_wake(thread_current());
	thread_block();                 /* returns at once: the wake is pending */
	thread_done();
}

KTEST(sched_wake_before_block_not_lost)
{
	struct thread *th;

	finished = 0;
	th = thread_create(wake_first, NULL, last_cpu());
	KT_EXPECT(t, th);
	if (th)
		finish_all(t, &th, 1);
}

/* --- yield ping-pong --------------------------------------------------- */

#define PING_ROUNDS 200

static volatile int turn;
static int yields[2];

/* Player i waits for its turn, yielding, then hands it to the other:
 * with both on one CPU each wait should take a single yield. They start
 * on `go`, once both are in the run queue. */
static void player(void *arg)
{
	int me = (int)(long)arg;

	while (!go)
		yield();
	for (int r = 0; r < PING_ROUNDS; r++) {
		while (READ_ONCE(turn) != me) {
			yields[me]++;
			yield();
		}
		WRITE_ONCE(turn, !me);
	}
	thread_done();
}

/* Two threads on one CPU pass the turn back and forth by yield: each
 * yield hands the CPU to the other (a few more for ticks that preempt
 * between the hand-over and the yield; a yield that does not switch
 * would spin until the tick, thousands of times). */
KTEST(sched_yield_ping_pong)
{
	int cpu = last_cpu();
	struct thread *ts[2];
	u64 sw = sched_switches(cpu);

	finished = 0;
	turn = 0;
	go = false;
	yields[0] = yields[1] = 0;
	ts[0] = thread_create(player, (void *)0L, cpu);
	ts[1] = thread_create(player, (void *)1L, cpu);
	KT_EXPECT(t, ts[0] && ts[1]);
	go = true;
	if (!ts[0] || !ts[1] || !finish_all(t, ts, 2))
		return;
	for (int i = 0; i < 2; i++)
		KT_EXPECTF(t, yields[i] <= PING_ROUNDS + PING_ROUNDS / 4,
			   "player %d yielded %d times in %d rounds", i, yields[i],
			   PING_ROUNDS);
	KT_EXPECTF(t, sched_switches(cpu) - sw >= 2 * PING_ROUNDS,
		   "%llu switches on CPU %d for %d rounds",
		   (unsigned long long)(sched_switches(cpu) - sw), cpu, PING_ROUNDS);
}

/* --- preemption by the tick ------------------------------------------ */

static volatile bool started[2];
static volatile bool gave_up;

/* Spin, never yielding, until the other spinner has started too. */
static void spinner(void *arg)
{
	int me = (int)(long)arg;
	u64 t0 = sched_clock();

	started[me] = true;
	while (!started[!me])
		if (sched_clock() - t0 > WAIT_NS) {
			gave_up = true;
			break;
		} else {
			cpu_relax();
		}
	thread_done();
}

/* Two threads on one CPU that spin and never yield both get to run: the
 * timer tick switches them round robin. */
KTEST(sched_tick_preempts_spinners)
{
	int cpu = last_cpu();
	struct thread *ts[2];

	finished = 0;
	started[0] = started[1] = false;
	gave_up = false;
	ts[0] = thread_create(spinner, (void *)0L, cpu);
	ts[1] = thread_create(spinner, (void *)1L, cpu);
	KT_EXPECT(t, ts[0] && ts[1]);
	if (!ts[0] || !ts[1] || !finish_all(t, ts, 2))
		return;
	KT_EXPECTF(t, !gave_up, "a spinner on CPU %d waited %llu ms for the other", cpu,
		   (unsigned long long)(WAIT_NS / NS_PER_MS));
}

static spinlock_t held = SPINLOCK_INIT;
static volatile bool in_lock, other_ran;
static volatile u64 held_ticks;

/* Hold a spinlock, interrupts on, over several slices' ticks. */
static void holder(void *arg)
{
	u64 t0 = sched_clock(), start;

	(void)arg;
	spin_lock(&held);
	in_lock = true;
	start = this_cpu()->ticks;
	while (this_cpu()->ticks - start < 3 * SCHED_SLICE_TICKS &&
	       sched_clock() - t0 < WAIT_NS)
		cpu_relax();
	held_ticks = this_cpu()->ticks - start;
	in_lock = false;
	spin_unlock(&held);
	thread_done();
}

/* Made once the holder has the lock: it must not run before the unlock. */
static void other(void *arg)
{
	(void)arg;
	if (in_lock)
		gave_up = true;
	other_ran = true;
	thread_done();
}

/* A thread holding a spinlock is not preempted, however many ticks
 * pass (asm/preempt.h): another thread on its CPU, ready while the lock
 * is held, runs only after the unlock. */
KTEST(sched_no_preemption_under_spinlock)
{
	int cpu = last_cpu();
	struct thread *ts[2];
	u64 t0;

	finished = 0;
	in_lock = other_ran = false;
	gave_up = false;
	held_ticks = 0;
	KT_EXPECTF(t, preempt_count() == 0, "main runs with preempt count %d",
		   preempt_count());
	ts[0] = thread_create(holder, NULL, cpu);
	KT_EXPECT(t, ts[0]);
	if (!ts[0])
		return;
	t0 = sched_clock();
	while (!in_lock && finished == 0 && sched_clock() - t0 < WAIT_NS)
		main_wait();
	KT_EXPECT(t, in_lock || finished);
	ts[1] = thread_create(other, NULL, cpu);
	KT_EXPECT(t, ts[1]);
	if (!ts[1] || !finish_all(t, ts, 2))
		return;
	KT_EXPECTF(t, held_ticks >= 3 * SCHED_SLICE_TICKS,
		   "only %llu ticks on CPU %d while the lock was held",
		   (unsigned long long)held_ticks, cpu);
	KT_EXPECTF(t, !gave_up, "the other thread ran while CPU %d's thread held a spinlock",
		   cpu);
	KT_EXPECT(t, other_ran);
}

/* --- every CPU's timer ----------------------------------------------- */

/* Each online CPU's own tick count advances: its APIC timer runs (main
 * halts in between, so the boot CPU's ticks come in). */
KTEST(sched_timer_ticks_on_every_cpu)
{
	enum { TICKS = 3 };
	u64 start[SMP_MAX_CPUS], t0 = sched_clock();
	cpumask_t online, slow;

	online_cpus(&online);
	for (int cpu = 0; cpu < SMP_MAX_CPUS; cpu++)
		start[cpu] = percpu[cpu].ticks;
	do {
		slow = 0;
		for (int cpu = 0; cpu < SMP_MAX_CPUS; cpu++)
			if (online & 1u << cpu && percpu[cpu].ticks - start[cpu] < TICKS)
				slow |= 1u << cpu;
		main_wait();
	} while (slow && sched_clock() - t0 < WAIT_NS);
	for (int cpu = 0; cpu < SMP_MAX_CPUS; cpu++)
		if (online & 1u << cpu)
			KT_EXPECTF(t, percpu[cpu].ticks - start[cpu] >= TICKS,
				   "CPU %d: %llu ticks in %llu ms", cpu,
				   (unsigned long long)(percpu[cpu].ticks - start[cpu]),
				   (unsigned long long)(WAIT_NS / NS_PER_MS));
}

/* --- the clock across CPUs ------------------------------------------- */

#define CLOCK_ROUNDS 200

static volatile int token;              /* whose turn: an index into clock_threads */
static struct thread *clock_threads[SMP_MAX_CPUS];
static int clock_n;
static u64 clock_last;                  /* the last reading, any CPU's */
static volatile int clock_backwards, clock_rounds;
static u64 clock_worst;                 /* the largest step back, ns */

/* Thread i: blocked until it holds the token; then read the clock,
 * compare with the reading before (another CPU's), pass the token on
 * and wake its holder. Blocking, not spinning, so that on overcommitted
 * vCPUs the waiting ones halt and leave the host CPU to the holder. */
static void clock_reader(void *arg)
{
	int me = (int)(long)arg;

	for (int r = 0; r < CLOCK_ROUNDS; r++) {
		while (__atomic_load_n(&token, __ATOMIC_ACQUIRE) != me)
			thread_block();
		u64 now = sched_clock();

		if (now < clock_last) {
			clock_backwards++;
			if (clock_last - now > clock_worst)
				clock_worst = clock_last - now;
		}
		clock_last = now;
		if (me == 0)
			clock_rounds++;
		__atomic_store_n(&token, (me + 1) % clock_n, __ATOMIC_RELEASE);
		thread_wake(clock_threads[(me + 1) % clock_n]);
	}
	thread_done();
}

/* A token goes round the CPUs, CLOCK_ROUNDS times; each reads
 * sched_clock() when it holds it: no reading is below the one before. */
KTEST(sched_clock_monotonic_across_cpus)
{
	cpumask_t online;

	if (online_cpus(&online) < 2) {
		KT_SKIP(t, "one CPU online: no other CPU's clock to compare");
		return;
	}
	finished = 0;
	token = -1;
	clock_n = 0;
	clock_last = 0;
	clock_backwards = clock_rounds = 0;
	clock_worst = 0;
	for (int cpu = 0; cpu < SMP_MAX_CPUS; cpu++) {
		if (!(online & 1u << cpu))
			continue;
		clock_threads[clock_n] = thread_create(clock_reader, (void *)(long)clock_n, cpu);
		KT_EXPECTF(t, clock_threads[clock_n], "no thread for CPU %d", cpu);
		if (!clock_threads[clock_n])
			return;
		clock_n++;
	}
	__atomic_store_n(&token, 0, __ATOMIC_RELEASE);
	thread_wake(clock_threads[0]);
	if (!finish_all(t, clock_threads, clock_n))
		return;
	KT_EXPECTF(t, clock_rounds == CLOCK_ROUNDS, "the token went round %d times of %d",
		   clock_rounds, CLOCK_ROUNDS);
	KT_EXPECTF(t, clock_backwards == 0,
		   "%d readings below the one before on another CPU, the worst by %llu ns",
		   clock_backwards, (unsigned long long)clock_worst);
}
