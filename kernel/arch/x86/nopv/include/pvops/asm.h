/*
 * pvops/asm.h, PARAVIRT=0 - PV_SITE in assembly as the bare instruction.
 *
 * Stands in for libpvops's pvops/asm.h in the PARAVIRT=0 build (this
 * directory comes first on its include path): the same macro, the same
 * arguments, but no call, no padding and no record: the instruction the
 * native template of `slot` holds (pvops/native.h), for the slots entry.S
 * uses. Any other slot is an assembly error, not a silent call.
 */
#ifndef PVOPS_ASM_H
#define PVOPS_ASM_H

#include <pvops/regs.h>
#include <pvops/site.h>
#include "asm-offsets.h"     /* PV_SLOT_*: the slots, to pick the instruction */

#ifdef __ASSEMBLER__

.macro PV_SITE slot:req, clobbers:req, len=0, flags=0
	.if (\slot) == PV_SLOT_read_cr2
	mov %cr2, %rax
	.elseif (\slot) == PV_SLOT_irq_disable
	cli
	.elseif (\slot) == PV_SLOT_irq_enable
	sti
	.elseif (\slot) == PV_SLOT_iret
	iretq
	.elseif (\slot) == PV_SLOT_swapgs
	swapgs
	.elseif (\slot) == PV_SLOT_sysret
	sysretq
	.else
	.error "PV_SITE: no bare instruction for this slot in the PARAVIRT=0 build"
	.endif
.endm

#endif /* __ASSEMBLER__ */
#endif /* PVOPS_ASM_H */
