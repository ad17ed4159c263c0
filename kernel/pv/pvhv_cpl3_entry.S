/*
 * pvhv_cpl3_entry.S - the assembly half of pvk at CPL 3 under pvhv
 * (kernel/pv/pvhv_cpl3.c tells the story; abi/pvhv_cpl3.h is the ABI).
 *
 * Here are the image's PVHV note, the 64-bit entry pvhv jumps to, and the
 * ops that must not be C: the virtual interrupt flag (lguest's way: a
 * byte in memory replaces the real IF, which at CPL 3 the kernel cannot
 * change), the return from an event, and the monitor's gates.
 *
 * Each op keeps every register but rax (they are callee-save ops), and
 * none of them leaves CPL 3 unless an event is pending or the op is a
 * gate: cli and sti become one store each.
 */
#include <abi/pvhv_cpl3.h>
#include <asm/layout.h>
#include <asm/x86_bits.h>

/* absolute (sign-extended 32-bit): the same bytes run anywhere, so the
 * patch engine can copy them into a site */
#define VIF_ABS     (pvhv_cpl3_page + PVHV_CPL3_PAGE_VIF)
#define VIF         (pvhv_cpl3_page + PVHV_CPL3_PAGE_VIF)
#define PENDING_ANY (pvhv_cpl3_page + PVHV_CPL3_PAGE_PENDING_ANY)
#define CR2         (pvhv_cpl3_page + PVHV_CPL3_PAGE_CR2)

/* The note: where pvhv --deprivileged starts us, and where we want RAM. */
	.section .note.PVHV, "a", @note
	.balign 4
	.long	2f - 1f			/* namesz, with the NUL */
	.long	4f - 3f			/* descsz: struct pvhv_cpl3_note */
	.long	PVHV_ELFNOTE_CPL3
1:	.asciz	PVHV_ELFNOTE_NAME
2:	.balign 4
3:	.quad	pvhv_cpl3_entry
	.quad	KERNEL_VMA
4:	.balign 4

	.text
/*
 * pvhv_cpl3_entry - pvhv's deprivileged start (abi/pvhv_cpl3.h): 64-bit,
 * CPL 3, all of RAM at KERNEL_VMA, RDI = the start record, no stack.
 * Zero .bss (a loader need not), take the boot stack, and go to C.
 */
	.globl	pvhv_cpl3_entry
	.type	pvhv_cpl3_entry, @function
pvhv_cpl3_entry:
	cld
	mov	%rdi, %rbx
	lea	__bss_start(%rip), %rdi
	lea	__bss_stop(%rip), %rcx
	sub	%rdi, %rcx
	shr	$3, %rcx
	xor	%eax, %eax
	rep stosq
	lea	boot_stack_top(%rip), %rsp
	xor	%ebp, %ebp
	mov	%rbx, %rdi
	call	pvhv_cpl3_start
	ud2				/* pvhv_cpl3_start does not return */
	.size	pvhv_cpl3_entry, . - pvhv_cpl3_entry

/*
 * irq_disable: replaces cli. One store; nothing leaves CPL 3. save_fl:
 * replaces pushf; pop %rax: one load (vif holds IF's own value). Both are
 * also the templates pvhv_cpl3.c hands the patch engine: a site then
 * holds the instruction itself, lguest's way.
 */
	.section .rodata
	.globl	pvhv_cpl3_cli_bytes, pvhv_cpl3_cli_end
	.globl	pvhv_cpl3_pushf_bytes, pvhv_cpl3_pushf_end
pvhv_cpl3_cli_bytes:
	andl	$0, VIF_ABS
pvhv_cpl3_cli_end:
pvhv_cpl3_pushf_bytes:
	movl	VIF_ABS, %eax
pvhv_cpl3_pushf_end:
	.text

	.globl	pvhv_cpl3_irq_disable
pvhv_cpl3_irq_disable:
	andl	$0, VIF_ABS
	ret

	.globl	pvhv_cpl3_save_fl
pvhv_cpl3_save_fl:
	movl	VIF_ABS, %eax
	ret

/* irq_enable: replaces sti. One store, then, only if the monitor held an
 * event back meanwhile, the EVENTS gate delivers it now. */
	.globl	pvhv_cpl3_irq_enable
pvhv_cpl3_irq_enable:
	movl	$PVHV_CPL3_VIF_ON, VIF(%rip)
	cmpb	$0, PENDING_ANY(%rip)
	jne	1f
	ret
1:	int	$PVHV_CPL3_VEC_EVENTS
	ret

/* restore_fl(flags in rdi): replaces push %rdi; popf. */
	.globl	pvhv_cpl3_restore_fl
pvhv_cpl3_restore_fl:
	test	$X86_EFLAGS_IF, %edi
	jz	pvhv_cpl3_irq_disable
	jmp	pvhv_cpl3_irq_enable

/* read_cr2: replaces mov %cr2,%rax (privileged): the monitor put the
 * fault's address in the vCPU page before it delivered the #PF. */
	.globl	pvhv_cpl3_read_cr2
pvhv_cpl3_read_cr2:
	mov	CR2(%rip), %rax
	ret

/*
 * iret: replaces iretq from ring 0. The frame (rip, cs, rflags, rsp, ss)
 * is the one the monitor built, above our return address. Its IF becomes
 * the virtual flag (iretq at CPL 3 cannot change the real one); an event
 * held back meanwhile is delivered first, on top of this frame; then the
 * selectors the frame names (the kernel's ring-0 ones, for entry.S) are
 * put back to the real CPL-3 ones and iretq returns, CPL 3 to CPL 3.
 * Every register is the interrupted context's: touch none.
 */
	.globl	pvhv_cpl3_iret
pvhv_cpl3_iret:
	add	$8, %rsp
	testl	$X86_EFLAGS_IF, 16(%rsp)
	jz	1f
	movl	$PVHV_CPL3_VIF_ON, VIF(%rip)
	cmpb	$0, PENDING_ANY(%rip)
	je	2f
	int	$PVHV_CPL3_VEC_EVENTS
	jmp	2f
1:	movl	$0, VIF(%rip)
2:	movq	$PVHV_CPL3_KERNEL_CS, 8(%rsp)
	movq	$PVHV_CPL3_KERNEL_SS, 32(%rsp)
	iretq

/* safe_halt: replaces sti; hlt. The HALT gate with the flag on: the
 * monitor waits for an event and delivers it; we return after it. */
	.globl	pvhv_cpl3_safe_halt
pvhv_cpl3_safe_halt:
	movl	$PVHV_CPL3_VIF_ON, VIF(%rip)
	int	$PVHV_CPL3_VEC_HALT
	ret

/* halt: replaces hlt with interrupts as they are: with the flag off the
 * monitor returns once an event is pending, without delivering it. */
	.globl	pvhv_cpl3_halt
pvhv_cpl3_halt:
	int	$PVHV_CPL3_VEC_HALT
	ret

/* long pvhv_cpl3_gate_hcall(u32 op): the arguments are in the vCPU page;
 * returns the page's ret. C ABI. */
	.globl	pvhv_cpl3_gate_hcall
pvhv_cpl3_gate_hcall:
	mov	%edi, %eax
	int	$PVHV_CPL3_VEC_HCALL
	ret

/* long pvhv_cpl3_gate_register(u64 frame): 0 or -errno. C ABI. */
	.globl	pvhv_cpl3_gate_register
pvhv_cpl3_gate_register:
	push	%rbx
	mov	%rdi, %rbx
	int	$PVHV_CPL3_VEC_REGISTER
	pop	%rbx
	ret

/* void pvhv_cpl3_gate_flush(u64 va): va 0 flushes the whole TLB. C ABI. */
	.globl	pvhv_cpl3_gate_flush
pvhv_cpl3_gate_flush:
	push	%rbx
	mov	%rdi, %rbx
	int	$PVHV_CPL3_VEC_FLUSH
	pop	%rbx
	ret

	.section .note.GNU-stack, "", @progbits
