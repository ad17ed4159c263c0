/*
 * t_kvm.c - each KVM paravirt feature really engaged, not just its code
 * run: the host's own writes are what is checked (the clock agreeing with
 * the TSC, the steal record's version moving, the EOI bit found set, the
 * sites' bytes), and with pvoff=NAME the native path in place. Each test
 * skips, saying why, where its feature is absent, off or refused
 * (pv/kvm.h; KVM_ABSENT also when the platform is not KVM at all).
 */
#include <cmdline.h>
#include <ktest.h>
#include <mm.h>
#include <paravirt.h>
#include <string.h>
#include <pv/kvm.h>
#include <pv/pvhv.h>
#include <pv/platform.h>
#include <pvops/native.h>
#include <trap.h>
#include <asm/apic.h>
#include <asm/irq_vectors.h>
#include <asm/smp.h>
#include <asm/tsc.h>
#include "t_lock.h"
#include "t_sites.h"

extern const struct pv_site __start_pv_sites[], __stop_pv_sites[];

/* Is feature f on? If not, skip saying what became of it. */
static bool on(struct ktest_ctx *t, enum kvm_feat f)
{
	static const char *const why[] = {
		[KVM_ABSENT] = "feature absent",
		[KVM_OFF] = "feature off (pvoff)",
		[KVM_REFUSED] = "feature refused by the host",
		[KVM_OFFERED] = "feature offered, not used",
	};
	enum kvm_feat_state s = kvm_feature(f);

	if (s == KVM_ON)
		return true;
	KT_SKIP(t, why[s]);
	return false;
}

/* The ops the tests call, one site each (noinline): every site costs the
 * patch engine's checks on every boot, bare metal too. */
static __attribute__((noinline)) u64 read_msr(u32 msr) { return rdmsr(msr); }
static __attribute__((noinline)) u64 steal(void) { return steal_clock(0); }
static __attribute__((noinline)) bool preempted(long cpu) { return vcpu_is_preempted(cpu); }

/* Halt (interrupts on) until `n` more timer ticks; ends with them off. */
static __attribute__((noinline)) void wait_ticks(u64 n)
{
	u64 start = apic_ticks;

	while (apic_ticks < start + n) {
		safe_halt();
		arch_local_irq_disable();
	}
}

/* Sites of slot `slot`: *n counts them; *bad those whose bytes are not
 * `want` (len bytes) then literal NOPs. */
static void check_sites(int slot, const u8 *want, size_t len, int *n, int *bad)
{
	*n = *bad = 0;
	for (const struct pv_site *s = __start_pv_sites; s < __stop_pv_sites; s++) {
		const u8 *p = (const u8 *)pv_site_addr(s);

		if (s->slot != slot)
			continue;
		(*n)++;
		if (s->len < len || (len && memcmp(p, want, len)) || !all_nops(p + len, s->len - len))
			(*bad)++;
	}
}

/*
 * kvmclock is sched_clock, never goes back, and runs at the TSC's rate:
 * over 60 ms of real time it agrees with the TSC-derived clock within
 * 0.1%. The time is gathered in 10 ms stretches of busy reading (no halt)
 * during which the record's version did not move: when the host
 * re-anchors the record (a new system_time for a new tsc_timestamp, as
 * KVM does on a clock update) kvmclock may step by tens or hundreds of
 * microseconds (seen nested under TCG: 20-150 us), an offset, not a rate,
 * and such a stretch is left out, counted, and reported. Each end of a
 * stretch reads both clocks at one instant (clocks_now). Where the host
 * does not vouch for the TSC (no stable bit) the bound is 1%.
 */
/*
 * Both clocks at one instant: kvmclock between two TSC readings, the
 * tightest of a few tries, the TSC taken as their midpoint. Under an
 * emulating or busy host a vCPU can be held between two reads; a
 * sandwich that was held is simply not the tightest.
 */
static void clocks_now(u64 *k, u64 *s)
{
	u64 best = ~0ull;

	for (int i = 0; i < 8; i++) {
		u64 a = tsc_sched_clock(), kk = kvm_clock_read(), b = tsc_sched_clock();

		if (b - a < best) {
			best = b - a;
			*k = kk;
			*s = a + (b - a) / 2;
		}
	}
}

KTEST(kvm_kvmclock_tracks_tsc)
{
	enum { STRETCH_NS = 10000000, TOTAL_NS = 60000000, MAX_STRETCHES = 40 };
	u64 dk = 0, ds = 0, prev;
	int back = 0, kept = 0, moved = 0;

	if (!on(t, KVM_F_KVMCLOCK))
		return;
	KT_EXPECT(t, pv_ops.time.sched_clock == kvm_sched_clock);
	prev = kvm_clock_read();
	for (int n = 0; n < MAX_STRETCHES && ds < TOTAL_NS; n++) {
		u32 v0 = kvm_clock_version();
		u64 k0 = 0, s0 = 0, k1 = 0, s1 = 0, k;

		clocks_now(&k0, &s0);
		k = k0;
		while (k - k0 < STRETCH_NS) {
			k = kvm_clock_read();
			back += k < prev;
			prev = k;
		}
		clocks_now(&k1, &s1);
		if ((v0 & 1) || kvm_clock_version() != v0) {
			moved++;
			continue;
		}
		dk += k1 - k0;
		ds += s1 - s0;
		kept++;
	}
	KT_EXPECTF(t, back == 0, "%d readings went back", back);
	KT_EXPECTF(t, ds >= TOTAL_NS, "only %llu ns in %d stretches the record held still "
		   "(%d re-anchored)", (unsigned long long)ds, kept, moved);
	u64 per_mille = kvm_clock_tsc_stable() ? 1 : 10;

	printk("# kvm: kvmclock %llu ns, TSC-derived %llu ns over %d stretches "
	       "(%d left out: record re-anchored; TSC %sstable)\n",
	       (unsigned long long)dk, (unsigned long long)ds, kept, moved,
	       per_mille == 1 ? "" : "not ");
	KT_EXPECTF(t, (dk > ds ? dk - ds : ds - dk) * 1000 <= ds * per_mille,
		   "kvmclock %llu ns, TSC %llu ns (%llu kHz), TSC %sstable",
		   (unsigned long long)dk, (unsigned long long)ds,
		   (unsigned long long)tsc_khz(), per_mille == 1 ? "" : "not ");
}

/* The host keeps the steal record: the MSR reads back registered, and
 * across halts (the vCPU scheduled out and back) the version moves on
 * and is even, the steal time never goes back. */
KTEST(kvm_steal_time_record_updated)
{
	u32 v0, v1;
	u64 s0, s1;

	if (!on(t, KVM_F_STEAL_TIME))
		return;
	KT_EXPECT(t, pv_ops.time.steal_clock == kvm_steal_clock);
	KT_EXPECT(t, read_msr(MSR_KVM_STEAL_TIME) == (__pa(&kvm_steal_time[0]) | KVM_MSR_ENABLED));
	v0 = READ_ONCE(kvm_steal_time[0].version);
	s0 = steal();
	wait_ticks(4);
	v1 = READ_ONCE(kvm_steal_time[0].version);
	s1 = steal();
	KT_EXPECTF(t, v1 > v0 && !(v1 & 1), "version %u, then %u", v0, v1);
	KT_EXPECTF(t, s1 >= s0, "steal %llu ns, then %llu", (unsigned long long)s0,
		   (unsigned long long)s1);
}

/*
 * vcpu_is_preempted is Linux's read of the preempted byte, inline at each
 * site: movq kvm_steal_time_of(,%rdi,8),%rax; cmpb $0,16(%rax); setne %al
 * (decoded here from literals), false for this running vCPU, true once
 * the byte is set (by hand: the host sets it only while the vCPU is out).
 */
KTEST(kvm_vcpu_is_preempted_inline)
{
	u32 table = (u32)(uintptr_t)kvm_steal_time_of;
	const u8 want[15] = {
		0x48, 0x8b, 0x04, 0xfd, (u8)table, (u8)(table >> 8),
		(u8)(table >> 16), (u8)(table >> 24),          /* movq (,%rdi,8),%rax */
		0x80, 0x78, KVM_STEAL_TIME_PREEMPTED, 0x00,   /* cmpb $0,16(%rax) */
		0x0f, 0x95, 0xc0,                             /* setne %al */
	};
	int n, bad, tries = 0;
	bool seen = false;

	if (!on(t, KVM_F_STEAL_TIME))
		return;
	KT_EXPECT(t, pv_ops.lock.vcpu_is_preempted.func == kvm_vcpu_is_preempted);
	if (pv_patched) {
		check_sites(PV_SLOT(lock.vcpu_is_preempted), want, sizeof(want), &n, &bad);
		KT_EXPECTF(t, n > 0 && bad == 0, "%d of %d sites not the template", bad, n);
	}
	KT_EXPECT(t, !preempted(0));
	/* the host clears the byte when it updates the record: try again then */
	do {
		WRITE_ONCE(kvm_steal_time[0].preempted, KVM_VCPU_PREEMPTED);
		seen = preempted(0);
		seen = seen || !READ_ONCE(kvm_steal_time[0].preempted);
		WRITE_ONCE(kvm_steal_time[0].preempted, 0);
	} while (!seen && ++tries < 3);
	KT_EXPECT(t, seen);
	KT_EXPECT(t, !preempted(0));
}

/* The self-IPI handler: was the PV EOI bit set when it ran? */
static volatile u32 ipis, host_set;

static void eoi_probe_ipi(void)
{
	host_set += READ_ONCE(kvm_pv_eoi_words[smp_processor_id()].word) & 1;
	ipis++;
	apic_eoi();
}

/*
 * The host sets the PV EOI bit (seen by the handler itself, before the
 * op looks) and each time the op leaves the APIC alone: it counts at
 * least as many skipped writes (the timer's EOIs may add some). Where the
 * host never sets the bit (this machine's PVM), the op always writes the
 * APIC, which is correct: skipped, saying so. The interrupts keep coming,
 * so every skipped EOI was done by the host.
 */
KTEST(kvm_pv_eoi_skips_apic_write)
{
	enum { IPIS = 8 };
	struct cpuid_regs r;
	u64 s0 = kvm_pv_eoi_skipped, skipped;
	u32 i0 = ipis, h0 = host_set, set;

	if (!on(t, KVM_F_PV_EOI))
		return;
	KT_EXPECT(t, pv_ops.apic.eoi.func == kvm_pv_eoi);
	KT_EXPECT(t, read_msr(MSR_KVM_PV_EOI_EN) == (__pa(&kvm_pv_eoi_words[0]) | KVM_MSR_ENABLED));
	cpuid(1, 0, &r);
	irq_register(TEST_IPI_VECTOR, eoi_probe_ipi);
	for (int i = 0; i < IPIS; i++) {
		u64 deadline = apic_ticks + 100;

		apic_send_ipi(r.ebx >> 24, TEST_IPI_VECTOR);
		while (ipis == i0 + (u32)i && apic_ticks < deadline) {
			safe_halt();
			arch_local_irq_disable();
		}
	}
	skipped = kvm_pv_eoi_skipped - s0;
	set = host_set - h0;
	KT_EXPECTF(t, ipis - i0 == IPIS, "%u of %d self-IPIs arrived", ipis - i0, IPIS);
	printk("# kvm: pv_eoi: bit set by the host for %u of %d self-IPIs; %llu EOIs "
	       "left to the host\n", set, IPIS, (unsigned long long)skipped);
	if (!set) {
		KT_SKIP(t, "the host never set the PV EOI bit: every EOI went to the APIC");
		return;
	}
	KT_EXPECTF(t, skipped >= set, "%llu EOIs skipped, the bit was set %u times",
		   (unsigned long long)skipped, set);
}

/* io_delay is pv_nop, and every byte of each of its sites is a NOP. */
KTEST(kvm_io_delay_sites_nops)
{
	int n, bad;

	if (!on(t, KVM_F_NOP_IO_DELAY))
		return;
	KT_EXPECT(t, pv_ops.cpu.io_delay == (void (*)(void))pv_nop);
	if (!pv_patched) {
		KT_SKIP(t, "pv=nopatch: the sites stay calls");
		return;
	}
	check_sites(PV_SLOT(cpu.io_delay), NULL, 0, &n, &bad);
	KT_EXPECTF(t, n > 0 && bad == 0, "%d of %d sites not all NOPs", bad, n);
}

/* With pvoff=NAME, NAME's native path: the native op in the slot (and at
 * its sites), nothing registered with the host, nothing skipped. */
KTEST(kvm_pvoff_native_paths)
{
	static const u8 xor_eax[] = { 0x31, 0xc0 }, outb_80[] = { 0xe6, 0x80 };
	int n, bad, off = 0;

	if (kvm_feature(KVM_F_KVMCLOCK) == KVM_OFF) {
		off++;
		KT_EXPECT(t, pv_ops.time.sched_clock == tsc_sched_clock);
		KT_EXPECT(t, !(read_msr(MSR_KVM_SYSTEM_TIME_NEW) & KVM_MSR_ENABLED));
	}
	if (kvm_feature(KVM_F_STEAL_TIME) == KVM_OFF) {
		off++;
		KT_EXPECT(t, steal() == 0 && !preempted(0));
		KT_EXPECT(t, pv_ops.lock.vcpu_is_preempted.func == pv_native_vcpu_is_preempted);
		KT_EXPECT(t, read_msr(MSR_KVM_STEAL_TIME) == 0);
		if (pv_patched) {
			check_sites(PV_SLOT(lock.vcpu_is_preempted), xor_eax,
				    sizeof(xor_eax), &n, &bad);
			KT_EXPECTF(t, n > 0 && bad == 0, "%d of %d sites not xor", bad, n);
		}
	}
	if (kvm_feature(KVM_F_PV_EOI) == KVM_OFF) {
		off++;
		KT_EXPECT(t, pv_ops.apic.eoi.func != kvm_pv_eoi);
		KT_EXPECT(t, read_msr(MSR_KVM_PV_EOI_EN) == 0);
		wait_ticks(2);
		KT_EXPECT(t, kvm_pv_eoi_skipped == 0);
	}
	if (kvm_feature(KVM_F_NOP_IO_DELAY) == KVM_OFF) {
		off++;
		KT_EXPECT(t, pv_ops.cpu.io_delay == (void (*)(void))pv_native_io_delay);
		if (pv_patched) {
			check_sites(PV_SLOT(cpu.io_delay), outb_80, sizeof(outb_80), &n, &bad);
			KT_EXPECTF(t, n > 0 && bad == 0, "%d of %d sites not outb", bad, n);
		}
	}
	if (!off)
		KT_SKIP(t, "no feature of KVM's turned off by pvoff=");
}

/* --- per-CPU records: each CPU registers its own ------------------------ */

static u64 seen_steal_msr[SMP_MAX_CPUS], seen_eoi_msr[SMP_MAX_CPUS];

static void read_record_msrs(void *unused)
{
	int cpu = smp_processor_id();

	(void)unused;
	seen_steal_msr[cpu] = read_msr(MSR_KVM_STEAL_TIME);
	seen_eoi_msr[cpu] = read_msr(MSR_KVM_PV_EOI_EN);
}

/*
 * Every online CPU, asked by IPI, reads its own MSRs: the steal record
 * and the PV EOI word registered are that CPU's own (where on), never
 * the boot CPU's (which would make an AP take the boot CPU's skipped
 * EOIs, and read its preemption as the boot CPU's).
 */
KTEST(kvm_every_cpu_registers_its_records)
{
	cpumask_t online = smp_online_mask();
	bool steal = kvm_feature(KVM_F_STEAL_TIME) == KVM_ON;
	bool eoi = kvm_feature(KVM_F_PV_EOI) == KVM_ON;

	if (!(online & (online - 1))) {
		KT_SKIP(t, "one CPU online");
		return;
	}
	if (!steal && !eoi) {
		KT_SKIP(t, "neither steal_time nor pv_eoi on");
		return;
	}
	memset(seen_steal_msr, 0xff, sizeof(seen_steal_msr));
	memset(seen_eoi_msr, 0xff, sizeof(seen_eoi_msr));
	KT_EXPECT(t, smp_call_function(online, read_record_msrs, NULL) == 0);
	for (int cpu = 0; cpu < SMP_MAX_CPUS; cpu++) {
		if (!(online & (1u << cpu)))
			continue;
		if (steal)
			KT_EXPECTF(t, seen_steal_msr[cpu] ==
				   (__pa(&kvm_steal_time[cpu]) | KVM_MSR_ENABLED),
				   "CPU %d: steal MSR %#llx", cpu,
				   (unsigned long long)seen_steal_msr[cpu]);
		if (eoi)
			KT_EXPECTF(t, seen_eoi_msr[cpu] ==
				   (__pa(&kvm_pv_eoi_words[cpu]) | KVM_MSR_ENABLED),
				   "CPU %d: PV EOI MSR %#llx", cpu,
				   (unsigned long long)seen_eoi_msr[cpu]);
	}
}

/*
 * pv_unhalt (with more than one CPU): the pv spinlock over KVM's wait and
 * kick is in its slots, and under contention (several vCPUs, here on
 * fewer host CPUs) waiters really halt and are kicked awake: both
 * counters move, and the counter still ends exact. With one CPU it stays
 * "offered": nothing to contend with.
 */
KTEST(kvm_pv_unhalt_waits_and_kicks)
{
	struct qspinlock_stats d;

	if (!on(t, KVM_F_PV_UNHALT))
		return;
	KT_EXPECT(t, pv_ops.lock.queued_spin_lock_slowpath == pv_queued_spin_lock_slowpath);
	KT_EXPECT(t, pv_ops.lock.spin_unlock.func == __pv_cs_pv_queued_spin_unlock);
	KT_EXPECT(t, pv_ops.lock.wait != qspinlock_native_wait);
	KT_EXPECT(t, pv_ops.lock.kick != (void (*)(int))pv_nop);
	if (!lock_contend(t, LOCK_API, 1000000, &d))
		return;
	KT_EXPECTF(t, d.waits > 0 && d.kicks > 0, "waits %llu, kicks %llu",
		   (unsigned long long)d.waits, (unsigned long long)d.kicks);
}

/* pvoff=pv_unhalt: the native slow path and the byte-store unlock. */
KTEST(kvm_pvoff_pv_unhalt_native_lock)
{
	if (kvm_feature(KVM_F_PV_UNHALT) != KVM_OFF) {
		KT_SKIP(t, "pv_unhalt not turned off by pvoff=");
		return;
	}
	if (pvhv_smp_feature(PVHV_SMP_KICK) == PVHV_SMP_ON) {
		KT_SKIP(t, "pvhv's kick took the lock ops instead (t_pvhv.c)");
		return;
	}
	KT_EXPECT(t, pv_ops.lock.spin_unlock.func == pv_native_spin_unlock ||
		  boot_params.qspinlock_pv);
	KT_EXPECT(t, pv_ops.lock.queued_spin_lock_slowpath == qspinlock_native_slowpath ||
		  boot_params.qspinlock_pv);
	KT_EXPECT(t, pv_ops.lock.wait == qspinlock_native_wait);
	KT_EXPECT(t, pv_ops.lock.kick == (void (*)(int))pv_nop);
}
