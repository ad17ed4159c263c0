/*
 * ktest.h - the kernel's self-tests, reported as KTAP on the console.
 *
 *     KTEST(irq_flags_roundtrip)
 *     {
 *             KT_EXPECT(t, !(arch_local_save_flags() & X86_EFLAGS_IF));
 *     }
 *
 * Each KTEST lands in the `ktests` section; ktest_run_all() runs them in
 * link order and prints one KTAP line each.
 */
#ifndef PVK_KTEST_H
#define PVK_KTEST_H

#include <printk.h>
#include <types.h>

struct ktest_ctx {
	const char *name;
	int failures;
	const char *skip;           /* set by KT_SKIP */
};

struct ktest {
	const char *name;
	void (*fn)(struct ktest_ctx *t);
};

#define KTEST(n)                                                           \
	static void ktest_fn_##n(struct ktest_ctx *t);                      \
	static const struct ktest ktest_##n                                 \
		__attribute__((used, section("ktests"), aligned(8))) =      \
		{ #n, ktest_fn_##n };                                       \
	static void ktest_fn_##n(struct ktest_ctx *t)

/* A failed expectation prints a KTAP diagnostic and marks the test. */
#define KT_EXPECTF(t, cond, fmt, ...)                                      \
	do {                                                                \
		if (!(cond)) {                                              \
			printk("# %s: %s:%d: expected %s " fmt "\n",        \
			       (t)->name, __FILE__, __LINE__, #cond,        \
			       ##__VA_ARGS__);                              \
			(t)->failures++;                                    \
		}                                                           \
	} while (0)
#define KT_EXPECT(t, cond) KT_EXPECTF(t, cond, "%s", "")

#define KT_SKIP(t, reason) ((t)->skip = (reason))

/*
 * ktest_run_all - run every test (or those whose name contains `only`,
 * when non-empty), print KTAP, return the number that failed; 1 when
 * `only` names no test at all (a mistyped filter is not a green run).
 */
int ktest_run_all(const char *only);

#endif /* PVK_KTEST_H */
