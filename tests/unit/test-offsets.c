/* test-offsets.c - slot numbers of the test template for sites.S. */
#include "test_ops.h"
#include <pvops/asm-offsets.h>


void test_offsets(void);
void test_offsets(void)
{
	PV_ASM_OFFSET(T_SLOT_irq_save_fl, PV_SLOT(irq.save_fl));
	PV_ASM_OFFSET(T_SLOT_misc_regs, PV_SLOT(misc.regs));
	PV_ASM_OFFSET(T_SLOT_misc_tick, PV_SLOT(misc.tick));
	PV_ASM_OFFSET(T_SLOT_misc_long_tmpl, PV_SLOT(misc.long_tmpl));
	PV_ASM_OFFSET(T_SLOT_misc_trash, PV_SLOT(misc.trash));
	PV_ASM_OFFSET(T_SLOT_misc_hcall, PV_SLOT(misc.hcall));
}
