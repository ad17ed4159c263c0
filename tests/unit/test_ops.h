/*
 * test_ops.h - the ops template the host tests patch, and its wrappers.
 *
 * It is laid out like the kernel's: one struct per area, gathered in one
 * template; hot ops are callee-save slots.
 */
#ifndef TEST_OPS_H
#define TEST_OPS_H

#include <stdbool.h>
#include <stdint.h>
#include <pvops/callee_save.h>
#include <pvops/hypercall.h>

struct t_irq_ops {
	struct pv_callee_save save_fl;       /* unsigned long (void) */
	struct pv_callee_save restore_fl;    /* void (unsigned long) */
	struct pv_callee_save irq_disable;   /* void (void) */
	struct pv_callee_save irq_enable;    /* void (void) */
};

struct t_mmu_ops {
	struct pv_callee_save read_cr2;      /* unsigned long (void) */
	unsigned long (*read_cr3)(void);
	void (*write_cr3)(unsigned long);
};

struct t_lock_ops {
	struct pv_callee_save spin_unlock;        /* void (uint8_t *) */
	struct pv_callee_save vcpu_is_preempted;  /* bool (long cpu) */
};

struct t_misc_ops {
	struct pv_callee_save ident;      /* unsigned long (unsigned long) */
	struct pv_callee_save tick;       /* void (void) */
	struct pv_callee_save regs;       /* unsigned long (void) */
	struct pv_callee_save far;        /* unsigned long (void) */
	struct pv_callee_save long_tmpl;  /* unsigned long (void) */
	unsigned long (*add3)(unsigned long, unsigned long, unsigned long);
	void (*notify)(void);
	unsigned long (*trash)(void);
	struct pv_hcall hcall;            /* hypercall convention */
};

struct t_ops {
	struct t_irq_ops irq;
	struct t_mmu_ops mmu;
	struct t_lock_ops lock;
	struct t_misc_ops misc;
};

extern struct t_ops t_ops;
#define PV_OPS t_ops

#include <pvops/ops.h>

/* The wrappers: the only way the tests call an op through a site. */
static inline unsigned long t_save_fl(void)
{
	return PVOP_CALLEE0(unsigned long, irq.save_fl);
}
static inline void t_restore_fl(unsigned long f)
{
	PVOP_VCALLEE1(irq.restore_fl, f);
}
static inline void t_irq_disable(void) { PVOP_VCALLEE0(irq.irq_disable); }
static inline void t_irq_enable(void) { PVOP_VCALLEE0(irq.irq_enable); }
static inline unsigned long t_read_cr2(void)
{
	return PVOP_CALLEE0(unsigned long, mmu.read_cr2);
}
static inline unsigned long t_read_cr3(void)
{
	return PVOP_CALL0(unsigned long, mmu.read_cr3);
}
static inline void t_write_cr3(unsigned long v) { PVOP_VCALL1(mmu.write_cr3, v); }
static inline void t_spin_unlock(uint8_t *lock)
{
	PVOP_VCALLEE1(lock.spin_unlock, lock);
}
static inline bool t_vcpu_is_preempted(long cpu)
{
	return PVOP_CALLEE1(bool, lock.vcpu_is_preempted, cpu);
}
static inline unsigned long t_ident(unsigned long v)
{
	return PVOP_CALLEE1(unsigned long, misc.ident, v);
}
static inline void t_tick(void) { PVOP_VCALLEE0(misc.tick); }
static inline unsigned long t_far(void)
{
	return PVOP_CALLEE0(unsigned long, misc.far);
}
static inline unsigned long t_long_tmpl(void)
{
	return PVOP_CALLEE0(unsigned long, misc.long_tmpl);
}
static inline unsigned long t_add3(unsigned long a, unsigned long b,
				   unsigned long c)
{
	return PVOP_CALL3(unsigned long, misc.add3, a, b, c);
}
static inline void t_notify(void) { PVOP_VCALL0(misc.notify); }
static inline unsigned long t_hcall(unsigned long nr, unsigned long a0,
				    unsigned long a1, unsigned long a2,
				    unsigned long a3)
{
	return PVOP_HCALL4(unsigned long, misc.hcall, nr, a0, a1, a2, a3);
}

#endif /* TEST_OPS_H */
