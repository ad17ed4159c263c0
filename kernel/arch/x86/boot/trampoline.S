/*
 * trampoline.S - where an application processor (AP) starts: 16-bit real
 * mode at the page a STARTUP IPI names, to 32-bit protected mode, to
 * 64-bit long mode, to ap_main() in C on its own stack.
 *
 * The real-mode part (trampoline_start .. trampoline_end) is position
 * independent data in .rodata: smp.c copies it to a free page below
 * 1 MiB and adds that page's physical address to each 32-bit field that
 * trampoline_relocs names (the GDT's base and the two far-jump targets).
 * The AP's CS is that page's segment (vector << 8), IP 0.
 *
 *   16-bit  ds = cs; lgdt the trampoline's own GDT; CR0.PE; far jump
 *   32-bit  flat segments; CR4.PAE, CR3 = head.S's early tables (they map
 *           this page at its physical address and the kernel at
 *           KERNEL_VMA); EFER.LME (+NXE); CR0 = BOOT_CR0; far jump
 *   64-bit  jump to ap_start_64 in the higher half, which loads the
 *           kernel's page tables and the stack from smp_ap_boot (smp.h)
 *           and calls ap_main(). Interrupts stay off throughout.
 */
#include "boot.h"

#define PA(sym) ((sym) - KERNEL_VMA)
#define REL(sym) ((sym) - trampoline_start)

#define TR_CS32 GDT_SELECTOR(1)
#define TR_DS   GDT_SELECTOR(2)
#define TR_CS64 GDT_SELECTOR(3)
/* A flat 32-bit ring-0 code segment (D = 1, L = 0). */
#define DESC_KERNEL_CODE32 (DESC_P | DESC_S | DESC_CODE | DESC_RW | DESC_ACCESSED | \
			    DESC_DB | DESC_G | DESC_LIMIT_MAX)

/* smp_ap_boot's fields (struct smp_ap_boot, asm/smp.h checks them). */
#define AP_BOOT_CR3   0
#define AP_BOOT_STACK 8

	.section .rodata
	.balign 16
	.globl	trampoline_start, trampoline_end
	.globl	trampoline_relocs, trampoline_relocs_end
	.code16
trampoline_start:
	cli
	cld
	movw	%cs, %ax
	movw	%ax, %ds
	movzwl	%ax, %ebp
	shll	$4, %ebp		/* EBP = this page's physical address */
	lgdtl	REL(tr_gdt_desc)
	movl	$CR0_PE, %eax
	movl	%eax, %cr0
	ljmpl	*REL(tr_jmp32)

	.code32
tr_32:
	movl	$TR_DS, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%eax, %fs
	movl	%eax, %gs
	movl	$CR4_PAE, %eax
	movl	%eax, %cr4
	movl	$PA(boot_pml4), %eax
	movl	%eax, %cr3
	/* EFER.NXE only where the CPU has NX, as head.S */
	movl	$CPUID_EXT_FEATURES, %eax
	cpuid
	movl	%edx, %ebx
	EFER_LONG_MODE
	movl	$BOOT_CR0, %eax
	movl	%eax, %cr0
	ljmpl	*REL(tr_jmp64)(%ebp)

	.code64
tr_64:
	movabsq	$ap_start_64, %rax
	jmp	*%rax

	.balign 8
tr_gdt:
	.quad	0
	.quad	DESC_KERNEL_CODE32
	.quad	DESC_KERNEL_DATA
	.quad	DESC_KERNEL_CODE64
tr_gdt_end:
tr_gdt_desc:				/* lgdt operand: limit, 32-bit base */
	.short	tr_gdt_end - tr_gdt - 1
tr_gdt_base:
	.long	REL(tr_gdt)		/* relocated */
tr_jmp32:				/* m16:32 far pointers */
	.long	REL(tr_32)		/* relocated */
	.short	TR_CS32
tr_jmp64:
	.long	REL(tr_64)		/* relocated */
	.short	TR_CS64
trampoline_end:

	/* Offsets of the 32-bit fields to add the page's address to. */
	.balign 4
trampoline_relocs:
	.long	REL(tr_gdt_base), REL(tr_jmp32), REL(tr_jmp64)
trampoline_relocs_end:

/*
 * ap_start_64 - the AP in 64-bit mode, in the higher half, still on the
 * early tables. In: interrupts off, no IDT, the trampoline's GDT (whose
 * low address the kernel's tables do not map: no segment is loaded until
 * ap_main has loaded the kernel's). Never returns.
 */
	.text
	.code64
ap_start_64:
	movq	smp_ap_boot + AP_BOOT_CR3(%rip), %rax
	movq	%rax, %cr3
	movq	smp_ap_boot + AP_BOOT_STACK(%rip), %rsp
	xorl	%ebp, %ebp
	call	ap_main
1:	cli
	hlt
	jmp	1b

	.section .note.GNU-stack, "", @progbits
