/* t_cpu.c - self-tests of the cpu and irq ops. */
#include <ktest.h>
#include <paravirt.h>
#include <asm/apic.h>
#include <asm/x86_bits.h>

KTEST(irq_flags_roundtrip)
{
	unsigned long f = arch_local_irq_save();

	KT_EXPECT(t, !(arch_local_save_flags() & X86_EFLAGS_IF));
	arch_local_irq_enable();
	KT_EXPECT(t, arch_local_save_flags() & X86_EFLAGS_IF);
	arch_local_irq_disable();
	KT_EXPECT(t, !(arch_local_save_flags() & X86_EFLAGS_IF));
	arch_local_irq_restore(f | X86_EFLAGS_IF);
	KT_EXPECT(t, arch_local_save_flags() & X86_EFLAGS_IF);
	arch_local_irq_restore(f);
	KT_EXPECTF(t, arch_local_save_flags() == f, "flags %#lx, saved %#lx",
		   arch_local_save_flags(), f);
}

KTEST(cpuid_through_op)
{
	struct cpuid_regs r;
	char vendor[12];

	cpuid(0, 0, &r);
	KT_EXPECTF(t, r.eax >= 1, "max basic leaf %u", r.eax);
	__builtin_memcpy(vendor, &r.ebx, 4);
	__builtin_memcpy(vendor + 4, &r.edx, 4);
	__builtin_memcpy(vendor + 8, &r.ecx, 4);
	for (int i = 0; i < 12; i++)
		KT_EXPECTF(t, vendor[i] >= ' ' && vendor[i] <= '~',
			   "vendor byte %d is %#x", i, (u8)vendor[i]);
	cpuid(1, 0, &r);
	KT_EXPECTF(t, r.eax != 0, "leaf 1 signature %#x", r.eax);
}

/*
 * Bit 31 is CR0.PG, set in long mode, and reserved (clear) in CR4. Bit 5
 * is CR4.PAE, required in long mode, but it is also CR0.NE, which pvk
 * sets: PAE alone would not tell CR4 from CR0. CR3 has bit 5 clear (a
 * page-aligned address, no PCID).
 */
#define CR4_RESERVED_CR0_PG CR0_PG

KTEST(control_registers_through_ops)
{
	unsigned long cr4 = read_cr4();

	KT_EXPECT(t, read_cr0() & CR0_PG);
	KT_EXPECT(t, read_cr0() & CR0_WP);
	KT_EXPECTF(t, cr4 & CR4_PAE, "cr4 %#lx", cr4);
	KT_EXPECTF(t, !(cr4 & CR4_RESERVED_CR0_PG), "cr4 %#lx: CR0?", cr4);
	KT_EXPECT(t, rdmsr(MSR_EFER) & EFER_LMA);
}

KTEST(timer_interrupts_arrive_and_eoi)
{
	u64 start = apic_ticks, deadline = sched_clock() + 2000000000ull;

	/* safe_halt: sti; hlt, so a tick cannot slip in between */
	while (apic_ticks < start + 3 && sched_clock() < deadline) {
		safe_halt();
		arch_local_irq_disable();
	}
	KT_EXPECTF(t, apic_ticks >= start + 3,
		   "%llu ticks in 2 s: without EOI only the first arrives",
		   (unsigned long long)(apic_ticks - start));
}

/* Across two timer interrupts (a real delay, timed by the APIC, not by
 * the clock under test) the clock strictly advances. Like the tests
 * around it, runs and ends with interrupts off. */
KTEST(sched_clock_advances)
{
	enum { TICKS = 2 };
	u64 start = apic_ticks, a = sched_clock(), b;

	while (apic_ticks < start + TICKS) {
		safe_halt();
		arch_local_irq_disable();
	}
	b = sched_clock();
	KT_EXPECTF(t, b > a, "%llu ns, then %llu ns %d ticks later",
		   (unsigned long long)a, (unsigned long long)b, TICKS);
	KT_EXPECT(t, a > 0);
}
