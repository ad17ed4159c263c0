/*
 * regs_harness.S - call a function with every general register and
 * RFLAGS set from a table and record every register it leaves behind.
 *
 *   void regs_call(const void *fn, const uint64_t in[REGS_SLOTS],
 *                  uint64_t out[REGS_SLOTS]);
 *
 * Registers are indexed by PV_REG_* (hardware order), RFLAGS by REGS_FL
 * (regs_harness.h). in[PV_REG_RSP] is ignored; out[PV_REG_RSP] is the
 * stack pointer after the call minus the one before it (0 when fn kept
 * the stack balanced). out[REGS_FL_BEFORE] is RFLAGS as the call saw them
 * (ring 3 cannot load IF or IOPL), out[REGS_FL] RFLAGS after it. The
 * caller's own RFLAGS are restored before returning.
 *
 * The harness finds its frame again through harness_rsp, not through the
 * stack pointer fn returns with, so a function that unbalances the stack
 * is measured instead of crashing the harness. Not reentrant (one call at
 * a time per process; Criterion runs each test in its own process).
 *
 * Below it, the negative controls: ops that each break the callee-save
 * promise in one way only, for t_regs.c to show the harness sees it.
 */
#include <pvops/regs.h>
#include "regs_harness.h"

#define R(reg) (PV_REG_##reg * 8)
#define FL (REGS_FL * 8)
#define FL_BEFORE (REGS_FL_BEFORE * 8)

	.bss
	.balign 8
harness_rsp:   .quad 0      /* the harness's stack pointer at the call */
fn_rsp:        .quad 0      /* the one fn returned with */

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
	pushfq                     /* the caller's flags, back at the end */
	push %rdx                  /* out:  8(%rsp) */
	push %rdi                  /* fn:   0(%rsp) */
	mov %rsp, harness_rsp(%rip)
	pushq FL(%rsi)
	popfq                      /* from here on no instruction sets flags */
	pushfq
	popq FL_BEFORE(%rdx)
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
	call *(%rsp)
	mov %rsp, fn_rsp(%rip)
	mov harness_rsp(%rip), %rsp
	pushfq                     /* fn's flags: 0(%rsp); out: 16(%rsp) */
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
	popq FL(%rax)
	mov fn_rsp(%rip), %rcx
	sub harness_rsp(%rip), %rcx
	mov %rcx, R(RSP)(%rax)
	add $16, %rsp              /* fn, out */
	popfq
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbp
	pop %rbx
	ret
	.size regs_call, . - regs_call

/*
 * Negative controls. Each changes exactly one thing a callee-save op must
 * keep, and nothing else (`not` and `ret $8` leave the flags alone).
 */
#define BAD(name) .globl name; .type name, @function; name:

BAD(bad_rbx)	not %rbx; ret
BAD(bad_rbp)	not %rbp; ret
BAD(bad_r12)	not %r12; ret
BAD(bad_r13)	not %r13; ret
BAD(bad_r14)	not %r14; ret
BAD(bad_r15)	not %r15; ret
/* returns with the stack pointer 8 lower: a copy of its return address
 * is left behind */
BAD(bad_rsp_down)	pushq (%rsp); ret
/* returns with the stack pointer 8 higher */
BAD(bad_rsp_up)	ret $8
/* flip one flag: in either state it was, it comes back the other way */
BAD(bad_df)	pushfq; xorq $FL_DF, (%rsp); popfq; ret
BAD(bad_ac)	pushfq; xorq $FL_AC, (%rsp); popfq; ret
BAD(bad_id)	pushfq; xorq $FL_ID, (%rsp); popfq; ret
/* sets TF: every instruction after its popfq traps (the test counts the
 * SIGTRAPs) until the harness restores the caller's flags */
BAD(bad_tf)	pushfq; xorq $FL_TF, (%rsp); popfq; ret

	.section .note.GNU-stack, "", @progbits
