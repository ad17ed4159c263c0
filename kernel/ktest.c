/*
 * ktest.c - run the self-tests and print KTAP version 1.
 */
#include <ktest.h>
#include <string.h>

extern const struct ktest __start_ktests[], __stop_ktests[];

static bool selected(const char *name, const char *only)
{
	size_t n = strlen(only), m = strlen(name);

	if (!n)
		return true;
	for (size_t i = 0; i + n <= m; i++)
		if (!strncmp(name + i, only, n))
			return true;
	return false;
}

int ktest_run_all(const char *only)
{
	int total = 0, failed = 0, skipped = 0, nr = 0;

	for (const struct ktest *k = __start_ktests; k < __stop_ktests; k++)
		total += selected(k->name, only);
	printk("KTAP version 1\n1..%d\n", total);
	if (!total && only[0]) {
		/* a mistyped tests= must not pass as an empty, green run */
		printk("# pvk: tests=%s names no test: failed\n", only);
		return 1;
	}
	for (const struct ktest *k = __start_ktests; k < __stop_ktests; k++) {
		struct ktest_ctx t = { .name = k->name };

		if (!selected(k->name, only))
			continue;
		k->fn(&t);
		nr++;
		if (t.failures) {
			failed++;
			printk("not ok %d %s\n", nr, k->name);
		} else if (t.skip) {
			skipped++;
			printk("ok %d %s # SKIP %s\n", nr, k->name, t.skip);
		} else {
			printk("ok %d %s\n", nr, k->name);
		}
	}
	printk("# pvk: %d passed, %d failed, %d skipped\n",
	       nr - failed - skipped, failed, skipped);
	return failed;
}
