/*
 * pv/pvhv_cpl3.h - what the pvhv-cpl3 platform (kernel/pv/pvhv_cpl3.c:
 * pvk at CPL 3 under pvhv --deprivileged) offers the rest of the kernel:
 * its raw hypercall and its state, for its self-tests
 * (kernel/tests/t_pvhv_cpl3.c). The interface itself: abi/pvhv_cpl3.h.
 */
#ifndef PVK_PV_PVHV_CPL3_H
#define PVK_PV_PVHV_CPL3_H

#include <types.h>
#include <abi/pvhv.h>
#include <abi/pvhv_cpl3.h>

/* pvhv_cpl3_in_use - did the kernel enter at CPL 3 through pvhv's note? */
bool pvhv_cpl3_in_use(void);

/* pvhv_cpl3_call - hypercall `op` through the monitor's gate, arguments
 * a0..a3; pvhv's result (>= 0) or -PVHV_E*, refusals included (the ops'
 * own calls panic on a refusal instead). The virtual IF is off around it.
 * Only when pvhv_cpl3_in_use(). */
s64 pvhv_cpl3_call(u32 op, u64 a0, u64 a1, u64 a2, u64 a3);

/* pvhv_cpl3_start_record - pvhv's start record, as it was at entry. */
const struct pvhv_cpl3_start *pvhv_cpl3_start_record(void);

/* The vCPU page: the virtual IF, what the monitor delivered and held back. */
extern struct pvhv_vcpu_page pvhv_cpl3_page;

#endif /* PVK_PV_PVHV_CPL3_H */
