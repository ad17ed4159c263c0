/*
 * bench_user.c - bench=user: a system call's round trip (getpid: syscall,
 * the pv sites of entry.S, sysretq) and a user page fault's (a
 * demand-zero page mapped, iretq back), each as the difference between a
 * program that does BENCH_* of them and one that does not, divided by
 * the count. Nanoseconds by sched_clock, cycles by the TSC (cycles of the
 * CPU only where it runs the guest's ring 0 itself, DESIGN.md); the host
 * counts the exits. Run it with and without pv=nopatch.
 */
#include <bench.h>
#include <paravirt.h>
#include <printk.h>
#include <proc.h>
#include <trap.h>
#include <abi/syscall.h>
#include <asm/smp.h>
#include "bench_user.h"

#define BENCH_WAIT_NS (60ull * 1000 * 1000 * 1000)
#define RUNS 3             /* the best of: the least disturbed */

extern const u8 bench_prog_syscalls[], bench_prog_syscalls_end[],
	bench_prog_faults[], bench_prog_faults_end[],
	bench_prog_baseline[], bench_prog_baseline_end[];

/* One run of the program [image, end) on this CPU: ns and cycles, or
 * false when it did not end with status 0. */
static bool run_once(const char *name, const u8 *image, const u8 *end, u64 *ns, u64 *cyc)
{
	struct user_program prog = {
		.name = name, .image = image, .size = (u64)(end - image),
		.text_size = PAGE_SIZE,
	};
	u64 t0 = sched_clock(), c0 = cycles_ordered();
	int pid = proc_spawn(&prog, smp_processor_id(), 0);
	long st = pid > 0 ? proc_wait_timeout(pid, BENCH_WAIT_NS) : pid;

	*cyc = cycles_ordered() - c0;
	*ns = sched_clock() - t0;
	if (st != 0) {
		printk("bench: user: %s: status %ld\n", name, st);
		if (pid > 0 && st == -SYS_EAGAIN && proc_kill(pid))
			proc_wait_timeout(pid, BENCH_WAIT_NS);
		return false;
	}
	return true;
}

/* The best of RUNS runs. */
static bool best(const char *name, const u8 *image, const u8 *end, u64 *ns, u64 *cyc)
{
	*ns = *cyc = ~0ull;
	for (int i = 0; i < RUNS; i++) {
		u64 n, c;

		if (!run_once(name, image, end, &n, &c))
			return false;
		if (n < *ns)
			*ns = n;
		if (c < *cyc)
			*cyc = c;
	}
	return true;
}

static u64 per(u64 a, u64 base, u64 count)
{
	return a > base ? (a - base) / count : 0;
}

void bench_user(void)
{
	u64 bns, bcyc, sns, scyc, fns, fcyc;

	if (!best("bench_baseline", bench_prog_baseline, bench_prog_baseline_end, &bns, &bcyc) ||
	    !best("bench_syscalls", bench_prog_syscalls, bench_prog_syscalls_end, &sns, &scyc) ||
	    !best("bench_faults", bench_prog_faults, bench_prog_faults_end, &fns, &fcyc))
		return;
	printk("bench: user: syscall round trip %llu ns, %llu cycles (%d calls); "
	       "page fault round trip %llu ns, %llu cycles (%d faults)\n",
	       (unsigned long long)per(sns, bns, BENCH_SYSCALLS),
	       (unsigned long long)per(scyc, bcyc, BENCH_SYSCALLS), BENCH_SYSCALLS,
	       (unsigned long long)per(fns, bns, BENCH_FAULTS),
	       (unsigned long long)per(fcyc, bcyc, BENCH_FAULTS), BENCH_FAULTS);
}
