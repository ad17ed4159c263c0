/*
 * t_regs.c - register discipline: a site changes only the registers its
 * record allows, patched or not, through a thunk or not.
 *
 * regs_call() (regs_harness.S) loads every general register with a canary,
 * calls a .S site, and records every register afterwards.
 */
#include <criterion/criterion.h>

#include "helpers.h"

static void setup(void) { set_test_ops_default(); }

TestSuite(regs, .init = setup);

static const char *const reg_names[PV_NR_REGS] = {
	"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};

/* Run fn under the harness; return the mask of registers it changed. */
static unsigned changed_regs(const void *fn, uint64_t out[PV_NR_REGS])
{
	uint64_t in[PV_NR_REGS];
	unsigned mask = 0;

	for (int r = 0; r < PV_NR_REGS; r++)
		in[r] = 0xc0ffee0000000000ull | ((uint64_t)r << 8) | 0x5a;
	regs_call(fn, in, out);
	cr_assert_eq(out[PV_REG_RSP], 0, "stack pointer moved by %ld",
		     (long)out[PV_REG_RSP]);
	for (int r = 0; r < PV_NR_REGS; r++)
		if (r != PV_REG_RSP && out[r] != in[r])
			mask |= 1u << r;
	return mask;
}

static void assert_within(unsigned changed, unsigned allowed, const char *what)
{
	unsigned extra = changed & ~allowed;

	for (int r = 0; r < PV_NR_REGS; r++)
		cr_expect_not(extra & (1u << r), "%s changed %s", what,
			      reg_names[r]);
	cr_assert_eq(extra, 0, "%s changed registers outside its clobbers", what);
}

static struct pv_decision patch_asm(const void *site_fn, enum pv_outcome want)
{
	struct pv_decision d;

	cr_assert_eq(patch_fn(site_fn, &d), 0);
	cr_assert_eq(d.outcome, want, "outcome %s (%s)",
		     pv_outcome_name(d.outcome), d.reason);
	return d;
}

/* The harness can see a clobber: call the trashing C function raw. */
Test(regs, harness_detects_clobbers)
{
	uint64_t out[PV_NR_REGS];
	unsigned ch = changed_regs((const void *)trash_regs, out);
	unsigned want = PV_CLOBBERS_C_ABI;

	cr_assert_eq(out[PV_REG_RAX], TRASH_RET);
	cr_assert_eq(ch, want, "changed %#x, expected %#x", ch, want);
}

Test(regs, thunk_unpatched_keeps_callee_save)
{
	uint64_t out[PV_NR_REGS];
	unsigned ch = changed_regs(asite_regs, out);

	cr_assert_eq(out[PV_REG_RAX], TRASH_RET);
	assert_within(ch, site_of(asite_regs)->clobbers, "indirect thunk site");
}

Test(regs, thunk_patched_direct_keeps_callee_save)
{
	uint64_t out[PV_NR_REGS];

	patch_asm(asite_regs, PV_OUT_DIRECT);
	unsigned ch = changed_regs(asite_regs, out);
	cr_assert_eq(out[PV_REG_RAX], TRASH_RET);
	assert_within(ch, site_of(asite_regs)->clobbers, "direct thunk site");
}

Test(regs, inline_template_keeps_callee_save)
{
	uint64_t out[PV_NR_REGS];

	patch_asm(asite_save_fl, PV_OUT_INLINE);
	unsigned ch = changed_regs(asite_save_fl, out);
	cr_assert(out[PV_REG_RAX] & 0x2, "EFLAGS bit 1 is always set");
	assert_within(ch, site_of(asite_save_fl)->clobbers, "inline save_fl");
}

Test(regs, unpatched_native_keeps_callee_save)
{
	uint64_t out[PV_NR_REGS];
	unsigned ch = changed_regs(asite_save_fl, out);

	assert_within(ch, site_of(asite_save_fl)->clobbers, "indirect save_fl");
}

Test(regs, nop_site_changes_nothing)
{
	uint64_t out[PV_NR_REGS];

	t_ops.misc.tick = PV_IS_CALLEE_SAVE(pv_nop);
	patch_asm(asite_tick, PV_OUT_NOP);
	unsigned ch = changed_regs(asite_tick, out);
	cr_assert_eq(ch, 0, "NOP site changed %#x", ch);
}

Test(regs, thunked_c_op_in_void_site)
{
	uint64_t out[PV_NR_REGS];

	/* tick_as_c through its thunk, unpatched then direct */
	unsigned ch = changed_regs(asite_tick, out);
	assert_within(ch, site_of(asite_tick)->clobbers, "indirect tick");
	patch_asm(asite_tick, PV_OUT_DIRECT);
	ch = changed_regs(asite_tick, out);
	assert_within(ch, site_of(asite_tick)->clobbers, "direct tick");
	cr_assert_eq(tick_count, 2);
}

Test(regs, long_inline_template)
{
	uint64_t out[PV_NR_REGS];

	patch_asm(asite_long, PV_OUT_INLINE);
	unsigned ch = changed_regs(asite_long, out);
	cr_assert_eq(out[PV_REG_RAX], MOVABS_VAL);
	assert_within(ch, site_of(asite_long)->clobbers, "movabs site");
}

Test(regs, c_abi_site_keeps_callee_saved)
{
	uint64_t out[PV_NR_REGS];
	unsigned ch = changed_regs(asite_trash, out);

	assert_within(ch, site_of(asite_trash)->clobbers, "indirect C-ABI site");
	patch_asm(asite_trash, PV_OUT_DIRECT);
	ch = changed_regs(asite_trash, out);
	cr_assert_eq(out[PV_REG_RAX], TRASH_RET);
	assert_within(ch, site_of(asite_trash)->clobbers, "direct C-ABI site");
}

/* A C op in a callee-save slot without its thunk breaks the promise. */
Test(regs, missing_thunk_is_caught)
{
	uint64_t out[PV_NR_REGS];

	t_ops.misc.regs = PV_IS_CALLEE_SAVE(trash_regs);
	unsigned ch = changed_regs(asite_regs, out);
	cr_assert_neq(ch & ~site_of(asite_regs)->clobbers, 0,
		      "the harness must see rcx..r11 change");
}
