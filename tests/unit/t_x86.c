/* t_x86.c - the encoders, checked by disassembling what they write. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>

#include <pvops/x86_insn.h>
#include "helpers.h"

Test(x86, nop_fill_is_fewest_recommended_nops)
{
	const char *const none[] = { NULL };

	for (size_t len = 1; len <= 40; len++) {
		uint8_t buf[48];
		memset(buf, 0xcc, sizeof(buf));
		x86_fill_nops(buf, len);
		const char *why = check_insns(buf, len, 0x1000, none);
		cr_assert_null(why, "len %zu: %s", len, why);
		cr_assert_eq(buf[len], 0xcc, "len %zu: wrote past the end", len);
	}
}

Test(x86, call_rel32_encodes_and_range_checks)
{
	uint8_t buf[5];
	char want[32];
	const char *const e[] = { want, NULL };

	cr_assert_eq(x86_encode_call_rel32(buf, 0x400000, 0x401234), 0);
	snprintf(want, sizeof(want), "callq 0x401234");
	cr_assert_null(check_insns(buf, 5, 0x400000, e));

	/* backwards */
	cr_assert_eq(x86_encode_call_rel32(buf, 0x80000000, 0x1000), 0);
	snprintf(want, sizeof(want), "callq 0x1000");
	cr_assert_null(check_insns(buf, 5, 0x80000000, e));

	/* exactly the last reachable byte each way, then one past */
	uintptr_t at = 0x100000000ull;
	cr_assert_eq(x86_encode_call_rel32(buf, at, at + 5 + INT32_MAX), 0);
	cr_assert_eq(x86_encode_call_rel32(buf, at, at + 5 + (uintptr_t)INT32_MAX + 1),
		     -ERANGE);
	cr_assert_eq(x86_encode_call_rel32(buf, at, at + 5 - 0x80000000ull), 0);
	cr_assert_eq(x86_encode_call_rel32(buf, at, at + 5 - 0x80000001ull),
		     -ERANGE);
}

Test(x86, ud2)
{
	uint8_t buf[2];
	const char *const e[] = { "ud2", NULL };

	x86_encode_ud2(buf);
	cr_assert_null(check_insns(buf, 2, 0, e));
}

Test(x86, recognises_the_unpatched_call)
{
	/* call *0x10(%rip) at 0x1000: operand at 0x1000 + 6 + 0x10 */
	const uint8_t call[6] = { 0xff, 0x15, 0x10, 0, 0, 0 };
	const uint8_t jmp[6] = { 0xff, 0x25, 0x10, 0, 0, 0 };

	cr_assert(x86_is_call_rip(call, 0x1000, 0x1016));
	cr_assert_not(x86_is_call_rip(call, 0x1000, 0x1018));
	cr_assert_not(x86_is_call_rip(jmp, 0x1000, 0x1016));
}

Test(x86, native_templates_match_their_functions)
{
	/* every pv_native_<op> is its template followed by ret */
	const struct pv_tmpl *all[] = {
#define X(op, insns, clob) &pv_tmpl_##op,
		PV_NATIVE_LIST(X)
#undef X
	};

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		const struct pv_tmpl *t = all[i];
		const uint8_t *fn = t->fn;

		cr_assert_leq(pv_tmpl_len(t), PV_SITE_CALL_LEN,
			      "%s does not fit a plain site", t->name);
		cr_assert_arr_eq(fn, t->bytes, pv_tmpl_len(t), "%s", t->name);
		cr_assert_eq(fn[pv_tmpl_len(t)], 0xc3, "%s: no ret", t->name);
	}
}

Test(x86, call_site_is_one_instruction_in_six_bytes)
{
	uint8_t buf[16];
	char want[32];
	const char *const e[] = { want, NULL };

	snprintf(want, sizeof(want), "callq 0x2000");
	memset(buf, 0xcc, sizeof(buf));
	cr_assert_eq(x86_encode_call_site(buf, 6, 0x1000, 0x2000), 0);
	cr_assert_eq(buf[0], X86_PREFIX_CS);
	cr_assert_eq(buf[6], 0xcc, "wrote past the site");
	cr_assert_null(check_insns(buf, 6, 0x1000, e), "%s", check_insns(buf, 6, 0x1000, e));

	/* longer sites: the plain call, then the fewest NOPs */
	cr_assert_eq(x86_encode_call_site(buf, 9, 0x1000, 0x2000), 0);
	cr_assert_eq(buf[0], X86_OP_CALL_REL32);
	cr_assert_null(check_insns(buf, 9, 0x1000, e));

	/* out of reach: nothing written */
	memset(buf, 0xcc, sizeof(buf));
	cr_assert_eq(x86_encode_call_site(buf, 6, 0x1000, 0x1000 + (3ull << 31)), -ERANGE);
	cr_assert_eq(buf[0], 0xcc);
}
