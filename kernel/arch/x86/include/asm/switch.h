/*
 * switch.h - the architecture's half of a thread switch (switch.S):
 * callee-saved registers on the old thread's stack, its stack pointer
 * saved, the new one's loaded, its registers popped.
 */
#ifndef ASM_SWITCH_H
#define ASM_SWITCH_H

#include <types.h>

struct thread;

/*
 * sched_switch - save prev's callee-saved registers and stack pointer
 * (prev->rsp, the first field of struct thread) and continue next from
 * its own; returns, in next, the thread that switched to it (for the
 * scheduler's finish). With interrupts off.
 */
struct thread *sched_switch(struct thread *prev, struct thread *next);

/* thread_entry - where a new thread's first switch returns to: it calls
 * sched_thread_start(prev), which never returns. */
void thread_entry(void);
noreturn void sched_thread_start(struct thread *prev);

/* The registers sched_switch keeps on a stack: rbp rbx r12 r13 r14 r15. */
#define SWITCH_SAVED_REGS 6

/*
 * arch_thread_stack - a new thread's first stack: what sched_switch pops
 * (zero registers, so rbp ends backtraces), then thread_entry as its
 * return address, then two zero words, so thread_entry calls with the
 * stack 16-byte aligned as the ABI wants. Returns the rsp to save.
 */
static inline u64 arch_thread_stack(u8 *top)
{
	u64 *sp = (u64 *)ALIGN_DOWN((u64)top, 16);

	*--sp = 0;
	*--sp = 0;
	*--sp = (u64)thread_entry;
	for (int i = 0; i < SWITCH_SAVED_REGS; i++)
		*--sp = 0;
	return (u64)sp;
}

#endif /* ASM_SWITCH_H */
