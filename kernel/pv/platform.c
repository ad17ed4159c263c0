/*
 * platform.c - choose the platform, then patch the kernel for it.
 */
#include <cmdline.h>
#include <paravirt.h>
#include <printk.h>
#include <string.h>
#include <pv/platform.h>
#include <asm/x86_bits.h>
#include <asm/x86.h>

static const struct pv_platform *const platforms[] = {
	&platform_native,
	&platform_kvm,
	&platform_pvhv,
};

const struct pv_platform *pv_platform = &platform_native;

u32 hypervisor_cpuid_base(const char sig[12])
{
	struct cpuid_regs r;

	cpuid(1, 0, &r);
	if (!(r.ecx & CPUID_1_ECX_HYPERVISOR))
		return 0;
	for (u32 leaf = CPUID_HV_BASE; leaf <= CPUID_HV_LAST; leaf += CPUID_HV_STEP) {
		cpuid(leaf, 0, &r);
		u32 s[3] = { r.ebx, r.ecx, r.edx };
		if (!memcmp(s, sig, 12))
			return leaf;
	}
	return 0;
}

/* Name the first hypervisor leaf's signature, whoever it is. */
static void log_hypervisor(void)
{
	struct cpuid_regs r;
	char sig[13];

	cpuid(1, 0, &r);
	if (!(r.ecx & CPUID_1_ECX_HYPERVISOR)) {
		printk("pv: no hypervisor (CPUID.1:ECX.HYPERVISOR clear)\n");
		return;
	}
	cpuid(CPUID_HV_BASE, 0, &r);
	memcpy(sig, &r.ebx, 4);
	memcpy(sig + 4, &r.ecx, 4);
	memcpy(sig + 8, &r.edx, 4);
	sig[12] = 0;
	for (int i = 0; i < 12; i++)
		if (sig[i] && (sig[i] < ' ' || sig[i] > '~'))
			sig[i] = '?';
	printk("pv: hypervisor signature '%s' at %#x\n", sig, CPUID_HV_BASE);
}

/* Every name in pvoff= must be some platform's feature: say so if not. */
static void check_pvoff(void)
{
	const char *s = boot_params.pv_off;

	while (*s) {
		const char *e = s;
		bool known = false;

		while (*e && *e != ',')
			e++;
		for (size_t i = 0; i < ARRAY_SIZE(platforms) && !known; i++)
			for (const char *const *f = platforms[i]->features; f && *f; f++)
				if (strlen(*f) == (size_t)(e - s) && !strncmp(*f, s, e - s))
					known = true;
		if (!known)
			printk("pv: pvoff=%.*s: no platform has that feature; ignored\n",
			       (int)(e - s), s);
		s = *e ? e + 1 : e;
	}
}

void pv_platform_setup(void)
{
	const struct pv_platform *best = &platform_native;
	int best_prio = 0;

	log_hypervisor();
	check_pvoff();
	for (size_t i = 0; i < ARRAY_SIZE(platforms); i++) {
		int prio = platforms[i]->detect();

		if (prio > 0 && platforms[i] != &platform_native)
			printk("pv: %s detected (priority %d)\n",
			       platforms[i]->name, prio);
		if (prio > best_prio) {
			best = platforms[i];
			best_prio = prio;
		}
	}

	switch (boot_params.pv_mode) {
	case PV_MODE_NATIVE:
		best = &platform_native;
		printk("pv: pv=native: ignoring any hypervisor\n");
		break;
	case PV_MODE_PLATFORM: {
		const struct pv_platform *want = NULL;

		for (size_t i = 0; i < ARRAY_SIZE(platforms); i++)
			if (!strcmp(platforms[i]->name, boot_params.pv_platform))
				want = platforms[i];
		if (!want)
			printk("pv: pv=%s: no such platform; using %s\n",
			       boot_params.pv_platform, best->name);
		else if (want != &platform_native && want->detect() <= 0)
			printk("pv: pv=%s: not running on it; using %s\n",
			       want->name, best->name);
		else
			best = want;
		break;
	}
	case PV_MODE_AUTO:
	case PV_MODE_NOPATCH:
		break;
	}

	pv_platform = best;
	if (best != &platform_native)
		platform_native.init();   /* the base every platform builds on */
	best->init();
	printk("pv: platform %s\n", best->name);
	if (best->report)
		best->report();
}
