/*
 * platform.c, PARAVIRT=0 - what kernel/pv/ is to the paravirt build, for
 * a kernel with no pv_ops: the native platform alone, nothing to detect,
 * nothing to patch. Built instead of kernel/pv/ by `make PARAVIRT=0`.
 */
#include <cmdline.h>
#include <paravirt.h>
#include <printk.h>
#include <pv/platform.h>

/* pv_platform_setup - the native platform, always: the APIC's mode is
 * the one thing it must learn (CPUID) before the timer starts. */
void pv_platform_setup(void)
{
	if (boot_params.pv_mode != PV_MODE_AUTO || boot_params.pv_off[0])
		printk("pv: PARAVIRT=0: pv= and pvoff= ignored\n");
	apic_probe();
	printk("pv: platform native (PARAVIRT=0: no pv_ops, no sites, "
	       "every op the bare instruction)\n");
}

void pv_patch_kernel(void) { }

void pv_patch_report(u64 khz)
{
	(void)khz;
	printk("pv: PARAVIRT=0: nothing to patch\n");
}

const char *pv_build_mode(void) { return "nopv"; }

void pv_crash_null_op(void)
{
	printk("pvk: crash=null_op: PARAVIRT=0 has no slot to empty\n");
}
