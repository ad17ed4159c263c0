/*
 * usys.h - pvk's system calls as user programs make them: the one place
 * a program executes `syscall` (the convention is abi/syscall.h's), one
 * static inline per call, each returning %rax as the kernel left it: the
 * result, or a negative SYS_E* error.
 */
#ifndef USYS_H
#define USYS_H

#include <abi/syscall.h>
#include <utypes.h>

/*
 * The raw call: number in %rax, arguments in %rdi, %rsi. The CPU writes
 * the return address to %rcx and RFLAGS to %r11 (clobbered); "memory":
 * the kernel reads and writes the caller's memory (write's buffer).
 */
static inline s64 syscall0(u64 nr)
{
	s64 ret;

	__asm__ volatile("syscall" : "=a"(ret) : "a"(nr) : "rcx", "r11", "memory");
	return ret;
}

static inline s64 syscall1(u64 nr, u64 a1)
{
	s64 ret;

	__asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a1)
			 : "rcx", "r11", "memory");
	return ret;
}

static inline s64 syscall2(u64 nr, u64 a1, u64 a2)
{
	s64 ret;

	__asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a1), "S"(a2)
			 : "rcx", "r11", "memory");
	return ret;
}

/* len bytes at buf to the console -> len */
static inline s64 sys_write(const void *buf, u64 len)
{
	return syscall2(SYS_write, (u64)buf, len);
}

/* End the process with status (the kernel keeps its low 8 bits). */
static inline noreturn void sys_exit(int status)
{
	syscall1(SYS_exit, (u64)(s64)status);
	/* SYS_exit came back: a kernel bug. ud2 has the kernel kill us (#UD)
	 * rather than run on into whatever follows. */
	for (;;)
		__asm__ volatile("ud2");
}

/* Let another thread of this CPU run -> 0 */
static inline s64 sys_yield(void)
{
	return syscall0(SYS_yield);
}

/* At least ms milliseconds -> 0 */
static inline s64 sys_sleep(u64 ms)
{
	return syscall1(SYS_sleep, ms);
}

/* The caller's process id (> 0) */
static inline s64 sys_getpid(void)
{
	return syscall0(SYS_getpid);
}

/* len bytes of fresh anonymous memory (RW, NX, zero) -> its address */
static inline s64 sys_mmap(u64 len)
{
	return syscall1(SYS_mmap, len);
}

/* Unmap [addr, addr + len) -> 0 */
static inline s64 sys_munmap(u64 addr, u64 len)
{
	return syscall2(SYS_munmap, addr, len);
}

/* Start the built-in program name (NUL-terminated) -> its pid */
static inline s64 sys_spawn(const char *name)
{
	return syscall1(SYS_spawn, (u64)name);
}

/* Wait for the child pid to end -> its exit status */
static inline s64 sys_wait(s64 pid)
{
	return syscall1(SYS_wait, (u64)pid);
}

#endif /* USYS_H */
