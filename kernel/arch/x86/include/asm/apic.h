/*
 * apic.h - the local APIC, xAPIC (MMIO) or x2APIC (MSRs). The native
 * platform probes for the mode before patching and assigns the driver's
 * ops, so the EOI sites become the right mode's EOI instructions.
 */
#ifndef ASM_APIC_H
#define ASM_APIC_H

#include <types.h>
#include <pvops/callee_save.h>

#include <asm/irq_vectors.h>

/* One mode of the local APIC: the native apic ops, and its register write. */
struct apic_driver {
	const char *name;                        /* "x2APIC", "xAPIC" */
	void (*send_ipi)(u32 dest, u32 vector);
	void (*timer_periodic)(u32 vector, u32 count);
	void (*timer_stop)(void);
	void (*write)(u32 reg, u32 v);           /* the driver's own */
};

/* apic_probe's choice (NULL before it, or without an APIC). */
extern const struct apic_driver *apic;

/* apic_probe - the local APIC's mode (CPUID): its driver, or NULL when
 * there is none. Remembered for apic_timer_init. Before patching. */
const struct apic_driver *apic_probe(void);

/* The two drivers and their parts, for the native platform's records
 * (kernel/pv/native.c names each op it installs). */
extern const struct apic_driver x2apic_driver, xapic_driver;
/* The EOI as C functions (apic_native_eoi's) ... */
void x2apic_eoi(void);
void xapic_eoi(void);
/* ... and, installed by the native platform, as templates with their
 * callable twins (kernel/pv/apic_eoi.S, kernel/pv/native.c): the twins
 * are callee-save (x2apic_eoi_cs keeps rcx and rdx), the templates are
 * the bare instructions, 11 bytes each: x2APIC's clobbers rax rcx rdx
 * (PV_CLOBBERS_MSR), xAPIC's nothing. */
extern const char x2apic_eoi_cs[], xapic_eoi_cs[];
void x2apic_send_ipi(u32 dest, u32 vector);
void xapic_send_ipi(u32 dest, u32 vector);
void apic_timer_periodic_native(u32 vector, u32 count);
void apic_timer_stop_native(void);
/* apic_native_eoi - the probed mode's EOI as a plain C function (the
 * PARAVIRT=0 build's apic_eoi: a direct call, as Linux's apic->eoi()
 * without paravirt is one call). After apic_probe. */
void apic_native_eoi(void);

/* apic_mode_name - "x2APIC", "xAPIC" or "none". */
const char *apic_mode_name(void);

/* apic_timer_init - enable the APIC and start the periodic timer (the
 * native platform.timer_init). Needs paging_init for the xAPIC page. */
void apic_timer_init(void);

/* Timer ticks seen since apic_timer_init. */
extern volatile u64 apic_ticks;

#endif /* ASM_APIC_H */
