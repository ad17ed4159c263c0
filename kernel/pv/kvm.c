/*
 * kvm.c - KVM: the operations it does better than the hardware, each
 * taken up only where CPUID (KVM's base + 1).EAX offers it, each with the
 * native op as its fallback, each switchable off alone (pvoff=NAME) and
 * each reported on one line, `pv: kvm: NAME on|off (pvoff)|absent|
 * refused (REASON)|offered (used with SMP)` (the last for the features
 * that need more than one CPU to pay):
 *
 *   kvmclock      the pvclock record as sched_clock and the TSC frequency;
 *                 the wall clock, read once
 *   steal_time    the steal record as steal_clock, its preempted byte as
 *                 vcpu_is_preempted, patched in inline
 *   pv_eoi        the APIC EOI skipped when the host already did it
 *   nop_io_delay  io_delay patched to NOPs
 *   poll_control  host-side halt polling, kept on (see poll_control_init)
 *   pv_unhalt     with more than one CPU: the pv queued spinlock, whose
 *                 waiters halt (lock.wait) and are woken by
 *                 KVM_HC_KICK_CPU (lock.kick); its unlock a call that kicks
 *   pv_send_ipi   send_ipi_mask as one KVM_HC_SEND_IPI with a bitmap
 *   pv_sched_yield  yield_to a preempted vCPU as KVM_HC_SCHED_YIELD
 *   pv_tlb_flush  flush_tlb_multi leaves a preempted vCPU's flush to the
 *                 host (its steal record's FLUSH_TLB bit) instead of an IPI
 *                 (these four only with more than one CPU in the MADT,
 *                 else "offered (used with SMP)")
 *
 * Every record the host writes into is unregistered before power-off and
 * reboot (kvm_shutdown), as Linux does, so the host stops writing into
 * memory the next kernel owns.
 *
 * Sources: Documentation/virt/kvm/x86/cpuid.rst and msr.rst; Linux's
 * arch/x86/kernel/{kvm.c,kvmclock.c,pvclock.c} (/work/kvm-facts.md).
 */
#include <cmdline.h>
#include <mm.h>
#include <paravirt.h>
#include <printk.h>
#include <pv/kvm.h>
#include <pv/platform.h>
#include <pv/kvm_hypercall.h>
#include <pvops/native.h>
#include <smp_stats.h>
#include <spinlock.h>
#include <asm/apic.h>
#include <asm/smp.h>
#include <asm/tlb.h>
#include <asm/tsc.h>
#include <asm/x86.h>
#include <abi/kvm_para.h>

#define NS_PER_SEC 1000000000ull

/* KVM's templates for the patch engine, filled by init(): the hypercall
 * instruction (kvm_hypercall.c) and the inline vcpu_is_preempted. */
static struct pv_backend_tmpl kvm_tmpls[2];
static struct pv_platform_backend kvm_backend = { .tmpls = kvm_tmpls };

void kvm_backend_add(const struct pv_plan *e)
{
	BUG_ON(kvm_backend.nr == ARRAY_SIZE(kvm_tmpls) || !e->tmpl);
	kvm_tmpls[kvm_backend.nr++] = pv_plan_backend(e);
}

/* The record KVM fills for kvmclock (msr.rst, "pvclock"): 32 bytes,
 * 32-byte aligned so it never crosses a page. */
struct pvclock_vcpu_time_info {
	u32 version;
	u32 pad0;
	u64 tsc_timestamp;
	u64 system_time;
	u32 tsc_to_system_mul;
	s8 tsc_shift;
	u8 flags;
	u8 pad[2];
} __attribute__((packed, aligned(32)));
_Static_assert(sizeof(struct pvclock_vcpu_time_info) == 32, "pvclock record");

/* Filled by the host when the guest writes MSR_KVM_WALL_CLOCK_NEW. */
struct pvclock_wall_clock {
	u32 version;
	u32 sec;
	u32 nsec;
} __attribute__((packed, aligned(4)));

_Static_assert(__builtin_offsetof(struct kvm_steal_time, version) == KVM_STEAL_TIME_VERSION &&
	       __builtin_offsetof(struct kvm_steal_time, preempted) == KVM_STEAL_TIME_PREEMPTED &&
	       sizeof(struct kvm_steal_time) == KVM_STEAL_TIME_SIZE, "kvm_steal_time");

static u32 kvm_base, kvm_eax, kvm_edx;   /* the base leaf; (base + 1).EAX, EDX */
static u8 state[KVM_F_NR];               /* enum kvm_feat_state */
static const char *refused[KVM_F_NR];    /* why, when KVM_REFUSED */

#define KVM_FEAT_NAME(e, name, bit) #name,
static const char *const kvm_feature_names[KVM_F_NR + 1] = {
	KVM_FEATURES(KVM_FEAT_NAME) NULL
};
#define KVM_FEAT_BIT(e, name, bit) bit,
static const u8 kvm_feature_bits[KVM_F_NR] = { KVM_FEATURES(KVM_FEAT_BIT) };

enum kvm_feat_state kvm_feature(enum kvm_feat f)
{
	return f < KVM_F_NR ? (enum kvm_feat_state)state[f] : KVM_ABSENT;
}

static void refuse(enum kvm_feat f, const char *why)
{
	state[f] = KVM_REFUSED;
	refused[f] = why;
}

/* One site each for the MSR writes and CPUID leaves below: every site
 * costs the patch engine's checks on every boot, bare metal too. */
static __attribute__((noinline)) void msr_write(u32 msr, u64 v)
{
	wrmsr(msr, v);
}

static __attribute__((noinline)) void kvm_cpuid(u32 leaf, struct cpuid_regs *r)
{
	cpuid(leaf, 0, r);
}

static bool kvm_detect(void)
{
	kvm_base = hypervisor_cpuid_base("KVMKVMKVM\0\0\0");
	return kvm_base != 0;
}

/* --- kvmclock -------------------------------------------------------- */

static struct pvclock_vcpu_time_info kvm_pvclock;
static struct pvclock_wall_clock kvm_wall;
static u8 pvclock_valid_flags;     /* PVCLOCK_TSC_STABLE_BIT: CPUID bit 24 */
static u64 pvclock_last;           /* the clamp, when the TSC is not stable */
static u64 kvm_clock_offset;       /* the reading at registration: "boot" */
static u64 kvm_wall_sec;           /* wall time at registration, s */

/*
 * One reading: the version protocol (odd while the host writes; read
 * again until it is even and the same before and after), then
 * system_time + ((tsc - tsc_timestamp) << shift) * mul >> 32, the
 * product in 128 bits. No fence before RDTSC: the host rewrites the
 * record only from this vCPU's thread, at an entry, and the exit before
 * it serializes.
 */
u64 kvm_clock_read(void)
{
	const volatile struct pvclock_vcpu_time_info *p = &kvm_pvclock;
	u32 version;
	u64 ns, last;
	u8 flags;

	do {
		version = p->version;
		barrier();
		u64 d = native_rdtsc() - p->tsc_timestamp;
		s8 shift = p->tsc_shift;

		d = shift >= 0 ? d << shift : d >> -shift;
		ns = p->system_time +
		     (u64)(((unsigned __int128)d * p->tsc_to_system_mul) >> 32);
		flags = p->flags;
		barrier();
	} while ((version & 1) || version != p->version);
	if (flags & pvclock_valid_flags)
		return ns;                   /* the host vouches for the TSC */
	/* else never go back (pvclock.c's last_value): one CPU today, but an
	 * interrupt may read in between, hence the compare-exchange */
	last = __atomic_load_n(&pvclock_last, __ATOMIC_RELAXED);
	do {
		if (ns <= last)
			return last;
	} while (!__atomic_compare_exchange_n(&pvclock_last, &last, ns, false,
					      __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	return ns;
}

u32 kvm_clock_version(void)
{
	return READ_ONCE(kvm_pvclock.version);
}

bool kvm_clock_tsc_stable(void)
{
	return READ_ONCE(kvm_pvclock.flags) & pvclock_valid_flags;
}

u64 kvm_sched_clock(void)
{
	return kvm_clock_read() - kvm_clock_offset;
}

/* TSC kHz from the record: the inverse of the scaling (pvclock_tsc_khz). */
static u64 kvmclock_tsc_khz(void)
{
	u64 khz = (1000000ull << 32) / kvm_pvclock.tsc_to_system_mul;

	return kvm_pvclock.tsc_shift < 0 ? khz << -kvm_pvclock.tsc_shift
					 : khz >> kvm_pvclock.tsc_shift;
}

/* The wall clock, once: the host fills the record at the MSR write with
 * the wall time at which kvmclock read 0; add the clock. */
static void kvm_read_wall_clock(void)
{
	const volatile struct pvclock_wall_clock *w = &kvm_wall;
	u32 version, sec, nsec;

	msr_write(MSR_KVM_WALL_CLOCK_NEW, __pa(&kvm_wall));
	do {
		version = w->version;
		barrier();
		sec = w->sec;
		nsec = w->nsec;
		barrier();
	} while ((version & 1) || version != w->version);
	kvm_wall_sec = sec + (nsec + kvm_clock_offset) / NS_PER_SEC;
}

/* Register the record; false, and unregistered, when the host left it
 * empty. */
static bool kvmclock_register(void)
{
	msr_write(MSR_KVM_SYSTEM_TIME_NEW, __pa(&kvm_pvclock) | KVM_MSR_ENABLED);
	/* the host fills it before the vCPU runs again: at most a short wait */
	for (int i = 0; i < 1000 && (READ_ONCE(kvm_pvclock.version) & 1); i++)
		barrier();
	if (READ_ONCE(kvm_pvclock.version) && kvm_pvclock.tsc_to_system_mul)
		return true;
	msr_write(MSR_KVM_SYSTEM_TIME_NEW, 0);
	return false;
}

static void kvmclock_init(void)
{
	if (!kvmclock_register()) {
		refuse(KVM_F_KVMCLOCK, "host left the record empty");
		return;
	}
	if (kvm_eax & (1u << KVM_FEATURE_CLOCKSOURCE_STABLE_BIT))
		pvclock_valid_flags = PVCLOCK_TSC_STABLE_BIT;
	kvm_clock_offset = kvm_clock_read();
	kvm_read_wall_clock();
	/* the TSC through a division a read, from a start tsc_init chose: one
	 * register read and a multiply from the host's own record */
	PV_PLAN("kvm", "kvmclock", time.sched_clock, kvm_sched_clock, NULL);
}

/* --- steal time ------------------------------------------------------ */

struct kvm_steal_time kvm_steal_time[SMP_MAX_CPUS];
/* The per-CPU record addresses, as Linux's __per_cpu_offset: every entry
 * filled before any CPU registers, so a CPU whose record the host does
 * not fill reads as never preempted (a zeroed record). */
struct kvm_steal_time *kvm_steal_time_of[SMP_MAX_CPUS];

/*
 * vcpu_is_preempted(cpu), Linux's __raw_callee_save___kvm_vcpu_is_preempted:
 * the CPU's record address from the table (absolute, sign-extended: the
 * kernel lives in the top 2 GiB, so the bytes mean the same at any site),
 * the whole preempted byte against 0, the answer in %al. Only rax and the
 * flags change: a callee-save op as it stands, and a backend template the
 * engine copies into each site (15 bytes; the site has room: paravirt.h).
 * Its native twin is pv_native_vcpu_is_preempted, `xor %eax,%eax`.
 */
#define KVM_PREEMPTED_INSNS                                                 \
	"movq kvm_steal_time_of(,%rdi,8), %rax\n\t"                          \
	"cmpb $0, " PV_STR(KVM_STEAL_TIME_PREEMPTED) "(%rax)\n\t"           \
	"setne %al"
extern const u8 kvm_preempted_bytes[], kvm_preempted_end[];
__asm__(".pushsection .rodata\n"
	"kvm_preempted_bytes:\n\t" KVM_PREEMPTED_INSNS "\n"
	"kvm_preempted_end:\n\t"
	".popsection\n\t"
	".pushsection .text\n\t"
	".globl kvm_vcpu_is_preempted\n\t"
	".type kvm_vcpu_is_preempted, @function\n"
	"kvm_vcpu_is_preempted:\n\t" KVM_PREEMPTED_INSNS "\n\tret\n\t"
	".size kvm_vcpu_is_preempted, . - kvm_vcpu_is_preempted\n\t"
	".popsection\n");

static const struct pv_tmpl kvm_tmpl_preempted = {
	.name = "movq kvm_steal_time_of(,%rdi,8),%rax; cmpb $0,16(%rax); setne %al",
	.bytes = kvm_preempted_bytes,
	.end = kvm_preempted_end,
	.clobbers = PV_CLOB(RAX),
	.fn = kvm_vcpu_is_preempted,
};

/* Steal time in ns, read under the record's version protocol. */
u64 kvm_steal_clock(int cpu)
{
	const volatile struct kvm_steal_time *st = kvm_steal_time_of[cpu];
	u32 version;
	u64 steal;

	do {
		version = st->version;
		barrier();
		steal = st->steal;
		barrier();
	} while ((version & 1) || version != st->version);
	return steal;
}

/* Register `cpu`'s record, on that CPU; false, and unregistered, when
 * the MSR does not read back. */
static bool steal_time_register(int cpu)
{
	u64 val = __pa(&kvm_steal_time[cpu]) | KVM_MSR_ENABLED;

	/* zeroed (.bss), 64-byte aligned, as the host requires */
	msr_write(MSR_KVM_STEAL_TIME, val);
	/* KVM fills the record at an entry it marks for it, which under PVM
	 * is not the one right after this write: the version is the
	 * self-test's to watch; the MSR is read back here */
	if (rdmsr(MSR_KVM_STEAL_TIME) == val)
		return true;
	msr_write(MSR_KVM_STEAL_TIME, 0);
	return false;
}

static void steal_time_init(void)
{
	for (int cpu = 0; cpu < SMP_MAX_CPUS; cpu++)
		kvm_steal_time_of[cpu] = &kvm_steal_time[cpu];
	if (!steal_time_register(0)) {
		refuse(KVM_F_STEAL_TIME, "MSR does not read back");
		return;
	}
	/* native: 0 ns, and no vCPU is ever preempted */
	PV_PLAN("kvm", "steal_time", time.steal_clock, kvm_steal_clock, NULL);
	kvm_backend_add(PV_PLAN("kvm", "steal_time", lock.vcpu_is_preempted,
				kvm_vcpu_is_preempted, &kvm_tmpl_preempted));
}

/* --- PV EOI ---------------------------------------------------------- */

struct kvm_pv_eoi_word kvm_pv_eoi_words[SMP_MAX_CPUS];
volatile u64 kvm_pv_eoi_skipped;
struct pv_callee_save kvm_native_eoi;

/*
 * The EOI op: this CPU's word (its index at %gs:PERCPU_CPU_OFFSET, times
 * the stride, into the array: absolute, the kernel is in the top 2 GiB;
 * rax is the EOI site's to clobber), then test and clear the bit the host
 * sets when it has already done this EOI, in one instruction (the host
 * changes it only while this vCPU is out, so no lock prefix: Linux's
 * __test_and_clear_bit); set, count the skipped write (locked: every CPU
 * counts here) and return; clear, the native EOI (a callee-save op
 * itself, so a tail jump keeps the convention).
 */
__asm__(".pushsection .text\n\t"
	".globl kvm_pv_eoi\n\t"
	".type kvm_pv_eoi, @function\n"
	"kvm_pv_eoi:\n\t"
	"movl %gs:" PV_STR(PERCPU_CPU_OFFSET) ", %eax\n\t"
	"shll $" PV_STR(KVM_PV_EOI_STRIDE_SHIFT) ", %eax\n\t"
	"btrl $" PV_STR(KVM_PV_EOI_BIT) ", kvm_pv_eoi_words(%rax)\n\t"
	"jnc 1f\n\t"
	"lock incq kvm_pv_eoi_skipped(%rip)\n\t"
	"ret\n"
	"1:\tjmp *kvm_native_eoi(%rip)\n\t"
	".size kvm_pv_eoi, . - kvm_pv_eoi\n\t"
	".popsection\n");

static void pv_eoi_init(void)
{
	if (!pv_ops.apic.eoi.func) {
		refuse(KVM_F_PV_EOI, "no local APIC");
		return;
	}
	msr_write(MSR_KVM_PV_EOI_EN, __pa(&kvm_pv_eoi_words[0]) | KVM_MSR_ENABLED);
	/* an APIC write (an exit, under x2APIC a WRMSR) an interrupt becomes
	 * a memory bit-clear whenever the host could do the EOI itself */
	kvm_native_eoi = pv_ops.apic.eoi;
	PV_PLAN("kvm", "pv_eoi", apic.eoi, kvm_pv_eoi, NULL);
}

/* --- PV unhalt: the pv spinlock's wait and kick ------------------------- */

/*
 * lock.wait: halt while *ptr == val, as Linux's kvm_wait. The look and
 * the halt must not let a kick fall between them: with interrupts off,
 * a kick (KVM_HC_KICK_CPU) that came after the look makes the halt
 * return at once (the host keeps it pending: pv_unhalted), and an
 * interrupt the halt enables (safe_halt: sti; hlt, one instruction's
 * shadow) cannot slip in before it. Replaces qspinlock_native_wait's
 * spinning: a halted vCPU gives its host CPU to the vCPU it waits for.
 */
static void kvm_wait(u8 *ptr, u8 val)
{
	if (!(arch_local_save_flags() & X86_EFLAGS_IF)) {
		if (READ_ONCE(*ptr) == val)
			halt();
		return;
	}
	arch_local_irq_disable();
	if (READ_ONCE(*ptr) == val)
		safe_halt();
	else
		arch_local_irq_enable();
}

/* lock.kick: wake cpu from kvm_wait's halt, KVM_HC_KICK_CPU (flags 0,
 * its APIC id). Replaces nothing natively (a spinning waiter needs no
 * wake-up); a halted one needs this one hypercall. */
static void kvm_kick_cpu(int cpu)
{
	pv_hypercall2(KVM_HC_KICK_CPU, KVM_KICK_CPU_FLAGS, percpu[cpu].apic_id);
}

/* With several CPUs (Linux's kvm_spinlock_init: not for one, not with
 * the REALTIME hint, whose vCPUs are never preempted): the pv slow path
 * and unlock over kvm_wait and kvm_kick_cpu. */
static void pv_unhalt_init(void)
{
	if (kvm_edx & (1u << KVM_HINTS_REALTIME)) {
		refuse(KVM_F_PV_UNHALT, "REALTIME hint");
		return;
	}
	if (smp_cpus_found <= 1)
		return;                /* stays "offered (used with SMP)" */
	state[KVM_F_PV_UNHALT] = KVM_ON;
	PV_PLAN("kvm", "pv_unhalt", lock.wait, kvm_wait, NULL);
	PV_PLAN("kvm", "pv_unhalt", lock.kick, kvm_kick_cpu, NULL);
	PV_PLAN("kvm", "pv_unhalt", lock.queued_spin_lock_slowpath,
		pv_queued_spin_lock_slowpath, NULL);
	PV_PLAN("kvm", "pv_unhalt", lock.spin_unlock, __pv_cs_pv_queued_spin_unlock, NULL);
}

/* --- poll control ---------------------------------------------------- */

/*
 * Host-side halt polling: when pvk halts, KVM may spin a while before it
 * schedules the vCPU out, so an interrupt that comes soon is delivered
 * without a sleep and a wake-up. Linux turns it off (writes 0) only when
 * its guest-side haltpoll cpuidle driver polls instead. pvk's idle is a
 * bare safe_halt and it never polls itself, so host polling is what keeps
 * its wake-ups short: leave it on, explicitly (1), since a kernel before
 * this one (a kexec) may have turned it off and the MSR survives that.
 */
static void poll_control_init(void)
{
	msr_write(MSR_KVM_POLL_CONTROL, 1);
}

/* --- SMP: send-IPI, yield, TLB flush ------------------------------- */

static void (*kvm_native_send_ipi_mask)(cpumask_t mask, u32 vector);

/*
 * apic.send_ipi_mask, Linux's __send_ipi_mask: one KVM_HC_SEND_IPI for
 * every target whose APIC id lies within KVM_SEND_IPI_BITMAP_BITS of the
 * lowest one, instead of one ICR write per target (each an exit: a WRMSR
 * under x2APIC, two MMIO writes under xAPIC). So N targets cost one exit,
 * not N. Ids beyond the bitmap, and everything when the host refuses the
 * call, go the native way.
 */
void kvm_send_ipi_mask(cpumask_t mask, u32 vector)
{
	u64 bitmap[KVM_SEND_IPI_BITMAP_BITS / 64] = { 0 };
	u32 min = ~0u;
	cpumask_t in = 0, rest = 0;
	long r;

	for (cpumask_t m = mask; m; m &= m - 1)
		if (percpu[__builtin_ctz(m)].apic_id < min)
			min = percpu[__builtin_ctz(m)].apic_id;
	for (cpumask_t m = mask; m; m &= m - 1) {
		int cpu = __builtin_ctz(m);
		u32 off = percpu[cpu].apic_id - min;

		if (off < KVM_SEND_IPI_BITMAP_BITS) {
			bitmap[off / 64] |= 1ull << (off % 64);
			in |= 1u << cpu;
		} else {
			rest |= 1u << cpu;
		}
	}
	if (in) {
		r = pv_hypercall4(KVM_HC_SEND_IPI, bitmap[0], bitmap[1], min,
				  vector | APIC_ICR_FIXED);
		smp_stats_add(&smp_stats.ipi_hcalls, 1);
		if (r < 0)
			rest |= in;            /* nothing delivered: the ICR way */
		else
			smp_stats_add(&smp_stats.ipi_hcall, (u64)r);
	}
	if (rest)
		kvm_native_send_ipi_mask(rest, vector);
}

/*
 * lock.yield_to, Linux's kvm_sched_yield: the host runs the vCPU of `cpu`
 * (preempted, so it cannot answer what this CPU waits for) in this one's
 * place, instead of this vCPU spinning out its time slice (native: there
 * is no one to ask, the op is NOPs).
 */
void kvm_yield_to(int cpu)
{
	smp_stats_add(&smp_stats.yield_hcalls, 1);
	pv_hypercall1(KVM_HC_SCHED_YIELD, percpu[cpu].apic_id);
}

/*
 * mmu.flush_tlb_multi, Linux's kvm_flush_tlb_multi: a target whose vCPU
 * is preempted (its steal record's preempted byte) gets KVM_VCPU_FLUSH_TLB
 * set in that byte, atomically against the host clearing it as the vCPU
 * resumes, and the host flushes its TLB before it runs again: no IPI that
 * would have to wait for it to be scheduled. Only the running ones get
 * the native IPI. A CPU without a record counts as running.
 */
void kvm_flush_tlb_multi(cpumask_t cpus, const struct flush_tlb_info *info)
{
	cpumask_t ipi = 0;
	u64 deferred = 0;

	if (cpus & (1u << smp_processor_id()))
		panic("kvm_flush_tlb_multi: the caller is in the set (it flushes itself)");
	smp_stats_add(&smp_stats.tlb_shootdowns, 1);
	cpus &= smp_online_mask();
	for (cpumask_t m = cpus; m; m &= m - 1) {
		int cpu = __builtin_ctz(m);
		struct kvm_steal_time *st = kvm_steal_time_of[cpu];
		u8 state = st ? __atomic_load_n(&st->preempted, __ATOMIC_RELAXED) : 0;

		if ((state & KVM_VCPU_PREEMPTED) &&
		    __atomic_compare_exchange_n(&st->preempted, &state,
						state | KVM_VCPU_FLUSH_TLB, false,
						__ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) {
			deferred++;
			continue;
		}
		ipi |= 1u << cpu;
	}
	smp_stats_add(&smp_stats.tlb_deferred, deferred);
	native_flush_tlb_others(ipi, info);
}

/* The three SMP features, each where offered and not refused, with more
 * than one CPU (the MADT's: smp_detect ran before us, as Linux asks
 * num_possible_cpus); with one they stay "offered (used with SMP)". */
static void kvm_smp_ops_init(void)
{
	if (smp_cpus_found <= 1)
		return;
	if (state[KVM_F_PV_SEND_IPI] == KVM_OFFERED) {
		if (!pv_ops.apic.send_ipi_mask) {
			refuse(KVM_F_PV_SEND_IPI, "no local APIC");
		} else {
			kvm_native_send_ipi_mask = pv_ops.apic.send_ipi_mask;
			PV_PLAN("kvm", "pv_send_ipi", apic.send_ipi_mask, kvm_send_ipi_mask, NULL);
			state[KVM_F_PV_SEND_IPI] = KVM_ON;
		}
	}
	if (state[KVM_F_PV_SCHED_YIELD] == KVM_OFFERED) {
		PV_PLAN("kvm", "pv_sched_yield", lock.yield_to, kvm_yield_to, NULL);
		state[KVM_F_PV_SCHED_YIELD] = KVM_ON;
	}
	if (state[KVM_F_PV_TLB_FLUSH] == KVM_OFFERED) {
		PV_PLAN("kvm", "pv_tlb_flush", mmu.flush_tlb_multi, kvm_flush_tlb_multi, NULL);
		state[KVM_F_PV_TLB_FLUSH] = KVM_ON;
	}
}

/* --- init, report, shutdown ------------------------------------------ */

static void kvm_init(void)
{
	struct cpuid_regs r;
	u32 max;

	kvm_hypercall_init(kvm_base);   /* hv.hypercall: vmcall or vmmcall */
	kvm_cpuid(kvm_base, &r);
	max = r.eax ? r.eax : kvm_base + KVM_CPUID_FEATURES_OFFSET;   /* old hosts: 0 */
	kvm_cpuid(kvm_base + KVM_CPUID_FEATURES_OFFSET, &r);
	kvm_eax = r.eax;
	kvm_edx = r.edx;
	for (int f = 0; f < KVM_F_NR; f++)
		state[f] = !(kvm_eax & (1u << kvm_feature_bits[f])) ? KVM_ABSENT
			   : pv_feature_off(kvm_feature_names[f]) ? KVM_OFF
			   : f >= KVM_F_PV_UNHALT ? KVM_OFFERED : KVM_ON;

	if (state[KVM_F_KVMCLOCK] == KVM_ON)
		kvmclock_init();
	if (state[KVM_F_STEAL_TIME] == KVM_ON)
		steal_time_init();
	if (state[KVM_F_PV_EOI] == KVM_ON)
		pv_eoi_init();
	if (state[KVM_F_NOP_IO_DELAY] == KVM_ON)
		/* an OUT to port 0x80 (an exit) that delays nothing under KVM:
		 * pv_nop, so every site becomes NOPs */
		PV_PLAN("kvm", "nop_io_delay", cpu.io_delay, pv_nop, NULL);
	if (state[KVM_F_POLL_CONTROL] == KVM_ON)
		poll_control_init();
	if (state[KVM_F_PV_UNHALT] == KVM_OFFERED)
		pv_unhalt_init();
	/* Linux uses PV TLB flush and sched-yield only with steal time (the
	 * preempted byte) and without the REALTIME hint (vCPUs never wait) */
	for (int f = KVM_F_PV_SCHED_YIELD; f <= KVM_F_PV_TLB_FLUSH; f++) {
		if (state[f] != KVM_OFFERED)
			continue;
		if (state[KVM_F_STEAL_TIME] != KVM_ON)
			refuse(f, "needs steal_time");
		else if (kvm_edx & (1u << KVM_HINTS_REALTIME))
			refuse(f, "REALTIME hint");
	}
	kvm_smp_ops_init();

	/* the TSC frequency: the timing leaf, else the kvmclock record */
	if (max >= kvm_base + KVM_CPUID_TIMING_OFFSET) {
		kvm_cpuid(kvm_base + KVM_CPUID_TIMING_OFFSET, &r);
		if (r.eax) {
			tsc_set_khz(r.eax, "KVM CPUID timing leaf");
			return;
		}
	}
	if (state[KVM_F_KVMCLOCK] == KVM_ON) {
		tsc_set_khz(kvmclock_tsc_khz(), "kvmclock");
	} else if (state[KVM_F_KVMCLOCK] == KVM_OFF && kvmclock_register()) {
		/* pvoff=kvmclock: not the clock, but where there is no timing
		 * leaf (QEMU) the record is the one exact source of the TSC
		 * rate (no CPUID 0x15/0x16, maybe no PIT): read it once, and
		 * unregister */
		tsc_set_khz(kvmclock_tsc_khz(), "kvmclock record, read once");
		msr_write(MSR_KVM_SYSTEM_TIME_NEW, 0);
	}
}

/* Days since 1970-01-01 to a civil date (H. Hinnant's days_from_civil,
 * inverted). */
static void civil(u64 days, u32 *y, u32 *m, u32 *d)
{
	u64 z = days + 719468, era = z / 146097, doe = z - era * 146097;
	u64 yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	u64 doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;

	*d = (u32)(doy - (153 * mp + 2) / 5 + 1);
	*m = (u32)(mp < 10 ? mp + 3 : mp - 9);
	*y = (u32)(yoe + era * 400 + (*m <= 2));
}

/*
 * One line a feature, one printk a line (under a hypervisor each is a
 * console exit). An SMP feature left unused says "offered (used with
 * SMP)", not "on": offered and not refused, but nothing uses it with one
 * CPU (a kick, an IPI to a set, a yield to a preempted vCPU, a flush left
 * to the host all need a second vCPU), and "on" would claim a use there
 * is not. pv_unhalt says so with any number until the lock code takes it.
 */
static void kvm_report(void)
{
	printk("pv: kvm: signature at %#x, features %#x, hints %#x\n", kvm_base,
	       kvm_eax, kvm_edx);
	for (int f = 0; f < KVM_F_NR; f++) {
		const char *n = kvm_feature_names[f];

		switch (state[f]) {
		case KVM_ABSENT:  printk("pv: kvm: %s absent\n", n); break;
		case KVM_OFF:     printk("pv: kvm: %s off (pvoff)\n", n); break;
		case KVM_REFUSED: printk("pv: kvm: %s refused (%s)\n", n, refused[f]); break;
		case KVM_OFFERED: printk("pv: kvm: %s offered (used with SMP)\n", n); break;
		case KVM_ON:
			printk("pv: kvm: %s on%s\n", n,
			       f == KVM_F_KVMCLOCK && !kvm_clock_tsc_stable()
			       ? " (TSC not stable: clamped)"
			       : f == KVM_F_POLL_CONTROL ? " (host polls)" : "");
			break;
		}
	}
	if (state[KVM_F_KVMCLOCK] == KVM_ON) {
		u32 y, mo, d, s = (u32)(kvm_wall_sec % 86400);

		civil(kvm_wall_sec / 86400, &y, &mo, &d);
		printk("kvm: wall clock %04u-%02u-%02u %02u:%02u:%02u UTC\n", y, mo, d,
		       s / 3600, s / 60 % 60, s % 60);
	}
}

/*
 * On each AP as it starts: its own steal record and PV EOI word, as the
 * boot CPU registered its own in init(). A record the host does not take
 * is left zeroed: that CPU reads as never preempted, with no steal time.
 * kvmclock stays the boot CPU's record: read with the host's stable TSC
 * (the stable bit) it gives every CPU the same clock; without it the
 * clamp (pvclock_last) keeps it monotonic across CPUs.
 */
static void kvm_cpu_init(int cpu)
{
	if (state[KVM_F_STEAL_TIME] == KVM_ON && !steal_time_register(cpu))
		printk("pv: kvm: CPU %d: steal record not taken: never preempted\n", cpu);
	if (state[KVM_F_PV_EOI] == KVM_ON)
		msr_write(MSR_KVM_PV_EOI_EN, __pa(&kvm_pv_eoi_words[cpu]) | KVM_MSR_ENABLED);
}

/* Before power-off and reboot: stop the host writing into records a next
 * kernel (kexec) or a crash dump would find its memory changed under.
 * This CPU's only: each AP's would be its own to unregister (an IPI
 * round), which a kexec would need and a power-off does not. */
static void kvm_shutdown(void)
{
	if (state[KVM_F_KVMCLOCK] == KVM_ON)
		msr_write(MSR_KVM_SYSTEM_TIME_NEW, 0);
	if (state[KVM_F_STEAL_TIME] == KVM_ON)
		msr_write(MSR_KVM_STEAL_TIME, 0);
	if (state[KVM_F_PV_EOI] == KVM_ON)
		msr_write(MSR_KVM_PV_EOI_EN, 0);
}

PV_PLATFORM(platform_kvm) = {
	.name = "kvm",
	.base = "native",
	.priority = PV_PRIO_HYPERVISOR,
	.detect = kvm_detect,
	.init = kvm_init,
	.report = kvm_report,
	.shutdown = kvm_shutdown,
	.cpu_init = kvm_cpu_init,
	.features = kvm_feature_names,
	.backend = &kvm_backend,        /* hypercall, vcpu_is_preempted inline */
};
