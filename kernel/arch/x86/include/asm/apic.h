/*
 * apic.h - the local APIC, xAPIC (MMIO) or x2APIC (MSRs). The native
 * backend picks the mode before patching, so the EOI sites become direct
 * calls to the right function.
 */
#ifndef ASM_APIC_H
#define ASM_APIC_H

#include <types.h>

#define TIMER_VECTOR    32
#define TEST_IPI_VECTOR 33
#define SPURIOUS_VECTOR 255

/* native_apic_probe - choose xAPIC or x2APIC ops (CPUID), before patching. */
void native_apic_probe(void);

/* apic_mode_name - "x2APIC", "xAPIC" or "none". */
const char *apic_mode_name(void);

/* apic_timer_init - enable the APIC and start the periodic timer (the
 * native platform.timer_init). Needs paging_init for the xAPIC page. */
void apic_timer_init(void);

/* Timer ticks seen since apic_timer_init. */
extern volatile u64 apic_ticks;

/* tsc_sched_clock - ns since tsc_init from the TSC (native sched_clock). */
u64 tsc_sched_clock(void);

/* tsc_init - find the TSC frequency: set by the platform, CPUID 0x15/0x16,
 * the PIT, the ACPI PM timer (found from bi->rsdp), else a nominal one
 * with a warning; tsc_source says which. Honours tsc=nopit,nopmtimer. */
struct boot_info;
void tsc_init(const struct boot_info *bi);

/* The TSC frequency in kHz and how it was found. */
extern u64 tsc_khz;
extern const char *tsc_source;

#endif /* ASM_APIC_H */
