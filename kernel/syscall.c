/*
 * syscall.c - the system calls (abi/syscall.h): what syscall_do does for
 * each number, the arguments checked and user memory reached only
 * through the copies (syscall.h).
 */
#include <paravirt.h>
#include <printk.h>
#include <proc.h>
#include <sched.h>
#include <syscall.h>

/* Sleeps longer than this are refused: a bound on a wait. */
#define SYS_SLEEP_MAX_MS 60000

static u64 console_bytes;

u64 sys_console_bytes(void)
{
	return __atomic_load_n(&console_bytes, __ATOMIC_RELAXED);
}

/* write(buf, len): one console write of the copied bytes. */
static long sys_write(u64 buf, u64 len)
{
	char *kbuf = proc_write_buf();
	long r;

	if (len > SYS_WRITE_MAX)
		return -SYS_EINVAL;
	r = copy_from_user(kbuf, (const void *)buf, len);
	if (r)
		return r;
	if (len)
		console_out(kbuf, len);
	__atomic_fetch_add(&console_bytes, len, __ATOMIC_RELAXED);
	return (long)len;
}

/* sleep(ms): blocked in this CPU's sleeper list (sched.c) */
static long sys_sleep(u64 ms)
{
	if (ms > SYS_SLEEP_MAX_MS)
		return -SYS_EINVAL;
	thread_sleep_until(sched_clock() + ms * 1000000);
	return 0;
}

/* spawn(name): the built-in program of that name, on the next CPU */
static long sys_spawn(u64 uname)
{
	char name[SYS_NAME_MAX];
	long n = strncpy_from_user(name, (const char *)uname, SYS_NAME_MAX);
	const struct user_program *prog;

	if (n < 0)
		return n;
	if (n == SYS_NAME_MAX || n == 0)
		return -SYS_EINVAL;          /* no NUL in SYS_NAME_MAX bytes, or empty */
	prog = proc_find_program(name);
	if (!prog)
		return -SYS_ENOENT;
	return proc_spawn(prog, proc_next_cpu(), proc_pid(proc_current()));
}

long syscall_do(u64 nr, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5)
{
	(void)a2, (void)a3, (void)a4, (void)a5;
	switch (nr) {
	case SYS_write:
		return sys_write(a0, a1);
	case SYS_exit:
		proc_exit((int)(a0 & 0xff));
	case SYS_yield:
		yield();
		return 0;
	case SYS_sleep:
		return sys_sleep(a0);
	case SYS_getpid:
		return proc_pid(proc_current());
	case SYS_mmap:
		return proc_mmap(a0);
	case SYS_munmap:
		return proc_munmap(a0, a1);
	case SYS_spawn:
		return sys_spawn(a0);
	case SYS_wait:
		if ((long)a0 <= 0 || a0 > (u64)__INT_MAX__)
			return -SYS_ECHILD;
		return proc_wait((int)a0, proc_pid(proc_current()));
	default:
		return -SYS_ENOSYS;
	}
}
