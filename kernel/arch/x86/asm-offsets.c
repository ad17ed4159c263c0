/*
 * asm-offsets.c - numbers entry.S needs from C: slot numbers of the pv
 * ops it calls through PV_SITE, and the trap frame layout.
 */
#include <paravirt.h>
#include <pvops/ops.h>        /* PV_SLOT (PARAVIRT=0: its paravirt.h has no sites) */
#include <asm/trap_frame.h>
#include <pvops/asm-offsets.h>


void asm_offsets(void);
void asm_offsets(void)
{
	PV_ASM_OFFSET(PV_SLOT_irq_disable, PV_SLOT(irq.irq_disable));
	PV_ASM_OFFSET(PV_SLOT_irq_enable, PV_SLOT(irq.irq_enable));
	PV_ASM_OFFSET(PV_SLOT_read_cr2, PV_SLOT(mmu.read_cr2));
	PV_ASM_OFFSET(PV_SLOT_iret, PV_SLOT(cpu.iret));
	PV_ASM_OFFSET(TF_CR2, offsetof(struct trap_frame, cr2));
	PV_ASM_OFFSET(TF_VECTOR, offsetof(struct trap_frame, vector));
	PV_ASM_OFFSET(TF_SIZE, sizeof(struct trap_frame));
}
