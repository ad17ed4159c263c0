/*
 * pvops/asm.h - patch sites in hand-written assembly (kind 3).
 *
 * Entry and exception code in .S files reaches its sensitive instructions
 * through the same slots and the same records as C code:
 *
 *     #define PV_OPS pv_ops
 *     #include <pvops/asm.h>
 *     #include "asm-offsets.h"          // PV_SLOT_irq_disable, ...
 *
 *     PV_SITE PV_SLOT_irq_disable, PV_CLOBBERS_CALLEE_SAVE
 *
 * PV_SITE slot, clobbers[, len[, flags]] emits `call *PV_OPS+slot*8(%rip)`
 * (with PV_SITE_F_JMP in flags `jmp *...`: an op that never returns and
 * must not push on the stack it leaves with, sysretq), padded to `len` bytes, and a record identical in layout to the one the
 * C macros in pvops/ops.h emit, with PV_SITE_F_ASM added to `flags`. The
 * code around the site must treat every register in `clobbers` as lost.
 */
#ifndef PVOPS_ASM_H
#define PVOPS_ASM_H

#include <pvops/regs.h>
#include <pvops/site.h>

#ifdef __ASSEMBLER__

#ifndef PV_OPS
#error "define PV_OPS as the name of the ops template before including pvops/asm.h"
#endif

.macro PV_SITE slot:req, clobbers:req, len=PV_SITE_CALL_LEN, flags=0
771:
	.if (\flags) & PV_SITE_F_JMP
	jmp *PV_OPS + ((\slot) * 8)(%rip)
	.else
	call *PV_OPS + ((\slot) * 8)(%rip)
	.endif
772:
	.fill (\len) - (772b - 771b), 1, 0x90
773:
	.pushsection PV_SITES_SECTION, "a"
	.balign 4
	.long 771b - .
	.short \slot
	.byte 773b - 771b
	.byte (\flags) | PV_SITE_F_ASM
	.short \clobbers
	.short 0
	.popsection
.endm

#endif /* __ASSEMBLER__ */
#endif /* PVOPS_ASM_H */
