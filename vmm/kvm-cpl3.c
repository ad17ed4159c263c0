/*
 * kvm-cpl3.c - the deprivileged mode's KVM side (--deprivileged,
 * docs/pvhv-abi.md "Deprivileged mode"): the pages at the top of RAM
 * before the VM runs (the monitor region, the kernel's initial tables,
 * pinned through the validator; the start record), the hooks the mode's
 * hypercalls reach KVM through (MSRs with KVM_GET_MSRS/KVM_SET_MSRS, the
 * LAPIC timer with KVM_GET_LAPIC/KVM_SET_LAPIC), the monitor's fatal
 * report, and the boot vCPU's CPL-3 start.
 */
#include <string.h>
#include <sys/ioctl.h>

#include "cpl3.h"
#include "cpl3_region.h"
#include "kvm.h"

static int env_msr(void *ctx, uint32_t vcpu, bool write, uint32_t index, uint64_t *val)
{
	struct vm *vm = ctx;
	if (kvm_cpu__msr(vm->vcpus[vcpu].fd, write, index, val) < 0) {
		char call[96];

		snprintf(call, sizeof(call), "ioctl %s of MSR %#x (a %s hypercall)",
			 write ? "KVM_SET_MSRS" : "KVM_GET_MSRS", index, write ? "WRMSR" : "RDMSR");
		pvhv_err(call);
		return -PVHV_EIO;
	}
	return 0;
}

static int env_lapic_timer(void *ctx, uint32_t vcpu, const struct cpl3_timer *t)
{
	struct vm *vm = ctx;
	struct kvm_lapic_state s;
	int fd = vm->vcpus[vcpu].fd;

	_Static_assert(sizeof(s.regs) == CPL3_LAPIC_BYTES, "KVM's LAPIC register page");
	if (ioctl(fd, KVM_GET_LAPIC, &s) < 0)
		return pvhv_err("ioctl KVM_GET_LAPIC (a SET_TIMER hypercall)"), -PVHV_EIO;
	cpl3_timer_apply((uint8_t *)s.regs, t);
	if (ioctl(fd, KVM_SET_LAPIC, &s) < 0)
		return pvhv_err("ioctl KVM_SET_LAPIC (a SET_TIMER hypercall)"), -PVHV_EIO;
	return 0;
}

static void env_fatal(void *ctx, uint32_t vcpu, const char *what)
{
	struct vm *vm = ctx;

	kvm_cpu__fatal(&vm->vcpus[vcpu], what);
}

int kvm__cpl3_boot(struct vm *vm)
{
	struct cpl3_layout *l = &vm->lay;
	const char *why;

	uint64_t pml4e = cpl3_region_build(&vm->mem, l->region_gpa, l->ram, &why);
	if (!pml4e) {
		fprintf(stderr, "pvhv: the monitor region at %#llx: %s\n",
			(unsigned long long)l->region_gpa, why);
		return -1;
	}
	int r = cpl3_init(&vm->cpl3, &vm->mem, l, pml4e);
	if (r < 0)
		return pvhv_err_num("setting up the page-table validator", -r);
	vm->cpl3_ready = true;
	if (cpl3_build_tables(&vm->mem, l, &vm->ki) < 0 ||
	    cpl3_write_start(&vm->mem, l, vm->start_info) < 0) {
		fprintf(stderr, "pvhv: the initial page tables at %#llx are not in RAM\n",
			(unsigned long long)l->pt_base);
		return -1;
	}
	r = cpl3_pin_tables(&vm->cpl3.mm, l, &why);
	if (r < 0) {
		fprintf(stderr, "pvhv: %s (a pvhv bug)\n", why);
		return -1;
	}
	vm->env.cpl3 = &vm->cpl3;
	vm->env.msr = env_msr;
	vm->env.lapic_timer = env_lapic_timer;
	vm->env.fatal = env_fatal;
	return 0;
}

int kvm_cpu__cpl3_setup(struct vcpu *v)
{
	struct vm *vm = v->vm;
	const char *why;

	if (cpl3_vcpu_setup(v->fd, vm->lay.region_gpa, vm->lay.pt_base, vm->ki.cpl3.entry,
			    vm->ki.cpl3.virt_base + PVHV_CPL3_START_GPA, &why) < 0)
		return pvhv_err(why);
	return 0;
}
