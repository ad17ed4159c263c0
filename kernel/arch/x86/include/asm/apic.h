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
#include <asm/smp.h>            /* cpumask_t */

/* One mode of the local APIC: the native apic ops, and its register write. */
struct apic_driver {
	const char *name;                        /* "x2APIC", "xAPIC" */
	void (*send_ipi)(u32 dest, u32 vector);
	void (*send_ipi_mask)(cpumask_t mask, u32 vector);
	void (*timer_periodic)(u32 vector, u32 count);
	void (*timer_stop)(void);
	void (*write)(u32 reg, u32 v);           /* the driver's own */
	u32 (*id)(void);                         /* this CPU's APIC ID */
};

/* apic_probe's choice (NULL before it, or without an APIC). */
extern const struct apic_driver *apic;

/* apic_use - make `drv` the driver (a platform whose APIC is not the
 * hardware's: pvhv's CPL-3 mode); before smp_init. */
void apic_use(const struct apic_driver *drv);

/* The tick's period in APIC bus ticks after the divide-by-16 that
 * apic.timer_periodic uses. */
#define APIC_TIMER_COUNT 100000
#define APIC_TIMER_DIVIDE 16

/* apic_timer_irqs_init - the handlers of the timer and spurious vectors
 * (the tick counts and calls sched_tick); any platform's timer_init. */
void apic_timer_irqs_init(void);

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
/* x2apic_send_ipi_mask, xapic_send_ipi_mask - apic.send_ipi_mask: one ICR
 * write per CPU of `mask` (percpu[] indices, by their APIC ids), counted
 * in smp_stats.ipi_icr; xAPIC's waits for the ICR to be idle before each
 * (panics if it stays busy) and keeps interrupts off between its two
 * register writes. */
void x2apic_send_ipi_mask(cpumask_t mask, u32 vector);
void xapic_send_ipi_mask(cpumask_t mask, u32 vector);
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

/* ICR command words (SDM 3A 11.6.1): delivery mode, level, status. */
#define APIC_ICR_FIXED        (0u << 8)   /* delivery mode: the vector, as is */
#define APIC_ICR_INIT         (5u << 8)
#define APIC_ICR_STARTUP      (6u << 8)   /* vector: the start page's number */
#define APIC_ICR_PENDING      (1u << 12)  /* xAPIC: not yet accepted */
#define APIC_ICR_LEVEL_ASSERT (1u << 14)

/* apic_icr - write the ICR: command `cmd` to the APIC `dest`, in the
 * probed mode (the native driver's write, as Linux's wakeup_secondary_cpu
 * uses). Waits, bounded, for an xAPIC's previous command to be accepted.
 * False when there is no APIC set up by apic_timer_init, or it stayed
 * busy. */
bool apic_icr(u32 dest, u32 cmd);

/* apic_id - this CPU's local APIC id, read from its APIC (x2APIC: all 32
 * bits; xAPIC: the 8 of the ID register). After apic_timer_init; on an
 * AP after apic_cpu_enable. */
u32 apic_id(void);

/* apic_cpu_enable - enable this CPU's local APIC in the boot CPU's mode
 * (x2APIC or xAPIC, through the MSR ops) with the spurious vector; its
 * timer stays masked. For application processors, after the boot CPU's
 * apic_timer_init. */
void apic_cpu_enable(void);

/* apic_timer_start_cpu - start this CPU's periodic timer, as the boot
 * CPU's (TIMER_VECTOR, through the pv op apic.timer_periodic). For an AP
 * after apic_cpu_enable; each CPU counts its own ticks (percpu[].ticks). */
void apic_timer_start_cpu(void);

/* The boot CPU's timer ticks since apic_timer_init (each CPU's own, the
 * boot CPU's included: percpu[].ticks). */
extern volatile u64 apic_ticks;

#endif /* ASM_APIC_H */
