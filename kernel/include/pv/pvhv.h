/*
 * pv/pvhv.h - what the pvhv platform (kernel/pv/pvhv.c) offers the rest of
 * the kernel: its hypercall, for the self-tests of pvhv's interface
 * (kernel/tests/t_pvhv.c). The interface itself: abi/pvhv.h.
 */
#ifndef PVK_PV_PVHV_H
#define PVK_PV_PVHV_H

#include <types.h>
#include <abi/pvhv.h>

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

#endif /* PVK_PV_PVHV_H */
