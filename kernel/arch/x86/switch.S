/*
 * switch.S - a thread switch (asm/switch.h): the System V callee-saved
 * registers onto the old stack, the stack pointers exchanged through
 * struct thread's first field, the registers off the new stack. The
 * caller-saved ones are the C caller's business, and rflags is too: the
 * scheduler switches with interrupts off, and each thread restores its
 * own flags when it returns from schedule().
 */
	.text

/* struct thread *sched_switch(struct thread *prev, struct thread *next) */
	.globl sched_switch
	.type sched_switch, @function
sched_switch:
	push %rbp
	push %rbx
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, (%rdi)             /* prev->rsp */
	mov (%rsi), %rsp             /* next->rsp */
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbx
	pop %rbp
	mov %rdi, %rax               /* prev, as next sees it */
	ret
	.size sched_switch, . - sched_switch

/* A new thread's first return from sched_switch lands here, prev in rax. */
	.globl thread_entry
	.type thread_entry, @function
thread_entry:
	mov %rax, %rdi
	call sched_thread_start
	ud2                          /* it never returns */
	.size thread_entry, . - thread_entry

	.section .note.GNU-stack, "", @progbits
