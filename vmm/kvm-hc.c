/*
 * kvm-hc.c - KVM's hypercall-based paravirt features (PV_UNHALT's kick,
 * PV_SEND_IPI, PV_SCHED_YIELD): whether this host's KVM handles the
 * hypercalls, what pvhv therefore offers, and the host side that keeps a
 * guest from using what it was not offered
 * (KVM_CAP_ENFORCE_PV_FEATURE_CPUID).
 *
 * The probe: a throwaway VM runs one page of real-mode code: an OUT (the
 * vCPU is in), the vendor's hypercall instruction (VMCALL on Intel,
 * VMMCALL on AMD and Hygon) with a number KVM does not know, an OUT of
 * what came back in EAX. A host that handles hypercalls answers
 * -KVM_ENOSYS (-1000) in microseconds. On PVM the instruction never
 * completes (the vCPU spins in KVM_RUN): a watchdog thread sets
 * immediate_exit and signals the probing thread, KVM_RUN returns EINTR,
 * and the verdict is "hidden". Nothing in it can hang pvhv.
 *
 * Sources: Documentation/virt/kvm/x86/hypercalls.rst, cpuid.rst, api.rst
 * (KVM_CAP_ENFORCE_PV_FEATURE_CPUID, immediate_exit); /work/kvm-facts.md.
 */
#include <cpuid.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <abi/kvm_para.h>

#include "kvm.h"

#define PROBE_MEM          4096
#define PROBE_PORT_READY   0xe0      /* the vCPU is in */
#define PROBE_PORT_RESULT  0xe4      /* EAX after the hypercall */
#define PROBE_TSS_GPA      0xfffbd000ul
#define PROBE_WINDOW_MS    2        /* look at the vCPU this often */
#define PROBE_SPIN_EVENTS  1000      /* exits + emulations: a spinning vCPU */
#define RFLAGS_RESERVED    0x2ull
#define NSEC_PER_SEC       1000000000L
#define ENFORCE_MIN_MAJOR  5         /* Linux 5.17 finds KVM's base by signature */
#define ENFORCE_MIN_MINOR  17

/* The probe's program, real mode at 0 (a hypercall at CPL 0 there is fine:
 * KVM truncates number and result to 32 bits outside 64-bit mode). */
#define INSN_OFF           9         /* the hypercall's 3 bytes */
static const uint8_t probe_code[] = {
	0x66, 0xe7, PROBE_PORT_READY,                      /* out %eax, $READY */
	0x66, 0xb8,                                        /* mov $NR, %eax */
	(uint8_t)PROBE_HC_NR, (uint8_t)(PROBE_HC_NR >> 8),
	(uint8_t)(PROBE_HC_NR >> 16), (uint8_t)(PROBE_HC_NR >> 24),
	0x0f, 0x01, 0xc1,                                  /* vmcall (or vmmcall) */
	0x66, 0xe7, PROBE_PORT_RESULT,                     /* out %eax, $RESULT */
	0xf4,                                              /* hlt */
	0xeb, 0xfe,                                        /* jmp . */
};

/* ---- pure: the options, the decision, the words ------------------------ */

int hc_mode_parse(const char *s, enum hc_mode *mode)
{
	static const char *const names[] = {
		[HC_MODE_AUTO] = "auto", [HC_MODE_ON] = "on", [HC_MODE_OFF] = "off",
	};

	for (int m = 0; m < (int)(sizeof(names) / sizeof(names[0])); m++) {
		if (s && !strcmp(s, names[m])) {
			*mode = (enum hc_mode)m;
			return 0;
		}
	}
	return -1;
}

const char *hc_insn_for_vendor(const char vendor[12])
{
	if (!memcmp(vendor, "AuthenticAMD", 12) || !memcmp(vendor, "HygonGenuine", 12))
		return "VMMCALL";
	return "VMCALL";
}

uint32_t hc_decide(enum hc_mode mode, bool kvm_pv, const struct hc_probe *p,
		   char *why, size_t len)
{
	if (!kvm_pv) {
		snprintf(why, len, "hidden (--no-kvm-pv: no KVM leaves at all)");
		return 0;
	}
	if (mode == HC_MODE_OFF) {
		snprintf(why, len, "hidden (--kvm-hypercalls=off)");
		return 0;
	}
	if (mode == HC_MODE_ON) {
		snprintf(why, len, "offered (--kvm-hypercalls=on, not probed)");
		return KVM_HC_FEATURES;
	}
	switch (p->result) {
	case HC_PROBE_RETURNED:
		if (p->ret != -KVM_ENOSYS) {
			snprintf(why, len, "hidden (probe: %s returned %d, not -KVM_ENOSYS (%d); "
				 "probe %.1f ms)", p->insn, (int)p->ret, -KVM_ENOSYS,
				 p->cost_us / 1000);
			return 0;
		}
		snprintf(why, len, "offered (probe: %s returned %d in %.0f us; probe %.1f ms)",
			 p->insn, (int)p->ret, p->hc_us, p->cost_us / 1000);
		return KVM_HC_FEATURES;
	case HC_PROBE_TIMEOUT:
		snprintf(why, len, "hidden (probe: %s did not return within %u ms: PVM?; "
			 "probe %.1f ms)", p->insn, p->timeout_ms, p->cost_us / 1000);
		return 0;
	case HC_PROBE_SPINNING:
		snprintf(why, len, "hidden (probe: %s did not return: %llu KVM exits and "
			 "emulations in %.0f ms with RIP at it: PVM?; probe %.1f ms)", p->insn,
			 (unsigned long long)p->spin_events, p->spin_ms, p->cost_us / 1000);
		return 0;
	case HC_PROBE_FAULT:
		snprintf(why, len, "hidden (probe: %s did not complete: %s; probe %.1f ms)",
			 p->insn, p->detail, p->cost_us / 1000);
		return 0;
	case HC_PROBE_ERROR:
		snprintf(why, len, "hidden (probe failed: %s)", p->detail);
		return 0;
	case HC_PROBE_NOT_RUN:
	default:
		snprintf(why, len, "hidden (not probed)");
		return 0;
	}
}

uint32_t kvm_features_hidden(uint32_t hc_offered)
{
	return (KVM_HC_FEATURES & ~hc_offered) | KVM_VMM_FEATURES;
}

static const char *const feature_names[32] = {
	[KVM_FEATURE_CLOCKSOURCE] = "CLOCKSOURCE",
	[KVM_FEATURE_NOP_IO_DELAY] = "NOP_IO_DELAY",
	[KVM_FEATURE_MMU_OP] = "MMU_OP",
	[KVM_FEATURE_CLOCKSOURCE2] = "CLOCKSOURCE2",
	[KVM_FEATURE_ASYNC_PF] = "ASYNC_PF",
	[KVM_FEATURE_STEAL_TIME] = "STEAL_TIME",
	[KVM_FEATURE_PV_EOI] = "PV_EOI",
	[KVM_FEATURE_PV_UNHALT] = "PV_UNHALT",
	[KVM_FEATURE_PV_TLB_FLUSH] = "PV_TLB_FLUSH",
	[KVM_FEATURE_ASYNC_PF_VMEXIT] = "ASYNC_PF_VMEXIT",
	[KVM_FEATURE_PV_SEND_IPI] = "PV_SEND_IPI",
	[KVM_FEATURE_POLL_CONTROL] = "POLL_CONTROL",
	[KVM_FEATURE_PV_SCHED_YIELD] = "PV_SCHED_YIELD",
	[KVM_FEATURE_ASYNC_PF_INT] = "ASYNC_PF_INT",
	[KVM_FEATURE_MSI_EXT_DEST_ID] = "MSI_EXT_DEST_ID",
	[KVM_FEATURE_HC_MAP_GPA_RANGE] = "HC_MAP_GPA_RANGE",
	[KVM_FEATURE_MIGRATION_CONTROL] = "MIGRATION_CONTROL",
	[KVM_FEATURE_CLOCKSOURCE_STABLE_BIT] = "CLOCKSOURCE_STABLE_BIT",
};

void kvm_feature_names(uint32_t bits, char *buf, size_t len)
{
	size_t at = 0;

	if (!len)
		return;
	buf[0] = 0;
	for (int b = 0; b < 32; b++) {
		char unnamed[8];
		const char *name = feature_names[b];

		if (!(bits & (1u << b)))
			continue;
		if (!name) {
			snprintf(unnamed, sizeof(unnamed), "bit%d", b);
			name = unnamed;
		}
		size_t need = (at ? 1 : 0) + strlen(name);
		if (at + need >= len)
			return;                /* whole names only */
		snprintf(buf + at, len - at, "%s%s", at ? " " : "", name);
		at += need;
	}
}

void hc_stats_line(char *buf, size_t len, uint32_t host_eax, const char *why)
{
	char names[96], lacking[96];
	uint32_t have = host_eax & KVM_HC_FEATURES;

	kvm_feature_names(have, names, sizeof(names));
	kvm_feature_names(KVM_HC_FEATURES & ~host_eax, lacking, sizeof(lacking));
	if (!have) {
		snprintf(buf, len, "pvhv: KVM hypercall features: none (the host offers none of "
			 "PV_UNHALT PV_SEND_IPI PV_SCHED_YIELD)");
		return;
	}
	snprintf(buf, len, "pvhv: KVM hypercall features %s: %s%s%s", names, why,
		 *lacking ? "; the host lacks " : "", lacking);
}

bool enforce_pv_decide(int offered, const char *release, bool pv, char *note, size_t len)
{
	int major = 0, minor = 0;

	if (offered <= 0) {
		snprintf(note, len, "not offered by the host (KVM_CHECK_EXTENSION: %d): a guest "
			 "may use every KVM feature whatever CPUID says", offered);
		return false;
	}
	if (pv && (!release || sscanf(release, "%d.%d", &major, &minor) != 2 ||
		   major < ENFORCE_MIN_MAJOR ||
		   (major == ENFORCE_MIN_MAJOR && minor < ENFORCE_MIN_MINOR))) {
		snprintf(note, len, "not enabled: host Linux %s may check the features at "
			 "0x40000001, pvhv's own leaf (KVM's are at 0x40000101; %d.%d finds "
			 "them by signature)", release ? release : "(unknown)",
			 ENFORCE_MIN_MAJOR, ENFORCE_MIN_MINOR);
		return false;
	}
	snprintf(note, len, "enabled: a hidden feature's MSR is #GP, its hypercall "
		 "-KVM_ENOSYS");
	return true;
}

/* ---- the probe ----------------------------------------------------------- */

static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

/* The watchdog: when `deadline` passes before `done`, it kicks `target`
 * out of KVM_RUN (immediate_exit for a KVM_RUN not yet entered, the signal
 * for one that is running). The probing thread moves the deadline. */
struct watchdog {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct timespec deadline;
	bool done, fired;
	pthread_t target;
	struct kvm_run *run;
	int sig;
};

static void *watchdog_thread(void *arg)
{
	struct watchdog *w = arg;

	pthread_mutex_lock(&w->lock);
	while (!w->done) {
		if (w->fired) {                  /* until re-armed or done */
			pthread_cond_wait(&w->cond, &w->lock);
			continue;
		}
		int r = pthread_cond_timedwait(&w->cond, &w->lock, &w->deadline);
		struct timespec t;

		clock_gettime(CLOCK_MONOTONIC, &t);
		if (r == ETIMEDOUT && !w->done &&
		    (t.tv_sec > w->deadline.tv_sec ||
		     (t.tv_sec == w->deadline.tv_sec && t.tv_nsec >= w->deadline.tv_nsec))) {
			w->fired = true;
			__atomic_store_n(&w->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
			pthread_kill(w->target, w->sig);
		}
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

static void watchdog_arm(struct watchdog *w, unsigned ms)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_sec += ms / 1000;
	t.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (t.tv_nsec >= NSEC_PER_SEC)
		t.tv_sec++, t.tv_nsec -= NSEC_PER_SEC;
	pthread_mutex_lock(&w->lock);
	w->deadline = t;
	w->fired = false;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

static bool watchdog_fired(struct watchdog *w)
{
	pthread_mutex_lock(&w->lock);
	bool f = w->fired;
	pthread_mutex_unlock(&w->lock);
	return f;
}

static int probe_fail(struct hc_probe *p, const char *call)
{
	int e = errno;

	pvhv_err(call);
	p->result = HC_PROBE_ERROR;
	snprintf(p->detail, sizeof(p->detail), "%s: errno %d (%s)", call, e, strerror(e));
	return -1;
}

/* KVM_RUN until an exit that is not a stray signal; false when the
 * watchdog ended it (or KVM_RUN failed: p says which). */
static bool probe_run(int fd, struct watchdog *w, struct hc_probe *p)
{
	for (;;) {
		if (ioctl(fd, KVM_RUN, 0) == 0)
			return true;
		if ((errno == EINTR || errno == EAGAIN) && !watchdog_fired(w))
			continue;            /* someone else's signal */
		if (errno == EINTR || errno == EAGAIN) {
			p->result = HC_PROBE_TIMEOUT;
			return false;
		}
		probe_fail(p, "ioctl KVM_RUN of the hypercall probe");
		return false;
	}
}

/* Re-enter after a kick that was not the verdict. */
static void watchdog_rearm(struct watchdog *w, struct kvm_run *run, unsigned ms)
{
	__atomic_store_n(&run->immediate_exit, 0, __ATOMIC_SEQ_CST);
	watchdog_arm(w, ms);
}

static uint64_t emulated_and_exits(const struct kstats *ks)
{
	struct vcpu_stats s = { { 0 } };

	kstats_read(ks, &s);
	return s.count[PVHV_STAT_KVM_INSN_EMULATION] + s.count[PVHV_STAT_KVM_EXITS];
}

/*
 * The KVM_RUN that runs the hypercall, in windows of PROBE_WINDOW_MS up to
 * timeout_ms. A window that ends with RIP still at the hypercall after
 * KVM took PROBE_SPIN_EVENTS exits and emulated instructions is PVM
 * re-executing it (~3000 per ms there; a handled hypercall is one exit):
 * the verdict comes then, not after the whole timeout. true when the
 * hypercall returned (the next exit is in run, p->hc_us its time).
 */
static bool probe_hypercall(int fd, struct watchdog *w, unsigned timeout_ms,
			    struct hc_probe *p)
{
	struct kstats ks;
	bool have_stats = kstats_open(&ks, fd) == 0;
	uint64_t events0 = have_stats ? emulated_and_exits(&ks) : 0;
	double t0 = now_us(), waited = 0;
	bool done = false;

	watchdog_rearm(w, w->run, PROBE_WINDOW_MS);
	for (;;) {
		if (probe_run(fd, w, p)) {
			p->hc_us = now_us() - t0;
			done = true;
			break;
		}
		if (p->result != HC_PROBE_TIMEOUT)
			break;                       /* KVM_RUN failed: said */
		waited = now_us() - t0;
		struct kvm_regs r;
		uint64_t events = have_stats ? emulated_and_exits(&ks) - events0 : 0;
		if (have_stats && events >= PROBE_SPIN_EVENTS &&
		    ioctl(fd, KVM_GET_REGS, &r) == 0 && r.rip == INSN_OFF) {
			p->result = HC_PROBE_SPINNING;
			p->spin_events = events;
			p->spin_ms = waited / 1000;
			break;
		}
		if (waited >= timeout_ms * 1000.0)
			break;                       /* HC_PROBE_TIMEOUT */
		watchdog_rearm(w, w->run, PROBE_WINDOW_MS);
	}
	if (have_stats)
		kstats_close(&ks);
	return done;
}

/* What an exit that is not the expected OUT means. */
static void probe_odd_exit(struct kvm_run *run, const char *when, struct hc_probe *p)
{
	p->result = HC_PROBE_FAULT;
	if (run->exit_reason == KVM_EXIT_SHUTDOWN)
		snprintf(p->detail, sizeof(p->detail), "%s: the vCPU shut down (an exception)",
			 when);
	else if (run->exit_reason == KVM_EXIT_INTERNAL_ERROR)
		snprintf(p->detail, sizeof(p->detail), "%s: KVM_EXIT_INTERNAL_ERROR suberror %u",
			 when, run->internal.suberror);
	else if (run->exit_reason == KVM_EXIT_IO)
		snprintf(p->detail, sizeof(p->detail), "%s: KVM_EXIT_IO at port %#x", when,
			 run->io.port);
	else
		snprintf(p->detail, sizeof(p->detail), "%s: exit reason %u", when,
			 run->exit_reason);
}

static bool is_out(const struct kvm_run *run, size_t run_size, uint16_t port, uint32_t *val)
{
	if (run->exit_reason != KVM_EXIT_IO || run->io.port != port ||
	    run->io.direction != KVM_EXIT_IO_OUT || run->io.size != 4 || run->io.count != 1 ||
	    run->io.data_offset + 4ull > run_size)
		return false;
	memcpy(val, (const uint8_t *)run + run->io.data_offset, 4);
	return true;
}

/* The probe's VM, its vCPU and the two KVM_RUNs; p->result set. */
static void probe_vm(int kvm_fd, unsigned timeout_ms, int sig, struct hc_probe *p)
{
	struct watchdog w = { .lock = PTHREAD_MUTEX_INITIALIZER, .sig = sig,
			      .target = pthread_self() };
	pthread_condattr_t ca;
	pthread_t wt;
	bool wt_started = false;
	uint8_t *mem = MAP_FAILED;
	struct kvm_run *run = MAP_FAILED;
	int vm_fd = -1, vcpu_fd = -1, run_size = 0;
	uint32_t val;

	vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	if (vm_fd < 0) {
		probe_fail(p, "ioctl KVM_CREATE_VM of the hypercall probe");
		goto out;
	}
	if (ioctl(vm_fd, KVM_SET_TSS_ADDR, PROBE_TSS_GPA) < 0) {
		probe_fail(p, "ioctl KVM_SET_TSS_ADDR of the hypercall probe");
		goto out;
	}
	mem = mmap(NULL, PROBE_MEM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		probe_fail(p, "mmap of the hypercall probe's page");
		goto out;
	}
	memcpy(mem, probe_code, sizeof(probe_code));
	if (!strcmp(p->insn, "VMMCALL"))
		mem[INSN_OFF + 2] = 0xd9;         /* 0f 01 d9 */
	struct kvm_userspace_memory_region region = {
		.slot = 0, .guest_phys_addr = 0, .memory_size = PROBE_MEM,
		.userspace_addr = (uintptr_t)mem,
	};
	if (ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
		probe_fail(p, "ioctl KVM_SET_USER_MEMORY_REGION of the hypercall probe");
		goto out;
	}
	vcpu_fd = ioctl(vm_fd, KVM_CREATE_VCPU, 0ul);
	if (vcpu_fd < 0) {
		probe_fail(p, "ioctl KVM_CREATE_VCPU of the hypercall probe");
		goto out;
	}
	run_size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (run_size < (int)sizeof(*run)) {
		probe_fail(p, "ioctl KVM_GET_VCPU_MMAP_SIZE of the hypercall probe");
		goto out;
	}
	run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu_fd, 0);
	if (run == MAP_FAILED) {
		probe_fail(p, "mmap of the hypercall probe's kvm_run");
		goto out;
	}
	struct kvm_sregs sregs;
	struct kvm_regs regs = { .rip = 0, .rflags = RFLAGS_RESERVED };
	if (ioctl(vcpu_fd, KVM_GET_SREGS, &sregs) < 0) {
		probe_fail(p, "ioctl KVM_GET_SREGS of the hypercall probe");
		goto out;
	}
	sregs.cs.base = 0, sregs.cs.selector = 0;
	sregs.idt.limit = 0;                  /* any exception: a shutdown exit */
	if (ioctl(vcpu_fd, KVM_SET_SREGS, &sregs) < 0) {
		probe_fail(p, "ioctl KVM_SET_SREGS of the hypercall probe");
		goto out;
	}
	if (ioctl(vcpu_fd, KVM_SET_REGS, &regs) < 0) {
		probe_fail(p, "ioctl KVM_SET_REGS of the hypercall probe");
		goto out;
	}

	w.run = run;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w.cond, &ca);
	pthread_condattr_destroy(&ca);
	watchdog_arm(&w, timeout_ms);        /* the first entry gets its own window */
	int err = pthread_create(&wt, NULL, watchdog_thread, &w);
	if (err) {
		pvhv_err_num("pthread_create of the hypercall probe's watchdog", err);
		p->result = HC_PROBE_ERROR;
		snprintf(p->detail, sizeof(p->detail), "no watchdog thread: errno %d", err);
		goto out;
	}
	wt_started = true;
	if (!probe_run(vcpu_fd, &w, p)) {
		if (p->result == HC_PROBE_TIMEOUT) {
			p->result = HC_PROBE_FAULT;
			snprintf(p->detail, sizeof(p->detail), "the vCPU did not start within %u ms",
				 timeout_ms);
		}
		goto out;
	}
	if (!is_out(run, (size_t)run_size, PROBE_PORT_READY, &val)) {
		probe_odd_exit(run, "before the hypercall", p);
		goto out;
	}
	if (!probe_hypercall(vcpu_fd, &w, timeout_ms, p))
		goto out;                     /* PVM's spinning hypercall, or worse */
	if (!is_out(run, (size_t)run_size, PROBE_PORT_RESULT, &val)) {
		probe_odd_exit(run, "at the hypercall", p);
		goto out;
	}
	p->result = HC_PROBE_RETURNED;
	p->ret = (int32_t)val;
out:
	if (wt_started) {
		pthread_mutex_lock(&w.lock);
		w.done = true;
		pthread_cond_signal(&w.cond);
		pthread_mutex_unlock(&w.lock);
		pthread_join(wt, NULL);
		pthread_cond_destroy(&w.cond);
	}
	if (run != MAP_FAILED)
		munmap(run, (size_t)run_size);
	if (vcpu_fd >= 0)
		close(vcpu_fd);
	if (vm_fd >= 0)
		close(vm_fd);
	if (mem != MAP_FAILED)
		munmap(mem, PROBE_MEM);
}

void kvm_hc_probe(int kvm_fd, unsigned timeout_ms, int sig, struct hc_probe *p)
{
	unsigned int a, b, c, d;
	char vendor[12] = { 0 };
	double t0 = now_us();

	memset(p, 0, sizeof(*p));
	p->timeout_ms = timeout_ms;
	__cpuid(0, a, b, c, d);
	memcpy(vendor, &b, 4), memcpy(vendor + 4, &d, 4), memcpy(vendor + 8, &c, 4);
	p->insn = hc_insn_for_vendor(vendor);
	probe_vm(kvm_fd, timeout_ms, sig, p);
	p->cost_us = now_us() - t0;
}
