/*
 * pv/kvm.h - what the KVM platform (kernel/pv/kvm.c) tells the rest of
 * the kernel about the paravirt features it took up, for the self-tests
 * that prove each one engaged (kernel/tests/t_kvm.c). The interface
 * itself: abi/kvm_para.h.
 */
#ifndef PVK_PV_KVM_H
#define PVK_PV_KVM_H

#include <types.h>
#include <pvops/callee_save.h>
#include <abi/kvm_para.h>
#include <asm/smp.h>

/* The features, in the order the boot report lists them:
 * X(ENUM, name for pvoff= and the report, CPUID (base + 1).EAX bit) */
#define KVM_FEATURES(X)                                                     \
	X(KVMCLOCK, kvmclock, KVM_FEATURE_CLOCKSOURCE2)                     \
	X(STEAL_TIME, steal_time, KVM_FEATURE_STEAL_TIME)                   \
	X(PV_EOI, pv_eoi, KVM_FEATURE_PV_EOI)                               \
	X(NOP_IO_DELAY, nop_io_delay, KVM_FEATURE_NOP_IO_DELAY)             \
	X(POLL_CONTROL, poll_control, KVM_FEATURE_POLL_CONTROL)             \
	X(PV_UNHALT, pv_unhalt, KVM_FEATURE_PV_UNHALT)                      \
	X(PV_SEND_IPI, pv_send_ipi, KVM_FEATURE_PV_SEND_IPI)                \
	X(PV_SCHED_YIELD, pv_sched_yield, KVM_FEATURE_PV_SCHED_YIELD)        \
	X(PV_TLB_FLUSH, pv_tlb_flush, KVM_FEATURE_PV_TLB_FLUSH)

#define KVM_FEAT_ENUM(e, name, bit) KVM_F_##e,
enum kvm_feat { KVM_FEATURES(KVM_FEAT_ENUM) KVM_F_NR };
#undef KVM_FEAT_ENUM

enum kvm_feat_state {
	KVM_ABSENT,         /* not offered, or not on KVM at all */
	KVM_OFF,            /* offered, pvoff= turned it off: native */
	KVM_ON,             /* offered and used */
	KVM_REFUSED,        /* offered, but the host did not follow through */
	KVM_OFFERED,        /* offered; not used (one CPU, or no code yet) */
};

/* kvm_feature - what became of feature f on this boot (KVM_ABSENT
 * unless KVM's init() ran). */
enum kvm_feat_state kvm_feature(enum kvm_feat f);

/* kvmclock: the pvclock reading in ns (the host's clock, not offset to
 * boot; the version protocol and the stable bit honoured); the
 * sched_clock op built on it. */
u64 kvm_clock_read(void);
/* kvm_clock_version - the pvclock record's version now: odd while the
 * host writes it, moved on each time the host re-anchors it. */
u32 kvm_clock_version(void);
/* kvm_clock_tsc_stable - does the host vouch for the TSC (stable bit
 * offered, and set in the record)? If not, each update re-anchors the
 * record to the host's clock, which may run at another rate than the TSC. */
bool kvm_clock_tsc_stable(void);
u64 kvm_sched_clock(void);

/* steal time: a record per CPU, the table of their addresses the inline
 * vcpu_is_preempted indexes (Linux's __per_cpu_offset), its function
 * twin; the steal_clock op. */
struct kvm_steal_time {
	u64 steal;
	u32 version;
	u32 flags;
	u8 preempted;
	u8 u8_pad[3];
	u32 pad[11];
} __attribute__((aligned(64)));
extern struct kvm_steal_time kvm_steal_time[SMP_MAX_CPUS];
extern struct kvm_steal_time *kvm_steal_time_of[SMP_MAX_CPUS];
extern const char kvm_vcpu_is_preempted[];
u64 kvm_steal_clock(int cpu);

/* PV EOI: a word per CPU, the host sets bit 0 of its vCPU's (each alone
 * in its cache line: KVM_PV_EOI_STRIDE_SHIFT, the op indexes by CPU), the
 * EOI op, the EOIs it skipped because the host had set the bit, and the
 * native EOI it falls back to. */
#define KVM_PV_EOI_STRIDE_SHIFT 6
struct kvm_pv_eoi_word {
	u32 word;
} __attribute__((aligned(1 << KVM_PV_EOI_STRIDE_SHIFT)));
extern struct kvm_pv_eoi_word kvm_pv_eoi_words[SMP_MAX_CPUS];
extern const char kvm_pv_eoi[];
extern volatile u64 kvm_pv_eoi_skipped;
extern struct pv_callee_save kvm_native_eoi;

/* The SMP features' ops (kvm.c says what each replaces and why it is
 * cheaper), for the self-tests to find in their slots:
 * kvm_send_ipi_mask - apic.send_ipi_mask as KVM_HC_SEND_IPI, one per
 *   set of ids within the bitmap's reach, the rest (or all, if the host
 *   refuses) the native way;
 * kvm_yield_to - lock.yield_to as KVM_HC_SCHED_YIELD to cpu's APIC id;
 * kvm_flush_tlb_multi - mmu.flush_tlb_multi: preempted vCPUs marked
 *   KVM_VCPU_FLUSH_TLB in their steal record, the others shot down by
 *   native_flush_tlb_others. */
struct flush_tlb_info;
void kvm_send_ipi_mask(cpumask_t mask, u32 vector);
void kvm_yield_to(int cpu);
void kvm_flush_tlb_multi(cpumask_t cpus, const struct flush_tlb_info *info);

#endif /* PVK_PV_KVM_H */
