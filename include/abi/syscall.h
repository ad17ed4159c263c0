/*
 * abi/syscall.h - pvk's system calls: what a user program and the kernel
 * both compile (the kernel's side is kernel/syscall.c, the programs'
 * user/lib/). Usable from C and assembler.
 *
 * The convention is Linux's x86-64 one: `syscall` with the number in
 * %rax and the arguments in %rdi, %rsi, %rdx, %r10, %r8, %r9; the result
 * comes back in %rax, a negative errno (the values below, Linux's) on
 * failure; %rcx and %r11 are clobbered (the CPU puts the return address
 * and RFLAGS there), every other register is preserved.
 */
#ifndef ABI_SYSCALL_H
#define ABI_SYSCALL_H

/* ---- numbers ---------------------------------------------------------- */
#define SYS_write   0   /* (const void *buf, u64 len) -> len: to the console */
#define SYS_exit    1   /* (int status) -> never returns */
#define SYS_yield   2   /* () -> 0: let another thread of this CPU run */
#define SYS_sleep   3   /* (u64 ms) -> 0: at least ms milliseconds */
#define SYS_getpid  4   /* () -> the caller's process id (> 0) */
#define SYS_mmap    5   /* (u64 len) -> address: anonymous, RW, NX, demand-zero */
#define SYS_munmap  6   /* (u64 addr, u64 len) -> 0 */
#define SYS_spawn   7   /* (const char *name) -> pid of a new process running
			   the built-in program `name` (NUL-terminated) */
#define SYS_wait    8   /* (int pid) -> its exit status, once it has ended:
			   only the spawner may wait, once */
#define SYS_NR      9   /* numbers at or above: -ENOSYS */

/* ---- errors (negated in %rax) ----------------------------------------- */
#define SYS_ENOENT   2   /* spawn: no built-in program of that name */
#define SYS_ECHILD  10   /* wait: not a child of the caller, or waited already */
#define SYS_EAGAIN  11   /* spawn: the process limit is reached */
#define SYS_ENOMEM  12   /* mmap: no address space or no memory left */
#define SYS_EFAULT  14   /* a pointer or range not in the caller's user memory */
#define SYS_EINVAL  22   /* a bad length, address or alignment */
#define SYS_ENOSYS  38   /* no such system call */

/* ---- limits ----------------------------------------------------------- */
#define SYS_WRITE_MAX   4096    /* longer writes: -EINVAL */
#define SYS_NAME_MAX    32      /* spawn names, the NUL included */

/* The exit status of a process the kernel killed for a fault: the vector
 * in the low byte, above every status a program can pass to exit (which
 * keeps its low 8 bits, as on Linux). */
#define SYS_KILLED_BY(vector) (0x100 | (vector))
#define SYS_STATUS_KILLED     0x100

/* ---- the user address space (lower half) ------------------------------ */
#define USER_TEXT_BASE  0x400000          /* programs are linked here */
#define USER_MMAP_BASE  0x10000000000     /* 1 TiB: mmap hands out from here */
#define USER_MMAP_END   0x20000000000
#define USER_STACK_TOP  0x7ffffff00000    /* the stack grows down from here */
#define USER_STACK_SIZE 0x10000           /* 64 KiB, mapped demand-zero */
#define USER_TOP        0x800000000000    /* first non-canonical address */

#endif /* ABI_SYSCALL_H */
