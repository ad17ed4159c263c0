/*
 * t_templates.c - every native template against a table written here by
 * hand: its bytes as literal hex, and its instructions as Capstone decodes
 * them (mnemonic and operands). Nothing here is encoded by libpvops.
 *
 * The templates are walked through PV_NATIVE_LIST and
 * PV_NATIVE_NORET_LIST, the lists lib/native.c makes them from, so a new
 * template without a line in `expected` fails the test.
 */
#include <capstone/capstone.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

#include <pvops/x86_insn.h>
#include "helpers.h"

#define MAX_INSNS 3

struct expected {
	const char *op;                  /* the X() name in native.h */
	uint8_t len;
	uint8_t bytes[PV_SITE_MAX_LEN];
	uint16_t clobbers;
	struct { const char *mnemonic, *operands; } insn[MAX_INSNS + 1];
};

#define RAX PV_CLOB(RAX)

static const struct expected expected[] = {
	{ "nop",               0, { 0 }, 0, { { NULL, NULL } } },
	{ "ident_64",          3, { 0x48, 0x89, 0xf8 }, RAX,
	  { { "movq", "%rdi, %rax" } } },
	{ "save_fl",           2, { 0x9c, 0x58 }, RAX,
	  { { "pushfq", "" }, { "popq", "%rax" } } },
	{ "restore_fl",        2, { 0x57, 0x9d }, 0,
	  { { "pushq", "%rdi" }, { "popfq", "" } } },
	{ "irq_disable",       1, { 0xfa }, 0, { { "cli", "" } } },
	{ "irq_enable",        1, { 0xfb }, 0, { { "sti", "" } } },
	{ "safe_halt",         2, { 0xfb, 0xf4 }, 0,
	  { { "sti", "" }, { "hlt", "" } } },
	{ "halt",              1, { 0xf4 }, 0, { { "hlt", "" } } },
	{ "read_cr0",          3, { 0x0f, 0x20, 0xc0 }, RAX,
	  { { "movq", "%cr0, %rax" } } },
	{ "write_cr0",         3, { 0x0f, 0x22, 0xc7 }, 0,
	  { { "movq", "%rdi, %cr0" } } },
	{ "read_cr2",          3, { 0x0f, 0x20, 0xd0 }, RAX,
	  { { "movq", "%cr2, %rax" } } },
	{ "read_cr3",          3, { 0x0f, 0x20, 0xd8 }, RAX,
	  { { "movq", "%cr3, %rax" } } },
	{ "write_cr3",         3, { 0x0f, 0x22, 0xdf }, 0,
	  { { "movq", "%rdi, %cr3" } } },
	{ "read_cr4",          3, { 0x0f, 0x20, 0xe0 }, RAX,
	  { { "movq", "%cr4, %rax" } } },
	{ "write_cr4",         3, { 0x0f, 0x22, 0xe7 }, 0,
	  { { "movq", "%rdi, %cr4" } } },
	{ "io_delay",          2, { 0xe6, 0x80 }, 0,
	  { { "outb", "%al, $0x80" } } },
	{ "wbinvd",            2, { 0x0f, 0x09 }, 0, { { "wbinvd", "" } } },
	{ "flush_tlb_one",     3, { 0x0f, 0x01, 0x3f }, 0,
	  { { "invlpg", "(%rdi)" } } },
	{ "spin_unlock",       3, { 0xc6, 0x07, 0x00 }, 0,
	  { { "movb", "$0, (%rdi)" } } },
	{ "vcpu_is_preempted", 2, { 0x31, 0xc0 }, RAX,
	  { { "xorl", "%eax, %eax" } } },
	{ "iret",              2, { 0x48, 0xcf }, 0, { { "iretq", "" } } },
	{ "swapgs",            3, { 0x0f, 0x01, 0xf8 }, 0, { { "swapgs", "" } } },
	{ "stac",              3, { 0x0f, 0x01, 0xcb }, 0, { { "stac", "" } } },
	{ "clac",              3, { 0x0f, 0x01, 0xca }, 0, { { "clac", "" } } },
	{ "sysret",            3, { 0x48, 0x0f, 0x07 }, 0, { { "sysretq", "" } } },
};
#define NR_EXPECTED (sizeof(expected) / sizeof(expected[0]))

/* Every template libpvops defines, from the lists it defines them by. */
struct real {
	const char *op;
	const struct pv_tmpl *t;
};
static const struct real real[] = {
#define X(op, insns, clob) { #op, &pv_tmpl_##op },
#define X_NORET(op, insns, fn, clob) { #op, &pv_tmpl_##op },
	PV_NATIVE_LIST(X)
	PV_NATIVE_NORET_LIST(X_NORET)
#undef X
#undef X_NORET
};
#define NR_REAL (sizeof(real) / sizeof(real[0]))

static const struct expected *expected_for(const char *op)
{
	for (size_t i = 0; i < NR_EXPECTED; i++)
		if (!strcmp(expected[i].op, op))
			return &expected[i];
	return NULL;
}

static size_t nr_insns(const struct expected *e)
{
	size_t n = 0;

	while (e->insn[n].mnemonic)
		n++;
	return n;
}

static void hex(char *buf, size_t size, const uint8_t *p, size_t len)
{
	size_t o = 0;

	buf[0] = 0;
	for (size_t i = 0; i < len && o + 4 < size; i++)
		o += (size_t)snprintf(buf + o, size - o, "%s%02x", i ? " " : "", p[i]);
}

/*
 * Decode len bytes at p and compare with e's instructions, one by one:
 * mnemonic, operands, and that they cover the bytes exactly.
 */
static void assert_decodes_as(const uint8_t *p, size_t len,
			      const struct expected *e, const char *what)
{
	size_t want = nr_insns(e), n, covered = 0;
	cs_insn *insn = NULL;
	csh h;

	cr_assert_eq(cs_open(CS_ARCH_X86, CS_MODE_64, &h), CS_ERR_OK);
	cs_option(h, CS_OPT_SYNTAX, CS_OPT_SYNTAX_ATT);
	n = len ? cs_disasm(h, p, len, 0x1000, 0, &insn) : 0;
	for (size_t i = 0; i < n; i++)
		covered += insn[i].size;
	for (size_t i = 0; i < n && i < want; i++) {
		cr_expect_str_eq(insn[i].mnemonic, e->insn[i].mnemonic,
				 "%s: insn %zu mnemonic '%s', expected '%s'", what,
				 i, insn[i].mnemonic, e->insn[i].mnemonic);
		cr_expect_str_eq(insn[i].op_str, e->insn[i].operands,
				 "%s: insn %zu (%s) operands '%s', expected '%s'",
				 what, i, insn[i].mnemonic, insn[i].op_str,
				 e->insn[i].operands);
	}
	if (n)
		cs_free(insn, n);
	cs_close(&h);
	cr_assert_eq(n, want, "%s: %zu instructions decoded, expected %zu",
		     what, n, want);
	cr_assert_eq(covered, len, "%s: instructions cover %zu of %zu bytes",
		     what, covered, len);
}

/* The table itself says what it claims: its bytes decode as its text. */
Test(templates, table_bytes_decode_as_table_text)
{
	for (size_t i = 0; i < NR_EXPECTED; i++)
		assert_decodes_as(expected[i].bytes, expected[i].len,
				  &expected[i], expected[i].op);
}

Test(templates, every_template_has_a_literal_entry)
{
	for (size_t i = 0; i < NR_REAL; i++)
		cr_expect_not_null(expected_for(real[i].op),
				   "template %s (\"%s\") has no line in the "
				   "literal table of t_templates.c", real[i].op,
				   real[i].t->name);
	/* and the table names no template that does not exist */
	for (size_t i = 0; i < NR_EXPECTED; i++) {
		size_t k = 0;

		while (k < NR_REAL && strcmp(real[k].op, expected[i].op))
			k++;
		cr_expect_lt(k, NR_REAL, "table line %s names no template",
			     expected[i].op);
	}
	cr_assert_eq(NR_REAL, NR_EXPECTED, "%zu templates, %zu table lines",
		     NR_REAL, NR_EXPECTED);
}

Test(templates, bytes_mnemonics_and_clobbers_are_the_literal_ones)
{
	for (size_t i = 0; i < NR_REAL; i++) {
		const struct pv_tmpl *t = real[i].t;
		const struct expected *e = expected_for(real[i].op);
		char got[64], want[64];

		if (!e)
			continue;   /* every_template_has_a_literal_entry fails */
		hex(got, sizeof(got), t->bytes, pv_tmpl_len(t));
		hex(want, sizeof(want), e->bytes, e->len);
		cr_expect_eq(pv_tmpl_len(t), e->len, "%s: %u bytes [%s], expected %u [%s]",
			     e->op, pv_tmpl_len(t), got, e->len, want);
		if (pv_tmpl_len(t) == e->len)
			cr_expect_arr_eq(t->bytes, e->bytes, e->len,
					 "%s: bytes [%s], expected [%s]", e->op, got,
					 want);
		assert_decodes_as(t->bytes, pv_tmpl_len(t), e, e->op);
		cr_expect_eq(t->clobbers, e->clobbers, "%s: clobbers %#x, expected %#x",
			     e->op, t->clobbers, e->clobbers);
	}
}

/*
 * The engine copies each template whole into a site: for every template,
 * a 6-byte void callee-save site whose slot holds pv_native_<op> comes out
 * (dry run) as the literal bytes, then NOPs.
 */
static struct pv_decision last;

static void keep(void *opaque, const struct pv_decision *d)
{
	(void)opaque;
	last = *d;
}

Test(templates, each_template_patched_into_a_site_gives_the_literal_bytes)
{
	const struct pv_site *s = site_of(call_tick);

	cr_assert_not_null(s);
	cr_assert_eq(s->len, PV_SITE_CALL_LEN);
	cr_assert_eq(s->flags & PV_SITE_F_RET, 0, "a void site: pv_nop may go in");
	for (size_t i = 0; i < NR_REAL; i++) {
		const struct pv_tmpl *t = real[i].t;
		const struct expected *e = expected_for(real[i].op);
		struct pv_native nat = { PV_SLOT(misc.tick), (uintptr_t)t->fn, t };
		struct pv_patch_ctx ctx;
		struct pv_patch_stats st;

		if (!e)
			continue;
		t_ops.misc.tick = PV_IS_CALLEE_SAVE(t->fn);
		cr_assert_eq(pv_hosted_ctx_init(&ctx, &t_ops, sizeof(t_ops), &nat, 1), 0);
		ctx.sites = s;
		ctx.nr_sites = 1;
		ctx.sites_addr = (uintptr_t)s;
		ctx.report = keep;
		ctx.flags = PV_PATCH_DRY_RUN;
		cr_assert_eq(pv_patch(&ctx, &st), 0, "%s", e->op);
		pv_hosted_ctx_free(&ctx);

		enum pv_outcome want = e->len ? PV_OUT_INLINE : PV_OUT_NOP;
		cr_assert_eq(last.outcome, want, "%s: outcome %s (%s)", e->op,
			     pv_outcome_name(last.outcome), last.reason);
		cr_assert_arr_eq(last.after, e->bytes, e->len, "%s: site does not "
				 "start with the literal bytes", e->op);
		/* the rest: the fewest NOPs (check_insns with no instructions) */
		const char *const none[] = { NULL };
		const char *why = check_insns(last.after + e->len,
					      PV_SITE_CALL_LEN - e->len, 0, none);
		cr_assert_null(why, "%s: after the template: %s", e->op, why);
	}
}
