/*
 * kvm.c - the VM: load and check the kernel into guest memory, then open
 * /dev/kvm and build the VM (memory slot, arch devices, vCPUs), run one
 * thread per vCPU (kvm-cpu.c), and end the whole VM when any vCPU powers
 * off, faults, or the timeout expires. The image comes first so that a
 * broken one is reported as such (exit 65) on a machine without KVM too.
 * Here too the world the hypercalls act on (struct hc_env).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kvm.h"

#define KERNEL_MAX_BYTES   (256u << 20)
#define INITRD_MAX_BYTES   ((size_t)PVHV_MAX_MEM_MIB * PVHV_MIB)
#define NSEC_PER_SEC       1000000000L

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

void vm_stop(struct vm *vm, int status, const char *reason)
{
	pthread_mutex_lock(&vm->lock);
	if (!vm->stopping) {
		vm->stopping = true;
		vm->status = status;
		snprintf(vm->reason, sizeof(vm->reason), "%s", reason);
	}
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
}

bool vm_stopping(struct vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	bool s = vm->stopping;
	pthread_mutex_unlock(&vm->lock);
	return s;
}

/* ---- the world as the hypercalls see it (struct hc_env) ---------------- */

static void env_console(void *ctx, const void *buf, size_t len)
{
	struct vm *vm = ctx;

	pthread_mutex_lock(&vm->uart_lock);
	uart_flush(&vm->uart, stdout);      /* keep the two consoles in order */
	fwrite(buf, 1, len, stdout);
	fflush(stdout);
	pthread_mutex_unlock(&vm->uart_lock);
}

static void env_power(void *ctx, bool reboot, int status)
{
	char why[64];

	snprintf(why, sizeof(why), "guest %s, status %d", reboot ? "reboot" : "power off", status);
	vm_stop(ctx, status, why);
}

static int env_send_vector(void *ctx, uint32_t vcpu, uint32_t vector)
{
	struct vm *vm = ctx;
	struct kvm_msi msi;

	kvm__arch_msi(&msi, vm->vcpus[vcpu].hv.apic_id, vector);
	/* 1 delivered, 0 blocked by the guest: both fine for a kick */
	if (ioctl(vm->vm_fd, KVM_SIGNAL_MSI, &msi) >= 0)
		return 0;
	/* the host's failure, not the guest's: said once (a guest could ask
	 * for it in a loop), and the call fails with -EIO */
	if (!__atomic_exchange_n(&vm->msi_failed, true, __ATOMIC_RELAXED))
		pvhv_err("ioctl KVM_SIGNAL_MSI (a KICK or SEND_IPI; not said again)");
	return -PVHV_EIO;
}

static void env_set_irq(void *ctx, uint32_t irq, int level)
{
	struct vm *vm = ctx;
	struct kvm_irq_level l = { .irq = irq, .level = (uint32_t)level };

	/* the in-kernel irqchip's PIC and IO-APIC pin `irq` */
	if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &l) < 0 &&
	    !__atomic_exchange_n(&vm->irq_failed, true, __ATOMIC_RELAXED))
		pvhv_err("ioctl KVM_IRQ_LINE (the UART's interrupt; not said again)");
}

static void env_yield(void *ctx)
{
	(void)ctx;
	sched_yield();
}

static void env_stats(void *ctx, uint32_t vcpu, struct pvhv_stats *out)
{
	struct vm *vm = ctx;

	for (int v = 0; v < vm->nr_vcpus; v++) {
		struct vcpu_stats s = vm->vcpus[v].st;   /* a racy snapshot is fine */

		if (vcpu != PVHV_ALL_VCPUS && (uint32_t)v != vcpu)
			continue;
		kstats_read(&vm->vcpus[v].ks, &s);
		for (int i = 0; i < PVHV_STAT_NR; i++)
			out->count[i] += s.count[i];
		out->vcpus++;
	}
}

/* ---- building the VM ---------------------------------------------------- */

static int open_kvm(struct vm *vm)
{
	const char *dev = vm->cfg.kvm_dev;
	char call[PATH_MAX + 64];

	snprintf(call, sizeof(call), "open %s", dev);

	vm->kvm_fd = open(dev, O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		if (errno == ENOENT)
			fprintf(stderr, "pvhv: %s does not exist: this machine has no KVM.\n"
				"  Load the module (modprobe kvm_intel or kvm_amd), enable\n"
				"  virtualization in the firmware, or run on a host that offers KVM.\n",
				dev);
		else if (errno == EACCES || errno == EPERM)
			fprintf(stderr, "pvhv: %s: permission denied.\n"
				"  Add yourself to its group (sudo usermod -aG kvm $USER, then log\n"
				"  in again) or run pvhv as root.\n", dev);
		else
			pvhv_err(call);
		return -1;
	}
	int api = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (api < 0) {
		snprintf(call, sizeof(call), "%s: ioctl KVM_GET_API_VERSION", dev);
		pvhv_err(call);
		fprintf(stderr, "pvhv: %s: not a KVM device?\n", dev);
		return -1;
	}
	if (api != KVM_API_VERSION_WANTED) {
		fprintf(stderr, "pvhv: %s: ioctl KVM_GET_API_VERSION returned %d, need %d\n",
			dev, api, KVM_API_VERSION_WANTED);
		return -1;
	}
	return 0;
}

static const char *file_kind(mode_t m)
{
	return S_ISDIR(m) ? "a directory" : S_ISCHR(m) ? "a character device"
	     : S_ISBLK(m) ? "a block device" : S_ISFIFO(m) ? "a pipe"
	     : S_ISSOCK(m) ? "a socket" : "not a regular file";
}

/*
 * read_whole - read the regular file `path` (at most `max` bytes; `what`
 * it should be, `label` the option that named it, "" for none) into a new
 * buffer; NULL after a message.
 */
static uint8_t *read_whole(const char *label, const char *path, const char *what,
			   size_t max, size_t *lenp)
{
	struct stat sb;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &sb) < 0) {
		fprintf(stderr, "pvhv: %s%s: %s\n", label, path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (!S_ISREG(sb.st_mode)) {
		fprintf(stderr, "pvhv: %s%s: refused: %s, not a regular file (%s)\n",
			label, path, file_kind(sb.st_mode), what);
		close(fd);
		return NULL;
	}
	if ((uint64_t)sb.st_size > max) {
		fprintf(stderr, "pvhv: %s%s: refused: %lld bytes, more than the %zu MiB pvhv "
			"reads\n", label, path, (long long)sb.st_size, max >> 20);
		close(fd);
		return NULL;
	}
	size_t len = (size_t)sb.st_size, got = 0;
	uint8_t *buf = pvhv_zalloc(len ? len : 1, what);
	if (!buf) {
		close(fd);
		return NULL;
	}
	while (got < len) {
		ssize_t n = read(fd, buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "pvhv: %s%s: read %zu of %zu bytes: %s\n", label, path,
				got, len, n < 0 ? strerror(errno) : "the file shrank");
			free(buf);
			close(fd);
			return NULL;
		}
		got += (size_t)n;
	}
	close(fd);
	*lenp = len;
	return buf;
}

/* load_initrd - --initrd: the file at the top of RAM, module 0 of the
 * start info. 0, or -1 after a message. */
static int load_initrd(struct vm *vm)
{
	const char *why;
	size_t len;
	uint64_t gpa;
	uint8_t *buf = read_whole("--initrd ", vm->cfg.initrd, "an initrd", INITRD_MAX_BYTES, &len);
	/* deprivileged mode keeps the top of RAM for the tables and monitor */
	uint64_t top = vm->cfg.deprivileged ? vm->lay.pt_base : vm->mem.size;

	if (!buf)
		return -1;
	int r = place_module_below(&vm->mem, &vm->ki, top, buf, len, &gpa, &why);
	free(buf);
	if (r == 0)
		r = add_start_info_module(&vm->mem, vm->start_info, gpa, len, &why);
	if (r < 0) {
		fprintf(stderr, "pvhv: --initrd %s: refused: %s\n", vm->cfg.initrd, why);
		return -1;
	}
	return 0;
}

/*
 * check_mode - the image has what the mode needs: the PVH note for a
 * normal boot, the PVHV note (and room at the top of RAM) for
 * --deprivileged. 0, or -1 after a message.
 */
static int check_mode(struct vm *vm)
{
	const char *why;

	if (!vm->cfg.deprivileged) {
		if (vm->ki.has_pvh)
			return 0;
		fprintf(stderr, "pvhv: %s: refused: no PVH entry note (Xen note type 18, "
			"XEN_ELFNOTE_PHYS32_ENTRY), only a PVHV note: it boots only with "
			"--deprivileged\n", vm->cfg.kernel);
		return -1;
	}
	if (!vm->ki.has_cpl3) {
		fprintf(stderr, "pvhv: %s has no PVHV note: it cannot run deprivileged\n",
			vm->cfg.kernel);
		return -1;
	}
	if (cpl3_layout_for(vm->mem.size, &vm->ki, &vm->lay, &why) < 0) {
		fprintf(stderr, "pvhv: %s: refused for --deprivileged: %s\n", vm->cfg.kernel, why);
		return -1;
	}
	return 0;
}

static int load_kernel(struct vm *vm)
{
	const char *why;
	size_t len;
	uint8_t *img = read_whole("", vm->cfg.kernel, "an ELF kernel", KERNEL_MAX_BYTES, &len);

	if (!img)
		return -1;
	int r = load_elf_kernel(&vm->mem, img, len, &vm->ki, &why);
	free(img);
	if (r < 0) {
		fprintf(stderr, "pvhv: %s: refused: %s\n", vm->cfg.kernel, why);
		return -1;
	}
	if (check_mode(vm) < 0)
		return -1;
	uint64_t rsdp = build_acpi_tables(&vm->mem, vm->nr_vcpus, &why);
	if (!rsdp) {
		fprintf(stderr, "pvhv: %s\n", why);
		return -1;
	}
	struct pvhv_range top[CPL3_TOP_RESERVED];
	int nr_top = 0;
	if (vm->cfg.deprivileged) {
		cpl3_top_reserved(&vm->lay, top);
		nr_top = CPL3_TOP_RESERVED;
	}
	vm->start_info = build_start_info_top(&vm->mem, vm->cfg.cmdline, rsdp, top, nr_top,
					      &why);
	if (!vm->start_info) {
		fprintf(stderr, "pvhv: %s\n", why);
		return -1;
	}
	if (vm->cfg.initrd && load_initrd(vm) < 0)
		return -1;
	if (vm->cfg.bad_start_info &&
	    break_start_info(&vm->mem, vm->start_info, vm->cfg.bad_start_info)) {
		fprintf(stderr, "pvhv: --bad-start-info %s: not one of %s\n",
			vm->cfg.bad_start_info, BAD_START_INFO_KINDS);
		return -1;
	}
	return 0;
}

static int build_vm(struct vm *vm)
{
	/* The image first: a broken one is exit 65 with or without KVM. */
	vm->mem.size = vm->cfg.mem_mib * PVHV_MIB;
	vm->mem.host = mmap(NULL, vm->mem.size, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm->mem.host == MAP_FAILED) {
		char call[64];

		vm->mem.host = NULL;
		snprintf(call, sizeof(call), "mmap of %llu MiB of guest memory",
			 (unsigned long long)vm->cfg.mem_mib);
		pvhv_err(call);
		return PVHV_EXIT_FAULT;
	}
	if (load_kernel(vm) < 0)
		return PVHV_EXIT_IMAGE;
	if (vm->cfg.deprivileged && kvm__cpl3_boot(vm) < 0)
		return PVHV_EXIT_FAULT;

	if (open_kvm(vm) < 0)
		return PVHV_EXIT_NOKVM;
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0) {
		pvhv_err("ioctl KVM_CREATE_VM");
		return PVHV_EXIT_NOKVM;
	}
	int rs = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (rs < 0) {
		pvhv_err("ioctl KVM_GET_VCPU_MMAP_SIZE");
		return PVHV_EXIT_FAULT;
	}
	if ((size_t)rs < sizeof(struct kvm_run)) {
		fprintf(stderr, "pvhv: ioctl KVM_GET_VCPU_MMAP_SIZE returned %d, less than a "
			"struct kvm_run (%zu)\n", rs, sizeof(struct kvm_run));
		return PVHV_EXIT_FAULT;
	}
	vm->run_size = (size_t)rs;
	struct kvm_userspace_memory_region region = {
		.slot = 0, .guest_phys_addr = 0, .memory_size = vm->mem.size,
		.userspace_addr = (uintptr_t)vm->mem.host,
	};
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
		pvhv_err("ioctl KVM_SET_USER_MEMORY_REGION");
		return PVHV_EXIT_FAULT;
	}
	if (kvm__arch_init(vm) < 0)
		return PVHV_EXIT_FAULT;
	for (int i = 0; i < vm->nr_vcpus; i++)
		if (kvm_cpu__init(vm, i) < 0)
			return PVHV_EXIT_FAULT;
	return 0;
}

static void on_kick(int sig)
{
	(void)sig;                      /* only interrupts KVM_RUN */
}

/* Wait for the end: a vm_stop() or the timeout. */
static void wait_for_end(struct vm *vm)
{
	struct timespec deadline;
	double t = vm->t_start + vm->cfg.timeout;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec = (time_t)t;
	deadline.tv_nsec = (long)((t - (double)(time_t)t) * NSEC_PER_SEC);
	pthread_mutex_lock(&vm->lock);
	while (!vm->stopping) {
		if (vm->cfg.timeout <= 0) {
			pthread_cond_wait(&vm->cond, &vm->lock);
		} else if (pthread_cond_timedwait(&vm->cond, &vm->lock, &deadline) == ETIMEDOUT) {
			vm->stopping = true;
			vm->status = PVHV_EXIT_TIMEOUT;
			snprintf(vm->reason, sizeof(vm->reason), "timed out after %g s",
				 vm->cfg.timeout);
		}
	}
	pthread_mutex_unlock(&vm->lock);
}

static void teardown(struct vm *vm)
{
	for (int i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		kstats_close(&v->ks);
		if (v->run)
			munmap(v->run, vm->run_size);
		if (v->fd >= 0)
			close(v->fd);
	}
	if (vm->cpl3_ready)
		cpl3_free(&vm->cpl3);
	if (vm->mem.host)
		munmap(vm->mem.host, vm->mem.size);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	free(vm->supported);
}

int kvm_run_vm(const struct vm_config *cfg, double t_start)
{
	static struct vm vm;              /* big (vCPU array): not on the stack */
	pthread_condattr_t ca;
	struct sigaction sa = { .sa_handler = on_kick };
	int status;

	vm.cfg = *cfg;
	vm.t_start = t_start;
	vm.nr_vcpus = cfg->smp;
	vm.kvm_fd = vm.vm_fd = -1;
	for (int i = 0; i < PVHV_MAX_VCPUS; i++)
		vm.vcpus[i].fd = vm.vcpus[i].ks.fd = -1;   /* teardown: not opened */
	pthread_mutex_init(&vm.lock, NULL);
	pthread_mutex_init(&vm.uart_lock, NULL);
	pcdev_init(&vm.pc);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&vm.cond, &ca);
	vm.env = (struct hc_env){
		.mem = &vm.mem, .nr_vcpus = vm.nr_vcpus, .ctx = &vm,
		.console = env_console, .power = env_power,
		.send_vector = env_send_vector, .set_irq = env_set_irq, .yield = env_yield, .stats = env_stats,
	};
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIG_KICK, &sa, NULL) < 0) {   /* no SA_RESTART: KVM_RUN gets EINTR */
		pvhv_err("sigaction of SIGUSR1, which stops the vCPUs");
		return PVHV_EXIT_FAULT;
	}

	status = build_vm(&vm);
	if (status) {
		teardown(&vm);
		return status;
	}
	for (int i = 0; i < vm.nr_vcpus; i++) {
		int err = pthread_create(&vm.vcpus[i].thread, NULL, kvm_cpu__thread, &vm.vcpus[i]);

		if (err) {
			pvhv_err_num("pthread_create of a vCPU thread", err);
			vm_stop(&vm, PVHV_EXIT_FAULT, "pthread_create failed");
			break;
		}
		vm.vcpus[i].thread_started = true;
	}
	wait_for_end(&vm);
	for (int i = 0; i < vm.nr_vcpus; i++) {
		if (!vm.vcpus[i].thread_started)
			continue;
		__atomic_store_n(&vm.vcpus[i].run->immediate_exit, 1, __ATOMIC_SEQ_CST);
		pthread_kill(vm.vcpus[i].thread, SIG_KICK);
	}
	for (int i = 0; i < vm.nr_vcpus; i++)
		if (vm.vcpus[i].thread_started)
			pthread_join(vm.vcpus[i].thread, NULL);
	pthread_mutex_lock(&vm.uart_lock);
	uart_flush(&vm.uart, stdout);
	pthread_mutex_unlock(&vm.uart_lock);

	double secs = now() - t_start;
	if (vm.status == PVHV_EXIT_TIMEOUT) {
		fprintf(stderr, "pvhv: %s\n", vm.reason);
		kvm_cpu__arch_dump(&vm.vcpus[0], stderr);
	}
	bool have_kvm = vm.vcpus[0].ks.fd >= 0;
	struct vcpu_stats per[PVHV_MAX_VCPUS];
	for (int i = 0; i < vm.nr_vcpus; i++) {
		per[i] = vm.vcpus[i].st;
		kstats_read(&vm.vcpus[i].ks, &per[i]);
	}
	if (cfg->stats) {
		fprintf(stderr, "pvhv: %s after %.3f s; exit status %d\n", vm.reason, secs, vm.status);
		fprintf(stderr, "pvhv: KVM's hypercall-instruction rewriting (FIX_HYPERCALL_INSN): %s\n",
			vm.quirk_note);
		if (vm.cfg.kvm_pv) {
			char names[256];

			kvm_feature_names(vm.kvm_host_features & ~vm.kvm_hidden, names,
					  sizeof(names));
			fprintf(stderr, "pvhv: KVM features offered (%#x EAX %#010x): %s\n",
				(vm.cfg.pv ? PVHV_CPUID_KVM_BASE : KVM_CPUID_SIGNATURE) +
				KVM_CPUID_FEATURES_OFFSET,
				vm.kvm_host_features & ~vm.kvm_hidden, names);
		}
		fprintf(stderr, "%s\n", vm.hc_note);
		fprintf(stderr, "pvhv: KVM_CAP_ENFORCE_PV_FEATURE_CPUID: %s\n", vm.enforce_note);
		if (vm.cpl3_ready) {
			char line[512];

			cpl3_stats_line(&vm.cpl3, line, sizeof(line));
			fprintf(stderr, "%s\n", line);
		}
		stats_print_table(stderr, per, vm.nr_vcpus, have_kvm, secs);
	}
	if (cfg->stats_json) {
		int r = stats_write_json(cfg->stats_json, per, vm.nr_vcpus, have_kvm, secs, vm.status);
		if (r < 0) {
			char call[PATH_MAX + 32];

			snprintf(call, sizeof(call), "writing --stats-json %s", cfg->stats_json);
			pvhv_err_num(call, -r);
		}
	}
	status = vm.status;
	teardown(&vm);
	return status;
}
