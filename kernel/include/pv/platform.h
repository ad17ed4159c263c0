/*
 * pv/platform.h - the platforms pvk knows, and how one is chosen.
 *
 * A platform is one file that registers itself with PV_PLATFORM: nothing
 * else names it. Its detect() says whether it is here; of those that are,
 * the one of highest rank wins unless the command line names one
 * (pv=native, pv=kvm, ...). A platform builds on another (`base`): pvhv on
 * kvm, kvm on native. Its rank is its base's plus its own `priority`, so
 * it always outranks what it builds on, and before its init() runs, the
 * core runs the init() of each platform under it that is here too, base
 * first. init() overrides the ops the platform does better, once, before
 * patching.
 */
#ifndef PVK_PV_PLATFORM_H
#define PVK_PV_PLATFORM_H

#include <types.h>
#include <pvops/patch.h>
#include <pvops/plan.h>
#include <abi/x86.h>     /* the hypervisor CPUID range: CPUID_HV_* */

/* Priorities: how far a platform ranks above the one it builds on. */
#define PV_PRIO_ROOT       0    /* native: there when nothing else is */
#define PV_PRIO_HYPERVISOR 10   /* a hypervisor known by its signature */

/*
 * A platform's own inline templates for the patch engine (what lguest did
 * with pv_init_ops.patch; docs/libpvops.md, "Backend templates"): its
 * init() fills `tmpls` and `nr` for the ops it installed that are one
 * instruction, e.g. KVM's hv.hypercall as vmcall or vmmcall. Every
 * platform of the chain that ran contributes; pv_patch_kernel() checks
 * each table (pv_backend_check) and drops a bad one with a message.
 */
struct pv_platform_backend {
	const struct pv_backend_tmpl *tmpls;
	size_t nr;
};

struct pv_platform {
	const char *name;           /* for pv=<name> and the boot report */
	const char *base;           /* the platform it builds on; NULL: the root */
	int priority;               /* its rank above its base's (PV_PRIO_*) */
	bool (*detect)(void);       /* is it here? (NULL: always, the root) */
	void (*init)(void);         /* override ops, once, before patching */
	void (*report)(void);       /* optional: features on and off, for the log */
	void (*shutdown)(void);     /* optional: before power-off and reboot */
	void (*cpu_init)(int cpu);  /* optional: on each AP as it starts (its
	                             * per-CPU records), after init() on the boot CPU */
	const char *const *features; /* pvoff= names it honours, NULL-ended (optional) */
	struct pv_platform_backend *backend; /* optional: filled by init() */
	bool sole;                  /* when here, the only platform the kernel can
	                             * run on (it entered through the platform's
	                             * own entry, e.g. at CPL 3): pv= cannot
	                             * choose another */
};

/* name and base lead the struct: tools read them from the image. */
_Static_assert(__builtin_offsetof(struct pv_platform, name) == 0 &&
	       __builtin_offsetof(struct pv_platform, base) == 8,
	       "struct pv_platform: name, base first (pvsites reads them)");

/*
 * PV_PLAN(platform, when, op, fn, tmpl) - in a platform's init(): put
 * `fn` in slot `op` (pv_ops.op: fn itself for a C-ABI op, the .func of a
 * callee-save or hcall op), through a record in the image (pvops/plan.h)
 * that says so, so tools see what init() does. `when` is NULL or the
 * condition init() tested ("steal_time", "vendor=intel"); `tmpl` the
 * backend template the platform hands the engine for it, or NULL.
 * Evaluates to the record (a backend table takes slot, fn and tmpl from
 * it: pv_plan_backend). Every argument but the op is a link-time constant.
 */
#define PV_PLAN(platform_, when_, op, fn_, tmpl_) ({                       \
	static const struct pv_plan __pv_plan                               \
		__attribute__((used, section("pv_plan"), aligned(8))) = {   \
		.platform = (uintptr_t)(platform_),                         \
		.when = (uintptr_t)(when_),                                 \
		.fn = (uintptr_t)(fn_),                                     \
		.tmpl = (uintptr_t)(tmpl_),                                 \
		.slot = PV_SLOT(op),                                        \
	};                                                                  \
	_Static_assert(sizeof(pv_ops.op) == sizeof(void *), "one word");   \
	pv_plan_apply(&__pv_plan);                                          \
})

/* pv_plan_apply - write the record's fn into its slot; returns e. */
const struct pv_plan *pv_plan_apply(const struct pv_plan *e);

/* pv_plan_backend - the record as a backend template entry. */
static inline struct pv_backend_tmpl pv_plan_backend(const struct pv_plan *e)
{
	return (struct pv_backend_tmpl){ .slot = e->slot, .fn = e->fn,
		.tmpl = (const struct pv_tmpl *)e->tmpl };
}

/*
 * PV_PLATFORM(sym) - register a platform: the definition that follows goes
 * into the pv_platforms section, which the core scans.
 *
 *     PV_PLATFORM(platform_kvm) = {
 *             .name = "kvm", .base = "native", .priority = PV_PRIO_HYPERVISOR,
 *             .detect = kvm_detect, .init = kvm_init,
 *     };
 */
#define PV_PLATFORM(sym)                                                   \
	static const struct pv_platform sym                                 \
		__attribute__((used, section("pv_platforms"), aligned(8)))

/* The platform chosen at boot (valid after pv_platform_setup). */
extern const struct pv_platform *pv_platform;

/*
 * hypervisor_cpuid_base - scan CPUID leaves 0x40000000..0x4000ff00 in
 * steps of 0x100 for the 12-byte signature `sig`; returns the base leaf,
 * or 0 when absent (also when CPUID.1:ECX.HYPERVISOR is clear).
 */
u32 hypervisor_cpuid_base(const char sig[12]);

/*
 * pv_platform_setup - detect, honour pv=, run the chosen platform's init()
 * after those of the platforms it builds on, and log the choice; an
 * unknown hypervisor is named and runs native ops. Panics when the
 * registrations do not make one tree: two roots or none, or a platform
 * that is here building on one nobody registered, or on itself. (The
 * self-tests check every registration: t_platform.c.)
 */
void pv_platform_setup(void);

/* pv_platform_find - the registered platform called `name`, or NULL. */
const struct pv_platform *pv_platform_find(const char *name);

/* pv_platform_rank - its priority plus its base's rank, down to the root;
 * panics on a base nobody registered, or a cycle. */
int pv_platform_rank(const struct pv_platform *p);

/*
 * pv_platform_detect - ask every registered platform's detect(); log each
 * one present but the root as "pv: NAME detected (priority RANK)", and
 * return the present one of highest rank (the first registered on a tie,
 * which is logged), the root when no other is here.
 */
const struct pv_platform *pv_platform_detect(void);

/*
 * pv_platform_init_chain - run p's init(), after the init() of every
 * platform it builds on that is present, base first; the ones up to and
 * including `after` (NULL: none) are left out.
 */
void pv_platform_init_chain(const struct pv_platform *p,
			    const struct pv_platform *after);

/* pv_patch_kernel - patch every kernel site unless pv=nopatch; logs the
 * counts and the time taken. Interrupts must be off, one CPU running. */
void pv_patch_kernel(void);

/* The backend templates the boot's patching used: every table of the
 * chain that passed pv_backend_check, in one (for the self-tests). */
extern const struct pv_backend_tmpl *pv_backend_used;
extern size_t pv_backend_used_nr;

/* The boot's patch results, for the report and the self-tests. */
extern struct pv_patch_stats pv_patch_stats;
extern u64 pv_patch_tsc_cycles;

/* pv_patch_report - log the counts, overall and per op. */
void pv_patch_report(u64 khz);
extern bool pv_patched;

/* pv_build_mode - what the hot ops' sites are, after pv_patch_kernel:
 * "patched", "nopatch" (pv=nopatch: each still its indirect call) or
 * "nopv" (the PARAVIRT=0 build: no sites, each op its bare instruction,
 * kernel/arch/x86/nopv/). For reports and bench=ops. */
const char *pv_build_mode(void);

/* pv_crash_null_op - as if a platform forgot an op: cpu.wbinvd's slot
 * emptied before patching, so its sites become ud2 (crash=null_op). The
 * PARAVIRT=0 build has no slot: it says so, and wbinvd runs. */
void pv_crash_null_op(void);


/* The native ops with templates (kernel/pv/native.c). */
extern const struct pv_native native_patch_table[];
extern const size_t native_patch_table_len;

#endif /* PVK_PV_PLATFORM_H */
