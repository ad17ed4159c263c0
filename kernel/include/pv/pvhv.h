/*
 * pv/pvhv.h - what the pvhv platform (kernel/pv/pvhv.c) offers the rest of
 * the kernel: its hypercall, for the self-tests of pvhv's interface
 * (kernel/tests/t_pvhv.c). The interface itself: abi/pvhv.h.
 */
#ifndef PVK_PV_PVHV_H
#define PVK_PV_PVHV_H

#include <types.h>
#include <abi/pvhv.h>
#include <asm/smp.h>

/*
 * pvhv_call - one hypercall: the arguments to this vCPU's shared page,
 * `op` to the doorbell port; returns pvhv's result, or -PVHV_ENOSYS when
 * the page is not registered. Interrupts are off around it.
 */
s64 pvhv_call(u32 op, u64 a0, u64 a1, u64 a2);

/* pvhv_in_use - is pvhv the chosen platform, with its page registered? */
bool pvhv_in_use(void);

/* pvhv_doorbell - the doorbell port that hv.doorbell rings (0 when the
 * page is not registered). */
u16 pvhv_doorbell(void);

/* pvhv_vcpu_id - this vCPU's number, as pvhv wrote it in the page. */
u32 pvhv_vcpu_id(void);

/* pvhv_vcpu_of - CPU `cpu`'s (percpu[] index) vCPU number as pvhv wrote
 * it in that CPU's page; PVHV_ALL_VCPUS when its page is not registered. */
u32 pvhv_vcpu_of(int cpu);

/* pvhv's SMP features (pvhv.c says what each replaces), in report order. */
enum pvhv_smp { PVHV_SMP_KICK, PVHV_SMP_SEND_IPI, PVHV_SMP_YIELD, PVHV_SMP_NR };

enum pvhv_smp_state {
	PVHV_SMP_ABSENT,    /* not offered (or no pvhv page, no local APIC) */
	PVHV_SMP_OFF,       /* offered, pvoff= turned it off */
	PVHV_SMP_KVM,       /* offered, but KVM's twin is in use */
	PVHV_SMP_OFFERED,   /* offered; one CPU, nothing to use it for */
	PVHV_SMP_ON,        /* offered and used */
};

/* pvhv_smp_feature - what became of SMP feature f on this boot
 * (PVHV_SMP_ABSENT unless pvhv's init ran). */
enum pvhv_smp_state pvhv_smp_feature(enum pvhv_smp f);

/* What pvhv's SMP ops did, every CPU's (send-IPI and yield count in
 * smp_stats.h's ipi_hcalls, ipi_hcall, yield_hcalls like KVM's). Only grow. */
struct pvhv_smp_stats {
	u64 halts;          /* pvhv_lock_wait halted (the value still there) */
	u64 kicks;          /* pvhv_lock_kick calls */
	u64 kicks_refused;  /* ... that PVHV_HC_KICK refused: an IPI instead */
};
extern struct pvhv_smp_stats pvhv_smp_stats;

/* The ops, for the self-tests to find in their slots:
 * pvhv_lock_wait - lock.wait: halt, interrupts on, while *ptr == val;
 * pvhv_lock_kick - lock.kick: PVHV_HC_KICK of PV_KICK_VECTOR to cpu;
 * pvhv_send_ipi_mask - apic.send_ipi_mask as one PVHV_HC_SEND_IPI, the
 *   rest (or all, if refused) the way it replaced;
 * pvhv_yield_to - lock.yield_to as PVHV_HC_YIELD to cpu's vCPU. */
void pvhv_lock_wait(u8 *ptr, u8 val);
void pvhv_lock_kick(int cpu);
void pvhv_send_ipi_mask(cpumask_t mask, u32 vector);
void pvhv_yield_to(int cpu);

#endif /* PVK_PV_PVHV_H */
