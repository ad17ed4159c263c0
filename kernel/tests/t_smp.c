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
