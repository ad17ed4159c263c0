/*
 * spinlock.h - the kernel's spinlock API.
 *
 * For now a test-and-set byte: enough for the scheduler to be written
 * against. The queued spinlock with its paravirt slow path (the SMP
 * issue) replaces what is behind these names, not the names.
 *
 * Holding a lock, or waiting for one, keeps this CPU's thread from being
 * preempted (asm/preempt.h): spin_lock raises the preempt count before
 * it tries, spin_unlock lowers it after the release.
 */
#ifndef PVK_SPINLOCK_H
#define PVK_SPINLOCK_H

#include <paravirt.h>
#include <types.h>
#include <asm/preempt.h>
#include <asm/processor.h>

typedef struct {
	u8 locked;
} spinlock_t;

#define SPINLOCK_INIT { 0 }

static inline void spin_lock_init(spinlock_t *l) { l->locked = 0; }

static inline void spin_lock(spinlock_t *l)
{
	preempt_disable();
	while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
			cpu_relax();
}

static inline bool spin_trylock(spinlock_t *l)
{
	preempt_disable();
	if (!__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
		return true;
	preempt_enable();
	return false;
}

static inline void spin_unlock(spinlock_t *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
	preempt_enable();
}

/* With this CPU's interrupts off while held: for data an interrupt
 * handler also takes. Returns the flags spin_unlock_irqrestore wants. */
static inline unsigned long spin_lock_irqsave(spinlock_t *l)
{
	unsigned long flags = arch_local_irq_save();

	spin_lock(l);
	return flags;
}

static inline void spin_unlock_irqrestore(spinlock_t *l, unsigned long flags)
{
	spin_unlock(l);
	arch_local_irq_restore(flags);
}

#endif /* PVK_SPINLOCK_H */
