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
#include <pvops/hypercall.h>
#include <asm/desc.h>
#include <asm/pgtable_types.h>
#include <asm/smp.h>            /* cpumask_t */

struct qspinlock;

struct cpuid_regs {
	u32 eax, ebx, ecx, edx;
};

/* What a TLB shootdown drops (mmu.flush_tlb_multi): the translations of
 * [start, end), page by page, or with end == TLB_FLUSH_ALL every one,
 * global ones included. */
struct flush_tlb_info {
	unsigned long start, end;
};
#define TLB_FLUSH_ALL (~0ul)

/*
 * The template is written once, one list per area, and expanded both into
 * the structs below and into pv_slot_names (kernel/pv/patch.c), so a slot
 * cannot be added without its name. An entry of a list is one of
 *   OP(P, ret, name, (params))   a C-ABI pointer, ret (*name)(params)
 *   CS(P, name)                  a struct pv_callee_save: the site
 *                                clobbers only rax; its C type in a comment
 *   HC(P, name)                  a struct pv_hcall: the hypercall
 *                                convention (pvops/hypercall.h), nr in
 *                                rax, args in rbx rcx rdx rsi, result in
 *                                rax, nothing else changed
 *   SUB(P, tag, name, LIST)      struct tag name, whose slots are LIST
 *                                (one level deep)
 * P is the path to the area ("cpu", "mmu.lazy_mode"): only names use it.
 */
#define PV_CPU_OPS(OP, CS, HC, SUB, P)                                       \
	OP(P, void, cpuid, (u32 leaf, u32 subleaf, struct cpuid_regs *out))  \
	OP(P, u64, read_msr, (u32 msr))                                      \
	OP(P, void, write_msr, (u32 msr, u64 val))                           \
	OP(P, unsigned long, read_cr0, (void))                               \
	OP(P, void, write_cr0, (unsigned long val))                          \
	OP(P, unsigned long, read_cr4, (void))                               \
	OP(P, void, write_cr4, (unsigned long val))                          \
	OP(P, void, load_idt, (const struct desc_ptr *dtr))                  \
	OP(P, void, load_gdt, (const struct desc_ptr *dtr))                  \
	OP(P, void, load_tr, (unsigned long sel))                            \
	OP(P, void, wbinvd, (void))                                          \
	OP(P, void, io_delay, (void))                                        \
	CS(P, iret)                        /* entry.S only: never returns */ \
	/* entry.S only: user GS base <-> kernel's, on entry from and exit */\
	/* to user mode (the site's stack is always a kernel one) */         \
	CS(P, swapgs)                                                        \
	/* entry.S only, a jump site (PV_SITE_F_JMP): back to user mode */   \
	/* with rip from rcx, rflags from r11, the user's rsp loaded */      \
	CS(P, sysret)                                                        \
	/* around a user copy: let ring 0 touch user pages (SMAP) and */     \
	/* stop it again; NOPs where the CPU has no SMAP */                  \
	CS(P, stac)                        /* void (void) */                 \
	CS(P, clac)                        /* void (void) */                 \
	/* the stack ring 3 enters this CPU on (TSS rsp0, Linux's */         \
	/* cpu.load_sp0): the kernel stack of the thread switched to */      \
	OP(P, void, load_sp0, (unsigned long sp0))

#define PV_IRQ_OPS(OP, CS, HC, SUB, P)                                       \
	CS(P, save_fl)                     /* unsigned long (void) */        \
	CS(P, restore_fl)                  /* void (unsigned long) */        \
	CS(P, irq_disable)                 /* void (void) */                 \
	CS(P, irq_enable)                  /* void (void) */                 \
	OP(P, void, safe_halt, (void))     /* enable irqs and wait for one */ \
	OP(P, void, halt, (void))          /* wait with irqs as they are */

#define PV_LAZY_OPS(OP, CS, HC, SUB, P)                                      \
	OP(P, void, enter, (void))                                           \
	OP(P, void, leave, (void))                                           \
	OP(P, void, flush, (void))

/* alloc_pt, release_pt: a page becomes (alloc) or stops being (release) a
 * page table of `level` (1 = PTE page .. 4 = top): a hypervisor may want
 * to know. alloc comes before the page is linked; from then on its
 * entries change only through set_pte and friends. */
#define PV_MMU_OPS(OP, CS, HC, SUB, P)                                       \
	CS(P, read_cr2)                    /* unsigned long (void) */        \
	OP(P, unsigned long, read_cr3, (void))                               \
	OP(P, void, write_cr3, (unsigned long val))                          \
	OP(P, void, flush_tlb_user, (void))                                  \
	OP(P, void, flush_tlb_kernel, (void))                                \
	OP(P, void, flush_tlb_one_user, (unsigned long addr))                \
	/* the CPUs in `cpus` (never the caller) drop what info says */      \
	OP(P, void, flush_tlb_multi, (cpumask_t cpus,                        \
				      const struct flush_tlb_info *info))    \
	OP(P, void, set_pte, (pte_t *ptep, pte_t val))                       \
	OP(P, void, set_pmd, (pmd_t *pmdp, pmd_t val))                       \
	OP(P, void, set_pud, (pud_t *pudp, pud_t val))                       \
	OP(P, void, set_p4d, (p4d_t *p4dp, p4d_t val))                       \
	OP(P, void, alloc_pt, (phys_addr_t pa, int level))                   \
	OP(P, void, release_pt, (phys_addr_t pa, int level))                 \
	SUB(P, pv_lazy_ops, lazy_mode, PV_LAZY_OPS)

#define PV_APIC_OPS(OP, CS, HC, SUB, P)                                      \
	CS(P, eoi)                         /* void (void) */                 \
	OP(P, void, send_ipi, (u32 apic_id, u32 vector))                     \
	/* `vector` to every CPU in `mask` (percpu[] indices) */             \
	OP(P, void, send_ipi_mask, (cpumask_t mask, u32 vector))             \
	/* periodic timer: `vector` every `count` timer ticks */             \
	OP(P, void, timer_periodic, (u32 vector, u32 count))                 \
	OP(P, void, timer_stop, (void))

#define PV_TIME_OPS(OP, CS, HC, SUB, P)                                      \
	OP(P, u64, sched_clock, (void))    /* ns since boot */               \
	OP(P, u64, steal_clock, (int cpu)) /* ns this vCPU did not run */

/* The queued spinlock's (spinlock.h, kernel/qspinlock.c): its slow path
 * (native: spin in the MCS queue; pv: spin a while, then wait), and the
 * pv slow path's two hypervisor hooks: wait(ptr, val) may halt this vCPU
 * while *ptr == val (it may also return early: callers look again),
 * kick(cpu) wakes a vCPU that waits. */
#define PV_LOCK_OPS(OP, CS, HC, SUB, P)                                      \
	OP(P, void, queued_spin_lock_slowpath, (struct qspinlock *lock, u32 val)) \
	OP(P, void, wait, (u8 *ptr, u8 val))                                 \
	OP(P, void, kick, (int cpu))                                         \
	CS(P, spin_unlock)                 /* void (u8 *) */                 \
	CS(P, vcpu_is_preempted)           /* bool (long cpu) */             \
	/* let preempted `cpu` run instead of this one (native: nothing) */  \
	OP(P, void, yield_to, (int cpu))

/*
 * The hypervisor's own calls, in the hypercall convention. Their default
 * (native.c) does nothing and returns -ENOSYS; a platform that has the
 * instruction installs it and hands the patch engine its template
 * (struct pv_platform.backend), so a site holds the instruction itself:
 *   hypercall  KVM's: vmcall or vmmcall, by CPU vendor (pv/kvm_hypercall.c)
 *   doorbell   pvhv's: `outl %eax,(%dx)`, nr to the port in a2 (pv/pvhv.c)
 */
#define PV_HV_OPS(OP, CS, HC, SUB, P)                                        \
	HC(P, hypercall)                                                     \
	HC(P, doorbell)

/* What an hv op returns where nobody answers it, negated (Linux's ENOSYS;
 * KVM's own "unknown hypercall" is -KVM_ENOSYS, 1000). */
#define PV_HV_ENOSYS 38

/* High-level ops: simple indirect calls. */
#define PV_PLATFORM_OPS(OP, CS, HC, SUB, P)                                  \
	OP(P, void, console_write, (const char *buf, size_t len))            \
	OP(P, void, power_off, (int status) __attribute__((__noreturn__)))   \
	OP(P, void, reboot, (void) __attribute__((__noreturn__)))            \
	OP(P, void, platform_init, (void))                                   \
	OP(P, void, timer_init, (void))

/* The areas: AREA(tag, name, LIST) for struct tag name in struct pv_ops. */
#define PV_OPS_AREAS(AREA)                                                   \
	AREA(pv_cpu_ops, cpu, PV_CPU_OPS)                                    \
	AREA(pv_irq_ops, irq, PV_IRQ_OPS)                                    \
	AREA(pv_mmu_ops, mmu, PV_MMU_OPS)                                    \
	AREA(pv_apic_ops, apic, PV_APIC_OPS)                                 \
	AREA(pv_time_ops, time, PV_TIME_OPS)                                 \
	AREA(pv_lock_ops, lock, PV_LOCK_OPS)                                 \
	AREA(pv_hv_ops, hv, PV_HV_OPS)                                       \
	AREA(pv_platform_ops, platform, PV_PLATFORM_OPS)

/* The lists as struct members. */
#define PV_FIELD_OP(P, ret, name, params) ret (*name) params;
#define PV_FIELD_CS(P, name) struct pv_callee_save name;
#define PV_FIELD_HC(P, name) struct pv_hcall name;
#define PV_FIELD_SUB(P, tag, name, LIST) struct tag name;
#define PV_FIELDS(LIST) LIST(PV_FIELD_OP, PV_FIELD_CS, PV_FIELD_HC, PV_FIELD_SUB, _)

struct pv_lazy_ops { PV_FIELDS(PV_LAZY_OPS) };
struct pv_cpu_ops { PV_FIELDS(PV_CPU_OPS) };
struct pv_irq_ops { PV_FIELDS(PV_IRQ_OPS) };
struct pv_mmu_ops { PV_FIELDS(PV_MMU_OPS) };
struct pv_apic_ops { PV_FIELDS(PV_APIC_OPS) };
struct pv_time_ops { PV_FIELDS(PV_TIME_OPS) };
struct pv_lock_ops { PV_FIELDS(PV_LOCK_OPS) };
struct pv_hv_ops { PV_FIELDS(PV_HV_OPS) };
struct pv_platform_ops { PV_FIELDS(PV_PLATFORM_OPS) };

#define PV_FIELD_AREA(tag, name, LIST) struct tag name;
struct pv_ops { PV_OPS_AREAS(PV_FIELD_AREA) };

extern struct pv_ops pv_ops;
#define PV_OPS pv_ops

/* The names of the slots, for the boot report and tools. */
extern const char *const pv_slot_names[];

#endif /* PVK_PV_OPS_H */
