/*
 * main.c - build/bench-host: cycles per call of libpvops call sites.
 *
 *   build/bench-host [--quick] [-o FILE.md] [-j FILE.json] [-r REPS] [-v]
 *
 * Every op is measured in every variant (bench.h) in one run: each
 * repetition runs every loop once, in shuffled order, so drift (clock,
 * other guests) hits all of them alike; among them is the loop with no op,
 * whose time is subtracted from the others of the same repetition.
 * Reported: the median over the repetitions and its spread.
 *
 * Time is the TSC (lfence; rdtsc; lfence ... rdtscp; lfence): reference
 * cycles at the TSC's fixed rate, not core cycles.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <libgen.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <pvops/native.h>

#include "bench.h"

const char *const bench_op_names[BENCH_NR_OPS] = {
#define X(op, tmpl) #op,
	BENCH_OPS(X)
#undef X
};

const char *const bench_kind_names[BENCH_NR_KINDS] = {
#define X(kind, label) #kind,
	BENCH_KINDS(X)
#undef X
};

const char *const bench_kind_labels[BENCH_NR_KINDS] = {
#define X(kind, label) label,
	BENCH_KINDS(X)
#undef X
};

/* The loops, by kind then op. */
static bench_loop_fn *const *const loops[BENCH_NR_KINDS] = {
#define X(kind, label) [BENCH_K_##kind] = bench_loops_##kind,
	BENCH_KINDS(X)
#undef X
};

/* The C kinds call the native functions through these (C ABI). */
unsigned long (*bench_cfn_save_fl)(void);
void (*bench_cfn_restore_fl)(unsigned long);
void (*bench_cfn_spin_unlock)(uint8_t *);
bool (*bench_cfn_vcpu_is_preempted)(long);
unsigned long (*bench_cfn_ident)(unsigned long);

static uint8_t lock_byte __attribute__((aligned(64)));
static volatile unsigned long zero;

static inline uint64_t tsc_start(void)
{
	uint32_t lo, hi;

	__asm__ volatile("lfence; rdtsc; lfence" : "=a"(lo), "=d"(hi)
			 : : "memory");
	return ((uint64_t)hi << 32) | lo;
}

static inline uint64_t tsc_stop(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtscp; lfence" : "=a"(lo), "=d"(hi) : : "rcx",
			 "memory");
	return ((uint64_t)hi << 32) | lo;
}

/*
 * BENCH_UNROLL * 64 dependent adds per iteration: one core cycle each
 * whatever the clock, so adds per TSC cycle is the core clock over the
 * TSC's.
 */
static unsigned long add_chain(unsigned long iters)
{
	unsigned long x = 0;

	for (unsigned long i = 0; i < iters; i++)
		__asm__ volatile(".rept 64 * " "8" "\n\t"
				 "add $1, %0\n\t"
				 ".endr" : "+r"(x));
	return x;
}
_Static_assert(BENCH_UNROLL == 8, "add_chain spells the unroll");

static uint64_t gcd(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/* The step the TSC advances by: the gcd of many back-to-back deltas. */
static uint64_t tsc_step(void)
{
	uint64_t g = 0, prev = tsc_start();

	for (int i = 0; i < 2000; i++) {
		uint64_t t = tsc_start();

		g = gcd(g, t - prev);
		prev = t;
	}
	return g;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static unsigned long read_flags(void)
{
	unsigned long f;

	__asm__ volatile("pushf; pop %0" : "=r"(f));
	return f;
}

static void init_ops(struct bench_ops *o)
{
	o->save_fl = PV_IS_CALLEE_SAVE(pv_native_save_fl);
	o->restore_fl = PV_IS_CALLEE_SAVE(pv_native_restore_fl);
	o->spin_unlock = PV_IS_CALLEE_SAVE(pv_native_spin_unlock);
	o->vcpu_is_preempted = PV_IS_CALLEE_SAVE(pv_native_vcpu_is_preempted);
	o->ident = PV_IS_CALLEE_SAVE(pv_native_ident_64);
}

static void init_cfns(void)
{
	bench_cfn_save_fl = (unsigned long (*)(void))(void *)pv_native_save_fl;
	bench_cfn_restore_fl =
		(void (*)(unsigned long))(void *)pv_native_restore_fl;
	bench_cfn_spin_unlock =
		(void (*)(uint8_t *))(void *)pv_native_spin_unlock;
	bench_cfn_vcpu_is_preempted =
		(bool (*)(long))(void *)pv_native_vcpu_is_preempted;
	bench_cfn_ident =
		(unsigned long (*)(unsigned long))(void *)pv_native_ident_64;
}

/* Pin to the last CPU we may run on. Returns it, or -1. */
static int pin_last_cpu(void)
{
	cpu_set_t set;
	int cpu = -1;

	if (sched_getaffinity(0, sizeof(set), &set))
		return -1;
	for (int i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &set))
			cpu = i;
	if (cpu < 0)
		return -1;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		return -1;
	return cpu;
}

/*
 * Run every loop once and check it computed what the op should give:
 * the patched sites must not only look right but work.
 */
static int check_loops(const struct bench_arg *a, unsigned long iters)
{
	unsigned long calls = iters * BENCH_UNROLL;
	int bad = 0;

	for (int op = 0; op < BENCH_NR_OPS; op++) {
		for (int k = 0; k < BENCH_NR_KINDS; k++) {
			unsigned long want, got;

			if (k == BENCH_K_none)
				continue;
			lock_byte = 1;
			got = loops[k][op](iters, a);
			switch (op) {
			case BENCH_OP_save_fl:
				/*
				 * The arithmetic flags vary from call to call;
				 * every value has IF and the fixed bit 1 set
				 * and nothing above bit 21 (ID).
				 */
				want = got >= calls * 0x202 &&
				       got < calls * 0x400000 ? got : ~0ul;
				break;
			case BENCH_OP_restore_fl:
				want = calls * a->flags;
				break;
			case BENCH_OP_ident:
				want = calls;
				break;
			default:
				want = 0;
				break;
			}
			if (op == BENCH_OP_spin_unlock && lock_byte != 0)
				got = ~0ul;
			if (got != want) {
				fprintf(stderr, "bench-host: %s %s computed %#lx, "
					"expected %#lx\n", bench_kind_names[k],
					bench_op_names[op], got, want);
				bad = 1;
			}
		}
	}
	lock_byte = 0;
	return bad ? -1 : 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Percentile p (0..1) of sorted v[0..n), linear between neighbours. */
static double pct(const double *v, unsigned n, double p)
{
	double pos = p * (n - 1);
	unsigned i = (unsigned)pos;
	double f = pos - i;

	return i + 1 < n ? v[i] * (1 - f) + v[i + 1] * f : v[n - 1];
}

static struct bench_stat stat_of(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return (struct bench_stat){
		.med = pct(v, n, 0.5),
		.p10 = pct(v, n, 0.1),
		.p25 = pct(v, n, 0.25),
		.p75 = pct(v, n, 0.75),
		.p90 = pct(v, n, 0.9),
	};
}

/* The model name, family and model number from /proc/cpuinfo. */
static void read_cpu(struct bench_results *r)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[256];
	int got = 0;

	snprintf(r->cpu_model, sizeof(r->cpu_model), "unknown CPU");
	r->cpu_family = r->cpu_modelno = -1;
	if (!f)
		return;
	while (got < 3 && fgets(line, sizeof(line), f)) {
		char *c = strchr(line, ':');

		if (!c)
			continue;
		c += 1 + (c[1] == ' ');
		c[strcspn(c, "\n")] = 0;
		if (!strncmp(line, "model name", 10)) {
			snprintf(r->cpu_model, sizeof(r->cpu_model), "%s", c);
			got++;
		} else if (!strncmp(line, "cpu family", 10)) {
			r->cpu_family = atoi(c);
			got++;
		} else if (!strncmp(line, "model\t", 6)) {
			r->cpu_modelno = atoi(c);
			got++;
		}
	}
	fclose(f);
}

/* The first line of a small text file, or "unknown". */
static void read_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");

	snprintf(buf, size, "unknown");
	if (f) {
		if (fgets(buf, (int)size, f))
			buf[strcspn(buf, "\n")] = 0;
		fclose(f);
	}
}

/* Can `path` be created? Checked before measuring, to fail early. */
static int writable(const char *path)
{
	char dir[4096];

	snprintf(dir, sizeof(dir), "%s", path);
	if (access(dirname(dir), W_OK)) {
		fprintf(stderr, "bench-host: cannot write %s: %s\n", path,
			strerror(errno));
		return 0;
	}
	return 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bench-host [--quick] [-r REPS] [-o FILE.md] [-j FILE.json] [-v]\n"
		"  Cycles per call (TSC reference cycles) of libpvops call sites:\n"
		"  indirect, patched direct and patched inline sites against plain\n"
		"  inline asm, a plain direct call and C indirect calls with and\n"
		"  without retpolines. Prints a Markdown table and writes it to\n"
		"  FILE.md, and the numbers to FILE.json.\n"
		"\n"
		"  --quick     %d repetitions instead of %d, results under build/\n"
		"              unless -o/-j are given (a smoke test)\n"
		"  -r REPS     repetitions (odd numbers give a true median)\n"
		"  -o FILE     the Markdown (default bench/results/host.md)\n"
		"  -j FILE     the JSON (default bench/results/host.json)\n"
		"  -v          print every site decision of the patch engine\n"
		"  -h, --help  this text\n",
		21, 1001);
}

/*
 * The TSC of this machine advances in steps (26 ticks, 10 ns, on the
 * EPYC it was written on): 16384 calls make even the fastest loop's
 * sample some 400 steps long.
 */
#define CALLS_PER_SAMPLE 16384ul
#define WARMUP_NS 300e6

int main(int argc, char **argv)
{
	const char *md_path = NULL, *json_path = NULL;
	unsigned reps = 0;
	int quick = 0, verbose = 0;

	for (int i = 1; i < argc; i++) {
		const char *o = argv[i];

		if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(o, "--quick")) {
			quick = 1;
		} else if (!strcmp(o, "-v")) {
			verbose = 1;
		} else if ((!strcmp(o, "-o") || !strcmp(o, "-j") ||
			    !strcmp(o, "-r")) && i + 1 < argc) {
			const char *v = argv[++i];

			if (o[1] == 'o') {
				md_path = v;
			} else if (o[1] == 'j') {
				json_path = v;
			} else {
				char *end;
				long r = strtol(v, &end, 10);

				if (*end || r < 3 || r > 100001) {
					fprintf(stderr, "bench-host: -r wants "
						"3..100001\n");
					return 2;
				}
				reps = (unsigned)r;
			}
		} else {
			fprintf(stderr, "bench-host: unknown argument '%s'\n", o);
			usage(stderr);
			return 2;
		}
	}
	if (!reps)
		reps = quick ? 21 : 1001;
	if (!md_path)
		md_path = quick ? "build/bench-host-quick.md"
				: "bench/results/host.md";
	if (!json_path)
		json_path = quick ? "build/bench-host-quick.json"
				  : "bench/results/host.json";

	if (!writable(md_path) || !writable(json_path))
		return 1;

	static struct bench_results res;
	static struct bench_sites sites;
	struct bench_arg arg;
	unsigned long iters = CALLS_PER_SAMPLE / BENCH_UNROLL;

	res.reps = reps;
	res.calls = CALLS_PER_SAMPLE;
	res.quick = quick;
	res.cpu = pin_last_cpu();
	if (res.cpu < 0) {
		fprintf(stderr, "bench-host: sched_setaffinity: %s\n",
			strerror(errno));
		return 1;
	}

	init_ops(&bench_ops_pv_indirect);
	init_ops(&bench_ops_pv_direct);
	init_ops(&bench_ops_pv_inline);
	init_cfns();
	if (verbose)
		printf("bench-host: site decisions:\n");
	if (bench_patch_sites(&sites, verbose)) {
		fprintf(stderr, "bench-host: the sites are not what the "
			"benchmark needs; no numbers\n");
		return 1;
	}

	arg.zero = zero;
	arg.flags = read_flags();
	arg.lock = &lock_byte;
	if (check_loops(&arg, iters))
		return 1;

	/* Warm up: bring the core to its working clock, fill the caches. */
	unsigned long sink = 0;
	double t_end = now_ns() + WARMUP_NS;

	while (now_ns() < t_end)
		for (int op = 0; op < BENCH_NR_OPS; op++)
			for (int k = 0; k < BENCH_NR_KINDS; k++)
				sink += loops[k][op](iters, &arg);

	/*
	 * Measure: every (op, kind) once per repetition, in an order shuffled
	 * afresh each time so no loop always runs after the same other one
	 * (or first), and the add chain that converts TSC cycles to core
	 * cycles once per repetition.
	 */
	enum { N = BENCH_NR_OPS * BENCH_NR_KINDS };
	unsigned order[N];
	uint64_t rng = 0x9e3779b97f4a7c15ull;   /* fixed: runs are alike */

	for (unsigned j = 0; j < N; j++)
		order[j] = j;
	double *gross = calloc((size_t)N * reps, sizeof(double));
	double *tmp = calloc(reps, sizeof(double));
	double *core = calloc(reps, sizeof(double));

	if (!gross || !tmp || !core) {
		fprintf(stderr, "bench-host: out of memory\n");
		return 1;
	}
	double ns0 = now_ns();
	uint64_t tsc0 = tsc_start();

	for (unsigned r = 0; r < reps; r++) {
		uint64_t t0, t1;

		t0 = tsc_start();
		sink += add_chain(iters);
		t1 = tsc_stop();
		core[r] = (double)(iters * BENCH_UNROLL * 64) / (double)(t1 - t0);
		for (unsigned j = N - 1; j > 0; j--) {
			unsigned m, t;

			rng ^= rng << 13;
			rng ^= rng >> 7;
			rng ^= rng << 17;
			m = (unsigned)(rng % (j + 1));
			t = order[j];
			order[j] = order[m];
			order[m] = t;
		}
		for (unsigned j = 0; j < N; j++) {
			unsigned idx = order[j];
			unsigned op = idx / BENCH_NR_KINDS;
			unsigned k = idx % BENCH_NR_KINDS;
			bench_loop_fn *fn = loops[k][op];

			t0 = tsc_start();
			sink += fn(iters, &arg);
			t1 = tsc_stop();
			gross[(size_t)idx * reps + r] =
				(double)(t1 - t0) / CALLS_PER_SAMPLE;
		}
	}
	uint64_t tsc1 = tsc_stop();
	double ns1 = now_ns();

	res.core_per_tsc = stat_of(core, reps);
	free(core);
	res.tsc_ghz = (double)(tsc1 - tsc0) / (ns1 - ns0);
	res.tsc_step = tsc_step();
	res.seconds = (ns1 - ns0) / 1e9;

	for (unsigned op = 0; op < BENCH_NR_OPS; op++) {
		const double *none =
			&gross[(size_t)(op * BENCH_NR_KINDS + BENCH_K_none) * reps];

		for (unsigned k = 0; k < BENCH_NR_KINDS; k++) {
			double *g = &gross[(size_t)(op * BENCH_NR_KINDS + k) * reps];

			/* Net: minus the no-op loop of the same repetition. */
			for (unsigned r = 0; r < reps; r++)
				tmp[r] = g[r] - none[r];
			res.net[op][k] = stat_of(tmp, reps);
			memcpy(tmp, g, reps * sizeof(double));
			res.gross[op][k] = stat_of(tmp, reps);
		}
	}
	free(gross);
	free(tmp);

	read_cpu(&res);
	read_line("/sys/devices/system/cpu/vulnerabilities/spectre_v2",
		  res.spectre_v2, sizeof(res.spectre_v2));
	struct utsname u;

	if (!uname(&u))
		snprintf(res.kernel, sizeof(res.kernel), "%s %s", u.sysname,
			 u.release);
	time_t now = time(NULL);

	strftime(res.date, sizeof(res.date), "%Y-%m-%d %H:%M UTC",
		 gmtime(&now));

	/* Keep the loops' results alive. */
	if (sink == 0x5a5a5a5a5a5a5a5aul)
		printf("\n");

	bench_write_markdown(stdout, &res, &sites);

	FILE *f = fopen(md_path, "w");

	if (!f || bench_write_markdown(f, &res, &sites) || fclose(f)) {
		fprintf(stderr, "bench-host: writing %s: %s\n", md_path,
			strerror(errno));
		return 1;
	}
	f = fopen(json_path, "w");
	if (!f || bench_write_json(f, &res, &sites) || fclose(f)) {
		fprintf(stderr, "bench-host: writing %s: %s\n", json_path,
			strerror(errno));
		return 1;
	}
	printf("\nbench-host: wrote %s and %s\n", md_path, json_path);
	return 0;
}
