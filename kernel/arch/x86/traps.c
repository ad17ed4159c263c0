/*
 * traps.c - GDT, TSS and IDT, the dispatcher entry.S calls, and the
 * register dump every unexpected exception ends with.
 */
#include <kallsyms.h>
#include <paravirt.h>
#include <printk.h>
#include <sched.h>
#include <string.h>
#include <trap.h>
#include <asm/irq_vectors.h>
#include <asm/segment.h>
#include <asm/smp.h>
#include <asm/trap_frame.h>
#include <asm/user.h>
#include <asm/x86.h>
#include <asm/x86_bits.h>
#include <pvops/x86_insn.h>

struct idt_gate {
	u16 off_lo, sel;
	u8 ist, attr;
	u16 off_mid;
	u32 off_hi, zero;
} __attribute__((packed));

static struct idt_gate idt[NR_VECTORS] __attribute__((aligned(16)));
static u64 gdt[GDT_ENTRIES] __attribute__((aligned(16)));
#define DF_STACK_SIZE 4096
/* One TSS per CPU, each with its own double-fault stack (IST1). */
struct tss cpu_tss[SMP_MAX_CPUS] __attribute__((aligned(16)));
static u8 df_stack[SMP_MAX_CPUS][DF_STACK_SIZE] __attribute__((aligned(16)));
_Static_assert(GDT_TSS_SLOTS >= SMP_MAX_CPUS, "a GDT TSS slot for every CPU");
static void (*irq_handlers[NR_VECTORS])(void);

/* entry.S: a stub for each vector up to LAST_STUB_VECTOR, and the spurious one */
extern const u64 trap_stubs[LAST_STUB_VECTOR + 1], trap_stubs_end[], trap_stub_spurious,
	trap_stub_pv_kick;
extern const struct probe_entry {
	u64 at, resume, pop_return;
} probe_table[], probe_table_end[];

struct fault_info last_fault;

static void set_gate(int vec, u64 handler, int ist)
{
	struct idt_gate *g = &idt[vec];

	g->off_lo = (u16)handler;
	g->sel = KERNEL_CS;
	g->ist = (u8)ist;
	g->attr = GATE_PRESENT | GATE_TYPE_INTERRUPT;
	g->off_mid = (u16)(handler >> 16);
	g->off_hi = (u32)(handler >> 32);
	g->zero = 0;
}

/* Reload CS with a far return and the data segments with moves. */
static void reload_segments(void)
{
	__asm__ volatile("pushq %[cs]\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "movl %[ds], %%eax\n\t"
			 "movl %%eax, %%ds\n\t"
			 "movl %%eax, %%es\n\t"
			 "movl %%eax, %%ss\n\t"
			 "movl %%eax, %%fs\n\t"
			 "movl %%eax, %%gs"
			 : : [cs] "i"(KERNEL_CS), [ds] "i"(KERNEL_DS)
			 : "rax", "memory");
}

/* Fill CPU cpu's TSS (its double-fault stack as IST1) and its GDT
 * descriptor, then load it through the pv op. The GDT is loaded. */
static void tss_init_cpu(int cpu)
{
	struct tss *ts = &cpu_tss[cpu];
	u64 t = (u64)ts;
	int e = GDT_ENTRY_TSS + 2 * cpu;

	ts->ist[0] = (u64)df_stack[cpu] + DF_STACK_SIZE;
	ts->iomap_base = sizeof(*ts);
	gdt[e] = DESC_P | DESC_TYPE_TSS_AVAIL | (sizeof(*ts) - 1) |
		 ((t & 0xffffff) << 16) | ((t >> 24 & 0xff) << 56);
	gdt[e + 1] = t >> 32;
	load_tr(TSS_SEL_CPU(cpu));
}

void trap_init(void)
{
	gdt[GDT_ENTRY_KERNEL_CS] = DESC_P | DESC_S | DESC_CODE | DESC_RW |
				   DESC_L | DESC_G | DESC_LIMIT_MAX;
	gdt[GDT_ENTRY_KERNEL_DS] = DESC_P | DESC_S | DESC_RW | DESC_DB |
				   DESC_G | DESC_LIMIT_MAX;
	/* ring 3: data, then 64-bit code, as SYSRET finds them (segment.h) */
	gdt[GDT_ENTRY_USER_DS] = DESC_P | DESC_S | DESC_RW | DESC_DB | DESC_DPL3 |
				 DESC_G | DESC_LIMIT_MAX;
	gdt[GDT_ENTRY_USER_CS] = DESC_P | DESC_S | DESC_CODE | DESC_RW | DESC_DPL3 |
				 DESC_L | DESC_G | DESC_LIMIT_MAX;

	struct desc_ptr g = { sizeof(gdt) - 1, (u64)gdt };
	load_gdt(&g);
	reload_segments();
	tss_init_cpu(0);
	idt_init();
	user_mode_init_cpu(0);
}

void idt_init(void)
{
	if (trap_stubs_end - trap_stubs != (long)ARRAY_SIZE(trap_stubs))
		panic("trap_init: entry.S has %ld stubs, irq_vectors.h says %d",
		      (long)(trap_stubs_end - trap_stubs), LAST_STUB_VECTOR + 1);
	for (int v = 0; v < (int)ARRAY_SIZE(trap_stubs); v++)
		set_gate(v, trap_stubs[v], v == X86_TRAP_DF ? 1 : 0);
	set_gate(SPURIOUS_VECTOR, trap_stub_spurious, 0);
	set_gate(PV_KICK_VECTOR, trap_stub_pv_kick, 0);
	struct desc_ptr i = { sizeof(idt) - 1, (u64)idt };
	load_idt(&i);
}

void trap_init_cpu(int cpu)
{
	struct desc_ptr g = { sizeof(gdt) - 1, (u64)gdt };
	struct desc_ptr i = { sizeof(idt) - 1, (u64)idt };

	if (cpu <= 0 || cpu >= SMP_MAX_CPUS)
		panic("trap_init_cpu: CPU %d is not an AP's index", cpu);
	load_gdt(&g);
	reload_segments();
	tss_init_cpu(cpu);
	load_idt(&i);
	user_mode_init_cpu(cpu);
}

void irq_register(u8 vector, void (*fn)(void))
{
	BUG_ON(vector < X86_NR_EXCEPTIONS);
	BUG_ON(vector != SPURIOUS_VECTOR && vector != PV_KICK_VECTOR &&
	       vector >= ARRAY_SIZE(trap_stubs));
	irq_handlers[vector] = fn;
}

static const char *const exc_names[X86_NR_EXCEPTIONS] = {
	"divide error", "debug", "NMI", "breakpoint", "overflow",
	"bound range", "invalid opcode", "device not available",
	"double fault", "coprocessor overrun", "invalid TSS",
	"segment not present", "stack fault", "general protection",
	"page fault", "reserved", "x87 FP", "alignment check",
	"machine check", "SIMD FP", "virtualization", "control protection",
};

/* exc_name - an exception's name, for the reports. */
static const char *exc_name(u64 vector)
{
	return vector < X86_NR_EXCEPTIONS && exc_names[vector] ? exc_names[vector]
							      : "unexpected interrupt";
}

/* probe_at - is rip a probe's or a user copy's instruction (a fault
 * there has a fixup)? */
bool probe_at(u64 rip)
{
	for (const struct probe_entry *p = probe_table; p < probe_table_end; p++)
		if (!p->pop_return && p->at == rip)
			return true;
	return false;
}

/* One backtrace line: the address, then function+0xoff/0xsize. */
static void print_frame(u64 addr)
{
	u64 off, size;
	const char *name = kallsyms_lookup(addr, &off, &size);

	if (name)
		printk("  %p %s+0x%lx/0x%lx\n", (void *)addr, name, off, size);
	else
		printk("  %p ?\n", (void *)addr);
}

/* Walk rbp-linked frames while they stay inside the kernel image. */
static void backtrace(u64 rbp, u64 rip)
{
	extern const char _text[], _etext[], _end[];

	printk("backtrace:\n");
	print_frame(rip);
	for (int depth = 0; depth < 16; depth++) {
		if (rbp < (u64)_text || rbp >= (u64)_end + (1ull << 20) ||
		    (rbp & 7))
			break;
		u64 ret = ((u64 *)rbp)[1];
		if (ret < (u64)_text || ret >= (u64)_etext)
			break;
		print_frame(ret);
		rbp = ((u64 *)rbp)[0];
	}
}

static void dump_frame(const struct trap_frame *f)
{
	printk("rip %p  cs %lx  rflags %lx  rsp %p  ss %lx\n",
	       (void *)f->rip, f->cs, f->rflags, (void *)f->rsp, f->ss);
	printk("rax %016lx rbx %016lx rcx %016lx rdx %016lx\n",
	       f->rax, f->rbx, f->rcx, f->rdx);
	printk("rsi %016lx rdi %016lx rbp %016lx r8  %016lx\n",
	       f->rsi, f->rdi, f->rbp, f->r8);
	printk("r9  %016lx r10 %016lx r11 %016lx r12 %016lx\n",
	       f->r9, f->r10, f->r11, f->r12);
	printk("r13 %016lx r14 %016lx r15 %016lx cr2 %016lx\n",
	       f->r13, f->r14, f->r15, f->cr2);
	backtrace(f->rbp, f->rip);
}

void arch_dump_stack(void)
{
	u64 rip, rbp, rsp;

	__asm__ volatile("leaq 0(%%rip), %0\n\tmov %%rbp, %1\n\tmov %%rsp, %2"
			 : "=r"(rip), "=r"(rbp), "=r"(rsp));
	printk("rip %p  rsp %p  rbp %p  rflags %lx\n", (void *)rip, (void *)rsp,
	       (void *)rbp, arch_local_save_flags());
	backtrace(rbp, rip);
}

/* A fault at a probe resumes at its fixup; returns false if none. */
static bool probe_fixup(struct trap_frame *f)
{
	for (const struct probe_entry *p = probe_table; p < probe_table_end; p++) {
		u64 at = p->pop_return ? *(u64 *)f->rsp : f->rip;

		if (at != p->at)
			continue;
		if (p->pop_return)
			f->rsp += 8;
		last_fault = (struct fault_info){ f->vector, f->error, f->cr2, f->rip };
		f->rip = p->resume;
		return true;
	}
	return false;
}

/* count_insns (trap.h): while counting, each single-step #DB is one
 * instruction retired with TF set; `nop_steps` counts those whose next
 * instruction (at the #DB's rip) is a NOP. */
static volatile bool stepping;
static volatile u64 steps, nop_steps;

#define X86_PFX_OPSIZE 0x66       /* operand size: 66 90, 66 0f 1f ... */
#define X86_PFX_CS     0x2e       /* cs: the long NOPs' filler prefix */
#define X86_OP_NOPL    0x1f       /* 0f 1f /0: nopl/nopw r/m */
#define X86_MAX_INSN   15

/* is_nop - does the instruction at p do nothing: 90, 0f 1f /0, either
 * after 66 or 2e prefixes (what x86_fill_nops and compilers emit; f3 90
 * is pause, not counted). */
static bool is_nop(const u8 *p)
{
	int i = 0;

	while (i < X86_MAX_INSN - 2 && (p[i] == X86_PFX_OPSIZE || p[i] == X86_PFX_CS))
		i++;
	return p[i] == X86_OP_NOP || (p[i] == X86_OP_0F && p[i + 1] == X86_OP_NOPL);
}

static __attribute__((noinline)) void stepped(void) { __asm__ volatile(""); }

/* Steps from the popf that sets TF to the one that clears it, fn's own
 * instructions and the call around it among them. */
static __attribute__((noinline)) u64 steps_of(void (*fn)(void))
{
	unsigned long flags = arch_local_save_flags();

	arch_local_irq_disable();
	steps = 0;
	nop_steps = 0;
	stepping = true;
	arch_local_irq_restore((flags & ~X86_EFLAGS_IF) | X86_EFLAGS_TF);
	fn();
	arch_local_irq_restore(flags & ~(X86_EFLAGS_IF | X86_EFLAGS_TF));
	stepping = false;
	arch_local_irq_restore(flags);
	return steps;
}

u64 count_insns_nops(void (*fn)(void), u64 *nops)
{
	u64 empty = steps_of(stepped), empty_nops = nop_steps;
	u64 n = steps_of(fn), n_nops = nop_steps;

	if (nops)
		*nops = n_nops > empty_nops ? n_nops - empty_nops : 0;
	return n > empty ? n - empty : 0;
}

u64 count_insns(void (*fn)(void))
{
	return count_insns_nops(fn, NULL);
}

u64 cycles_ordered(void)
{
	return native_rdtsc_ordered();
}

void trap_dispatch(struct trap_frame *f)
{
	/* an interrupt inside a user copy's stac window runs without AC:
	 * SMAP holds in the handler (iretq restores the copy's flags) */
	clac();
	if (f->vector == X86_TRAP_DB && stepping && !(f->cs & SEL_RPL_MASK)) {
		steps++;
		nop_steps += is_nop((const u8 *)f->rip);
		return;
	}
	if (f->vector >= X86_NR_EXCEPTIONS && irq_handlers[f->vector]) {
		irq_handlers[f->vector]();
		sched_irq_exit();      /* a tick or a wake may switch threads */
		return;
	}
	if (f->vector == X86_TRAP_PF && user_demand_fault(f))
		return;
	/* an exception ring 3 caused kills its process; an NMI or a machine
	 * check that merely arrived while it ran is the machine's, not the
	 * program's, and goes to the report below */
	if (f->vector < X86_NR_EXCEPTIONS && (f->cs & SEL_RPL_MASK) &&
	    f->vector != X86_TRAP_NMI && f->vector != X86_TRAP_MC)
		user_fault_kill(f, exc_name(f->vector));   /* never returns */
	if (f->vector < X86_NR_EXCEPTIONS && (f->vector == X86_TRAP_PF ||
					      f->vector == X86_TRAP_GP) &&
	    probe_fixup(f))
		return;

	const char *name = exc_name(f->vector);
	printk("\ntrap: vector %lu (%s), error code %#lx\n", f->vector, name,
	       f->error);
	if (f->vector == X86_TRAP_PF)
		printk("trap: %s %s at %p\n",
		       f->error & PF_INSTR ? "fetch" :
		       f->error & PF_WRITE ? "write" : "read",
		       f->error & PF_PRESENT ? "protection fault" : "not present",
		       (void *)f->cr2);
	if (f->vector == X86_TRAP_UD && ((const u8 *)f->rip)[0] == X86_OP_0F &&
	    ((const u8 *)f->rip)[1] == X86_OP_UD2)
		printk("trap: ud2: a pv op with a NULL slot was called\n");
	dump_frame(f);
	panic("trap_dispatch: unhandled %s", name);
}
