/*
 * hostile: bad arguments to every system call that takes any. Each must
 * come back as its error while the program runs on: pointers outside the
 * caller's memory (NULL, kernel, non-canonical, unmapped, wrapping, a
 * range running off the end of a mapping), lengths over the limits, names
 * that are missing or unterminated, and waits for processes that are not
 * children. Exits 0, or 1 + k when check k failed.
 */
#include <ulib.h>

/* A valid buffer longer than any write may be: write's length check
 * must answer, not a fault on the buffer. */
static char big[SYS_WRITE_MAX + 1];

int main(void)
{
	const void *kernel = (const void *)KERNEL_TEXT_ADDR;
	char name[40];
	s64 p, pid;

	/* write: bad buffers */
	CHECK_EQ(1, sys_write(NULL, 1), -SYS_EFAULT);
	CHECK_EQ(2, sys_write(kernel, 16), -SYS_EFAULT);
	CHECK_EQ(3, sys_write((const void *)(USER_TOP - 8), 16), -SYS_EFAULT);
	CHECK_EQ(4, sys_write((const void *)USER_TOP, 1), -SYS_EFAULT);
	CHECK_EQ(5, sys_write((const void *)0x100000000ul, 8), -SYS_EFAULT);
	CHECK_EQ(6, sys_write((const void *)0xfffffffffffffff0ul, 0x20), -SYS_EFAULT);
	/* write: bad lengths, the buffer valid */
	CHECK_EQ(7, sys_write(big, SYS_WRITE_MAX + 1), -SYS_EINVAL);
	CHECK_EQ(8, sys_write(big, 1ul << 40), -SYS_EINVAL);

	/* spawn: bad names */
	CHECK_EQ(9, sys_spawn(NULL), -SYS_EFAULT);
	CHECK_EQ(10, sys_spawn(kernel), -SYS_EFAULT);
	CHECK_EQ(11, sys_spawn("no-such"), -SYS_ENOENT);
	memset(name, 'x', sizeof(name));        /* no NUL in SYS_NAME_MAX */
	CHECK_EQ(12, sys_spawn(name), -SYS_EINVAL);

	/* mmap, munmap: bad lengths and addresses */
	CHECK_EQ(13, sys_mmap(0), -SYS_EINVAL);
	CHECK_EQ(14, sys_mmap(1ul << 46), -SYS_ENOMEM);
	CHECK_EQ(15, sys_munmap(USER_MMAP_BASE + 1, PAGE_BYTES), -SYS_EINVAL);
	CHECK_EQ(16, sys_munmap(KERNEL_TEXT_ADDR, PAGE_BYTES), -SYS_EINVAL);

	/* wait: not children */
	CHECK_EQ(17, sys_wait(1), -SYS_ECHILD);
	CHECK_EQ(18, sys_wait(-5), -SYS_ECHILD);

	/* Ranges that start mapped and run into an unmapped page: two pages
	 * mapped, the second unmapped again. */
	p = sys_mmap(2 * PAGE_BYTES);
	CHECK(19, p > 0, p);
	CHECK_EQ(20, sys_munmap(p + PAGE_BYTES, PAGE_BYTES), 0);
	char *last = (char *)p + PAGE_BYTES;   /* the first byte unmapped */
	CHECK_EQ(21, sys_write(last - 8, 16), -SYS_EFAULT);
	memcpy(last - 3, "exi", 3);             /* no NUL before the hole */
	CHECK_EQ(22, sys_spawn(last - 3), -SYS_EFAULT);
	/* ... but a name that ends, NUL and all, right before the hole is
	 * fine: the kernel must not read SYS_NAME_MAX bytes blindly. */
	memcpy(last - 7, "exit42", 7);
	pid = sys_spawn(last - 7);
	CHECK(23, pid > 0, pid);
	CHECK_EQ(24, sys_wait(pid), 42);
	CHECK_EQ(25, sys_wait(pid), -SYS_ECHILD);       /* once only */

	/* The whole mmap window (1 TiB) in one munmap: the kernel walks only
	 * what is mapped, so this returns at once instead of after 2^28
	 * page-table walks; afterwards the page above is gone too. */
	CHECK_EQ(26, sys_munmap(USER_MMAP_BASE, USER_MMAP_END - USER_MMAP_BASE), 0);
	CHECK_EQ(27, sys_write(last - 8, 1), -SYS_EFAULT);

	printf("hostile: ok\n");
	return 0;
}
