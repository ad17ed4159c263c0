/*
 * bench_user_progs.S - bench=user's ring-3 programs (kernel/bench_user.c):
 * position-independent text, mapped at USER_TEXT_BASE like any program.
 * Each pair differs only in the work measured; the kernel times both and
 * divides the difference by the count.
 */
#include <abi/syscall.h>
#include "bench_user.h"

.macro PROG name
	.section .rodata
	.p2align 4
	.globl bench_prog_\name, bench_prog_\name\()_end
bench_prog_\name:
.endm
.macro END name
bench_prog_\name\()_end:
.endm

/* BENCH_SYSCALLS getpid calls, then exit(0) */
PROG syscalls
	mov $BENCH_SYSCALLS, %ebx
1:	mov $SYS_getpid, %eax
	syscall
	dec %ebx
	jnz 1b
	xor %edi, %edi
	mov $SYS_exit, %eax
	syscall
	ud2
END syscalls

/* mmap BENCH_FAULTS pages, touch each (one demand-zero fault each), exit */
PROG faults
	mov $(BENCH_FAULTS * 4096), %edi
	mov $SYS_mmap, %eax
	syscall
	mov $BENCH_FAULTS, %ebx
1:	movb $1, (%rax)
	add $4096, %rax
	dec %ebx
	jnz 1b
	xor %edi, %edi
	mov $SYS_exit, %eax
	syscall
	ud2
END faults

/* the baseline of both: the same mmap, no loop */
PROG baseline
	mov $(BENCH_FAULTS * 4096), %edi
	mov $SYS_mmap, %eax
	syscall
	xor %edi, %edi
	mov $SYS_exit, %eax
	syscall
	ud2
END baseline

	.section .note.GNU-stack, "", @progbits
