/*
 * patch.c - the boot-time patch engine (see pvops/patch.h for the rules).
 *
 * Freestanding: no libc, no allocation. The caller gives the scratch the
 * overlap check needs and a write callback that knows how to make its
 * text writable.
 */
#include <stdbool.h>

#include <pvops/errno.h>
#include <pvops/patch.h>
#include <pvops/x86_insn.h>

static const char *const outcome_names[PV_OUT_COUNT] = {
	[PV_OUT_INLINE] = "inline",
	[PV_OUT_DIRECT] = "direct",
	[PV_OUT_NOP] = "nop",
	[PV_OUT_TRAP] = "trap",
	[PV_OUT_LEFT] = "left",
	[PV_OUT_REFUSED] = "refused",
};

const char *pv_outcome_name(enum pv_outcome o)
{
	return (unsigned)o < PV_OUT_COUNT ? outcome_names[o] : "?";
}

/* The scratch's bitmaps: one bit per record. */
static void set_bit32(uint32_t *map, size_t rec)
{
	map[rec / 32] |= 1u << (rec % 32);
}

static int test_bit32(const uint32_t *map, size_t rec)
{
	return (map[rec / 32] >> (rec % 32)) & 1;
}

static uintptr_t rec_site(const struct pv_patch_ctx *c, size_t i)
{
	uintptr_t field = c->sites_addr + i * sizeof(struct pv_site);

	return field + (intptr_t)c->sites[i].addr_rel;
}

/* Does [site, site+len) lie inside the text range? */
static int in_text(const struct pv_patch_ctx *c, uintptr_t site, size_t len)
{
	return site >= c->text_addr && site - c->text_addr <= c->text_len &&
	       len <= c->text_len - (site - c->text_addr);
}

static const uint8_t *text_at(const struct pv_patch_ctx *c, uintptr_t a)
{
	return c->text + (a - c->text_addr);
}

/* The checks that need only the record itself; NULL when it passes. */
static const char *check_record(const struct pv_patch_ctx *c, size_t i)
{
	const struct pv_site *s = &c->sites[i];

	if (s->reserved != 0 || (s->flags & ~PV_SITE_F_KNOWN))
		return "corrupt record (unknown flags or reserved bits)";
	if (s->len < PV_SITE_CALL_LEN)
		return "site too short for an indirect call";
	if (s->len > PV_SITE_MAX_LEN)
		return "site longer than PV_SITE_MAX_LEN";
	if (!in_text(c, rec_site(c, i), s->len))
		return "site outside the text range";
	if (s->slot >= c->nr_slots)
		return "slot number beyond the template";
	return NULL;
}

/*
 * Sort the indices of the records that passed check_record by site
 * address (insertion sort: link order is nearly sorted already), then
 * mark in `map` every record whose site starts before an earlier one
 * ends, and that earlier one.
 */
static void mark_overlaps(const struct pv_patch_ctx *c, uint32_t *idx,
			  size_t n, uint32_t *map)
{
	for (size_t i = 1; i < n; i++) {
		uint32_t v = idx[i];
		uintptr_t a = rec_site(c, v);
		size_t j = i;

		while (j > 0 && rec_site(c, idx[j - 1]) > a) {
			idx[j] = idx[j - 1];
			j--;
		}
		idx[j] = v;
	}

	uintptr_t end = 0;
	uint32_t owner = 0;

	for (size_t i = 0; i < n; i++) {
		uintptr_t a = rec_site(c, idx[i]);

		if (i > 0 && a < end) {
			set_bit32(map, idx[i]);
			set_bit32(map, owner);
		}
		if (i == 0 || a + c->sites[idx[i]].len > end) {
			end = a + c->sites[idx[i]].len;
			owner = idx[i];
		}
	}
}

/* Is the unpatched call and its 0x90 padding still at the site? */
static int is_original(const struct pv_patch_ctx *c, uintptr_t site,
		       const struct pv_site *s)
{
	const uint8_t *p = text_at(c, site);
	uintptr_t slot = c->slots_addr + s->slot * sizeof(uintptr_t);

	if (s->flags & PV_SITE_F_JMP ? !x86_is_jmp_rip(p, site, slot)
				     : !x86_is_call_rip(p, site, slot))
		return 0;
	for (size_t i = X86_CALL_RIP_LEN; i < s->len; i++)
		if (p[i] != X86_OP_NOP)
			return 0;
	return 1;
}

/*
 * Index the templates by slot once: tmpl_of[slot] is the entry whose
 * function the slot holds now, or 0. A backend entry for that slot comes
 * first (TMPL_BACKEND | 1 + its index), then a native one for that slot,
 * then a PV_ANY_SLOT native (1 + its index). Sites are many and slots
 * few, so this beats scanning the tables for every site.
 */
#define MAX_ANY_SLOT 8
#define TMPL_BACKEND 0x80000000u

static void index_templates(const struct pv_patch_ctx *c, uint32_t *tmpl_of)
{
	uint32_t any[MAX_ANY_SLOT];
	size_t nany = 0;

	for (size_t s = 0; s < c->nr_slots; s++)
		tmpl_of[s] = 0;
	/* pv_patch checked every backend entry: slot in range, no twins */
	for (size_t i = 0; i < c->nr_backend; i++) {
		const struct pv_backend_tmpl *b = &c->backend[i];

		if (c->slots[b->slot] == b->fn)
			tmpl_of[b->slot] = TMPL_BACKEND | ((uint32_t)i + 1);
	}
	for (size_t i = 0; i < c->nr_natives; i++) {
		const struct pv_native *n = &c->natives[i];

		if (n->slot == PV_ANY_SLOT) {
			any[nany++] = (uint32_t)i;   /* pv_patch checked the count */
		} else if (n->slot < c->nr_slots && c->slots[n->slot] == n->fn &&
			   !tmpl_of[n->slot]) {
			tmpl_of[n->slot] = (uint32_t)i + 1;
		}
	}
	for (size_t s = 0; s < c->nr_slots; s++)
		for (size_t k = 0; k < nany && !tmpl_of[s]; k++)
			if (c->natives[any[k]].fn == c->slots[s])
				tmpl_of[s] = any[k] + 1;
}

/* The template for a site of `slot`, given the slot's current value;
 * *backend says whose it is. */
static const struct pv_tmpl *find_template(const struct pv_patch_ctx *c,
					   const uint32_t *tmpl_of,
					   uint16_t slot, uint8_t *backend)
{
	uint32_t v = tmpl_of[slot];

	*backend = (v & TMPL_BACKEND) != 0;
	v &= ~TMPL_BACKEND;
	if (!v)
		return NULL;
	return *backend ? c->backend[v - 1].tmpl : c->natives[v - 1].tmpl;
}

/* Fill d->after and d->outcome for a site whose record passed every check. */
static void decide(const struct pv_patch_ctx *c, const uint32_t *tmpl_of,
		   struct pv_decision *d)
{
	const struct pv_tmpl *t = find_template(c, tmpl_of, d->slot, &d->backend);
	size_t used;

	if (d->target == 0) {
		x86_encode_ud2(d->after);
		used = X86_UD2_LEN;
		d->outcome = PV_OUT_TRAP;
		d->reason = "slot is NULL";
	} else if (t && pv_tmpl_len(t) == 0) {
		if (d->flags & PV_SITE_F_RET) {
			d->outcome = PV_OUT_REFUSED;
			d->reason = "no-op in an op whose value is used";
			return;
		}
		if (d->flags & PV_SITE_F_JMP) {
			d->outcome = PV_OUT_REFUSED;
			d->reason = "no-op at a jump site (nothing to fall through to)";
			return;
		}
		used = 0;
		d->tmpl = t;
		d->outcome = PV_OUT_NOP;
		d->reason = "no-op implementation";
	} else if (t && pv_tmpl_len(t) <= d->len &&
		   !(t->clobbers & ~d->clobbers)) {
		for (used = 0; used < pv_tmpl_len(t); used++)
			d->after[used] = t->bytes[used];
		d->tmpl = t;
		d->outcome = PV_OUT_INLINE;
		d->reason = d->backend ? "backend template" : "native template";
	} else if ((d->flags & PV_SITE_F_JMP
		    ? x86_encode_jmp_site(d->after, d->len, d->site, d->target)
		    : x86_encode_call_site(d->after, d->len, d->site, d->target)) == 0) {
		d->outcome = PV_OUT_DIRECT;
		if (!t)
			d->reason = "not native";
		else if (pv_tmpl_len(t) > d->len)
			d->reason = d->backend ? "backend template longer than the site"
				    : "native template longer than the site";
		else
			d->reason = d->backend
				    ? "backend template clobbers more than the site allows"
				    : "native template clobbers more than the site allows";
		return;
	} else {
		d->outcome = PV_OUT_LEFT;
		d->reason = "target beyond rel32 reach (+-2 GiB)";
		return;
	}
	x86_fill_nops(d->after + used, d->len - used);
}

/* Whether the text at d->site holds `want` (d->len bytes, within a window
 * of PV_SITE_MAX_LEN that d->before/after fill completely). */
static bool reads_back(const struct pv_patch_ctx *c, const struct pv_decision *d,
		       const uint8_t *want)
{
	const uint8_t *p = text_at(c, d->site);
	size_t i;

	if (in_text(c, d->site, PV_SITE_MAX_LEN)) {
		/* the whole window (see pv_patch): two 8-byte compares */
		uint64_t m[2], a[2];

		_Static_assert(PV_SITE_MAX_LEN == sizeof(m), "window is two words");
		__builtin_memcpy(m, p, PV_SITE_MAX_LEN);
		__builtin_memcpy(a, want, PV_SITE_MAX_LEN);
		return m[0] == a[0] && m[1] == a[1];
	}
	for (i = 0; i < d->len && p[i] == want[i]; i++)
		;
	return i == d->len;
}

/*
 * Write the decided bytes and read them back; refuse the site on failure.
 * A site whose read-back differs gets its original bytes written back
 * (and read back), so a refused site is left as it was; if even that
 * fails the reason says so, and the caller must not run that code.
 */
static void commit(const struct pv_patch_ctx *c, struct pv_decision *d)
{
	if (c->write(c->opaque, d->site, d->after, d->len) != 0) {
		d->reason = "write callback failed";
	} else if (reads_back(c, d, d->after)) {
		return;
	} else if (c->write(c->opaque, d->site, d->before, d->len) == 0 &&
		   reads_back(c, d, d->before)) {
		d->reason = "read-back differs after write; original bytes restored";
	} else {
		d->reason = "read-back differs after write; original bytes NOT restored";
	}
	d->outcome = PV_OUT_REFUSED;
}

const char *pv_backend_check(const struct pv_backend_tmpl *t, size_t n,
			     size_t nr_slots, size_t *bad)
{
	for (size_t i = 0; i < n; i++) {
		const struct pv_backend_tmpl *b = &t[i];
		const char *why = NULL;

		if (!b->tmpl)
			why = "backend template: NULL template";
		else if (!b->tmpl->bytes || !b->tmpl->end ||
			 b->tmpl->end < b->tmpl->bytes)
			why = "backend template: no bytes";
		else if (b->slot >= nr_slots)
			why = "backend template: slot beyond the template";
		else if (!b->fn)
			why = "backend template: no op it stands for (fn 0)";
		else if (b->tmpl->end - b->tmpl->bytes > PV_SITE_MAX_LEN)
			why = "backend template: longer than PV_SITE_MAX_LEN";
		for (size_t k = 0; k < i && !why; k++)
			if (t[k].slot == b->slot && t[k].fn == b->fn)
				why = "backend template: a second entry for the same slot and op";
		if (why) {
			if (bad)
				*bad = i;
			return why;
		}
	}
	return NULL;
}

/* Why ctx cannot be used (see pv_patch in pvops/patch.h), or NULL. */
static const char *check_ctx(const struct pv_patch_ctx *c, size_t *bad)
{
	size_t nany = 0;

	if ((c->nr_sites && !c->sites) || !c->text || !c->slots ||
	    !c->nr_slots || c->nr_slots >= PV_ANY_SLOT ||
	    (!c->write && !(c->flags & PV_PATCH_DRY_RUN)) ||
	    (c->nr_natives && !c->natives) || (c->nr_backend && !c->backend) ||
	    c->nr_sites > UINT32_MAX / 2 || c->nr_backend >= TMPL_BACKEND)
		return "ctx: a field missing or out of range";
	for (size_t i = 0; i < c->nr_natives; i++)
		nany += c->natives[i].slot == PV_ANY_SLOT;
	if (nany > MAX_ANY_SLOT)
		return "ctx: more than 8 PV_ANY_SLOT natives";
	return pv_backend_check(c->backend, c->nr_backend, c->nr_slots, bad);
}

int pv_patch(const struct pv_patch_ctx *c, struct pv_patch_stats *st)
{
	size_t i, n = 0, bad = 0;
	int refused = 0;

	if (!c || !st)
		return -EINVAL;
	st->error = check_ctx(c, &bad);
	st->bad_backend = (uint32_t)bad;
	if (st->error)
		return -EINVAL;
	if (c->scratch_len < PV_PATCH_SCRATCH_LEN(c->nr_sites, c->nr_slots) ||
	    !c->scratch) {
		st->error = "ctx: scratch shorter than PV_PATCH_SCRATCH_LEN";
		return -ENOSPC;
	}

	size_t words = (c->nr_sites + 31) / 32;
	uint32_t *map = c->scratch + c->nr_sites;   /* overlapping sites */
	uint32_t *good = map + words;               /* records that passed */
	uint32_t *tmpl_of = good + words;

	index_templates(c, tmpl_of);

	st->sites = (uint32_t)c->nr_sites;
	for (i = 0; i < PV_OUT_COUNT; i++)
		st->n[i] = 0;
	if (c->per_slot)
		for (i = 0; i < c->nr_slots; i++)
			for (size_t k = 0; k < PV_OUT_COUNT; k++)
				c->per_slot[i].n[k] = 0;
	for (i = 0; i < words; i++)
		map[i] = good[i] = 0;

	for (i = 0; i < c->nr_sites; i++)
		if (!check_record(c, i)) {
			c->scratch[n++] = (uint32_t)i;
			set_bit32(good, i);
		}
	mark_overlaps(c, c->scratch, n, map);

	for (i = 0; i < c->nr_sites; i++) {
		const struct pv_site *s = &c->sites[i];
		const char *why = test_bit32(good, i) ? NULL : check_record(c, i);
		size_t copy = s->len < PV_SITE_MAX_LEN ? s->len : PV_SITE_MAX_LEN;
		struct pv_decision d;

		d.site = rec_site(c, i);
		d.slot = s->slot;
		d.len = s->len;
		d.flags = s->flags;
		d.clobbers = s->clobbers;
		d.tmpl = NULL;
		d.backend = 0;
		d.target = s->slot < c->nr_slots ? c->slots[s->slot] : 0;
		/*
		 * Fixed-size builtins are a couple of moves, no library call:
		 * take the whole PV_SITE_MAX_LEN window when it is in the text
		 * (bytes past the site come along and are never written).
		 */
		__builtin_memset(d.before, 0, PV_SITE_MAX_LEN);
		if (in_text(c, d.site, PV_SITE_MAX_LEN))
			__builtin_memcpy(d.before, text_at(c, d.site), PV_SITE_MAX_LEN);
		else if (in_text(c, d.site, copy))
			for (size_t k = 0; k < copy; k++)
				d.before[k] = text_at(c, d.site)[k];
		__builtin_memcpy(d.after, d.before, PV_SITE_MAX_LEN);

		if (!why && test_bit32(map, i))
			why = "overlaps another site";
		if (!why && !is_original(c, d.site, s))
			why = "site bytes are not the original call";

		if (why) {
			d.outcome = PV_OUT_REFUSED;
			d.reason = why;
		} else {
			decide(c, tmpl_of, &d);
			if (d.outcome != PV_OUT_LEFT &&
			    d.outcome != PV_OUT_REFUSED &&
			    !(c->flags & PV_PATCH_DRY_RUN))
				commit(c, &d);
		}

		if (d.outcome == PV_OUT_REFUSED || d.outcome == PV_OUT_LEFT) {
			refused += d.outcome == PV_OUT_REFUSED;
			__builtin_memcpy(d.after, d.before, PV_SITE_MAX_LEN);
		}
		st->n[d.outcome]++;
		if (c->per_slot && s->slot < c->nr_slots)
			c->per_slot[s->slot].n[d.outcome]++;
		if (c->report)
			c->report(c->opaque, &d);
	}
	return refused;
}
