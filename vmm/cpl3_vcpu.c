/*
 * cpl3_vcpu.c - the start state of the deprivileged mode on a vCPU
 * (abi/pvhv_cpl3.h, "Start state"): 64-bit mode at CPL 3 on the monitor
 * region's GDT, IDT and TSS (cpl3_region.c), and the local APIC in
 * x2APIC mode, software-enabled, so that the monitor's EOI (WRMSR 0x80b)
 * and SET_TIMER's LVT work from the first event.
 *
 * Sources: Documentation/virt/kvm/api.rst (KVM_SET_SREGS, KVM_SET_MSRS,
 * KVM_GET_LAPIC/KVM_SET_LAPIC, KVM_GET_CPUID2); SDM 3A 10.12.1 (x2APIC
 * enable in IA32_APIC_BASE), 10.9 (the spurious-interrupt vector
 * register).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include <abi/x86.h>

#include "cpl3_region.h"
#include "kvm.h"

#define SEG_LIMIT_FLAT       0xffffffffu
#define SEG_TYPE_CODE_XRA    0xb      /* execute/read, accessed */
#define SEG_TYPE_DATA_RWA    0x3      /* read/write, accessed */
#define SEG_TYPE_TSS_BUSY    0xb
#define CPL_USER             3
#define TSS_LIMIT            103      /* 104 bytes, no I/O bitmap */
#define GDT_LIMIT            (8 * 8 - 1)
#define IDT_LIMIT            (256 * 16 - 1)
#define RFLAGS_START         0x202ull /* IF (the real one, always on) and bit 1 */

#define CPUID_LEAF_EXT_FEATURES 7
#define CPUID_7_EBX_SMEP     (1u << 7)
#define CR4_SMEP             (1ull << 20)
#define CPUID_MAX_ENTRIES    256

#define MSR_IA32_APIC_BASE   0x1bu
#define APIC_BASE_ADDR       0xfee00000ull
#define APIC_BASE_BSP        (1ull << 8)
#define APIC_BASE_X2APIC     (1ull << 10)
#define APIC_BASE_ENABLE     (1ull << 11)
#define APIC_BASE_START      (APIC_BASE_ADDR | APIC_BASE_ENABLE | APIC_BASE_X2APIC | APIC_BASE_BSP)

#define APIC_SVR             0xf0     /* spurious-interrupt vector register */
#define APIC_SVR_ENABLE      (1u << 8)
#define APIC_SVR_VECTOR_MASK 0xffu
#define APIC_LVT_LINT0       0x350    /* the legacy PIC's line (ExtINT on the BSP at reset) */
#define APIC_LVT_LINT1       0x360    /* NMI at reset */
#define APIC_LVT_MASKED      (1u << 16)

static void seg_user(struct kvm_segment *s, uint16_t sel, uint8_t type, bool code64)
{
	*s = (struct kvm_segment){
		.base = 0, .limit = SEG_LIMIT_FLAT, .selector = sel, .type = type,
		.present = 1, .dpl = CPL_USER, .db = code64 ? 0 : 1, .s = 1,
		.l = code64 ? 1 : 0, .g = 1,
	};
}

/* Does the vCPU's CPUID (already set: KVM refuses CR4 bits it does not
 * offer) have SMEP? 0 no, 1 yes, -1 with *why. */
static int cpu_has_smep(int fd, const char **why)
{
	size_t size = sizeof(struct kvm_cpuid2) + CPUID_MAX_ENTRIES * sizeof(struct kvm_cpuid_entry2);
	struct kvm_cpuid2 *c = calloc(1, size);
	int smep = 0;

	if (!c) {
		*why = "allocation of a CPUID buffer";
		return -1;
	}
	c->nent = CPUID_MAX_ENTRIES;
	if (ioctl(fd, KVM_GET_CPUID2, c) < 0) {
		*why = "ioctl KVM_GET_CPUID2 (does the vCPU offer SMEP?)";
		free(c);
		return -1;
	}
	for (uint32_t i = 0; i < c->nent; i++)
		if (c->entries[i].function == CPUID_LEAF_EXT_FEATURES && c->entries[i].index == 0)
			smep = (c->entries[i].ebx & CPUID_7_EBX_SMEP) != 0;
	free(c);
	return smep;
}

static int set_sregs(int fd, uint64_t cr3, const char **why)
{
	struct kvm_sregs s;
	int smep = cpu_has_smep(fd, why);

	if (smep < 0)
		return -1;
	if (ioctl(fd, KVM_GET_SREGS, &s) < 0) {
		*why = "ioctl KVM_GET_SREGS";
		return -1;
	}
	seg_user(&s.cs, PVHV_CPL3_KERNEL_CS, SEG_TYPE_CODE_XRA, true);
	seg_user(&s.ss, PVHV_CPL3_KERNEL_SS, SEG_TYPE_DATA_RWA, false);
	s.ds = s.es = s.fs = s.gs = s.ss;
	s.tr = (struct kvm_segment){
		.base = PVHV_CPL3_MONITOR_BASE + MON_TSS, .limit = TSS_LIMIT,
		.selector = MON_SEL_TSS, .type = SEG_TYPE_TSS_BUSY, .present = 1,
	};
	s.gdt = (struct kvm_dtable){ .base = PVHV_CPL3_MONITOR_BASE + MON_GDT, .limit = GDT_LIMIT };
	s.idt = (struct kvm_dtable){ .base = PVHV_CPL3_MONITOR_BASE + MON_IDT, .limit = IDT_LIMIT };
	s.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
	s.cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT | (smep ? CR4_SMEP : 0);
	s.efer = EFER_LME | EFER_LMA | EFER_NXE;
	s.cr3 = cr3;
	s.apic_base = APIC_BASE_START;
	if (ioctl(fd, KVM_SET_SREGS, &s) < 0) {
		*why = "ioctl KVM_SET_SREGS (64-bit CPL 3 state)";
		return -1;
	}
	return 0;
}

/* IA32_APIC_BASE: x2APIC on (after KVM_SET_SREGS, which sets it too). */
static int set_apic_base(int fd, const char **why)
{
	uint64_t v = APIC_BASE_START;

	if (kvm_cpu__msr(fd, true, MSR_IA32_APIC_BASE, &v) < 0) {
		*why = "ioctl KVM_SET_MSRS (IA32_APIC_BASE: x2APIC enable)";
		return -1;
	}
	return 0;
}

/* Set `bits` in the 32-bit LAPIC register at `reg` of a saved state. */
static void lapic_set_bits(struct kvm_lapic_state *st, unsigned reg, uint32_t bits)
{
	uint32_t v;

	memcpy(&v, st->regs + reg, sizeof(v));
	v |= bits;
	memcpy(st->regs + reg, &v, sizeof(v));
}

/* The LAPIC software-enabled: SVR bit 8, spurious vector 0xff. LINT0 and
 * LINT1 masked: the PIC's ExtINT and an NMI would arrive below vector 32,
 * where the monitor takes them for exceptions; the kernel has no use for
 * them (it cannot program the PIC without port I/O). */
static int enable_lapic(int fd, const char **why)
{
	struct kvm_lapic_state st;
	uint32_t svr;

	if (ioctl(fd, KVM_GET_LAPIC, &st) < 0) {
		*why = "ioctl KVM_GET_LAPIC";
		return -1;
	}
	memcpy(&svr, st.regs + APIC_SVR, sizeof(svr));
	svr = (svr & ~APIC_SVR_VECTOR_MASK) | APIC_SVR_ENABLE | MON_SPURIOUS_VECTOR;
	memcpy(st.regs + APIC_SVR, &svr, sizeof(svr));
	lapic_set_bits(&st, APIC_LVT_LINT0, APIC_LVT_MASKED);
	lapic_set_bits(&st, APIC_LVT_LINT1, APIC_LVT_MASKED);
	if (ioctl(fd, KVM_SET_LAPIC, &st) < 0) {
		*why = "ioctl KVM_SET_LAPIC (SVR: software enable, LINT0/1 masked)";
		return -1;
	}
	return 0;
}

int cpl3_vcpu_setup(int vcpu_fd, uint64_t region_gpa, uint64_t cr3, uint64_t entry,
		    uint64_t rdi, const char **why)
{
	struct kvm_regs regs = { .rip = entry, .rdi = rdi, .rsp = 0, .rflags = RFLAGS_START };

	if (region_gpa % MON_SIZE) {
		errno = EINVAL;
		*why = "the monitor region's gpa is not MON_SIZE aligned";
		return -1;
	}
	if (set_sregs(vcpu_fd, cr3, why) < 0 || set_apic_base(vcpu_fd, why) < 0 ||
	    enable_lapic(vcpu_fd, why) < 0)
		return -1;
	if (ioctl(vcpu_fd, KVM_SET_REGS, &regs) < 0) {
		*why = "ioctl KVM_SET_REGS (entry, rdi, rflags)";
		return -1;
	}
	return 0;
}
