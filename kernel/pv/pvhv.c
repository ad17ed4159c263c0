/*
 * pvhv.c - pvhv, the project's own hypervisor (vmm/, docs/pvhv-abi.md).
 *
 * Found by its CPUID signature; ranks above KVM because pvhv runs on KVM
 * and offers more: when KVM's leaves are there too (moved to 0x40000100)
 * KVM's init runs first and pvhv overrides on top of it.
 *
 * A hypercall is one VM exit: the arguments go into this vCPU's shared
 * page, then a 32-bit OUT of the operation number to pvhv's doorbell port
 * (measured cheaper than an MMIO doorbell and as cheap as a user-space MSR
 * exit, within noise, on this host: see the doc); the result is in the
 * page when the OUT retires. Interrupts are off around the call: an interrupt handler that
 * printed would reuse the page.
 */
#include <ktest.h>
#include <mm.h>
#include <paravirt.h>
#include <printk.h>
#include <string.h>
#include <trap.h>
#include <pv/platform.h>
#include <pv/pvhv_abi.h>
#include <asm/apic.h>
#include <asm/tsc.h>
#include <asm/layout.h>

static u32 pvhv_base, pvhv_features, pvhv_ports;
static bool pvhv_page_ok;
static struct pvhv_vcpu_page pvhv_page __attribute__((aligned(PVHV_PAGE_SIZE)));
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

/* pvhv_call - one hypercall: args to the page, op to the doorbell. */
static s64 pvhv_call(u32 op, u64 a0, u64 a1, u64 a2)
{
	unsigned long flags;
	s64 ret;

	if (!pvhv_page_ok)
		return -PVHV_ENOSYS;
	flags = arch_local_irq_save();
	pvhv_page.args[0] = a0;
	pvhv_page.args[1] = a1;
	pvhv_page.args[2] = a2;
	pvhv_out32((u16)(pvhv_ports + (PVHV_PORT_DOORBELL - PVHV_PORT_BASE)), op);
	ret = READ_ONCE(pvhv_page.ret);
	arch_local_irq_restore(flags);
	return ret;
}

static int pvhv_detect(void)
{
	pvhv_base = hypervisor_cpuid_base(PVHV_SIGNATURE);
	return pvhv_base ? 20 : 0;
}

/* Is [buf, buf+len) in the linear map, where __pa() is valid? (A panic
 * must not BUG in its own console.) */
static bool in_linear_map(const char *buf, size_t len)
{
	u64 off = (u64)buf - KERNEL_VMA;

	return (u64)buf >= KERNEL_VMA && off < MM_MAP_LIMIT && len <= MM_MAP_LIMIT - off;
}

/* Replaces the UART's two exits per byte (an IN of LSR, an OUT of THR)
 * by one exit per buffer. */
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

/* Replaces isa-debug-exit: the status arrives whole (QEMU's port turns
 * it into (status << 1) | 1), and a refused call falls back to it. */
static noreturn void pvhv_power_off(int status)
{
	pvhv_call(PVHV_HC_POWER_OFF, (u64)(status < 0 || status > PVHV_STATUS_MAX
					   ? PVHV_STATUS_MAX : status), 0, 0);
	fallback_power_off(status);
}

/* Replaces the triple fault: pvhv ends the VM with a reboot status. */
static noreturn void pvhv_reboot(void)
{
	pvhv_call(PVHV_HC_REBOOT, 0, 0, 0);
	fallback_reboot();
}

/* Register this vCPU's page: its frame number OUT, the result IN. */
static void pvhv_register_page(void)
{
	u16 port = (u16)(pvhv_ports + (PVHV_PORT_REGISTER - PVHV_PORT_BASE));

	pvhv_out32(port, (u32)(__pa(&pvhv_page) >> PVHV_PAGE_SHIFT));
	pvhv_page_ok = pvhv_in32(port) == 0 &&
		       READ_ONCE(pvhv_page.magic) == PVHV_PAGE_MAGIC;
}

static void pvhv_init(void)
{
	struct cpuid_regs r;

	/* KVM's MSR-based features first, when its leaves are there */
	if (platform_kvm.detect() > 0)
		platform_kvm.init();
	cpuid(pvhv_base, 0, &r);
	if (r.eax >= pvhv_base + (PVHV_CPUID_FEATURES - PVHV_CPUID_BASE)) {
		cpuid(pvhv_base + (PVHV_CPUID_FEATURES - PVHV_CPUID_BASE), 0, &r);
		pvhv_features = r.eax;
		pvhv_ports = r.ecx;
	}
	cpuid(pvhv_base, 0, &r);
	if (r.eax >= pvhv_base + (PVHV_CPUID_TIMING - PVHV_CPUID_BASE)) {
		cpuid(pvhv_base + (PVHV_CPUID_TIMING - PVHV_CPUID_BASE), 0, &r);
		tsc_set_khz(r.eax, "pvhv CPUID timing leaf");
	}
	if (!pvhv_ports)
		return;
	pvhv_register_page();
	if (!pvhv_page_ok)
		return;
	fallback_power_off = pv_ops.platform.power_off;
	fallback_reboot = pv_ops.platform.reboot;
	fallback_console_write = pv_ops.platform.console_write;
	if (pvhv_features & PVHV_FEAT_CONSOLE)
		pv_ops.platform.console_write = pvhv_console_write;
	if (pvhv_features & PVHV_FEAT_POWER) {
		pv_ops.platform.power_off = pvhv_power_off;
		pv_ops.platform.reboot = pvhv_reboot;
	}
}

static void pvhv_report(void)
{
	printk("pv: pvhv: signature at %#x, ABI features %#x, ports %#x, page %s\n",
	       pvhv_base, pvhv_features, pvhv_ports,
	       pvhv_page_ok ? "registered" : "NOT registered (native console/power)");
	if (pvhv_page_ok)
		printk("pv: pvhv: console_write, power_off, reboot through hypercalls\n");
}

const struct pv_platform platform_pvhv = {
	.name = "pvhv",
	.detect = pvhv_detect,
	.init = pvhv_init,
	.report = pvhv_report,
};

/* ---- self-tests: the ABI from the guest's side -------------------------- */

static bool on_pvhv(struct ktest_ctx *t)
{
	if (pv_platform == &platform_pvhv && pvhv_page_ok)
		return true;
	KT_SKIP(t, "not on pvhv");
	return false;
}

KTEST(pvhv_hypercall_errors)
{
	static char byte = '\n';

	if (!on_pvhv(t))
		return;
	KT_EXPECT(t, pvhv_call(PVHV_HC_NOP, 0, 0, 0) == 0);
	KT_EXPECT(t, pvhv_call(PVHV_HC_NR, 0, 0, 0) == -PVHV_ENOSYS);
	KT_EXPECT(t, pvhv_call(0xffffffffu, 0, 0, 0) == -PVHV_ENOSYS);
	KT_EXPECT(t, pvhv_call(PVHV_HC_CONSOLE_WRITE, ~0ull, 1, 0) == -PVHV_EFAULT);
	KT_EXPECT(t, pvhv_call(PVHV_HC_CONSOLE_WRITE, ~0ull - 2, 16, 0) == -PVHV_EFAULT);
	KT_EXPECT(t, pvhv_call(PVHV_HC_CONSOLE_WRITE, 0, PVHV_CONSOLE_MAX + 1, 0) == -PVHV_E2BIG);
	KT_EXPECT(t, pvhv_call(PVHV_HC_CONSOLE_WRITE, __pa(&byte), 1, 0) == 1);
	KT_EXPECT(t, pvhv_call(PVHV_HC_POWER_OFF, PVHV_STATUS_MAX + 1, 0, 0) == -PVHV_EINVAL);
	KT_EXPECT(t, pvhv_call(PVHV_HC_KICK, 1u << 20, TIMER_VECTOR, 0) == -PVHV_EINVAL);
	KT_EXPECT(t, pvhv_call(PVHV_HC_KICK, 0, 1, 0) == -PVHV_EINVAL);
	KT_EXPECT(t, pvhv_call(PVHV_HC_SEND_IPI, 1ull << 63, 0, TIMER_VECTOR) == -PVHV_EINVAL);
	KT_EXPECT(t, pvhv_call(PVHV_HC_YIELD, PVHV_ALL_VCPUS, 0, 0) == 0);
	KT_EXPECT(t, pvhv_call(PVHV_HC_MULTICALL, ~0ull, 2, 0) == -PVHV_EFAULT);
	KT_EXPECT(t, pvhv_call(PVHV_HC_MULTICALL, 0, PVHV_MULTICALL_MAX + 1, 0) == -PVHV_E2BIG);
}

/* A multicall of four operations costs one exit: the VM's own counters
 * (read with GET_STATS) move by two, the multicall and the second read. */
KTEST(pvhv_multicall_one_exit)
{
	static struct pvhv_stats before, after;
	static struct pvhv_multicall_entry mc[4];

	if (!on_pvhv(t))
		return;
	memset(mc, 0, sizeof(mc));
	mc[0].op = PVHV_HC_NOP;
	mc[1].op = PVHV_HC_YIELD;
	mc[1].args[0] = PVHV_ALL_VCPUS;
	mc[2].op = PVHV_HC_MULTICALL;              /* nested: refused */
	mc[3].op = PVHV_HC_NR;                     /* unknown: refused */
	KT_EXPECT(t, pvhv_call(PVHV_HC_GET_STATS, __pa(&before), sizeof(before),
			       PVHV_ALL_VCPUS) == sizeof(before));
	KT_EXPECT(t, pvhv_call(PVHV_HC_MULTICALL, __pa(mc), 4, 0) == 4);
	KT_EXPECT(t, pvhv_call(PVHV_HC_GET_STATS, __pa(&after), sizeof(after),
			       PVHV_ALL_VCPUS) == sizeof(after));
	KT_EXPECT(t, mc[0].ret == 0 && mc[1].ret == 0);
	KT_EXPECT(t, mc[2].ret == -PVHV_EINVAL && mc[3].ret == -PVHV_ENOSYS);
	KT_EXPECT(t, before.nr == PVHV_STAT_NR && before.vcpus >= 1);
	KT_EXPECTF(t, after.count[PVHV_STAT_IO_PVHV] - before.count[PVHV_STAT_IO_PVHV] == 2,
		   "(%llu doorbells)", (unsigned long long)(after.count[PVHV_STAT_IO_PVHV] -
							    before.count[PVHV_STAT_IO_PVHV]));
	/* multicall + 4 entries + GET_STATS */
	KT_EXPECT(t, after.count[PVHV_STAT_HYPERCALLS] - before.count[PVHV_STAT_HYPERCALLS] == 6);
}

/*
 * io_delay is observable from here only: natively an OUT to port 0x80,
 * which no device of pvhv's (or KVM's in-kernel ones) decodes, so pvhv
 * counts each as an exit on another port. With interrupts off nothing
 * else does port I/O between the two reads (the reads are pvhv's own
 * ports). A platform that made it a no-op would show no exit.
 */
KTEST(pvhv_io_delay_exits)
{
	enum { DELAYS = 4 };
	static struct pvhv_stats before, after;
	u64 want;

	if (!on_pvhv(t))
		return;
	if (pv_ops.cpu.io_delay == (void (*)(void))pv_native_io_delay)
		want = DELAYS;
	else if (pv_ops.cpu.io_delay == (void (*)(void))pv_nop)
		want = 0;
	else {
		KT_SKIP(t, "io_delay is neither native nor a no-op");
		return;
	}
	unsigned long flags = arch_local_irq_save();
	KT_EXPECT(t, pvhv_call(PVHV_HC_GET_STATS, __pa(&before), sizeof(before),
			       PVHV_ALL_VCPUS) == sizeof(before));
	for (int i = 0; i < DELAYS; i++)
		io_delay();
	KT_EXPECT(t, pvhv_call(PVHV_HC_GET_STATS, __pa(&after), sizeof(after),
			       PVHV_ALL_VCPUS) == sizeof(after));
	arch_local_irq_restore(flags);
	u64 got = after.count[PVHV_STAT_IO_OTHER] - before.count[PVHV_STAT_IO_OTHER];
	KT_EXPECTF(t, got == want, "%llu port exits for %d io_delay, want %llu",
		   (unsigned long long)got, DELAYS, (unsigned long long)want);
}

/* A kick is an interrupt: the timer's vector, so its handler counts it. */
static volatile u64 test_ipis;

static void test_ipi(void)
{
	test_ipis++;
	apic_eoi();
}

/* Wait (interrupts on) until `n` test IPIs have arrived, or give up. */
static void wait_test_ipis(u64 n)
{
	arch_local_irq_enable();
	for (int i = 0; i < 1000 && test_ipis < n; i++)
		barrier();
	arch_local_irq_disable();
}

/*
 * Kick and IPI deliver their vector: TEST_IPI_VECTOR, which nothing else
 * raises (the timer's ticks would make the test pass without them). One
 * at a time: two requests for the same vector while it is pending are
 * one interrupt (the APIC has one IRR bit per vector).
 */
KTEST(pvhv_kick_self_delivers)
{
	if (!on_pvhv(t))
		return;
	irq_register(TEST_IPI_VECTOR, test_ipi);
	unsigned long flags = arch_local_irq_save();
	u64 before = test_ipis;

	KT_EXPECT(t, pvhv_call(PVHV_HC_KICK, pvhv_page.vcpu, TEST_IPI_VECTOR, 0) == 0);
	wait_test_ipis(before + 1);
	KT_EXPECTF(t, test_ipis == before + 1, "kick: %llu delivered",
		   (unsigned long long)(test_ipis - before));
	KT_EXPECT(t, pvhv_call(PVHV_HC_SEND_IPI, 1, pvhv_page.vcpu, TEST_IPI_VECTOR) == 1);
	wait_test_ipis(before + 2);
	KT_EXPECTF(t, test_ipis == before + 2, "IPI: %llu delivered",
		   (unsigned long long)(test_ipis - before - 1));
	arch_local_irq_restore(flags);
}

/* The median of v[0..n) (sorts v: n is small). */
static u64 median(u64 *v, int n)
{
	for (int i = 0; i <= n / 2; i++)
		for (int j = i + 1; j < n; j++)
			if (v[j] < v[i]) {
				u64 x = v[i];
				v[i] = v[j];
				v[j] = x;
			}
	return v[n / 2];
}

/* What one hypercall costs pvk, from ring 0 through pvhv_call (the exit
 * plus the emulated instructions around it): a KTAP diagnostic. */
KTEST(pvhv_nop_call_cost)
{
	enum { CALLS = 64 };
	static u64 ns[CALLS], base[CALLS];
	s64 r = 0;

	if (!on_pvhv(t))
		return;
	for (int i = 0; i < CALLS; i++) {
		u64 t0 = sched_clock();
		base[i] = sched_clock() - t0;        /* the clock's own cost */
		t0 = sched_clock();
		r |= pvhv_call(PVHV_HC_NOP, 0, 0, 0);
		ns[i] = sched_clock() - t0;
	}
	KT_EXPECT(t, r == 0);
	printk("# pvhv: NOP hypercall from pvk: median %llu ns, clock alone %llu ns (%d calls)\n",
	       (unsigned long long)median(ns, CALLS), (unsigned long long)median(base, CALLS),
	       CALLS);
}
