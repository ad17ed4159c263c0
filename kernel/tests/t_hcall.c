/*
 * t_hcall.c - the hypervisor's own calls (pv_ops.hv): the hypercall
 * site holds the CPU vendor's instruction, a real KVM hypercall answers
 * where KVM's hypercalls are known to work, and pvhv's doorbell is one
 * inline OUT under which its console still works. Site bytes are decoded
 * from literals here, not from the engine's templates.
 */
#include <ktest.h>
#include <mm.h>
#include <paravirt.h>
#include <printk.h>
#include <string.h>
#include <pv/kvm_hypercall.h>
#include <pv/platform.h>
#include <pv/pvhv.h>
#include "t_sites.h"

extern const struct pv_site __start_pv_sites[], __stop_pv_sites[];

/* The instructions, from the SDM (Vol. 2C, VMCALL; AMD APM Vol. 3,
 * VMMCALL) and for pvhv's doorbell `outl %eax,(%dx)` (Vol. 2B, OUT). */
static const u8 vmcall[] = { 0x0f, 0x01, 0xc1 };
static const u8 vmmcall[] = { 0x0f, 0x01, 0xd9 };
static const u8 out_dx_eax = 0xef;

#define KVM_HC_UNKNOWN 0x7fff          /* no such hypercall */

/* This CPU's hypercall instruction by its vendor, as CPUID 0 says now;
 * NULL for a vendor without one. */
static const u8 *vendor_insn(char vendor[13])
{
	struct cpuid_regs r;

	cpuid(0, 0, &r);
	memcpy(vendor, &r.ebx, 4);
	memcpy(vendor + 4, &r.edx, 4);
	memcpy(vendor + 8, &r.ecx, 4);
	vendor[12] = 0;
	if (!strcmp(vendor, "GenuineIntel"))
		return vmcall;
	if (!strcmp(vendor, "AuthenticAMD") || !strcmp(vendor, "HygonGenuine"))
		return vmmcall;
	return NULL;
}

/* Every site of `slot` starts with insn[0..len) and is NOPs after it;
 * returns the number of sites, -1 at the first that is not. */
static int sites_hold(struct ktest_ctx *t, size_t slot, const u8 *insn, size_t len)
{
	int n = 0;

	for (const struct pv_site *s = __start_pv_sites; s < __stop_pv_sites; s++) {
		const u8 *p = (const u8 *)pv_site_addr(s);

		if (s->slot != slot)
			continue;
		if (memcmp(p, insn, len) || !all_nops(p + len, s->len - len)) {
			KT_EXPECTF(t, false, "site %p: %02x %02x %02x ...", (const void *)p,
				   p[0], p[1], p[2]);
			return -1;
		}
		n++;
	}
	return n;
}

/* hv.hypercall's sites are vmcall on Intel, vmmcall on AMD, then NOPs. */
KTEST(hv_hypercall_site_is_the_vendors_instruction)
{
	char vendor[13];
	const u8 *want = vendor_insn(vendor);
	const struct pv_tmpl *tm = kvm_hypercall_tmpl();
	int n;

	if (!pv_patched) {
		KT_SKIP(t, "pv=nopatch");
		return;
	}
	if (!tm || pv_ops.hv.hypercall.func != tm->fn) {
		KT_SKIP(t, "hv.hypercall is no instruction here (no KVM, or unknown vendor)");
		return;
	}
	KT_EXPECTF(t, want != NULL, "vendor %s has no hypercall, yet one was chosen", vendor);
	if (!want)
		return;
	n = sites_hold(t, PV_SLOT(hv.hypercall), want, sizeof(vmcall));
	KT_EXPECTF(t, n >= 1, "%d hypercall sites", n);
	if (n >= 1)
		printk("# %s: %d hypercall site%s hold %02x %02x %02x\n", vendor, n,
		       n == 1 ? "" : "s", want[0], want[1], want[2]);
}

/* Without the instruction the op is C and answers -ENOSYS: native's
 * default, or -KVM_ENOSYS where KVM's init refused the vendor. Never
 * executes a hypercall instruction. */
KTEST(hv_hypercall_without_instruction_answers_enosys)
{
	const struct pv_tmpl *tm = kvm_hypercall_tmpl();
	long want = kvm_hypercall_vendor()[0] ? -KVM_ENOSYS : -PV_HV_ENOSYS;

	if (tm && pv_ops.hv.hypercall.func == tm->fn) {
		KT_SKIP(t, "hv.hypercall is the instruction");
		return;
	}
	KT_EXPECT(t, pv_hypercall0(KVM_HC_UNKNOWN) == want);
	KT_EXPECT(t, pv_hypercall4(KVM_HC_UNKNOWN, 1, 2, 3, 4) == want);
}

/*
 * A real hypercall, only where KVM offers a hypercall-based feature (the
 * nested environments, on real SVM): elsewhere (PVM) the instruction
 * would never return. An unknown number is -KVM_ENOSYS, with or without
 * arguments; VAPIC_POLL_IRQ is 0.
 */
KTEST(kvm_hypercall_unknown_is_enosys)
{
	const char *why;

	if (!kvm_hypercalls_work(&why)) {
		KT_SKIP(t, why);
		return;
	}
	KT_EXPECT(t, pv_hypercall0(KVM_HC_UNKNOWN) == -KVM_ENOSYS);
	KT_EXPECT(t, pv_hypercall4(KVM_HC_UNKNOWN, 1, 2, 3, 4) == -KVM_ENOSYS);
	KT_EXPECT(t, pv_hypercall1(KVM_HC_VAPIC_POLL_IRQ, 0) == 0);
}

/* pvhv's doorbell sites hold `outl %eax,(%dx)` and NOPs, and its console
 * and NOP hypercall still answer through them. Off pvhv the doorbell is
 * native's C default: -ENOSYS, no port touched. */
KTEST(hv_doorbell_is_one_inline_out)
{
	static char byte = '\n';
	int n;

	if (!pvhv_in_use()) {
		KT_EXPECT(t, pv_doorbell(0, 0) == -PV_HV_ENOSYS);
		return;
	}
	if (pv_patched) {
		n = sites_hold(t, PV_SLOT(hv.doorbell), &out_dx_eax, 1);
		KT_EXPECTF(t, n >= 1, "%d doorbell sites", n);
	}
	KT_EXPECT(t, pvhv_call(PVHV_HC_NOP, 0, 0, 0) == 0);
	KT_EXPECT(t, pvhv_call(PVHV_HC_CONSOLE_WRITE, __pa(&byte), 1, 0) == 1);
}
