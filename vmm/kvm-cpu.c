/*
 * kvm-cpu.c - one vCPU: its creation, its thread, and what it does with
 * each return of KVM_RUN. Every exit goes through ONE switch on the exit
 * reason (vcpu_exit); port I/O goes to the device table (ioport.c).
 * Fatal conditions name the ioctl or the exit, dump the vCPU's registers
 * and end the VM with PVHV_EXIT_FAULT.
 */
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "kvm.h"

int kvm_cpu__init(struct vm *vm, int i)
{
	struct vcpu *v = &vm->vcpus[i];

	v->vm = vm;
	v->index = i;
	v->hv.index = (uint32_t)i;
	v->hv.apic_id = (uint32_t)i;
	v->ks.fd = -1;
	v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)i);
	if (v->fd < 0)
		return pvhv_err("ioctl KVM_CREATE_VCPU");
	v->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED) {
		v->run = NULL;
		return pvhv_err("mmap of the vCPU's kvm_run");
	}
	if (i == 0) {
		/* without it the guest measures the TSC itself: say so, go on */
		int khz = ioctl(v->fd, KVM_GET_TSC_KHZ, 0);
		if (khz < 0)
			pvhv_err("ioctl KVM_GET_TSC_KHZ (no TSC rate in CPUID)");
		vm->tsc_khz = khz > 0 ? (uint32_t)khz : 0;
	}
	/* optional (absent on old hosts): --stats says when it is missing */
	int r = kstats_open(&v->ks, v->fd);
	if (r < 0 && vm->cfg.stats)
		pvhv_err_num("KVM's binary statistics (KVM_GET_STATS_FD)", -r);
	if (kvm_cpu__arch_init(v) < 0)
		return -1;
	return i == 0 && vm->cfg.deprivileged ? kvm_cpu__cpl3_setup(v) : 0;
}

void kvm_cpu__fatal(struct vcpu *v, const char *what)
{
	fprintf(stderr, "pvhv: vCPU %d: %s\n", v->index, what);
	kvm_cpu__arch_dump(v, stderr);
	vm_stop(v->vm, PVHV_EXIT_FAULT, what);
}

static void vcpu_io(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	struct io_ctx c = {
		.env = &v->vm->env, .pv = v->vm->cfg.pv, .uart = &v->vm->uart,
		.uart_lock = &v->vm->uart_lock, .pc = &v->vm->pc, .cpu = &v->hv, .st = &v->st, .out = stdout,
	};
	uint8_t *p = (uint8_t *)run + run->io.data_offset;
	int size = run->io.size;
	bool out = run->io.direction == KVM_EXIT_IO_OUT;

	/* data_offset and count come from the kernel: still, stay in the page */
	if (run->io.data_offset + (uint64_t)size * run->io.count > v->vm->run_size ||
	    (size != 1 && size != 2 && size != 4)) {
		kvm_cpu__fatal(v, "KVM_EXIT_IO with a malformed data area");
		return;
	}
	for (uint32_t i = 0; i < run->io.count; i++, p += size) {
		uint32_t data = 0;

		memcpy(&data, p, (size_t)size);
		io_access(&c, run->io.port, out, size, &data);
		if (!out)
			memcpy(p, &data, (size_t)size);
	}
}

/* The one switch on the exit reason. Returns false when the vCPU is done. */
static bool vcpu_exit(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	char why[160];

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		vcpu_io(v);
		return true;
	case KVM_EXIT_MMIO:
		/* nothing is mapped there: reads float high, writes vanish */
		v->st.count[PVHV_STAT_MMIO]++;
		if (!run->mmio.is_write)
			memset(run->mmio.data, 0xff, sizeof(run->mmio.data));
		return true;
	case KVM_EXIT_INTR:
		v->st.count[PVHV_STAT_INTR]++;
		return true;
	case KVM_EXIT_SHUTDOWN:
		v->st.count[PVHV_STAT_SHUTDOWN]++;
		kvm_cpu__fatal(v, "KVM_EXIT_SHUTDOWN: the guest triple-faulted");
		return false;
	case KVM_EXIT_SYSTEM_EVENT:
		v->st.count[PVHV_STAT_SYSTEM_EVENT]++;
		snprintf(why, sizeof(why), "KVM_EXIT_SYSTEM_EVENT type %u", run->system_event.type);
		vm_stop(v->vm, run->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN ? 0
			: PVHV_EXIT_FAULT, why);
		return false;
	case KVM_EXIT_FAIL_ENTRY:
		v->st.count[PVHV_STAT_OTHER]++;
		snprintf(why, sizeof(why), "KVM_EXIT_FAIL_ENTRY: hardware entry failure reason %#llx",
			 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		kvm_cpu__fatal(v, why);
		return false;
	case KVM_EXIT_INTERNAL_ERROR:
		v->st.count[PVHV_STAT_OTHER]++;
		snprintf(why, sizeof(why), "KVM_EXIT_INTERNAL_ERROR: suberror %u%s",
			 run->internal.suberror,
			 run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION
			 ? " (emulation failure: look at the instruction at rip)" : "");
		kvm_cpu__fatal(v, why);
		return false;
	default:
		v->st.count[PVHV_STAT_OTHER]++;
		snprintf(why, sizeof(why), "unexpected exit reason %u", run->exit_reason);
		kvm_cpu__fatal(v, why);
		return false;
	}
}

void *kvm_cpu__thread(void *arg)
{
	struct vcpu *v = arg;

	while (!vm_stopping(v->vm)) {
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				v->st.count[PVHV_STAT_INTR]++;
				continue;
			}
			pvhv_err("ioctl KVM_RUN");
			kvm_cpu__fatal(v, "KVM_RUN failed");
			break;
		}
		v->st.count[PVHV_STAT_RUN_EXITS]++;
		if (!vcpu_exit(v))
			break;
	}
	return NULL;
}

int kvm_cpu__msr(int fd, bool write, uint32_t index, uint64_t *val)
{
	/* struct kvm_msrs ends in a flexible array: one entry after it */
	union {
		struct kvm_msrs hdr;
		uint8_t bytes[sizeof(struct kvm_msrs) + sizeof(struct kvm_msr_entry)];
	} m;
	struct kvm_msr_entry *e = (struct kvm_msr_entry *)(m.bytes + sizeof(struct kvm_msrs));
	int r;

	memset(&m, 0, sizeof(m));
	m.hdr.nmsrs = 1;
	e->index = index;
	e->data = *val;
	r = ioctl(fd, write ? KVM_SET_MSRS : KVM_GET_MSRS, &m);
	if (r != 1) {
		if (r >= 0)
			errno = EINVAL;       /* KVM did not take it */
		return -1;
	}
	*val = e->data;
	return 0;
}
