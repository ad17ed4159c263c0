/*
 * trap.h - exceptions and interrupts, as generic code sees them.
 */
#ifndef PVK_TRAP_H
#define PVK_TRAP_H

#include <types.h>

/* trap_init - load the GDT, TSS and IDT, set up ring 3's way in (the
 * syscall MSRs); every exception is handled. The boot CPU, at ring 0. */
void trap_init(void);

/* idt_init - fill the IDT with entry.S's stubs and load it (cpu.load_idt):
 * the part of trap_init a kernel that does not own its descriptor tables
 * (at CPL 3 under pvhv: the IDT becomes its trap table) still needs. */
void idt_init(void);

/* trap_init_cpu - on application processor `cpu` (its percpu[] index,
 * 1..SMP_MAX_CPUS-1): load the same GDT and IDT, reload the segments,
 * and load its own TSS (its own double-fault stack) through the pv op
 * load_tr, so a fault there is reported like one on the boot CPU. */
void trap_init_cpu(int cpu);

/* irq_register - call fn on interrupt `vector`: one past the exceptions that
 * has a stub (asm/irq_vectors.h); any other panics. */
void irq_register(u8 vector, void (*fn)(void));

/*
 * count_insns - the instructions fn() executes (a call of it, less a call
 * of an empty function), counted by single-stepping it (EFLAGS.TF, one
 * #DB each) with interrupts off: deterministic where cycles mean nothing
 * (an emulating hypervisor, TCG). 0 when the platform's restore_fl
 * does not let TF through.
 */
u64 count_insns(void (*fn)(void));

/* count_insns_nops - count_insns, and in *nops (when not NULL) how many of
 * those instructions were NOPs (a patched site's padding). */
u64 count_insns_nops(void (*fn)(void), u64 *nops);

/* cycles_ordered - the TSC read once every earlier instruction has
 * completed (lfence; rdtsc), for timing a few instructions. Cycles of
 * the CPU only where the CPU runs the guest's ring 0 itself; under TCG or
 * an emulating hypervisor (PVM) they time the emulator. */
u64 cycles_ordered(void);

/*
 * Probes: touch memory that may fault. A fault at the probing instruction
 * is recovered (returns a negative value) and its details are kept in
 * last_fault; anything else still panics.
 */
struct fault_info {
	u64 vector, error, cr2, rip;
};
extern struct fault_info last_fault;
int probe_read(const volatile void *addr, u8 *val);
int probe_write(volatile void *addr, u8 val);
int probe_exec(const void *addr);    /* call addr; it must start with ret */

#endif /* PVK_TRAP_H */
