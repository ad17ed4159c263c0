/*
 * smp.h - the CPUs: found in the MADT, started with INIT-SIPI-SIPI
 * (smp.c, boot/trampoline.S), each with its per-CPU area at its GS base.
 *
 * This is bring-up only: an AP reports in and halts in a safe_halt loop
 * with its APIC timer masked; nothing schedules work on it yet.
 */
#ifndef ASM_SMP_H
#define ASM_SMP_H

#include <boot_info.h>
#include <types.h>

#define SMP_MAX_CPUS 16

/* One CPU's own data; GS base points at it (self first, so %gs:0 is
 * its address). Written by the boot CPU before the AP starts, except
 * where marked. */
struct percpu {
	struct percpu *self;
	u32 cpu;                 /* 0: the boot CPU, then the MADT's order */
	u32 apic_id;             /* from the MADT */
	u32 apic_id_seen;        /* the AP's own APIC ID register (AP) */
	bool gs_ok;              /* %gs:0 gave the AP this area (AP) */
	volatile bool online;    /* set last by the CPU itself (AP) */
};

extern struct percpu percpu[SMP_MAX_CPUS];

/* What the AP being started reads in ap_start_64 (trampoline.S names
 * the fields by offset: keep cr3 first, stack second). */
struct smp_ap_boot {
	u64 cr3;                 /* the kernel's page tables */
	u64 stack;               /* its stack's top */
	u32 cpu;                 /* its percpu[] index */
};
extern struct smp_ap_boot smp_ap_boot;

/* The MADT's enabled CPUs (-1: no MADT), and how many reported in. */
extern int smp_cpus_found;
extern volatile int smp_cpus_online;

/*
 * smp_detect - read the MADT's CPUs (from bi->rsdp or the BIOS areas).
 * Before paging_init: the tables may lie in the first MiB, which the
 * early map shows and the final one does not.
 */
void smp_detect(const struct boot_info *bi);

/*
 * smp_init - give the boot CPU its per-CPU area and start every other
 * CPU smp_detect found, one at a time, each waited for with a bound;
 * prints "smp: N CPUs online" and names each CPU that did not start.
 * After timer_init (the boot CPU's APIC is set up) and with interrupts
 * off on the boot CPU.
 */
void smp_init(const struct boot_info *bi);

#endif /* ASM_SMP_H */
