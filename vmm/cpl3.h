/*
 * cpl3.h - pvhv's side of the deprivileged mode (abi/pvhv_cpl3.h,
 * docs/pvhv-abi.md "Deprivileged mode"): where the monitor region and the
 * kernel's initial page tables go, how those tables are built and handed
 * to the validator (cpl3_boot.c), and the mode's hypercalls, the monitor
 * data pvhv writes after each call, and the monitor's fatal report
 * (cpl3_hc.c). All of it pure over guest memory: what touches KVM (MSRs,
 * the LAPIC timer, the register dump) is reached through struct hc_env's
 * hooks, which kvm-cpl3.c fills and the host tests fill with recorders.
 */
#ifndef PVHV_CPL3_H
#define PVHV_CPL3_H

#include "pvhv.h"
#include "cpl3_mm.h"
#include "cpl3_monitor.h"

#define CPL3_PT_ENTRIES     512          /* 8-byte entries of one table */
#define CPL3_FIXED_TABLES   3            /* PML4, PDPT, PD */
#define CPL3_PT_SPAN        (2ull << 20) /* what one PT maps */
#define CPL3_VIRT_SLOT      511          /* virt_base's PML4 slot */

/* Where pvhv puts the mode's pages: the monitor region at the top of RAM,
 * the initial tables just below it (PML4, PDPT, PD, then the PTs). */
struct cpl3_layout {
	uint64_t ram;                /* bytes of guest RAM */
	uint64_t region_gpa;         /* MON_SIZE bytes, MON_SIZE aligned */
	uint64_t pt_base;            /* the PML4's gpa; the PTs follow the PD */
	uint64_t nr_pt_frames;       /* CPL3_FIXED_TABLES + nr_pts */
	uint64_t nr_pts;             /* PTs: one per CPL3_PT_SPAN of RAM */
	uint64_t virt_base;          /* the note's */
};

/*
 * cpl3_layout_for - the layout for `ram` bytes of RAM and kernel `ki` (its
 * PVHV note checked by the loader): RAM at most PVHV_CPL3_MAX_MEM_MB, a
 * multiple of MON_SIZE, and the kernel's segments below pt_base. Returns
 * 0, or -EINVAL / -ENOMEM with *why naming the bad value.
 */
int cpl3_layout_for(uint64_t ram, const struct kernel_image *ki, struct cpl3_layout *l,
		    const char **why);

/*
 * cpl3_top_reserved - the two ranges the memory map marks E820_RESERVED
 * at the top of RAM, ascending: the initial tables, the monitor region.
 */
#define CPL3_TOP_RESERVED  2
void cpl3_top_reserved(const struct cpl3_layout *l, struct pvhv_range out[CPL3_TOP_RESERVED]);

/*
 * cpl3_leaf_flags - the flags of the initial map's entry for frame `pfn`
 * (abi/pvhv_cpl3.h, "Start state"): 0 (not present) for the monitor
 * region, P|US|NX (read-only) for the initial tables, P|US|RW (executable)
 * for a page of a PF_X segment, else P|US|RW|NX.
 */
uint64_t cpl3_leaf_flags(const struct cpl3_layout *l, const struct kernel_image *ki,
			 uint64_t pfn);

/*
 * cpl3_build_tables - write the initial tables at l->pt_base: PML4 slot
 * CPL3_VIRT_SLOT -> the PDPT, its entry for virt_base -> the PD, the PD's
 * first nr_pts entries -> the PTs, which map every frame of RAM at
 * virt_base + gpa with cpl3_leaf_flags(). No G, no PS. The monitor slot
 * stays empty (the validator fills it when the PML4 is pinned). Returns
 * 0, or -EFAULT when the tables are not in RAM.
 */
int cpl3_build_tables(struct guest_mem *gm, const struct cpl3_layout *l,
		      const struct kernel_image *ki);

/*
 * cpl3_pin_tables - hand the initial tables to the validator as the guest
 * would: pin every PT (level 1), the PD (2), the PDPT (3), the PML4 (4),
 * then make the PML4 the base pointer. The same code judges pvhv's
 * tables as the guest's: a refusal is pvhv's bug. Returns 0, or the
 * validator's -errno with *why naming the frame and level.
 */
int cpl3_pin_tables(struct cpl3_mm *mm, const struct cpl3_layout *l, const char **why);

/* cpl3_write_start - struct pvhv_cpl3_start at PVHV_CPL3_START_GPA for
 * start info `si_gpa`. 0, or -EFAULT (RAM too small). */
int cpl3_write_start(struct guest_mem *gm, const struct cpl3_layout *l, uint64_t si_gpa);

/* ---- cpl3_hc.c: the running mode ---------------------------------------- */

/* The mode's per-VM state (one vCPU). */
struct cpl3_vm {
	struct cpl3_layout lay;
	struct cpl3_mm mm;
	struct cpl3_write writes[MON_MAX_WRITES];
	bool load_cr3;               /* this call made a NEW_BASEPTR */
	uint64_t page_gpa;           /* the registered vCPU page, 0 none */
	uint64_t calls[PVHV_HC_CPL3_LAST - PVHV_HC_CPL3_FIRST + 1]; /* by op */
	uint64_t replayed;           /* entries handed to the monitor */
};

/* The MSRs the kernel may name in RDMSR/WRMSR. */
#define CPL3_MSR_TSC           0x10u
#define CPL3_MSR_APIC_BASE     0x1bu
#define CPL3_MSR_EFER          0xc0000080u
#define CPL3_MSR_FS_BASE       0xc0000100u
#define CPL3_MSR_GS_BASE       0xc0000101u
#define CPL3_MSR_KERNEL_GS     0xc0000102u

/* The LAPIC timer SET_TIMER programs (xAPIC register offsets, SDM 3A 11.5). */
#define CPL3_APIC_LVT_TIMER    0x320
#define CPL3_APIC_TIMER_ICR    0x380
#define CPL3_APIC_TIMER_DCR    0x3e0
#define CPL3_LVT_MASKED        (1u << 16)
#define CPL3_LVT_PERIODIC      (1u << 17)
#define CPL3_DCR_DIV1          0xbu
#define CPL3_TIMER_MIN_NS      10000u    /* 10 us */
#define CPL3_APIC_BUS_HZ       1000000000ull   /* pvhv's CPUID timing leaf: 1 GHz */
#define CPL3_VECTOR_FIRST_IRQ  32

struct cpl3_timer {
	uint32_t lvt, dcr, icr;      /* the three registers' new values */
};

/*
 * cpl3_irq_vector_ok - may an interrupt the kernel asks for (SET_TIMER,
 * KICK, SEND_IPI) use vector v? 32..254 but the monitor's gates
 * (PVHV_CPL3_VEC_HCALL..FLUSH): below 32 the monitor would take it for an
 * exception (with or without an error code), on a gate for a call, and on
 * 0xff (the LAPIC's spurious vector, MON_SPURIOUS_VECTOR) it sends no
 * EOI, so the interrupt would stay in service and block all others.
 */
bool cpl3_irq_vector_ok(uint64_t v);

/*
 * cpl3_timer_regs - SET_TIMER's (vector, period_ns) as LAPIC registers:
 * periodic with `vector`, divide by 1, the period in APIC bus ticks; period
 * 0 masks the LVT. Returns 0, or -PVHV_EINVAL (a vector cpl3_irq_vector_ok
 * refuses, a period below CPL3_TIMER_MIN_NS or beyond the 32-bit count).
 */
int cpl3_timer_regs(uint64_t vector, uint64_t period_ns, struct cpl3_timer *t);

/* cpl3_timer_apply - put t into a KVM_GET_LAPIC register page (1 KiB). */
#define CPL3_LAPIC_BYTES       1024
void cpl3_timer_apply(uint8_t regs[CPL3_LAPIC_BYTES], const struct cpl3_timer *t);

/*
 * cpl3_msr_allowed - may the kernel read (write false) or write `msr`?
 * 0, or -PVHV_EPERM. A write of a base must also be canonical
 * (cpl3_canonical).
 */
int cpl3_msr_allowed(uint64_t msr, bool write);
bool cpl3_canonical(uint64_t va);

/*
 * cpl3_init - the mode's state over gm with layout l and the monitor's
 * slot-510 entry; the validator's write list is cm->writes. 0 or -ENOMEM.
 */
int cpl3_init(struct cpl3_vm *cm, struct guest_mem *gm, const struct cpl3_layout *l,
	      uint64_t monitor_pml4e);
void cpl3_free(struct cpl3_vm *cm);

/*
 * cpl3_hc_begin / cpl3_hc_end - around each hypercall from the doorbell
 * (a MULTICALL is one): begin empties the write list; end copies it into
 * the monitor region (MON_WRITES, MOND_NR_WRITES) and sets MOND_FLAGS
 * (MON_F_FLUSH, MON_F_LOAD_CR3 with MOND_NEW_CR3).
 */
void cpl3_hc_begin(struct cpl3_vm *cm);
void cpl3_hc_end(struct cpl3_vm *cm);

/*
 * cpl3_hc_run - operation `op` (PVHV_HC_CPL3_FIRST..LAST) with `a` for
 * `vcpu`, through env's hooks for MSRs and the timer. Returns the result
 * for page->ret (>= 0 or -PVHV_E*); args[1] of RDMSR's value in *out1.
 */
int64_t cpl3_hc_run(const struct hc_env *env, uint32_t vcpu, uint64_t op,
		    const uint64_t *a, uint64_t *out1);

/*
 * cpl3_guest_span - may pvhv read (write false) or write guest range
 * [gpa, gpa+len) for the kernel (a hypercall's buffer, the vCPU page)?
 * Never in the monitor region; a write never to a pinned page table
 * (pvhv's own write would bypass the validator). 0 and *p, or -PVHV_EFAULT
 * (outside RAM) or -PVHV_EPERM.
 */
int cpl3_guest_span(struct cpl3_vm *cm, uint64_t gpa, uint64_t len, bool write, void **p);

/* cpl3_page_registered - REGISTER accepted `gpa` (0: unregistered): record
 * it and write MOND_PAGE_GPA. */
void cpl3_page_registered(struct cpl3_vm *cm, uint64_t gpa);

/*
 * cpl3_fail_text - the monitor's report (reason from MON_PORT and the
 * MOND_FAIL_* fields): "monitor: <reason text>: vector V error E rip R
 * cr2 C" into buf.
 */
void cpl3_fail_text(const struct cpl3_vm *cm, uint32_t reason, char *buf, size_t len);

/* cpl3_stats_line - the --stats line of the mode's hypercalls. */
void cpl3_stats_line(const struct cpl3_vm *cm, char *buf, size_t len);

#endif /* PVHV_CPL3_H */
