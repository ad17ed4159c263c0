/*
 * native.c - the bare-metal ops: what pv_ops holds before any platform
 * overrides anything, and what the patch engine inlines.
 *
 * Ops that are a single instruction come from libpvops (pv_native_*:
 * the instruction then ret, and its template). The rest are small C
 * functions over asm/x86.h; each becomes a direct call at its sites.
 */
#include <cmdline.h>
#include <paravirt.h>
#include <printk.h>
#include <spinlock.h>
#include <pvops/native.h>
#include <asm/x86.h>
#include <asm/apic.h>
#include <asm/user.h>
#include <asm/tlb.h>
#include <asm/tsc.h>
#include <asm/uart.h>
#include <pv/platform.h>

static void native_cpuid_op(u32 leaf, u32 sub, struct cpuid_regs *r)
{
	native_cpuid(leaf, sub, &r->eax, &r->ebx, &r->ecx, &r->edx);
}

static void native_load_idt(const struct desc_ptr *d) { native_lidt(d); }
static void native_load_gdt(const struct desc_ptr *d) { native_lgdt(d); }
static void native_load_tr(unsigned long sel) { native_ltr((u16)sel); }

/* Reloading cr3 drops every non-global translation. */
static void native_flush_tlb_user(void)
{
	native_write_cr3_inline(native_read_cr3_inline());
}

/* Toggling CR4.PGE drops every translation, global ones too: flipped
 * and back, so it flushes whether PGE is on or off (a write that leaves
 * PGE as it was flushes nothing), as Linux's native_flush_tlb_global. */
static void native_flush_tlb_kernel(void)
{
	unsigned long cr4 = native_read_cr4();

	native_write_cr4(cr4 ^ CR4_PGE);
	native_write_cr4(cr4);
}

/* Page-table entries are ordinary memory on bare metal. */
static void native_set_pte(pte_t *p, pte_t v) { WRITE_ONCE(p->v, v.v); }
static void native_set_pmd(pmd_t *p, pmd_t v) { WRITE_ONCE(p->v, v.v); }
static void native_set_pud(pud_t *p, pud_t v) { WRITE_ONCE(p->v, v.v); }
static void native_set_p4d(p4d_t *p, p4d_t v) { WRITE_ONCE(p->v, v.v); }

static u64 native_steal_clock(int cpu)
{
	(void)cpu;
	return 0;
}

/* QEMU's isa-debug-exit ends the machine with status (v << 1) | 1. */
static noreturn void native_power_off(int status)
{
	outl(PORT_DEBUG_EXIT, (u32)status);
	for (;;)
		native_cli_hlt();
}

static noreturn void native_reboot(void)
{
	/* A triple fault: load an empty IDT and take an exception. */
	struct desc_ptr none = { 0, 0 };

	native_lidt(&none);
	__asm__ volatile("int3");
	for (;;)
		native_cli_hlt();
}

/* The native platform's backend template: the APIC mode's EOI. */
static struct pv_backend_tmpl native_tmpls[1];
static struct pv_platform_backend native_backend;

/*
 * The EOI templates and their callable twins (pv/apic_eoi.S): what the
 * native platform installs in apic.eoi and hands the patch engine, so a
 * patched site holds the EOI itself.
 */
extern const u8 apic_x2apic_eoi_bytes[], apic_x2apic_eoi_end[];
extern const u8 apic_xapic_eoi_bytes[], apic_xapic_eoi_end[];

static const struct pv_tmpl apic_tmpl_x2apic_eoi = {
	.name = "mov $0x80b,%ecx; xor %eax,%eax; xor %edx,%edx; wrmsr",
	.bytes = apic_x2apic_eoi_bytes,
	.end = apic_x2apic_eoi_end,
	.clobbers = PV_CLOBBERS_MSR,
	.fn = x2apic_eoi_cs,
};

static const struct pv_tmpl apic_tmpl_xapic_eoi = {
	.name = "movl $0,FIX_APIC+0xb0",
	.bytes = apic_xapic_eoi_bytes,
	.end = apic_xapic_eoi_end,
	.clobbers = PV_CLOBBERS_NONE,
	.fn = xapic_eoi_cs,
};

/* Put driver d's ops in pv_ops.apic, each through a PV_PLAN record:
 * "apic=x2apic" or "apic=xapic", "apic" (pvsites models both). The EOI's
 * record carries its template, so apic.eoi's sites (APIC_EOI_SITE_LEN
 * bytes, rax rcx rdx clobbered: paravirt.h) hold the EOI itself while the
 * slot holds the native twin; a platform that installs another EOI later
 * (KVM's PV EOI) gets direct calls, as a backend entry is only used while
 * its slot holds its function. */
static void apic_install(const struct apic_driver *d)
{
	if (d == &x2apic_driver) {
		native_tmpls[0] = pv_plan_backend(PV_PLAN("native", "apic=x2apic", apic.eoi,
							  x2apic_eoi_cs, &apic_tmpl_x2apic_eoi));
		PV_PLAN("native", "apic=x2apic", apic.send_ipi, x2apic_send_ipi, NULL);
		PV_PLAN("native", "apic=x2apic", apic.send_ipi_mask, x2apic_send_ipi_mask, NULL);
	} else {
		native_tmpls[0] = pv_plan_backend(PV_PLAN("native", "apic=xapic", apic.eoi,
							  xapic_eoi_cs, &apic_tmpl_xapic_eoi));
		PV_PLAN("native", "apic=xapic", apic.send_ipi, xapic_send_ipi, NULL);
		PV_PLAN("native", "apic=xapic", apic.send_ipi_mask, xapic_send_ipi_mask, NULL);
	}
	native_backend.tmpls = native_tmpls;
	native_backend.nr = ARRAY_SIZE(native_tmpls);
	PV_PLAN("native", "apic", apic.timer_periodic, apic_timer_periodic_native, NULL);
	PV_PLAN("native", "apic", apic.timer_stop, apic_timer_stop_native, NULL);
	/* the records name the functions; the driver must agree */
	BUG_ON(pv_ops.apic.send_ipi != d->send_ipi ||
	       pv_ops.apic.send_ipi_mask != d->send_ipi_mask ||
	       pv_ops.apic.timer_periodic != d->timer_periodic ||
	       pv_ops.apic.timer_stop != d->timer_stop);
}

static void native_platform_init(void) { }

/* hv.hypercall, hv.doorbell: bare metal has no hypervisor to call. A C
 * function, never NULL (a NULL slot's sites would be ud2). */
__attribute__((used)) static unsigned long
native_hv_enosys(unsigned long nr, unsigned long a0, unsigned long a1,
		 unsigned long a2, unsigned long a3)
{
	(void)nr, (void)a0, (void)a1, (void)a2, (void)a3;
	return (unsigned long)-PV_HV_ENOSYS;
}
PV_HCALL_THUNK(native_hv_enosys);

struct pv_ops pv_ops = {
	.cpu = {
		.cpuid = native_cpuid_op,
		.read_msr = native_rdmsr,
		.write_msr = native_wrmsr,
		.read_cr0 = (unsigned long (*)(void))pv_native_read_cr0,
		.write_cr0 = (void (*)(unsigned long))pv_native_write_cr0,
		.read_cr4 = (unsigned long (*)(void))pv_native_read_cr4,
		.write_cr4 = (void (*)(unsigned long))pv_native_write_cr4,
		.load_idt = native_load_idt,
		.load_gdt = native_load_gdt,
		.load_tr = native_load_tr,
		.wbinvd = (void (*)(void))pv_native_wbinvd,
		.io_delay = (void (*)(void))pv_native_io_delay,
		.iret = PV_IS_CALLEE_SAVE(pv_native_iret),
		.swapgs = PV_IS_CALLEE_SAVE(pv_native_swapgs),
		.sysret = PV_IS_CALLEE_SAVE(pv_native_sysret),
		/* native_init keeps these or makes them pv_nop, by CPUID */
		.stac = PV_IS_CALLEE_SAVE(pv_native_stac),
		.clac = PV_IS_CALLEE_SAVE(pv_native_clac),
		.load_sp0 = native_load_sp0,
	},
	.irq = {
		.save_fl = PV_IS_CALLEE_SAVE(pv_native_save_fl),
		.restore_fl = PV_IS_CALLEE_SAVE(pv_native_restore_fl),
		.irq_disable = PV_IS_CALLEE_SAVE(pv_native_irq_disable),
		.irq_enable = PV_IS_CALLEE_SAVE(pv_native_irq_enable),
		.safe_halt = (void (*)(void))pv_native_safe_halt,
		.halt = (void (*)(void))pv_native_halt,
	},
	.mmu = {
		.read_cr2 = PV_IS_CALLEE_SAVE(pv_native_read_cr2),
		.read_cr3 = (unsigned long (*)(void))pv_native_read_cr3,
		.write_cr3 = (void (*)(unsigned long))pv_native_write_cr3,
		.flush_tlb_user = native_flush_tlb_user,
		.flush_tlb_kernel = native_flush_tlb_kernel,
		.flush_tlb_one_user = (void (*)(unsigned long))pv_native_flush_tlb_one,
		.flush_tlb_multi = native_flush_tlb_multi,
		.set_pte = native_set_pte,
		.set_pmd = native_set_pmd,
		.set_pud = native_set_pud,
		.set_p4d = native_set_p4d,
		.alloc_pt = (void (*)(phys_addr_t, int))pv_nop,
		.release_pt = (void (*)(phys_addr_t, int))pv_nop,
		.lazy_mode = {
			.enter = (void (*)(void))pv_nop,
			.leave = (void (*)(void))pv_nop,
			.flush = (void (*)(void))pv_nop,
		},
	},
	.apic = {
		/* native_init picks xAPIC or x2APIC (apic_probe) before patching */
		.eoi = PV_IS_CALLEE_SAVE(NULL),
		.send_ipi = NULL,
		.send_ipi_mask = NULL,
		.timer_periodic = NULL,
		.timer_stop = NULL,
	},
	.time = {
		.sched_clock = tsc_sched_clock,
		.steal_clock = native_steal_clock,
	},
	.lock = {
		.queued_spin_lock_slowpath = qspinlock_native_slowpath,
		/* used only by the pv slow path (qspinlock=pv): spin, wake nobody */
		.wait = qspinlock_native_wait,
		.kick = (void (*)(int))pv_nop,
		.spin_unlock = PV_IS_CALLEE_SAVE(pv_native_spin_unlock),
		.vcpu_is_preempted = PV_IS_CALLEE_SAVE(pv_native_vcpu_is_preempted),
		/* nobody else could run in this CPU's stead: the sites are NOPs */
		.yield_to = (void (*)(int))pv_nop,
	},
	.hv = {
		.hypercall = PV_HCALL(native_hv_enosys),
		.doorbell = PV_HCALL(native_hv_enosys),
	},
	.platform = {
		.console_write = uart_write,
		.power_off = native_power_off,
		.reboot = native_reboot,
		.platform_init = native_platform_init,
		.timer_init = apic_timer_init,
	},
};

/* The ops whose native function has a template (pvops/native.h). */
const struct pv_native native_patch_table[] = {
	PV_NATIVES_ANY_SLOT,
	PV_NATIVE(PV_SLOT(cpu.read_cr0), read_cr0),
	PV_NATIVE(PV_SLOT(cpu.write_cr0), write_cr0),
	PV_NATIVE(PV_SLOT(cpu.read_cr4), read_cr4),
	PV_NATIVE(PV_SLOT(cpu.write_cr4), write_cr4),
	PV_NATIVE(PV_SLOT(cpu.wbinvd), wbinvd),
	PV_NATIVE(PV_SLOT(cpu.io_delay), io_delay),
	PV_NATIVE(PV_SLOT(cpu.iret), iret),
	PV_NATIVE(PV_SLOT(cpu.swapgs), swapgs),
	PV_NATIVE(PV_SLOT(cpu.sysret), sysret),
	PV_NATIVE(PV_SLOT(cpu.stac), stac),
	PV_NATIVE(PV_SLOT(cpu.clac), clac),
	PV_NATIVE(PV_SLOT(irq.save_fl), save_fl),
	PV_NATIVE(PV_SLOT(irq.restore_fl), restore_fl),
	PV_NATIVE(PV_SLOT(irq.irq_disable), irq_disable),
	PV_NATIVE(PV_SLOT(irq.irq_enable), irq_enable),
	PV_NATIVE(PV_SLOT(irq.safe_halt), safe_halt),
	PV_NATIVE(PV_SLOT(irq.halt), halt),
	PV_NATIVE(PV_SLOT(mmu.read_cr2), read_cr2),
	PV_NATIVE(PV_SLOT(mmu.read_cr3), read_cr3),
	PV_NATIVE(PV_SLOT(mmu.write_cr3), write_cr3),
	PV_NATIVE(PV_SLOT(mmu.flush_tlb_one_user), flush_tlb_one),
	PV_NATIVE(PV_SLOT(lock.spin_unlock), spin_unlock),
	PV_NATIVE(PV_SLOT(lock.vcpu_is_preempted), vcpu_is_preempted),
};
const size_t native_patch_table_len = ARRAY_SIZE(native_patch_table);

/* native_init - bare metal: the defaults above, plus the APIC's mode,
 * which only CPUID can tell. */
static void native_init(void)
{
	const struct apic_driver *apic = apic_probe();

	/*
	 * qspinlock=pv: the pv slow path and unlock on any platform, over
	 * qspinlock_native_wait and a kick that does nothing, so the queue's
	 * halt-and-kick logic runs (and is tested) where no hypervisor halts;
	 * a platform that has real wait and kick installs its own after this.
	 * qspinlock=native names the default for the tools (pvsites).
	 */
	if (!boot_params.qspinlock_pv) {
		PV_PLAN("native", "qspinlock=native", lock.queued_spin_lock_slowpath,
			qspinlock_native_slowpath, NULL);
	} else {
		PV_PLAN("native", "qspinlock=pv", lock.queued_spin_lock_slowpath,
			pv_queued_spin_lock_slowpath, NULL);
		PV_PLAN("native", "qspinlock=pv", lock.spin_unlock,
			__pv_cs_pv_queued_spin_unlock, NULL);
	}

	/*
	 * stac/clac: the instruction where the CPU has SMAP (it #UDs where
	 * it does not), else pv_nop, whose sites the engine turns into
	 * NOPs: the choice is made here, once, before patching.
	 */
	if (cpu_has_smap()) {
		PV_PLAN("native", "smap=on", cpu.stac, pv_native_stac, NULL);
		PV_PLAN("native", "smap=on", cpu.clac, pv_native_clac, NULL);
	} else {
		PV_PLAN("native", "smap=off", cpu.stac, pv_nop, NULL);
		PV_PLAN("native", "smap=off", cpu.clac, pv_nop, NULL);
	}

	if (!apic)
		return;                /* apic_timer_init will say so */
	apic_install(apic);
}

/* The root: always there (no detect), every other platform builds on it. */
PV_PLATFORM(platform_native) = {
	.name = "native",
	.priority = PV_PRIO_ROOT,
	.init = native_init,
	.backend = &native_backend,
};
