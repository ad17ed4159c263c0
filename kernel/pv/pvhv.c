/*
 * pvhv.c - pvhv, the project's own hypervisor (vmm/, docs/pvhv-abi.md).
 *
 * Found by its CPUID signature; builds on KVM, because pvhv runs on KVM
 * and offers more: when KVM's leaves are there too (moved to 0x40000100)
 * the core runs KVM's init first and pvhv overrides on top of it.
 *
 * A hypercall is one VM exit: the arguments go into this vCPU's shared
 * page, then a 32-bit OUT of the operation number to pvhv's doorbell port
 * (measured cheaper than an MMIO doorbell and as cheap as a user-space MSR
 * exit, within noise, on this host: see the doc); the result is in the
 * page when the OUT retires. Each vCPU registers a page of its own (the
 * boot CPU in init(), each AP in cpu_init), and a call uses the page of
 * the CPU it runs on. The OUT is the op hv.doorbell, and its
 * template (libpvops's out32_dx, `outl %eax,(%dx)`) is pvhv's backend
 * template: the doorbell site holds the one-byte instruction itself. Interrupts are off around the call: an
 * interrupt handler that printed would reuse the page.
 *
 * pvoff=console and pvoff=power keep the UART and isa-debug-exit (and the
 * triple fault) where pvhv offers its own.
 *
 * With more than one CPU, and only where KVM's own feature is not in use
 * (KVM's hypercalls hidden, as on a PVM host, or pvoff= of KVM's name):
 *   kick      the pv spinlock's wait and kick over PVHV_HC_KICK
 *   send_ipi  apic.send_ipi_mask as one PVHV_HC_SEND_IPI
 *   yield     lock.yield_to as PVHV_HC_YIELD
 * each with its pvoff= name. Where KVM's is on, KVM's stays: pvhv's has
 * not been measured better (both are one exit).
 */
#include <cmdline.h>
#include <mm.h>
#include <paravirt.h>
#include <printk.h>
#include <pv/platform.h>
#include <pv/pvhv.h>
#include <pv/kvm.h>
#include <smp_stats.h>
#include <spinlock.h>
#include <trap.h>
#include <asm/irq_vectors.h>
#include <asm/layout.h>
#include <asm/smp.h>
#include <asm/tsc.h>

static u32 pvhv_base, pvhv_features, pvhv_ports;
static bool pvhv_page_ok;              /* the boot CPU's: pvhv is in use */
static cpumask_t pvhv_pages_ok;         /* the CPUs whose page pvhv took */
static bool use_console, use_power;     /* offered, and not pvoff= */
static struct pvhv_vcpu_page pvhv_pages[SMP_MAX_CPUS]
	__attribute__((aligned(PVHV_PAGE_SIZE)));
static u16 pvhv_doorbell_port;
/* the doorbell as an inline OUT (hv.doorbell): pvhv's patch template */
static struct pv_backend_tmpl pvhv_tmpls[1];
static struct pv_platform_backend pvhv_backend;
/* the ops pvhv replaces, for when a call is refused */
static void (*fallback_power_off)(int status) __attribute__((__noreturn__));
static void (*fallback_reboot)(void) __attribute__((__noreturn__));
static void (*fallback_console_write)(const char *buf, size_t len);
static void (*fallback_send_ipi_mask)(cpumask_t mask, u32 vector);
/* what became of each SMP feature (pvhv_smp_state), and its counters */
static enum pvhv_smp_state smp_state[PVHV_SMP_NR];
struct pvhv_smp_stats pvhv_smp_stats;

static inline void pvhv_out32(u16 port, u32 v)
{
	/* "memory": pvhv reads the page before and writes it during the OUT */
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

static inline u32 pvhv_in32(u16 port)
{
	u32 v;

	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}

s64 pvhv_call(u32 op, u64 a0, u64 a1, u64 a2)
{
	struct pvhv_vcpu_page *page;
	unsigned long flags;
	int cpu;
	s64 ret;

	flags = arch_local_irq_save();          /* and stay on this CPU */
	cpu = smp_processor_id();
	if (!(__atomic_load_n(&pvhv_pages_ok, __ATOMIC_ACQUIRE) & (1u << cpu))) {
		arch_local_irq_restore(flags);
		return -PVHV_ENOSYS;
	}
	page = &pvhv_pages[cpu];
	page->args[0] = a0;
	page->args[1] = a1;
	page->args[2] = a2;
	pv_doorbell(op, pvhv_doorbell_port);    /* "memory": pvhv writes the page */
	ret = READ_ONCE(page->ret);
	arch_local_irq_restore(flags);
	return ret;
}

static bool pvhv_detect(void)
{
	pvhv_base = hypervisor_cpuid_base(PVHV_SIGNATURE);
	return pvhv_base != 0;
}

/* Is [buf, buf+len) in the linear map, where __pa() is valid? (A panic
 * must not BUG in its own console.) */
static bool in_linear_map(const char *buf, size_t len)
{
	u64 off = (u64)buf - KERNEL_VMA;

	return (u64)buf >= KERNEL_VMA && off < MM_MAP_LIMIT && len <= MM_MAP_LIMIT - off;
}

/* The console in PVHV_CONSOLE_MAX chunks, one hypercall each; a buffer
 * outside the linear map goes to the op this one replaced. */
static void pvhv_console_write(const char *buf, size_t len)
{
	if (!in_linear_map(buf, len)) {
		fallback_console_write(buf, len);
		return;
	}
	while (len) {
		size_t n = len < PVHV_CONSOLE_MAX ? len : PVHV_CONSOLE_MAX;

		pvhv_call(PVHV_HC_CONSOLE_WRITE, __pa(buf), n, 0);
		buf += n;
		len -= n;
	}
}

/* Power off with `status` (clamped to pvhv's range); a refused call
 * falls back to the op this one replaced. */
static noreturn void pvhv_power_off(int status)
{
	pvhv_call(PVHV_HC_POWER_OFF, (u64)(status < 0 || status > PVHV_STATUS_MAX
					   ? PVHV_STATUS_MAX : status), 0, 0);
	fallback_power_off(status);
}

/* pvhv ends the VM with a reboot status; else the op this one replaced. */
static noreturn void pvhv_reboot(void)
{
	pvhv_call(PVHV_HC_REBOOT, 0, 0, 0);
	fallback_reboot();
}

/* Register `cpu`'s page, on that CPU: its frame number OUT, the result
 * IN. True when pvhv took it. */
static bool pvhv_register_page(int cpu)
{
	u16 port = (u16)(pvhv_ports + (PVHV_PORT_REGISTER - PVHV_PORT_BASE));
	struct pvhv_vcpu_page *page = &pvhv_pages[cpu];

	pvhv_out32(port, (u32)(__pa(page) >> PVHV_PAGE_SHIFT));
	if (pvhv_in32(port) != 0 || READ_ONCE(page->magic) != PVHV_PAGE_MAGIC)
		return false;
	__atomic_fetch_or(&pvhv_pages_ok, 1u << cpu, __ATOMIC_RELEASE);
	return true;
}

/* Does pvhv offer feature bit `bit`, and did pvoff= leave `name` on? */
static bool offered(u32 bit, const char *name)
{
	return (pvhv_features & bit) && !pv_feature_off(name);
}

/* --- SMP: the pv spinlock's wait and kick, send-IPI, yield -------------- */

/*
 * lock.wait: halt while *ptr == val. PVHV_HC_KICK wakes a vCPU only by
 * injecting an interrupt (PV_KICK_VECTOR), so the halt must take
 * interrupts whatever the caller's flags: look with them off, then
 * safe_halt (sti; hlt: the sti's shadow keeps a kick that came after the
 * look pending until the hlt, which it then ends), then the caller's
 * flags back. Replaces qspinlock_native_wait's spinning: a halted vCPU
 * gives its host CPU to the vCPU it waits for. An interrupt taken in the
 * halt runs its handler here, as it would while a native waiter spins
 * with interrupts on (the queue has a node per nesting level).
 */
void pvhv_lock_wait(u8 *ptr, u8 val)
{
	unsigned long flags = arch_local_irq_save();

	if (READ_ONCE(*ptr) == val) {
		smp_stats_add(&pvhv_smp_stats.halts, 1);
		safe_halt();
	}
	arch_local_irq_restore(flags);
}

/*
 * lock.kick: wake cpu from pvhv_lock_wait's halt, one PVHV_HC_KICK of
 * PV_KICK_VECTOR to its vCPU. Replaces nothing natively (a spinning
 * waiter needs no wake-up). A refused call (the target's page not
 * registered) sends the same vector as an ordinary IPI: a kick must not
 * be lost, or the waiter halts for good.
 */
void pvhv_lock_kick(int cpu)
{
	smp_stats_add(&pvhv_smp_stats.kicks, 1);
	if (pvhv_call(PVHV_HC_KICK, pvhv_vcpu_of(cpu), PV_KICK_VECTOR, 0) < 0) {
		smp_stats_add(&pvhv_smp_stats.kicks_refused, 1);
		apic_send_ipi(percpu[cpu].apic_id, PV_KICK_VECTOR);
	}
}

/* PV_KICK_VECTOR: the kick has done its work by ending the halt. */
static void pv_kick_irq(void)
{
	apic_eoi();
}

/*
 * apic.send_ipi_mask: one PVHV_HC_SEND_IPI for every target whose pvhv
 * vCPU number lies within 64 of the lowest one (the call's mask), instead
 * of one ICR write per target (each an exit). CPUs beyond that, without
 * a registered page, and all of them when pvhv refuses the call, go to
 * the op this one replaced.
 */
void pvhv_send_ipi_mask(cpumask_t mask, u32 vector)
{
	u32 first = PVHV_ALL_VCPUS;
	cpumask_t in = 0, rest = 0;
	u64 bits = 0;
	s64 r;

	for (cpumask_t m = mask; m; m &= m - 1)
		if (pvhv_vcpu_of(__builtin_ctz(m)) < first)
			first = pvhv_vcpu_of(__builtin_ctz(m));
	for (cpumask_t m = mask; m; m &= m - 1) {
		int cpu = __builtin_ctz(m);
		u32 v = pvhv_vcpu_of(cpu);

		if (v != PVHV_ALL_VCPUS && v - first < PVHV_IPI_MASK_BITS) {
			bits |= 1ull << (v - first);
			in |= 1u << cpu;
		} else {
			rest |= 1u << cpu;
		}
	}
	if (in) {
		r = pvhv_call(PVHV_HC_SEND_IPI, bits, first, vector);
		smp_stats_add(&smp_stats.ipi_hcalls, 1);
		if (r < 0)
			rest |= in;            /* nothing delivered: the ICR way */
		else
			smp_stats_add(&smp_stats.ipi_hcall, (u64)r);
	}
	if (rest)
		fallback_send_ipi_mask(rest, vector);
}

/*
 * lock.yield_to: pvhv gives this vCPU's host CPU up (sched_yield), so the
 * preempted vCPU of `cpu` may run, instead of this one spinning out its
 * time slice (native: nobody to ask, the op is NOPs).
 */
void pvhv_yield_to(int cpu)
{
	smp_stats_add(&smp_stats.yield_hcalls, 1);
	pvhv_call(PVHV_HC_YIELD, pvhv_vcpu_of(cpu), 0, 0);
}

/* What feature `f` (pvhv's `bit`, pvoff= `name`, KVM's twin `kvm`) gets. */
static enum pvhv_smp_state smp_decide(u32 bit, const char *name, enum kvm_feat kvm)
{
	if (!(pvhv_features & bit))
		return PVHV_SMP_ABSENT;
	if (pv_feature_off(name))
		return PVHV_SMP_OFF;
	if (kvm_feature(kvm) == KVM_ON)
		return PVHV_SMP_KVM;
	if (smp_cpus_found <= 1)
		return PVHV_SMP_OFFERED;
	return PVHV_SMP_ON;
}

static void pvhv_smp_init(void)
{
	smp_state[PVHV_SMP_KICK] = smp_decide(PVHV_FEAT_KICK, "kick", KVM_F_PV_UNHALT);
	smp_state[PVHV_SMP_SEND_IPI] = smp_decide(PVHV_FEAT_SEND_IPI, "send_ipi",
						  KVM_F_PV_SEND_IPI);
	smp_state[PVHV_SMP_YIELD] = smp_decide(PVHV_FEAT_YIELD, "yield", KVM_F_PV_SCHED_YIELD);
	if (smp_state[PVHV_SMP_SEND_IPI] == PVHV_SMP_ON && !pv_ops.apic.send_ipi_mask)
		smp_state[PVHV_SMP_SEND_IPI] = PVHV_SMP_ABSENT;    /* no local APIC */
	if (smp_state[PVHV_SMP_KICK] == PVHV_SMP_ON) {
		irq_register(PV_KICK_VECTOR, pv_kick_irq);
		PV_PLAN("pvhv", "kick", lock.wait, pvhv_lock_wait, NULL);
		PV_PLAN("pvhv", "kick", lock.kick, pvhv_lock_kick, NULL);
		PV_PLAN("pvhv", "kick", lock.queued_spin_lock_slowpath,
			pv_queued_spin_lock_slowpath, NULL);
		PV_PLAN("pvhv", "kick", lock.spin_unlock, __pv_cs_pv_queued_spin_unlock, NULL);
	}
	if (smp_state[PVHV_SMP_SEND_IPI] == PVHV_SMP_ON) {
		fallback_send_ipi_mask = pv_ops.apic.send_ipi_mask;
		PV_PLAN("pvhv", "send_ipi", apic.send_ipi_mask, pvhv_send_ipi_mask, NULL);
	}
	if (smp_state[PVHV_SMP_YIELD] == PVHV_SMP_ON)
		PV_PLAN("pvhv", "yield", lock.yield_to, pvhv_yield_to, NULL);
}

static void pvhv_init(void)
{
	struct cpuid_regs r;
	u32 max;

	cpuid(pvhv_base, 0, &r);
	max = r.eax;
	if (max >= pvhv_base + (PVHV_CPUID_FEATURES - PVHV_CPUID_BASE)) {
		cpuid(pvhv_base + (PVHV_CPUID_FEATURES - PVHV_CPUID_BASE), 0, &r);
		pvhv_features = r.eax;
		pvhv_ports = r.ecx;
	}
	if (max >= pvhv_base + (PVHV_CPUID_TIMING - PVHV_CPUID_BASE)) {
		cpuid(pvhv_base + (PVHV_CPUID_TIMING - PVHV_CPUID_BASE), 0, &r);
		tsc_set_khz(r.eax, "pvhv CPUID timing leaf");
	}
	if (!pvhv_ports)
		return;
	pvhv_page_ok = pvhv_register_page(0);
	if (!pvhv_page_ok)
		return;
	/* the doorbell: one OUT, inline at its site, instead of a call */
	pvhv_doorbell_port = (u16)(pvhv_ports + (PVHV_PORT_DOORBELL - PVHV_PORT_BASE));
	pvhv_tmpls[0] = pv_plan_backend(PV_PLAN("pvhv", "page", hv.doorbell,
						pv_hcall_out32_dx, &pv_tmpl_out32_dx));
	pvhv_backend.tmpls = pvhv_tmpls;
	pvhv_backend.nr = ARRAY_SIZE(pvhv_tmpls);
	fallback_power_off = pv_ops.platform.power_off;
	fallback_reboot = pv_ops.platform.reboot;
	fallback_console_write = pv_ops.platform.console_write;
	use_console = offered(PVHV_FEAT_CONSOLE, "console");
	use_power = offered(PVHV_FEAT_POWER, "power");
	if (use_console)
		/* the UART's two exits a byte (IN of LSR, OUT of THR): one a buffer */
		PV_PLAN("pvhv", "console", platform.console_write, pvhv_console_write, NULL);
	if (use_power) {
		/* isa-debug-exit, which QEMU turns into (status << 1) | 1:
		 * the status arrives whole, in the one exit */
		PV_PLAN("pvhv", "power", platform.power_off, pvhv_power_off, NULL);
		/* the triple fault, which pvhv could not tell from a crash,
		 * and which takes an exception's worth of emulation first */
		PV_PLAN("pvhv", "power", platform.reboot, pvhv_reboot, NULL);
	}
	pvhv_smp_init();
}

static const char *const smp_names[PVHV_SMP_NR] = { "kick", "send_ipi", "yield" };
static const char *const smp_kvm_names[PVHV_SMP_NR] = {
	"pv_unhalt", "pv_send_ipi", "pv_sched_yield",
};

static void pvhv_report(void)
{
	printk("pv: pvhv: signature at %#x, ABI features %#x, ports %#x, page %s\n",
	       pvhv_base, pvhv_features, pvhv_ports,
	       pvhv_page_ok ? "registered" : "NOT registered (native console/power)");
	if (!pvhv_page_ok)
		return;
	printk("pv: pvhv: %s%s%s through hypercalls%s%s%s\n",
	       use_console ? "console_write" : "", use_console && use_power ? ", " : "",
	       use_power ? "power_off, reboot" : !use_console ? "nothing" : "",
	       use_console && use_power ? "" : "; native (pvoff=):",
	       use_console ? "" : " console", use_power ? "" : " power");
	for (int f = 0; f < PVHV_SMP_NR; f++) {
		switch (smp_state[f]) {
		case PVHV_SMP_ABSENT:  printk("pv: pvhv: %s absent\n", smp_names[f]); break;
		case PVHV_SMP_OFF:     printk("pv: pvhv: %s off (pvoff)\n", smp_names[f]); break;
		case PVHV_SMP_KVM:
			printk("pv: pvhv: %s not used (KVM's %s is)\n", smp_names[f],
			       smp_kvm_names[f]);
			break;
		case PVHV_SMP_OFFERED:
			printk("pv: pvhv: %s offered (used with SMP)\n", smp_names[f]);
			break;
		case PVHV_SMP_ON:      printk("pv: pvhv: %s on\n", smp_names[f]); break;
		}
	}
}

/* Each AP its own page, where the boot CPU's was taken; a CPU whose page
 * is refused gets -ENOSYS from every call (the ops then fall back). */
static void pvhv_cpu_init(int cpu)
{
	if (pvhv_page_ok && !pvhv_register_page(cpu))
		printk("pv: pvhv: CPU %d: page not registered: its calls fail\n", cpu);
}

static const char *const pvhv_pvoff[] = {
	"console", "power", "kick", "send_ipi", "yield", NULL,
};

PV_PLATFORM(platform_pvhv) = {
	.name = "pvhv",
	.base = "kvm",                 /* KVM's leaves too, when pvhv offers them */
	.priority = PV_PRIO_HYPERVISOR,
	.detect = pvhv_detect,
	.init = pvhv_init,
	.report = pvhv_report,
	.cpu_init = pvhv_cpu_init,
	.features = pvhv_pvoff,
	.backend = &pvhv_backend,
};

bool pvhv_in_use(void)
{
	return pv_platform == &platform_pvhv && pvhv_page_ok;
}

u16 pvhv_doorbell(void)
{
	return pvhv_page_ok ? pvhv_doorbell_port : 0;
}

u32 pvhv_vcpu_id(void)
{
	return pvhv_vcpu_of(smp_processor_id());
}

u32 pvhv_vcpu_of(int cpu)
{
	return pvhv_pages_ok & (1u << cpu) ? READ_ONCE(pvhv_pages[cpu].vcpu) : PVHV_ALL_VCPUS;
}

enum pvhv_smp_state pvhv_smp_feature(enum pvhv_smp f)
{
	return f < PVHV_SMP_NR ? smp_state[f] : PVHV_SMP_ABSENT;
}
