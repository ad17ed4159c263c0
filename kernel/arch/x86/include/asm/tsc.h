/*
 * tsc.h - the TSC: its frequency, where it came from, and the native
 * sched_clock built on it.
 */
#ifndef ASM_TSC_H
#define ASM_TSC_H

#include <types.h>

struct boot_info;

/*
 * tsc_set_khz - a platform that knows the TSC frequency (a hypervisor's
 * CPUID timing leaf, kvmclock) says so, naming the source for the boot
 * report. Call before tsc_init; a later call overrides an earlier one (a
 * platform runs after the one it builds on); khz == 0 is ignored, so a
 * probe that found nothing can be passed straight in.
 */
void tsc_set_khz(u64 khz, const char *source);

/*
 * tsc_init - find the TSC frequency, first that works: what a platform
 * set, CPUID 0x15/0x16, the PIT, the ACPI PM timer (found from bi->rsdp),
 * else a nominal one with a warning. Honours tsc=nopit,nopmtimer.
 */
void tsc_init(const struct boot_info *bi);

/* tsc_khz, tsc_source - the frequency tsc_init settled on, and how it
 * was found ("none" before). */
u64 tsc_khz(void);
const char *tsc_source(void);

/* tsc_sched_clock - ns since tsc_init from the TSC (native sched_clock). */
u64 tsc_sched_clock(void);

#endif /* ASM_TSC_H */
