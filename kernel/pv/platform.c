/*
 * platform.c - choose the platform among those registered (PV_PLATFORM),
 * then run its init() chain.
 */
#include <cmdline.h>
#include <paravirt.h>
#include <printk.h>
#include <string.h>
#include <pv/platform.h>
#include <asm/x86_bits.h>
#include <asm/x86.h>

extern const struct pv_platform __start_pv_platforms[], __stop_pv_platforms[];

#define for_each_platform(p) \
	for (const struct pv_platform *p = __start_pv_platforms; p < __stop_pv_platforms; p++)

const struct pv_platform *pv_platform;
/* The platforms whose init() ran at boot, base first. */
static const struct pv_platform *ran_list[8];
static int nr_ran;

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

const struct pv_plan *pv_plan_apply(const struct pv_plan *e)
{
	BUG_ON(e->slot >= PV_NR_SLOTS);
	((uintptr_t *)&pv_ops)[e->slot] = e->fn;
	return e;
}

const struct pv_platform *pv_platform_find(const char *name)
{
	for_each_platform(p)
		if (!strcmp(p->name, name))
			return p;
	return NULL;
}

/* The platform p builds on; NULL for the root. Panics on an unknown name. */
static const struct pv_platform *base_of(const struct pv_platform *p)
{
	const struct pv_platform *b;

	if (!p->base)
		return NULL;
	b = pv_platform_find(p->base);
	if (!b)
		panic("pv_platform: %s builds on %s, which is not registered",
		      p->name, p->base);
	return b;
}

int pv_platform_rank(const struct pv_platform *p)
{
	int rank = 0, depth = 0;

	for (; p; p = base_of(p)) {
		if (depth++ > __stop_pv_platforms - __start_pv_platforms)
			panic("pv_platform_rank: %s builds on itself", p->name);
		rank += p->priority;
	}
	return rank;
}

static bool present(const struct pv_platform *p)
{
	return !p->detect || p->detect();
}

/* The one platform that builds on nothing; panics unless there is one. */
static const struct pv_platform *root(void)
{
	const struct pv_platform *r = NULL;

	for_each_platform(p) {
		if (p->base)
			continue;
		if (r)
			panic("pv_platform: %s and %s both build on nothing", r->name, p->name);
		r = p;
	}
	if (!r)
		panic("pv_platform: no root platform registered");
	return r;
}

const struct pv_platform *pv_platform_detect(void)
{
	const struct pv_platform *r = root(), *best = r;
	int best_rank = pv_platform_rank(best);

	for_each_platform(p) {
		int rank;

		if (p == r || !present(p))
			continue;
		rank = pv_platform_rank(p);     /* only here: it costs string compares */
		printk("pv: %s detected (priority %d)\n", p->name, rank);
		if (rank == best_rank)
			printk("pv: %s and %s both rank %d: keeping %s\n",
			       best->name, p->name, rank, best->name);
		if (rank > best_rank) {
			best = p;
			best_rank = rank;
		}
	}
	return best;
}

/* Run p's chain strictly above `after`: bases first, each only when it is
 * here (the chosen one always); name the bases that ran in `ran`. */
static void run_chain(const struct pv_platform *p, const struct pv_platform *after,
		      bool chosen, char *ran, size_t size)
{
	if (!p || p == after)
		return;
	run_chain(base_of(p), after, false, ran, size);
	if (!chosen && !present(p))
		return;
	p->init();
	if (ran && nr_ran < (int)ARRAY_SIZE(ran_list))
		ran_list[nr_ran++] = p;
	if (!chosen && ran) {
		size_t n = strlen(ran);
		snprintf(ran + n, size - n, "%s%s", n ? ", " : "", p->name);
	}
}

void pv_platform_init_chain(const struct pv_platform *p,
			    const struct pv_platform *after)
{
	run_chain(p, after, true, NULL, 0);
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
		for_each_platform(p)
			for (const char *const *f = p->features; f && *f; f++)
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
	const struct pv_platform *best;
	char on[64] = "";               /* the bases whose init() ran */

	log_hypervisor();
	check_pvoff();
	best = pv_platform_detect();

	switch (boot_params.pv_mode) {
	case PV_MODE_NATIVE:
		best = root();
		printk("pv: pv=native: ignoring any hypervisor\n");
		break;
	case PV_MODE_PLATFORM: {
		const struct pv_platform *want = pv_platform_find(boot_params.pv_platform);

		if (!want)
			printk("pv: pv=%s: no such platform; using %s\n",
			       boot_params.pv_platform, best->name);
		else if (!present(want))
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

	/* a sole platform started the kernel: nothing else can run it */
	for_each_platform(p)
		if (p->sole && present(p) && p != best) {
			printk("pv: pv= cannot leave %s: this kernel entered through it\n",
			       p->name);
			best = p;
		}

	pv_platform = best;
	run_chain(best, NULL, true, on, sizeof(on));
	/* one printk: under a hypervisor each is a console exit */
	printk("pv: platform %s%s%s%s\n", best->name, on[0] ? " (built on " : "", on,
	       on[0] ? ")" : "");
	for (int i = 0; i < nr_ran; i++)       /* pvhv's report after KVM's */
		if (ran_list[i]->report)
			ran_list[i]->report();
}

void pv_platform_cpu_init(int cpu)
{
	for (int i = 0; i < nr_ran; i++)
		if (ran_list[i]->cpu_init)
			ran_list[i]->cpu_init(cpu);
}

void pv_platform_shutdown(void)
{
	for (int i = nr_ran - 1; i >= 0; i--)
		if (ran_list[i]->shutdown)
			ran_list[i]->shutdown();
}

void pv_crash_null_op(void)
{
	pv_ops.cpu.wbinvd = NULL;
}
