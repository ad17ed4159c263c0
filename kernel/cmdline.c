/*
 * cmdline.c - parse the kernel command line.
 *
 *   pv=auto|native|nopatch|<platform>   which platform's ops to use
 *   pvoff=feat[,feat...]                turn single pv features off
 *   tests=on|off|<name>                 run the self-tests (or only some)
 *   bench=<name>                        run a benchmark workload
 *   crash=page_fault|null_op|panic      fail on purpose after boot, to
 *                                       test the fault report (tests)
 *   qspinlock=native|pv                 the spinlock's slow path: the
 *                                       platform's, or the pv one forced
 *   tsc=nopit[,nopmtimer]               calibrate the TSC as if there were
 *                                       no PIT (no PM timer either)
 */
#include <cmdline.h>
#include <printk.h>
#include <string.h>

struct boot_params boot_params;

static bool word_eq(const char *w, size_t n, const char *s)
{
	return strlen(s) == n && !strncmp(w, s, n);
}

/* Copy value [v, v+n) into dst[size]; false (and reported) when too long. */
static bool take(const char *key, const char *v, size_t n, char *dst,
		 size_t size, struct boot_params *p)
{
	if (n == 0 || n >= size) {
		printk("cmdline: %s= value %s (%zu characters, at most %zu)\n",
		       key, n ? "too long" : "empty", n, size - 1);
		p->errors++;
		return false;
	}
	memcpy(dst, v, n);
	dst[n] = 0;
	return true;
}

/* tsc=a,b: each a TSC_SKIP_* name; an unknown one is reported. */
static void parse_tsc(const char *v, size_t n, struct boot_params *p)
{
	if (!n) {
		printk("cmdline: tsc= value empty\n");
		p->errors++;
	}
	while (n) {
		size_t k = 0;

		while (k < n && v[k] != ',')
			k++;
		if (word_eq(v, k, "nopit"))
			p->tsc_skip |= TSC_SKIP_PIT;
		else if (word_eq(v, k, "nopmtimer"))
			p->tsc_skip |= TSC_SKIP_PMTIMER;
		else {
			printk("cmdline: tsc=%.*s: not nopit or nopmtimer; ignored\n",
			       (int)k, v);
			p->errors++;
		}
		v += k + (k < n);
		n -= k + (k < n);
	}
}

static void parse_word(const char *w, size_t n, struct boot_params *p)
{
	const char *eq = NULL;

	for (size_t i = 0; i < n; i++)
		if (w[i] == '=') {
			eq = w + i;
			break;
		}
	size_t kn = eq ? (size_t)(eq - w) : n;
	const char *v = eq ? eq + 1 : NULL;
	size_t vn = eq ? n - kn - 1 : 0;

	if (word_eq(w, kn, "pv") && v) {
		if (word_eq(v, vn, "auto"))
			p->pv_mode = PV_MODE_AUTO;
		else if (word_eq(v, vn, "native"))
			p->pv_mode = PV_MODE_NATIVE;
		else if (word_eq(v, vn, "nopatch"))
			p->pv_mode = PV_MODE_NOPATCH;
		else if (take("pv", v, vn, p->pv_platform,
			      sizeof(p->pv_platform), p))
			p->pv_mode = PV_MODE_PLATFORM;
	} else if (word_eq(w, kn, "pvoff") && v) {
		take("pvoff", v, vn, p->pv_off, sizeof(p->pv_off), p);
	} else if (word_eq(w, kn, "tests") && v) {
		if (word_eq(v, vn, "on"))
			p->tests = true;
		else if (word_eq(v, vn, "off"))
			p->tests = false;
		else
			take("tests", v, vn, p->tests_only,
			     sizeof(p->tests_only), p);
	} else if (word_eq(w, kn, "bench") && v) {
		take("bench", v, vn, p->bench, sizeof(p->bench), p);
	} else if (word_eq(w, kn, "qspinlock") && v &&
		   (word_eq(v, vn, "pv") || word_eq(v, vn, "native"))) {
		p->qspinlock_pv = word_eq(v, vn, "pv");
	} else if (word_eq(w, kn, "tsc") && v) {
		parse_tsc(v, vn, p);
	} else if (word_eq(w, kn, "crash") && v) {
		if (word_eq(v, vn, "page_fault") || word_eq(v, vn, "null_op") ||
		    word_eq(v, vn, "panic"))
			take("crash", v, vn, p->crash, sizeof(p->crash), p);
		else {
			printk("cmdline: crash=%.*s: not page_fault, null_op or panic; ignored\n",
			       (int)vn, v);
			p->errors++;
		}
	} else {
		printk("cmdline: unknown or malformed '%.*s' ignored\n",
		       (int)n, w);
		p->errors++;
	}
}

int cmdline_parse(const char *s, struct boot_params *p)
{
	memset(p, 0, sizeof(*p));
	p->pv_mode = PV_MODE_AUTO;
	p->tests = true;
	if (!s)
		return 0;
	while (*s) {
		while (*s == ' ' || *s == '\t' || *s == '\n')
			s++;
		const char *w = s;
		while (*s && *s != ' ' && *s != '\t' && *s != '\n')
			s++;
		if (s > w)
			parse_word(w, (size_t)(s - w), p);
	}
	return p->errors;
}

bool pv_feature_off(const char *name)
{
	const char *s = boot_params.pv_off;
	size_t n = strlen(name);

	while (*s) {
		const char *e = s;
		while (*e && *e != ',')
			e++;
		if ((size_t)(e - s) == n && !strncmp(s, name, n))
			return true;
		s = *e ? e + 1 : e;
	}
	return false;
}
