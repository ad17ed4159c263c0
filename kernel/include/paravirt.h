/*
 * paravirt.h - the only way generic kernel code reaches a privileged or
 * hypervisor-sensitive operation.
 *
 * Each wrapper is one call site: hot ops (interrupt flag, cr2, EOI, spin
 * unlock, vcpu_is_preempted) are callee-save patchable sites, other
 * low-level ops are C-ABI patchable sites, and platform ops are simple
 * indirect calls. At boot pv_patch_kernel() rewrites every site for the
 * platform found (kernel/pv/patch.c).
 */
#ifndef PVK_PARAVIRT_H
#define PVK_PARAVIRT_H

#include <pv_ops.h>
#include <pvops/ops.h>

/* --- cpu ------------------------------------------------------------- */

static inline void cpuid(u32 leaf, u32 sub, struct cpuid_regs *r)
{
	PVOP_VCALL3(cpu.cpuid, leaf, sub, r);
}
static inline u64 rdmsr(u32 msr) { return PVOP_CALL1(u64, cpu.read_msr, msr); }
static inline void wrmsr(u32 msr, u64 v) { PVOP_VCALL2(cpu.write_msr, msr, v); }
static inline unsigned long read_cr0(void)
{
	return PVOP_CALL0(unsigned long, cpu.read_cr0);
}
static inline void write_cr0(unsigned long v) { PVOP_VCALL1(cpu.write_cr0, v); }
static inline unsigned long read_cr4(void)
{
	return PVOP_CALL0(unsigned long, cpu.read_cr4);
}
static inline void write_cr4(unsigned long v) { PVOP_VCALL1(cpu.write_cr4, v); }
static inline void load_idt(const struct desc_ptr *d) { PVOP_VCALL1(cpu.load_idt, d); }
static inline void load_gdt(const struct desc_ptr *d) { PVOP_VCALL1(cpu.load_gdt, d); }
static inline void load_tr(unsigned long sel) { PVOP_VCALL1(cpu.load_tr, sel); }
static inline void wbinvd(void) { PVOP_VCALL0(cpu.wbinvd); }
static inline void io_delay(void) { PVOP_VCALL0(cpu.io_delay); }
/* stac, clac - open and close ring 0's access to user pages around a
 * user copy (SMAP; NOPs where the CPU lacks it). */
static inline void stac(void) { PVOP_VCALLEE0(cpu.stac); }
static inline void clac(void) { PVOP_VCALLEE0(cpu.clac); }
/* load_sp0 - where this CPU enters the kernel from ring 3: the top of
 * the kernel stack of the thread about to run. */
static inline void load_sp0(unsigned long sp0) { PVOP_VCALL1(cpu.load_sp0, sp0); }

/* --- irq ------------------------------------------------------------- */

/* save_fl and irq_disable sites have room for a load or store at an
 * absolute address (PV_SITE_MEMOP_LEN): a virtual IF in memory. */
static inline unsigned long arch_local_save_flags(void)
{
	return __PV_RET(unsigned long, __PVOP_CALLEE(PV_SITE_MEMOP_LEN, PV_SITE_F_RET,
						     irq.save_fl));
}
static inline void arch_local_irq_restore(unsigned long f)
{
	PVOP_VCALLEE1(irq.restore_fl, f);
}
static inline void arch_local_irq_disable(void)
{
	(void)__PVOP_CALLEE(PV_SITE_MEMOP_LEN, 0, irq.irq_disable);
}
static inline void arch_local_irq_enable(void) { PVOP_VCALLEE0(irq.irq_enable); }
static inline unsigned long arch_local_irq_save(void)
{
	unsigned long f = arch_local_save_flags();

	arch_local_irq_disable();
	return f;
}
static inline void safe_halt(void) { PVOP_VCALL0(irq.safe_halt); }
static inline void halt(void) { PVOP_VCALL0(irq.halt); }

/* --- mmu ------------------------------------------------------------- */

static inline unsigned long read_cr2(void)
{
	return PVOP_CALLEE0(unsigned long, mmu.read_cr2);
}
static inline unsigned long read_cr3(void)
{
	return PVOP_CALL0(unsigned long, mmu.read_cr3);
}
static inline void write_cr3(unsigned long v) { PVOP_VCALL1(mmu.write_cr3, v); }
static inline void flush_tlb_user(void) { PVOP_VCALL0(mmu.flush_tlb_user); }
static inline void flush_tlb_kernel(void) { PVOP_VCALL0(mmu.flush_tlb_kernel); }
static inline void flush_tlb_one_user(unsigned long va)
{
	PVOP_VCALL1(mmu.flush_tlb_one_user, va);
}
static inline void flush_tlb_multi(cpumask_t cpus, const struct flush_tlb_info *info)
{
	PVOP_VCALL2(mmu.flush_tlb_multi, cpus, info);
}
static inline void set_pte(pte_t *p, pte_t v) { PVOP_VCALL2(mmu.set_pte, p, v.v); }
static inline void set_pmd(pmd_t *p, pmd_t v) { PVOP_VCALL2(mmu.set_pmd, p, v.v); }
static inline void set_pud(pud_t *p, pud_t v) { PVOP_VCALL2(mmu.set_pud, p, v.v); }
static inline void set_p4d(p4d_t *p, p4d_t v) { PVOP_VCALL2(mmu.set_p4d, p, v.v); }
static inline void paravirt_alloc_pt(phys_addr_t pa, int level)
{
	PVOP_VCALL2(mmu.alloc_pt, pa, level);
}
static inline void paravirt_release_pt(phys_addr_t pa, int level)
{
	PVOP_VCALL2(mmu.release_pt, pa, level);
}
static inline void lazy_mmu_enter(void) { PVOP_VCALL0(mmu.lazy_mode.enter); }
static inline void lazy_mmu_leave(void) { PVOP_VCALL0(mmu.lazy_mode.leave); }
static inline void lazy_mmu_flush(void) { PVOP_VCALL0(mmu.lazy_mode.flush); }

/* flush_tlb_local - drop what info says from this CPU's TLB: each page
 * of the range (invlpg drops global translations too), or everything
 * when the range is TLB_FLUSH_ALL or longer than a full flush costs
 * (kernel/mm/tlb.c). */
void flush_tlb_local(const struct flush_tlb_info *info);

/*
 * flush_tlb_range - a TLB shootdown: every online CPU in `cpus` drops its
 * translations of [start, end) (end TLB_FLUSH_ALL: all of them); returns
 * when each has. This CPU flushes itself, if in the set; the others are
 * the op's (natively an IPI each, under KVM none to a preempted vCPU).
 * After smp_init; after the page-table change it publishes.
 */
static inline void flush_tlb_range(cpumask_t cpus, unsigned long start, unsigned long end)
{
	struct flush_tlb_info info = { .start = start, .end = end };
	cpumask_t self = 1u << smp_processor_id();

	if (cpus & self)
		flush_tlb_local(&info);
	cpus &= smp_online_mask() & ~self;
	if (cpus)
		flush_tlb_multi(cpus, &info);
}
/* flush_tlb_others - the same for every online CPU but this one. */
static inline void flush_tlb_others(unsigned long start, unsigned long end)
{
	flush_tlb_range(~(1u << smp_processor_id()), start, end);
}

/* --- apic ------------------------------------------------------------ */

/*
 * The EOI's sites have room for the native EOI of either APIC mode (11
 * bytes: x2APIC's mov/xor/xor/wrmsr, xAPIC's movl $0 to the EOI register;
 * apic_eoi.S) and let it clobber rax, rcx and rdx, so the native platform's
 * template replaces the call; the slot still holds a callee-save op.
 */
#define APIC_EOI_SITE_LEN 11
static inline void apic_eoi(void) { PVOP_VCALLEE_MSR0(apic.eoi, APIC_EOI_SITE_LEN); }
static inline void apic_send_ipi(u32 apic_id, u32 vector)
{
	PVOP_VCALL2(apic.send_ipi, apic_id, vector);
}
static inline void apic_send_ipi_mask(cpumask_t mask, u32 vector)
{
	PVOP_VCALL2(apic.send_ipi_mask, mask, vector);
}
static inline void apic_timer_periodic(u32 vector, u32 count)
{
	PVOP_VCALL2(apic.timer_periodic, vector, count);
}
static inline void apic_timer_stop(void) { PVOP_VCALL0(apic.timer_stop); }

/* --- time ------------------------------------------------------------ */

static inline u64 sched_clock(void) { return PVOP_CALL0(u64, time.sched_clock); }
static inline u64 steal_clock(int cpu) { return PVOP_CALL1(u64, time.steal_clock, cpu); }

/* --- lock ------------------------------------------------------------ */

static inline void queued_spin_lock_slowpath(struct qspinlock *lock, u32 val)
{
	PVOP_VCALL2(lock.queued_spin_lock_slowpath, lock, val);
}
static inline void pv_wait(u8 *ptr, u8 val) { PVOP_VCALL2(lock.wait, ptr, val); }
static inline void pv_kick(int cpu) { PVOP_VCALL1(lock.kick, cpu); }
static inline void pv_spin_unlock(u8 *lock) { PVOP_VCALLEE1(lock.spin_unlock, lock); }
/* Room for KVM's inline read of the preempted byte (15 bytes, pv/kvm.c). */
#define PV_SITE_PREEMPTED_LEN 15
static inline bool vcpu_is_preempted(long cpu)
{
	return __PV_RET(bool, __PVOP_CALLEE(PV_SITE_PREEMPTED_LEN, PV_SITE_F_RET,
					    lock.vcpu_is_preempted, ,
					    "D"((unsigned long)cpu)));
}
static inline void yield_to(int cpu) { PVOP_VCALL1(lock.yield_to, cpu); }

/* --- hv: the hypervisor's own calls, hypercall convention ------------ */

/* pv_hypercallN - KVM's hypercall `nr` (numbers in abi/kvm_para.h): nr in
 * rax, a0..a3 in rbx rcx rdx rsi, the result back in rax, nothing else
 * changed; -PV_HV_ENOSYS (or the hypervisor's own error) where there is
 * nobody to call. Only for a hypercall the hypervisor offers: on a host
 * that does not handle them (PVM) the instruction never returns. */
static inline long pv_hypercall0(unsigned long nr)
{
	return PVOP_HCALL0(long, hv.hypercall, nr);
}
static inline long pv_hypercall1(unsigned long nr, unsigned long a0)
{
	return PVOP_HCALL1(long, hv.hypercall, nr, a0);
}
static inline long pv_hypercall2(unsigned long nr, unsigned long a0, unsigned long a1)
{
	return PVOP_HCALL2(long, hv.hypercall, nr, a0, a1);
}
static inline long pv_hypercall3(unsigned long nr, unsigned long a0, unsigned long a1,
				 unsigned long a2)
{
	return PVOP_HCALL3(long, hv.hypercall, nr, a0, a1, a2);
}
static inline long pv_hypercall4(unsigned long nr, unsigned long a0, unsigned long a1,
				 unsigned long a2, unsigned long a3)
{
	return PVOP_HCALL4(long, hv.hypercall, nr, a0, a1, a2, a3);
}

/* pv_doorbell - ring the platform's doorbell: `nr` out to `port` (pvhv's
 * hypercall; its arguments and result travel in its shared page). Returns
 * nr when rung, -PV_HV_ENOSYS where no platform has a doorbell. */
static inline long pv_doorbell(u32 nr, u16 port)
{
	return PVOP_HCALL3(long, hv.doorbell, nr, 0, 0, port);
}

/* --- platform: simple indirect calls --------------------------------- */

/* pv_platform_cpu_init - each platform's cpu_init hook, base first, on
 * an application processor as it starts: what the boot CPU registered
 * for itself in init(), the AP registers for itself (KVM's steal record
 * and PV EOI word, pvhv's shared page). After the AP's per-CPU area and
 * APIC are set up, before it reports in. */
void pv_platform_cpu_init(int cpu);
/* pv_platform_shutdown - each platform's shutdown hook, top first: what
 * must be undone before the machine goes (kernel/pv/platform.c). */
void pv_platform_shutdown(void);

static inline void console_write(const char *s, size_t n)
{
	PV_CALL(platform.console_write, s, n);
}
static inline noreturn void power_off(int status)
{
	pv_platform_shutdown();
	PV_CALL(platform.power_off, status);
}
static inline noreturn void reboot(void)
{
	pv_platform_shutdown();
	PV_CALL(platform.reboot);
}
static inline void platform_init(void) { PV_CALL(platform.platform_init); }
static inline void timer_init(void) { PV_CALL(platform.timer_init); }

#endif /* PVK_PARAVIRT_H */
