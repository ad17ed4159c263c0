/*
 * t_platform.c - the platform registry, proved with platforms that exist
 * only here: registered from this file alone (nothing else names them),
 * they must be found, chosen by rank among the real ones, reported, and
 * their init() chain run base first.
 *
 * Their detect() answers "here" only when a test sets their bit in
 * `here`, so at boot (here == 0) they never win; the tests call the
 * selection core (pv_platform_detect) directly and leave pv_ops alone.
 *
 *   ktest_hv   builds on the root, ranks above every real platform
 *   ktest_top  builds on ktest_hv: ranks PV_PRIO_HYPERVISOR above it
 *   ktest_low  builds on the root, just above it
 *
 * Registered mid, high, low: in the section that order or its reverse
 * (gcc emits a file's variables backwards), so neither "the first one
 * found wins" nor "the last one found wins" can pass by luck.
 */
#include <ktest.h>
#include <paravirt.h>
#include <string.h>
#include <pv/platform.h>

#define KTEST_PRIO_ABOVE_ALL 1000          /* more than any real chain adds up to */
#define RANK_HV   KTEST_PRIO_ABOVE_ALL
#define RANK_TOP  (KTEST_PRIO_ABOVE_ALL + PV_PRIO_HYPERVISOR)
#define RANK_LOW  1

enum { HERE_HV = 1, HERE_TOP = 2, HERE_LOW = 4 };
static unsigned here;                       /* which test platforms are "here" */
static char inits[64];                      /* the init() calls, in order */

static bool hv_detect(void) { return here & HERE_HV; }
static bool top_detect(void) { return here & HERE_TOP; }
static bool low_detect(void) { return here & HERE_LOW; }

static void log_init(const char *name)
{
	size_t n = strlen(inits);

	snprintf(inits + n, sizeof(inits) - n, "%s%s", n ? "," : "", name);
}
static void hv_init(void) { log_init("ktest_hv"); }
static void top_init(void) { log_init("ktest_top"); }
static void low_init(void) { log_init("ktest_low"); }

PV_PLATFORM(ktest_hv) = {
	.name = "ktest_hv", .base = "native", .priority = KTEST_PRIO_ABOVE_ALL,
	.detect = hv_detect, .init = hv_init,
};
PV_PLATFORM(ktest_top) = {
	.name = "ktest_top", .base = "ktest_hv", .priority = PV_PRIO_HYPERVISOR,
	.detect = top_detect, .init = top_init,
};
PV_PLATFORM(ktest_low) = {
	.name = "ktest_low", .base = "native", .priority = RANK_LOW,
	.detect = low_detect, .init = low_init,
};

/* The console, captured: printk goes through the console_write op. */
static char captured[512];
static size_t captured_len;

static void capture(const char *buf, size_t len)
{
	size_t room = sizeof(captured) - 1 - captured_len;

	if (len > room)
		len = room;
	memcpy(captured + captured_len, buf, len);
	captured_len += len;
	captured[captured_len] = 0;
}

/* pv_platform_detect with the test platforms in `mask` here, its log
 * captured instead of printed. */
static const struct pv_platform *detect_with(unsigned mask)
{
	void (*console)(const char *, size_t) = pv_ops.platform.console_write;
	const struct pv_platform *p;

	captured_len = 0;
	captured[0] = 0;
	here = mask;
	pv_ops.platform.console_write = capture;
	p = pv_platform_detect();
	pv_ops.platform.console_write = console;
	here = 0;
	return p;
}

static bool contains(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay; hay++)
		if (!strncmp(hay, needle, n))
			return true;
	return false;
}

/* Every registration builds, through its bases, on the root: ranking one
 * walks that chain and panics on a base nobody registered or a cycle. */
KTEST(platform_registrations_form_one_tree)
{
	extern const struct pv_platform __start_pv_platforms[], __stop_pv_platforms[];
	int roots = 0;

	for (const struct pv_platform *p = __start_pv_platforms; p < __stop_pv_platforms; p++) {
		int rank = pv_platform_rank(p);

		roots += !p->base;
		KT_EXPECTF(t, p->base ? rank > pv_platform_rank(pv_platform_find(p->base))
				      : rank == PV_PRIO_ROOT,
			   "%s ranks %d, not above its base %s", p->name, rank,
			   p->base ? p->base : "(none)");
	}
	KT_EXPECTF(t, roots == 1, "%d platforms build on nothing", roots);
}

KTEST(platform_registered_from_one_file)
{
	const struct pv_platform *hv = pv_platform_find("ktest_hv");

	KT_EXPECT(t, hv == &ktest_hv);
	KT_EXPECT(t, pv_platform_find("ktest_top") == &ktest_top);
	KT_EXPECT(t, pv_platform_find("ktest_low") == &ktest_low);
	KT_EXPECT(t, pv_platform_find("ktest_none") == NULL);
	KT_EXPECTF(t, pv_platform_rank(&ktest_hv) == RANK_HV, "rank %d",
		   pv_platform_rank(&ktest_hv));
	KT_EXPECTF(t, pv_platform_rank(&ktest_top) == RANK_TOP, "rank %d",
		   pv_platform_rank(&ktest_top));
	KT_EXPECTF(t, pv_platform_rank(&ktest_low) == RANK_LOW, "rank %d",
		   pv_platform_rank(&ktest_low));
	KT_EXPECTF(t, pv_platform_rank(pv_platform) < RANK_HV,
		   "the boot's platform %s ranks %d: raise KTEST_PRIO_ABOVE_ALL",
		   pv_platform->name, pv_platform_rank(pv_platform));
}

KTEST(platform_detected_by_rank_and_reported)
{
	const struct pv_platform *real = detect_with(0);
	uintptr_t hv = (uintptr_t)&ktest_hv, top = (uintptr_t)&ktest_top,
		  low = (uintptr_t)&ktest_low;

	/* the premise: the section is not in rank order (see the top) */
	KT_EXPECTF(t, !(low < hv && hv < top) && !(top < hv && hv < low),
		   "the test platforms are in rank order in the section: %p %p %p",
		   (void *)hv, (void *)top, (void *)low);

	KT_EXPECTF(t, real != &ktest_hv && real != &ktest_top && real != &ktest_low,
		   "nothing asked, yet %s", real->name);
	KT_EXPECT(t, !contains(captured, "ktest_"));

	/* above every real platform, which are registered before it */
	KT_EXPECTF(t, detect_with(HERE_HV) == &ktest_hv, "got %s", detect_with(HERE_HV)->name);
	KT_EXPECTF(t, detect_with(HERE_HV | HERE_LOW) == &ktest_hv, "got %s",
		   detect_with(HERE_HV | HERE_LOW)->name);
	KT_EXPECTF(t, detect_with(HERE_TOP | HERE_LOW) == &ktest_top, "got %s",
		   detect_with(HERE_TOP | HERE_LOW)->name);
	KT_EXPECTF(t, detect_with(HERE_HV | HERE_TOP) == &ktest_top, "got %s",
		   detect_with(HERE_HV | HERE_TOP)->name);

	/* every one present is reported with its rank, and only those */
	KT_EXPECT(t, detect_with(HERE_HV | HERE_TOP | HERE_LOW) == &ktest_top);
	KT_EXPECTF(t, contains(captured, "pv: ktest_hv detected (priority 1000)\n") &&
		      contains(captured, "pv: ktest_top detected (priority 1010)\n") &&
		      contains(captured, "pv: ktest_low detected (priority 1)\n"),
		   "log: %s", captured);
}

KTEST(platform_init_chain_base_first)
{
	const struct pv_platform *root = pv_platform_find("native");

	inits[0] = 0;
	here = HERE_HV | HERE_TOP;
	pv_platform_init_chain(&ktest_top, root);
	KT_EXPECTF(t, !strcmp(inits, "ktest_hv,ktest_top"), "ran %s", inits);

	/* a base that is not here is left out; the chosen one always runs */
	inits[0] = 0;
	here = HERE_TOP;
	pv_platform_init_chain(&ktest_top, root);
	KT_EXPECTF(t, !strcmp(inits, "ktest_top"), "ran %s", inits);
	here = 0;
}
