/*
 * asm-offsets.c - numbers entry.S needs from C: slot numbers of the pv
 * ops it calls through PV_SITE, and the trap frame layout.
 */
#include <paravirt.h>
#include <asm/trap_frame.h>

#define DEFINE(sym, val) __asm__ volatile("\n->" #sym " %0" : : "i"(val))

void asm_offsets(void);
void asm_offsets(void)
{
	DEFINE(PV_SLOT_irq_disable, PV_SLOT(irq.irq_disable));
	DEFINE(PV_SLOT_irq_enable, PV_SLOT(irq.irq_enable));
	DEFINE(PV_SLOT_read_cr2, PV_SLOT(mmu.read_cr2));
	DEFINE(PV_SLOT_iret, PV_SLOT(cpu.iret));
	DEFINE(TF_CR2, offsetof(struct trap_frame, cr2));
	DEFINE(TF_VECTOR, offsetof(struct trap_frame, vector));
	DEFINE(TF_SIZE, sizeof(struct trap_frame));
}
