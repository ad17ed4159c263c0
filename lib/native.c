/*
 * native.c - native instruction templates and their callable twins.
 *
 * One line of PV_NATIVE_LIST (pvops/native.h) becomes, here:
 *   - pv_tmpl_<op>_bytes .. _end in .rodata: the instructions, assembled by
 *     the assembler, never written by hand as hex;
 *   - pv_native_<op> in .text: the same instructions then ret (for the
 *     PV_NATIVE_NORET_LIST ops, the function given there);
 *   - struct pv_tmpl pv_tmpl_<op> tying them together with the clobbers.
 */
#include <pvops/regs.h>
#include <pvops/native.h>

#define PV_NATIVE_DEFINE_FN(op, insns, fn_insns, clob)                     \
	extern const uint8_t pv_tmpl_##op##_bytes[], pv_tmpl_##op##_end[];  \
	__asm__(".pushsection .rodata\n"                                    \
		"pv_tmpl_" #op "_bytes:\n\t" insns "\n"                     \
		"pv_tmpl_" #op "_end:\n\t"                                  \
		".popsection\n\t"                                           \
		".pushsection .text\n\t"                                    \
		".globl pv_native_" #op "\n\t"                              \
		".type pv_native_" #op ", @function\n"                      \
		"pv_native_" #op ":\n\t" fn_insns "\n\t"                    \
		".size pv_native_" #op ", . - pv_native_" #op "\n\t"        \
		".popsection\n");                                           \
	const struct pv_tmpl pv_tmpl_##op = {                               \
		.name = insns,                                              \
		.bytes = pv_tmpl_##op##_bytes,                              \
		.end = pv_tmpl_##op##_end,                                  \
		.clobbers = (clob),                                         \
		.fn = pv_native_##op,                                       \
	};
#define PV_NATIVE_DEFINE(op, insns, clob)                                  \
	PV_NATIVE_DEFINE_FN(op, insns, insns "; ret", clob)
PV_NATIVE_LIST(PV_NATIVE_DEFINE)
PV_NATIVE_NORET_LIST(PV_NATIVE_DEFINE_FN)
