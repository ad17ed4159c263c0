/*
 * kvm_hypercall.c - KVM's hypercall op (hv.hypercall): the instruction is
 * the CPU's, vmcall on Intel's VMX, vmmcall on AMD's SVM (KVM passes
 * CPUID 0's vendor through). The wrong one makes KVM rewrite it in the
 * guest's read-only text (a page fault) or, with that quirk off, #UD, so
 * an unknown vendor gets no instruction at all: hv.hypercall stays a C
 * function that answers -KVM_ENOSYS, as KVM does to a call it does not
 * know. The chosen instruction goes to the patch engine as KVM's backend
 * template: every hypercall site then holds the 3 bytes themselves.
 *
 * Sources: Documentation/virt/kvm/x86/hypercalls.rst; docs/libpvops.md,
 * "The hypercall convention" and "Backend templates".
 */
#include <paravirt.h>
#include <printk.h>
#include <string.h>
#include <pv/kvm_hypercall.h>
#include <abi/kvm_para.h>

#define KVM_HYPERCALL_FEATURES ((1u << KVM_FEATURE_PV_UNHALT) |          \
				(1u << KVM_FEATURE_PV_SEND_IPI) |        \
				(1u << KVM_FEATURE_PV_SCHED_YIELD))

static u32 hc_base;
static const struct pv_tmpl *hc_tmpl;
static char hc_vendor[PV_CPU_VENDOR_LEN + 1];

/* hv.hypercall where the vendor has no known instruction. */
__attribute__((used)) static unsigned long
kvm_hcall_refused(unsigned long nr, unsigned long a0, unsigned long a1,
		  unsigned long a2, unsigned long a3)
{
	(void)nr, (void)a0, (void)a1, (void)a2, (void)a3;
	return (unsigned long)-KVM_ENOSYS;
}
PV_HCALL_THUNK(kvm_hcall_refused);

void kvm_hypercall_init(u32 base)
{
	struct cpuid_regs r;
	char raw[PV_CPU_VENDOR_LEN];

	hc_base = base;
	cpuid(0, 0, &r);
	memcpy(raw, &r.ebx, 4);
	memcpy(raw + 4, &r.edx, 4);
	memcpy(raw + 8, &r.ecx, 4);
	for (int i = 0; i < PV_CPU_VENDOR_LEN; i++)
		hc_vendor[i] = raw[i] >= ' ' && raw[i] <= '~' ? raw[i] : '?';
	hc_tmpl = pv_hypercall_tmpl(raw);
	/* the instruction itself at each site, instead of a call to a C
	 * function that has nothing to do but it; one record per vendor, so
	 * tools see each (pvops/plan.h) */
	if (hc_tmpl == &pv_tmpl_vmcall) {
		kvm_backend_add(PV_PLAN("kvm", "vendor=intel", hv.hypercall,
					pv_hcall_vmcall, &pv_tmpl_vmcall));
	} else if (hc_tmpl == &pv_tmpl_vmmcall) {
		kvm_backend_add(PV_PLAN("kvm", "vendor=amd", hv.hypercall,
					pv_hcall_vmmcall, &pv_tmpl_vmmcall));
	} else {
		hc_tmpl = NULL;
		PV_PLAN("kvm", "vendor=other", hv.hypercall, __pv_hc_kvm_hcall_refused, NULL);
		printk("pv: kvm: hypercall refused (unknown vendor %s)\n", hc_vendor);
		return;
	}
	printk("pv: kvm: hypercall %s (%s CPU)\n", hc_tmpl->name, hc_vendor);
}

const struct pv_tmpl *kvm_hypercall_tmpl(void)
{
	return hc_tmpl;
}

const char *kvm_hypercall_vendor(void)
{
	return hc_vendor;
}

bool kvm_hypercalls_work(const char **why)
{
	struct cpuid_regs r;

	if (!hc_base) {
		*why = "KVM's init did not run (not KVM, or pv=native)";
		return false;
	}
	if (!hc_tmpl) {
		*why = "no hypercall instruction for this CPU vendor";
		return false;
	}
	if (pv_ops.hv.hypercall.func != hc_tmpl->fn) {
		*why = "hv.hypercall replaced by another platform";
		return false;
	}
	cpuid(hc_base + KVM_CPUID_FEATURES_OFFSET, 0, &r);
	if (!(r.eax & KVM_HYPERCALL_FEATURES)) {
		*why = "KVM offers no hypercall feature (PV_UNHALT, PV_SEND_IPI, "
		       "PV_SCHED_YIELD clear): its hypercalls may never return here";
		return false;
	}
	return true;
}
