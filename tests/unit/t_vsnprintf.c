/*
 * t_vsnprintf.c - the kernel's printf (kernel/lib/vsnprintf.c, built
 * hosted as kvsnprintf) against the C library's, format by format.
 */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>

int ksnprintf(char *buf, size_t size, const char *fmt, ...);

#define SAME(...)                                                          \
	do {                                                                \
		char want[256], got[256];                                   \
		int wn = snprintf(want, sizeof(want), __VA_ARGS__);         \
		int gn = ksnprintf(got, sizeof(got), __VA_ARGS__);          \
		cr_assert_str_eq(got, want, "format %s", #__VA_ARGS__);     \
		cr_assert_eq(gn, wn, "length for %s", #__VA_ARGS__);        \
	} while (0)

Test(vsnprintf, integers)
{
	SAME("%d %i %u", 0, -1, 4000000000u);
	SAME("%d|%5d|%-5d|%05d", 42, -42, 42, -42);
	SAME("%ld %lld %lu %llu", -9000000000l, -1ll, 18446744073709551615ul, 0ull);
	SAME("%zu %x %X %lx", (size_t)123, 0xdeadbeef, 0xabcu, 0xffffffffffffffffl);
	SAME("%#x %#lx %08x %-8x|", 0x1f, 0x1000l, 0x2a, 0x2a);
	SAME("%016lx %016llx", 0x123l, 0xffffffff80100000ull);
}

Test(vsnprintf, strings_and_chars)
{
	SAME("[%s] [%10s] [%-10s] [%.3s] [%.*s]", "abc", "abc", "abc", "abcdef", 2, "xyz");
	SAME("%-24s|%c|%3c|%-3c|", "irq.save_fl", 'x', 'y', 'z');
	SAME("100%% sure");
	SAME("plain text with no conversions at all");
}

Test(vsnprintf, pointers)
{
	char got[64];

	ksnprintf(got, sizeof(got), "%p", (void *)0xffffffff80101234ul);
	cr_assert_str_eq(got, "0xffffffff80101234");
	ksnprintf(got, sizeof(got), "%p", (void *)0x10ul);
	cr_assert_str_eq(got, "0x0000000000000010");
}

Test(vsnprintf, truncation)
{
	char b[8];

	cr_assert_eq(ksnprintf(b, sizeof(b), "%s", "0123456789"), 10);
	cr_assert_str_eq(b, "0123456");
	cr_assert_eq(ksnprintf(b, 1, "abc"), 3);
	cr_assert_str_eq(b, "");
	cr_assert_eq(ksnprintf(NULL, 0, "%d", 12345), 5);
}
