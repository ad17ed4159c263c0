/*
 * ulib.h - the mini runtime of pvk's built-in user programs (user/lib/):
 * string helpers, console output, and the self-check that ends a program.
 * The system calls are usys.h's.
 */
#ifndef ULIB_H
#define ULIB_H

#include <usys.h>
#include <utypes.h>

#define PAGE_BYTES 4096ul       /* the kernel's page: mmap's unit */

/* An address in pvk's kernel text (KERNEL_VMA + 1 MiB, where the kernel
 * is linked): mapped, but for the supervisor only. The hostile and
 * faulting programs aim at it. */
#define KERNEL_TEXT_ADDR 0xffffffff80100000ul

/* lib/string.c: what the compiler may also call on its own */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

/* lib/print.c: print s to the console (any length, in SYS_WRITE_MAX
 * pieces). */
void print(const char *s);

/*
 * printf-lite: %d %i %u %x %p %s %c %%, with l, ll or z before d, i, u,
 * x, and an optional 0 flag and width before those (%016lx). The output
 * goes out in one SYS_write when it fits PRINTF_BUF bytes, so that a
 * line is not interleaved with the lines of processes on other CPUs.
 * Returns the number of bytes it wrote.
 */
#define PRINTF_BUF 256
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * A failed self-check: prints "PROG: check K failed: WHAT (seen V)" and
 * ends the process with status 1 + k. The programs number their checks
 * from 1 in the order they run, so the status says which one failed.
 */
noreturn void check_failed(const char *prog, int k, const char *what, u64 seen);

/* CHECK(k, cond, seen): check k is that cond holds; seen is the value to
 * show when it does not. PROG_NAME is the program's name (user/user.mk
 * defines it from the file name). */
#define CHECK(k, cond, seen)                                               \
	do {                                                               \
		if (!(cond))                                               \
			check_failed(PROG_NAME, (k), #cond, (u64)(seen));  \
	} while (0)

/* CHECK_EQ(k, expr, want): check k is that expr (evaluated once, as a
 * signed 64-bit value: a system call's result) equals want. */
#define CHECK_EQ(k, expr, want)                                            \
	do {                                                               \
		s64 seen_ = (s64)(expr);                                   \
		if (seen_ != (s64)(want))                                  \
			check_failed(PROG_NAME, (k), #expr " == " #want,   \
				     (u64)seen_);                          \
	} while (0)

#endif /* ULIB_H */
