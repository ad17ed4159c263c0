/*
 * apic.c - the local APIC: EOI, IPIs and the periodic timer, in xAPIC
 * (MMIO page) or x2APIC (MSR) mode.
 */
#include <paging.h>
#include <paravirt.h>
#include <pv/platform.h>
#include <printk.h>
#include <sched.h>
#include <pvops/native.h>
#include <trap.h>
#include <asm/apic.h>
#include <asm/layout.h>
#include <asm/smp.h>
#include <smp_stats.h>
#include <asm/x86.h>
#include <asm/x86_bits.h>

static volatile u32 *xapic;        /* mapped at FIX_APIC by apic_timer_init */
const struct apic_driver *apic;          /* apic_probe's choice (asm/apic.h) */
volatile u64 apic_ticks;

#define X2APIC_MSR(reg) (MSR_X2APIC_BASE + ((reg) >> 4))
#define X2APIC_ICR_DEST_SHIFT 32
#define XAPIC_ICR2_DEST_SHIFT 24
#define XAPIC_ID_SHIFT 24

/* x2APIC: one WRMSR per register write, no MMIO. */
void x2apic_eoi(void) { native_wrmsr(X2APIC_MSR(APIC_EOI), 0); }

static void x2apic_write(u32 reg, u32 v) { native_wrmsr(X2APIC_MSR(reg), v); }

void x2apic_send_ipi(u32 dest, u32 vector)
{
	native_wrmsr(X2APIC_MSR(APIC_ICR),
		     ((u64)dest << X2APIC_ICR_DEST_SHIFT) | vector);
}

/* xAPIC: a store to the EOI register of the MMIO page, by its fixed
 * address as the template has it. */
void xapic_eoi(void)
{
	*(volatile u32 *)(FIXMAP_ADDR(FIX_APIC) + APIC_EOI) = 0;
}

static void xapic_write(u32 reg, u32 v) { xapic[reg / 4] = v; }

void xapic_send_ipi(u32 dest, u32 vector)
{
	xapic_write(APIC_ICR2, dest << XAPIC_ICR2_DEST_SHIFT);
	xapic_write(APIC_ICR, vector);
}

/* How long an xAPIC's ICR is polled for its delivery status before the
 * previous command counts as lost. */
#define ICR_IDLE_POLLS 100000

/* Until the xAPIC accepted the last ICR command; false when it stayed
 * busy ICR_IDLE_POLLS polls. */
static bool xapic_icr_idle(void)
{
	for (int i = 0; xapic[APIC_ICR / 4] & APIC_ICR_PENDING; i++)
		if (i == ICR_IDLE_POLLS)
			return false;
	return true;
}

/* The native send_ipi_mask of each mode: one ICR write per target, by
 * its APIC id (percpu[]). x2APIC: one WRMSR each, the ICR is never busy. */
void x2apic_send_ipi_mask(cpumask_t mask, u32 vector)
{
	smp_stats_add(&smp_stats.ipi_icr, smp_stats_cpus(mask));
	for (; mask; mask &= mask - 1)
		x2apic_send_ipi(percpu[__builtin_ctz(mask)].apic_id, vector);
}

/* xAPIC: two MMIO writes each (destination, then command), after the
 * previous command was accepted (the delivery-status bit), with
 * interrupts off so no IPI sent from a handler lands between the two. */
void xapic_send_ipi_mask(cpumask_t mask, u32 vector)
{
	unsigned long flags = arch_local_irq_save();
	u64 n = smp_stats_cpus(mask);

	for (; mask; mask &= mask - 1) {
		int cpu = __builtin_ctz(mask);

		if (!xapic_icr_idle())
			panic("xapic_send_ipi_mask: ICR still busy before CPU %d", cpu);
		xapic_send_ipi(percpu[cpu].apic_id, vector);
	}
	arch_local_irq_restore(flags);
	smp_stats_add(&smp_stats.ipi_icr, n);
}

void apic_timer_periodic_native(u32 vector, u32 count)
{
	apic->write(APIC_TIMER_DIV, APIC_TIMER_DIV_16);
	apic->write(APIC_LVT_TIMER, APIC_TIMER_PERIODIC | vector);
	apic->write(APIC_TIMER_INIT, count);
}

void apic_timer_stop_native(void)
{
	apic->write(APIC_LVT_TIMER, APIC_LVT_MASKED);
	apic->write(APIC_TIMER_INIT, 0);
}

static u32 x2apic_id(void) { return (u32)native_rdmsr(X2APIC_MSR(APIC_ID)); }

static u32 xapic_id(void)
{
	if (!xapic)
		panic("apic_id: the xAPIC is not mapped yet");
	return xapic[APIC_ID / 4] >> XAPIC_ID_SHIFT;
}

const struct apic_driver x2apic_driver = {
	.name = "x2APIC",
	.id = x2apic_id,
	.send_ipi = x2apic_send_ipi,
	.send_ipi_mask = x2apic_send_ipi_mask,
	.timer_periodic = apic_timer_periodic_native,
	.timer_stop = apic_timer_stop_native,
	.write = x2apic_write,
};

const struct apic_driver xapic_driver = {
	.name = "xAPIC",
	.id = xapic_id,
	.send_ipi = xapic_send_ipi,
	.send_ipi_mask = xapic_send_ipi_mask,
	.timer_periodic = apic_timer_periodic_native,
	.timer_stop = apic_timer_stop_native,
	.write = xapic_write,
};

const struct apic_driver *apic_probe(void)
{
	u32 a, b, c, d;

	native_cpuid(1, 0, &a, &b, &c, &d);
	if (!(d & CPUID_1_EDX_APIC))
		apic = NULL;
	else if (c & CPUID_1_ECX_X2APIC)
		apic = &x2apic_driver;
	else
		apic = &xapic_driver;
	return apic;
}

void apic_native_eoi(void)
{
	if (apic == &x2apic_driver)
		x2apic_eoi();
	else
		xapic_eoi();
}

const char *apic_mode_name(void)
{
	return apic ? apic->name : "none";
}

bool apic_icr(u32 dest, u32 cmd)
{
	if (apic == &x2apic_driver) {
		x2apic_send_ipi(dest, cmd);     /* one 64-bit ICR write */
		return true;
	}
	if (apic != &xapic_driver || !xapic || !xapic_icr_idle())
		return false;
	xapic_send_ipi(dest, cmd);
	return true;
}

u32 apic_id(void)
{
	if (!apic)
		panic("apic_id: no local APIC enabled");
	return apic->id();
}

void apic_use(const struct apic_driver *drv)
{
	apic = drv;
}

void apic_cpu_enable(void)
{
	u64 base = rdmsr(MSR_APIC_BASE);

	if (!apic || (apic == &xapic_driver && !xapic))
		panic("apic_cpu_enable: the boot CPU's APIC is not set up");
	/* disabled -> xAPIC -> x2APIC: the one way in (SDM 3A 11.12.5) */
	if (!(base & APIC_BASE_ENABLE))
		wrmsr(MSR_APIC_BASE, base |= APIC_BASE_ENABLE);
	if (apic == &x2apic_driver && !(base & APIC_BASE_X2APIC))
		wrmsr(MSR_APIC_BASE, base | APIC_BASE_X2APIC);
	apic->write(APIC_SVR, APIC_SVR_ENABLE | SPURIOUS_VECTOR);
}

/* TIMER_VECTOR, on every CPU: count the tick in this CPU's own area
 * (and in apic_ticks on the boot CPU), give the scheduler its tick. */
static void timer_tick(void)
{
	struct percpu *p = this_cpu();

	p->ticks++;
	if (p == &percpu[0])
		apic_ticks++;
	sched_tick();
	apic_eoi();
}

static void spurious(void)
{
}


void apic_timer_start_cpu(void)
{
	apic_timer_periodic(TIMER_VECTOR, APIC_TIMER_COUNT);
}

void apic_timer_irqs_init(void)
{
	irq_register(TIMER_VECTOR, timer_tick);
	irq_register(SPURIOUS_VECTOR, spurious);
}

void apic_timer_init(void)
{
	if (!apic)
		panic("apic_timer_init: no local APIC");
	/* The 8259s are not used: mask them so nothing arrives from there. */
	outb(PORT_PIC1_DATA, PIC_MASK_ALL);
	outb(PORT_PIC2_DATA, PIC_MASK_ALL);

	u64 base = rdmsr(MSR_APIC_BASE);
	if (apic == &x2apic_driver) {
		wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE | APIC_BASE_X2APIC);
	} else {
		wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE);
		map_page(kernel_pml4, fixmap_addr(FIX_APIC), base & APIC_BASE_ADDR_MASK,
			 PTE_PRESENT | PTE_WRITE | PTE_PCD | PTE_PWT | PTE_NX);
		xapic = (volatile u32 *)fixmap_addr(FIX_APIC);
	}
	apic_timer_irqs_init();
	apic->write(APIC_SVR, APIC_SVR_ENABLE | SPURIOUS_VECTOR);
	apic_timer_start_cpu();
	printk("apic: %s, timer vector %d every %d ticks (divide by 16)\n",
	       apic->name, TIMER_VECTOR, APIC_TIMER_COUNT);
}
