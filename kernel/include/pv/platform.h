/*
 * pv/platform.h - the platforms pvk knows, and how one is chosen.
 *
 * Each platform has detect(), which returns a priority (0: not here), and
 * init(), which overrides the ops the platform does better, once, before
 * patching. The table is scanned at boot; the highest priority wins unless
 * the command line names one (pv=native, pv=kvm, ...).
 */
#ifndef PVK_PV_PLATFORM_H
#define PVK_PV_PLATFORM_H

#include <types.h>
#include <pvops/patch.h>

/* Hypervisors put their CPUID leaves in 0x40000000..0x4000ff00, one
 * block of 0x100 each, a 12-byte signature in EBX:ECX:EDX of the first. */
#define CPUID_HV_BASE 0x40000000
#define CPUID_HV_LAST 0x4000ff00
#define CPUID_HV_STEP 0x100

struct pv_platform {
	const char *name;
	int (*detect)(void);
	void (*init)(void);
	/* optional: print the features on and off for the boot report */
	void (*report)(void);
	/* the feature names pvoff= can turn off, NULL-terminated (optional) */
	const char *const *features;
};

extern const struct pv_platform platform_native, platform_kvm, platform_pvhv;

/* The platform chosen at boot (valid after pv_platform_setup). */
extern const struct pv_platform *pv_platform;

/*
 * hypervisor_cpuid_base - scan CPUID leaves 0x40000000..0x4000ff00 in
 * steps of 0x100 for the 12-byte signature `sig`; returns the base leaf,
 * or 0 when absent (also when CPUID.1:ECX.HYPERVISOR is clear).
 */
u32 hypervisor_cpuid_base(const char sig[12]);

/*
 * pv_platform_setup - detect, honour pv=, run the chosen init() and log
 * the choice; an unknown hypervisor is named and runs native ops.
 */
void pv_platform_setup(void);

/* pv_patch_kernel - patch every kernel site unless pv=nopatch; logs the
 * counts and the time taken. Interrupts must be off, one CPU running. */
void pv_patch_kernel(void);

/* The boot's patch results, for the report and the self-tests. */
extern struct pv_patch_stats pv_patch_stats;
extern u64 pv_patch_tsc_cycles;

/* pv_patch_report - log the counts, overall and per op. */
void pv_patch_report(u64 khz);
extern bool pv_patched;

/* The native ops with templates (kernel/pv/native.c). */
extern const struct pv_native native_patch_table[];
extern const size_t native_patch_table_len;

#endif /* PVK_PV_PLATFORM_H */
