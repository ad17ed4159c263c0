/*
 * pvhv_cpl3.c - pvk deprivileged: the same image at CPL 3 under
 * `pvhv --deprivileged`, every privileged operation through pvhv. This
 * is what paravirt_ops were invented for (Xen PV, lguest): the hardware
 * cannot virtualize a kernel outside ring 0, so each privileged
 * instruction becomes a call into the hypervisor, and each op below
 * replaces one instruction with something a CPL-3 kernel may do.
 *
 * The story (abi/pvhv_cpl3.h and docs/pvhv-abi.md have the contract):
 *
 *  1. pvhv finds the image's PVHV note and starts pvhv_cpl3_entry (in
 *     pvhv_cpl3_entry.S) at CPL 3, on page tables it built: all of RAM
 *     at KERNEL_VMA in 4 KiB pages, those tables themselves read-only.
 *  2. pvhv_cpl3_start registers the vCPU page through the monitor's
 *     REGISTER gate, fills every privileged op with this file's, hands
 *     the IDT to pvhv as the trap table, and joins the normal boot
 *     (boot_common). From then on generic code runs as anywhere else;
 *     the platform is chosen like any other ("sole": nothing else could
 *     run this kernel now), and the patch engine patches our sites.
 *  3. Interrupts: the real IF stays 1; the kernel's is the word `vif` in
 *     the vCPU page, holding RFLAGS.IF's value: cli and pushf are patched
 *     to one store and one load of it (pvhv_cpl3_entry.S). The monitor delivers an event onto the kernel's
 *     stack only while vif is set, else keeps it pending; setting vif
 *     checks for pending ones (pvhv_cpl3_irq_enable).
 *  4. Memory: no page table is ever written by the kernel once pvhv knows
 *     it. A page becomes a table through alloc_pt: first it is made
 *     read-only wherever the kernel maps it, then pinned (pvhv validates
 *     every entry). Entries change through MMU_UPDATE; in lazy MMU mode
 *     they are queued and go as one MULTICALL. cr3 loads and flushes go
 *     through pvhv and the monitor.
 *
 * One vCPU: pvhv --deprivileged runs one.
 */
#include <boot_info.h>
#include <cmdline.h>
#include <kernel.h>
#include <mm.h>
#include <paging.h>
#include <paravirt.h>
#include <printk.h>
#include <string.h>
#include <trap.h>
#include <pv/platform.h>
#include <pv/pvhv_cpl3.h>
#include <pvops/native.h>
#include <abi/pvhv.h>
#include <abi/pvhv_cpl3.h>
#include <asm/apic.h>
#include <asm/irq_vectors.h>
#include <asm/layout.h>
#include <asm/segment.h>
#include <asm/x86.h>
#include "../arch/x86/boot/boot.h"

/* The vCPU page: hypercall arguments, the virtual IF, pending events. */
struct pvhv_vcpu_page pvhv_cpl3_page __attribute__((aligned(PVHV_PAGE_SIZE)));

/* pvhv_cpl3_entry.S */
void pvhv_cpl3_irq_disable(void), pvhv_cpl3_irq_enable(void);
void pvhv_cpl3_save_fl(void), pvhv_cpl3_restore_fl(void);
void pvhv_cpl3_read_cr2(void), pvhv_cpl3_iret(void);
void pvhv_cpl3_safe_halt(void), pvhv_cpl3_halt(void);
long pvhv_cpl3_gate_hcall(u32 op);
long pvhv_cpl3_gate_register(u64 frame);
void pvhv_cpl3_gate_flush(u64 va);
noreturn void pvhv_cpl3_start(const struct pvhv_cpl3_start *si);

static bool at_cpl3;                    /* entered through pvhv_cpl3_entry */
/* pvhv's start record, copied: its page (low memory) is unmapped once
 * the kernel's own tables are live. */
static struct pvhv_cpl3_start start_rec;
static const struct pvhv_cpl3_start *const start = &start_rec;
/* What the kernel believes cr0 and cr4 hold: pvhv owns the real ones. */
static unsigned long shadow_cr0 = BOOT_CR0, shadow_cr4 = CR4_PAE;
static phys_addr_t cur_cr3;
static u32 apic_bus_khz;

/* ---- hypercalls ------------------------------------------------------ */

/*
 * hcall_out - pvhv operation `op` with up to four arguments; returns its
 * result (>= 0) or -errno, and when out1 is not NULL the value pvhv left
 * in args[1] (RDMSR's). The arguments travel in the vCPU page, so the
 * virtual IF is off from the first store to reading the result.
 */
static s64 hcall_out(u32 op, u64 a0, u64 a1, u64 a2, u64 a3, u64 *out1)
{
	unsigned long flags = arch_local_irq_save();
	s64 r;

	pvhv_cpl3_page.args[0] = a0;
	pvhv_cpl3_page.args[1] = a1;
	pvhv_cpl3_page.args[2] = a2;
	pvhv_cpl3_page.args[3] = a3;
	r = pvhv_cpl3_gate_hcall(op);
	if (out1)
		*out1 = pvhv_cpl3_page.args[1];
	arch_local_irq_restore(flags);
	return r;
}

static s64 hcall(u32 op, u64 a0, u64 a1, u64 a2, u64 a3)
{
	return hcall_out(op, a0, a1, a2, a3, NULL);
}

/* ---- lazy MMU mode: one MULTICALL for a batch of table changes ------- */

static struct pvhv_multicall_entry batch[PVHV_MULTICALL_MAX];
static int nr_batch;
static bool lazy;

static const char *op_name(u64 op)
{
	switch (op) {
	case PVHV_HC_MMU_UPDATE: return "MMU_UPDATE";
	case PVHV_HC_PIN: return "PIN";
	case PVHV_HC_UNPIN: return "UNPIN";
	default: return "?";
	}
}

/* Send the queued changes; every one must have been accepted. */
static void batch_flush(void)
{
	s64 r;

	if (!nr_batch)
		return;
	r = hcall(PVHV_HC_MULTICALL, __pa(batch), nr_batch, 0, 0);
	for (int i = 0; i < nr_batch; i++)
		if (i >= r || batch[i].ret < 0)
			panic("pvhv_cpl3: %s(%#llx, %#llx) refused: %lld (multicall of %d: %lld)",
			      op_name(batch[i].op), (unsigned long long)batch[i].args[0],
			      (unsigned long long)batch[i].args[1],
			      (long long)(i >= r ? r : batch[i].ret), nr_batch, (long long)r);
	nr_batch = 0;
}

/* mmu_call - a table change: queued in lazy mode, else made at once;
 * a refusal is a kernel bug (pvk only asks for what it may). */
static void mmu_call(u32 op, u64 a0, u64 a1)
{
	s64 r;

	if (lazy) {
		if (nr_batch == PVHV_MULTICALL_MAX)
			batch_flush();
		batch[nr_batch] = (struct pvhv_multicall_entry){ .op = op, .args = { a0, a1 } };
		nr_batch++;
		return;
	}
	r = hcall(op, a0, a1, 0, 0);
	if (r < 0)
		panic("pvhv_cpl3: %s(%#llx, %#llx) refused: %lld", op_name(op),
		      (unsigned long long)a0, (unsigned long long)a1, (long long)r);
}

/* A TLB flush asked for in lazy mode waits for the batch: pvhv has the
 * monitor flush the whole TLB after it applies one (MON_F_FLUSH), and in
 * lazy mode nothing may use a mapping it changed before leaving it
 * (Linux's rule). */
static bool flush_pending;

static void lazy_enter(void) { lazy = true; }
static void lazy_flush(void)
{
	batch_flush();
	if (flush_pending)
		pvhv_cpl3_gate_flush(0);
	flush_pending = false;
}
static void lazy_leave(void) { lazy_flush(); lazy = false; }

/* ---- page tables ----------------------------------------------------- */

/* Which frames are page tables (this kernel's view of what pvhv pins). */
#define MAX_FRAMES (PVHV_CPL3_MAX_MEM_MB * (1024 * 1024 / PAGE_SIZE))
static u64 is_table[MAX_FRAMES / 64];
/* The pinned top-level tables: where a new table's frame may be mapped. */
#define MAX_ROOTS 8
static phys_addr_t roots[MAX_ROOTS];
static int nr_roots;

static bool table_frame(phys_addr_t pa)
{
	u64 f = pa >> PAGE_SHIFT;

	return f < MAX_FRAMES && (is_table[f / 64] >> (f % 64) & 1);
}

static void mark_table(phys_addr_t pa, bool on)
{
	u64 f = pa >> PAGE_SHIFT;

	if (f >= MAX_FRAMES)
		panic("pvhv_cpl3: frame %#llx beyond %u MiB", (unsigned long long)f,
		      PVHV_CPL3_MAX_MEM_MB);
	if (on)
		is_table[f / 64] |= 1ull << (f % 64);
	else
		is_table[f / 64] &= ~(1ull << (f % 64));
}

/* Is pa pvhv's (the monitor's region) or outside RAM? Never mappable. */
static bool not_ours(phys_addr_t pa)
{
	return pa >= start->reserved_base;
}

/*
 * cpl3_entry - what an entry the kernel wrote becomes under pvhv: reachable
 * from CPL 3 (US at every level: the kernel runs there), never global
 * (pvhv refuses G; with no global pages a cr3 load flushes everything),
 * and read-only where a level-1 entry maps a page table.
 */
static u64 cpl3_entry(u64 v, int level)
{
	if (!(v & PTE_PRESENT))
		return v;
	v = (v | PTE_USER) & ~PTE_GLOBAL;
	if (level == 1 && (v & PTE_WRITE) && table_frame(pt_entry_addr(v)))
		v &= ~PTE_WRITE;
	return v;
}

static void update(void *entry, u64 v, int level)
{
	mmu_call(PVHV_HC_MMU_UPDATE, __pa(entry), cpl3_entry(v, level));
}

/* What the entry at `e` holds once the queued changes are made: in lazy
 * mode memory still has the old value (Linux's rule: reads in lazy mode
 * are stale), and our own walks must not be fooled by that. */
static u64 entry_now(const u64 *e)
{
	u64 gpa = __pa(e);

	for (int i = nr_batch - 1; i >= 0; i--)
		if (batch[i].op == PVHV_HC_MMU_UPDATE && batch[i].args[0] == gpa)
			return batch[i].args[1];
	return *e;
}

/* The level-1 entry mapping `va` under `root`, as it will be; NULL when
 * some level is absent. */
static u64 *walk_now(phys_addr_t root, u64 va)
{
	static const int shift[] = { PGD_SHIFT, PUD_SHIFT, PMD_SHIFT };
	u64 *t = __va(root);

	for (int i = 0; i < 3; i++) {
		u64 e = entry_now(&t[(va >> shift[i]) & PT_INDEX_MASK]);

		if (!(e & PTE_PRESENT) || (e & PTE_PS))
			return NULL;
		t = __va(pt_entry_addr(e));
	}
	return &t[PTE_INDEX(va)];
}

/* Take write access to `pa` away (or give it back) in every pinned root's
 * map of it, so that pvhv may pin it (or it is ordinary memory again). */
static void set_writable(phys_addr_t pa, bool writable)
{
	for (int i = 0; i < nr_roots; i++) {
		u64 *p = walk_now(roots[i], (u64)__va(pa)), v;

		if (!p)
			continue;
		v = entry_now(p);
		if (!(v & PTE_PRESENT) || !!(v & PTE_WRITE) == writable)
			continue;
		mmu_call(PVHV_HC_MMU_UPDATE, __pa(p), writable ? (v | PTE_WRITE) : (v & ~PTE_WRITE));
	}
}

/*
 * alloc_pt: the page at `pa`, filled by plain stores while it was
 * ordinary memory, becomes a table of `level`. Its entries get what pvhv
 * requires (cpl3_entry); every map of it loses write access; then pvhv
 * pins it. Replaces nothing natively (a no-op): it is the op that makes
 * a validating hypervisor possible.
 */
static void cpl3_alloc_pt(phys_addr_t pa, int level)
{
	u64 *t = __va(pa);

	mark_table(pa, true);
	for (int i = 0; i < PTRS_PER_TABLE; i++)
		t[i] = cpl3_entry(t[i], level);
	set_writable(pa, false);
	mmu_call(PVHV_HC_PIN, pa >> PAGE_SHIFT, level);
	if (level == 4) {
		if (nr_roots == MAX_ROOTS)
			panic("pvhv_cpl3: more than %d top-level tables", MAX_ROOTS);
		roots[nr_roots++] = pa;
	}
}

/* release_pt: the table at `pa` becomes ordinary, writable memory. */
static void cpl3_release_pt(phys_addr_t pa, int level)
{
	mmu_call(PVHV_HC_UNPIN, pa >> PAGE_SHIFT, 0);
	mark_table(pa, false);
	if (level == 4)
		for (int i = 0; i < nr_roots; i++)
			if (roots[i] == pa)
				roots[i] = roots[--nr_roots];
	set_writable(pa, true);
}

/* set_pte..set_p4d: replace a plain store to a live table (which is
 * read-only to us now) with MMU_UPDATE, validated by pvhv. */
static void cpl3_set_pte(pte_t *p, pte_t v) { update(p, v.v, 1); }
static void cpl3_set_pud(pud_t *p, pud_t v) { update(p, v.v, 3); }
/* The monitor's slot is pvhv's: it is in every top-level table from the
 * pin on. A copy of it (pml4_clone copies every entry) is already there. */
static void cpl3_set_p4d(p4d_t *p, p4d_t v)
{
	if (((u64)p & (PAGE_SIZE - 1)) / sizeof(*p) == PVHV_CPL3_MONITOR_SLOT) {
		if (pt_entry_addr(v.v) != pt_entry_addr(p->v))
			panic("pvhv_cpl3: PML4 slot %d is the monitor's: %#llx refused",
			      PVHV_CPL3_MONITOR_SLOT, (unsigned long long)v.v);
		return;
	}
	update(p, v.v, 4);
}

/*
 * set_pmd: pvhv maps no large pages (one frame, one entry, one check), so
 * a 2 MiB mapping becomes a table of 512 4 KiB ones, built as ordinary
 * memory and pinned before it is linked. pvhv's own frames stay unmapped.
 */
static void cpl3_set_pmd(pmd_t *p, pmd_t v)
{
	if ((v.v & (PTE_PRESENT | PTE_PS)) == (PTE_PRESENT | PTE_PS)) {
		phys_addr_t pt = alloc_page(), base = v.v & PTE_ADDR_MASK & ~(PMD_SIZE - 1);
		u64 flags = v.v & (PTE_PRESENT | PTE_WRITE | PTE_USER | PTE_PWT |
				   PTE_PCD | PTE_NX);
		u64 *t = __va(pt);

		for (int i = 0; i < PTRS_PER_TABLE; i++) {
			phys_addr_t pa = base + (u64)i * PAGE_SIZE;

			t[i] = not_ours(pa) ? 0 : pa | flags;
		}
		cpl3_alloc_pt(pt, 1);
		v.v = pt | PTE_TABLE;
	}
	update(p, v.v, 2);
}

static unsigned long cpl3_read_cr3(void) { return cur_cr3; }

/* Unpin the table at `pa` of `level`, then (top down: a table can be
 * unpinned once nothing links it) every table it links. */
static void unpin_tree(phys_addr_t pa, int level)
{
	const u64 *t = __va(pa);

	mmu_call(PVHV_HC_UNPIN, pa >> PAGE_SHIFT, 0);
	mark_table(pa, false);
	if (level == 1)
		return;
	for (int i = 0; i < PTRS_PER_TABLE; i++)
		if ((t[i] & PTE_PRESENT) && !(level == 4 && i == PVHV_CPL3_MONITOR_SLOT))
			unpin_tree(pt_entry_addr(t[i]), level - 1);
}

/* The initial tables pvhv built map all of RAM writable: once the kernel
 * runs on its own, they go, or no frame could ever be pinned again. They
 * stay E820 reserved: nothing allocates them. */
static void drop_initial_tables(void)
{
	phys_addr_t pml4 = start->pt_base;
	bool was_lazy = lazy;

	for (int i = 0; i < nr_roots; i++)
		if (roots[i] == pml4)
			roots[i] = roots[--nr_roots];
	lazy_enter();
	unpin_tree(pml4, 4);
	lazy_flush();
	lazy = was_lazy;                        /* a caller's lazy section goes on */
}

/* write_cr3: replaces mov to cr3 (privileged): pvhv checks the table is
 * a pinned top level; the monitor loads it. Never queued, even in lazy
 * mode: until the call that makes it returns, the CPU walks the old top
 * table, which pvhv will not unpin in that call (drop_initial_tables
 * unpins it next). */
static void cpl3_write_cr3(unsigned long pa)
{
	bool first = cur_cr3 == start->pt_base && pa != cur_cr3;
	s64 r;

	batch_flush();
	r = hcall(PVHV_HC_NEW_BASEPTR, pa >> PAGE_SHIFT, 0, 0, 0);
	if (r < 0)
		panic("pvhv_cpl3: NEW_BASEPTR(%#lx) refused: %lld", pa, (long long)r);
	cur_cr3 = pa;
	if (first)
		drop_initial_tables();
}

/* TLB flushes: replace mov to cr3 / invlpg. The monitor does them on the
 * FLUSH gate, with no exit to pvhv (a flush can harm nobody). */
static void cpl3_flush_all(void)
{
	if (lazy) {
		flush_pending = true;
		return;
	}
	pvhv_cpl3_gate_flush(0);
}
static void cpl3_flush_one(unsigned long va)
{
	if (lazy) {
		flush_pending = true;
		return;
	}
	pvhv_cpl3_gate_flush(va ? va : PAGE_SIZE);     /* 0 would mean "all" */
}
static void cpl3_flush_multi(cpumask_t cpus, const struct flush_tlb_info *info)
{
	(void)cpus, (void)info;                 /* one vCPU: nobody else */
}

/* ---- cpu ------------------------------------------------------------- */

/* rdmsr/wrmsr: privileged; pvhv answers the few a CPL-3 kernel may touch
 * (the segment bases, and some to read). Others read as 0, once said. */
static u64 cpl3_rdmsr(u32 msr)
{
	u64 v;
	s64 r = hcall_out(PVHV_HC_RDMSR, msr, 0, 0, 0, &v);

	if (r < 0) {
		printk("pvhv_cpl3: rdmsr %#x refused (%lld): reads as 0\n", msr, (long long)r);
		return 0;
	}
	return v;
}

static void cpl3_wrmsr(u32 msr, u64 v)
{
	s64 r = hcall(PVHV_HC_WRMSR, msr, v, 0, 0);

	if (r < 0)
		printk("pvhv_cpl3: wrmsr %#x <- %#llx refused (%lld): ignored\n", msr,
		       (unsigned long long)v, (long long)r);
}

/* cr0, cr4: pvhv owns them; the kernel sees what it last wrote. */
static unsigned long cpl3_read_cr0(void) { return shadow_cr0; }
static void cpl3_write_cr0(unsigned long v) { shadow_cr0 = v; }
static unsigned long cpl3_read_cr4(void) { return shadow_cr4; }
static void cpl3_write_cr4(unsigned long v) { shadow_cr4 = v; }

/* load_idt: replaces lidt. The IDT becomes pvhv's trap table: the
 * monitor bounces vector v to gate v's handler, with a frame whose cs/ss
 * say "kernel" so entry.S treats it as from ring 0. */
static void cpl3_load_idt(const struct desc_ptr *d)
{
	s64 r = hcall(PVHV_HC_SET_TRAP_TABLE, __pa((void *)d->base),
		      (d->limit + 1u) / 16, KERNEL_CS, KERNEL_DS);

	if (r < 0)
		panic("pvhv_cpl3: SET_TRAP_TABLE refused: %lld", (long long)r);
}

/* lgdt, ltr: the monitor's GDT and TSS are the CPU's; ours mean nothing. */
static void cpl3_ignore_desc(const struct desc_ptr *d) { (void)d; }
static void cpl3_ignore_tr(unsigned long sel) { (void)sel; }
static void cpl3_ignore_sp0(unsigned long sp0) { (void)sp0; }

/* ---- apic: the monitor acknowledges, pvhv programs ------------------- */

/* eoi: the monitor sent the EOI before it delivered the interrupt. */
static void cpl3_eoi(void) { }

/* send_ipi: only to ourselves (one vCPU), through pvhv's KICK. */
static void cpl3_send_ipi(u32 apic_id, u32 vector)
{
	s64 r = hcall(PVHV_HC_KICK, apic_id, vector, 0, 0);

	if (r < 0)
		printk("pvhv_cpl3: KICK %u vector %u refused: %lld\n", apic_id, vector,
		       (long long)r);
}

static void cpl3_send_ipi_mask(cpumask_t mask, u32 vector)
{
	if (mask & 1)
		cpl3_send_ipi(0, vector);
}

/* timer_periodic: replaces writes to the APIC timer: pvhv programs it. */
static void cpl3_timer_periodic(u32 vector, u32 count)
{
	u64 ns = (u64)count * APIC_TIMER_DIVIDE * 1000000ull / apic_bus_khz;
	s64 r = hcall(PVHV_HC_SET_TIMER, vector, ns, 0, 0);

	if (r < 0)
		panic("pvhv_cpl3: SET_TIMER(%u, %llu ns) refused: %lld", vector,
		      (unsigned long long)ns, (long long)r);
}

static void cpl3_timer_stop(void) { hcall(PVHV_HC_SET_TIMER, TIMER_VECTOR, 0, 0, 0); }

static u32 cpl3_apic_id(void) { return pvhv_cpl3_page.apic_id; }

static void cpl3_apic_write(u32 reg, u32 v)
{
	panic("pvhv_cpl3: APIC register %#x written (%#x): pvhv owns the APIC", reg, v);
}

static const struct apic_driver cpl3_apic = {
	.name = "pvhv (CPL 3)",
	.send_ipi = cpl3_send_ipi,
	.send_ipi_mask = cpl3_send_ipi_mask,
	.timer_periodic = cpl3_timer_periodic,
	.timer_stop = cpl3_timer_stop,
	.write = cpl3_apic_write,
	.id = cpl3_apic_id,
};

static void cpl3_timer_init(void)
{
	apic_timer_irqs_init();
	apic_timer_start_cpu();
	printk("apic: pvhv's timer, vector %d every %d ticks of %u kHz / %d\n",
	       TIMER_VECTOR, APIC_TIMER_COUNT, apic_bus_khz, APIC_TIMER_DIVIDE);
}

/* ---- platform -------------------------------------------------------- */

static void cpl3_console_write(const char *s, size_t n)
{
	while (n) {
		size_t k = n < PVHV_CONSOLE_MAX ? n : PVHV_CONSOLE_MAX;

		hcall(PVHV_HC_CONSOLE_WRITE, __pa(s), k, 0, 0);
		s += k, n -= k;
	}
}

static noreturn void cpl3_power_off(int status)
{
	hcall(PVHV_HC_POWER_OFF, (u64)status & PVHV_STATUS_MAX, 0, 0, 0);
	panic("pvhv_cpl3: POWER_OFF returned");
}

static noreturn void cpl3_reboot(void)
{
	hcall(PVHV_HC_REBOOT, 0, 0, 0, 0);
	panic("pvhv_cpl3: REBOOT returned");
}

static void cpl3_platform_init(void) { }
static void cpl3_nop(void) { }

/*
 * install_ops - every op that would run a privileged instruction, once,
 * before anything calls one (pvhv_cpl3_start); init() records them again
 * through PV_PLAN once the platform is chosen, after native's init.
 */
#define CPL3_OPS(X)                                                             \
	X(cpu.read_msr, cpl3_rdmsr, NULL)                                       \
	X(cpu.write_msr, cpl3_wrmsr, NULL)                                      \
	X(cpu.read_cr0, cpl3_read_cr0, NULL)                                    \
	X(cpu.write_cr0, cpl3_write_cr0, NULL)                                  \
	X(cpu.read_cr4, cpl3_read_cr4, NULL)                                    \
	X(cpu.write_cr4, cpl3_write_cr4, NULL)                                  \
	X(cpu.load_idt, cpl3_load_idt, NULL)                                    \
	X(cpu.load_gdt, cpl3_ignore_desc, NULL)                                 \
	X(cpu.load_tr, cpl3_ignore_tr, NULL)                                    \
	X(cpu.wbinvd, cpl3_nop, NULL)                                           \
	X(cpu.io_delay, cpl3_nop, NULL)                                         \
	X(cpu.iret.func, pvhv_cpl3_iret, NULL)                                  \
	X(cpu.stac.func, pv_nop, NULL)                                          \
	X(cpu.clac.func, pv_nop, NULL)                                          \
	X(cpu.load_sp0, cpl3_ignore_sp0, NULL)                                  \
	X(irq.save_fl.func, pvhv_cpl3_save_fl, &tmpl_save_fl)                   \
	X(irq.restore_fl.func, pvhv_cpl3_restore_fl, NULL)                      \
	X(irq.irq_disable.func, pvhv_cpl3_irq_disable, &tmpl_irq_disable)       \
	X(irq.irq_enable.func, pvhv_cpl3_irq_enable, NULL)                      \
	X(irq.safe_halt, pvhv_cpl3_safe_halt, NULL)                             \
	X(irq.halt, pvhv_cpl3_halt, NULL)                                       \
	X(mmu.read_cr2.func, pvhv_cpl3_read_cr2, NULL)                          \
	X(mmu.read_cr3, cpl3_read_cr3, NULL)                                    \
	X(mmu.write_cr3, cpl3_write_cr3, NULL)                                  \
	X(mmu.flush_tlb_user, cpl3_flush_all, NULL)                             \
	X(mmu.flush_tlb_kernel, cpl3_flush_all, NULL)                           \
	X(mmu.flush_tlb_one_user, cpl3_flush_one, NULL)                         \
	X(mmu.flush_tlb_multi, cpl3_flush_multi, NULL)                          \
	X(mmu.set_pte, cpl3_set_pte, NULL)                                      \
	X(mmu.set_pmd, cpl3_set_pmd, NULL)                                      \
	X(mmu.set_pud, cpl3_set_pud, NULL)                                      \
	X(mmu.set_p4d, cpl3_set_p4d, NULL)                                      \
	X(mmu.alloc_pt, cpl3_alloc_pt, NULL)                                    \
	X(mmu.release_pt, cpl3_release_pt, NULL)                                \
	X(mmu.lazy_mode.enter, lazy_enter, NULL)                                \
	X(mmu.lazy_mode.leave, lazy_leave, NULL)                                \
	X(mmu.lazy_mode.flush, lazy_flush, NULL)                                \
	X(apic.eoi.func, cpl3_eoi, NULL)                                        \
	X(apic.send_ipi, cpl3_send_ipi, NULL)                                   \
	X(apic.send_ipi_mask, cpl3_send_ipi_mask, NULL)                         \
	X(apic.timer_periodic, cpl3_timer_periodic, NULL)                       \
	X(apic.timer_stop, cpl3_timer_stop, NULL)                               \
	X(platform.console_write, cpl3_console_write, NULL)                     \
	X(platform.power_off, cpl3_power_off, NULL)                             \
	X(platform.reboot, cpl3_reboot, NULL)                                   \
	X(platform.platform_init, cpl3_platform_init, NULL)                     \
	X(platform.timer_init, cpl3_timer_init, NULL)

static void install_ops(void)
{
#define CPL3_SET(op, fn, t_) pv_ops.op = (__typeof__(pv_ops.op))(fn);
	CPL3_OPS(CPL3_SET)
#undef CPL3_SET
}

/* The virtual IF's disable and save as the engine's inline templates
 * (pvhv_cpl3_entry.S): a site holds the store or the load itself. */
extern const u8 pvhv_cpl3_cli_bytes[], pvhv_cpl3_cli_end[];
extern const u8 pvhv_cpl3_pushf_bytes[], pvhv_cpl3_pushf_end[];
static const struct pv_tmpl tmpl_irq_disable = {
	.name = "andl $0,pvhv_cpl3_page+80",
	.bytes = pvhv_cpl3_cli_bytes,
	.end = pvhv_cpl3_cli_end,
	.clobbers = PV_CLOBBERS_NONE,
	.fn = pvhv_cpl3_irq_disable,
};
static const struct pv_tmpl tmpl_save_fl = {
	.name = "movl pvhv_cpl3_page+80,%eax",
	.bytes = pvhv_cpl3_pushf_bytes,
	.end = pvhv_cpl3_pushf_end,
	.clobbers = PV_CLOB(RAX),
	.fn = pvhv_cpl3_save_fl,
};
static struct pv_backend_tmpl cpl3_tmpls[2];
static struct pv_platform_backend cpl3_backend = { .tmpls = cpl3_tmpls };

static bool cpl3_detect(void) { return at_cpl3; }

bool pvhv_cpl3_in_use(void) { return at_cpl3; }

s64 pvhv_cpl3_call(u32 op, u64 a0, u64 a1, u64 a2, u64 a3)
{
	return hcall(op, a0, a1, a2, a3);
}

const struct pvhv_cpl3_start *pvhv_cpl3_start_record(void) { return start; }

/* init: native's ran first (the root) and chose its APIC ops; ours go
 * back on top, recorded for the tools (pvsites). */
static void cpl3_init(void)
{
#define CPL3_PLAN(op, fn, t_) {                                                 \
		const struct pv_plan *e = PV_PLAN("pvhv-cpl3", NULL, op, fn, t_); \
		if (e->tmpl)                                                    \
			cpl3_tmpls[cpl3_backend.nr++] = pv_plan_backend(e);     \
	}
	cpl3_backend.nr = 0;
	CPL3_OPS(CPL3_PLAN)
#undef CPL3_PLAN
	apic_use(&cpl3_apic);
}

static void cpl3_report(void)
{
	printk("pvk: running at CPL 3 (pvhv deprivileged): %llu events delivered, "
	       "%llu held back, %llu hypercalls so far\n",
	       (unsigned long long)pvhv_cpl3_page.delivered,
	       (unsigned long long)pvhv_cpl3_page.deferred,
	       (unsigned long long)pvhv_cpl3_page.calls);
}

PV_PLATFORM(platform_pvhv_cpl3) = {
	.name = "pvhv-cpl3",
	.base = "native",
	.priority = 100,               /* above anything: it is the only one */
	.detect = cpl3_detect,
	.init = cpl3_init,
	.report = cpl3_report,
	.backend = &cpl3_backend,
	.sole = true,
};

/* ---- the start ------------------------------------------------------- */

/* Before the vCPU page is registered no hypercall works, the console
 * neither: fault instead. With no trap table yet the monitor cannot
 * deliver the #UD, so it reports it (vector 6 and this rip) and pvhv
 * exits 70 with the registers (docs/pvhv-abi.md). */
static noreturn void early_fail(void)
{
	for (;;)
		__asm__ volatile("ud2");
}

noreturn void pvhv_cpl3_start(const struct pvhv_cpl3_start *si)
{
	struct cpuid_regs r;

	if (si->magic != PVHV_CPL3_START_MAGIC)
		early_fail();                  /* not pvhv's record: nothing to call */
	if (pvhv_cpl3_gate_register((u64)__pa(&pvhv_cpl3_page) >> PAGE_SHIFT) < 0)
		early_fail();                  /* no page: no hypercall works */
	start_rec = *si;
	at_cpl3 = true;
	cur_cr3 = si->pt_base;
	roots[nr_roots++] = si->pt_base;
	for (u64 f = 0; f < si->nr_pt_frames; f++)
		mark_table(si->pt_base + f * PAGE_SIZE, true);
	install_ops();
	native_cpuid(PVHV_CPUID_TIMING, 0, &r.eax, &r.ebx, &r.ecx, &r.edx);
	apic_bus_khz = r.ebx ? r.ebx : 1000000;
	printk("\npvk: booting at CPL 3 (pvhv --deprivileged)\n");
	idt_init();
	boot_common(BOOT_PROTO_PVH, si->hvm_start_info);
}
