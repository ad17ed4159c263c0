/*
 * kvm.h - the VM (kvm.c) and its vCPUs (kvm-cpu.c) on /dev/kvm, and the
 * arch hooks the generic code calls (x86.c), named kvmtool style:
 * kvm__arch_* for the VM, kvm_cpu__* and kvm_cpu__arch_* for a vCPU.
 */
#ifndef PVHV_KVM_H
#define PVHV_KVM_H

#include <linux/kvm.h>
#include <signal.h>

#include <abi/kvm_para.h>

#include "pvhv.h"
#include "cpl3.h"
#include "stats.h"

#define KVM_API_VERSION_WANTED 12

/* Older headers lack these: the values of Linux's uapi (5.19 and later),
 * include/uapi/linux/kvm.h and arch/x86/include/uapi/asm/kvm.h. */
#ifndef KVM_CAP_DISABLE_QUIRKS2
#define KVM_CAP_DISABLE_QUIRKS2           213
#endif
#ifndef KVM_X86_QUIRK_FIX_HYPERCALL_INSN
#define KVM_X86_QUIRK_FIX_HYPERCALL_INSN  (1 << 5)
#endif
#define QUIRK_NOTE_MAX                    160

#ifndef KVM_CAP_ENFORCE_PV_FEATURE_CPUID
#define KVM_CAP_ENFORCE_PV_FEATURE_CPUID  190
#endif

#define PVHV_KVM_DEV_DEFAULT "/dev/kvm"
#define SIG_KICK             SIGUSR1     /* pulls a vCPU thread out of KVM_RUN */

/* --kvm-hypercalls: whether to offer KVM's hypercall-based features. */
enum hc_mode { HC_MODE_AUTO, HC_MODE_ON, HC_MODE_OFF };
#define HC_MODE_NAMES        "auto|on|off"
#define HC_PROBE_TIMEOUT_MS  200
#define HC_NOTE_MAX          256

struct vm_config {
	const char *kernel;
	const char *kvm_dev;         /* the KVM device (--kvm-dev; tests name a missing one) */
	const char *cmdline;
	const char *initrd;          /* --initrd: module 0 of the start info, or NULL */
	uint64_t mem_mib;
	int smp;
	double timeout;              /* seconds, 0 = none */
	bool stats;
	const char *stats_json;
	bool kvm_pv;                 /* show KVM's paravirt leaves */
	bool pv;                     /* show pvhv's own leaves and ports */
	enum hc_mode kvm_hypercalls; /* offer KVM's hypercall features: probe, yes, no */
	const char *bad_start_info;  /* tests: break the start info (loader.c) */
	bool deprivileged;           /* run the kernel at CPL 3 (kvm-cpl3.c) */
};

struct vm;

struct vcpu {
	struct vm *vm;
	int index;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool thread_started;
	struct pvhv_cpu hv;          /* its pvhv page (doorbell.c) */
	struct vcpu_stats st;        /* written only by this vCPU's thread */
	struct kstats ks;
};

struct vm {
	struct vm_config cfg;
	int kvm_fd, vm_fd;
	size_t run_size;
	struct guest_mem mem;
	struct kernel_image ki;
	uint64_t start_info;
	struct kvm_cpuid2 *supported;   /* KVM_GET_SUPPORTED_CPUID */
	uint32_t tsc_khz;
	char quirk_note[QUIRK_NOTE_MAX];   /* what became of KVM's vmcall rewriting */
	uint32_t kvm_hidden;         /* KVM feature bits pvhv hides (kvm-hc.c) */
	uint32_t kvm_host_features;  /* KVM's own 0x40000001 EAX */
	char hc_note[HC_NOTE_MAX];   /* the --stats line of the hypercall features */
	bool enforce_pv;             /* KVM_CAP_ENFORCE_PV_FEATURE_CPUID on each vCPU */
	char enforce_note[HC_NOTE_MAX];
	int nr_vcpus;
	struct vcpu vcpus[PVHV_MAX_VCPUS];
	struct uart uart;
	pthread_mutex_t uart_lock;
	struct pcdev pc;
	struct hc_env env;
	struct cpl3_layout lay;      /* --deprivileged: the top of RAM */
	struct cpl3_vm cpl3;         /* ... the mode's state */
	bool cpl3_ready;             /* cpl3 initialised: cpl3_free at the end */
	bool irq_failed;             /* KVM_IRQ_LINE failed once: said once */
	bool msi_failed;             /* KVM_SIGNAL_MSI failed once: said once */
	double t_start;
	/* stopping: the first vm_stop() wins */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stopping;
	int status;
	char reason[192];
};

/* kvm_run_vm - create the VM described by cfg, boot cfg->kernel, run it to
 * its end; returns the exit status (the guest's, or PVHV_EXIT_*). */
int kvm_run_vm(const struct vm_config *cfg, double t_start);

/* vm_stop - end the VM with `status` (the first call wins); any thread. */
void vm_stop(struct vm *vm, int status, const char *reason);

/* vm_stopping - has vm_stop() been called (or the timeout come)? */
bool vm_stopping(struct vm *vm);

/* ---- a vCPU (kvm-cpu.c) ---- */

/* kvm_cpu__init - create vCPU `i` of vm, map its kvm_run, set it up (the
 * arch hook); 0, or -1 after a message. */
int kvm_cpu__init(struct vm *vm, int i);

/* kvm_cpu__fatal - say `what` about v, dump its registers, end the VM
 * with PVHV_EXIT_FAULT. From v's thread. */
void kvm_cpu__fatal(struct vcpu *v, const char *what);

/* kvm_cpu__msr - read (write false) or write one MSR of the vCPU whose fd
 * is `fd` (KVM_GET_MSRS/KVM_SET_MSRS). 0, or -1 with errno set (EINVAL
 * when KVM did not take it). */
int kvm_cpu__msr(int fd, bool write, uint32_t index, uint64_t *val);

/* kvm_cpu__thread - the vCPU's thread (arg: its struct vcpu): KVM_RUN and
 * the exit switch until the VM stops. */
void *kvm_cpu__thread(void *arg);


/* ---- KVM's hypercall features (kvm-hc.c) ---- */

/* The KVM features that are hypercalls (KICK_CPU, SEND_IPI, SCHED_YIELD):
 * offered only where the host's KVM handles hypercalls. */
#define KVM_HC_FEATURES  ((1u << KVM_FEATURE_PV_UNHALT) | (1u << KVM_FEATURE_PV_SEND_IPI) | \
			  (1u << KVM_FEATURE_PV_SCHED_YIELD))
/* Never offered: KVM hands them to the VMM (KVM_CAP_EXIT_HYPERCALL, an
 * MSR filter), and pvhv does not handle them. */
#define KVM_VMM_FEATURES ((1u << KVM_FEATURE_HC_MAP_GPA_RANGE) | \
			  (1u << KVM_FEATURE_MIGRATION_CONTROL))
/* The probe's hypercall number: none KVM knows ("PVH?"). */
#define PROBE_HC_NR      0x3f485650u

struct hc_probe {
	enum {
		HC_PROBE_NOT_RUN,
		HC_PROBE_RETURNED,      /* the hypercall returned `ret` */
		HC_PROBE_TIMEOUT,       /* it did not return within timeout_ms */
		HC_PROBE_SPINNING,      /* KVM re-ran it spin_events times, RIP stuck */
		HC_PROBE_FAULT,         /* the vCPU did something else (`detail`) */
		HC_PROBE_ERROR,         /* the probe could not run (`detail`) */
	} result;
	const char *insn;            /* "VMCALL" or "VMMCALL" */
	int32_t ret;                 /* EAX after the hypercall */
	unsigned timeout_ms;
	double hc_us;                /* the KVM_RUN that ran the hypercall */
	uint64_t spin_events;        /* SPINNING: KVM's exits + emulated insns */
	double spin_ms;              /* ... in this long */
	double cost_us;              /* the whole probe, VM creation to verdict */
	char detail[128];
};

/* hc_mode_parse - "auto", "on" or "off" into *mode; 0, or -1 for anything
 * else (*mode unchanged). Pure. */
int hc_mode_parse(const char *s, enum hc_mode *mode);

/* hc_insn_for_vendor - the hypercall instruction of the CPU whose CPUID 0
 * vendor string (12 bytes) is `vendor`: "VMMCALL" on AMD and Hygon,
 * "VMCALL" on the rest. Pure. */
const char *hc_insn_for_vendor(const char vendor[12]);

/*
 * kvm_hc_probe - does this host's KVM handle hypercalls? Runs the vendor's
 * instruction with PROBE_HC_NR in a throwaway VM on kvm_fd, bounded by
 * timeout_ms per KVM_RUN (a watchdog thread sends `sig`, whose handler the
 * caller installed without SA_RESTART, to the calling thread), sooner
 * when KVM's statistics show the vCPU re-running the instruction. Fills *p;
 * never hangs and never fails pvhv: an error becomes HC_PROBE_ERROR after
 * a pvhv_err() message.
 */
void kvm_hc_probe(int kvm_fd, unsigned timeout_ms, int sig, struct hc_probe *p);

/*
 * hc_decide - which of KVM_HC_FEATURES pvhv offers: all of them when mode
 * is on, or when auto and the probe saw the hypercall return -KVM_ENOSYS;
 * none otherwise (and none without KVM's leaves, !kvm_pv). `why` (len
 * bytes) says "offered (...)" or "hidden (...)" and why. Pure.
 */
uint32_t hc_decide(enum hc_mode mode, bool kvm_pv, const struct hc_probe *p,
		   char *why, size_t len);

/* kvm_features_hidden - the KVM feature bits to clear, given the
 * hypercall features offered (hc_decide). Pure. */
uint32_t kvm_features_hidden(uint32_t hc_offered);

/* kvm_feature_names - the names of `bits` (KVM_FEATURE_*), space-separated
 * ("bitN" for an unnamed one); as many whole names as fit in len. Pure. */
void kvm_feature_names(uint32_t bits, char *buf, size_t len);

/* hc_stats_line - the --stats line: "pvhv: KVM hypercall features NAMES:
 * WHY", with what the host (KVM's 0x40000001 EAX `host_eax`) lacks. Pure. */
void hc_stats_line(char *buf, size_t len, uint32_t host_eax, const char *why);

/*
 * enforce_pv_decide - enable KVM_CAP_ENFORCE_PV_FEATURE_CPUID? `offered`
 * is KVM_CHECK_EXTENSION's answer, `release` the host's uname release, pv
 * whether pvhv's own leaves sit at 0x40000000 (then KVM must find its
 * leaves by signature: Linux 5.17 on). `note` says which. Pure.
 */
bool enforce_pv_decide(int offered, const char *release, bool pv, char *note, size_t len);

/* ---- deprivileged mode (kvm-cpl3.c) ---- */

/*
 * kvm__cpl3_boot - after the image and start info (vm->lay set): the
 * monitor region, the initial tables pinned through the validator, the
 * start record, and the hypercall hooks in vm->env. 0, or -1 after a
 * message (a pvhv bug: exit 70).
 */
int kvm__cpl3_boot(struct vm *vm);

/* kvm_cpu__cpl3_setup - the boot vCPU's CPL-3 start (cpl3_vcpu_setup).
 * 0, or -1 after a message. */
int kvm_cpu__cpl3_setup(struct vcpu *v);

/* ---- arch hooks (x86.c) ---- */

/* kvm__arch_init - the VM-wide machine: TSS, in-kernel irqchip with the
 * 8259s masked, the PIT, the CPUID KVM supports. 0, or -1 after a message. */
int kvm__arch_init(struct vm *vm);

/*
 * hypercall_quirk_mask - KVM_X86_QUIRK_FIX_HYPERCALL_INSN makes KVM rewrite
 * a guest's vmcall into vmmcall on AMD (and back on Intel) in guest
 * memory: in pvk's read-only text that write is a page fault. From
 * KVM_CHECK_EXTENSION(KVM_CAP_DISABLE_QUIRKS2)'s answer `offered` (the
 * quirks this host lets a VM disable; <= 0 none), the mask to hand
 * KVM_ENABLE_CAP: that quirk's bit when offered, else 0. `note` (len
 * bytes) says which, for --stats. Pure.
 */
uint64_t hypercall_quirk_mask(int offered, char *note, size_t len);

/*
 * gsi_routes_build - the in-kernel irqchip's GSI routing as a PC's (and
 * QEMU's): GSI 0-15 to the 8259s' pins (not the cascade, 2), GSI 0-23 to
 * the IO-APIC's pins, except that GSI 0 (ISA IRQ 0, the PIT) goes to pin
 * 2, as the MADT's interrupt source override says. Writes GSI_ROUTES
 * entries; returns the count, or -1 when max is smaller. Pure.
 */
#define PIC_PINS    8                /* per 8259; two, the slave on pin 2 */
#define GSI_ROUTES  (2 * PIC_PINS - 1 + KVM_IOAPIC_NUM_PINS - 1)
int gsi_routes_build(struct kvm_irq_routing_entry *e, int max);

/* kvm__arch_msi - the MSI that delivers `vector` to the local APIC
 * `apic_id`: fixed delivery, physical destination, edge. Pure. */
void kvm__arch_msi(struct kvm_msi *msi, uint32_t apic_id, uint32_t vector);

/* kvm_cpu__arch_init - one vCPU's CPUID (APIC ID, pvhv and KVM leaves),
 * FPU; and for vCPU 0 the PVH entry state. 0, or -1 after a message. */
int kvm_cpu__arch_init(struct vcpu *v);

/* kvm_cpu__arch_dump - registers, segments and the code bytes at RIP.
 * Call from the vCPU's thread or when it is not running. */
void kvm_cpu__arch_dump(struct vcpu *v, FILE *f);

/*
 * cpuid_build - the CPUID table for vCPU `apic_id` from KVM's supported
 * one: APIC ID in leaf 1 EBX[31:24] and leaves 0xB/0x1F EDX, the
 * hypervisor bit, the TSC rate in leaf 0x15, pvhv's leaves at 0x40000000
 * (pv) with KVM's moved to 0x40000100 (kvm_pv), the KVM feature bits
 * `kvm_hidden` cleared (kvm_features_hidden()), a timing leaf for each. Writes at most `max` entries into out; returns the count or
 * -1 when they do not fit. Pure.
 */
int cpuid_build(const struct kvm_cpuid_entry2 *in, int n_in,
		struct kvm_cpuid_entry2 *out, int max, uint32_t apic_id,
		uint32_t tsc_khz, bool kvm_pv, bool pv, uint32_t kvm_hidden);

/*
 * gva_to_gpa - walk the guest's 4-level page tables (cr3) for `gva`;
 * returns 0 and *gpa, or -1 when unmapped or outside RAM. Paging off:
 * gva is the gpa. Pure over guest memory.
 */
int gva_to_gpa(const struct guest_mem *gm, uint64_t cr0, uint64_t cr3,
	       uint64_t cr4, uint64_t efer, uint64_t gva, uint64_t *gpa);

#endif /* PVHV_KVM_H */
