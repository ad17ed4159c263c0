/*
 * entry.S - exception and interrupt entry, the third kind of pv site.
 *
 * Every vector has a stub that makes the frame uniform (a zero error code
 * where the CPU pushes none, then the vector number) and jumps to
 * trap_common, which saves the general registers and calls
 * trap_dispatch(frame). The sensitive instructions on this path go
 * through pv_ops with PV_SITE, and the patch engine rewrites them at boot
 * like any C site:
 *
 *   mov %cr2,%rax   in the page-fault stub, before anything else can fault
 *   swapgs          after the registers are saved, when the frame's CS is
 *                   a user one (the kernel's GS base in), and again just
 *                   before they come back on the way out to ring 3
 *   cli             on the way out, before the registers come back
 *   iretq           the return itself
 *
 * A system call enters through `syscall` (the CPU's own stub, below, as
 * LSTAR), builds the same frame, and leaves through sysretq where it can:
 *
 *   swapgs          at once after the registers are saved
 *   sti             the call runs with interrupts on (FMASK cleared IF)
 *   cli             before the way out
 *   swapgs          the user's GS base back
 *   sysretq         a jump site (PV_SITE_F_JMP): the user's rsp is loaded,
 *                   nothing may be pushed. A frame sysretq cannot return
 *                   (an interrupt's) goes out through the iretq above
 */
#define PV_OPS pv_ops
#include <pvops/asm.h>
#include <asm/irq_vectors.h>
#include <asm/segment.h>
#include <asm/user.h>
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
	testb $SEL_RPL_MASK, TF_CS(%rsp)
	jz 1f
	/* from ring 3: the kernel's GS base (rax is saved: the site may
	 * clobber it) */
	PV_SITE PV_SLOT_swapgs, PV_CLOBBERS_CALLEE_SAVE
1:
	cld
	mov %rsp, %rdi
	call trap_dispatch
	/* Interrupts stay off until iretq restores the interrupted flags;
	 * a handler may have turned them on. rax comes back from the frame. */
	PV_SITE PV_SLOT_irq_disable, PV_CLOBBERS_CALLEE_SAVE, PV_SITE_MEMOP_LEN
	testb $SEL_RPL_MASK, TF_CS(%rsp)
	jz restore_iret
	mov %rsp, %rdi
	call exit_to_user_mode      /* may switch threads; interrupts stay off */
/* Back to ring 3 through iretq, from a frame at rsp, interrupts off. */
ret_to_user_iret:
	PV_SITE PV_SLOT_swapgs, PV_CLOBBERS_CALLEE_SAVE
restore_iret:
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

/*
 * SYSCALL: the CPU loaded rip from LSTAR, put the user's rip in rcx and
 * rflags in r11, cleared the FMASK flags (IF among them) and left rsp
 * and GS as the user had them. Each CPU has its own stub, so it finds
 * its kernel stack without GS: it parks the user's rsp in its TSS's
 * rsp2, loads the TSS's rsp0 (cpu.load_sp0 keeps it the running
 * thread's stack top) and starts the frame there; no pv site runs until
 * the stack is the kernel's.
 */
	.p2align 5
	.globl entry_syscall_stubs, entry_syscall_stubs_end
entry_syscall_stubs:
	.set stub_cpu, 0
	.rept SMP_MAX_CPUS_ASM
	.p2align 5
	mov %rsp, cpu_tss + stub_cpu * TSS_SIZE + TSS_RSP2(%rip)
	mov cpu_tss + stub_cpu * TSS_SIZE + TSS_RSP0(%rip), %rsp
	pushq $USER_DS                                  /* ss */
	pushq cpu_tss + stub_cpu * TSS_SIZE + TSS_RSP2(%rip)   /* rsp */
	jmp entry_syscall_64
	.set stub_cpu, stub_cpu + 1
	.endr
	.p2align 5
entry_syscall_stubs_end:

entry_syscall_64:
	push %r11                   /* rflags */
	pushq $USER_CS
	push %rcx                   /* rip */
	pushq $0                    /* error code */
	pushq $SYSCALL_FRAME_VECTOR
	SAVE_REGS
	PV_SITE PV_SLOT_swapgs, PV_CLOBBERS_CALLEE_SAVE
	PV_SITE PV_SLOT_irq_enable, PV_CLOBBERS_CALLEE_SAVE
	mov %rsp, %rdi
	call syscall_dispatch       /* the result in the frame's rax */
	PV_SITE PV_SLOT_irq_disable, PV_CLOBBERS_CALLEE_SAVE, PV_SITE_MEMOP_LEN
	mov %rsp, %rdi
	call exit_to_user_mode      /* 0: the frame needs iretq */
	test %eax, %eax
	jz ret_to_user_iret
	PV_SITE PV_SLOT_swapgs, PV_CLOBBERS_CALLEE_SAVE
	add $16, %rsp               /* pad, cr2 */
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	add $8, %rsp                /* r11: sysret's rflags, below */
	pop %r10
	pop %r9
	pop %r8
	pop %rbp
	pop %rdi
	pop %rsi
	pop %rdx
	add $8, %rsp                /* rcx: sysret's rip, below */
	pop %rbx
	pop %rax
	/* vector, error code, rip, cs, rflags, rsp, ss */
	mov 16(%rsp), %rcx
	mov 32(%rsp), %r11
	mov 40(%rsp), %rsp
	PV_SITE PV_SLOT_sysret, PV_CLOBBERS_NONE, PV_SITE_CALL_LEN, PV_SITE_F_JMP

/* enter_user_mode(frame): a new process's first entry to ring 3, from a
 * frame its thread built (user.c): the frame becomes the stack, and the
 * way out is the one every interrupt from ring 3 takes. */
	.globl enter_user_mode
enter_user_mode:
	mov %rdi, %rsp
	PV_SITE PV_SLOT_irq_disable, PV_CLOBBERS_CALLEE_SAVE, PV_SITE_MEMOP_LEN
	jmp ret_to_user_iret

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

/* long __copy_user(dst, src, n) (asm/user.h): between stac and clac. */
	.globl __copy_user
__copy_user:
	mov %rdx, %rcx
copy_user_insn:
	rep movsb
	xor %eax, %eax
	ret

/* long __strncpy_user(dst, src, n): at most n bytes, up to a NUL. */
	.globl __strncpy_user
__strncpy_user:
	xor %eax, %eax
strncpy_user_next:
	cmp %rdx, %rax
	jae strncpy_user_done
strncpy_user_insn:
	movb (%rsi,%rax), %cl
	movb %cl, (%rdi,%rax)
	test %cl, %cl
	jz strncpy_user_done
	inc %rax
	jmp strncpy_user_next
strncpy_user_done:
	ret

user_copy_failed:
	mov $-1, %rax
	ret

	.section .rodata
	.p2align 3
	.globl probe_table, probe_table_end
probe_table:
	.quad 1b, probe_failed, 0
	.quad 2b, probe_failed, 0
	.quad 3b, probe_failed, 1
	.quad copy_user_insn, user_copy_failed, 0
	.quad strncpy_user_insn, user_copy_failed, 0
probe_table_end:

	.section .note.GNU-stack, "", @progbits
