/*
 * asm-offsets.c - numbers entry.S needs from C: slot numbers of the pv
 * ops it calls through PV_SITE, and the trap frame layout.
 */
#include <paravirt.h>
#include <pvops/ops.h>        /* PV_SLOT (PARAVIRT=0: its paravirt.h has no sites) */
#include <asm/trap_frame.h>
#include <asm/user.h>           /* struct tss */
#include <pvops/asm-offsets.h>


void asm_offsets(void);
void asm_offsets(void)
{
	PV_ASM_OFFSET(PV_SLOT_irq_disable, PV_SLOT(irq.irq_disable));
	PV_ASM_OFFSET(PV_SLOT_irq_enable, PV_SLOT(irq.irq_enable));
	PV_ASM_OFFSET(PV_SLOT_read_cr2, PV_SLOT(mmu.read_cr2));
	PV_ASM_OFFSET(PV_SLOT_iret, PV_SLOT(cpu.iret));
	PV_ASM_OFFSET(PV_SLOT_swapgs, PV_SLOT(cpu.swapgs));
	PV_ASM_OFFSET(PV_SLOT_sysret, PV_SLOT(cpu.sysret));
	PV_ASM_OFFSET(TF_CR2, offsetof(struct trap_frame, cr2));
	PV_ASM_OFFSET(TF_RAX, offsetof(struct trap_frame, rax));
	PV_ASM_OFFSET(TF_RIP, offsetof(struct trap_frame, rip));
	PV_ASM_OFFSET(TF_CS, offsetof(struct trap_frame, cs));
	PV_ASM_OFFSET(TF_RFLAGS, offsetof(struct trap_frame, rflags));
	PV_ASM_OFFSET(TF_RSP, offsetof(struct trap_frame, rsp));
	PV_ASM_OFFSET(TSS_SIZE, sizeof(struct tss));
	PV_ASM_OFFSET(SMP_MAX_CPUS_ASM, SMP_MAX_CPUS);
	PV_ASM_OFFSET(TSS_RSP0, offsetof(struct tss, rsp[0]));
	PV_ASM_OFFSET(TSS_RSP2, offsetof(struct tss, rsp[2]));
	PV_ASM_OFFSET(TF_VECTOR, offsetof(struct trap_frame, vector));
	PV_ASM_OFFSET(TF_SIZE, sizeof(struct trap_frame));
}
