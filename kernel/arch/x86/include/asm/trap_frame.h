/*
 * trap_frame.h - the registers entry.S saves on every exception and
 * interrupt, in the order it pushes them (lowest address first).
 */
#ifndef ASM_TRAP_FRAME_H
#define ASM_TRAP_FRAME_H

#ifndef __ASSEMBLER__
#include <types.h>

struct trap_frame {
	u64 pad;                 /* keeps the C call 16-byte aligned */
	u64 cr2;                 /* read through pv read_cr2 for #PF, else 0 */
	u64 r15, r14, r13, r12, r11, r10, r9, r8;
	u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
	u64 vector, error;       /* error is 0 when the CPU pushes none */
	u64 rip, cs, rflags, rsp, ss;   /* pushed by the CPU */
};

/* trap_dispatch - called by entry.S with interrupts off. */
void trap_dispatch(struct trap_frame *f);
#endif

#endif /* ASM_TRAP_FRAME_H */
