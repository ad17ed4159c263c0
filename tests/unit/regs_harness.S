/*
 * regs_harness.S - call a function with every general register set from
 * a table and record every register it leaves behind.
 *
 *   void regs_call(const void *fn, const uint64_t in[16], uint64_t out[16]);
 *
 * Registers are indexed by PV_REG_* (hardware order). in[PV_REG_RSP] is
 * ignored; out[PV_REG_RSP] is the stack pointer after the call minus the
 * one before it (0 when fn kept the stack balanced).
 */
#include <pvops/regs.h>

#define R(reg) (PV_REG_##reg * 8)

	.text
	.globl regs_call
	.type regs_call, @function
regs_call:
	push %rbx
	push %rbp
	push %r12
	push %r13
	push %r14
	push %r15
	push %rdx                  /* out:  16(%rsp) */
	push %rdi                  /* fn:    8(%rsp) */
	push %rsp                  /* rsp before the call: 0(%rsp) */
	mov R(RAX)(%rsi), %rax
	mov R(RCX)(%rsi), %rcx
	mov R(RDX)(%rsi), %rdx
	mov R(RBX)(%rsi), %rbx
	mov R(RBP)(%rsi), %rbp
	mov R(RDI)(%rsi), %rdi
	mov R(R8)(%rsi), %r8
	mov R(R9)(%rsi), %r9
	mov R(R10)(%rsi), %r10
	mov R(R11)(%rsi), %r11
	mov R(R12)(%rsi), %r12
	mov R(R13)(%rsi), %r13
	mov R(R14)(%rsi), %r14
	mov R(R15)(%rsi), %r15
	mov R(RSI)(%rsi), %rsi
	call *8(%rsp)
	xchg %rax, 16(%rsp)        /* rax = out; the slot keeps fn's rax */
	mov %rcx, R(RCX)(%rax)
	mov %rdx, R(RDX)(%rax)
	mov %rbx, R(RBX)(%rax)
	mov %rbp, R(RBP)(%rax)
	mov %rsi, R(RSI)(%rax)
	mov %rdi, R(RDI)(%rax)
	mov %r8, R(R8)(%rax)
	mov %r9, R(R9)(%rax)
	mov %r10, R(R10)(%rax)
	mov %r11, R(R11)(%rax)
	mov %r12, R(R12)(%rax)
	mov %r13, R(R13)(%rax)
	mov %r14, R(R14)(%rax)
	mov %r15, R(R15)(%rax)
	mov 16(%rsp), %rcx
	mov %rcx, R(RAX)(%rax)
	lea 8(%rsp), %rcx
	sub 0(%rsp), %rcx
	mov %rcx, R(RSP)(%rax)
	add $24, %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbp
	pop %rbx
	ret
	.size regs_call, . - regs_call

	.section .note.GNU-stack, "", @progbits
