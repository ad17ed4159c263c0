/*
 * sites.S - patch sites written with the assembler macro (kind 3), each
 * in a function of its own so the register harness can call it.
 */
#define PV_OPS t_ops
#include <pvops/asm.h>
#include <pvops/hypercall.h>
#include "test-offsets.h"

	.text

/* A hot site in front of a thunked C function that trashes registers. */
	.globl asite_regs
asite_regs:
	PV_SITE T_SLOT_misc_regs, PV_CLOBBERS_CALLEE_SAVE, PV_SITE_CALL_LEN, PV_SITE_F_RET
	ret

/* The same slot and record as the C wrapper t_save_fl() emits. */
	.globl asite_save_fl
asite_save_fl:
	PV_SITE T_SLOT_irq_save_fl, PV_CLOBBERS_CALLEE_SAVE, PV_SITE_CALL_LEN, PV_SITE_F_RET
	ret

/* save_fl where the site may clobber nothing: the template cannot go in. */
	.globl asite_save_fl_noclob
asite_save_fl_noclob:
	PV_SITE T_SLOT_irq_save_fl, PV_CLOBBERS_NONE, PV_SITE_CALL_LEN, PV_SITE_F_RET
	ret

/* A void hot op: becomes NOPs when its slot holds pv_nop. */
	.globl asite_tick
asite_tick:
	PV_SITE T_SLOT_misc_tick, PV_CLOBBERS_CALLEE_SAVE
	ret

/* A 12-byte site: room for the 10-byte movabs template. */
	.globl asite_long
asite_long:
	PV_SITE T_SLOT_misc_long_tmpl, PV_CLOBBERS_CALLEE_SAVE, 12, PV_SITE_F_RET
	ret

/* A C-ABI site in front of the same trashing function, unthunked. */
	.globl asite_trash
asite_trash:
	PV_SITE T_SLOT_misc_trash, PV_CLOBBERS_C_ABI, PV_SITE_CALL_LEN, PV_SITE_F_RET
	ret

/* A hypercall-convention site: nr in rax, args in rbx rcx rdx rsi. */
	.globl asite_hcall
asite_hcall:
	PV_SITE T_SLOT_misc_hcall, PV_CLOBBERS_HCALL, PV_SITE_CALL_LEN, PV_SITE_F_RET
	ret

/* A jump site (PV_SITE_F_JMP, as entry.S's sysretq): a tail jump to the
 * op, which returns to asite_jmp's caller. */
	.globl asite_jmp
asite_jmp:
	PV_SITE T_SLOT_misc_tick, PV_CLOBBERS_CALLEE_SAVE, PV_SITE_CALL_LEN, PV_SITE_F_JMP
	ud2                           /* a jump never falls through */
	.section .note.GNU-stack, "", @progbits
