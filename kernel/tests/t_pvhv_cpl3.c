/*
 * t_pvhv_cpl3.c - self-tests of pvk at CPL 3 under pvhv --deprivileged
 * (kernel/pv/pvhv_cpl3.c): that the kernel really runs there, that the
 * virtual interrupt flag holds events back and lets them through, that a
 * lazy batch of page-table changes is one exit, and that pvhv refuses
 * what a hostile kernel would try (each refusal with its errno, the
 * kernel carrying on). Each skips unless the kernel entered at CPL 3.
 */
#include <ktest.h>
#include <mm.h>
#include <paging.h>
#include <paravirt.h>
#include <string.h>
#include <trap.h>
#include <pv/pvhv_cpl3.h>
#include <asm/apic.h>
#include <asm/irq_vectors.h>
#include <asm/layout.h>
#include <asm/processor.h>
#include <asm/segment.h>
#include <asm/smp.h>
#include <asm/x86_bits.h>

static bool at_cpl3(struct ktest_ctx *t)
{
	if (pvhv_cpl3_in_use())
		return true;
	KT_SKIP(t, "not at CPL 3 (pvhv --deprivileged)");
	return false;
}

static u16 read_cs(void)
{
	u16 cs;

	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	return cs;
}

static u64 read_real_rflags(void)
{
	u64 f;

	__asm__ volatile("pushfq; pop %0" : "=r"(f));
	return f;
}

/* The CPU says CPL 3 (cs's low bits, read independently of any op), the
 * real IF is on whatever the kernel's virtual one says. */
KTEST(cpl3_kernel_runs_at_cpl3)
{
	unsigned long flags;

	if (!at_cpl3(t))
		return;
	KT_EXPECTF(t, read_cs() == PVHV_CPL3_KERNEL_CS, "cs %#x", read_cs());
	KT_EXPECT(t, (read_cs() & 3) == 3);
	flags = arch_local_irq_save();
	KT_EXPECT(t, !(arch_local_save_flags() & X86_EFLAGS_IF));
	KT_EXPECT(t, read_real_rflags() & X86_EFLAGS_IF);
	KT_EXPECT(t, pvhv_cpl3_page.vif == 0);
	arch_local_irq_restore(flags);
	KT_EXPECT(t, pvhv_cpl3_page.vif == PVHV_CPL3_VIF_ON);
}

/* With the virtual IF off, timer ticks are held back by the monitor (it
 * counts them deferred, none reaches the kernel); turning it on delivers
 * the held one at once. */
KTEST(cpl3_virtual_if_holds_events_back)
{
	u64 deadline = sched_clock() + 2000000000ull, ticks, deferred;

	if (!at_cpl3(t))
		return;
	arch_local_irq_enable();
	KT_EXPECTF(t, !pvhv_cpl3_page.pending_any, "an event pending with the flag on");
	arch_local_irq_disable();
	ticks = apic_ticks;
	deferred = pvhv_cpl3_page.deferred;
	while (pvhv_cpl3_page.deferred == deferred && sched_clock() < deadline)
		cpu_relax();
	KT_EXPECTF(t, pvhv_cpl3_page.deferred > deferred, "no tick held back in 2 s");
	KT_EXPECT(t, pvhv_cpl3_page.pending_any);
	KT_EXPECTF(t, apic_ticks == ticks, "%llu ticks while the flag was off",
		   (unsigned long long)(apic_ticks - ticks));
	arch_local_irq_enable();
	KT_EXPECTF(t, apic_ticks > ticks, "the held tick was not delivered on sti");
	KT_EXPECT(t, !pvhv_cpl3_page.pending_any);
}

/* doorbells rung so far: pvhv's own count, through GET_STATS */
static u64 doorbells(void)
{
	static struct pvhv_stats st;

	if (pvhv_cpl3_call(PVHV_HC_GET_STATS, __pa(&st), sizeof(st), PVHV_ALL_VCPUS, 0) < 0)
		return 0;
	return st.count[PVHV_STAT_IO_PVHV];
}

/* 32 PTE changes in lazy MMU mode leave the guest once (one MULTICALL);
 * the same 32 outside it, 32 times. */
KTEST(cpl3_lazy_mmu_is_one_exit)
{
	pte_t *p = lookup_pte(kernel_pml4, fixmap_addr(FIX_TEST0));
	phys_addr_t a = alloc_page(), b = alloc_page();
	u64 d0, d1, d2;

	if (!at_cpl3(t))
		goto out;
	KT_EXPECT(t, p != NULL);
	if (!p)
		goto out;
	d0 = doorbells();
	lazy_mmu_enter();
	for (int i = 0; i < 32; i++)
		set_pte(p, (pte_t){ (i & 1 ? a : b) | PTE_PRESENT | PTE_NX });
	lazy_mmu_leave();
	d1 = doorbells();
	for (int i = 0; i < 32; i++)
		set_pte(p, (pte_t){ (i & 1 ? a : b) | PTE_PRESENT | PTE_NX });
	d2 = doorbells();
	set_pte(p, (pte_t){ 0 });
	flush_tlb_one_user(fixmap_addr(FIX_TEST0));
	/* each count includes its own GET_STATS */
	KT_EXPECTF(t, d1 - d0 == 2, "lazy: %llu doorbells", (unsigned long long)(d1 - d0));
	KT_EXPECTF(t, d2 - d1 == 33, "one by one: %llu doorbells", (unsigned long long)(d2 - d1));
out:
	free_page(a);
	free_page(b);
}

/* write_cr3 in lazy MMU mode is not queued: pvhv takes NEW_BASEPTR at
 * once (one exit before the batch ends). Queued, it would share a
 * MULTICALL with what follows, and pvhv refuses to unpin the table the
 * CPU still walks in the call that replaces it (the first switch unpins
 * the initial tables right after it). */
KTEST(cpl3_write_cr3_not_queued_in_lazy_mode)
{
	u64 d0, d1;

	if (!at_cpl3(t))
		return;
	d0 = doorbells();
	lazy_mmu_enter();
	write_cr3(read_cr3());
	d1 = doorbells();
	lazy_mmu_leave();
	/* each count includes its own GET_STATS */
	KT_EXPECTF(t, d1 - d0 == 2, "%llu doorbells around write_cr3 in lazy mode",
		   (unsigned long long)(d1 - d0));
}

/* One gate array entry (IDT format) pointing at `va`. */
static void gate_to(u64 *g, u64 va)
{
	g[0] = (va & 0xffff) | ((u64)KERNEL_CS << 16) | (0x8eull << 40) |
	       ((va >> 16 & 0xffff) << 48);
	g[1] = va >> 32;
}

/*
 * What a hostile kernel would try, each refused with its errno (abi/
 * pvhv_cpl3.h), and the kernel carries on: map pvhv's monitor, a frame
 * beyond RAM, a page table writable; pin a page mapped writable; load a
 * cr3 that is not a pinned top level; unpin the live or a linked table;
 * large and global pages; the monitor's PML4 slot; a trap table into the
 * monitor; an MSR or timer vector not allowed; pvhv writing results into
 * a page table. The tables are compared before and after.
 */
KTEST(cpl3_hostile_requests_refused)
{
	static u64 gates[2 * 2];
	static u8 before[PAGE_SIZE];
	const struct pvhv_cpl3_start *si;
	pte_t *p = lookup_pte(kernel_pml4, fixmap_addr(FIX_TEST0));
	phys_addr_t page = alloc_page(), pt;
	u64 pte_gpa, mon, beyond, pml4 = kernel_pml4;

	if (!at_cpl3(t) || !p)
		goto out;
	si = pvhv_cpl3_start_record();
	pte_gpa = __pa(p);
	pt = pte_gpa & ~(u64)(PAGE_SIZE - 1);
	mon = si->reserved_base;
	beyond = si->reserved_base + si->reserved_len + (1ull << 30);
	memcpy(before, __va(pml4), PAGE_SIZE);
#define CALL(op, a0, a1, a2, a3) pvhv_cpl3_call(PVHV_HC_##op, a0, a1, a2, a3)
#define REFUSED(err, op, a0, a1, a2, a3) do {                                       \
		s64 r_ = CALL(op, a0, a1, a2, a3);                                   \
		KT_EXPECTF(t, r_ == -(err), "%s: %lld, not %d", #op, (long long)r_, -(err)); \
	} while (0)
	REFUSED(PVHV_EPERM, MMU_UPDATE, pte_gpa, mon | PTE_PRESENT | PTE_USER | PTE_NX, 0, 0);
	REFUSED(PVHV_EPERM, MMU_UPDATE, pte_gpa, mon | PTE_PRESENT | PTE_WRITE | PTE_NX, 0, 0);
	REFUSED(PVHV_EFAULT, MMU_UPDATE, pte_gpa, beyond | PTE_PRESENT | PTE_NX, 0, 0);
	REFUSED(PVHV_EPERM, MMU_UPDATE, pte_gpa, pml4 | PTE_PRESENT | PTE_WRITE | PTE_NX, 0, 0);
	REFUSED(PVHV_EINVAL, MMU_UPDATE, pte_gpa, page | PTE_PRESENT | PTE_GLOBAL, 0, 0);
	REFUSED(PVHV_EINVAL, MMU_UPDATE, pte_gpa + 1, 0, 0, 0);
	REFUSED(PVHV_EINVAL, MMU_UPDATE, page, 0, 0, 0);        /* not a table */
	REFUSED(PVHV_EPERM, MMU_UPDATE, pml4 + 8 * PVHV_CPL3_MONITOR_SLOT,
		page | PTE_PRESENT | PTE_WRITE, 0, 0);
	REFUSED(PVHV_EBUSY, PIN, page >> PAGE_SHIFT, 1, 0, 0);   /* mapped writable */
	REFUSED(PVHV_EINVAL, PIN, page >> PAGE_SHIFT, 5, 0, 0);
	REFUSED(PVHV_EPERM, PIN, mon >> PAGE_SHIFT, 1, 0, 0);
	REFUSED(PVHV_EFAULT, PIN, beyond >> PAGE_SHIFT, 1, 0, 0);
	REFUSED(PVHV_EINVAL, NEW_BASEPTR, page >> PAGE_SHIFT, 0, 0, 0);
	REFUSED(PVHV_EBUSY, UNPIN, pml4 >> PAGE_SHIFT, 0, 0, 0); /* the live cr3 */
	REFUSED(PVHV_EBUSY, UNPIN, pt >> PAGE_SHIFT, 0, 0, 0);   /* linked */
	REFUSED(PVHV_EINVAL, UNPIN, page >> PAGE_SHIFT, 0, 0, 0); /* not a table */
	/* a read-only map of a table is fine (the kernel reads its tables) */
	KT_EXPECT(t, CALL(MMU_UPDATE, pte_gpa, pml4 | PTE_PRESENT | PTE_NX, 0, 0) == 0);
	KT_EXPECT(t, CALL(MMU_UPDATE, pte_gpa, 0, 0, 0) == 0);
	/* the trap table: into the monitor, non-canonical, too many gates */
	gate_to(gates, PVHV_CPL3_MONITOR_BASE + 0x100);
	REFUSED(PVHV_EINVAL, SET_TRAP_TABLE, __pa(gates), 1, KERNEL_CS, KERNEL_DS);
	gate_to(gates, 0x0000800000000000ull);
	REFUSED(PVHV_EINVAL, SET_TRAP_TABLE, __pa(gates), 1, KERNEL_CS, KERNEL_DS);
	REFUSED(PVHV_EINVAL, SET_TRAP_TABLE, __pa(gates), 257, KERNEL_CS, KERNEL_DS);
	/* MSRs pvk may not touch, timer vectors the monitor would misread */
	REFUSED(PVHV_EPERM, RDMSR, MSR_LSTAR, 0, 0, 0);
	REFUSED(PVHV_EPERM, WRMSR, MSR_EFER, 0, 0, 0);
	REFUSED(PVHV_EINVAL, SET_TIMER, PVHV_CPL3_VEC_HCALL, 1000000, 0, 0);
	REFUSED(PVHV_EINVAL, SET_TIMER, 14, 1000000, 0, 0);
	/* 0xff: the LAPIC's spurious vector, which the monitor never EOIs */
	REFUSED(PVHV_EINVAL, SET_TIMER, 0xff, 1000000, 0, 0);
	REFUSED(PVHV_EINVAL, KICK, 0, 0xff, 0, 0);
	/* pvhv writing a result into a page table: refused, table intact */
	KT_EXPECT(t, CALL(GET_STATS, pml4, 64, PVHV_ALL_VCPUS, 0) < 0);
	KT_EXPECT(t, CALL(GET_STATS, mon, 64, PVHV_ALL_VCPUS, 0) < 0);
	KT_EXPECT(t, !memcmp(before, __va(pml4), PAGE_SIZE));
	/* a flood: every call answered, nothing else changed */
	for (int i = 0; i < 1000; i++)
		if (CALL(NOP, 0, 0, 0, 0) != 0) {
			KT_EXPECTF(t, false, "NOP %d refused", i);
			break;
		}
	KT_EXPECT(t, !memcmp(before, __va(pml4), PAGE_SIZE));
#undef REFUSED
#undef CALL
out:
	free_page(page);
}

/* rdmsr at CPL 3 is pvhv's RDMSR: the GS base is what wrmsr gave it (the
 * boot CPU's per-CPU area), EFER says long mode and NX as pvhv set them. */
KTEST(cpl3_rdmsr_reads_back_through_pvhv)
{
	if (!at_cpl3(t))
		return;
	KT_EXPECTF(t, rdmsr(MSR_GS_BASE) == (u64)&percpu[0], "GS base %#llx",
		   (unsigned long long)rdmsr(MSR_GS_BASE));
	KT_EXPECTF(t, (rdmsr(MSR_EFER) & (EFER_LME | EFER_LMA | EFER_NXE)) ==
		      (EFER_LME | EFER_LMA | EFER_NXE), "EFER %#llx",
		   (unsigned long long)rdmsr(MSR_EFER));
}
