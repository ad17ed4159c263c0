/*
 * t_user.c - user mode: processes in ring 3, their system calls, their
 * faults, their preemption, SMAP and SMEP. The kernel's own small
 * programs (t_user_progs.S) test the mechanism; user/'s programs (the
 * built-in table) are run by name where they are linked in.
 *
 * Every wait is bounded (USER_WAIT_NS) and yields meanwhile: "main" runs
 * with interrupts off and switches only when it yields.
 */
#include <ktest.h>
#include <mm.h>
#include <paging.h>
#include <paravirt.h>
#include <proc.h>
#include <sched.h>
#include <string.h>
#include <syscall.h>
#include <trap.h>
#include <uvm.h>
#include <asm/user.h>
#include <asm/layout.h>
#include <asm/smp.h>
#include <asm/x86_bits.h>

/* Instruction bytes the tests put in user pages. */
#define OP_RET      0xc3
#define OP_SYSCALL0 0x0f      /* syscall: 0f 05 */
#define OP_SYSCALL1 0x05
/* The kernel's text: never a user address. */
#define KERNEL_TEXT (KERNEL_VMA + KERNEL_PHYS_BASE)

/* Long enough for a loaded 2-core host running nested TCG. */
#define USER_WAIT_NS (20ull * 1000 * 1000 * 1000)
#define MS (1000ull * 1000)

/* A program of t_user_progs.S: its bytes are its text. */
#define KT_PROG(n)                                                         \
	extern const u8 kt_prog_##n[], kt_prog_##n##_end[];                 \
	static const struct user_program kt_##n = {                         \
		.name = "kt_" #n,                                           \
		.image = kt_prog_##n,                                       \
		.size = 0,                                                  \
		.text_size = PAGE_SIZE,                                     \
	}

KT_PROG(exit42);
KT_PROG(hello);
KT_PROG(spin);
KT_PROG(sleepy);
KT_PROG(regs);
KT_PROG(check);
KT_PROG(edge);
KT_PROG(fault_null);
KT_PROG(fault_kread);
KT_PROG(fault_kexec);
KT_PROG(fault_nx);
KT_PROG(fault_write_text);
KT_PROG(fault_ud2);
KT_PROG(fault_hlt);
KT_PROG(fault_cli);
KT_PROG(fault_int80);
KT_PROG(fault_div0);
KT_PROG(fault_stack_overflow);

/* The program with its size filled in (the labels are link-time). */
static struct user_program prog_of(const struct user_program *p, const u8 *end)
{
	struct user_program q = *p;

	q.size = (u64)(end - p->image);
	return q;
}
#define PROG(n) prog_of(&kt_##n, kt_prog_##n##_end)

/* The last online CPU (the boot CPU when alone): where "main" is not. */
static int other_cpu(void)
{
	cpumask_t m = smp_online_mask();

	return 31 - __builtin_clz(m);
}

/* Spawn prog on cpu as the kernel's child and wait for it; its status,
 * or a negative SYS_E* (spawn's error, -SYS_EAGAIN: still running when
 * the wait gave up; then it is killed and reaped). */
static long run_on(struct ktest_ctx *t, const struct user_program *prog, int cpu)
{
	int pid = proc_spawn(prog, cpu, 0);
	long st;

	KT_EXPECTF(t, pid > 0, "spawn %s on CPU %d: %d", prog->name, cpu, pid);
	if (pid <= 0)
		return pid;
	st = proc_wait_timeout(pid, USER_WAIT_NS);
	if (st == -SYS_EAGAIN) {
		KT_EXPECTF(t, false, "%s (pid %d) still running after %llu s", prog->name,
			   pid, USER_WAIT_NS / 1000000000ull);
		proc_kill(pid);
		proc_wait_timeout(pid, USER_WAIT_NS);
	}
	return st;
}

/* A kernel that runs in ring 3 itself (pvhv --deprivileged) has no user
 * mode to test: say so rather than fail. */
static bool no_ring3(struct ktest_ctx *t)
{
	if (user_mode_ready(0))
		return false;
	KT_SKIP(t, "no user mode on this CPU: the kernel does not own ring 3 here");
	return true;
}

static long run(struct ktest_ctx *t, struct user_program prog)
{
	return run_on(t, &prog, other_cpu());
}

KTEST(user_exit_status)
{
	if (no_ring3(t))
		return;
	long st = run(t, PROG(exit42));

	KT_EXPECTF(t, st == 42, "status %ld", st);
	KT_EXPECT(t, proc_live() == 0);
}

KTEST(user_write_reaches_console)
{
	if (no_ring3(t))
		return;
	u64 before = sys_console_bytes();
	long st = run(t, PROG(hello));

	KT_EXPECTF(t, st == 0, "status %ld", st);
	KT_EXPECTF(t, sys_console_bytes() - before == 28, "%llu bytes written",
		   (unsigned long long)(sys_console_bytes() - before));
}

/* ... and the call returns through sysretq (the other way out, iretq,
 * would restore them too) */
KTEST(user_registers_survive_syscall)
{
	if (no_ring3(t))
		return;
	u64 sysrets = __atomic_load_n(&user_exits.sysret, __ATOMIC_RELAXED);
	long st = run(t, PROG(regs));

	KT_EXPECTF(t, st == 0, "status %ld (1: a register changed)", st);
	KT_EXPECT(t, __atomic_load_n(&user_exits.sysret, __ATOMIC_RELAXED) > sysrets);
}

/* ... and every page it had (image, stack, mmap, page tables, its PML4)
 * is free again once it is reaped */
KTEST(user_syscall_answers)
{
	if (no_ring3(t))
		return;
	u64 free_before = pmm_free_pages();
	long st = run(t, PROG(check));

	KT_EXPECTF(t, st == 0, "status %ld: check %ld of t_user_progs.S's check failed", st, st);
	KT_EXPECTF(t, pmm_free_pages() == free_before, "%lld pages not given back",
		   (long long)(free_before - pmm_free_pages()));
}

KTEST(user_sleep_blocks)
{
	if (no_ring3(t))
		return;
	u64 t0 = sched_clock();
	long st = run(t, PROG(sleepy));
	u64 dt = sched_clock() - t0;

	KT_EXPECTF(t, st == 7, "status %ld", st);
	KT_EXPECTF(t, dt >= 20 * MS, "done in %llu us", (unsigned long long)(dt / 1000));
}

/* Each faulting program dies with its vector (the kernel says which,
 * on the console), and the kernel goes on. */
KTEST(user_faults_kill_the_process)
{
	if (no_ring3(t))
		return;
	const struct {
		struct user_program prog;
		int vector;
	} cases[] = {
		{ PROG(fault_null), X86_TRAP_PF },
		{ PROG(fault_kread), X86_TRAP_PF },
		{ PROG(fault_kexec), X86_TRAP_PF },
		{ PROG(fault_nx), X86_TRAP_PF },
		{ PROG(fault_write_text), X86_TRAP_PF },
		{ PROG(fault_stack_overflow), X86_TRAP_PF },
		{ PROG(fault_ud2), X86_TRAP_UD },
		{ PROG(fault_hlt), X86_TRAP_GP },
		{ PROG(fault_cli), X86_TRAP_GP },
		{ PROG(fault_int80), X86_TRAP_GP },
		{ PROG(fault_div0), X86_TRAP_DE },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		long st = run(t, cases[i].prog);

		KT_EXPECTF(t, st == SYS_KILLED_BY(cases[i].vector), "%s: status %#lx, not %#x",
			   cases[i].prog.name, st, SYS_KILLED_BY(cases[i].vector));
	}
	KT_EXPECT(t, proc_live() == 0);
	KT_EXPECT(t, run(t, PROG(exit42)) == 42);     /* and the next one runs */
}

/*
 * The sysretq hazard: a syscall in the last bytes of the lower half
 * returns to USER_TOP, which is not canonical (sysretq would fault in
 * ring 0 with the user's rsp loaded, iretq too, with the user's GS). The
 * kernel kills such a process with #GP instead, as ring 3 would see it.
 * The process is spawned on this CPU, where "main" (interrupts off) does
 * not let it run before its last page is in place.
 */
KTEST(user_noncanonical_return_is_killed)
{
	if (no_ring3(t))
		return;
	struct user_program edge = PROG(edge);
	u64 refused = __atomic_load_n(&user_exits.noncanonical, __ATOMIC_RELAXED);
	int pid = proc_spawn(&edge, smp_processor_id(), 0);
	phys_addr_t pa = alloc_page();
	u8 *code = __va(pa);
	long st;

	KT_EXPECTF(t, pid > 0, "spawn: %d", pid);
	if (pid <= 0) {
		free_page(pa);
		return;
	}
	code[PAGE_SIZE - 2] = OP_SYSCALL0;
	code[PAGE_SIZE - 1] = OP_SYSCALL1;
	KT_EXPECT(t, proc_map_page(pid, USER_TOP - PAGE_SIZE, pa, UVM_EXEC) == 0);
	st = proc_wait_timeout(pid, USER_WAIT_NS);
	KT_EXPECTF(t, st == SYS_KILLED_BY(X86_TRAP_GP), "status %#lx", st);
	/* the kernel refused the return; a CPU that faults sysretq in ring
	 * 3 (AMD's, TCG's) would give the same status without it */
	KT_EXPECT(t, __atomic_load_n(&user_exits.noncanonical, __ATOMIC_RELAXED) == refused + 1);
}

/*
 * PCIDs: a new process in a reused slot (so a reused PCID) gets a
 * flushing cr3 load; switching back and forth between two live ones
 * keeps their entries. (Whether stale entries would be used, TCG cannot
 * show: its TLB ignores PCIDs. The counts show which loads flushed.)
 */
KTEST(user_pcid_flushes_on_reuse_keeps_on_return)
{
	if (no_ring3(t))
		return;
	struct user_program exit42 = PROG(exit42), spin = PROG(spin), hello = PROG(hello);
	u64 flushed = __atomic_load_n(&uvm_stats.flushed, __ATOMIC_RELAXED);
	u64 kept;
	int cpu = other_cpu(), spid;
	long st;

	if (!uvm_pcid_enabled()) {
		KT_SKIP(t, "no PCIDs (CPUID 1.ECX bit 17)");
		return;
	}
	KT_EXPECT(t, run_on(t, &exit42, cpu) == 42);
	KT_EXPECT(t, run_on(t, &exit42, cpu) == 42);     /* the same slot, a new pid */
	KT_EXPECTF(t, __atomic_load_n(&uvm_stats.flushed, __ATOMIC_RELAXED) >= flushed + 2,
		   "%llu flushing loads for two new processes",
		   (unsigned long long)(uvm_stats.flushed - flushed));
	kept = __atomic_load_n(&uvm_stats.kept, __ATOMIC_RELAXED);
	spid = proc_spawn(&spin, cpu, 0);
	KT_EXPECT(t, spid > 0);
	st = run_on(t, &hello, cpu);                    /* switched against spin */
	KT_EXPECT(t, st == 0);
	if (spid > 0) {
		proc_kill(spid);
		KT_EXPECT(t, proc_wait_timeout(spid, USER_WAIT_NS) == PROC_STATUS_KILLED_BY_KERNEL);
	}
	KT_EXPECTF(t, __atomic_load_n(&uvm_stats.kept, __ATOMIC_RELAXED) > kept,
		   "no load kept a PCID's entries");
}

/* A program that never enters the kernel is still preempted: spin and
 * hello on one CPU, hello ends while spin runs; then the kernel kills
 * spin (at its next way out to ring 3, a timer tick's). */
KTEST(user_preemption_by_the_timer)
{
	if (no_ring3(t))
		return;
	struct user_program spin = PROG(spin), hello = PROG(hello);
	int cpu = other_cpu();
	int spid = proc_spawn(&spin, cpu, 0);
	long st;

	KT_EXPECTF(t, spid > 0, "spawn spin: %d", spid);
	if (spid <= 0)
		return;
	st = run_on(t, &hello, cpu);
	KT_EXPECTF(t, st == 0, "hello beside spin: status %ld", st);
	KT_EXPECT(t, proc_live() == 1);                 /* spin still runs */
	KT_EXPECT(t, proc_kill(spid));
	st = proc_wait_timeout(spid, USER_WAIT_NS);
	KT_EXPECTF(t, st == PROC_STATUS_KILLED_BY_KERNEL, "spin: status %#lx", st);
}

/* One process on each online CPU at once, each to its end. */
KTEST(user_one_process_per_cpu)
{
	if (no_ring3(t))
		return;
	struct user_program hello = PROG(hello);
	int pids[SMP_MAX_CPUS], n = 0;
	cpumask_t online = smp_online_mask();

	for (int cpu = 0; cpu < SMP_MAX_CPUS; cpu++)
		if (online & (1u << cpu)) {
			pids[n] = proc_spawn(&hello, cpu, 0);
			KT_EXPECTF(t, pids[n] > 0, "CPU %d: spawn %d", cpu, pids[n]);
			n += pids[n] > 0;
		}
	for (int i = 0; i < n; i++) {
		long st = proc_wait_timeout(pids[i], USER_WAIT_NS);

		KT_EXPECTF(t, st == 0, "pid %d: status %ld", pids[i], st);
	}
}

/* The process table's limit holds: PROC_MAX spinning processes, then
 * -SYS_EAGAIN; all killed and reaped, a new one runs. */
KTEST(user_process_limit)
{
	if (no_ring3(t))
		return;
	struct user_program spin = PROG(spin);
	int pids[PROC_MAX], n = 0, r;

	for (n = 0; n < PROC_MAX; n++) {
		pids[n] = proc_spawn(&spin, proc_next_cpu(), 0);
		if (pids[n] <= 0)
			break;
	}
	KT_EXPECTF(t, n == PROC_MAX, "%d spawned, then %d", n, n < PROC_MAX ? pids[n] : 0);
	r = proc_spawn(&spin, other_cpu(), 0);
	KT_EXPECTF(t, r == -SYS_EAGAIN, "spawn beyond the limit: %d", r);
	for (int i = 0; i < n; i++)
		proc_kill(pids[i]);
	for (int i = 0; i < n; i++) {
		long st = proc_wait_timeout(pids[i], USER_WAIT_NS);

		KT_EXPECTF(t, st == PROC_STATUS_KILLED_BY_KERNEL, "pid %d: %#lx", pids[i], st);
	}
	KT_EXPECT(t, proc_live() == 0);
	KT_EXPECT(t, run(t, PROG(exit42)) == 42);
}

/* A page of a fresh address space at va, holding `byte`, made live on
 * this CPU for a test (interrupts are off in "main": nothing switches). */
#define TEST_UVA 0x500000ul
static phys_addr_t test_space(u8 byte, unsigned prot)
{
	static int owner = -2;                /* each space a new owner */
	phys_addr_t root = uvm_create(), pa = alloc_page();

	memset(__va(pa), byte, PAGE_SIZE);
	if (!root || uvm_map(root, TEST_UVA, pa, prot))
		panic("test_space: no memory");
	uvm_switch(root, UVM_PCIDS - 1, owner--);   /* a PCID no process has */
	return root;
}

static void test_space_end(phys_addr_t root)
{
	uvm_switch(0, 0, 0);
	uvm_destroy(root);
}

/* SMAP: ring 0 reading a user page without stac faults (the probe's
 * fixup catches it), with stac it reads. */
KTEST(user_smap_stops_kernel_reads)
{
	if (no_ring3(t))
		return;
	phys_addr_t root;
	u8 v = 0;
	int r;

	if (!(read_cr4() & CR4_SMAP)) {
		KT_SKIP(t, "the CPU has no SMAP (CPUID 7.EBX bit 20)");
		return;
	}
	root = test_space(0x5a, 0);
	last_fault.vector = 0;
	r = probe_read((const void *)TEST_UVA, &v);
	KT_EXPECTF(t, r < 0 && last_fault.vector == X86_TRAP_PF &&
		   (last_fault.error & PF_PRESENT), "read without stac: %d, vector %lu, error %#lx",
		   r, (unsigned long)last_fault.vector, (unsigned long)last_fault.error);
	stac();
	r = probe_read((const void *)TEST_UVA, &v);
	clac();
	KT_EXPECTF(t, r == 0 && v == 0x5a, "read with stac: %d, %#x", r, v);
	test_space_end(root);
}

/* SMEP: ring 0 calling into a user page faults (an instruction fetch). */
KTEST(user_smep_stops_kernel_exec)
{
	if (no_ring3(t))
		return;
	phys_addr_t root;
	int r;

	if (!(read_cr4() & CR4_SMEP)) {
		KT_SKIP(t, "the CPU has no SMEP (CPUID 7.EBX bit 7)");
		return;
	}
	root = test_space(OP_RET, UVM_EXEC);
	last_fault.vector = 0;
	r = probe_exec((const void *)TEST_UVA);
	KT_EXPECTF(t, r < 0 && last_fault.vector == X86_TRAP_PF &&
		   (last_fault.error & PF_INSTR), "call into a user page: %d, vector %lu, error %#lx",
		   r, (unsigned long)last_fault.vector, (unsigned long)last_fault.error);
	test_space_end(root);
}

/* The copies: a bad user pointer is -SYS_EFAULT, never a crash; a
 * kernel address is refused before it is touched. */
KTEST(user_copies_fault_cleanly)
{
	if (no_ring3(t))
		return;
	phys_addr_t root = test_space(0x11, UVM_WRITE);
	u8 buf[16];

	KT_EXPECT(t, copy_from_user(buf, (const void *)TEST_UVA, sizeof(buf)) == 0);
	KT_EXPECT(t, buf[0] == 0x11 && buf[15] == 0x11);
	memset(buf, 0x22, sizeof(buf));
	KT_EXPECT(t, copy_to_user((void *)(TEST_UVA + 8), buf, sizeof(buf)) == 0);
	KT_EXPECT(t, ((u8 *)__va(pt_entry_addr(lookup_pte(root, TEST_UVA)->v)))[8] == 0x22);
	/* the next page is not mapped: the copy's fixup */
	KT_EXPECT(t, copy_from_user(buf, (const void *)(TEST_UVA + PAGE_SIZE - 8),
				    sizeof(buf)) == -SYS_EFAULT);
	KT_EXPECT(t, copy_from_user(buf, (const void *)0, 1) == -SYS_EFAULT);
	KT_EXPECT(t, copy_from_user(buf, (const void *)KERNEL_TEXT, 1) == -SYS_EFAULT);
	KT_EXPECT(t, copy_from_user(buf, (const void *)(USER_TOP - 8), 16) == -SYS_EFAULT);
	KT_EXPECT(t, copy_to_user((void *)~0ul, buf, 2) == -SYS_EFAULT);
	test_space_end(root);
}

/* ---- user/'s programs, by name (the built-in table) ------------------- */

/* The built-in program `name`, or NULL with the test skipped. */
static const struct user_program *need(struct ktest_ctx *t, const char *name)
{
	const struct user_program *p = proc_find_program(name);

	if (!p)
		KT_SKIP(t, "user/'s programs are not linked in");
	return p;
}

/* Run each named program, expecting `status` of every one. */
static void expect_status(struct ktest_ctx *t, const char *const *names, long status)
{
	for (; *names; names++) {
		const struct user_program *p = need(t, *names);
		long st;

		if (!p)
			return;
		st = run_on(t, p, other_cpu());
		KT_EXPECTF(t, st == status, "%s: status %#lx, not %#lx", *names, st, status);
	}
}

KTEST(user_prog_hello)
{
	if (no_ring3(t))
		return;
	const struct user_program *p = need(t, "hello");
	u64 before = sys_console_bytes();
	long st;

	if (!p)
		return;
	st = run_on(t, p, other_cpu());
	KT_EXPECTF(t, st == 0, "status %ld", st);
	/* "hello from user mode, pid N\n": at least its 24 fixed bytes */
	KT_EXPECTF(t, sys_console_bytes() - before >= 24, "%llu bytes written",
		   (unsigned long long)(sys_console_bytes() - before));
}

KTEST(user_prog_exit42)
{
	if (no_ring3(t))
		return;
	static const char *const names[] = { "exit42", NULL };

	expect_status(t, names, 42);
}

KTEST(user_prog_self_checks)
{
	if (no_ring3(t))
		return;
	static const char *const names[] = { "syscalls", "hostile", "memory", NULL };

	expect_status(t, names, 0);
}

KTEST(user_prog_faults)
{
	if (no_ring3(t))
		return;
	static const char *const pf[] = { "fault_null", "fault_kread", "fault_kwrite",
					  "fault_kexec", "fault_unmapped", "fault_nx", NULL };
	static const char *const ud[] = { "fault_ud2", NULL };
	static const char *const gp[] = { "fault_hlt", "fault_cli", "fault_int80", NULL };
	static const char *const de[] = { "fault_div0", NULL };
	static const char *const after[] = { "exit42", NULL };

	expect_status(t, pf, SYS_KILLED_BY(X86_TRAP_PF));
	expect_status(t, ud, SYS_KILLED_BY(X86_TRAP_UD));
	expect_status(t, gp, SYS_KILLED_BY(X86_TRAP_GP));
	expect_status(t, de, SYS_KILLED_BY(X86_TRAP_DE));
	expect_status(t, after, 42);              /* the kernel carried on */
	KT_EXPECT(t, proc_live() == 0);
}

KTEST(user_prog_preemption)
{
	if (no_ring3(t))
		return;
	const struct user_program *spin = need(t, "spin"), *hello = need(t, "hello");
	int cpu = other_cpu(), spid;
	long st;

	if (!spin || !hello)
		return;
	spid = proc_spawn(spin, cpu, 0);
	KT_EXPECTF(t, spid > 0, "spawn spin: %d", spid);
	if (spid <= 0)
		return;
	st = run_on(t, hello, cpu);
	KT_EXPECTF(t, st == 0, "hello beside spin: status %ld", st);
	KT_EXPECT(t, proc_kill(spid));
	st = proc_wait_timeout(spid, USER_WAIT_NS);
	KT_EXPECTF(t, st == PROC_STATUS_KILLED_BY_KERNEL, "spin: status %#lx", st);
}

KTEST(user_prog_spawner)
{
	if (no_ring3(t))
		return;
	static const char *const names[] = { "spawner", NULL };

	expect_status(t, names, 0);
	KT_EXPECT(t, proc_live() == 0);
}

KTEST(user_prog_hello_on_each_cpu)
{
	if (no_ring3(t))
		return;
	const struct user_program *p = need(t, "hello");
	int pids[SMP_MAX_CPUS], n = 0;
	cpumask_t online = smp_online_mask();

	if (!p)
		return;
	for (int cpu = 0; cpu < SMP_MAX_CPUS; cpu++)
		if (online & (1u << cpu)) {
			pids[n] = proc_spawn(p, cpu, 0);
			KT_EXPECTF(t, pids[n] > 0, "CPU %d: spawn %d", cpu, pids[n]);
			n += pids[n] > 0;
		}
	for (int i = 0; i < n; i++) {
		long st = proc_wait_timeout(pids[i], USER_WAIT_NS);

		KT_EXPECTF(t, st == 0, "pid %d: status %ld", pids[i], st);
	}
}

/* Wait, bounded, until exactly `n` processes are live. */
static bool live_becomes(int n)
{
	u64 t0 = sched_clock();

	while (proc_live() != n)
		if (sched_clock() - t0 > USER_WAIT_NS)
			return false;
		else
			yield();
	return true;
}

/* A kill reaches a process blocked in the kernel: one in SYS_sleep (50
 * s asked) and one in SYS_wait for a child that never ends both end at
 * once, as killed by the kernel; the orphaned child is killed too. */
KTEST(user_kill_ends_blocked_sleep_and_wait)
{
	if (no_ring3(t))
		return;
	const struct user_program *sl = need(t, "sleep_long"), *ws = need(t, "wait_spin");
	int cpu = other_cpu(), pid, live = proc_live();
	u64 t0;
	long st;

	if (!sl || !ws)
		return;
	pid = proc_spawn(sl, cpu, 0);
	KT_EXPECTF(t, pid > 0, "spawn sleep_long: %d", pid);
	if (pid <= 0)
		return;
	/* give it time to get into its sleep: a kill before is fine too */
	for (t0 = sched_clock(); sched_clock() - t0 < 50 * MS;)
		yield();
	t0 = sched_clock();
	KT_EXPECT(t, proc_kill(pid));
	st = proc_wait_timeout(pid, USER_WAIT_NS);
	KT_EXPECTF(t, st == PROC_STATUS_KILLED_BY_KERNEL, "sleep_long: status %#lx", st);
	KT_EXPECTF(t, sched_clock() - t0 < 10000 * MS, "the sleeper took %llu ms to end",
		   (unsigned long long)((sched_clock() - t0) / MS));

	pid = proc_spawn(ws, cpu, 0);
	KT_EXPECTF(t, pid > 0, "spawn wait_spin: %d", pid);
	if (pid <= 0)
		return;
	/* wait_spin and its spin live: the next pid is the spin (pids
	 * count up, and nothing else spawns meanwhile) */
	KT_EXPECTF(t, live_becomes(live + 2), "%d processes live, %d wanted", proc_live(),
		   live + 2);
	KT_EXPECT(t, proc_kill(pid));
	st = proc_wait_timeout(pid, USER_WAIT_NS);
	KT_EXPECTF(t, st == PROC_STATUS_KILLED_BY_KERNEL, "wait_spin: status %#lx", st);
	KT_EXPECTF(t, proc_kill(pid + 1), "the orphaned spin (pid %d) is not live", pid + 1);
	KT_EXPECTF(t, live_becomes(live), "%d processes live after the kills, %d before",
		   proc_live(), live);
}
