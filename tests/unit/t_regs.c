/*
 * t_regs.c - register discipline: a site changes only the registers its
 * record allows, patched or not, through a thunk or not.
 *
 * regs_call() (regs_harness.S) loads every general register with a canary
 * and RFLAGS with a pattern, calls a .S site, and records every register
 * and RFLAGS afterwards. The negative controls at the end show it catches
 * each callee-saved register, the stack pointer and each flag a site must
 * keep.
 */
#include <criterion/criterion.h>
#include <signal.h>

#include "helpers.h"

static void setup(void)
{
	set_test_ops_default();
	test_backend = NULL;
	nr_test_backend = 0;
}

TestSuite(regs, .init = setup);

/* Bits of a "changed" mask: PV_REG_* (rsp: it moved), then REGS_FL. */
static const char *const reg_names[REGS_FL + 1] = {
	"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rflags",
};
#define CH_FL (1u << REGS_FL)

/*
 * RFLAGS going in, one run each: all of DF, AC, ID clear, then all set
 * (with some status flags), so a site that sets or clears one is seen.
 * IF and IOPL cannot be loaded in ring 3 (popf leaves them), TF would
 * single-step: they go in as they are, and must come out the same.
 */
static const uint64_t flags_in[] = {
	FL_FIXED | FL_IF,
	FL_FIXED | FL_IF | FL_DF | FL_AC | FL_ID | FL_CF | FL_ZF,
};
#define LOADABLE (FL_DF | FL_AC | FL_ID)

static uint64_t flags_changed;   /* FL_KEPT bits changed by the last call */

/*
 * Run fn under the harness once per flags_in pattern; return the mask of
 * what changed in any run: registers by PV_REG_* (PV_REG_RSP: the stack
 * pointer moved), CH_FL for a flag in FL_KEPT. `out` is the last run's.
 */
static unsigned changed_regs(const void *fn, uint64_t out[REGS_SLOTS])
{
	uint64_t in[REGS_SLOTS];
	unsigned mask = 0;

	flags_changed = 0;
	for (size_t p = 0; p < sizeof(flags_in) / sizeof(flags_in[0]); p++) {
		for (int r = 0; r < PV_NR_REGS; r++)
			in[r] = 0xc0ffee0000000000ull | ((uint64_t)r << 8) | 0x5a;
		in[REGS_FL] = flags_in[p];
		regs_call(fn, in, out);
		/* the pattern really reached the site, IF on and TF off */
		cr_assert_eq(out[REGS_FL_BEFORE] & (LOADABLE | FL_IF | FL_TF),
			     (flags_in[p] & LOADABLE) | FL_IF,
			     "harness loaded flags %#lx for %#lx",
			     (unsigned long)out[REGS_FL_BEFORE],
			     (unsigned long)flags_in[p]);
		if (out[PV_REG_RSP] != 0)
			mask |= 1u << PV_REG_RSP;
		for (int r = 0; r < PV_NR_REGS; r++)
			if (r != PV_REG_RSP && out[r] != in[r])
				mask |= 1u << r;
		flags_changed |= (out[REGS_FL] ^ out[REGS_FL_BEFORE]) & FL_KEPT;
	}
	if (flags_changed)
		mask |= CH_FL;
	return mask;
}

static void assert_within(unsigned changed, unsigned allowed, const char *what)
{
	unsigned extra = changed & ~allowed;

	for (int r = 0; r < REGS_FL; r++)
		cr_expect_not(extra & (1u << r), "%s changed %s", what,
			      reg_names[r]);
	cr_expect_not(extra & CH_FL, "%s changed RFLAGS bits %#lx", what,
		      (unsigned long)flags_changed);
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
	uint64_t out[REGS_SLOTS];
	unsigned ch = changed_regs((const void *)trash_regs, out);
	unsigned want = PV_CLOBBERS_C_ABI;

	cr_assert_eq(out[PV_REG_RAX], TRASH_RET);
	cr_assert_eq(ch, want, "changed %#x, expected %#x", ch, want);
}

Test(regs, thunk_unpatched_keeps_callee_save)
{
	uint64_t out[REGS_SLOTS];
	unsigned ch = changed_regs(asite_regs, out);

	cr_assert_eq(out[PV_REG_RAX], TRASH_RET);
	assert_within(ch, site_of(asite_regs)->clobbers, "indirect thunk site");
}

Test(regs, thunk_patched_direct_keeps_callee_save)
{
	uint64_t out[REGS_SLOTS];

	patch_asm(asite_regs, PV_OUT_DIRECT);
	unsigned ch = changed_regs(asite_regs, out);
	cr_assert_eq(out[PV_REG_RAX], TRASH_RET);
	assert_within(ch, site_of(asite_regs)->clobbers, "direct thunk site");
}

Test(regs, inline_template_keeps_callee_save)
{
	uint64_t out[REGS_SLOTS];

	patch_asm(asite_save_fl, PV_OUT_INLINE);
	unsigned ch = changed_regs(asite_save_fl, out);
	cr_assert(out[PV_REG_RAX] & 0x2, "EFLAGS bit 1 is always set");
	cr_assert_eq(out[PV_REG_RAX], out[REGS_FL_BEFORE],
		     "save_fl read %#lx, the harness loaded %#lx",
		     (unsigned long)out[PV_REG_RAX],
		     (unsigned long)out[REGS_FL_BEFORE]);
	assert_within(ch, site_of(asite_save_fl)->clobbers, "inline save_fl");
}

Test(regs, unpatched_native_keeps_callee_save)
{
	uint64_t out[REGS_SLOTS];
	unsigned ch = changed_regs(asite_save_fl, out);

	assert_within(ch, site_of(asite_save_fl)->clobbers, "indirect save_fl");
}

Test(regs, nop_site_changes_nothing)
{
	uint64_t out[REGS_SLOTS];

	t_ops.misc.tick = PV_IS_CALLEE_SAVE(pv_nop);
	patch_asm(asite_tick, PV_OUT_NOP);
	unsigned ch = changed_regs(asite_tick, out);
	cr_assert_eq(ch, 0, "NOP site changed %#x", ch);
}

Test(regs, thunked_c_op_in_void_site)
{
	uint64_t out[REGS_SLOTS];

	/* tick_as_c through its thunk, unpatched then direct */
	unsigned ch = changed_regs(asite_tick, out);
	assert_within(ch, site_of(asite_tick)->clobbers, "indirect tick");
	patch_asm(asite_tick, PV_OUT_DIRECT);
	ch = changed_regs(asite_tick, out);
	assert_within(ch, site_of(asite_tick)->clobbers, "direct tick");
	cr_assert_eq(tick_count, 4, "two runs (flag patterns) each");
}

Test(regs, long_inline_template)
{
	uint64_t out[REGS_SLOTS];

	patch_asm(asite_long, PV_OUT_INLINE);
	unsigned ch = changed_regs(asite_long, out);
	cr_assert_eq(out[PV_REG_RAX], MOVABS_VAL);
	assert_within(ch, site_of(asite_long)->clobbers, "movabs site");
}

Test(regs, c_abi_site_keeps_callee_saved)
{
	uint64_t out[REGS_SLOTS];
	unsigned ch = changed_regs(asite_trash, out);

	assert_within(ch, site_of(asite_trash)->clobbers, "indirect C-ABI site");
	patch_asm(asite_trash, PV_OUT_DIRECT);
	ch = changed_regs(asite_trash, out);
	cr_assert_eq(out[PV_REG_RAX], TRASH_RET);
	assert_within(ch, site_of(asite_trash)->clobbers, "direct C-ABI site");
}

/*
 * A hypercall-convention site: nr in rax, a0-a3 in rbx rcx rdx rsi; only
 * rax changes. The thunked C stand-in sees its arguments in that order
 * (HCALL_STANDIN weighs each differently), unpatched and direct; the
 * inline stand-in template adds rbx to rax.
 */
static uint64_t canary(int r)
{
	return 0xc0ffee0000000000ull | ((uint64_t)r << 8) | 0x5a;
}

Test(regs, hcall_thunk_keeps_the_convention)
{
	uint64_t out[REGS_SLOTS];
	uint64_t want = HCALL_STANDIN(canary(PV_REG_RAX), canary(PV_REG_RBX),
				      canary(PV_REG_RCX), canary(PV_REG_RDX),
				      canary(PV_REG_RSI));
	unsigned ch = changed_regs(asite_hcall, out);

	cr_assert_eq(site_of(asite_hcall)->clobbers, PV_CLOB(RAX));
	cr_assert_eq(out[PV_REG_RAX], want, "indirect: %#lx, expected %#lx",
		     (unsigned long)out[PV_REG_RAX], (unsigned long)want);
	assert_within(ch, PV_CLOB(RAX), "indirect hypercall thunk");
	patch_asm(asite_hcall, PV_OUT_DIRECT);
	ch = changed_regs(asite_hcall, out);
	cr_assert_eq(out[PV_REG_RAX], want, "direct");
	assert_within(ch, PV_CLOB(RAX), "direct hypercall thunk");
}

Test(regs, hcall_inline_stand_in)
{
	const struct pv_backend_tmpl b[] = {
		PV_BACKEND_TMPL(PV_SLOT(misc.hcall), add_rbx_fn, &tmpl_add_rbx),
	};
	uint64_t out[REGS_SLOTS];

	t_ops.misc.hcall = PV_IS_HCALL(add_rbx_fn);
	test_backend = b;
	nr_test_backend = 1;
	struct pv_decision d = patch_asm(asite_hcall, PV_OUT_INLINE);
	cr_assert_eq(d.tmpl, &tmpl_add_rbx);
	unsigned ch = changed_regs(asite_hcall, out);
	cr_assert_eq(out[PV_REG_RAX], canary(PV_REG_RAX) + canary(PV_REG_RBX));
	assert_within(ch, PV_CLOB(RAX), "inline hypercall stand-in");
}

/* A C op in a callee-save slot without its thunk breaks the promise. */
Test(regs, missing_thunk_is_caught)
{
	uint64_t out[REGS_SLOTS];

	t_ops.misc.regs = PV_IS_CALLEE_SAVE(trash_regs);
	unsigned ch = changed_regs(asite_regs, out);
	cr_assert_neq(ch & ~site_of(asite_regs)->clobbers, 0,
		      "the harness must see rcx..r11 change");
}

/*
 * Negative controls: an op that changes one callee-saved register, the
 * stack pointer or one kept flag, reached through a callee-save site.
 * Each must be seen changing exactly that and nothing else. The two that
 * move the stack pointer are called by the harness directly: behind a
 * site, the site's own function returns through the moved stack (down:
 * it returns twice and heals it; up: it returns into the harness's
 * saved registers).
 */
extern const char bad_rbx[], bad_rbp[], bad_r12[], bad_r13[], bad_r14[],
	bad_r15[], bad_rsp_down[], bad_rsp_up[], bad_df[], bad_ac[], bad_id[],
	bad_tf[];

static const struct bad_op {
	const char *name;
	const void *fn;
	unsigned changed;      /* exactly this mask */
	uint64_t flags;        /* exactly these flags, when CH_FL */
	int64_t rsp;           /* out[PV_REG_RSP], when the rsp bit */
	int direct;            /* called by the harness, not through a site */
} bad_ops[] = {
	{ "rbx", bad_rbx, 1u << PV_REG_RBX, 0, 0, 0 },
	{ "rbp", bad_rbp, 1u << PV_REG_RBP, 0, 0, 0 },
	{ "r12", bad_r12, 1u << PV_REG_R12, 0, 0, 0 },
	{ "r13", bad_r13, 1u << PV_REG_R13, 0, 0, 0 },
	{ "r14", bad_r14, 1u << PV_REG_R14, 0, 0, 0 },
	{ "r15", bad_r15, 1u << PV_REG_R15, 0, 0, 0 },
	{ "rsp down", bad_rsp_down, 1u << PV_REG_RSP, 0, -8, 1 },
	{ "rsp up", bad_rsp_up, 1u << PV_REG_RSP, 0, 8, 1 },
	{ "DF", bad_df, CH_FL, FL_DF, 0, 0 },
	{ "AC", bad_ac, CH_FL, FL_AC, 0, 0 },
	{ "ID", bad_id, CH_FL, FL_ID, 0, 0 },
};

static void expect_caught(const struct bad_op *b, const char *how)
{
	uint64_t out[REGS_SLOTS];
	unsigned ch = changed_regs(b->direct ? b->fn : asite_regs, out);

	cr_expect_eq(ch, b->changed, "%s, %s: changed %#x, expected exactly %#x",
		     b->name, how, ch, b->changed);
	if (b->changed & CH_FL)
		cr_expect_eq(flags_changed, b->flags, "%s, %s: flags %#lx changed",
			     b->name, how, (unsigned long)flags_changed);
	if (b->changed & (1u << PV_REG_RSP))
		cr_expect_eq((int64_t)out[PV_REG_RSP], b->rsp,
			     "%s, %s: rsp moved by %ld", b->name, how,
			     (long)out[PV_REG_RSP]);
	cr_expect_neq(ch & ~PV_CLOBBERS_CALLEE_SAVE, 0,
		      "%s, %s: not outside the site's clobbers", b->name, how);
}

Test(regs, each_callee_saved_register_rsp_and_flag_is_caught)
{
	for (size_t i = 0; i < sizeof(bad_ops) / sizeof(bad_ops[0]); i++) {
		t_ops.misc.regs = PV_IS_CALLEE_SAVE(bad_ops[i].fn);
		expect_caught(&bad_ops[i], bad_ops[i].direct ? "called directly"
							  : "through the site");
	}
}

/* The same through a site patched to a direct call (one per process:
 * the site can be patched once). */
Test(regs, bad_op_caught_through_a_direct_site)
{
	t_ops.misc.regs = PV_IS_CALLEE_SAVE(bad_r13);
	patch_asm(asite_regs, PV_OUT_DIRECT);
	expect_caught(&bad_ops[3], "through the direct site");
}

/*
 * TF: an op that sets it single-steps the harness (SIGTRAP after every
 * instruction) until the harness restores the caller's flags; the handler
 * counts the traps, the harness sees TF set after the call.
 */
static volatile sig_atomic_t traps;

static void count_trap(int sig)
{
	(void)sig;
	traps++;
}

Test(regs, tf_set_by_a_site_is_caught)
{
	static const struct bad_op tf = { "TF", bad_tf, CH_FL, FL_TF, 0, 0 };
	struct sigaction sa = { .sa_handler = count_trap };

	sigemptyset(&sa.sa_mask);
	cr_assert_eq(sigaction(SIGTRAP, &sa, NULL), 0);
	t_ops.misc.regs = PV_IS_CALLEE_SAVE(bad_tf);
	expect_caught(&tf, "through the site");
	cr_assert_gt(traps, 0, "TF was set but nothing single-stepped");
}

/* IF cannot be changed from ring 3 (popf keeps it): a site that tries
 * leaves it set, and every run above checked it came out set. */
