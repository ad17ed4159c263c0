/*
 * t_kallsyms.c - the symbol table gives back the names the linker gave:
 * the address of a function (the compiler's &fn, not the table's) maps
 * to a name spelled here, and an address inside it to that name plus the
 * offset.
 */
#include <kallsyms.h>
#include <kernel.h>
#include <ktest.h>
#include <string.h>

/* A local (static) function at least PROBE_MIN_LEN bytes long: three
 * read-modify-writes through a volatile pointer take at least 3 bytes
 * each, and there is a ret. */
static __attribute__((noinline)) void kallsyms_probe_local(volatile int *x)
{
	*x += 1;
	barrier();
	*x += 2;
	barrier();
	*x += 3;
}

#define PROBE_MIN_LEN 8

static void expect_sym(struct ktest_ctx *t, const void *fn, u64 delta,
		       const char *want)
{
	u64 off = ~0ull, size = 0;
	const char *name = kallsyms_lookup((u64)fn + delta, &off, &size);

	KT_EXPECTF(t, name && !strcmp(name, want), "%p+%#llx: %s, want %s",
		   fn, (unsigned long long)delta, name ? name : "(none)", want);
	KT_EXPECTF(t, off == delta, "%s: offset %#llx, want %#llx", want,
		   (unsigned long long)off, (unsigned long long)delta);
	KT_EXPECTF(t, size > delta, "%s: size %#llx", want, (unsigned long long)size);
}

KTEST(kallsyms_names_functions)
{
	static volatile int x;
	u64 off, size;

	kallsyms_probe_local(&x);
	expect_sym(t, ktest_run_all, 0, "ktest_run_all");
	expect_sym(t, kernel_main, 0, "kernel_main");
	expect_sym(t, kernel_main, 5, "kernel_main");
	expect_sym(t, kallsyms_probe_local, 0, "kallsyms_probe_local");
	expect_sym(t, kallsyms_probe_local, PROBE_MIN_LEN - 1, "kallsyms_probe_local");

	/* one past the end is no longer kernel_main */
	KT_EXPECT(t, kallsyms_lookup((u64)kernel_main, NULL, &size));
	const char *after = kallsyms_lookup((u64)kernel_main + size, &off, NULL);
	KT_EXPECTF(t, !after || strcmp(after, "kernel_main"), "%s+%#llx",
		   after, (unsigned long long)off);
	/* data is in no function */
	KT_EXPECT(t, !kallsyms_lookup((u64)&x, NULL, NULL));
}
