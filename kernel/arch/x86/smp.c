/*
 * smp.c - start the application processors (APs) the MADT lists:
 * INIT, STARTUP, STARTUP through the local APIC's ICR (SDM 3A 9.4.4),
 * into boot/trampoline.S copied to a free page below 1 MiB, which brings
 * each to ap_main() in 64-bit mode on its own stack. One AP at a time:
 * smp_ap_boot holds the one being started. Then smp_call_function: a
 * function run on other CPUs by IPI.
 */
#include <mm.h>
#include <paging.h>
#include <paravirt.h>
#include <printk.h>
#include <sched.h>
#include <smp_stats.h>
#include <spinlock.h>
#include <string.h>
#include <trap.h>
#include <asm/acpi.h>
#include <asm/apic.h>
#include <asm/layout.h>
#include <asm/smp.h>
#include <asm/tlb.h>
#include <asm/x86.h>
#include <asm/x86_bits.h>

#define AP_STACK_SIZE     (2 * PAGE_SIZE)
#define LOW_MEMORY_TOP    0x9f000ull        /* below the EBDA's usual place */
#define SIPI_MAX_PAGE     0xff              /* STARTUP's vector: 8 bits */
#define NS_PER_US         1000ull
#define INIT_DELAY_NS     (10000 * NS_PER_US) /* after INIT (SDM 3A 9.4.4.1) */
#define SIPI_DELAY_NS     (200 * NS_PER_US)   /* between the two STARTUPs */
#define AP_TIMEOUT_NS     (2000000 * NS_PER_US) /* TCG, overcommitted */
#define SMP_CALL_TIMEOUT_NS (2000000 * NS_PER_US) /* the same bound */

extern const char trampoline_start[], trampoline_end[];
extern const u32 trampoline_relocs[], trampoline_relocs_end[];

struct percpu percpu[SMP_MAX_CPUS];
struct smp_ap_boot smp_ap_boot;
int smp_cpus_found = -1;
volatile int smp_cpus_online = 1;
static u32 madt_ids[SMP_MAX_CPUS];
static u8 ap_stacks[SMP_MAX_CPUS][AP_STACK_SIZE] __attribute__((aligned(16)));

_Static_assert(__builtin_offsetof(struct percpu, cpu) == PERCPU_CPU_OFFSET,
	       "asm reads the CPU's index at %gs:PERCPU_CPU_OFFSET");
_Static_assert(__builtin_offsetof(struct smp_ap_boot, cr3) == 0 &&
	       __builtin_offsetof(struct smp_ap_boot, stack) == 8,
	       "trampoline.S's AP_BOOT_CR3 and AP_BOOT_STACK");

static void set_percpu(struct percpu *p)
{
	p->self = p;
	wrmsr(MSR_GS_BASE, (u64)p);
}

int smp_processor_id(void)
{
	return (int)this_cpu()->cpu;
}

cpumask_t smp_online_mask(void)
{
	cpumask_t m = 0;

	for (int i = 0; i < SMP_MAX_CPUS; i++)
		if (__atomic_load_n(&percpu[i].online, __ATOMIC_ACQUIRE))
			m |= 1u << i;
	return m;
}

/* The call in flight: written by the sender under call_lock before its
 * IPIs; `pending` holds the CPUs yet to answer. */
static struct {
	void (*fn)(void *);
	void *arg;
	cpumask_t pending;
} call;
static spinlock_t call_lock = SPINLOCK_INIT;

/* CALL_FUNCTION_VECTOR: run the call if this CPU is one it waits for
 * (a late IPI after a timeout finds its bit clear and does nothing),
 * answer, EOI. */
static void call_function_irq(void)
{
	cpumask_t bit = 1u << smp_processor_id();

	if (__atomic_load_n(&call.pending, __ATOMIC_ACQUIRE) & bit) {
		call.fn(call.arg);
		__atomic_fetch_and(&call.pending, ~bit, __ATOMIC_RELEASE);
	}
	apic_eoi();
}

cpumask_t smp_wait_answers(cpumask_t *pending, u64 timeout_ns)
{
	u64 t0 = sched_clock();
	cpumask_t left;

	while ((left = __atomic_load_n(pending, __ATOMIC_ACQUIRE)) &&
	       sched_clock() - t0 < timeout_ns) {
		/* a target whose vCPU the host took away cannot answer until
		 * it runs again: give it this one's time slice (Linux's
		 * kvm_smp_send_call_func_ipi); natively never preempted */
		for (cpumask_t m = left; m; m &= m - 1) {
			int cpu = __builtin_ctz(m);

			if (vcpu_is_preempted(cpu)) {
				smp_stats_add(&smp_stats.yield_asks, 1);
				yield_to(cpu);
				break;
			}
		}
		cpu_relax();
	}
	return left;
}

cpumask_t smp_call_function(cpumask_t mask, void (*fn)(void *), void *arg)
{
	int self = smp_processor_id();
	cpumask_t others, left;

	mask &= smp_online_mask();
	others = mask & ~(1u << self);
	spin_lock(&call_lock);
	call.fn = fn;
	call.arg = arg;
	__atomic_store_n(&call.pending, others, __ATOMIC_RELEASE);
	if (others)
		apic_send_ipi_mask(others, CALL_FUNCTION_VECTOR);
	if (mask & (1u << self)) {
		unsigned long flags = arch_local_irq_save();

		fn(arg);
		arch_local_irq_restore(flags);
	}
	smp_wait_answers(&call.pending, SMP_CALL_TIMEOUT_NS);
	left = __atomic_exchange_n(&call.pending, 0, __ATOMIC_ACQ_REL);
	for (int cpu = 0; cpu < SMP_MAX_CPUS; cpu++)
		if (left & (1u << cpu))
			printk("smp: CPU %d (APIC %u) did not answer the call-function IPI\n",
			       cpu, percpu[cpu].apic_id);
	spin_unlock(&call_lock);
	return left;
}

void smp_detect(const struct boot_info *bi)
{
	smp_cpus_found = acpi_madt_cpus(bi->rsdp, madt_ids, SMP_MAX_CPUS);
}

/*
 * ap_main - an AP's first C code (trampoline.S's ap_start_64): its
 * per-CPU area, the kernel's GDT, its TSS and the IDT, its APIC, what
 * the platform registers per CPU, and its periodic timer; its context
 * becomes its idle thread; then it reports in and runs the idle loop for
 * good (sched_idle: threads created for it, safe_halt when there are
 * none). Interrupts stay off until then.
 */
noreturn void ap_main(void)
{
	struct percpu *p = &percpu[smp_ap_boot.cpu];

	trap_init_cpu((int)smp_ap_boot.cpu);
	set_percpu(p);
	apic_cpu_enable();
	pv_platform_cpu_init((int)p->cpu);
	p->apic_id_seen = apic_id();
	p->gs_ok = this_cpu() == p;
	sched_init_cpu();
	apic_timer_start_cpu();
	__atomic_fetch_add(&smp_cpus_online, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&p->online, true, __ATOMIC_RELEASE);
	sched_idle();
}

/* A free page below 1 MiB for the trampoline: the highest page of RAM
 * under LOW_MEMORY_TOP clear of the loader's structures and modules
 * (the page allocator never hands out the first MiB). 0: none. */
static u64 trampoline_page(const struct boot_info *bi)
{
	for (u64 pa = LOW_MEMORY_TOP - PAGE_SIZE; pa >= PAGE_SIZE; pa -= PAGE_SIZE) {
		bool ram = false, busy = false;

		for (int i = 0; i < bi->nr_mem; i++)
			if (bi->mem[i].type == MEM_RAM && pa >= bi->mem[i].base &&
			    pa + PAGE_SIZE <= bi->mem[i].base + bi->mem[i].len)
				ram = true;
		if (pa < bi->info_base + bi->info_len && pa + PAGE_SIZE > bi->info_base)
			busy = true;
		for (int i = 0; i < bi->nr_mods; i++)
			if (pa < bi->mods[i].base + bi->mods[i].len &&
			    pa + PAGE_SIZE > bi->mods[i].base)
				busy = true;
		if (ram && !busy)
			return pa;
	}
	return 0;
}

/* Copy the trampoline to pa (through a fixmap slot) and relocate it. */
static void install_trampoline(u64 pa)
{
	u64 len = (u64)(trampoline_end - trampoline_start);
	u8 *page = (u8 *)fixmap_addr(FIX_TRAMP);

	if (len > PAGE_SIZE)
		panic("install_trampoline: %llu bytes, more than a page",
		      (unsigned long long)len);
	map_page(kernel_pml4, (u64)page, pa, PTE_PRESENT | PTE_WRITE | PTE_NX);
	memcpy(page, trampoline_start, len);
	for (const u32 *r = trampoline_relocs; r < trampoline_relocs_end; r++) {
		u32 v;

		memcpy(&v, page + *r, sizeof(v));
		v += (u32)pa;
		memcpy(page + *r, &v, sizeof(v));
	}
	map_page(kernel_pml4, (u64)page, 0, 0);
}

static void delay_ns(u64 ns)
{
	u64 t0 = sched_clock();

	while (sched_clock() - t0 < ns)
		cpu_relax();
}

/* Wait up to ns for cpu to report in. */
static bool wait_online(int cpu, u64 ns)
{
	u64 t0 = sched_clock();

	while (!__atomic_load_n(&percpu[cpu].online, __ATOMIC_ACQUIRE))
		if (sched_clock() - t0 >= ns)
			return false;
		else
			cpu_relax();
	return true;
}

/* INIT, STARTUP, and a second STARTUP if the first did not take. */
static bool start_ap(int cpu, u32 apic, u64 page)
{
	smp_ap_boot.cr3 = kernel_pml4;
	smp_ap_boot.stack = (u64)ap_stacks[cpu] + AP_STACK_SIZE;
	smp_ap_boot.cpu = (u32)cpu;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!apic_icr(apic, APIC_ICR_INIT | APIC_ICR_LEVEL_ASSERT))
		return false;
	delay_ns(INIT_DELAY_NS);
	for (int i = 0; i < 2; i++) {
		if (!apic_icr(apic, APIC_ICR_STARTUP | (u32)(page >> PAGE_SHIFT)))
			return false;
		if (wait_online(cpu, i ? AP_TIMEOUT_NS : SIPI_DELAY_NS))
			return true;
	}
	return false;
}

void smp_boot_cpu_early(void)
{
	percpu[0].cpu = 0;
	set_percpu(&percpu[0]);
	percpu[0].gs_ok = this_cpu() == &percpu[0];
}

void smp_init(const struct boot_info *bi)
{
	int n = smp_cpus_found, started = 1;
	u32 bsp = apic_id();
	u64 page;

	percpu[0].apic_id = bsp;
	percpu[0].apic_id_seen = bsp;
	percpu[0].online = true;
	irq_register(CALL_FUNCTION_VECTOR, call_function_irq);
	tlb_smp_init();
	if (n < 0) {
		printk("smp: 1 CPUs online (no MADT)\n");
		return;
	}
	if (n <= 1) {
		printk("smp: 1 CPUs online\n");
		return;
	}
	page = trampoline_page(bi);
	if (!page || (page >> PAGE_SHIFT) > SIPI_MAX_PAGE) {
		printk("smp: no free page below 1 MiB for the trampoline\n");
		printk("smp: 1 CPUs online\n");
		return;
	}
	install_trampoline(page);
	for (int i = 0, cpu = 1; i < n; i++) {
		if (i < SMP_MAX_CPUS && madt_ids[i] == bsp)
			continue;
		if (cpu >= SMP_MAX_CPUS || i >= SMP_MAX_CPUS) {
			printk("smp: CPU %d (APIC %d) not started: pvk takes %d CPUs\n",
			       cpu, i < SMP_MAX_CPUS ? (int)madt_ids[i] : -1, SMP_MAX_CPUS);
			cpu++;
			continue;
		}
		percpu[cpu].cpu = (u32)cpu;
		percpu[cpu].apic_id = madt_ids[i];
		if (start_ap(cpu, madt_ids[i], page))
			started++;
		else
			printk("smp: CPU %d (APIC %u) did not start\n", cpu, madt_ids[i]);
		cpu++;
	}
	printk("smp: %d CPUs online (trampoline at %#llx)\n", started,
	       (unsigned long long)page);
}
