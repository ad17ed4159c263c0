/*
 * native.c - native instruction templates and their callable twins.
 *
 * One line of PV_NATIVE_LIST (pvops/native.h) becomes, here (through
 * PV_TMPL_DEFINE, lib/tmpl_define.h):
 *   - pv_tmpl_<op>_bytes .. _end in .rodata: the instructions, assembled by
 *     the assembler, never written by hand as hex;
 *   - pv_native_<op> in .text: the same instructions then ret (for the
 *     PV_NATIVE_NORET_LIST ops, the function given there);
 *   - struct pv_tmpl pv_tmpl_<op> tying them together with the clobbers.
 */
#include <pvops/regs.h>
#include <pvops/native.h>
#include "tmpl_define.h"

#define PV_NATIVE_DEFINE_FN(op, insns, fn_insns, clob)                     \
	PV_TMPL_DEFINE(op, pv_native_##op, insns, fn_insns, clob)
#define PV_NATIVE_DEFINE(op, insns, clob)                                  \
	PV_NATIVE_DEFINE_FN(op, insns, insns "; ret", clob)
PV_NATIVE_LIST(PV_NATIVE_DEFINE)
PV_NATIVE_NORET_LIST(PV_NATIVE_DEFINE_FN)
