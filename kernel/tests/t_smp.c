/* t_smp.c - self-tests of the CPUs' bring-up (smp.c). */
#include <ktest.h>
#include <asm/smp.h>

/* Every CPU the MADT lists reported in, and each AP saw in its own APIC
 * the id the MADT gives it, and its per-CPU area at its GS base. */
KTEST(smp_every_cpu_reports_in)
{
	int n = smp_cpus_found;

	if (n < 0) {
		KT_SKIP(t, "no MADT: one CPU");
		return;
	}
	if (n <= 1) {
		KT_SKIP(t, "one CPU in the MADT");
		return;
	}
	if (n > SMP_MAX_CPUS)
		n = SMP_MAX_CPUS;
	KT_EXPECTF(t, smp_cpus_online == n, "%d CPUs online, the MADT has %d",
		   smp_cpus_online, n);
	for (int i = 0; i < n; i++) {
		const struct percpu *p = &percpu[i];

		KT_EXPECTF(t, p->online, "CPU %d (APIC %u) not online", i, p->apic_id);
		if (!p->online)
			continue;
		KT_EXPECTF(t, p->apic_id_seen == p->apic_id,
			   "CPU %d read APIC id %u, the MADT says %u", i,
			   p->apic_id_seen, p->apic_id);
		KT_EXPECTF(t, p->gs_ok, "CPU %d: %%gs:0 is not its per-CPU area", i);
	}
}

/* --- IPIs: smp_call_function ------------------------------------------ */

/* How often each CPU ran count_call, for the test under way (static: a
 * late handler after a timeout still writes somewhere harmless). */
static u32 call_counts[SMP_MAX_CPUS];

static void count_call(void *arg)
{
	u32 *counts = arg;

	__atomic_fetch_add(&counts[smp_processor_id()], 1, __ATOMIC_RELAXED);
}

/* False, and the test skipped, with fewer than two CPUs online. */
static bool two_cpus(struct ktest_ctx *t)
{
	cpumask_t online = smp_online_mask();

	if (!(online & (online - 1))) {         /* at most one bit */
		KT_SKIP(t, "one CPU online: no other CPU to send an IPI to");
		return false;
	}
	return true;
}

/* Call count_call on `mask`: every CPU in it answered and ran it exactly
 * once, and no other CPU ran it. */
static void expect_called(struct ktest_ctx *t, cpumask_t mask)
{
	cpumask_t missed;

	__builtin_memset(call_counts, 0, sizeof(call_counts));
	missed = smp_call_function(mask, count_call, call_counts);
	KT_EXPECTF(t, missed == 0, "CPUs %#x of %#x did not answer", missed, mask);
	for (int i = 0; i < SMP_MAX_CPUS; i++) {
		u32 want = mask >> i & 1;
		u32 got = __atomic_load_n(&call_counts[i], __ATOMIC_RELAXED);

		KT_EXPECTF(t, got == want, "CPU %d ran it %u times, %u wanted (mask %#x)",
			   i, got, want, mask);
	}
}

/* One other CPU: the highest online one. */
KTEST(smp_ipi_to_one)
{
	cpumask_t online = smp_online_mask();

	if (!two_cpus(t))
		return;
	expect_called(t, 1u << (31 - __builtin_clz(online)));
}

/* A set: the odd-numbered CPUs and this one, so on four CPUs CPU 2 is
 * left out and must not run it. */
KTEST(smp_ipi_to_a_set)
{
	cpumask_t online = smp_online_mask();

	if (!two_cpus(t))
		return;
	expect_called(t, (online & 0xaaaaaaaau) | 1u << smp_processor_id());
}

/* Every online CPU, this one included, each once. */
KTEST(smp_ipi_to_all)
{
	if (!two_cpus(t))
		return;
	expect_called(t, smp_online_mask());
}
