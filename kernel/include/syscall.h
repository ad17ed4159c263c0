/*
 * syscall.h - the kernel's side of the system calls (abi/syscall.h has
 * the ABI; kernel/syscall.c the calls) and the user copies they use.
 */
#ifndef PVK_SYSCALL_H
#define PVK_SYSCALL_H

#include <types.h>
#include <abi/syscall.h>

/* syscall_do - system call nr with its six arguments: the result, a
 * negative SYS_E* on failure, -SYS_ENOSYS for an unknown nr. From the
 * running process's thread, interrupts on. */
long syscall_do(u64 nr, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5);

/* sys_console_bytes - bytes SYS_write has handed the console so far. */
u64 sys_console_bytes(void);

/* user_range_ok - [addr, addr + len) lies below USER_TOP, without
 * overflow (len 0: addr itself at most USER_TOP). */
static inline bool user_range_ok(u64 addr, u64 len)
{
	return addr <= USER_TOP && len <= USER_TOP - addr;
}

/*
 * copy_from_user, copy_to_user - n bytes between the kernel and the
 * running process's memory, with SMAP opened around the copy (stac,
 * clac): 0, or -SYS_EFAULT for a range outside user memory or a page
 * that faults (the exception table resumes the copy's fixup).
 * strncpy_from_user - a user string of at most n bytes: its length when
 * a NUL is among them (copied too), n when not, -SYS_EFAULT likewise.
 * (arch user.c)
 */
long copy_from_user(void *dst, const void *usrc, u64 n);
long copy_to_user(void *udst, const void *src, u64 n);
long strncpy_from_user(char *dst, const char *usrc, u64 n);

#endif /* PVK_SYSCALL_H */
