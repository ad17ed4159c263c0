/*
 * t_user_progs.S - small ring-3 programs of the kernel's own user-mode
 * tests (t_user.c), independent of user/'s programs: each is position
 * independent machine code in .rodata, between kt_prog_NAME and
 * kt_prog_NAME_end, that t_user.c maps at USER_TEXT_BASE as a program's
 * text. They use the stack (demand-zero) and mmap for memory.
 */
#include <abi/syscall.h>
#include <asm/layout.h>

/* The kernel's text, which ring 3 may neither read nor run. */
#define KERNEL_TEXT (KERNEL_VMA + KERNEL_PHYS_BASE)
/* ret, as a byte to write and then call */
#define OP_RET 0xc3

/* A program's start and end labels. */
.macro PROG name
	.section .rodata
	.p2align 4
	.globl kt_prog_\name, kt_prog_\name\()_end
kt_prog_\name:
.endm
.macro END name
kt_prog_\name\()_end:
.endm

/* SYS nr: the system call, arguments already in place. */
.macro SYS nr
	mov $\nr, %eax
	syscall
.endm

/* EXIT code */
.macro EXIT code
	mov $\code, %edi
	SYS SYS_exit
	ud2
.endm

/* EXPECT val, code: exit(code) unless rax == val (sign-extended imm32). */
.macro EXPECT val, code
	cmp $\val, %rax
	je 9f
	EXIT \code
9:
.endm

PROG exit42
	EXIT 42
END exit42

/* One write of its message, then exit(0); exit(1) if the write did not
 * say it wrote it all. */
PROG hello
	lea 1f(%rip), %rdi
	mov $(2f - 1f), %esi
	SYS SYS_write
	EXPECT (2f - 1f), 1
	EXIT 0
1:	.ascii "kt_hello: hello from ring 3\n"
2:
END hello

/* Loops in ring 3 for good: only the timer takes the CPU from it. */
PROG spin
1:	pause
	jmp 1b
END spin

/* sleep(20 ms), exit(7) */
PROG sleepy
	mov $20, %edi
	SYS SYS_sleep
	EXPECT 0, 1
	EXIT 7
END sleepy

/* Every register but rax, rcx and r11 survives a system call (the ABI):
 * known values in, each compared after a getpid and a sysretq. */
PROG regs
	mov $0x1111, %rbx
	mov $0x2222, %rdx
	mov $0x3333, %rsi
	mov $0x4444, %rdi
	mov $0x5555, %rbp
	mov $0x8888, %r8
	mov $0x9999, %r9
	mov $0xaaaa, %r10
	mov $0xcccc, %r12
	mov $0xdddd, %r13
	mov $0xeeee, %r14
	mov $0xffff, %r15
	mov %rsp, %rax
	push %rax                 /* rsp, to compare */
	SYS SYS_getpid
	pop %rax
	cmp %rsp, %rax
	jne 1f
	cmp $0x1111, %rbx ; jne 1f
	cmp $0x2222, %rdx ; jne 1f
	cmp $0x3333, %rsi ; jne 1f
	cmp $0x4444, %rdi ; jne 1f
	cmp $0x5555, %rbp ; jne 1f
	cmp $0x8888, %r8 ; jne 1f
	cmp $0x9999, %r9 ; jne 1f
	cmp $0xaaaa, %r10 ; jne 1f
	cmp $0xcccc, %r12 ; jne 1f
	cmp $0xdddd, %r13 ; jne 1f
	cmp $0xeeee, %r14 ; jne 1f
	cmp $0xffff, %r15 ; jne 1f
	EXIT 0
1:	EXIT 1
END regs

/* The calls' answers to good and bad arguments; exit(k) at the first
 * wrong one, 0 when all were right. */
PROG check
	SYS SYS_getpid
	cmp $0, %rax
	jg 1f
	EXIT 1
1:	mov $999, %eax             /* unknown number */
	syscall
	EXPECT -SYS_ENOSYS, 2
	xor %edi, %edi             /* write(NULL, 5) */
	mov $5, %esi
	SYS SYS_write
	EXPECT -SYS_EFAULT, 3
	movabs $KERNEL_TEXT, %rdi   /* write(kernel text, 4) */
	mov $4, %esi
	SYS SYS_write
	EXPECT -SYS_EFAULT, 4
	mov %rsp, %rdi             /* write(stack, SYS_WRITE_MAX + 1) */
	mov $(SYS_WRITE_MAX + 1), %esi
	SYS SYS_write
	EXPECT -SYS_EINVAL, 5
	movabs $(USER_TOP - 16), %rdi  /* a range running past USER_TOP */
	mov $0x20, %esi
	SYS SYS_write
	EXPECT -SYS_EFAULT, 6
	mov $-1, %rdi              /* length overflowing the address */
	mov $-1, %rsi
	SYS SYS_write
	EXPECT -SYS_EINVAL, 7
	xor %edi, %edi             /* spawn(NULL) */
	SYS SYS_spawn
	EXPECT -SYS_EFAULT, 8
	lea 2f(%rip), %rdi         /* spawn("no such program") */
	SYS SYS_spawn
	EXPECT -SYS_ENOENT, 9
	mov $12345, %edi           /* wait(not a child) */
	SYS SYS_wait
	EXPECT -SYS_ECHILD, 10
	SYS SYS_yield
	EXPECT 0, 11
	mov $1, %edi
	SYS SYS_sleep
	EXPECT 0, 12
	xor %edi, %edi             /* mmap(0) */
	SYS SYS_mmap
	EXPECT -SYS_EINVAL, 13
	mov $8192, %edi            /* mmap(8 KiB): demand-zero, RW */
	SYS SYS_mmap
	movabs $USER_MMAP_BASE, %rcx
	cmp %rcx, %rax
	jae 1f
	EXIT 14
1:	mov %rax, %rbx
	cmpq $0, (%rbx)            /* zero, on the first touch */
	je 1f
	EXIT 15
1:	movq $0x1234, 4096(%rbx)
	cmpq $0x1234, 4096(%rbx)
	je 1f
	EXIT 16
1:	lea 8(%rbx), %rdi          /* an empty write */
	mov $0, %esi
	SYS SYS_write
	EXPECT 0, 17
	lea 1(%rbx), %rdi          /* munmap(unaligned) */
	mov $4096, %esi
	SYS SYS_munmap
	EXPECT -SYS_EINVAL, 18
	mov %rbx, %rdi             /* munmap the lot */
	mov $8192, %esi
	SYS SYS_munmap
	EXPECT 0, 19
	mov $4096, %edi            /* a fresh page the kernel touches first: */
	SYS SYS_mmap               /* spawn's name copy faults it in (zero: */
	mov %rax, %rdi             /* an empty name) */
	SYS SYS_spawn
	EXPECT -SYS_EINVAL, 20
	mov $-1, %rdi              /* mmap(huge) */
	SYS SYS_mmap
	EXPECT -SYS_ENOMEM, 21
	EXIT 0
2:	.asciz "no such program"
END check

/* Jumps to the last two bytes of the lower half, where the test put a
 * syscall: its return address, USER_TOP, is not canonical. */
PROG edge
	movabs $(USER_TOP - 2), %rax
	jmp *%rax
END edge

/* Faults: each should be killed; exit(99) if it goes on. */
PROG fault_null
	mov 0, %rax
	EXIT 99
END fault_null

PROG fault_kread
	movabs $KERNEL_TEXT, %rbx
	mov (%rbx), %rax
	EXIT 99
END fault_kread

PROG fault_kexec
	movabs $KERNEL_TEXT, %rbx
	call *%rbx
	EXIT 99
END fault_kexec

PROG fault_nx                     /* ret written to the stack, called */
	lea -64(%rsp), %rbx
	movb $OP_RET, (%rbx)
	call *%rbx
	EXIT 99
END fault_nx

PROG fault_write_text             /* its own text is read-only */
	lea kt_prog_fault_write_text(%rip), %rbx
	movb $0x90, (%rbx)
	EXIT 99
END fault_write_text

PROG fault_ud2
	ud2
	EXIT 99
END fault_ud2

PROG fault_hlt
	hlt
	EXIT 99
END fault_hlt

PROG fault_cli
	cli
	EXIT 99
END fault_cli

PROG fault_int80
	int $0x80
	EXIT 99
END fault_int80

PROG fault_div0
	xor %ecx, %ecx
	mov $1, %eax
	xor %edx, %edx
	div %ecx
	EXIT 99
END fault_div0

PROG fault_stack_overflow          /* below the 64 KiB stack: unmapped */
	sub $(USER_STACK_SIZE + 4096), %rsp
	movq $1, (%rsp)
	EXIT 99
END fault_stack_overflow

	.section .note.GNU-stack, "", @progbits
