/*
 * t_malformed.c - records and sites the engine must refuse, each with its
 * reason, leaving every byte as it was.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "helpers.h"

static void setup(void) { set_test_ops_default(); }

TestSuite(malformed, .init = setup);

/*
 * Crafted records live in this executable's data, within rel32 of the
 * text, like real ones.
 */
static struct pv_site crafted[4];

static void point_at(struct pv_site *r, uintptr_t site)
{
	r->addr_rel = (int32_t)(site - (uintptr_t)&r->addr_rel);
}

/* A copy of fn's record, in crafted[i], pointing at the same site. */
static struct pv_site *copy_rec(int i, const void *fn)
{
	const struct pv_site *s = site_of(fn);

	cr_assert_not_null(s);
	crafted[i] = *s;
	point_at(&crafted[i], pv_site_addr(s));
	return &crafted[i];
}

struct snapshot {
	uintptr_t at;
	size_t len;
	uint8_t bytes[64];
};

static struct snapshot snap(uintptr_t at, size_t len)
{
	struct snapshot s = { .at = at, .len = len };
	memcpy(s.bytes, (void *)at, len);
	return s;
}

static void assert_unchanged(const struct snapshot *s)
{
	cr_assert_arr_eq(s->bytes, (void *)s->at, s->len,
			 "bytes at %#lx changed", (unsigned long)s->at);
}

/* Run the engine on crafted[0..n) and expect the last one refused. */
static void expect_refused(size_t n, const char *reason)
{
	struct pv_decision d;
	int r = patch_sites(crafted, n, &d, NULL, 0);

	cr_assert_geq(r, 1, "pv_patch returned %d", r);
	cr_assert_eq(d.outcome, PV_OUT_REFUSED, "outcome %s",
		     pv_outcome_name(d.outcome));
	cr_assert_str_eq(d.reason, reason);
	cr_assert_arr_eq(d.after, d.before, PV_SITE_MAX_LEN);
}

/* What one record must come to; reason NULL: any reason. */
struct want {
	enum pv_outcome outcome;
	const char *reason;
};
#define REFUSED(why) { PV_OUT_REFUSED, why }
#define OVERLAP REFUSED("overlaps another site")
#define NOT_ORIGINAL REFUSED("site bytes are not the original call")

/*
 * Run the engine on crafted[0..n) through `write` and check every
 * record's decision: outcome, reason, and for a refused one a report
 * with nothing to write; the result and the counts agree.
 */
static void expect_each(size_t n, unsigned flags, pv_write_fn write,
			const struct want *w)
{
	struct pv_decision ds[sizeof(crafted) / sizeof(crafted[0])];
	struct pv_patch_stats st;
	int refused = 0;

	cr_assert_leq(n, sizeof(ds) / sizeof(ds[0]));
	for (size_t i = 0; i < n; i++)
		refused += w[i].outcome == PV_OUT_REFUSED;
	int r = patch_sites_each(crafted, n, ds, &st, flags, write);
	for (size_t i = 0; i < n; i++) {
		cr_expect_eq(ds[i].outcome, w[i].outcome,
			     "record %zu: %s (%s), expected %s", i,
			     pv_outcome_name(ds[i].outcome), ds[i].reason,
			     pv_outcome_name(w[i].outcome));
		if (w[i].reason)
			cr_expect_str_eq(ds[i].reason, w[i].reason,
					 "record %zu: reason '%s', expected '%s'",
					 i, ds[i].reason, w[i].reason);
		if (ds[i].outcome == PV_OUT_REFUSED)
			cr_expect_arr_eq(ds[i].after, ds[i].before,
					 PV_SITE_MAX_LEN,
					 "record %zu: refused but reports a change", i);
	}
	cr_assert_eq(r, refused, "pv_patch returned %d, expected %d", r, refused);
	cr_assert_eq(st.n[PV_OUT_REFUSED], (uint32_t)refused);
}

/* A crafted record: `len` bytes at `site`, slot and flags of crafted[from]. */
static struct pv_site *craft_at(int i, int from, uintptr_t site, uint8_t len)
{
	crafted[i] = crafted[from];
	crafted[i].len = len;
	point_at(&crafted[i], site);
	return &crafted[i];
}

Test(malformed, too_short_for_a_call)
{
	struct pv_site *r = copy_rec(0, call_save_fl);
	struct snapshot s = snap(pv_site_addr(r), 16);

	r->len = 5;
	expect_refused(1, "site too short for an indirect call");
	assert_unchanged(&s);
	cr_assert_eq(call_save_fl() & 0x2, 0x2, "still runs: bit 1 is always set");
}

Test(malformed, longer_than_max)
{
	struct pv_site *r = copy_rec(0, call_save_fl);
	struct snapshot s = snap(pv_site_addr(r), 32);

	r->len = PV_SITE_MAX_LEN + 1;
	expect_refused(1, "site longer than PV_SITE_MAX_LEN");
	assert_unchanged(&s);
}

Test(malformed, outside_the_text)
{
	static uint8_t data[16] = { 0xff, 0x15 };
	struct pv_site *r = copy_rec(0, call_save_fl);

	point_at(r, (uintptr_t)data);
	struct snapshot s = snap((uintptr_t)data, sizeof(data));
	expect_refused(1, "site outside the text range");
	assert_unchanged(&s);
}

Test(malformed, straddles_the_end_of_text)
{
	uintptr_t start;
	size_t len;
	struct pv_site *r = copy_rec(0, call_save_fl);

	pv_hosted_text(&start, &len);
	point_at(r, start + len - 3);
	expect_refused(1, "site outside the text range");
}

/*
 * Exactly one byte past the end of the text: refused for that. One byte
 * earlier the site fits, and is refused only for what it holds.
 */
Test(malformed, straddles_the_end_of_text_by_one_byte)
{
	uintptr_t start;
	size_t len;

	pv_hosted_text(&start, &len);
	copy_rec(0, call_save_fl);
	uintptr_t end = start + len;
	struct snapshot s = snap(end - 16, 16);

	craft_at(0, 0, end - PV_SITE_CALL_LEN, PV_SITE_CALL_LEN);
	expect_each(1, PV_PATCH_DRY_RUN, pv_hosted_write,
		    (struct want[]){ NOT_ORIGINAL });
	craft_at(0, 0, end - PV_SITE_CALL_LEN + 1, PV_SITE_CALL_LEN);
	expect_each(1, 0, pv_hosted_write,
		    (struct want[]){ REFUSED("site outside the text range") });
	/* a long site, its last byte the first past the end */
	craft_at(0, 0, end - PV_SITE_MAX_LEN + 1, PV_SITE_MAX_LEN);
	expect_each(1, 0, pv_hosted_write,
		    (struct want[]){ REFUSED("site outside the text range") });
	assert_unchanged(&s);
}

Test(malformed, slot_beyond_the_template)
{
	struct pv_site *r = copy_rec(0, call_save_fl);
	struct snapshot s = snap(pv_site_addr(r), r->len);

	r->slot = sizeof(t_ops) / sizeof(void *);
	expect_refused(1, "slot number beyond the template");
	assert_unchanged(&s);
}

Test(malformed, unknown_flags_or_reserved)
{
	struct pv_site *r = copy_rec(0, call_save_fl);
	struct snapshot s = snap(pv_site_addr(r), r->len);

	r->flags |= 0x80;
	expect_refused(1, "corrupt record (unknown flags or reserved bits)");
	r->flags &= ~0x80;
	r->reserved = 1;
	expect_refused(1, "corrupt record (unknown flags or reserved bits)");
	assert_unchanged(&s);
}

Test(malformed, overlapping_sites_both_refused)
{
	struct pv_site *a = copy_rec(0, call_save_fl);
	struct snapshot s = snap(pv_site_addr(a), 16);

	craft_at(1, 0, pv_site_addr(a) + 2, PV_SITE_CALL_LEN);
	expect_each(2, 0, pv_hosted_write, (struct want[]){ OVERLAP, OVERLAP });
	assert_unchanged(&s);
}

/*
 * A real site, and a record for the 6 bytes ending on its first byte:
 * both refused for the overlap. Ending one byte earlier (adjacent), the
 * real site is patched and the other record refused only for its bytes.
 */
Test(malformed, one_byte_overlap_both_refused)
{
	struct pv_site *a = copy_rec(0, call_save_fl);
	uintptr_t at = pv_site_addr(a);
	struct snapshot s = snap(at - PV_SITE_CALL_LEN, 3 * PV_SITE_CALL_LEN);

	craft_at(1, 0, at - PV_SITE_CALL_LEN, PV_SITE_CALL_LEN);
	expect_each(2, PV_PATCH_DRY_RUN, pv_hosted_write,
		    (struct want[]){ { PV_OUT_INLINE, "native template" },
				     NOT_ORIGINAL });
	craft_at(1, 0, at - PV_SITE_CALL_LEN + 1, PV_SITE_CALL_LEN);
	expect_each(2, 0, pv_hosted_write, (struct want[]){ OVERLAP, OVERLAP });
	assert_unchanged(&s);
	/* the same, the other record first in the table and after in text */
	craft_at(1, 0, at, PV_SITE_CALL_LEN);
	craft_at(0, 0, at + PV_SITE_CALL_LEN - 1, PV_SITE_CALL_LEN);
	expect_each(2, 0, pv_hosted_write, (struct want[]){ OVERLAP, OVERLAP });
	assert_unchanged(&s);
}

Test(malformed, duplicate_record_refused)
{
	copy_rec(0, call_ident);
	copy_rec(1, call_ident);
	struct snapshot s = snap(pv_site_addr(&crafted[0]), 6);

	expect_each(2, 0, pv_hosted_write, (struct want[]){ OVERLAP, OVERLAP });
	assert_unchanged(&s);
}

Test(malformed, overlap_with_a_non_neighbour)
{
	/* a long site covering two later ones: all three overlap */
	struct pv_site *a = copy_rec(0, call_save_fl);
	struct snapshot s = snap(pv_site_addr(a), PV_SITE_MAX_LEN + 6);

	craft_at(1, 0, pv_site_addr(a) + 6, PV_SITE_CALL_LEN);
	craft_at(2, 0, pv_site_addr(a) + 12, PV_SITE_CALL_LEN);
	a->len = PV_SITE_MAX_LEN;
	expect_each(3, 0, pv_hosted_write,
		    (struct want[]){ OVERLAP, OVERLAP, OVERLAP });
	assert_unchanged(&s);
}

/*
 * C is a real, untouched site; its neighbour below (B) ends two bytes
 * before it; A, below B, runs one byte into C. C's one defect is the
 * overlap with A, which is not its neighbour in address order. Without
 * A, C is patched: the overlap is the only reason to refuse it.
 */
Test(malformed, overlap_with_a_non_neighbour_is_the_only_defect)
{
	struct pv_site *c = copy_rec(0, call_save_fl);
	uintptr_t at = pv_site_addr(c);
	struct snapshot s = snap(at - 10, 16);

	craft_at(1, 0, at - 8, PV_SITE_CALL_LEN);         /* B: [at-8, at-2) */
	expect_each(2, PV_PATCH_DRY_RUN, pv_hosted_write,
		    (struct want[]){ { PV_OUT_INLINE, "native template" },
				     NOT_ORIGINAL });
	craft_at(2, 0, at - 10, 11);                      /* A: [at-10, at+1) */
	expect_each(3, 0, pv_hosted_write,
		    (struct want[]){ OVERLAP, OVERLAP, OVERLAP });
	assert_unchanged(&s);
}

Test(malformed, original_bytes_changed)
{
	const struct pv_site *s = site_of(call_tick);
	struct pv_decision d;

	t_ops.misc.tick = PV_CALLEE_SAVE(tick_as_c);
	cr_assert_eq(patch_fn(call_tick, &d), 0);
	cr_assert_eq(d.outcome, PV_OUT_DIRECT);
	/* a second run finds a direct call, not the original: refused */
	struct snapshot after = snap(pv_site_addr(s), s->len);
	cr_assert_eq(patch_fn(call_tick, &d), 1);
	cr_assert_eq(d.outcome, PV_OUT_REFUSED);
	cr_assert_str_eq(d.reason, "site bytes are not the original call");
	assert_unchanged(&after);
}

Test(malformed, call_through_another_slot)
{
	/* the record says slot X but the call goes through slot Y */
	struct pv_site *r = copy_rec(0, call_save_fl);
	struct snapshot s = snap(pv_site_addr(r), r->len);

	r->slot = PV_SLOT(irq.restore_fl);
	expect_refused(1, "site bytes are not the original call");
	assert_unchanged(&s);
}

Test(malformed, padding_changed)
{
	/* asite_long is 12 bytes: call + 6 NOPs; break one NOP */
	const struct pv_site *r = site_of(asite_long);
	uint8_t one = 0xcc;

	cr_assert_eq(pv_hosted_write(NULL, pv_site_addr(r) + 8, &one, 1), 0);
	struct snapshot s = snap(pv_site_addr(r), r->len);
	crafted[0] = *r;
	point_at(&crafted[0], pv_site_addr(r));
	expect_refused(1, "site bytes are not the original call");
	assert_unchanged(&s);
}

static int failing_write(void *o, uintptr_t a, const uint8_t *b, size_t n)
{
	(void)o; (void)a; (void)b; (void)n;
	return -5;
}

Test(malformed, write_failure_refused)
{
	struct pv_patch_stats st;
	struct pv_decision d;
	const struct pv_site *r = site_of(call_save_fl);
	struct snapshot s = snap(pv_site_addr(r), r->len);

	cr_assert_eq(patch_sites_with(r, 1, &d, &st, 0, failing_write), 1);
	cr_assert_eq(st.n[PV_OUT_REFUSED], 1);
	cr_assert_eq(d.outcome, PV_OUT_REFUSED);
	cr_assert_str_eq(d.reason, "write callback failed");
	cr_assert_arr_eq(d.after, d.before, PV_SITE_MAX_LEN);
	assert_unchanged(&s);
}

/*
 * Says it wrote, but wrote byte `bad_byte` wrong, the first `bad_left`
 * times it is called: the read-back catches it, and the engine writes the
 * original bytes back (a second call) so the refused site is as it was.
 */
static size_t bad_byte;
static int bad_writes, bad_left;

static int bad_write(void *o, uintptr_t a, const uint8_t *b, size_t n)
{
	uint8_t tmp[PV_SITE_MAX_LEN];

	bad_writes++;
	memcpy(tmp, b, n);
	if (bad_left > 0) {
		bad_left--;
		tmp[bad_byte < n ? bad_byte : n - 1] ^= 0xff;
	}
	return pv_hosted_write(o, a, tmp, n);
}

/* Patch the site of fn through bad_write, wrong `times` times at `byte`. */
static void read_back_mismatch(const void *fn, size_t byte, int times, const char *reason)
{
	const struct pv_site *r = site_of(fn);
	struct pv_decision d;
	struct pv_patch_stats st;

	cr_assert_not_null(r);
	cr_assert_lt(byte, r->len);
	struct snapshot s = snap(pv_site_addr(r), r->len);
	bad_byte = byte;
	bad_writes = 0;
	crafted[0] = *r;
	point_at(&crafted[0], pv_site_addr(r));
	/* a dry run first: the site itself is fine */
	expect_each(1, PV_PATCH_DRY_RUN, bad_write,
		    (struct want[]){ { PV_OUT_INLINE, "native template" } });
	cr_assert_eq(bad_writes, 0);
	bad_left = times;
	cr_assert_eq(patch_sites_with(r, 1, &d, &st, 0, bad_write), 1);
	cr_assert_eq(bad_writes, 2, "one write, one restore: %d calls", bad_writes);
	cr_assert_eq(st.n[PV_OUT_REFUSED], 1);
	cr_assert_eq(d.outcome, PV_OUT_REFUSED);
	cr_assert_str_eq(d.reason, reason);
	cr_assert_arr_eq(d.after, d.before, PV_SITE_MAX_LEN);
	if (times == 1) {
		assert_unchanged(&s);
	} else {
		/* the restore went wrong too: the text is not as it was, and the
		 * reason says so; put it back for the other tests */
		cr_assert_neq(memcmp((const void *)pv_site_addr(r), s.bytes, r->len), 0);
		pv_hosted_write(NULL, pv_site_addr(r), s.bytes, r->len);
	}
}

Test(malformed, read_back_mismatch_refused)
{
	read_back_mismatch(call_save_fl, PV_SITE_CALL_LEN - 1, 1,
			   "read-back differs after write; original bytes restored");
}

/* Past the first 8 bytes: the read-back compares all of the site. */
Test(malformed, read_back_mismatch_in_byte_8_refused)
{
	read_back_mismatch(asite_long, 8, 1,
			   "read-back differs after write; original bytes restored");
}

Test(malformed, read_back_mismatch_in_last_byte_of_long_site_refused)
{
	read_back_mismatch(asite_long, 11, 1,
			   "read-back differs after write; original bytes restored");
}

/* The restore itself read back wrong: refused, and the reason warns. */
Test(malformed, read_back_mismatch_unrestorable)
{
	read_back_mismatch(asite_long, 3, 2,
			   "read-back differs after write; original bytes NOT restored");
}

Test(malformed, unusable_context)
{
	struct pv_patch_ctx ctx;
	struct pv_patch_stats st;

	cr_assert_eq(pv_hosted_ctx_init(&ctx, &t_ops, sizeof(t_ops),
					test_natives, nr_test_natives), 0);
	ctx.scratch_len = PV_PATCH_SCRATCH_LEN(ctx.nr_sites, ctx.nr_slots) - 1;
	cr_assert_eq(pv_patch(&ctx, &st), -ENOSPC, "one word short");
	ctx.scratch_len = PV_PATCH_SCRATCH_LEN(ctx.nr_sites, ctx.nr_slots);
	ctx.write = NULL;
	cr_assert_eq(pv_patch(&ctx, &st), -EINVAL);
	ctx.flags = PV_PATCH_DRY_RUN;
	cr_assert_eq(pv_patch(&ctx, &st), 0, "a dry run needs no writer");

	/* more PV_ANY_SLOT natives than the engine indexes: refused whole */
	struct pv_native many[9];
	for (int i = 0; i < 9; i++)
		many[i] = (struct pv_native)PV_NATIVE(PV_ANY_SLOT, nop);
	ctx.natives = many;
	ctx.nr_natives = 9;
	cr_assert_eq(pv_patch(&ctx, &st), -EINVAL);
	ctx.nr_natives = 8;
	cr_assert_eq(pv_patch(&ctx, &st), 0);
	pv_hosted_ctx_free(&ctx);
	cr_assert_eq(pv_patch(NULL, &st), -EINVAL);
}
