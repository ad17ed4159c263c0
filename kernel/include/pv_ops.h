/*
 * pv_ops.h - the kernel's ops template: every operation whose best
 * implementation depends on the platform, one struct per area.
 *
 * Slots that hot paths call through patchable sites are either
 * struct pv_callee_save (the site clobbers only rax) or plain C-ABI
 * pointers (the site clobbers every caller-saved register). The platform
 * ops at the end are high-level and called as simple indirect calls.
 *
 * Nothing here is called directly: paravirt.h has the wrappers.
 */
#ifndef PVK_PV_OPS_H
#define PVK_PV_OPS_H

#include <types.h>
#include <pvops/callee_save.h>
#include <asm/desc.h>
#include <asm/pgtable_types.h>

struct cpuid_regs {
	u32 eax, ebx, ecx, edx;
};

struct pv_cpu_ops {
	void (*cpuid)(u32 leaf, u32 subleaf, struct cpuid_regs *out);
	u64 (*read_msr)(u32 msr);
	void (*write_msr)(u32 msr, u64 val);
	unsigned long (*read_cr0)(void);
	void (*write_cr0)(unsigned long val);
	unsigned long (*read_cr4)(void);
	void (*write_cr4)(unsigned long val);
	void (*load_idt)(const struct desc_ptr *dtr);
	void (*load_gdt)(const struct desc_ptr *dtr);
	void (*load_tr)(unsigned long sel);
	void (*wbinvd)(void);
	void (*io_delay)(void);
	struct pv_callee_save iret;           /* entry.S only: never returns */
};

struct pv_irq_ops {
	struct pv_callee_save save_fl;        /* unsigned long (void) */
	struct pv_callee_save restore_fl;     /* void (unsigned long) */
	struct pv_callee_save irq_disable;    /* void (void) */
	struct pv_callee_save irq_enable;     /* void (void) */
	void (*safe_halt)(void);              /* enable irqs and wait for one */
	void (*halt)(void);                   /* wait with irqs as they are */
};

struct pv_lazy_ops {
	void (*enter)(void);
	void (*leave)(void);
	void (*flush)(void);
};

struct pv_mmu_ops {
	struct pv_callee_save read_cr2;       /* unsigned long (void) */
	unsigned long (*read_cr3)(void);
	void (*write_cr3)(unsigned long val);
	void (*flush_tlb_user)(void);
	void (*flush_tlb_kernel)(void);
	void (*flush_tlb_one_user)(unsigned long addr);
	void (*set_pte)(pte_t *ptep, pte_t val);
	void (*set_pmd)(pmd_t *pmdp, pmd_t val);
	void (*set_pud)(pud_t *pudp, pud_t val);
	void (*set_p4d)(p4d_t *p4dp, p4d_t val);
	/* A page becomes (alloc) or stops being (release) a page table of
	 * `level` (1 = PTE page .. 4 = top): a hypervisor may want to know.
	 * alloc comes before the page is linked; from then on its entries
	 * change only through set_pte and friends. */
	void (*alloc_pt)(phys_addr_t pa, int level);
	void (*release_pt)(phys_addr_t pa, int level);
	struct pv_lazy_ops lazy_mode;
};

struct pv_apic_ops {
	struct pv_callee_save eoi;            /* void (void) */
	void (*send_ipi)(u32 apic_id, u32 vector);
	/* periodic timer: `vector` every `count` timer ticks */
	void (*timer_periodic)(u32 vector, u32 count);
	void (*timer_stop)(void);
};

struct pv_time_ops {
	u64 (*sched_clock)(void);             /* ns since boot */
	u64 (*steal_clock)(int cpu);          /* ns this vCPU did not run */
};

struct pv_lock_ops {
	struct pv_callee_save spin_unlock;        /* void (u8 *) */
	struct pv_callee_save vcpu_is_preempted;  /* bool (long cpu) */
};

/* High-level ops: simple indirect calls. */
struct pv_platform_ops {
	void (*console_write)(const char *buf, size_t len);
	void (*power_off)(int status) __attribute__((__noreturn__));
	void (*reboot)(void) __attribute__((__noreturn__));
	void (*platform_init)(void);
	void (*timer_init)(void);
};

struct pv_ops {
	struct pv_cpu_ops cpu;
	struct pv_irq_ops irq;
	struct pv_mmu_ops mmu;
	struct pv_apic_ops apic;
	struct pv_time_ops time;
	struct pv_lock_ops lock;
	struct pv_platform_ops platform;
};

extern struct pv_ops pv_ops;
#define PV_OPS pv_ops

/* The names of the slots, for the boot report and tools. */
extern const char *const pv_slot_names[];

#endif /* PVK_PV_OPS_H */
