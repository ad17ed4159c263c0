/*
 * pvops/asm-offsets.h - numbers that .S files need from C (slot numbers,
 * structure offsets), the way Linux's asm-offsets does it: a C file calls
 * PV_ASM_OFFSET(NAME, value) for each; the build compiles it to assembly
 * with -S and turns every "->NAME value" it finds into "#define NAME value"
 * (the pv_asm_offsets rule in the top-level Makefile).
 */
#ifndef PVOPS_ASM_OFFSETS_H
#define PVOPS_ASM_OFFSETS_H

/* In a .ascii string so that assemblers that check inline asm (clang's)
 * accept it; the build greps it out of the -S output. */
#define PV_ASM_OFFSET(sym, val)                                            \
	__asm__ volatile("\n.ascii \"->" #sym " %0\"" : : "i"(val))

#endif /* PVOPS_ASM_OFFSETS_H */
