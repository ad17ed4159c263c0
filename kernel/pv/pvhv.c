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
 */
#include <cmdline.h>
#include <mm.h>
#include <paravirt.h>
#include <printk.h>
#include <pv/platform.h>
#include <pv/pvhv.h>
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
}

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
}

/* Each AP its own page, where the boot CPU's was taken; a CPU whose page
 * is refused gets -ENOSYS from every call (the ops then fall back). */
static void pvhv_cpu_init(int cpu)
{
	if (pvhv_page_ok && !pvhv_register_page(cpu))
		printk("pv: pvhv: CPU %d: page not registered: its calls fail\n", cpu);
}

static const char *const pvhv_pvoff[] = { "console", "power", NULL };

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
