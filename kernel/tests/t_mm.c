/* t_mm.c - self-tests of the mmu ops and of the kernel's page tables. */
#include <ktest.h>
#include <mm.h>
#include <paging.h>
#include <paravirt.h>
#include <trap.h>
#include <asm/layout.h>
#include <asm/x86_bits.h>

extern const char _text[];

KTEST(page_fault_reports_cr2)
{
	u8 v;
	const volatile void *addr = (const volatile void *)0x1234;

	last_fault.vector = 0;
	KT_EXPECT(t, probe_read(addr, &v) < 0);
	KT_EXPECTF(t, last_fault.vector == X86_TRAP_PF, "vector %llu",
		   (unsigned long long)last_fault.vector);
	KT_EXPECTF(t, last_fault.cr2 == 0x1234, "cr2 %#llx",
		   (unsigned long long)last_fault.cr2);
	KT_EXPECT(t, !(last_fault.error & PF_PRESENT));
}

KTEST(text_is_write_protected)
{
	volatile u8 *p = (volatile u8 *)_text + 64;

	/* the same byte back: harmless if protection were missing */
	KT_EXPECT(t, probe_write(p, *p) < 0);
	KT_EXPECT(t, last_fault.vector == X86_TRAP_PF);
	KT_EXPECT(t, (last_fault.error & (PF_PRESENT | PF_WRITE)) ==
		     (PF_PRESENT | PF_WRITE));
	KT_EXPECT(t, last_fault.cr2 == (u64)p);
}

static const u8 rodata_byte = 0xc3;   /* ret: harmless if NX were missing */

KTEST(rodata_is_read_only)
{
	volatile u8 *p = (volatile u8 *)&rodata_byte;

	KT_EXPECT(t, probe_write(p, *p) < 0);
	KT_EXPECT(t, (last_fault.error & (PF_PRESENT | PF_WRITE)) ==
		     (PF_PRESENT | PF_WRITE));
	KT_EXPECT(t, probe_exec((const void *)&rodata_byte) < 0);
	KT_EXPECT(t, last_fault.error & PF_INSTR);
}

static u8 data_ret[16] = { 0xc3 };   /* ret, in writable data */

KTEST(data_is_not_executable)
{
	KT_EXPECT(t, probe_exec(data_ret) < 0);
	KT_EXPECT(t, last_fault.vector == X86_TRAP_PF);
	KT_EXPECT(t, last_fault.error & PF_INSTR);
}

KTEST(pte_change_seen_after_flush)
{
	u64 va = fixmap_addr(FIX_TEST0);
	phys_addr_t a = alloc_page(), b = alloc_page();
	u8 v = 0;

	*(u8 *)__va(a) = 0x11;
	*(u8 *)__va(b) = 0x22;
	KT_EXPECT(t, map_page(kernel_pml4, va, a, PTE_PRESENT | PTE_NX) == 0);
	KT_EXPECT(t, probe_read((void *)va, &v) == 0 && v == 0x11);
	/* map_page writes the PTE through set_pte, then flush_tlb_one_user */
	KT_EXPECT(t, map_page(kernel_pml4, va, b, PTE_PRESENT | PTE_NX) == 0);
	KT_EXPECTF(t, probe_read((void *)va, &v) == 0 && v == 0x22,
		   "read %#x: the old translation survived the flush", v);
	set_pte(lookup_pte(kernel_pml4, va), (pte_t){ 0 });
	flush_tlb_one_user(va);
	KT_EXPECT(t, probe_read((void *)va, &v) < 0);
	free_page(a);
	free_page(b);
}

#define UNMAP_TEST_BYTE 0x3c

KTEST(unmap_page_clears_the_pte)
{
	u64 va = fixmap_addr(FIX_TEST1);
	phys_addr_t a = alloc_page();
	pte_t *pte;
	u8 v = 0;

	*(u8 *)__va(a) = UNMAP_TEST_BYTE;
	KT_EXPECT(t, map_page(kernel_pml4, va, a, PTE_PRESENT | PTE_NX) == 0);
	KT_EXPECT(t, probe_read((void *)va, &v) == 0 && v == UNMAP_TEST_BYTE);
	KT_EXPECTF(t, unmap_page(kernel_pml4, va) == a, "did not return the frame %#llx",
		   (unsigned long long)a);
	pte = lookup_pte(kernel_pml4, va);
	/* the table stays, its entry is 0 */
	KT_EXPECTF(t, pte && pte->v == 0, "pte %#llx",
		   pte ? (unsigned long long)pte->v : 0ull);
	/* gone from the TLB too: the read faults at va, not present */
	KT_EXPECT(t, probe_read((void *)va, &v) < 0);
	KT_EXPECT(t, last_fault.vector == X86_TRAP_PF && last_fault.cr2 == va);
	KT_EXPECT(t, !(last_fault.error & PF_PRESENT));
	KT_EXPECT(t, unmap_page(kernel_pml4, va) == 0);    /* nothing left */
	free_page(a);
}

/* An address no kernel mapping uses: its own top-level slot. */
#define SECOND_AS_VA 0xffffc00000000000ull

KTEST(cr3_switch_second_address_space)
{
	phys_addr_t other = pml4_clone(kernel_pml4), page = alloc_page();
	u8 v = 0;

	*(u8 *)__va(page) = 0x5a;
	KT_EXPECT(t, map_page(other, SECOND_AS_VA, page, PTE_PRESENT | PTE_NX) == 0);
	KT_EXPECT(t, probe_read((void *)SECOND_AS_VA, &v) < 0);

	unsigned long flags = arch_local_irq_save();
	write_cr3(other);
	KT_EXPECT(t, read_cr3() == other);
	int r = probe_read((void *)SECOND_AS_VA, &v);
	write_cr3(kernel_pml4);
	arch_local_irq_restore(flags);

	KT_EXPECTF(t, r == 0 && v == 0x5a, "r %d v %#x", r, v);
	KT_EXPECT(t, read_cr3() == kernel_pml4);
	KT_EXPECT(t, probe_read((void *)SECOND_AS_VA, &v) < 0);
	/* the three table pages map_page made in the clone's slot stay
	 * allocated: pvk has no page-table teardown */
	pml4_free_clone(other);
	free_page(page);
}
