/*
 * tmpl_define.h - (private to lib/) make one template and its callable
 * twin from one line: the instructions are assembled by the assembler,
 * never written by hand as hex.
 *
 * PV_TMPL_DEFINE(op, fnsym, insns, fn_insns, clob) emits
 *   - pv_tmpl_<op>_bytes .. _end in .rodata: `insns`;
 *   - the global function `fnsym` in .text: `fn_insns`;
 *   - const struct pv_tmpl pv_tmpl_<op> tying them together.
 */
#ifndef PVOPS_LIB_TMPL_DEFINE_H
#define PVOPS_LIB_TMPL_DEFINE_H

#include <pvops/native.h>

#define PV_TMPL_DEFINE(op, fnsym, insns, fn_insns, clob)                   \
	extern const uint8_t pv_tmpl_##op##_bytes[], pv_tmpl_##op##_end[];  \
	__asm__(".pushsection .rodata\n"                                    \
		"pv_tmpl_" #op "_bytes:\n\t" insns "\n"                     \
		"pv_tmpl_" #op "_end:\n\t"                                  \
		".popsection\n\t"                                           \
		".pushsection .text\n\t"                                    \
		".globl " #fnsym "\n\t"                                     \
		".type " #fnsym ", @function\n"                             \
		#fnsym ":\n\t" fn_insns "\n\t"                              \
		".size " #fnsym ", . - " #fnsym "\n\t"                      \
		".popsection\n");                                           \
	const struct pv_tmpl pv_tmpl_##op = {                               \
		.name = insns,                                              \
		.bytes = pv_tmpl_##op##_bytes,                              \
		.end = pv_tmpl_##op##_end,                                  \
		.clobbers = (clob),                                         \
		.fn = fnsym,                                                \
	};

#endif /* PVOPS_LIB_TMPL_DEFINE_H */
