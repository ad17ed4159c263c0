/*
 * tlb.c - the native TLB shootdown (asm/tlb.h): the sender publishes what
 * to flush and whom it waits for, sends TLB_FLUSH_VECTOR to each, and
 * waits until every one has flushed and cleared its bit, as Linux's
 * native_flush_tlb_multi does through its call-function machinery. Also
 * home of the IPI/TLB/yield counters (smp_stats.h).
 */
#include <paravirt.h>
#include <printk.h>
#include <smp_stats.h>
#include <spinlock.h>
#include <trap.h>
#include <asm/apic.h>
#include <asm/smp.h>
#include <asm/tlb.h>
#include <asm/x86.h>

struct smp_stats smp_stats;

/* The shootdown in flight: written by its sender under shootdown_lock
 * before the IPIs; `pending` holds the CPUs yet to flush. */
static struct {
	const struct flush_tlb_info *info;
	cpumask_t pending;
} shootdown;
static spinlock_t shootdown_lock = SPINLOCK_INIT;

/* If the shootdown in flight waits for this CPU: flush, answer. A late
 * IPI finds its bit clear and does nothing. */
static void answer_shootdown(void)
{
	cpumask_t bit = 1u << smp_processor_id();

	if (__atomic_load_n(&shootdown.pending, __ATOMIC_ACQUIRE) & bit) {
		flush_tlb_local(shootdown.info);
		__atomic_fetch_and(&shootdown.pending, ~bit, __ATOMIC_RELEASE);
	}
}

static void tlb_flush_irq(void)
{
	answer_shootdown();
	apic_eoi();
}

void native_flush_tlb_others(cpumask_t cpus, const struct flush_tlb_info *info)
{
	cpumask_t left;

	cpus &= smp_online_mask();
	if (!cpus)
		return;
	while (!spin_trylock(&shootdown_lock)) {
		answer_shootdown();
		cpu_relax();
	}
	shootdown.info = info;
	__atomic_store_n(&shootdown.pending, cpus, __ATOMIC_RELEASE);
	apic_send_ipi_mask(cpus, TLB_FLUSH_VECTOR);
	smp_stats_add(&smp_stats.tlb_ipis, smp_stats_cpus(cpus));
	left = smp_wait_answers(&shootdown.pending, TLB_SHOOTDOWN_TIMEOUT_NS);
	if (left)
		panic("native_flush_tlb_others: CPUs %#x did not flush", left);
	spin_unlock(&shootdown_lock);
}

void native_flush_tlb_multi(cpumask_t cpus, const struct flush_tlb_info *info)
{
	if (cpus & (1u << smp_processor_id()))
		panic("native_flush_tlb_multi: the caller is in the set (it flushes itself)");
	smp_stats_add(&smp_stats.tlb_shootdowns, 1);
	native_flush_tlb_others(cpus, info);
}

void tlb_smp_init(void)
{
	irq_register(TLB_FLUSH_VECTOR, tlb_flush_irq);
}
