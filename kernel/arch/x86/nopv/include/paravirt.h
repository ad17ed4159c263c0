/*
 * paravirt.h, PARAVIRT=0 - every op compiled as the bare instruction, as
 * Linux without CONFIG_PARAVIRT: no pv_ops, no site records, no patching,
 * only the native platform.
 *
 * `make PARAVIRT=0` (or `make nopv`) puts this directory ahead of
 * kernel/include and include/ on the include path, so this file stands in
 * for kernel/include/paravirt.h and pvops/asm.h here for libpvops's: that
 * is the whole switch, no call site knows which build it is in. The
 * wrappers have the same names and contracts as the paravirt ones; each
 * is the native op of kernel/pv/native.c, inline (the asm/x86.h
 * wrappers), or a direct call to the native driver where native.c holds a
 * C function (sched_clock, EOI, the APIC timer, the UART).
 */
#ifndef PVK_PARAVIRT_H
#define PVK_PARAVIRT_H

#include <pv_ops.h>          /* the ops' types (struct cpuid_regs ...); no pv_ops object */
#include <asm/apic.h>
#include <asm/tsc.h>
#include <asm/uart.h>
#include <asm/x86.h>
#include <abi/pc_ports.h>
#include <abi/x86.h>         /* CR4_PGE */

/* --- cpu ------------------------------------------------------------- */

static inline void cpuid(u32 leaf, u32 sub, struct cpuid_regs *r)
{
	native_cpuid(leaf, sub, &r->eax, &r->ebx, &r->ecx, &r->edx);
}
static inline u64 rdmsr(u32 msr) { return native_rdmsr(msr); }
static inline void wrmsr(u32 msr, u64 v) { native_wrmsr(msr, v); }
static inline unsigned long read_cr0(void) { return native_read_cr0(); }
static inline void write_cr0(unsigned long v) { native_write_cr0(v); }
static inline unsigned long read_cr4(void) { return native_read_cr4(); }
static inline void write_cr4(unsigned long v) { native_write_cr4(v); }
static inline void load_idt(const struct desc_ptr *d) { native_lidt(d); }
static inline void load_gdt(const struct desc_ptr *d) { native_lgdt(d); }
static inline void load_tr(unsigned long sel) { native_ltr((u16)sel); }
static inline void wbinvd(void) { native_wbinvd(); }
static inline void io_delay(void) { native_io_delay(); }
/* stac/clac: the instruction where user_mode_init_cpu turned SMAP on
 * (a flag, as Linux's alternatives decide it once; it #UDs without SMAP). */
extern bool nopv_smap;
static inline void stac(void) { if (nopv_smap) native_stac(); }
static inline void clac(void) { if (nopv_smap) native_clac(); }
void native_load_sp0(unsigned long sp0);
static inline void load_sp0(unsigned long sp0) { native_load_sp0(sp0); }

/* --- irq ------------------------------------------------------------- */

static inline unsigned long arch_local_save_flags(void) { return native_save_fl(); }
static inline void arch_local_irq_restore(unsigned long f) { native_restore_fl(f); }
static inline void arch_local_irq_disable(void) { native_irq_disable(); }
static inline void arch_local_irq_enable(void) { native_irq_enable(); }
static inline unsigned long arch_local_irq_save(void)
{
	unsigned long f = arch_local_save_flags();

	arch_local_irq_disable();
	return f;
}
static inline void safe_halt(void) { native_safe_halt(); }
static inline void halt(void) { native_halt(); }

/* --- mmu ------------------------------------------------------------- */

static inline unsigned long read_cr2(void) { return native_read_cr2(); }
static inline unsigned long read_cr3(void) { return native_read_cr3_inline(); }
static inline void write_cr3(unsigned long v) { native_write_cr3_inline(v); }
/* Reloading cr3 drops every non-global translation. */
static inline void flush_tlb_user(void) { write_cr3(read_cr3()); }
/* Toggling CR4.PGE (flipped and back, whatever it was) drops every
 * translation, global ones too. */
static inline void flush_tlb_kernel(void)
{
	unsigned long cr4 = native_read_cr4();

	native_write_cr4(cr4 ^ CR4_PGE);
	native_write_cr4(cr4);
}
static inline void flush_tlb_one_user(unsigned long va) { native_invlpg(va); }
/* Page-table entries are ordinary memory on bare metal. */
static inline void set_pte(pte_t *p, pte_t v) { WRITE_ONCE(p->v, v.v); }
static inline void set_pmd(pmd_t *p, pmd_t v) { WRITE_ONCE(p->v, v.v); }
static inline void set_pud(pud_t *p, pud_t v) { WRITE_ONCE(p->v, v.v); }
static inline void set_p4d(p4d_t *p, p4d_t v) { WRITE_ONCE(p->v, v.v); }
static inline void paravirt_alloc_pt(phys_addr_t pa, int level) { (void)pa, (void)level; }
static inline void paravirt_release_pt(phys_addr_t pa, int level) { (void)pa, (void)level; }
static inline void lazy_mmu_enter(void) { }
static inline void lazy_mmu_leave(void) { }
static inline void lazy_mmu_flush(void) { }
void native_flush_tlb_multi(cpumask_t cpus, const struct flush_tlb_info *info);
static inline void flush_tlb_multi(cpumask_t cpus, const struct flush_tlb_info *info)
{
	native_flush_tlb_multi(cpus, info);
}
/* as kernel/include/paravirt.h's */
void flush_tlb_local(const struct flush_tlb_info *info);
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
static inline void flush_tlb_others(unsigned long start, unsigned long end)
{
	flush_tlb_range(~(1u << smp_processor_id()), start, end);
}

/* --- apic ------------------------------------------------------------ */

static inline void apic_eoi(void) { apic_native_eoi(); }
static inline void apic_send_ipi(u32 apic_id, u32 vector) { apic->send_ipi(apic_id, vector); }
static inline void apic_send_ipi_mask(cpumask_t mask, u32 vector)
{
	apic->send_ipi_mask(mask, vector);
}
static inline void apic_timer_periodic(u32 vector, u32 count)
{
	apic->timer_periodic(vector, count);
}
static inline void apic_timer_stop(void) { apic->timer_stop(); }

/* --- time ------------------------------------------------------------ */

static inline u64 sched_clock(void) { return tsc_sched_clock(); }
static inline u64 steal_clock(int cpu) { (void)cpu; return 0; }

/* --- lock ------------------------------------------------------------ */

/* Without paravirt the slow path is the native one, called directly;
 * the pv one (built, and tested directly) waits by spinning, kicks nobody. */
void qspinlock_native_slowpath(struct qspinlock *lock, u32 val);
void qspinlock_native_wait(u8 *ptr, u8 val);
static inline void queued_spin_lock_slowpath(struct qspinlock *lock, u32 val)
{
	qspinlock_native_slowpath(lock, val);
}
static inline void pv_wait(u8 *ptr, u8 val) { qspinlock_native_wait(ptr, val); }
static inline void pv_kick(int cpu) { (void)cpu; }
static inline void pv_spin_unlock(u8 *lock)
{
	__asm__ volatile("" : : : "memory");
	WRITE_ONCE(*lock, 0);
}
static inline bool vcpu_is_preempted(long cpu) { (void)cpu; return false; }
static inline void yield_to(int cpu) { (void)cpu; }

/* --- hv: no hypervisor to call --------------------------------------- */

static inline long pv_hypercall0(unsigned long nr) { (void)nr; return -PV_HV_ENOSYS; }
static inline long pv_hypercall1(unsigned long nr, unsigned long a0)
{
	(void)nr, (void)a0;
	return -PV_HV_ENOSYS;
}
static inline long pv_hypercall2(unsigned long nr, unsigned long a0, unsigned long a1)
{
	(void)nr, (void)a0, (void)a1;
	return -PV_HV_ENOSYS;
}
static inline long pv_hypercall3(unsigned long nr, unsigned long a0, unsigned long a1,
				 unsigned long a2)
{
	(void)nr, (void)a0, (void)a1, (void)a2;
	return -PV_HV_ENOSYS;
}
static inline long pv_hypercall4(unsigned long nr, unsigned long a0, unsigned long a1,
				 unsigned long a2, unsigned long a3)
{
	(void)nr, (void)a0, (void)a1, (void)a2, (void)a3;
	return -PV_HV_ENOSYS;
}
static inline long pv_doorbell(u32 nr, u16 port) { (void)nr, (void)port; return -PV_HV_ENOSYS; }

/* --- platform: the PC's own devices ---------------------------------- */

/* Nothing registered with a host to undo. */
static inline void pv_platform_shutdown(void) { }
static inline void pv_platform_cpu_init(int cpu) { (void)cpu; }

static inline void console_write(const char *s, size_t n) { uart_write(s, n); }
/* QEMU's isa-debug-exit ends the machine with status (v << 1) | 1. */
static inline noreturn void power_off(int status)
{
	outl(PORT_DEBUG_EXIT, (u32)status);
	for (;;)
		native_cli_hlt();
}
/* A triple fault: load an empty IDT and take an exception. */
static inline noreturn void reboot(void)
{
	struct desc_ptr none = { 0, 0 };

	native_lidt(&none);
	__asm__ volatile("int3");
	for (;;)
		native_cli_hlt();
}
static inline void platform_init(void) { }
static inline void timer_init(void) { apic_timer_init(); }

#endif /* PVK_PARAVIRT_H */
