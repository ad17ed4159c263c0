/*
 * memory: anonymous memory and the demand-zero stack. mmap gives
 * page-aligned, zeroed memory in [USER_MMAP_BASE, USER_MMAP_END) that
 * keeps what is written; munmap of a middle page leaves its neighbours
 * alone; 32 KiB of untouched stack reads zero. Exits 0, or 1 + k when
 * check k failed.
 */
#include <ulib.h>

#define STACK_ARRAY_BYTES (32 * 1024)
#define WORDS_PER_PAGE (PAGE_BYTES / sizeof(u64))

/* What each word holds once written: its own address, scrambled, so a
 * page that shows up at two addresses (one frame mapped twice) or a
 * stale page does not pass. */
static u64 pattern(const volatile u64 *w)
{
	return (u64)w ^ 0x5a5a5a5a5a5a5a5aul;
}

/* Check k: pages [first, first + n) read zero, word by word. */
static void check_zero(int k, volatile u64 *first, size_t pages)
{
	for (size_t i = 0; i < pages * WORDS_PER_PAGE; i++)
		if (first[i] != 0)
			check_failed(PROG_NAME, k, "fresh memory reads zero", first[i]);
}

static void fill(volatile u64 *first, size_t pages)
{
	for (size_t i = 0; i < pages * WORDS_PER_PAGE; i++)
		first[i] = pattern(&first[i]);
}

/* Check k: pages [first, first + n) hold the pattern fill() wrote. */
static void check_pattern(int k, volatile u64 *first, size_t pages)
{
	for (size_t i = 0; i < pages * WORDS_PER_PAGE; i++)
		if (first[i] != pattern(&first[i]))
			check_failed(PROG_NAME, k, "memory keeps what was written", first[i]);
}

/* Check k: p is a page-aligned mapping of pages pages inside the mmap
 * area (k: an error, k + 1: misaligned, k + 2: outside). */
static void check_mapping(int k, s64 p, size_t pages)
{
	CHECK(k, p > 0, p);
	CHECK(k + 1, p % PAGE_BYTES == 0, p);
	CHECK(k + 2, (u64)p >= USER_MMAP_BASE &&
		     (u64)p + pages * PAGE_BYTES <= USER_MMAP_END, p);
}

/* 32 KiB on the stack, eight pages below anything touched so far (main
 * calls this first): each word reads zero before it is written. */
static noinline void stack_check(void)
{
	volatile u64 a[STACK_ARRAY_BYTES / sizeof(u64)];

	check_zero(1, a, STACK_ARRAY_BYTES / PAGE_BYTES);
	fill(a, STACK_ARRAY_BYTES / PAGE_BYTES);
	check_pattern(2, a, STACK_ARRAY_BYTES / PAGE_BYTES);
}

int main(void)
{
	volatile u64 *m, *again;
	s64 p;

	stack_check();

	p = sys_mmap(3 * PAGE_BYTES);
	check_mapping(3, p, 3);                 /* checks 3, 4, 5 */
	m = (volatile u64 *)p;
	check_zero(6, m, 3);
	fill(m, 3);
	check_pattern(7, m, 3);

	CHECK_EQ(8, sys_munmap(p + PAGE_BYTES, PAGE_BYTES), 0);
	check_pattern(9, m, 1);
	check_pattern(10, m + 2 * WORDS_PER_PAGE, 1);

	p = sys_mmap(PAGE_BYTES);
	check_mapping(11, p, 1);                /* checks 11, 12, 13 */
	again = (volatile u64 *)p;
	check_zero(14, again, 1);
	fill(again, 1);
	check_pattern(15, again, 1);
	check_pattern(16, m, 1);                /* the old pages untouched */
	check_pattern(17, m + 2 * WORDS_PER_PAGE, 1);

	printf("memory: ok\n");
	return 0;
}
