/*
 * abi/kvm_para.h - what KVM tells a guest about itself, as far as pvk
 * reads it (kernel/pv/kvm.c) and pvhv re-offers it (vmm/x86.c moves KVM's
 * leaves up a block; the features that need VMCALL are offered only where
 * pvhv's start-up probe saw the host handle one, vmm/kvm-hc.c). The names
 * and values are Linux's uapi asm/kvm_para.h (Documentation/virt/kvm/x86/
 * cpuid.rst, msr.rst), except the timing leaf, which is not KVM's own but
 * the convention (VMware's, QEMU's "vmware-cpuid-freq") that a hypervisor
 * puts the TSC and APIC bus frequencies at base + 0x10.
 *
 * Leaves are given as offsets from the base the guest finds the signature
 * at (KVM_CPUID_SIGNATURE unless another hypervisor comes first).
 */
#ifndef ABI_KVM_PARA_H
#define ABI_KVM_PARA_H

#define KVM_CPUID_SIGNATURE        0x40000000   /* the default base: EAX highest leaf */
#define KVM_CPUID_FEATURES_OFFSET  0x1          /* base + 1: EAX feature bits below */
#define KVM_CPUID_TIMING_OFFSET    0x10         /* base + 0x10: EAX TSC kHz, EBX APIC bus kHz */

/* Feature bit numbers in (base + 1).EAX (cpuid.rst). */
#define KVM_FEATURE_CLOCKSOURCE        0   /* kvmclock at MSRs 0x11/0x12 */
#define KVM_FEATURE_NOP_IO_DELAY       1   /* port I/O needs no delay */
#define KVM_FEATURE_MMU_OP             2   /* deprecated */
#define KVM_FEATURE_CLOCKSOURCE2       3   /* kvmclock at MSR_KVM_SYSTEM_TIME_NEW */
#define KVM_FEATURE_ASYNC_PF           4
#define KVM_FEATURE_STEAL_TIME         5   /* MSR_KVM_STEAL_TIME */
#define KVM_FEATURE_PV_EOI             6   /* MSR_KVM_PV_EOI_EN */
#define KVM_FEATURE_PV_UNHALT          7   /* KVM_HC_KICK_CPU: a VMCALL */
#define KVM_FEATURE_PV_TLB_FLUSH       9   /* the steal record's preempted byte */
#define KVM_FEATURE_ASYNC_PF_VMEXIT    10
#define KVM_FEATURE_PV_SEND_IPI        11  /* KVM_HC_SEND_IPI: a VMCALL */
#define KVM_FEATURE_POLL_CONTROL       12  /* MSR_KVM_POLL_CONTROL */
#define KVM_FEATURE_PV_SCHED_YIELD     13  /* KVM_HC_SCHED_YIELD: a VMCALL */
#define KVM_FEATURE_ASYNC_PF_INT       14
#define KVM_FEATURE_MSI_EXT_DEST_ID    15
#define KVM_FEATURE_HC_MAP_GPA_RANGE   16  /* a VMCALL the VMM must handle */
#define KVM_FEATURE_MIGRATION_CONTROL  17  /* an MSR the VMM must handle */
/* the guest may trust PVCLOCK_TSC_STABLE_BIT in a pvclock record's flags */
#define KVM_FEATURE_CLOCKSOURCE_STABLE_BIT 24

/* (base + 1).EDX: hints. vCPUs are never preempted for long. */
#define KVM_HINTS_REALTIME         0

/* Hypercall numbers (RAX; uapi linux/kvm_para.h) and the error a guest
 * gets back for an unknown or not-offered one (RAX = -KVM_ENOSYS). */
#define KVM_HC_KICK_CPU            5    /* (flags, APIC id): wake a halted vCPU */
#define KVM_KICK_CPU_FLAGS         0    /* its a0: reserved, 0 (hypercalls.rst) */
#define KVM_HC_SEND_IPI            10
#define KVM_HC_SCHED_YIELD         11
#define KVM_HC_MAP_GPA_RANGE       12
#define KVM_ENOSYS                 1000

/* MSRs (msr.rst). Each but the wall clock and poll control takes the
 * physical address of a guest record | KVM_MSR_ENABLED; 0 turns it off. */
#define MSR_KVM_WALL_CLOCK_NEW     0x4b564d00   /* struct pvclock_wall_clock, filled at the write */
#define MSR_KVM_SYSTEM_TIME_NEW    0x4b564d01   /* struct pvclock_vcpu_time_info */
#define MSR_KVM_STEAL_TIME         0x4b564d03   /* struct kvm_steal_time, 64-byte aligned */
#define MSR_KVM_PV_EOI_EN          0x4b564d04   /* a 4-byte aligned word */
#define MSR_KVM_POLL_CONTROL       0x4b564d05   /* bit 0: the host may poll on HLT */
#define KVM_MSR_ENABLED            1

/* pvclock_vcpu_time_info.flags (pvclock-abi.h) */
#define PVCLOCK_TSC_STABLE_BIT     (1 << 0)

/* struct kvm_steal_time (64 bytes): offsets, and the preempted byte's bits */
#define KVM_STEAL_TIME_STEAL       0    /* u64 ns */
#define KVM_STEAL_TIME_VERSION     8    /* u32, odd while the host writes */
#define KVM_STEAL_TIME_PREEMPTED   16   /* u8 */
#define KVM_STEAL_TIME_SIZE        64
#define KVM_VCPU_PREEMPTED         (1 << 0)
#define KVM_VCPU_FLUSH_TLB         (1 << 1)   /* guest: flush before it runs again */

/* KVM_HC_SEND_IPI (hypercalls.rst): a0, a1 the low and high halves of a
 * bitmap of APIC ids, bit n for id a2 + n; a3 the ICR's low word (vector,
 * delivery mode); returns how many it delivered. */
#define KVM_SEND_IPI_BITMAP_BITS   128

/* The PV EOI word: bit 0 set by the host when the guest may skip the EOI. */
#define KVM_PV_EOI_BIT             0

#endif /* ABI_KVM_PARA_H */
