/*
 * smp.h - the CPUs: found in the MADT, started with INIT-SIPI-SIPI
 * (smp.c, boot/trampoline.S), each with its per-CPU area at its GS base.
 *
 * Every CPU runs its own periodic APIC timer and, once it reports in,
 * its idle thread (sched.h): threads created for it, safe_halt when it
 * has none. A function called by IPI (smp_call_function,
 * CALL_FUNCTION_VECTOR) runs in the interrupt.
 */
#ifndef ASM_SMP_H
#define ASM_SMP_H

#include <boot_info.h>
#include <types.h>

#define SMP_MAX_CPUS 16

/* One CPU's own data; GS base points at it (self first, so %gs:0 is
 * its address). Written by the boot CPU before the AP starts, except
 * where marked. */
#define PERCPU_CPU_OFFSET 8     /* struct percpu's cpu: %gs:8 in asm */

struct percpu {
	struct percpu *self;
	u32 cpu;                 /* 0: the boot CPU, then the MADT's order */
	u32 apic_id;             /* from the MADT */
	u32 apic_id_seen;        /* the AP's own APIC ID register (AP) */
	bool gs_ok;              /* %gs:0 gave the AP this area (AP) */
	volatile bool online;    /* set last by the CPU itself (AP) */
	/* Written by the CPU itself only (asm/preempt.h, sched.c): */
	int preempt_count;       /* spinlocks held, preempt_disable()s */
	bool need_resched;       /* switch at the next interrupt's end */
	volatile u64 ticks;      /* its own APIC timer's interrupts */
	u64 resched_ipis;        /* RESCHEDULE_VECTOR IPIs taken */
};

extern struct percpu percpu[SMP_MAX_CPUS];

/* this_cpu - this CPU's area, read from %gs:0 (its self pointer). The
 * boot CPU's GS base is set from boot_main on (smp_boot_cpu_early), an
 * AP's in ap_main. */
static inline struct percpu *this_cpu(void)
{
	struct percpu *p;

	__asm__ volatile("movq %%gs:0, %0" : "=r"(p));
	return p;
}

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
 * smp_boot_cpu_early - point the boot CPU's GS base at percpu[0], so
 * this_cpu(), smp_processor_id() (0) and preempt_disable() work from the
 * first spinlock on, and the platform's init finds its per-CPU records
 * (KVM's PV EOI word) through GS. After trap_init (reloading GS zeroes
 * its base).
 */
void smp_boot_cpu_early(void);

/*
 * smp_init - give the boot CPU its per-CPU area and start every other
 * CPU smp_detect found, one at a time, each waited for with a bound;
 * prints "smp: N CPUs online" and names each CPU that did not start.
 * After timer_init (the boot CPU's APIC is set up) and with interrupts
 * off on the boot CPU.
 */
void smp_init(const struct boot_info *bi);

/* A set of CPUs by percpu[] index: bit n is CPU n. */
typedef u32 cpumask_t;
_Static_assert(SMP_MAX_CPUS <= 32, "cpumask_t holds every CPU");

/* smp_processor_id - this CPU's percpu[] index (through GS). After
 * smp_init on the boot CPU, after ap_main's set-up on an AP. */
int smp_processor_id(void);

/* smp_online_mask - the CPUs that reported in (the boot CPU included). */
cpumask_t smp_online_mask(void);

/*
 * smp_call_function - run fn(arg) once on every online CPU in mask and
 * wait for them all: a CALL_FUNCTION_VECTOR IPI to the other CPUs, sent
 * through the pv op apic.send_ipi_mask; this CPU, when in mask, runs fn
 * itself with interrupts off. The others run fn in their IPI handler
 * (interrupts off) and answer by clearing their bit. Waits up to
 * SMP_CALL_TIMEOUT_NS, names each CPU that did not answer, and returns
 * their mask (0: all did). Offline CPUs in mask are ignored. One call at
 * a time (a lock); not from an interrupt handler.
 */
cpumask_t smp_call_function(cpumask_t mask, void (*fn)(void *), void *arg);

/*
 * smp_wait_answers - wait until *pending (CPUs yet to answer an IPI,
 * each clearing its bit) is empty, at most timeout_ns; meanwhile, while
 * one of them is a preempted vCPU (vcpu_is_preempted), yield_to it.
 * Returns the CPUs that did not answer (0: all did).
 */
cpumask_t smp_wait_answers(cpumask_t *pending, u64 timeout_ns);

#endif /* ASM_SMP_H */
