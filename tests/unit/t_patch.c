/*
 * t_patch.c - every branch of the patch decision, on real sites in this
 * process: decide, check the bytes with Capstone, then run the site.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>

#include "helpers.h"

static void setup(void) { set_test_ops_default(); }

TestSuite(patch, .init = setup);

/* The site's bytes as they are now, disassembled and checked. */
#define expect_site(fn, ...)                                               \
	do {                                                                \
		const struct pv_site *s_ = site_of((const void *)(fn));     \
		const char *const e_[] = { __VA_ARGS__, NULL };             \
		cr_assert_not_null(s_, "no site in " #fn);                  \
		const char *w_ = check_insns((const uint8_t *)pv_site_addr(s_),\
					     s_->len, pv_site_addr(s_), e_);\
		cr_assert_null(w_, #fn ": %s", w_);                         \
	} while (0)

#define patch_expect(fn, outcome_)                                         \
	({                                                                  \
		struct pv_decision d_;                                      \
		int r_ = patch_fn((const void *)(fn), &d_);                 \
		cr_assert_eq(r_, 0, #fn ": pv_patch returned %d", r_);      \
		cr_assert_eq(d_.outcome, outcome_, #fn ": outcome %s (%s)", \
			     pv_outcome_name(d_.outcome), d_.reason);       \
		d_;                                                         \
	})

static unsigned long host_flags(void)
{
	unsigned long f;
	__asm__ volatile("pushf; pop %0" : "=r"(f));
	return f;
}

Test(patch, unpatched_sites_are_indirect_calls)
{
	char slot[64];

	snprintf(slot, sizeof(slot), "callq *0x%lx(%%rip)", 0ul);
	const struct pv_site *s = site_of(call_save_fl);
	cr_assert_not_null(s);
	cr_assert_eq(s->len, PV_SITE_CALL_LEN);
	cr_assert_eq(s->clobbers, PV_CLOBBERS_CALLEE_SAVE);
	cr_assert_eq(s->flags, PV_SITE_F_RET);
	/* the call goes through t_ops.irq.save_fl */
	const uint8_t *p = (const uint8_t *)pv_site_addr(s);
	int32_t disp;
	memcpy(&disp, p + 2, 4);
	cr_assert_eq(pv_site_addr(s) + 6 + disp, (uintptr_t)&t_ops.irq.save_fl);
	/* and works unpatched */
	cr_assert_eq(call_save_fl() & ~0x10ul, host_flags() & ~0x10ul);
}

Test(patch, inline_save_fl)
{
	struct pv_decision d = patch_expect(call_save_fl, PV_OUT_INLINE);
	cr_assert_eq(d.tmpl, &pv_tmpl_save_fl);
	expect_site(call_save_fl, "pushfq", "popq %rax");
	/* bit 4 (AF) depends on the last arithmetic; compare the rest */
	cr_assert_eq(call_save_fl() & ~0x10ul, host_flags() & ~0x10ul);
}

Test(patch, inline_restore_fl_sets_flags)
{
	patch_expect(call_restore_fl, PV_OUT_INLINE);
	expect_site(call_restore_fl, "pushq %rdi", "popfq");
	/* set DF through the patched site, read it back, clear it */
	unsigned long f = host_flags();
	call_restore_fl(f | 0x400);
	unsigned long after = host_flags();
	__asm__ volatile("cld");
	cr_assert(after & 0x400, "DF not set by patched popf");
}

Test(patch, inline_spin_unlock_stores_zero)
{
	uint8_t lock[2] = { 1, 0x5a };

	patch_expect(call_spin_unlock, PV_OUT_INLINE);
	expect_site(call_spin_unlock, "movb $0, (%rdi)");
	call_spin_unlock(lock);
	cr_assert_eq(lock[0], 0);
	cr_assert_eq(lock[1], 0x5a);
}

Test(patch, inline_vcpu_is_preempted_is_false)
{
	patch_expect(call_vcpu_is_preempted, PV_OUT_INLINE);
	expect_site(call_vcpu_is_preempted, "xorl %eax, %eax");
	cr_assert_not(call_vcpu_is_preempted(3));
}

Test(patch, inline_ident_any_slot)
{
	patch_expect(call_ident, PV_OUT_INLINE);
	expect_site(call_ident, "movq %rdi, %rax");
	cr_assert_eq(call_ident(0xdeadbeefcafeul), 0xdeadbeefcafeul);
}

Test(patch, inline_privileged_templates_bytes)
{
	patch_expect(call_irq_disable, PV_OUT_INLINE);
	expect_site(call_irq_disable, "cli");
	patch_expect(call_irq_enable, PV_OUT_INLINE);
	expect_site(call_irq_enable, "sti");
	patch_expect(call_read_cr2, PV_OUT_INLINE);
	expect_site(call_read_cr2, "movq %cr2, %rax");
	patch_expect(call_read_cr3, PV_OUT_INLINE);
	expect_site(call_read_cr3, "movq %cr3, %rax");
	patch_expect(call_write_cr3, PV_OUT_INLINE);
	expect_site(call_write_cr3, "movq %rdi, %cr3");
}

/* The patched cli is really executed: ring 3 takes #GP for it. */
Test(patch, inline_cli_faults_in_user_mode, .signal = SIGSEGV)
{
	patch_expect(call_irq_disable, PV_OUT_INLINE);
	call_irq_disable();
}

Test(patch, direct_call_to_paravirt_op)
{
	t_ops.misc.tick = PV_CALLEE_SAVE(tick_as_c);
	struct pv_decision d = patch_expect(call_tick, PV_OUT_DIRECT);
	char want[64];
	snprintf(want, sizeof(want), "callq 0x%lx", (unsigned long)__pv_cs_tick_as_c);
	expect_site(call_tick, want);
	cr_assert_eq(d.target, (uintptr_t)__pv_cs_tick_as_c);
	call_tick();
	call_tick();
	cr_assert_eq(tick_count, 2);
}

Test(patch, direct_call_c_abi)
{
	patch_expect(call_add3, PV_OUT_DIRECT);
	cr_assert_eq(call_add3(1, 20, 300), 321);
}

Test(patch, direct_when_template_longer_than_site)
{
	/* the 10-byte movabs template does not fit a 6-byte C site */
	struct pv_decision d = patch_expect(call_long_tmpl, PV_OUT_DIRECT);
	cr_assert_str_eq(d.reason, "native template longer than the site");
	cr_assert_eq(call_long_tmpl(), MOVABS_VAL);
}

Test(patch, inline_long_template_in_long_site)
{
	struct pv_decision d = patch_expect(asite_long, PV_OUT_INLINE);
	cr_assert_eq(d.len, 12);
	expect_site(asite_long, "movabsq $0x1122334455667788, %rax");
	cr_assert_eq(((unsigned long (*)(void))asite_long)(), MOVABS_VAL);
}

Test(patch, direct_when_template_clobbers_too_much)
{
	/* pushf; pop %rax clobbers rax, the site allows nothing */
	struct pv_decision d = patch_expect(asite_save_fl_noclob, PV_OUT_DIRECT);
	cr_assert_str_eq(d.reason,
			 "native template clobbers more than the site allows");
	char want[64];
	snprintf(want, sizeof(want), "callq 0x%lx", (unsigned long)pv_native_save_fl);
	expect_site(asite_save_fl_noclob, want);
}

Test(patch, nop_for_pv_nop)
{
	t_ops.misc.tick = PV_IS_CALLEE_SAVE(pv_nop);
	patch_expect(call_tick, PV_OUT_NOP);
	expect_site(call_tick, NULL);
	call_tick();
	cr_assert_eq(tick_count, 0);
}

Test(patch, nop_c_abi_void)
{
	t_ops.misc.notify = (void (*)(void))pv_nop;
	patch_expect(call_notify, PV_OUT_NOP);
	call_notify();
	cr_assert_eq(notify_count, 0);
}

Test(patch, nop_refused_where_value_is_used)
{
	struct pv_decision d;
	const struct pv_site *s = site_of(call_ident);
	uint8_t before[16];

	memcpy(before, (void *)pv_site_addr(s), s->len);
	t_ops.misc.ident = PV_IS_CALLEE_SAVE(pv_nop);
	cr_assert_eq(patch_fn(call_ident, &d), 1);
	cr_assert_eq(d.outcome, PV_OUT_REFUSED);
	cr_assert_str_eq(d.reason, "no-op in an op whose value is used");
	cr_assert_arr_eq(before, (void *)pv_site_addr(s), s->len);
}

Test(patch, trap_bytes_for_null_slot)
{
	t_ops.misc.notify = NULL;
	patch_expect(call_notify, PV_OUT_TRAP);
	expect_site(call_notify, "ud2");
}

Test(patch, trap_stops_at_the_site, .signal = SIGILL)
{
	t_ops.misc.notify = NULL;
	patch_expect(call_notify, PV_OUT_TRAP);
	call_notify();
}

Test(patch, left_when_target_beyond_rel32)
{
	void *far = far_code();
	const struct pv_site *s = site_of(call_far);
	uint8_t before[16];

	cr_assert_not_null(far, "could not map code 8..64 GiB away");
	memcpy(before, (void *)pv_site_addr(s), s->len);
	t_ops.misc.far = PV_IS_CALLEE_SAVE(far);
	struct pv_decision d = patch_expect(call_far, PV_OUT_LEFT);
	cr_assert_str_eq(d.reason, "target beyond rel32 reach (+-2 GiB)");
	cr_assert_arr_eq(before, (void *)pv_site_addr(s), s->len);
	cr_assert_eq(call_far(), FAR_RET);
}

Test(patch, dry_run_writes_nothing)
{
	const struct pv_site *s = site_of(call_save_fl);
	struct pv_decision d;
	uint8_t before[16];

	memcpy(before, (void *)pv_site_addr(s), s->len);
	cr_assert_eq(patch_sites(s, 1, &d, NULL, PV_PATCH_DRY_RUN), 0);
	cr_assert_eq(d.outcome, PV_OUT_INLINE);
	cr_assert_arr_eq(before, (void *)pv_site_addr(s), s->len);
	cr_assert_arr_neq(d.after, d.before, s->len);
}

Test(patch, whole_process_counts)
{
	struct pv_patch_ctx ctx;
	struct pv_patch_stats st;
	struct pv_slot_count per[sizeof(t_ops) / 8];

	t_ops.misc.notify = NULL;
	t_ops.misc.far = PV_IS_CALLEE_SAVE(far_code());
	cr_assert_eq(pv_hosted_ctx_init(&ctx, &t_ops, sizeof(t_ops),
					test_natives, nr_test_natives), 0);
	ctx.per_slot = per;
	cr_assert_eq(pv_patch(&ctx, &st), 0);
	pv_hosted_ctx_free(&ctx);

	uint32_t total = 0;
	for (int o = 0; o < PV_OUT_COUNT; o++)
		total += st.n[o];
	cr_assert_eq(total, st.sites);
	cr_assert_gt(st.n[PV_OUT_INLINE], 8);
	cr_assert_eq(per[PV_SLOT(misc.notify)].n[PV_OUT_TRAP], 1);
	cr_assert_eq(per[PV_SLOT(misc.far)].n[PV_OUT_LEFT], 1);
	cr_assert_eq(per[PV_SLOT(irq.save_fl)].n[PV_OUT_INLINE], 2,
		     "the C site and the .S site");
	cr_assert_eq(per[PV_SLOT(irq.save_fl)].n[PV_OUT_DIRECT], 1,
		     "the .S site that may clobber nothing");
	/* everything still runs */
	cr_assert_eq(call_add3(1, 2, 3), 6);
	cr_assert_eq(call_ident(5), 5);
	cr_assert_eq(call_far(), FAR_RET);
}

Test(patch, c_and_asm_records_match)
{
	const struct pv_site *c = site_of(call_save_fl);
	const struct pv_site *a = site_of(asite_save_fl);

	cr_assert_not_null(c);
	cr_assert_not_null(a);
	cr_assert_eq(c->slot, a->slot);
	cr_assert_eq(c->len, a->len);
	/* the same but for the kind: PV_SITE marks its records asm */
	cr_assert_eq(c->flags, a->flags & ~PV_SITE_F_ASM);
	cr_assert(a->flags & PV_SITE_F_ASM);
	cr_assert(!(c->flags & PV_SITE_F_ASM));
	cr_assert_eq(c->clobbers, a->clobbers);
	cr_assert_eq(c->reserved, a->reserved);
	cr_assert_arr_eq((void *)pv_site_addr(c), (void *)pv_site_addr(a), 2,
			 "both are ff 15 call *disp32(%%rip)");
}

/* An op returning bool sets only %al; the wrapper must ignore the rest. */
extern const char false_with_junk[];
__asm__(".pushsection .text\n"
	"false_with_junk: mov $0x100, %eax\n\tret\n\t"
	".popsection\n");

Test(patch, narrow_return_type_is_masked)
{
	t_ops.lock.vcpu_is_preempted = PV_IS_CALLEE_SAVE(false_with_junk);
	cr_assert_not(call_vcpu_is_preempted(1), "unpatched");
	patch_expect(call_vcpu_is_preempted, PV_OUT_DIRECT);
	cr_assert_not(call_vcpu_is_preempted(1), "patched");
}

/* A jump site: recorded with PV_SITE_F_JMP, an indirect jmp unpatched,
 * jmp rel32 when direct, never NOPs (there is nothing to fall through
 * to), and it runs either way. */
extern void asite_jmp(void);

Test(patch, jump_site_is_an_indirect_jmp_and_runs)
{
	const struct pv_site *s = site_of(asite_jmp);

	cr_assert_not_null(s);
	cr_assert_eq(s->flags, PV_SITE_F_JMP | PV_SITE_F_ASM);
	const uint8_t *p = (const uint8_t *)pv_site_addr(s);
	int32_t disp;
	memcpy(&disp, p + 2, 4);
	cr_assert_eq(p[0], 0xff);
	cr_assert_eq(p[1], 0x25, "jmp *disp32(%%rip) is ff 25, got ff %02x", p[1]);
	cr_assert_eq(pv_site_addr(s) + 6 + disp, (uintptr_t)&t_ops.misc.tick);
	t_ops.misc.tick = PV_CALLEE_SAVE(tick_as_c);
	asite_jmp();
	cr_assert_eq(tick_count, 1);
}

Test(patch, jump_site_direct_is_jmp_rel32)
{
	t_ops.misc.tick = PV_CALLEE_SAVE(tick_as_c);
	struct pv_decision d = patch_expect(asite_jmp, PV_OUT_DIRECT);
	char want[64];
	snprintf(want, sizeof(want), "jmp 0x%lx", (unsigned long)__pv_cs_tick_as_c);
	expect_site(asite_jmp, want, "nop");
	cr_assert_eq(d.after[0], 0xe9);
	asite_jmp();
	asite_jmp();
	cr_assert_eq(tick_count, 2);
}

Test(patch, jump_site_refuses_nop)
{
	struct pv_decision d;
	const struct pv_site *s = site_of(asite_jmp);
	uint8_t before[16];

	memcpy(before, (void *)pv_site_addr(s), s->len);
	t_ops.misc.tick = PV_IS_CALLEE_SAVE(pv_nop);
	cr_assert_eq(patch_fn(asite_jmp, &d), 1);
	cr_assert_eq(d.outcome, PV_OUT_REFUSED);
	cr_assert_str_eq(d.reason, "no-op at a jump site (nothing to fall through to)");
	cr_assert_arr_eq(before, (void *)pv_site_addr(s), s->len);
}
