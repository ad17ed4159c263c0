/*
 * crt0.S - where a built-in program starts: its first byte (user.ld puts
 * .text.start first, at USER_TEXT_BASE). The kernel enters here with a
 * valid, 16-byte aligned stack and a zeroed bss (part of the image), so
 * nothing needs setting up: call main() and hand its return value to
 * SYS_exit.
 */
#include <abi/syscall.h>

	.section .text.start, "ax"
	.globl _start
	.type _start, @function
_start:
	call main
	mov %eax, %edi			/* main's return: the exit status */
	mov $SYS_exit, %eax
	syscall
	ud2				/* SYS_exit returned: let the kernel kill us */
	.size _start, . - _start

	.section .note.GNU-stack, "", @progbits
