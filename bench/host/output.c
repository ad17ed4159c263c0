/*
 * output.c - the results as a Markdown report (bench/results/host.md) and
 * as JSON (bench/results/host.json).
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"

/* The sites shown, per op, in this order. */
static const enum bench_kind site_kinds[] = {
	BENCH_K_pv_indirect, BENCH_K_pv_direct, BENCH_K_pv_inline,
	BENCH_K_plain_inline, BENCH_K_plain_direct, BENCH_K_plain_inline_nop,
	BENCH_K_plain_direct_nop, BENCH_K_plain_direct_cs,
};
#define NR_SITE_KINDS (sizeof(site_kinds) / sizeof(site_kinds[0]))

/* A target: patched against plain, and what backs the patched figure. */
struct target {
	const char *name;
	enum bench_kind patched, plain;
	enum bench_kind probe_pad;   /* plain + the patched site's padding */
	enum bench_kind probe_alt;   /* the same length without a NOP, or -1 */
	double limit;
};

static const struct target targets[] = {
	{ "inline", BENCH_K_pv_inline, BENCH_K_plain_inline,
	  BENCH_K_plain_inline_nop, (enum bench_kind)-1, BENCH_TARGET_INLINE },
	{ "direct", BENCH_K_pv_direct, BENCH_K_plain_direct,
	  BENCH_K_plain_direct_nop, BENCH_K_plain_direct_cs,
	  BENCH_TARGET_DIRECT },
};
#define NR_TARGETS (sizeof(targets) / sizeof(targets[0]))

struct ratio {
	double value;     /* patched / plain */
	double delta;     /* patched - plain, net cycles per call */
	bool whole_loop;  /* plain's net cost is below BENCH_MIN_NET */
	bool pass;
};

static struct ratio ratio_of(const struct bench_results *r, int op,
			     const struct target *t)
{
	double p = r->net[op][t->patched].med, q = r->net[op][t->plain].med;
	struct ratio x = { .delta = p - q };

	if (q < BENCH_MIN_NET) {
		/* Both are lost in the loop: compare the whole loops. */
		x.whole_loop = true;
		p = r->gross[op][t->patched].med;
		q = r->gross[op][t->plain].med;
	}
	x.value = p / q;
	x.pass = x.value <= t->limit;
	return x;
}

static double absd(double x)
{
	return x < 0 ? -x : x;
}

/* Are two net medians the same within 2% or 0.05 cycles? */
static bool same(double a, double b)
{
	return absd(a - b) <= 0.05 || absd(a - b) <= 0.02 * absd(b);
}

static void hexs(char *buf, size_t size, const struct bench_site *s)
{
	size_t o = 0;

	buf[0] = 0;
	for (size_t i = 0; i < s->len && o + 4 < size; i++)
		o += (size_t)snprintf(buf + o, size - o, "%s%02x", i ? " " : "",
				      s->bytes[i]);
}

/* Two decimals, and no "-0.00" for a figure that rounds to zero. */
static double r2(double x)
{
	return absd(x) < 0.005 ? 0 : x;
}

static void cell(FILE *f, const struct bench_stat *st)
{
	fprintf(f, " %.2f [%.2f–%.2f] |", r2(st->med), r2(st->p10),
		r2(st->p90));
}

static void header(FILE *f, const struct bench_results *r)
{
	fprintf(f, "# libpvops hosted benchmark%s\n\n",
		r->quick ? " (--quick: a smoke test, not results)" : "");
	fprintf(f,
		"Cycles per call in **TSC reference cycles** (`lfence; rdtsc; "
		"lfence` before, `rdtscp; lfence` after; TSC %.3f GHz, "
		"advancing in steps of %lu), not "
		"core cycles: perf counters are not available in this VM. A "
		"chain of dependent adds timed in every repetition puts the "
		"core at %.2f core cycles per TSC cycle (p10–p90 %.2f–%.2f, "
		"about %.2f GHz): multiply by that for core cycles.\n\n",
		r->tsc_ghz, r->tsc_step, r->core_per_tsc.med, r->core_per_tsc.p10,
		r->core_per_tsc.p90, r->core_per_tsc.med * r->tsc_ghz);
	fprintf(f,
		"Median of %u repetitions of %lu calls (%d per loop iteration, "
		"each result feeding a dependency chain); in every repetition "
		"each loop runs once, in a freshly shuffled order. p10–p90 in "
		"brackets. "
		"The same loop with no op (*loop overhead*, not subtracted) is "
		"subtracted from every other loop of the same repetition. "
		"Pinned to CPU %d; %.2f s of measurement.\n\n",
		r->reps, r->calls, BENCH_UNROLL, r->cpu, r->seconds);
	fprintf(f, "%s (family %d model %d), %s, gcc %s, %s. Kernel "
		"spectre_v2: %s. *C indirect, retpoline* is built with "
		"`-mindirect-branch=thunk` alone (no return thunks).\n\n",
		r->cpu_model, r->cpu_family, r->cpu_modelno, r->kernel,
		__VERSION__, r->date, r->spectre_v2);
}

static void main_table(FILE *f, const struct bench_results *r)
{
	fprintf(f, "| op |");
	for (int k = 0; k < BENCH_NR_MAIN_KINDS; k++)
		fprintf(f, " %s |", bench_kind_labels[k]);
	fprintf(f, "\n|:--|");
	for (int k = 0; k < BENCH_NR_MAIN_KINDS; k++)
		fprintf(f, "--:|");
	fprintf(f, "\n");
	for (int op = 0; op < BENCH_NR_OPS; op++) {
		fprintf(f, "| %s |", bench_op_names[op]);
		for (int k = 0; k < BENCH_NR_MAIN_KINDS; k++)
			cell(f, k == BENCH_K_none ? &r->gross[op][k]
						  : &r->net[op][k]);
		fprintf(f, "\n");
	}
	fprintf(f, "\n");

	/*
	 * spin_unlock's chain goes through memory: say so when a variant
	 * comes out below the bare instruction, which no call can explain.
	 */
	const double bare = r->net[BENCH_OP_spin_unlock][BENCH_K_plain_inline].med;
	int below = 0;

	for (int k = 0; k < BENCH_NR_MAIN_KINDS - 1; k++) {
		if (r->net[BENCH_OP_spin_unlock][k].med >= bare - BENCH_MIN_NET)
			continue;
		fprintf(f, "%s*%s*", below++ ? ", " : "spin_unlock: ",
			bench_kind_labels[k]);
	}
	if (below)
		fprintf(f, " below *plain inline*. This loop's chain runs "
			"through a store and a load of the same byte, and the "
			"store-to-load latency on this core depends on more "
			"than the instructions: which register addresses the "
			"byte (around a C call the compiler keeps the pointer "
			"in another register than the callee stores through) "
			"and, it seems, on timing, which a call site shifts "
			"(see the p10–p90). These are effects on the memory "
			"round trip, not cheaper calls: read this row's call "
			"costs with care.\n\n");
}

static void target_table(FILE *f, const struct bench_results *r)
{
	bool any_whole = false;

	fprintf(f, "## Targets\n\n"
		"| op | patched inline / plain inline | ≤ %.2f | "
		"patched direct / plain direct | ≤ %.2f |\n"
		"|:--|--:|:-:|--:|:-:|\n",
		BENCH_TARGET_INLINE, BENCH_TARGET_DIRECT);
	for (int op = 0; op < BENCH_NR_OPS; op++) {
		fprintf(f, "| %s |", bench_op_names[op]);
		for (size_t t = 0; t < NR_TARGETS; t++) {
			struct ratio x = ratio_of(r, op, &targets[t]);

			any_whole |= x.whole_loop;
			fprintf(f, " %.3f%s (%+.3f) | %s |", x.value,
				x.whole_loop ? "†" : "", x.delta,
				x.pass ? "PASS" : "**MISS**");
		}
		fprintf(f, "\n");
	}
	fprintf(f, "\nIn brackets: patched − plain, net TSC cycles per call.\n");
	if (any_whole)
		fprintf(f, "† The plain op adds less than %.2f TSC cycles per "
			"call to its loop (it hides entirely under the "
			"dependency chain), so a ratio of net figures would be "
			"noise over noise: this ratio is of the whole loops' "
			"cycles per call.\n", BENCH_MIN_NET);
	fprintf(f, "\n");

	/* One line per miss: what the probes say about it. */
	for (int op = 0; op < BENCH_NR_OPS; op++)
		for (size_t t = 0; t < NR_TARGETS; t++) {
			const struct target *tg = &targets[t];
			struct ratio x = ratio_of(r, op, tg);
			double pat = r->net[op][tg->patched].med;
			double pla = r->net[op][tg->plain].med;
			double pad = r->net[op][tg->probe_pad].med;
			bool pad_explains = same(pad, pat) && !same(pla, pat);

			if (x.pass)
				continue;
			fprintf(f, "- **MISS %s %s**: %.2f vs %.2f. The plain "
				"code with the site's padding appended (%s) costs "
				"%.2f", bench_op_names[op], tg->name, pat, pla,
				bench_kind_labels[tg->probe_pad], pad);
			if ((int)tg->probe_alt >= 0)
				fprintf(f, ", a 6-byte `cs call` (one "
					"instruction, no NOP) %.2f",
					r->net[op][tg->probe_alt].med);
			if (pad_explains)
				fprintf(f, ": the difference is the NOP "
					"instruction the padding adds, not the "
					"framework");
			else
				fprintf(f, ": the padding alone does not "
					"account for it");
			if (pad_explains && op == BENCH_OP_restore_fl)
				fprintf(f, ". Only next to `popf` does the "
					"extra instruction cost anything here "
					"(the same NOPs after `pushf`, a store "
					"or a `call` are free): `popf` is "
					"microcoded and appears to hold back "
					"what follows it, which then dispatches "
					"in a burst that one more instruction "
					"can push into another cycle (%.2f core "
					"cycles per call)",
					(pat - pla) * r->core_per_tsc.med);
			fprintf(f, ".\n");
		}
}

static void probe_table(FILE *f, const struct bench_results *r)
{
	static const enum bench_kind cols[] = {
		BENCH_K_plain_inline, BENCH_K_plain_inline_nop,
		BENCH_K_pv_inline, BENCH_K_plain_direct,
		BENCH_K_plain_direct_nop, BENCH_K_plain_direct_cs,
		BENCH_K_pv_direct,
	};
	const size_t n = sizeof(cols) / sizeof(cols[0]);

	fprintf(f, "\n## The padding, without the framework\n\n"
		"The patched sites against plain asm holding the same bytes "
		"(*+ NOP fill*, *+ 1-byte NOP*: byte for byte what the "
		"patched sites hold) and a 6-byte direct call that needs no "
		"NOP (*cs call*: a CS-prefixed `call rel32`). Net TSC "
		"cycles per call.\n\n| op |");
	for (size_t c = 0; c < n; c++)
		fprintf(f, " %s |", bench_kind_labels[cols[c]]);
	fprintf(f, "\n|:--|");
	for (size_t c = 0; c < n; c++)
		fprintf(f, "--:|");
	fprintf(f, "\n");
	for (int op = 0; op < BENCH_NR_OPS; op++) {
		fprintf(f, "| %s |", bench_op_names[op]);
		for (size_t c = 0; c < n; c++)
			cell(f, &r->net[op][cols[c]]);
		fprintf(f, "\n");
	}
}

static void site_table(FILE *f, const struct bench_sites *s)
{
	fprintf(f, "\n## Sites\n\n"
		"The first site of each loop, read back after patching. Every "
		"site of every loop (%d per loop) is checked the same way "
		"before anything is measured, and every loop's result is "
		"checked against what the op computes.\n\n"
		"| op | variant | sites | bytes | holds |\n"
		"|:--|:--|--:|:--|:--|\n", BENCH_UNROLL);
	for (int op = 0; op < BENCH_NR_OPS; op++)
		for (size_t j = 0; j < NR_SITE_KINDS; j++) {
			const struct bench_site *bs = &s->first[site_kinds[j]][op];
			char hx[64];

			hexs(hx, sizeof(hx), bs);
			fprintf(f, "| %s | %s | %u | `%s` | `%s` |\n",
				bench_op_names[op],
				bench_kind_labels[site_kinds[j]],
				s->count[site_kinds[j]][op], hx, bs->what);
		}
}

int bench_write_markdown(FILE *f, const struct bench_results *r,
			 const struct bench_sites *s)
{
	header(f, r);
	main_table(f, r);
	target_table(f, r);
	probe_table(f, r);
	site_table(f, s);
	return ferror(f) ? -1 : 0;
}

/* --- JSON -------------------------------------------------------------- */

/* A string as JSON: the few characters that need escaping, escaped. */
static void jstr(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void json_stat(FILE *f, const struct bench_stat *st)
{
	fprintf(f, "{ \"median\": %.4f, \"p10\": %.4f, \"p25\": %.4f, "
		"\"p75\": %.4f, \"p90\": %.4f }", st->med, st->p10, st->p25,
		st->p75, st->p90);
}

int bench_write_json(FILE *f, const struct bench_results *r,
		     const struct bench_sites *s)
{
	fprintf(f, "{\n  \"unit\": \"TSC reference cycles per call\",\n"
		"  \"net\": \"minus the no-op loop of the same repetition\",\n"
		"  \"tsc_ghz\": %.4f,\n  \"tsc_step\": %lu,\n"
		"  \"core_cycles_per_tsc_cycle\": ",
		r->tsc_ghz, r->tsc_step);
	json_stat(f, &r->core_per_tsc);
	fprintf(f, ",\n  \"cpu\": %d,\n  \"cpu_model\": ", r->cpu);
	jstr(f, r->cpu_model);
	fprintf(f, ",\n  \"cpu_family\": %d,\n  \"cpu_model_number\": %d,\n"
		"  \"kernel\": ", r->cpu_family, r->cpu_modelno);
	jstr(f, r->kernel);
	fprintf(f, ",\n  \"spectre_v2\": ");
	jstr(f, r->spectre_v2);
	fprintf(f, ",\n  \"date\": ");
	jstr(f, r->date);
	fprintf(f, ",\n  \"compiler\": ");
	jstr(f, "gcc " __VERSION__);
	fprintf(f, ",\n  \"repetitions\": %u,\n  \"calls_per_sample\": %lu,\n"
		"  \"calls_per_iteration\": %d,\n  \"quick\": %s,\n"
		"  \"seconds\": %.2f,\n",
		r->reps, r->calls, BENCH_UNROLL, r->quick ? "true" : "false",
		r->seconds);

	fprintf(f, "  \"variants\": {");
	for (int k = 0; k < BENCH_NR_KINDS; k++) {
		fprintf(f, "%s\n    \"%s\": ", k ? "," : "", bench_kind_names[k]);
		jstr(f, bench_kind_labels[k]);
	}
	fprintf(f, "\n  },\n  \"ops\": {");
	for (int op = 0; op < BENCH_NR_OPS; op++) {
		fprintf(f, "%s\n    \"%s\": {", op ? "," : "",
			bench_op_names[op]);
		for (int k = 0; k < BENCH_NR_KINDS; k++) {
			fprintf(f, "%s\n      \"%s\": {\n        \"net\": ",
				k ? "," : "", bench_kind_names[k]);
			json_stat(f, &r->net[op][k]);
			fprintf(f, ",\n        \"gross\": ");
			json_stat(f, &r->gross[op][k]);
			fprintf(f, "\n      }");
		}
		fprintf(f, "\n    }");
	}
	fprintf(f, "\n  },\n  \"targets\": {");
	for (int op = 0; op < BENCH_NR_OPS; op++) {
		fprintf(f, "%s\n    \"%s\": {", op ? "," : "", bench_op_names[op]);
		for (size_t t = 0; t < NR_TARGETS; t++) {
			struct ratio x = ratio_of(r, op, &targets[t]);

			fprintf(f, "%s\n      \"%s\": { \"ratio\": %.4f, "
				"\"basis\": \"%s\", \"delta_net\": %.4f, "
				"\"limit\": %.2f, \"pass\": %s }",
				t ? "," : "", targets[t].name, x.value,
				x.whole_loop ? "gross" : "net", x.delta,
				targets[t].limit, x.pass ? "true" : "false");
		}
		fprintf(f, "\n    }");
	}
	fprintf(f, "\n  },\n  \"sites\": [");
	bool first = true;

	for (int op = 0; op < BENCH_NR_OPS; op++)
		for (size_t j = 0; j < NR_SITE_KINDS; j++) {
			const struct bench_site *bs = &s->first[site_kinds[j]][op];
			char hx[64];

			hexs(hx, sizeof(hx), bs);
			fprintf(f, "%s\n    { \"op\": \"%s\", \"variant\": \"%s\", "
				"\"count\": %u, \"len\": %u, \"bytes\": \"%s\", "
				"\"holds\": ", first ? "" : ",",
				bench_op_names[op],
				bench_kind_names[site_kinds[j]],
				s->count[site_kinds[j]][op], bs->len, hx);
			jstr(f, bs->what);
			fprintf(f, " }");
			first = false;
		}
	fprintf(f, "\n  ]\n}\n");
	return ferror(f) ? -1 : 0;
}
