/*
 * main.c - the generic kernel, start to finish.
 *
 * Order matters: the platform is chosen and its init() run before the
 * patch engine, so every site is rewritten once, for the ops that will
 * stay; patching happens while only this CPU runs and interrupts are off,
 * and before the final page tables make the text read-only.
 */
#include <bench.h>
#include <cmdline.h>
#include <kernel.h>
#include <ktest.h>
#include <mm.h>
#include <paging.h>
#include <printk.h>
#include <sched.h>
#include <string.h>
#include <pv/platform.h>
#include <asm/apic.h>
#include <asm/smp.h>
#include <asm/tsc.h>

/* crash - fail the way the command line asked, to show the fault report. */
static noreturn void crash(const char *kind)
{
	printk("pvk: crash=%s: failing on purpose\n", kind);
	if (!strcmp(kind, "page_fault"))
		*(volatile u64 *)0xdead000 = 1;
	else if (!strcmp(kind, "null_op"))
		wbinvd();                     /* its site was patched to ud2 */
	panic("crash: crash=%s", kind);
}

noreturn void kernel_main(struct boot_info *bi)
{
	printk("pvk: %s boot, command line '%s'\n", bi->protocol, bi->cmdline);
	for (int i = 0; i < bi->nr_mods; i++)   /* reserved by pmm_init */
		printk("pvk: module %d: %#llx..%#llx, %llu bytes\n", i,
		       (unsigned long long)bi->mods[i].base,
		       (unsigned long long)(bi->mods[i].base + bi->mods[i].len),
		       (unsigned long long)bi->mods[i].len);
	cmdline_parse(bi->cmdline, &boot_params);

	smp_detect(bi);               /* the MADT, while the first MiB is mapped,
					 * and before platforms choose ops that
					 * pay only with several CPUs */
	pv_platform_setup();
	if (!strcmp(boot_params.crash, "null_op"))
		pv_crash_null_op();           /* as if a platform forgot an op */
	pv_patch_kernel();
	tsc_init(bi);

	u64 pages = pmm_init(bi);
	printk("mm: %d memory map entries, %llu MiB free\n", bi->nr_mem,
	       (unsigned long long)(pages >> 8));
	paging_init(bi);

	platform_init();
	timer_init();
	smp_init(bi);
	sched_init();                 /* this context becomes the thread "main" */

	printk("pvk: cpu: TSC %llu kHz (%s), APIC %s\n",
	       (unsigned long long)tsc_khz(), tsc_source(), apic_mode_name());
	pv_patch_report(tsc_khz());
	printk("pvk: ready in %llu us\n", (unsigned long long)(sched_clock() / 1000));
	if (boot_params.bench[0]) bench_run(boot_params.bench);

	if (boot_params.crash[0])
		crash(boot_params.crash);

	int status = STATUS_OK;
	if (boot_params.tests) {
		if (ktest_run_all(boot_params.tests_only))
			status = STATUS_TESTS;
	} else {
		printk("pvk: self-tests off (tests=off)\n");
	}
	printk("pvk: power off, status %d\n", status);
	power_off(status);
}
