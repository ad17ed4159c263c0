/*
 * x86.c - the x86 half of pvhv: the machine KVM builds in the kernel
 * (irqchip, PIT), the CPUID a guest sees, the PVH entry state, the MSI
 * encoding of an interrupt, and the register dump for fatal exits.
 *
 * Sources: Documentation/virt/kvm/api.rst, x86/cpuid.rst; Xen's pvh.pandoc
 * for the entry state (32-bit protected mode, paging off, flat segments,
 * EBX = hvm_start_info).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>

#include <abi/acpi.h>
#include <abi/kvm_para.h>
#include <abi/x86.h>

#include "kvm.h"

#define KVM_TSS_GPA          0xfffbd000ull   /* 3 pages under the BIOS area */
#define KVM_IDMAP_GPA        0xfffbc000ull
#define CPUID_MAX_ENTRIES    256
#define PIC_MASTER           0
#define PIC_SLAVE            1
#define PIC_ALL_MASKED       0xff
#define PIC_CASCADE_PIN      2            /* the master's pin the slave uses */

#define CPUID_1_EBX_APIC_SHIFT 24
#define CPUID_1_EBX_APIC_MASK  0x00ffffffu
#define CPUID_TSC_CRYSTAL_HZ   1000u     /* so leaf 0x15's EBX is the TSC in kHz */
#define CPUID_LEAF_TOPO        0xb
#define CPUID_LEAF_TOPO2       0x1f
#define APIC_BUS_KHZ           1000000u  /* KVM's APIC timer runs at 1 GHz */

/* PVH entry: flat 4 GiB segments, 32-bit. */
#define SEG_FLAT_LIMIT       0xffffffffu
#define SEG_TYPE_CODE_XRA    0xb     /* execute/read, accessed */
#define SEG_TYPE_DATA_RWA    0x3     /* read/write, accessed */
#define SEL_CODE             0x08
#define SEL_DATA             0x10
#define RFLAGS_RESERVED      0x2ull
#define FPU_FCW_DEFAULT      0x37f
#define MXCSR_DEFAULT        0x1f80

#define CODE_DUMP_BYTES      16

/* An MSI's address and data (SDM 3A 11.11): the local APICs' window, the
 * destination APIC ID in bits 19:12; data = the vector, fixed delivery. */
#define MSI_ADDR_BASE        0xfee00000u
#define MSI_ADDR_DEST_SHIFT  12
#define MSI_ADDR_DEST_MASK   0xffu      /* 8-bit xAPIC destination */

uint64_t hypercall_quirk_mask(int offered, char *note, size_t len)
{
	if (offered <= 0) {
		snprintf(note, len, "left on: the host does not offer KVM_CAP_DISABLE_QUIRKS2");
		return 0;
	}
	if (!(offered & KVM_X86_QUIRK_FIX_HYPERCALL_INSN)) {
		snprintf(note, len, "left on: the host's KVM_CAP_DISABLE_QUIRKS2 mask %#x lacks "
			 "KVM_X86_QUIRK_FIX_HYPERCALL_INSN (%#x)", (unsigned)offered,
			 (unsigned)KVM_X86_QUIRK_FIX_HYPERCALL_INSN);
		return 0;
	}
	snprintf(note, len, "disabled through KVM_CAP_DISABLE_QUIRKS2");
	return KVM_X86_QUIRK_FIX_HYPERCALL_INSN;
}

/* KVM must not rewrite the guest's hypercall instruction (see kvm.h). */
static int disable_hypercall_quirk(struct vm *vm)
{
	int offered = ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_DISABLE_QUIRKS2);
	struct kvm_enable_cap cap = { .cap = KVM_CAP_DISABLE_QUIRKS2 };

	cap.args[0] = hypercall_quirk_mask(offered, vm->quirk_note, sizeof(vm->quirk_note));
	if (!cap.args[0])
		return 0;                  /* not offered: noted for --stats only */
	if (ioctl(vm->vm_fd, KVM_ENABLE_CAP, &cap) < 0)
		return pvhv_err("ioctl KVM_ENABLE_CAP(KVM_CAP_DISABLE_QUIRKS2, "
				"KVM_X86_QUIRK_FIX_HYPERCALL_INSN)");
	return 0;
}

/* What pvhv offers of KVM's features (kvm-hc.c): the hypercall ones only
 * where the host handles hypercalls; and whether KVM enforces it. */
static void decide_kvm_features(struct vm *vm)
{
	struct hc_probe probe = { .result = HC_PROBE_NOT_RUN };
	char why[HC_NOTE_MAX];
	struct utsname u;

	for (uint32_t i = 0; i < vm->supported->nent; i++)
		if (vm->supported->entries[i].function ==
		    KVM_CPUID_SIGNATURE + KVM_CPUID_FEATURES_OFFSET)
			vm->kvm_host_features = vm->supported->entries[i].eax;
	if (vm->cfg.kvm_pv && vm->cfg.kvm_hypercalls == HC_MODE_AUTO &&
	    (vm->kvm_host_features & KVM_HC_FEATURES))
		kvm_hc_probe(vm->kvm_fd, HC_PROBE_TIMEOUT_MS, SIG_KICK, &probe);
	uint32_t offered = hc_decide(vm->cfg.kvm_hypercalls, vm->cfg.kvm_pv, &probe,
				     why, sizeof(why));
	vm->kvm_hidden = kvm_features_hidden(offered);
	hc_stats_line(vm->hc_note, sizeof(vm->hc_note), vm->kvm_host_features, why);
	if (vm->cfg.stats)
		fprintf(stderr, "%s\n", vm->hc_note);

	int cap = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_ENFORCE_PV_FEATURE_CPUID);
	vm->enforce_pv = enforce_pv_decide(cap, uname(&u) ? NULL : u.release, vm->cfg.pv,
					   vm->enforce_note, sizeof(vm->enforce_note));
}

int gsi_routes_build(struct kvm_irq_routing_entry *e, int max)
{
	int n = 0;

	if (max < GSI_ROUTES)
		return -1;
	for (uint32_t gsi = 0; gsi < 2 * PIC_PINS; gsi++) {
		if (gsi == PIC_CASCADE_PIN)
			continue;
		e[n++] = (struct kvm_irq_routing_entry){
			.gsi = gsi, .type = KVM_IRQ_ROUTING_IRQCHIP,
			.u.irqchip = { .irqchip = gsi < PIC_PINS ? KVM_IRQCHIP_PIC_MASTER
								 : KVM_IRQCHIP_PIC_SLAVE,
				       .pin = gsi % PIC_PINS },
		};
	}
	for (uint32_t gsi = 0; gsi < KVM_IOAPIC_NUM_PINS; gsi++) {
		if (gsi == ACPI_PIT_GSI)
			continue;
		e[n++] = (struct kvm_irq_routing_entry){
			.gsi = gsi, .type = KVM_IRQ_ROUTING_IRQCHIP,
			.u.irqchip = { .irqchip = KVM_IRQCHIP_IOAPIC,
				       .pin = gsi == ACPI_PIT_IRQ ? ACPI_PIT_GSI : gsi },
		};
	}
	return n;
}

/* KVM's default routing sends GSI 0, the in-kernel PIT, to IO-APIC pin 0;
 * the MADT says ISA IRQ 0 is GSI 2 (as on a PC, and QEMU routes it so). */
static int set_gsi_routing(struct vm *vm)
{
	struct kvm_irq_routing *r = pvhv_zalloc(sizeof(*r) + GSI_ROUTES * sizeof(r->entries[0]),
						"the GSI routing table");

	if (!r)
		return -1;
	r->nr = (uint32_t)gsi_routes_build(r->entries, GSI_ROUTES);
	int ret = ioctl(vm->vm_fd, KVM_SET_GSI_ROUTING, r);
	free(r);
	return ret < 0 ? pvhv_err("ioctl KVM_SET_GSI_ROUTING") : 0;
}

int kvm__arch_init(struct vm *vm)
{
	struct kvm_pit_config pit = { .flags = 0 };
	int nent = CPUID_MAX_ENTRIES;

	if (disable_hypercall_quirk(vm) < 0)
		return -1;

	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)KVM_TSS_GPA) < 0)
		return pvhv_err("ioctl KVM_SET_TSS_ADDR");
	uint64_t idmap = KVM_IDMAP_GPA;
	if (ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap) < 0 && errno != EINVAL)
		return pvhv_err("ioctl KVM_SET_IDENTITY_MAP_ADDR");
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		return pvhv_err("ioctl KVM_CREATE_IRQCHIP");
	if (set_gsi_routing(vm) < 0)
		return -1;
	/* An unprogrammed 8259 turns the first PIT tick into vector 5: mask
	 * both, the guest uses the local APIC (and could unmask them). */
	for (int chip = PIC_MASTER; chip <= PIC_SLAVE; chip++) {
		struct kvm_irqchip ic = { .chip_id = (uint32_t)chip };

		if (ioctl(vm->vm_fd, KVM_GET_IRQCHIP, &ic) < 0)
			return pvhv_err("ioctl KVM_GET_IRQCHIP");
		ic.chip.pic.imr = PIC_ALL_MASKED;
		if (ioctl(vm->vm_fd, KVM_SET_IRQCHIP, &ic) < 0)
			return pvhv_err("ioctl KVM_SET_IRQCHIP");
	}
	if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0)
		return pvhv_err("ioctl KVM_CREATE_PIT2");
	vm->supported = pvhv_zalloc(sizeof(*vm->supported) + nent * sizeof(struct kvm_cpuid_entry2),
				    "KVM's supported CPUID");
	if (!vm->supported)
		return -1;
	vm->supported->nent = (uint32_t)nent;
	if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, vm->supported) < 0)
		return pvhv_err("ioctl KVM_GET_SUPPORTED_CPUID");
	decide_kvm_features(vm);
	return 0;
}

void kvm__arch_msi(struct kvm_msi *msi, uint32_t apic_id, uint32_t vector)
{
	*msi = (struct kvm_msi){
		.address_lo = MSI_ADDR_BASE | (apic_id & MSI_ADDR_DEST_MASK) << MSI_ADDR_DEST_SHIFT,
		.data = vector,
	};
}

static struct kvm_cpuid_entry2 *add(struct kvm_cpuid_entry2 *out, int *n, int max,
				    uint32_t fn)
{
	if (*n >= max)
		return NULL;
	memset(&out[*n], 0, sizeof(out[*n]));
	out[*n].function = fn;
	return &out[(*n)++];
}

int cpuid_build(const struct kvm_cpuid_entry2 *in, int n_in,
		struct kvm_cpuid_entry2 *out, int max, uint32_t apic_id,
		uint32_t tsc_khz, bool kvm_pv, bool pv, uint32_t kvm_hidden)
{
	/* with pvhv's leaves KVM's move up a block; without, they stay */
	const uint32_t kvm_base = pv ? PVHV_CPUID_KVM_BASE : KVM_CPUID_SIGNATURE;
	struct kvm_cpuid_entry2 *e;
	bool have_tsc_leaf = false;
	int n = 0;

	for (int i = 0; i < n_in; i++) {
		uint32_t fn = in[i].function;

		if (fn >= CPUID_HV_BASE && fn <= CPUID_HV_END) {
			if (!kvm_pv || fn > KVM_CPUID_SIGNATURE + KVM_CPUID_FEATURES_OFFSET)
				continue;
			if (!(e = add(out, &n, max, 0)))
				return -1;
			*e = in[i];
			e->function = kvm_base + (fn - KVM_CPUID_SIGNATURE);
			if (fn == KVM_CPUID_SIGNATURE)
				e->eax = kvm_base + KVM_CPUID_TIMING_OFFSET;
			else
				e->eax &= ~kvm_hidden;
			continue;
		}
		if (!(e = add(out, &n, max, 0)))
			return -1;
		*e = in[i];
		if (fn == 0 && tsc_khz && e->eax < CPUID_TSC_LEAF) {
			e->eax = CPUID_TSC_LEAF;  /* we add leaf 0x15 below */
		} else if (fn == CPUID_TSC_LEAF && tsc_khz) {
			have_tsc_leaf = true;
			e->eax = 1, e->ebx = tsc_khz, e->ecx = CPUID_TSC_CRYSTAL_HZ;
		} else if (fn == 1) {
			e->ebx = (e->ebx & CPUID_1_EBX_APIC_MASK) | apic_id << CPUID_1_EBX_APIC_SHIFT;
			e->ecx |= CPUID_1_ECX_HYPERVISOR;
		} else if (fn == CPUID_LEAF_TOPO || fn == CPUID_LEAF_TOPO2) {
			e->edx = apic_id;
		}
	}
	/* the TSC frequency the hardware way too, for a guest that knows no
	 * hypervisor leaf (this host's PIT has no in-kernel port 0x61) */
	if (tsc_khz && !have_tsc_leaf) {
		if (!(e = add(out, &n, max, CPUID_TSC_LEAF)))
			return -1;
		e->eax = 1, e->ebx = tsc_khz, e->ecx = CPUID_TSC_CRYSTAL_HZ;
	}
	if (kvm_pv) {
		if (!(e = add(out, &n, max, kvm_base + KVM_CPUID_TIMING_OFFSET)))
			return -1;
		e->eax = tsc_khz;
		e->ebx = APIC_BUS_KHZ;
	}
	if (pv) {
		uint32_t sig[3];

		memcpy(sig, PVHV_SIGNATURE, sizeof(sig));
		if (!(e = add(out, &n, max, PVHV_CPUID_BASE)))
			return -1;
		e->eax = PVHV_CPUID_MAX;
		e->ebx = sig[0], e->ecx = sig[1], e->edx = sig[2];
		if (!(e = add(out, &n, max, PVHV_CPUID_FEATURES)))
			return -1;
		e->eax = PVHV_FEAT_ALL;
		e->ebx = PVHV_ABI_VERSION;
		e->ecx = PVHV_PORT_BASE;
		if (!(e = add(out, &n, max, PVHV_CPUID_TIMING)))
			return -1;
		e->eax = tsc_khz;
		e->ebx = APIC_BUS_KHZ;
	}
	return n;
}

static void set_seg(struct kvm_segment *s, uint16_t sel, uint8_t type)
{
	*s = (struct kvm_segment){
		.base = 0, .limit = SEG_FLAT_LIMIT, .selector = sel, .type = type,
		.present = 1, .dpl = 0, .db = 1, .s = 1, .l = 0, .g = 1,
	};
}

/* PVH entry state for the boot vCPU. */
static int set_entry_state(struct vcpu *v)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs = {
		.rip = v->vm->ki.entry,
		.rbx = v->vm->start_info,
		.rflags = RFLAGS_RESERVED,
	};

	if (ioctl(v->fd, KVM_GET_SREGS, &sregs) < 0)
		return pvhv_err("ioctl KVM_GET_SREGS");
	set_seg(&sregs.cs, SEL_CODE, SEG_TYPE_CODE_XRA);
	set_seg(&sregs.ds, SEL_DATA, SEG_TYPE_DATA_RWA);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	sregs.cr0 = CR0_PE | CR0_ET;
	sregs.cr4 = 0;
	sregs.efer = 0;
	if (ioctl(v->fd, KVM_SET_SREGS, &sregs) < 0)
		return pvhv_err("ioctl KVM_SET_SREGS");
	if (ioctl(v->fd, KVM_SET_REGS, &regs) < 0)
		return pvhv_err("ioctl KVM_SET_REGS");
	return 0;
}

int kvm_cpu__arch_init(struct vcpu *v)
{
	struct vm *vm = v->vm;
	int max = CPUID_MAX_ENTRIES;
	struct kvm_cpuid2 *c = pvhv_zalloc(sizeof(*c) + max * sizeof(struct kvm_cpuid_entry2),
					   "a vCPU's CPUID");
	struct kvm_fpu fpu = { .fcw = FPU_FCW_DEFAULT, .mxcsr = MXCSR_DEFAULT };
	int n;

	if (!c)
		return -1;
	n = cpuid_build(vm->supported->entries, (int)vm->supported->nent, c->entries,
			max, v->hv.apic_id, vm->tsc_khz, vm->cfg.kvm_pv, vm->cfg.pv,
			vm->kvm_hidden);
	if (n < 0) {
		fprintf(stderr, "pvhv: more than %d CPUID entries\n", max);
		free(c);
		return -1;
	}
	c->nent = (uint32_t)n;
	/* KVM then refuses the guest what CPUID does not offer it */
	struct kvm_enable_cap enforce = { .cap = KVM_CAP_ENFORCE_PV_FEATURE_CPUID,
					  .args = { 1 } };
	if (vm->enforce_pv && ioctl(v->fd, KVM_ENABLE_CAP, &enforce) < 0) {
		pvhv_err("ioctl KVM_ENABLE_CAP(KVM_CAP_ENFORCE_PV_FEATURE_CPUID) on a vCPU");
		free(c);
		return -1;
	}
	if (ioctl(v->fd, KVM_SET_CPUID2, c) < 0) {
		pvhv_err("ioctl KVM_SET_CPUID2");
		free(c);
		return -1;
	}
	free(c);
	if (ioctl(v->fd, KVM_SET_FPU, &fpu) < 0)
		return pvhv_err("ioctl KVM_SET_FPU");
	/* APs wait in the in-kernel LAPIC for INIT-SIPI: no state to set */
	/* deprivileged: the CPL-3 start is kvm_cpu__cpl3_setup's (kvm-cpu.c) */
	return v->index == 0 && !vm->cfg.deprivileged ? set_entry_state(v) : 0;
}

int gva_to_gpa(const struct guest_mem *gm, uint64_t cr0, uint64_t cr3,
	       uint64_t cr4, uint64_t efer, uint64_t gva, uint64_t *gpa)
{
	uint64_t table = cr3 & PTE_ADDR_MASK;

	if (!(cr0 & CR0_PG)) {
		*gpa = gva;
		return gm_ptr(gm, gva, 1) ? 0 : -1;
	}
	if (!(cr4 & CR4_PAE) || !(efer & EFER_LMA))
		return -1;                 /* 32-bit paging: pvk never uses it */
	/* PML4, PDPT, PD, PT: the bits of gva each level's index takes */
	static const int shift_of[] = { PGD_SHIFT, PUD_SHIFT, PMD_SHIFT, PAGE_SHIFT };
	const int levels = (int)(sizeof(shift_of) / sizeof(shift_of[0]));

	for (int l = 0; l < levels; l++) {
		int shift = shift_of[l];
		uint64_t slot = table + ((gva >> shift) & PT_INDEX_MASK) * sizeof(uint64_t);
		uint64_t *pte = gm_ptr(gm, slot, sizeof(*pte));

		if (!pte || !(*pte & PTE_PRESENT))
			return -1;
		/* the last level maps a page; PDPT and PD entries may with PS */
		if (l == levels - 1 || (l > 0 && (*pte & PTE_PS))) {
			uint64_t page_mask = (1ull << shift) - 1;
			*gpa = ((*pte & PTE_ADDR_MASK) & ~page_mask) | (gva & page_mask);
			return gm_ptr(gm, *gpa, 1) ? 0 : -1;
		}
		table = *pte & PTE_ADDR_MASK;
	}
	return -1;
}

static void dump_seg(FILE *f, const char *name, const struct kvm_segment *s)
{
	fprintf(f, "  %-3s sel %04x base %016llx limit %08x type %x p%d dpl%d db%d s%d l%d g%d\n",
		name, s->selector, (unsigned long long)s->base, s->limit, s->type,
		s->present, s->dpl, s->db, s->s, s->l, s->g);
}

void kvm_cpu__arch_dump(struct vcpu *v, FILE *f)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	fprintf(f, "pvhv: vCPU %d registers:\n", v->index);
	if (ioctl(v->fd, KVM_GET_REGS, &r) < 0) {
		pvhv_err("ioctl KVM_GET_REGS");
		return;
	}
	if (ioctl(v->fd, KVM_GET_SREGS, &s) < 0) {
		pvhv_err("ioctl KVM_GET_SREGS");
		return;
	}
	fprintf(f, "  rip %016llx rsp %016llx rflags %016llx\n"
		"  rax %016llx rbx %016llx rcx %016llx rdx %016llx\n"
		"  rsi %016llx rdi %016llx rbp %016llx r8  %016llx\n"
		"  r9  %016llx r10 %016llx r11 %016llx r12 %016llx\n"
		"  r13 %016llx r14 %016llx r15 %016llx\n"
		"  cr0 %016llx cr2 %016llx cr3 %016llx cr4 %016llx efer %llx\n",
		r.rip, r.rsp, r.rflags, r.rax, r.rbx, r.rcx, r.rdx, r.rsi, r.rdi,
		r.rbp, r.r8, r.r9, r.r10, r.r11, r.r12, r.r13, r.r14, r.r15,
		s.cr0, s.cr2, s.cr3, s.cr4, s.efer);
	dump_seg(f, "cs", &s.cs);
	dump_seg(f, "ss", &s.ss);
	dump_seg(f, "ds", &s.ds);
	dump_seg(f, "tr", &s.tr);
	fprintf(f, "  gdt %016llx/%x idt %016llx/%x apic_base %llx\n",
		s.gdt.base, s.gdt.limit, s.idt.base, s.idt.limit, s.apic_base);
	uint64_t gpa;
	const uint8_t *code;
	if (!gva_to_gpa(&v->vm->mem, s.cr0, s.cr3, s.cr4, s.efer, s.cs.base + r.rip, &gpa) &&
	    (code = gm_ptr(&v->vm->mem, gpa, CODE_DUMP_BYTES))) {
		fprintf(f, "  code at rip (gpa %llx):", (unsigned long long)gpa);
		for (int i = 0; i < CODE_DUMP_BYTES; i++)
			fprintf(f, " %02x", code[i]);
		fputc('\n', f);
	} else {
		fprintf(f, "  code at rip: not mapped\n");
	}
}
