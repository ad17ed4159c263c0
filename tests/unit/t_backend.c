/*
 * t_backend.c - templates a backend hands the engine (struct
 * pv_backend_tmpl), and the hypercall facility built on them
 * (pvops/hypercall.h).
 *
 * Every byte is checked against literal hex or Capstone's decoding, never
 * against libpvops's own encoders. vmcall and vmmcall cannot run in ring 3
 * (#UD: SIGILL): their sites are decided, written, read and decoded, and
 * only the hosted stand-in (tmpl_add_rbx, hcall_standin) is executed.
 */
#include <capstone/capstone.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <pvops/hypercall.h>
#include "helpers.h"

static void setup(void)
{
	set_test_ops_default();
	test_backend = NULL;
	nr_test_backend = 0;
}

TestSuite(backend, .init = setup);

/* The bytes of the site in fn (or the .S site at fn) as they are now. */
static const uint8_t *site_bytes(const void *fn, size_t *len)
{
	const struct pv_site *s = site_of(fn);

	cr_assert_not_null(s, "no site at %p", fn);
	*len = s->len;
	return (const uint8_t *)pv_site_addr(s);
}

/* Decode len bytes: mnemonics (and operands) must be `want`, the rest
 * NOPs, checked by check_insns (Capstone). */
#define expect_site(fn, ...)                                               \
	do {                                                                \
		size_t l_;                                                  \
		const uint8_t *p_ = site_bytes((const void *)(fn), &l_);    \
		const char *const e_[] = { __VA_ARGS__, NULL };             \
		const char *w_ = check_insns(p_, l_, (uintptr_t)p_, e_);    \
		cr_assert_null(w_, #fn ": %s", w_);                         \
	} while (0)

/* Patch the site of fn alone with the backend table `b`. */
static struct pv_decision patch_with(const void *fn,
				     const struct pv_backend_tmpl *b, size_t n,
				     enum pv_outcome want)
{
	struct pv_decision d;

	test_backend = b;
	nr_test_backend = n;
	int r = patch_fn(fn, &d);
	cr_assert_eq(r, want == PV_OUT_REFUSED, "pv_patch returned %d (%s)", r,
		     d.reason);
	cr_assert_eq(d.outcome, want, "outcome %s (%s), expected %s",
		     pv_outcome_name(d.outcome), d.reason, pv_outcome_name(want));
	return d;
}

static const char *mnemonic_of(const uint8_t *p, size_t len)
{
	static char m[32];
	cs_insn *insn;
	csh h;

	m[0] = 0;
	cr_assert_eq(cs_open(CS_ARCH_X86, CS_MODE_64, &h), CS_ERR_OK);
	if (cs_disasm(h, p, len, 0x1000, 1, &insn) == 1) {
		snprintf(m, sizeof(m), "%s", insn[0].mnemonic);
		cs_free(insn, 1);
	}
	cs_close(&h);
	return m;
}

/* --- the hypercall templates, literally ------------------------------ */

static const uint8_t VMCALL[] = { 0x0f, 0x01, 0xc1 };
static const uint8_t VMMCALL[] = { 0x0f, 0x01, 0xd9 };

static void expect_tmpl(const struct pv_tmpl *t, const uint8_t *bytes,
			const char *mnemonic)
{
	cr_assert_not_null(t);
	cr_assert_eq(pv_tmpl_len(t), 3, "%s: %u bytes", mnemonic, pv_tmpl_len(t));
	cr_assert_arr_eq(t->bytes, bytes, 3, "%s: not the literal bytes", mnemonic);
	cr_assert_str_eq(mnemonic_of(t->bytes, 3), mnemonic);
	cr_assert_eq(t->clobbers, PV_CLOB(RAX), "%s: clobbers %#x", mnemonic,
		     t->clobbers);
	/* the callable twin: the same instruction, then ret (c3) */
	cr_assert_arr_eq(t->fn, bytes, 3, "%s: twin's bytes", mnemonic);
	cr_assert_eq(((const uint8_t *)t->fn)[3], 0xc3, "%s: twin ends in ret",
		     mnemonic);
}

Test(backend, hypercall_templates_are_the_literal_instructions)
{
	expect_tmpl(&pv_tmpl_vmcall, VMCALL, "vmcall");
	expect_tmpl(&pv_tmpl_vmmcall, VMMCALL, "vmmcall");
	cr_assert_eq(pv_tmpl_vmcall.fn, (const void *)pv_hcall_vmcall);
	cr_assert_eq(pv_tmpl_vmmcall.fn, (const void *)pv_hcall_vmmcall);
	/* the doorbell: ef, outl %eax,(%dx), clobbers nothing; twin ef c3 */
	const struct pv_tmpl *t = &pv_tmpl_out32_dx;
	cr_assert_eq(pv_tmpl_len(t), 1);
	cr_assert_eq(t->bytes[0], 0xef);
	cr_assert_str_eq(mnemonic_of(t->bytes, 1), "out");
	cr_assert_eq(t->clobbers, 0);
	cr_assert_eq(t->fn, (const void *)pv_hcall_out32_dx);
	cr_assert_arr_eq(t->fn, ((uint8_t[]){ 0xef, 0xc3 }), 2);
}

/* Every template in PV_HCALL_LIST is one of the three checked above. */
Test(backend, hypercall_list_is_the_checked_one)
{
	static const char *const names[] = {
#define X(op, insns, clob) #op,
		PV_HCALL_LIST(X)
#undef X
	};
	cr_assert_eq(sizeof(names) / sizeof(names[0]), 3);
	cr_assert_str_eq(names[0], "vmcall");
	cr_assert_str_eq(names[1], "vmmcall");
	cr_assert_str_eq(names[2], "out32_dx");
}

/*
 * pvhv's doorbell as a hypercall site: nr (the operation) in eax, the
 * port in a2 (dx). Patched, the site is the one-byte OUT then a 5-byte
 * NOP; run, ring 3 without I/O rights takes #GP for it (SIGSEGV).
 */
static void doorbell_site(void)
{
	const struct pv_backend_tmpl b[] = {
		PV_BACKEND_TMPL(PV_SLOT(misc.hcall), pv_hcall_out32_dx,
				&pv_tmpl_out32_dx),
	};

	t_ops.misc.hcall = PV_IS_HCALL(pv_hcall_out32_dx);
	struct pv_decision d = patch_with(call_hcall, b, 1, PV_OUT_INLINE);
	cr_assert_str_eq(d.reason, "backend template");
	cr_assert_arr_eq(d.after, ((uint8_t[]){ 0xef, 0x0f, 0x1f, 0x44, 0x00, 0x00 }),
			 6);
	expect_site(call_hcall, "outl %eax, %dx");
}

Test(backend, doorbell_site_holds_out)
{
	doorbell_site();
}

Test(backend, doorbell_site_runs_the_out, .signal = SIGSEGV)
{
	doorbell_site();
	call_hcall(0, 0, 0, 0x5654, 0);
}

Test(backend, vendor_picks_the_instruction)
{
	static const struct {
		const char *vendor;   /* 12 bytes, written out */
		const uint8_t *bytes; /* NULL: no template */
		const char *mnemonic;
	} v[] = {
		{ "GenuineIntel", VMCALL, "vmcall" },
		{ "AuthenticAMD", VMMCALL, "vmmcall" },
		{ "HygonGenuine", VMMCALL, "vmmcall" },
		{ "CentaurHauls", NULL, NULL },
		{ "  Shanghai  ", NULL, NULL },
		{ "KVMKVMKVM\0\0\0", NULL, NULL },
		{ "GenuineIntex", NULL, NULL },    /* last byte differs */
		{ "genuineintel", NULL, NULL },    /* case counts */
		{ "AuthenticAMDX", VMMCALL, "vmmcall" }, /* 12 bytes read */
		{ "\0\0\0\0\0\0\0\0\0\0\0\0", NULL, NULL },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		const struct pv_tmpl *t = pv_hypercall_tmpl(v[i].vendor);

		if (!v[i].bytes) {
			cr_expect_null(t, "vendor %zu (%.12s) got %s", i,
				       v[i].vendor, t ? t->name : "");
			continue;
		}
		cr_assert_not_null(t, "vendor %.12s: no template", v[i].vendor);
		cr_expect_arr_eq(t->bytes, v[i].bytes, 3, "vendor %.12s: bytes",
				 v[i].vendor);
		cr_expect_str_eq(mnemonic_of(t->bytes, pv_tmpl_len(t)),
				 v[i].mnemonic, "vendor %.12s", v[i].vendor);
	}
	cr_assert_null(pv_hypercall_tmpl(NULL));
}

/* --- a backend template in a hypercall site --------------------------- */

/* What a KVM backend does on this vendor: install the twin, hand the
 * template over; then patch the C site. */
static void hypercall_site_becomes(const void *site, const char *vendor,
				   const uint8_t *bytes, const char *mnemonic)
{
	const struct pv_tmpl *t = pv_hypercall_tmpl(vendor);
	struct pv_backend_tmpl b[] = {
		PV_BACKEND_TMPL(PV_SLOT(misc.hcall), t->fn, t),
	};
	size_t len;

	t_ops.misc.hcall = PV_IS_HCALL(t->fn);
	struct pv_decision d = patch_with(site, b, 1, PV_OUT_INLINE);
	cr_assert_str_eq(d.reason, "backend template");
	cr_assert_eq(d.backend, 1);
	cr_assert_eq(d.tmpl, t);

	/* the text itself: the instruction, then one 3-byte NOP (0f 1f 00) */
	const uint8_t *p = site_bytes(site, &len);
	const uint8_t want[6] = { bytes[0], bytes[1], bytes[2], 0x0f, 0x1f, 0x00 };
	cr_assert_eq(len, 6);
	cr_assert_arr_eq(p, want, 6, "%s site bytes", mnemonic);
	expect_site(site, mnemonic);
}

Test(backend, intel_hypercall_site_holds_vmcall)
{
	hypercall_site_becomes(call_hcall, "GenuineIntel", VMCALL, "vmcall");
}

Test(backend, amd_hypercall_site_holds_vmmcall)
{
	hypercall_site_becomes(call_hcall, "AuthenticAMD", VMMCALL, "vmmcall");
}

Test(backend, asm_hypercall_site_holds_vmmcall)
{
	hypercall_site_becomes(asite_hcall, "HygonGenuine", VMMCALL, "vmmcall");
}

/* --- the hosted stand-in, executed ------------------------------------ */

Test(backend, hcall_site_unpatched_runs_the_thunked_c_op)
{
	cr_assert_eq(call_hcall(1, 2, 3, 4, 5), HCALL_STANDIN(1ul, 2, 3, 4, 5));
	cr_assert_eq(call_hcall(100, 0, 0, 0, 1), 111);
}

Test(backend, used_when_its_op_is_installed)
{
	const struct pv_backend_tmpl b[] = {
		PV_BACKEND_TMPL(PV_SLOT(misc.hcall), add_rbx_fn, &tmpl_add_rbx),
	};

	t_ops.misc.hcall = PV_IS_HCALL(add_rbx_fn);
	struct pv_decision d = patch_with(call_hcall, b, 1, PV_OUT_INLINE);
	cr_assert_str_eq(d.reason, "backend template");
	cr_assert_eq(d.tmpl, &tmpl_add_rbx);
	const uint8_t want[6] = { 0x48, 0x01, 0xd8, 0x0f, 0x1f, 0x00 };
	cr_assert_arr_eq(d.after, want, 6);
	expect_site(call_hcall, "addq %rbx, %rax");
	cr_assert_eq(call_hcall(40, 2, 7, 8, 9), 42, "nr + a0");
}

Test(backend, not_used_when_the_slot_holds_another_op)
{
	/* the table stands for add_rbx_fn and vmcall; the slot holds the
	 * thunked C stand-in: a direct call to it, never the bytes */
	const struct pv_backend_tmpl b[] = {
		PV_BACKEND_TMPL(PV_SLOT(misc.hcall), add_rbx_fn, &tmpl_add_rbx),
		PV_BACKEND_TMPL(PV_SLOT(misc.hcall), pv_hcall_vmcall, &pv_tmpl_vmcall),
	};
	char want[64];

	struct pv_decision d = patch_with(call_hcall, b, 2, PV_OUT_DIRECT);
	cr_assert_str_eq(d.reason, "not native");
	cr_assert_null(d.tmpl);
	cr_assert_eq(d.backend, 0);
	snprintf(want, sizeof(want), "callq 0x%lx",
		 (unsigned long)__pv_hc_hcall_standin);
	expect_site(call_hcall, want);
	cr_assert_eq(call_hcall(1, 2, 3, 4, 5), HCALL_STANDIN(1ul, 2, 3, 4, 5));
}

Test(backend, not_used_for_another_slot_holding_its_op)
{
	/* the entry names misc.hcall; misc.ident holds the same function
	 * (convention aside): the ident site must not get the bytes */
	const struct pv_backend_tmpl b[] = {
		PV_BACKEND_TMPL(PV_SLOT(misc.hcall), pv_ident_64, &tmpl_add_rbx),
	};

	struct pv_decision d = patch_with(call_ident, b, 1, PV_OUT_INLINE);
	cr_assert_str_eq(d.reason, "native template");
	expect_site(call_ident, "movq %rdi, %rax");
}

Test(backend, direct_when_longer_than_the_site)
{
	/* movabs: 10 bytes, the hypercall site 6 */
	const struct pv_backend_tmpl b[] = {
		PV_BACKEND_TMPL(PV_SLOT(misc.hcall), __pv_hc_hcall_standin,
				&tmpl_movabs),
	};
	char want[64];

	struct pv_decision d = patch_with(call_hcall, b, 1, PV_OUT_DIRECT);
	cr_assert_str_eq(d.reason, "backend template longer than the site");
	cr_assert_eq(d.backend, 1);
	snprintf(want, sizeof(want), "callq 0x%lx",
		 (unsigned long)__pv_hc_hcall_standin);
	expect_site(call_hcall, want);
	cr_assert_eq(call_hcall(1, 2, 3, 4, 5), HCALL_STANDIN(1ul, 2, 3, 4, 5));
}

/* cqto: 48 99, sign-extends rax into rdx: clobbers rax and rdx */
extern const uint8_t cqto_bytes[], cqto_end[];
__asm__(".pushsection .rodata\n"
	"cqto_bytes: cqto\n"
	"cqto_end:\n\t"
	".popsection\n");
static const struct pv_tmpl tmpl_cqto = {
	.name = "cqto", .bytes = cqto_bytes, .end = cqto_end,
	.clobbers = PV_CLOB(RAX) | PV_CLOB(RDX), .fn = NULL,
};

Test(backend, direct_when_it_clobbers_more_than_the_site_allows)
{
	const struct pv_backend_tmpl b[] = {
		PV_BACKEND_TMPL(PV_SLOT(misc.hcall), __pv_hc_hcall_standin,
				&tmpl_cqto),
	};

	cr_assert_arr_eq(cqto_bytes, ((uint8_t[]){ 0x48, 0x99 }), 2);
	struct pv_decision d = patch_with(asite_hcall, b, 1, PV_OUT_DIRECT);
	cr_assert_str_eq(d.reason,
			 "backend template clobbers more than the site allows");
	cr_assert_eq(site_of(asite_hcall)->clobbers, PV_CLOB(RAX));
}

Test(backend, fits_a_site_that_allows_its_clobbers)
{
	/* the same template in a C-ABI site (rdx allowed) goes in */
	const struct pv_backend_tmpl b[] = {
		PV_BACKEND_TMPL(PV_SLOT(misc.add3), t_ops.misc.add3, &tmpl_cqto),
	};

	patch_with(call_add3, b, 1, PV_OUT_INLINE);
	expect_site(call_add3, "cqto");
}

/* --- precedence over a native template -------------------------------- */

/* movl $0, %eax: b8 00 00 00 00 - the same result as the native
 * vcpu_is_preempted (xorl %eax,%eax), other bytes. */
extern const uint8_t mov0_bytes[], mov0_end[];
__asm__(".pushsection .rodata\n"
	"mov0_bytes: movl $0, %eax\n"
	"mov0_end:\n\t"
	".popsection\n");
static const struct pv_tmpl tmpl_mov0 = {
	.name = "movl $0,%eax", .bytes = mov0_bytes, .end = mov0_end,
	.clobbers = PV_CLOB(RAX), .fn = NULL,
};

Test(backend, wins_over_the_native_template_of_the_same_op)
{
	const struct pv_backend_tmpl b[] = {
		PV_BACKEND_TMPL(PV_SLOT(lock.vcpu_is_preempted),
				pv_native_vcpu_is_preempted, &tmpl_mov0),
	};
	const struct pv_site *s = site_of(call_vcpu_is_preempted);
	struct pv_decision d;

	/* dry runs: without the table the native xorl (31 c0), with it the
	 * backend's movl (b8 00 00 00 00) */
	cr_assert_eq(patch_sites(s, 1, &d, NULL, PV_PATCH_DRY_RUN), 0);
	cr_assert_eq(d.tmpl, &pv_tmpl_vcpu_is_preempted);
	cr_assert_arr_eq(d.after, ((uint8_t[]){ 0x31, 0xc0 }), 2);
	test_backend = b;
	nr_test_backend = 1;
	cr_assert_eq(patch_sites(s, 1, &d, NULL, PV_PATCH_DRY_RUN), 0);
	cr_assert_eq(d.outcome, PV_OUT_INLINE);
	cr_assert_eq(d.tmpl, &tmpl_mov0);
	cr_assert_arr_eq(d.after, ((uint8_t[]){ 0xb8, 0, 0, 0, 0 }), 5);
}

Test(backend, wins_over_the_native_template_live)
{
	const struct pv_backend_tmpl b[] = {
		PV_BACKEND_TMPL(PV_SLOT(lock.vcpu_is_preempted),
				pv_native_vcpu_is_preempted, &tmpl_mov0),
	};

	struct pv_decision d = patch_with(call_vcpu_is_preempted, b, 1,
					  PV_OUT_INLINE);
	cr_assert_eq(d.tmpl, &tmpl_mov0);
	cr_assert_str_eq(d.reason, "backend template");
	const uint8_t want[6] = { 0xb8, 0, 0, 0, 0, 0x90 };
	cr_assert_arr_eq(d.after, want, 6);
	expect_site(call_vcpu_is_preempted, "movl $0, %eax");
	cr_assert_not(call_vcpu_is_preempted(2));
}

Test(backend, native_used_when_the_backend_op_is_not_installed)
{
	/* the backend's entry stands for its own op; the slot still holds the
	 * native one (a pvoff= fallback): the native template, not the
	 * backend's */
	const struct pv_backend_tmpl b[] = {
		PV_BACKEND_TMPL(PV_SLOT(lock.vcpu_is_preempted), add_rbx_fn,
				&tmpl_mov0),
	};

	struct pv_decision d = patch_with(call_vcpu_is_preempted, b, 1,
					  PV_OUT_INLINE);
	cr_assert_eq(d.tmpl, &pv_tmpl_vcpu_is_preempted);
	expect_site(call_vcpu_is_preempted, "xorl %eax, %eax");
}

/* --- written whole, read back ----------------------------------------- */

static int writes;
static size_t write_len;

static int count_writes(void *o, uintptr_t site, const uint8_t *bytes, size_t len)
{
	writes++;
	write_len = len;
	return pv_hosted_write(o, site, bytes, len);
}

/* The first write lands with its last byte changed, later ones true. */
static int lying_write(void *o, uintptr_t site, const uint8_t *bytes, size_t len)
{
	uint8_t copy[PV_SITE_MAX_LEN];

	memcpy(copy, bytes, len);
	if (writes++ == 0)
		copy[len - 1] ^= 0xff;
	return pv_hosted_write(o, site, copy, len);
}

Test(backend, written_whole_in_one_write)
{
	const struct pv_backend_tmpl b[] = {
		PV_BACKEND_TMPL(PV_SLOT(misc.hcall), add_rbx_fn, &tmpl_add_rbx),
	};
	struct pv_decision d;

	t_ops.misc.hcall = PV_IS_HCALL(add_rbx_fn);
	test_backend = b;
	nr_test_backend = 1;
	cr_assert_eq(patch_sites_with(site_of(call_hcall), 1, &d, NULL, 0,
				      count_writes), 0);
	cr_assert_eq(d.outcome, PV_OUT_INLINE);
	cr_assert_eq(writes, 1);
	cr_assert_eq(write_len, 6);
}

Test(backend, read_back_mismatch_restores_the_original)
{
	const struct pv_backend_tmpl b[] = {
		PV_BACKEND_TMPL(PV_SLOT(misc.hcall), pv_hcall_vmmcall,
				&pv_tmpl_vmmcall),
	};
	struct pv_decision d;
	size_t len;
	const uint8_t *p = site_bytes(call_hcall, &len);
	uint8_t before[6];

	memcpy(before, p, 6);
	cr_assert_arr_eq(before, ((uint8_t[]){ 0xff, 0x15 }), 2, "call *rip");
	t_ops.misc.hcall = PV_IS_HCALL(pv_hcall_vmmcall);
	test_backend = b;
	nr_test_backend = 1;
	cr_assert_eq(patch_sites_with(site_of(call_hcall), 1, &d, NULL, 0,
				      lying_write), 1);
	cr_assert_eq(d.outcome, PV_OUT_REFUSED);
	cr_assert_str_eq(d.reason,
			 "read-back differs after write; original bytes restored");
	cr_assert_eq(writes, 2, "the write, then the restore");
	cr_assert_arr_eq(p, before, 6, "the original call is back");
}

/* --- corrupt tables: refused with the reason, nothing written --------- */

static uint8_t seventeen[PV_SITE_MAX_LEN + 1];
static const struct pv_tmpl tmpl_too_long = {
	.name = "17 bytes", .bytes = seventeen,
	.end = seventeen + sizeof(seventeen), .clobbers = 0, .fn = NULL,
};
static const struct pv_tmpl tmpl_no_bytes = {
	.name = "none", .bytes = NULL, .end = NULL, .clobbers = 0, .fn = NULL,
};
static const struct pv_tmpl tmpl_backwards = {
	.name = "end before bytes", .bytes = seventeen + 4, .end = seventeen,
	.clobbers = 0, .fn = NULL,
};

/* Patch the whole process with b: refused, with this reason and index,
 * and not one site written. */
static void expect_table_refused(const struct pv_backend_tmpl *b, size_t n,
				 size_t bad, const char *reason)
{
	struct pv_patch_ctx ctx;
	struct pv_patch_stats st;
	size_t idx = 999;

	cr_assert_str_eq(pv_backend_check(b, n, sizeof(t_ops) / 8, &idx) ?: "",
			 reason);
	cr_assert_eq(idx, bad, "bad entry %zu, expected %zu", idx, bad);

	cr_assert_eq(pv_hosted_ctx_init(&ctx, &t_ops, sizeof(t_ops),
					test_natives, nr_test_natives), 0);
	ctx.backend = b;
	ctx.nr_backend = n;
	ctx.write = count_writes;
	st.error = NULL;
	cr_assert_eq(pv_patch(&ctx, &st), -EINVAL);
	pv_hosted_ctx_free(&ctx);
	cr_assert_str_eq(st.error ?: "", reason);
	cr_assert_eq(st.bad_backend, bad);
	cr_assert_eq(writes, 0, "%d writes", writes);
	size_t len;
	cr_assert_arr_eq(site_bytes(call_save_fl, &len), ((uint8_t[]){ 0xff, 0x15 }),
			 2, "save_fl still the indirect call");
}

#define GOOD PV_BACKEND_TMPL(PV_SLOT(misc.hcall), add_rbx_fn, &tmpl_add_rbx)

Test(backend, null_template_refused)
{
	const struct pv_backend_tmpl b[] = {
		GOOD, PV_BACKEND_TMPL(PV_SLOT(misc.hcall), pv_hcall_vmcall, NULL),
	};
	expect_table_refused(b, 2, 1, "backend template: NULL template");
}

Test(backend, template_without_bytes_refused)
{
	const struct pv_backend_tmpl b[] = {
		PV_BACKEND_TMPL(PV_SLOT(misc.hcall), pv_hcall_vmcall, &tmpl_no_bytes),
	};
	const struct pv_backend_tmpl c[] = {
		PV_BACKEND_TMPL(PV_SLOT(misc.hcall), pv_hcall_vmcall, &tmpl_backwards),
	};
	expect_table_refused(b, 1, 0, "backend template: no bytes");
	expect_table_refused(c, 1, 0, "backend template: no bytes");
}

Test(backend, bad_slot_refused)
{
	const struct pv_backend_tmpl b[] = {
		GOOD, GOOD, /* the second: a twin, see below */
	};
	const struct pv_backend_tmpl beyond[] = {
		PV_BACKEND_TMPL(sizeof(t_ops) / 8, add_rbx_fn, &tmpl_add_rbx),
	};
	const struct pv_backend_tmpl any[] = {
		GOOD, PV_BACKEND_TMPL(PV_ANY_SLOT, add_rbx_fn, &tmpl_add_rbx),
	};
	expect_table_refused(beyond, 1, 0,
			     "backend template: slot beyond the template");
	expect_table_refused(any, 2, 1,
			     "backend template: slot beyond the template");
	expect_table_refused(b, 2, 1,
			     "backend template: a second entry for the same slot and op");
}

Test(backend, too_long_refused)
{
	const struct pv_backend_tmpl b[] = {
		PV_BACKEND_TMPL(PV_SLOT(misc.hcall), add_rbx_fn, &tmpl_too_long),
	};
	expect_table_refused(b, 1, 0,
			     "backend template: longer than PV_SITE_MAX_LEN");
}

Test(backend, no_op_refused)
{
	const struct pv_backend_tmpl b[] = {
		PV_BACKEND_TMPL(PV_SLOT(misc.hcall), 0, &tmpl_add_rbx),
	};
	expect_table_refused(b, 1, 0,
			     "backend template: no op it stands for (fn 0)");
}

Test(backend, sound_table_passes_the_check)
{
	const struct pv_backend_tmpl b[] = {
		GOOD,
		PV_BACKEND_TMPL(PV_SLOT(misc.hcall), pv_hcall_vmcall, &pv_tmpl_vmcall),
		PV_BACKEND_TMPL(PV_SLOT(lock.vcpu_is_preempted),
				pv_native_vcpu_is_preempted, &tmpl_mov0),
	};
	size_t idx = 999;

	cr_assert_null(pv_backend_check(b, 3, sizeof(t_ops) / 8, &idx));
	cr_assert_eq(idx, 999, "untouched");
	/* a template of PV_SITE_MAX_LEN bytes, the limit, passes */
	static const struct pv_tmpl sixteen = {
		.name = "16", .bytes = seventeen, .end = seventeen + 16,
	};
	const struct pv_backend_tmpl c[] = {
		PV_BACKEND_TMPL(PV_SLOT(misc.hcall), add_rbx_fn, &sixteen),
	};
	cr_assert_null(pv_backend_check(c, 1, sizeof(t_ops) / 8, NULL));
}

/* --- the whole process, with a KVM-like table ------------------------- */

Test(backend, whole_process_counts_backend_sites)
{
	const struct pv_tmpl *t = pv_hypercall_tmpl("AuthenticAMD");
	const struct pv_backend_tmpl b[] = {
		PV_BACKEND_TMPL(PV_SLOT(misc.hcall), t->fn, t),
	};
	struct pv_patch_ctx ctx;
	struct pv_patch_stats st;
	struct pv_slot_count per[sizeof(t_ops) / 8];

	t_ops.misc.hcall = PV_IS_HCALL(t->fn);
	cr_assert_eq(pv_hosted_ctx_init(&ctx, &t_ops, sizeof(t_ops),
					test_natives, nr_test_natives), 0);
	ctx.backend = b;
	ctx.nr_backend = 1;
	ctx.per_slot = per;
	cr_assert_eq(pv_patch(&ctx, &st), 0);
	pv_hosted_ctx_free(&ctx);
	cr_assert_null(st.error);
	cr_assert_eq(per[PV_SLOT(misc.hcall)].n[PV_OUT_INLINE], 2,
		     "the C site and the .S site");
	size_t len;
	cr_assert_arr_eq(site_bytes(asite_hcall, &len), VMMCALL, 3);
	cr_assert_arr_eq(site_bytes(call_hcall, &len), VMMCALL, 3);
}
