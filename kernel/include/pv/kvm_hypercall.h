/*
 * pv/kvm_hypercall.h - KVM's hypercall instruction, chosen at boot by CPU
 * vendor (kernel/pv/kvm_hypercall.c): what the self-tests need to know
 * about it. The call itself: pv_hypercallN() in paravirt.h.
 */
#ifndef PVK_PV_KVM_HYPERCALL_H
#define PVK_PV_KVM_HYPERCALL_H

#include <types.h>
#include <pvops/native.h>
#include <pv/platform.h>

/* KVM's answer to a hypercall it does not know (uapi linux/kvm_para.h),
 * negated in rax; also what hv.hypercall returns where the CPU vendor
 * has no known instruction. */
#ifndef KVM_ENOSYS
#define KVM_ENOSYS 1000
#endif

/* Hypercall numbers (uapi linux/kvm_para.h) the tests use. */
#ifndef KVM_HC_VAPIC_POLL_IRQ
#define KVM_HC_VAPIC_POLL_IRQ 1          /* returns 0: only forces an exit */
#endif

/* kvm_hypercall_init - KVM's init(): pick vmcall/vmmcall from CPUID 0's
 * vendor for hv.hypercall and hand it to the patch engine; an unknown
 * vendor keeps a C op returning -KVM_ENOSYS. `base`: KVM's CPUID base. */
void kvm_hypercall_init(u32 base);

/* kvm_backend_add - add a template to KVM's table for the patch engine
 * (platform_kvm.backend, kernel/pv/kvm.c); from KVM's init() only, at
 * most two (the hypercall, vcpu_is_preempted). */
void kvm_backend_add(const struct pv_plan *e);

/* kvm_hypercall_tmpl - the instruction chosen (pv_tmpl_vmcall or
 * pv_tmpl_vmmcall); NULL when KVM's init did not run or refused. */
const struct pv_tmpl *kvm_hypercall_tmpl(void);

/* kvm_hypercall_vendor - CPUID 0's vendor string as init() read it
 * (printable, NUL-terminated; "" when init did not run). */
const char *kvm_hypercall_vendor(void);

/*
 * kvm_hypercalls_work - may a KVM hypercall be executed here? Only where
 * KVM offers a hypercall-based feature (PV_UNHALT, PV_SEND_IPI,
 * PV_SCHED_YIELD in CPUID base+1): a host that does not handle them
 * (PVM) never returns from the instruction, and its VMMs (pvhv, QEMU
 * -kvm-pv-*) hide those bits there. False with the reason in *why.
 */
bool kvm_hypercalls_work(const char **why);

#endif /* PVK_PV_KVM_HYPERCALL_H */
