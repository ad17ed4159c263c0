/*
 * head.S - the first instructions of pvk: from a boot loader's 32-bit
 * protected mode to C code running in 64-bit long mode in the higher half.
 *
 * The story, in order:
 *
 *  1. A loader finds us through one of two advertisements, both in this
 *     file and both near the start of the ELF:
 *       - a Multiboot2 header (GRUB): section .multiboot2, first 32 KiB;
 *       - a PVH ELF note (QEMU -kernel, Firecracker, cloud-hypervisor, Xen,
 *         pvhv): note type XEN_ELFNOTE_PHYS32_ENTRY in a PT_NOTE segment.
 *     There is deliberately no Multiboot v1 header: QEMU -kernel prefers
 *     Multiboot v1 over the PVH note and we want PVH there.
 *  2. Either loader copies our PT_LOAD segments to their *physical* (load)
 *     addresses, from 1 MiB up, and jumps to our entry in 32-bit protected
 *     mode with paging off, interrupts off, flat 4 GiB segments and no stack:
 *       PVH:        pvh_entry, EBX = physical address of hvm_start_info;
 *       Multiboot2: mb2_entry, EAX = MB2_BOOTLOADER_MAGIC, EBX = info.
 *  3. startup_32 (common): load our GDT and an empty IDT, zero .bss, record
 *     the protocol and info pointer, take a stack, check the CPU has long
 *     mode, then turn it on: CR4.PAE, CR3 = early page tables, EFER.LME
 *     (and NXE), CR0.PG. The CPU is now in long mode, but still running
 *     32-bit "compatibility mode" code.
 *  4. A far jump through the 64-bit code selector enters 64-bit mode at
 *     startup_64, still at a low (identity-mapped) address.
 *  5. An absolute jump moves to startup_64_high, linked at the higher half
 *     (KERNEL_VMA + physical address), where the rest of the kernel lives:
 *     reload GDT/segments/stack through higher-half addresses and call
 *     boot_main(proto, info_phys).
 *
 * Addresses. The code of steps 1-4 is in section .boot, linked at its
 * physical address (VMA = LMA), because it runs before paging exists.
 * Everything else is linked at KERNEL_VMA + physical address; before
 * paging, 32-bit code reaches those symbols through PA(sym).
 *
 * The early page tables are not built by a loop: they are data, computed
 * by the assembler (.rept below) and loaded with the kernel. That costs
 * 16 KiB of file and zero instructions, which matters under this project's
 * /dev/kvm, where every ring-0 instruction is emulated (~0.5 us each).
 */
#include "boot.h"

/* Physical address of a symbol linked in the higher half. */
#define PA(sym) ((sym) - KERNEL_VMA)

/* ------------------------------------------------------------------------
 * Step 1a: the Multiboot2 header. 8-byte aligned, in the first 32 KiB of
 * the file (kernel.ld places .multiboot2 first). magic + architecture +
 * header_length + checksum must sum to 0 mod 2^32. Tags follow, each
 * 8-byte aligned: an entry-address tag (jump to mb2_entry, a physical
 * address, whatever e_entry says) and the end tag.
 * ---------------------------------------------------------------------- */
	.section .multiboot2, "a"
	.balign 8
mb2_header:
	.long	MB2_HEADER_MAGIC
	.long	MB2_ARCH_I386
	.long	mb2_header_end - mb2_header
	.long	(1 << 32) - (MB2_HEADER_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))

	.balign 8
	.short	MB2_HEADER_TAG_ENTRY	/* type */
	.short	0			/* flags: required */
	.long	12			/* size */
	.long	mb2_entry		/* entry_addr */

	.balign 8
	.short	MB2_HEADER_TAG_END
	.short	0
	.long	8
mb2_header_end:

/* ------------------------------------------------------------------------
 * Step 1b: the PVH ELF note (Xen's docs/misc/pvh.pandoc). kernel.ld puts
 * this section in a PT_NOTE segment. An ELF note is namesz, descsz, type,
 * then the name and the descriptor, each padded to 4 bytes. The payload is
 * the 32-bit physical entry; it is 8 bytes wide (like Linux on x86-64)
 * because QEMU reads a full 64-bit word there.
 * ---------------------------------------------------------------------- */
	.section .note.Xen, "a", @note
	.balign 4
	.long	2f - 1f			/* namesz, including the NUL */
	.long	4f - 3f			/* descsz */
	.long	XEN_ELFNOTE_PHYS32_ENTRY
1:	.asciz	"Xen"
2:	.balign 4
3:	.quad	pvh_entry
4:	.balign 4

/* ------------------------------------------------------------------------
 * Steps 2-4: 32-bit entry code, linked and run at physical addresses.
 * ---------------------------------------------------------------------- */
	.section .boot.text, "ax"
	.code32

/*
 * pvh_entry - PVH 32-bit entry point (named by the ELF note).
 * In: 32-bit protected mode, paging off, CR4 = 0, flat segments, IF = 0,
 * EBX = physical address of struct hvm_start_info. No stack. Never returns.
 */
	.globl	pvh_entry
	.type	pvh_entry, @function
pvh_entry:
	cli
	cld
	movl	$BOOT_PROTO_PVH, %esi	/* ESI = protocol, EDI = info, until stored */
	movl	%ebx, %edi
	jmp	startup_32
	.size	pvh_entry, . - pvh_entry

/*
 * mb2_entry - Multiboot2 32-bit entry point (named by the entry tag and
 * by the ELF entry). In: as PVH, but EAX = MB2_BOOTLOADER_MAGIC and
 * EBX = physical address of the Multiboot2 information; GDTR and IDTR may
 * be stale (GRUB's), so no segment register is loaded before our GDT.
 * Never returns; halts if the magic is wrong.
 */
	.globl	mb2_entry
	.type	mb2_entry, @function
mb2_entry:
	cli
	cld
	cmpl	$MB2_BOOTLOADER_MAGIC, %eax
	jne	halt32
	movl	$BOOT_PROTO_MB2, %esi
	movl	%ebx, %edi
	/* fall through */
	.size	mb2_entry, . - mb2_entry

startup_32:
	/*
	 * Our own descriptor tables first. The GDT has a 64-bit code segment
	 * and a flat data segment; the data one works in 32-bit mode too, so
	 * reload the data segment registers now. CS keeps the loader's 32-bit
	 * segment until the far jump below. The IDT is empty (limit 0): any
	 * exception from here until the kernel installs a real IDT becomes a
	 * triple fault, i.e. a reset (QEMU -no-reboot: exit), instead of a
	 * jump through whatever table the loader left behind.
	 */
	lgdt	boot_gdt_desc32
	lidt	boot_idt_empty
	movl	$BOOT_DS, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%eax, %fs
	movl	%eax, %gs

	/*
	 * C expects .bss to be zero. ELF loaders should clear memsz beyond
	 * filesz, but PVH does not promise it, so clear it here: one
	 * "rep stosl" (a single instruction to decode, even for an emulator),
	 * never a byte loop. kernel.ld keeps __bss_start/__bss_stop 8-aligned.
	 */
	movl	%edi, %ebp		/* info pointer: EDI is stosl's */
	movl	$PA(__bss_start), %edi
	movl	$PA(__bss_stop), %ecx
	subl	%edi, %ecx
	shrl	$2, %ecx
	xorl	%eax, %eax
	rep stosl

	/* Record how we were booted (.data; the info word's upper half stays 0). */
	movl	%esi, PA(boot_proto)
	movl	%ebp, PA(boot_info_phys)

	/* A stack (at its physical address for now; .bss, so now zeroed). */
	movl	$PA(boot_stack_top), %esp

	/*
	 * Does this CPU do long mode? CPUID 0x80000001 EDX.LM. Remember
	 * EDX.NX too: EFER.NXE may be set only if the CPU has NX.
	 */
	movl	$CPUID_EXT_MAX, %eax
	cpuid
	cmpl	$CPUID_EXT_FEATURES, %eax
	jb	halt32
	movl	$CPUID_EXT_FEATURES, %eax
	cpuid
	testl	$CPUID_EXT_EDX_LM, %edx
	jz	halt32
	movl	%edx, %ebx		/* ext. features, for NX below */

	/* Long mode, step a: PAE paging format (8-byte entries). */
	movl	$CR4_PAE, %eax
	movl	%eax, %cr4

	/* Step b: the 4-level tables (below, in .data) at their physical address. */
	movl	$PA(boot_pml4), %eax
	movl	%eax, %cr3

	/* Step c: EFER.LME ("long mode when paging turns on") and NXE. */
	EFER_LONG_MODE

	/*
	 * Step d: paging on. With EFER.LME set this activates long mode
	 * (EFER.LMA = 1). The next instruction is fetched through the page
	 * tables: it is identity-mapped, so it is the next instruction.
	 */
	movl	$BOOT_CR0, %eax
	movl	%eax, %cr0

	/* Step e: load CS with the 64-bit (L = 1) descriptor: 64-bit mode. */
	ljmp	$BOOT_CS, $startup_64

/* Something is wrong (bad Multiboot2 magic, no long mode): stop here. */
halt32:
	cli
	hlt
	jmp	halt32

	.code64
startup_64:
	/*
	 * 64-bit mode, at a low address. Jump to the higher-half address of
	 * the next instruction: an absolute 64-bit jump, since relative
	 * branches would stay low.
	 */
	movabsq	$startup_64_high, %rax
	jmp	*%rax

	.section .boot.rodata, "a"
	/* lgdt operand for 32-bit mode: 16-bit limit, 32-bit physical base. */
	.balign 8
boot_gdt_desc32:
	.short	boot_gdt_end - boot_gdt - 1
	.long	PA(boot_gdt)
	/* lidt operand: base 0, limit 0 - no vectors at all. */
	.balign 8
boot_idt_empty:
	.short	0
	.long	0

/* ------------------------------------------------------------------------
 * Step 5: higher half.
 * ---------------------------------------------------------------------- */
	.text
	.code64
startup_64_high:
	/*
	 * Reload GDTR with the GDT's higher-half address, so nothing depends
	 * on the identity map any more (the kernel may remove it later), and
	 * the segments from it. CS already holds BOOT_CS.
	 */
	lgdt	boot_gdt_desc64(%rip)
	movl	$BOOT_DS, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%eax, %fs
	movl	%eax, %gs

	/* The same stack, through its higher-half address; 16-byte aligned. */
	movq	$boot_stack_top, %rsp
	xorl	%ebp, %ebp		/* end of the frame-pointer chain */

	/* boot_main(proto, info_phys): SysV ABI, args in EDI and RSI. */
	movl	boot_proto(%rip), %edi
	movq	boot_info_phys(%rip), %rsi
	call	boot_main

	/* boot_main must not return; if it does, stop this CPU for good. */
1:	cli
	hlt
	jmp	1b

	.section .rodata
	/* lgdt operand for 64-bit mode: 16-bit limit, 64-bit virtual base. */
	.balign 8
boot_gdt_desc64:
	.short	boot_gdt_end - boot_gdt - 1
	.quad	boot_gdt

/* ------------------------------------------------------------------------
 * Data: GDT, boot record, early page tables, stack.
 * ---------------------------------------------------------------------- */
	.data
	/*
	 * The early GDT: null, 64-bit ring-0 code (BOOT_CS), flat data
	 * (BOOT_DS). Accessed bits are preset, so the CPU never writes here.
	 */
	.balign 16
boot_gdt:
	.quad	0
	.quad	DESC_KERNEL_CODE64
	.quad	DESC_KERNEL_DATA
boot_gdt_end:

	/* See boot.h. Written once by startup_32, before paging. */
	.balign 8
	.globl	boot_proto, boot_info_phys
boot_proto:
	.long	0
	.long	0
boot_info_phys:
	.quad	0

	/*
	 * Early page tables: 4 pages, one PML4, two PDPTs, one PD.
	 *
	 *   PML4[0]   -> boot_pdpt_ident[0]   -> boot_pd   VA 0..1 GiB
	 *   PML4[511] -> boot_pdpt_kernel[510] -> boot_pd  VA KERNEL_VMA..+1 GiB
	 *
	 * boot_pd maps physical 0..1 GiB with 512 2-MiB pages, so the two
	 * virtual ranges share it and show the same memory. Entries hold
	 * physical addresses, hence PA(). All are writable and executable
	 * for now.
	 */
	.section .data..page_aligned, "aw"
	.balign PAGE_SIZE
	.globl	boot_pml4
boot_pml4:
	.quad	PA(boot_pdpt_ident) + PTE_TABLE
	.fill	PGD_INDEX(KERNEL_VMA) - 1, 8, 0
	.quad	PA(boot_pdpt_kernel) + PTE_TABLE
	.fill	PTRS_PER_TABLE - PGD_INDEX(KERNEL_VMA) - 1, 8, 0

boot_pdpt_ident:
	.quad	PA(boot_pd) + PTE_TABLE
	.fill	PTRS_PER_TABLE - 1, 8, 0

boot_pdpt_kernel:
	.fill	PUD_INDEX(KERNEL_VMA), 8, 0
	.quad	PA(boot_pd) + PTE_TABLE
	.fill	PTRS_PER_TABLE - PUD_INDEX(KERNEL_VMA) - 1, 8, 0

boot_pd:
	.set	pd_index, 0
	.rept	PTRS_PER_TABLE
	.quad	(pd_index << PMD_SHIFT) + PTE_LARGE_RW
	.set	pd_index, pd_index + 1
	.endr

	/* The boot stack (zeroed with the rest of .bss by startup_32). */
	.section .bss..page_aligned, "aw", @nobits
	.balign PAGE_SIZE
boot_stack:
	.skip	BOOT_STACK_SIZE
	.globl	boot_stack_top
boot_stack_top:

	/* For kernel.ld's check that boot.h and kernel.ld agree on KERNEL_VMA. */
	.globl	boot_kernel_vma
	.set	boot_kernel_vma, KERNEL_VMA

	.section .note.GNU-stack, "", @progbits
