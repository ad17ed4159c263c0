/*
 * sites.c - patch the benchmark's own sites and prove what they hold.
 *
 * The records of all three pv_* kinds share the pv_sites section. Each
 * kind calls through its own template, so a record belongs to the kind
 * whose template its `call *slot(%rip)` reads. The records of one object
 * are contiguous, and the engine is pointed at each kind's run of records
 * in turn with that kind's template:
 *
 *   pv_indirect  a dry run (natives given): every site must be accepted as
 *                INLINE, so it is a valid site, and nothing is written
 *   pv_direct    no natives: every site must become DIRECT
 *   pv_inline    natives for every slot: every site must become INLINE
 *
 * The report callback checks each decision as it is made, and afterwards
 * every site's live bytes are read back and decoded by hand. So are the
 * plain_* kinds' inline asm blocks, found through their own records
 * (section bench_plain): the probes must hold exactly the bytes the
 * patched sites hold, the plain variants exactly the bare instructions.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pvops/hosted.h>
#include <pvops/patch.h>
#include <pvops/x86_insn.h>

#include "bench.h"

static const struct pv_native bench_natives[] = {
#define X(op, tmpl) PV_NATIVE(BENCH_SLOT(op), tmpl),
	BENCH_OPS(X)
#undef X
};
#define BENCH_NR_NATIVES (sizeof(bench_natives) / sizeof(bench_natives[0]))

/* The template, native function and pv_tmpl of each op (= slot). */
static const struct pv_tmpl *const op_tmpl[BENCH_NR_OPS] = {
#define X(op, tmpl) &pv_tmpl_##tmpl,
	BENCH_OPS(X)
#undef X
};

extern const struct bench_plain_site __start_bench_plain[];
extern const struct bench_plain_site __stop_bench_plain[];

static const char *const op_fn_name[BENCH_NR_OPS] = {
#define X(op, tmpl) "pv_native_" #tmpl,
	BENCH_OPS(X)
#undef X
};

struct pv_kind {
	enum bench_kind kind;
	const char *tmpl_name;
	struct bench_ops *ops;
	enum pv_outcome want;
	bool dry_run;
	bool natives;
};

static const struct pv_kind pv_kinds[] = {
	{ BENCH_K_pv_indirect, "bench_ops_pv_indirect", &bench_ops_pv_indirect,
	  PV_OUT_INLINE, true, true },
	{ BENCH_K_pv_direct, "bench_ops_pv_direct", &bench_ops_pv_direct,
	  PV_OUT_DIRECT, false, false },
	{ BENCH_K_pv_inline, "bench_ops_pv_inline", &bench_ops_pv_inline,
	  PV_OUT_INLINE, false, true },
};
#define NR_PV_KINDS (sizeof(pv_kinds) / sizeof(pv_kinds[0]))

struct check {
	const struct pv_kind *k;
	int verbose;
	unsigned bad;
	unsigned seen;
};

static void hex(char *buf, size_t size, const uint8_t *b, size_t n)
{
	size_t o = 0;

	buf[0] = 0;
	for (size_t i = 0; i < n && o + 4 < size; i++)
		o += (size_t)snprintf(buf + o, size - o, "%s%02x", i ? " " : "",
				      b[i]);
}

/* The report callback: is this the decision the benchmark needs? */
static void check_decision(void *opaque, const struct pv_decision *d)
{
	struct check *c = opaque;
	const struct pv_kind *k = c->k;
	char before[64], after[64];
	bool ok = d->outcome == k->want && d->slot < BENCH_NR_OPS &&
		  d->target == (uintptr_t)op_tmpl[d->slot]->fn;

	if (ok && d->outcome == PV_OUT_INLINE)
		ok = d->tmpl == op_tmpl[d->slot];
	c->seen++;
	hex(before, sizeof(before), d->before, d->len);
	hex(after, sizeof(after), d->after, d->len);
	if (!ok) {
		c->bad++;
		fprintf(stderr,
			"bench-host: %s site %#lx slot %u: %s (%s), wanted %s\n",
			bench_kind_names[k->kind], (unsigned long)d->site,
			d->slot, pv_outcome_name(d->outcome), d->reason,
			pv_outcome_name(k->want));
	}
	if (c->verbose || !ok)
		printf("  %-12s %-18s %-7s%s %s -> %s  (%s)\n",
		       bench_kind_names[k->kind],
		       d->slot < BENCH_NR_OPS ? bench_op_names[d->slot] : "?",
		       pv_outcome_name(d->outcome), k->dry_run ? " (dry)" : "",
		       before, after, d->reason);
}

/* Which pv kind's template does this site's indirect call read, or -1. */
static int site_kind(const struct pv_site *s, unsigned *slot)
{
	const uint8_t *p = (const uint8_t *)pv_site_addr(s);

	for (size_t k = 0; k < NR_PV_KINDS; k++) {
		uintptr_t t = (uintptr_t)pv_kinds[k].ops;

		for (unsigned i = 0; i < BENCH_NR_SLOTS; i++)
			if (x86_is_call_rip(p, pv_site_addr(s),
					    t + i * sizeof(void *))) {
				*slot = i;
				return (int)k;
			}
	}
	return -1;
}

static size_t nop_len(const uint8_t *p, size_t len)
{
	uint8_t want[PV_SITE_MAX_LEN];

	x86_fill_nops(want, len);
	return memcmp(p, want, len) ? 0 : len;
}

/*
 * Decode one live site by hand: what the benchmark expects the kind to
 * hold, and nothing else. Fills `out`; returns false when it differs.
 */
static bool check_site(const struct pv_kind *k, const struct pv_site *s,
		       struct bench_site *out)
{
	uintptr_t a = pv_site_addr(s);
	const uint8_t *p = (const uint8_t *)a;
	const struct pv_tmpl *t = op_tmpl[s->slot];
	size_t len = s->len, used = 0;
	bool ok = false;
	char what[64];

	out->addr = a;
	out->len = s->len;
	memcpy(out->bytes, p, len);
	switch (k->kind) {
	case BENCH_K_pv_indirect:
		ok = x86_is_call_rip(p, a, (uintptr_t)k->ops +
					   s->slot * sizeof(void *));
		used = X86_CALL_RIP_LEN;
		snprintf(what, sizeof(what), "call *%s+%#x(%%rip)",
			 k->tmpl_name, (unsigned)(s->slot * sizeof(void *)));
		/* The unpatched padding is single-byte 0x90s, not fill NOPs. */
		for (size_t i = used; i < len; i++)
			ok = ok && p[i] == X86_OP_NOP;
		break;
	case BENCH_K_pv_direct: {
		/* a 6-byte site holds one instruction: cs call rel32 */
		size_t pre = p[0] == X86_PREFIX_CS;
		int32_t rel;

		memcpy(&rel, p + pre + 1, 4);
		used = pre + X86_CALL_REL32_LEN;
		ok = p[pre] == X86_OP_CALL_REL32 &&
		     a + used + (intptr_t)rel == (uintptr_t)t->fn &&
		     nop_len(p + used, len - used) == len - used;
		snprintf(what, sizeof(what), "%scall %s", pre ? "cs " : "",
			 op_fn_name[s->slot]);
		break;
	}
	case BENCH_K_pv_inline:
		used = pv_tmpl_len(t);
		ok = used <= len && !memcmp(p, t->bytes, used) &&
		     nop_len(p + used, len - used) == len - used;
		snprintf(what, sizeof(what), "%s", t->name);
		break;
	default:
		break;
	}
	if (len > used && k->kind == BENCH_K_pv_indirect)
		snprintf(out->what, sizeof(out->what), "%s + %zu x nop",
			 what, len - used);
	else if (len > used)
		snprintf(out->what, sizeof(out->what), "%s + %zu-byte NOP",
			 what, len - used);
	else
		snprintf(out->what, sizeof(out->what), "%s", what);
	return ok;
}

/* A rel32 call at p (after `skip` prefix bytes) to the op's function? */
static bool is_call_to(const uint8_t *p, uintptr_t a, size_t skip, int op)
{
	int32_t rel;

	memcpy(&rel, p + skip + 1, 4);
	return p[skip] == X86_OP_CALL_REL32 &&
	       a + skip + X86_CALL_REL32_LEN + (intptr_t)rel ==
		       (uintptr_t)op_tmpl[op]->fn;
}

/* Check one plain_* asm block against what its kind must hold. */
static bool check_plain(const struct bench_plain_site *r,
			const struct bench_sites *out, struct bench_site *bs)
{
	uintptr_t a = (uintptr_t)&r->addr_rel + (intptr_t)r->addr_rel;
	const uint8_t *p = (const uint8_t *)a;
	const struct pv_tmpl *t = op_tmpl[r->op];
	const struct bench_site *pi = &out->first[BENCH_K_pv_inline][r->op];
	size_t tl = pv_tmpl_len(t), len = r->len;
	bool ok = false;

	bs->addr = a;
	bs->len = r->len;
	memcpy(bs->bytes, p, len < sizeof(bs->bytes) ? len : sizeof(bs->bytes));
	switch (r->kind) {
	case BENCH_K_plain_inline:
		ok = len == tl && !memcmp(p, t->bytes, tl);
		snprintf(bs->what, sizeof(bs->what), "%s", t->name);
		break;
	case BENCH_K_plain_inline_nop:
		/* Byte for byte the patched inline site. */
		ok = len == pi->len && !memcmp(p, pi->bytes, len);
		snprintf(bs->what, sizeof(bs->what), "%s + %zu-byte NOP",
			 t->name, len - tl);
		break;
	case BENCH_K_plain_direct:
		ok = len == X86_CALL_REL32_LEN && is_call_to(p, a, 0, r->op);
		snprintf(bs->what, sizeof(bs->what), "call %s",
			 op_fn_name[r->op]);
		break;
	case BENCH_K_plain_direct_nop:
		ok = len == X86_CALL_REL32_LEN + 1 && is_call_to(p, a, 0, r->op) &&
		     p[X86_CALL_REL32_LEN] == X86_OP_NOP;
		snprintf(bs->what, sizeof(bs->what), "call %s + 1-byte NOP",
			 op_fn_name[r->op]);
		break;
	case BENCH_K_plain_direct_cs:
		ok = len == X86_CALL_REL32_LEN + 1 && p[0] == X86_PREFIX_CS &&
		     is_call_to(p, a, 1, r->op);
		snprintf(bs->what, sizeof(bs->what), "cs call %s",
			 op_fn_name[r->op]);
		break;
	case BENCH_K_none:
		ok = len == 0;
		snprintf(bs->what, sizeof(bs->what), "(nothing)");
		break;
	default:
		snprintf(bs->what, sizeof(bs->what), "?");
		break;
	}
	return ok;
}

static int check_plain_sites(struct bench_sites *out)
{
	for (const struct bench_plain_site *r = __start_bench_plain;
	     r < __stop_bench_plain; r++) {
		struct bench_site bs;

		if (r->kind >= BENCH_NR_KINDS || r->op >= BENCH_NR_OPS ||
		    !check_plain(r, out, &bs)) {
			fprintf(stderr, "bench-host: %s %s asm at %#lx does not "
				"hold %s\n",
				r->kind < BENCH_NR_KINDS ?
				bench_kind_names[r->kind] : "?",
				r->op < BENCH_NR_OPS ? bench_op_names[r->op] : "?",
				(unsigned long)bs.addr, bs.what);
			return -1;
		}
		if (out->count[r->kind][r->op]++ == 0)
			out->first[r->kind][r->op] = bs;
	}
	return 0;
}

int bench_patch_sites(struct bench_sites *out, int verbose)
{
	struct pv_patch_ctx base;
	size_t n;
	int kinds[4096];
	unsigned slots[4096];
	int ret = -1;

	memset(out, 0, sizeof(*out));
	if (pv_hosted_ctx_init(&base, &bench_ops_pv_inline,
			       sizeof(bench_ops_pv_inline), NULL, 0)) {
		fprintf(stderr, "bench-host: out of memory\n");
		return -1;
	}
	n = base.nr_sites;
	if (n == 0 || n > sizeof(kinds) / sizeof(kinds[0])) {
		fprintf(stderr, "bench-host: %zu site records (expected 1..%zu)\n",
			n, sizeof(kinds) / sizeof(kinds[0]));
		goto out;
	}

	/* Whose is each record? Every record must be an unpatched site. */
	for (size_t i = 0; i < n; i++) {
		kinds[i] = site_kind(&base.sites[i], &slots[i]);
		if (kinds[i] < 0 || slots[i] != base.sites[i].slot) {
			fprintf(stderr, "bench-host: record %zu (site %#lx) is "
				"not an unpatched site of a bench template\n",
				i, (unsigned long)pv_site_addr(&base.sites[i]));
			goto out;
		}
	}

	for (size_t k = 0; k < NR_PV_KINDS; k++) {
		const struct pv_kind *pk = &pv_kinds[k];
		struct pv_patch_ctx ctx = base;
		struct pv_patch_stats st;
		struct check c = { .k = pk, .verbose = verbose };
		size_t first = n, last = 0;
		int r;

		for (size_t i = 0; i < n; i++)
			if (kinds[i] == (int)k) {
				first = first < i ? first : i;
				last = i;
			}
		if (first == n) {
			fprintf(stderr, "bench-host: no sites for %s\n",
				bench_kind_names[pk->kind]);
			goto out;
		}
		for (size_t i = first; i <= last; i++)
			if (kinds[i] != (int)k) {
				fprintf(stderr, "bench-host: the records of %s "
					"are not contiguous\n",
					bench_kind_names[pk->kind]);
				goto out;
			}

		ctx.sites = &base.sites[first];
		ctx.nr_sites = last - first + 1;
		ctx.sites_addr = (uintptr_t)ctx.sites;
		ctx.slots = (const uintptr_t *)pk->ops;
		ctx.nr_slots = BENCH_NR_SLOTS;
		ctx.slots_addr = (uintptr_t)pk->ops;
		ctx.natives = pk->natives ? bench_natives : NULL;
		ctx.nr_natives = pk->natives ? BENCH_NR_NATIVES : 0;
		ctx.report = check_decision;
		ctx.opaque = &c;
		ctx.flags = pk->dry_run ? PV_PATCH_DRY_RUN : 0;
		r = pv_patch(&ctx, &st);
		if (r != 0 || c.bad || c.seen != ctx.nr_sites ||
		    st.n[pk->want] != ctx.nr_sites) {
			fprintf(stderr, "bench-host: patching %s: pv_patch %d, "
				"%u of %zu sites not %s\n",
				bench_kind_names[pk->kind], r,
				(unsigned)ctx.nr_sites - st.n[pk->want],
				ctx.nr_sites, pv_outcome_name(pk->want));
			goto out;
		}

		/* Read back every site of the kind and decode it. */
		for (size_t i = first; i <= last; i++) {
			const struct pv_site *s = &base.sites[i];
			struct bench_site bs;

			if (!check_site(pk, s, &bs)) {
				fprintf(stderr, "bench-host: %s site %#lx does "
					"not hold %s\n",
					bench_kind_names[pk->kind],
					(unsigned long)bs.addr, bs.what);
				goto out;
			}
			if (out->count[pk->kind][s->slot]++ == 0)
				out->first[pk->kind][s->slot] = bs;
		}
	}
	if (check_plain_sites(out))
		goto out;
	/* Every asm kind has all its sites: BENCH_UNROLL per loop. */
	for (int k = 0; k < BENCH_NR_KINDS; k++)
		for (unsigned op = 0; op < BENCH_NR_OPS; op++)
			if (k != BENCH_K_c_plain && k != BENCH_K_c_retpoline &&
			    out->count[k][op] < BENCH_UNROLL) {
				fprintf(stderr, "bench-host: %s %s: %u sites, "
					"expected at least %d\n",
					bench_kind_names[k], bench_op_names[op],
					out->count[k][op], BENCH_UNROLL);
				goto out;
			}
	ret = 0;
out:
	pv_hosted_ctx_free(&base);
	return ret;
}
