/*
 * kvm.c - KVM. pvk knows it by its signature and, so far, asks it one
 * thing: the TSC frequency, which this host's CPUs do not report in CPUID
 * leaves 0x15/0x16 and a PIT may not be there to measure. Otherwise it
 * runs the native ops and says so; the MSR-based paravirt features
 * (kvmclock as sched_clock, steal time, PV EOI, PV TLB flush) are not
 * used yet.
 *
 * Sources: Documentation/virt/kvm/x86/cpuid.rst and msr.rst.
 */
#include <mm.h>
#include <paravirt.h>
#include <printk.h>
#include <pv/platform.h>
#include <pv/kvm_hypercall.h>
#include <asm/tsc.h>
#include <abi/kvm_para.h>

/* The record KVM fills for kvmclock (msr.rst, "pvclock"). */
struct pvclock_vcpu_time_info {
	u32 version;
	u32 pad0;
	u64 tsc_timestamp;
	u64 system_time;
	u32 tsc_to_system_mul;
	s8 tsc_shift;
	u8 flags;
	u8 pad[2];
} __attribute__((packed, aligned(32)));

static struct pvclock_vcpu_time_info probe_clock;
static u32 kvm_base;

static bool kvm_detect(void)
{
	kvm_base = hypervisor_cpuid_base("KVMKVMKVM\0\0\0");
	return kvm_base != 0;
}

/* TSC kHz from the kvmclock record: ns = tsc * mul >> 32, shifted. */
static u64 kvmclock_tsc_khz(void)
{
	u64 khz;

	wrmsr(MSR_KVM_SYSTEM_TIME_NEW, __pa(&probe_clock) | KVM_MSR_ENABLED);
	for (int i = 0; i < 1000 && (!READ_ONCE(probe_clock.version) ||
				     (READ_ONCE(probe_clock.version) & 1)); i++)
		barrier();
	wrmsr(MSR_KVM_SYSTEM_TIME_NEW, 0);
	if (!probe_clock.tsc_to_system_mul)
		return 0;
	khz = (1000000ull << 32) / probe_clock.tsc_to_system_mul;
	return probe_clock.tsc_shift < 0 ? khz << -probe_clock.tsc_shift
					 : khz >> probe_clock.tsc_shift;
}

/* kvm_init - no op overridden yet: the TSC frequency, from the timing
 * leaf, else kvmclock's record, which this host's CPUID 0x15/0x16 lack. */
static void kvm_init(void)
{
	struct cpuid_regs r;

	kvm_hypercall_init(kvm_base);   /* hv.hypercall: vmcall or vmmcall */
	cpuid(kvm_base, 0, &r);
	if (r.eax >= kvm_base + KVM_CPUID_TIMING_OFFSET) {
		cpuid(kvm_base + KVM_CPUID_TIMING_OFFSET, 0, &r);
		if (r.eax) {
			tsc_set_khz(r.eax, "KVM CPUID timing leaf");
			return;
		}
	}
	cpuid(kvm_base + KVM_CPUID_FEATURES_OFFSET, 0, &r);
	if (r.eax & (1u << KVM_FEATURE_CLOCKSOURCE2))
		tsc_set_khz(kvmclock_tsc_khz(), "kvmclock");
}

static void kvm_report(void)
{
	printk("pv: kvm: signature at %#x; paravirt features not used yet, "
	       "native ops\n", kvm_base);
}

/* No op of KVM's is used yet, so nothing for pvoff= to turn off. */
PV_PLATFORM(platform_kvm) = {
	.name = "kvm",
	.base = "native",
	.priority = PV_PRIO_HYPERVISOR,
	.detect = kvm_detect,
	.init = kvm_init,
	.report = kvm_report,
	.backend = &kvm_backend,        /* the hypercall instruction */
};
