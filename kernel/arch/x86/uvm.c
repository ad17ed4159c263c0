/*
 * uvm.c - user address spaces (uvm.h) on x86-64 4-level paging. Every
 * table is announced (alloc_pt) before it is linked and released
 * (release_pt) before it is freed; every entry is written through the pv
 * mmu ops, like the kernel's own tables (paging.c).
 */
#include <mm.h>
#include <paging.h>
#include <paravirt.h>
#include <printk.h>
#include <uvm.h>
#include <abi/syscall.h>
#include <pvops/errno.h>
#include <asm/smp.h>
#include <asm/x86_bits.h>

/* The first top-level slot of the kernel's half. */
#define PGD_KERNEL_FIRST (PTRS_PER_TABLE / 2)
/* A user table entry: present, writable, reachable from ring 3 (the
 * leaf decides what the page allows). */
#define PTE_USER_TABLE (PTE_PRESENT | PTE_WRITE | PTE_USER)

static u64 *table(phys_addr_t pa) { return __va(pa); }

/*
 * PCIDs (CR4.PCIDE, where CPUID has them): the kernel's own tables run
 * as PCID 0, a process as the PCID proc.c gives it (its table slot + 1),
 * so a switch back to it can keep its TLB entries (cr3 bit 63). A PCID
 * may be reloaded without a flush only when this CPU last loaded it for
 * the same owner (a PCID is reused by later processes) and no kernel
 * translation was flushed here since: invlpg drops a non-global kernel
 * translation from the live PCID only, so a flush of one (a shootdown,
 * a kernel map_page) makes every other PCID of this CPU stale.
 */
#define CR3_NOFLUSH   X86_BIT(63)
#define CR3_PCID_MASK _AC(0xfff, UL)

struct pcid_slot {
	int owner;          /* whose translations it may hold; -1 none */
	u64 gen;            /* kflush_gen when loaded */
};

static bool pcid_on;
static struct pcid_slot pcid_slots[SMP_MAX_CPUS][UVM_PCIDS];
static u64 kflush_gen[SMP_MAX_CPUS];
struct uvm_stats uvm_stats;

bool uvm_pcid_enabled(void)
{
	return pcid_on;
}

void uvm_pcid_init_cpu(int cpu, bool on)
{
	for (int i = 0; i < UVM_PCIDS; i++)
		pcid_slots[cpu][i].owner = -1;
	if (cpu == 0)
		pcid_on = on;
}

void uvm_kernel_flushed(void)
{
	if (pcid_on)
		kflush_gen[this_cpu()->cpu]++;
}

phys_addr_t uvm_create(void)
{
	phys_addr_t root = try_alloc_page();

	if (!root)
		return 0;
	paravirt_alloc_pt(root, 4);
	for (int i = PGD_KERNEL_FIRST; i < PTRS_PER_TABLE; i++)
		if (table(kernel_pml4)[i])
			set_p4d((p4d_t *)&table(root)[i], (p4d_t){ table(kernel_pml4)[i] });
	return root;
}

/* The table below entry e (of a table of `level`), made when absent and
 * `create`; 0 when absent and not made. */
static phys_addr_t lower(u64 *e, int level, bool create)
{
	phys_addr_t pa;
	u64 v;

	if (*e & PTE_PRESENT)
		return pt_entry_addr(*e);
	if (!create)
		return 0;
	pa = try_alloc_page();
	if (!pa)
		return 0;
	paravirt_alloc_pt(pa, level - 1);
	v = pa | PTE_USER_TABLE;
	switch (level) {
	case 4: set_p4d((p4d_t *)e, (p4d_t){ v }); break;
	case 3: set_pud((pud_t *)e, (pud_t){ v }); break;
	case 2: set_pmd((pmd_t *)e, (pmd_t){ v }); break;
	default: panic("uvm: lower: bad level %d", level);
	}
	return pa;
}

/* The PTE of user address va in root, the tables made when `create`. */
static u64 *walk(phys_addr_t root, u64 va, bool create)
{
	phys_addr_t pud, pmd, pt;

	if (va >= USER_TOP)
		panic("uvm: walk: %#lx is not a user address", (unsigned long)va);
	pud = lower(&table(root)[PGD_INDEX(va)], 4, create);
	if (!pud)
		return NULL;
	pmd = lower(&table(pud)[PUD_INDEX(va)], 3, create);
	if (!pmd)
		return NULL;
	pt = lower(&table(pmd)[PMD_INDEX(va)], 2, create);
	if (!pt)
		return NULL;
	return &table(pt)[PTE_INDEX(va)];
}

static bool live(phys_addr_t root)
{
	return (read_cr3() & PTE_ADDR_MASK) == root;
}

int uvm_map(phys_addr_t root, u64 va, phys_addr_t pa, unsigned prot)
{
	u64 *pte = walk(root, va, true);
	u64 v = pa | PTE_PRESENT | PTE_USER;

	if (!pte)
		return -ENOMEM;
	if (*pte & PTE_PRESENT)
		panic("uvm_map: %#lx is mapped already", (unsigned long)va);
	if (prot & UVM_WRITE)
		v |= PTE_WRITE;
	if (!(prot & UVM_EXEC))
		v |= PTE_NX;
	set_pte((pte_t *)pte, (pte_t){ v });
	return 0;
}

phys_addr_t uvm_unmap(phys_addr_t root, u64 va)
{
	u64 *pte = walk(root, va, false);
	phys_addr_t pa;

	if (!pte || !(*pte & PTE_PRESENT))
		return 0;
	pa = pt_entry_addr(*pte);
	set_pte((pte_t *)pte, (pte_t){ 0 });
	if (live(root))
		flush_tlb_one_user(va);
	return pa;
}

bool uvm_mapped(phys_addr_t root, u64 va)
{
	u64 *pte = walk(root, va, false);

	return pte && (*pte & PTE_PRESENT);
}

/* Free the table at pa of `level` and, below it, every table and page. */
static void free_level(phys_addr_t pa, int level)
{
	u64 *t = table(pa);

	for (int i = 0; i < PTRS_PER_TABLE; i++) {
		if (!(t[i] & PTE_PRESENT))
			continue;
		if (level > 1)
			free_level(pt_entry_addr(t[i]), level - 1);
		else
			free_page(pt_entry_addr(t[i]));
	}
	paravirt_release_pt(pa, level);
	free_page(pa);
}

void uvm_destroy(phys_addr_t root)
{
	u64 *t = table(root);

	if (live(root))
		panic("uvm_destroy: the live address space");
	for (int i = 0; i < PGD_KERNEL_FIRST; i++)
		if (t[i] & PTE_PRESENT)
			free_level(pt_entry_addr(t[i]), 3);
	paravirt_release_pt(root, 4);
	free_page(root);
}

void uvm_switch(phys_addr_t root, unsigned pcid, int owner)
{
	int cpu = this_cpu()->cpu;
	struct pcid_slot *slot;
	u64 cr3;

	if (!root) {
		root = kernel_pml4;
		pcid = 0;
		owner = 0;
	}
	if (!pcid_on) {
		if (!live(root))
			write_cr3(root);
		return;
	}
	if (pcid >= UVM_PCIDS)
		panic("uvm_switch: PCID %u beyond %d", pcid, UVM_PCIDS);
	if ((read_cr3() & (PTE_ADDR_MASK | CR3_PCID_MASK)) == (root | pcid))
		return;
	slot = &pcid_slots[cpu][pcid];
	cr3 = root | pcid;
	if (slot->owner == owner && slot->gen == kflush_gen[cpu]) {
		cr3 |= CR3_NOFLUSH;
		__atomic_fetch_add(&uvm_stats.kept, 1, __ATOMIC_RELAXED);
	} else {
		__atomic_fetch_add(&uvm_stats.flushed, 1, __ATOMIC_RELAXED);
	}
	slot->owner = owner;
	slot->gen = kflush_gen[cpu];
	write_cr3(cr3);
}
