/*
 * entry.S - exception and interrupt entry, the third kind of pv site.
 *
 * Every vector has a stub that makes the frame uniform (a zero error code
 * where the CPU pushes none, then the vector number) and jumps to
 * trap_common, which saves the general registers and calls
 * trap_dispatch(frame). Three sensitive instructions on this path go
 * through pv_ops with PV_SITE, and the patch engine rewrites them at boot
 * like any C site:
 *
 *   mov %cr2,%rax   in the page-fault stub, before anything else can fault
 *   cli             on the way out, before the registers come back
 *   iretq           the return itself
 */
#define PV_OPS pv_ops
#include <pvops/asm.h>
#include <asm/irq_vectors.h>
#include <asm/x86_bits.h>
#include "asm-offsets.h"

	.text

.macro SAVE_REGS
	push %rax
	push %rbx
	push %rcx
	push %rdx
	push %rsi
	push %rdi
	push %rbp
	push %r8
	push %r9
	push %r10
	push %r11
	push %r12
	push %r13
	push %r14
	push %r15
	sub $16, %rsp            /* cr2, pad */
	movq $0, 8(%rsp)
.endm

/* The label STUB gives vector v's stub, for a vector named by a #define. */
#define STUB_LABEL(v) STUB_LABEL_(v)
#define STUB_LABEL_(v) trap_stub_##v

/* A stub for a vector where the CPU pushes no error code. */
.macro STUB vec
	.p2align 3
trap_stub_\vec:
	push $0
	push $\vec
	jmp trap_common
.endm

/* A stub for a vector where it does (8, 10-14, 17, 21, 29, 30). */
.macro STUB_ERR vec
	.p2align 3
trap_stub_\vec:
	push $\vec
	jmp trap_common
.endm

	STUB 0
	STUB 1
	STUB 2
	STUB 3
	STUB 4
	STUB 5
	STUB 6
	STUB 7
	STUB_ERR 8
	STUB 9
	STUB_ERR 10
	STUB_ERR 11
	STUB_ERR 12
	STUB_ERR 13
	/* 14: page fault, below */
	STUB 15
	STUB 16
	STUB_ERR 17
	STUB 18
	STUB 19
	STUB 20
	STUB_ERR 21
	STUB 22
	STUB 23
	STUB 24
	STUB 25
	STUB 26
	STUB 27
	STUB 28
	STUB_ERR 29
	STUB_ERR 30
	STUB 31
	STUB TIMER_VECTOR
	STUB TEST_IPI_VECTOR
	STUB CALL_FUNCTION_VECTOR
	STUB RESCHEDULE_VECTOR
	STUB TLB_FLUSH_VECTOR
	STUB PV_KICK_VECTOR
	STUB SPURIOUS_VECTOR

/*
 * Page fault: cr2 must be read before anything else can fault and
 * overwrite it. rax is saved already, so the site may clobber it.
 */
	.p2align 3
trap_stub_14:
	push $X86_TRAP_PF
	SAVE_REGS
	PV_SITE PV_SLOT_read_cr2, PV_CLOBBERS_CALLEE_SAVE, PV_SITE_CALL_LEN, PV_SITE_F_RET
	mov %rax, TF_CR2(%rsp)
	jmp trap_saved

trap_common:
	SAVE_REGS
trap_saved:
	cld
	mov %rsp, %rdi
	call trap_dispatch
	/* Interrupts stay off until iretq restores the interrupted flags;
	 * a handler may have turned them on. rax comes back from the frame. */
	PV_SITE PV_SLOT_irq_disable, PV_CLOBBERS_CALLEE_SAVE
	add $16, %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rbp
	pop %rdi
	pop %rsi
	pop %rdx
	pop %rcx
	pop %rbx
	pop %rax
	add $16, %rsp            /* vector, error code */
	PV_SITE PV_SLOT_iret, PV_CLOBBERS_NONE

/* The stubs' addresses, for the IDT: trap_stubs[vector], 0..LAST_STUB_VECTOR
 * (traps.c checks the count against irq_vectors.h). */
	.section .rodata
	.p2align 3
	.globl trap_stubs
trap_stubs:
	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36
	.quad trap_stub_\v
	.endr
	.globl trap_stubs_end
trap_stubs_end:
	.globl trap_stub_spurious
trap_stub_spurious:
	.quad STUB_LABEL(SPURIOUS_VECTOR)
	.globl trap_stub_pv_kick
trap_stub_pv_kick:
	.quad STUB_LABEL(PV_KICK_VECTOR)

/*
 * Probes (trap.h): one instruction each that may fault. The table below
 * tells trap_dispatch where to resume when it does: { rip of the faulting
 * instruction, or for probe_exec the return address on top of the stack;
 * where to resume; 1 when the return address must be popped }.
 */
	.text
	.globl probe_read
probe_read:                      /* int probe_read(addr, u8 *val) */
1:	movb (%rdi), %al
	movb %al, (%rsi)
	xor %eax, %eax
	ret
	.globl probe_write
probe_write:                     /* int probe_write(addr, u8 val) */
2:	movb %sil, (%rdi)
	xor %eax, %eax
	ret
	.globl probe_exec
probe_exec:                      /* int probe_exec(addr) */
	call *%rdi
3:	xor %eax, %eax               /* a fault in the callee has 3b on the stack */
	ret
probe_failed:
	mov $-1, %eax
	ret

	.section .rodata
	.p2align 3
	.globl probe_table, probe_table_end
probe_table:
	.quad 1b, probe_failed, 0
	.quad 2b, probe_failed, 0
	.quad 3b, probe_failed, 1
probe_table_end:

	.section .note.GNU-stack, "", @progbits
