/*
 * boot.h - what the early boot path (head.S) hands to C, and the constants
 * of the two boot protocols it accepts. Shared by head.S and C.
 *
 * Memory picture once head.S calls boot_main():
 *
 *   virtual                          physical            what
 *   0x0000000000000000..0x3fffffff   0..0x3fffffff       identity map (2 MiB pages)
 *   0xffffffff80000000..0xffffffffbfffffff  0..0x3fffffff  the kernel's map
 *
 * The kernel is linked at KERNEL_VMA + its load address (1 MiB), so its
 * code and data run at 0xffffffff801xxxxx (the top 2 GiB: -mcmodel=kernel
 * lets gcc use sign-extended 32-bit addresses). Both maps are writable and
 * executable for now; the kernel tightens them later.
 */
#ifndef PVK_BOOT_H
#define PVK_BOOT_H

#include <asm/layout.h>
#include <abi/pvh.h>

/* Size of each early map: the first 1 GiB of physical memory. */
#define BOOT_MAP_SIZE DIRECT_MAP_SIZE

/* Which protocol started us: boot_main's first argument. */
#define BOOT_PROTO_PVH 1   /* Xen PVH: info is a struct hvm_start_info */
#define BOOT_PROTO_MB2 2   /* Multiboot2: info is the MBI tag list */


/* Multiboot2 (the Multiboot2 specification, section 3.1) */
#define MB2_HEADER_MAGIC     0xe85250d6  /* in the image's header */
#define MB2_BOOTLOADER_MAGIC 0x36d76289  /* in EAX at entry */
#define MB2_ARCH_I386        0           /* 32-bit protected mode entry */
#define MB2_HEADER_TAG_END   0
#define MB2_HEADER_TAG_ENTRY 3           /* entry_addr: where to jump */

/* Early GDT selectors (head.S builds the table). */
#define BOOT_CS GDT_SELECTOR(1)          /* 64-bit ring-0 code */
#define BOOT_DS GDT_SELECTOR(2)          /* flat ring-0 data */

/* CR0 in long mode (head.S, and the APs' trampoline.S): protected mode
 * and paging, plus the usual companions: MP/ET/NE for sane x87 behaviour,
 * WP so ring 0 respects read-only pages. CD, NW, TS, EM, AM stay clear:
 * caches on, no FPU traps. */
#define BOOT_CR0 (CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG)

#define BOOT_STACK_SIZE (4 * PAGE_SIZE)  /* 16 KiB */

#ifdef __ASSEMBLER__
/*
 * EFER_LONG_MODE: set EFER.LME ("long mode when paging turns on"), and
 * EFER.NXE where the CPU has NX. Expects CPUID 0x80000001's EDX in %ebx;
 * clobbers eax, ecx, edx. The boot CPU (head.S) and every AP
 * (trampoline.S) take this step the same way.
 */
.macro EFER_LONG_MODE
	movl	$MSR_EFER, %ecx
	rdmsr
	orl	$EFER_LME, %eax
	testl	$CPUID_EXT_EDX_NX, %ebx
	jz	.Lno_nx_\@
	orl	$EFER_NXE, %eax
.Lno_nx_\@:
	wrmsr
.endm
#endif

#ifndef __ASSEMBLER__

/*
 * boot_main - the first C code; head.S calls it once on the boot CPU.
 * @proto:     BOOT_PROTO_PVH or BOOT_PROTO_MB2.
 * @info_phys: physical address of the loader's information, as the loader
 *             passed it in EBX (hvm_start_info for PVH, the Multiboot2
 *             information structure for MB2). Not validated beyond the
 *             Multiboot2 EAX magic: for PVH the caller checks the magic.
 * Context: 64-bit mode, running at the higher-half addresses, interrupts
 * off, no IDT (any exception triple-faults), the early GDT loaded, a 16 KiB
 * stack, .bss zeroed, the first 1 GiB mapped at 0 and at KERNEL_VMA.
 * Must not return; if it does, head.S halts the CPU forever.
 */
void boot_main(unsigned proto, unsigned long info_phys);

/*
 * boot_common - the rest of the way to kernel_main, for every entry: this
 * CPU's per-CPU area, the loader's information (checked: bad information
 * powers off with STATUS_BAD_BOOT), then kernel_main. The caller has a
 * console and an IDT: boot_main (head.S's path, ring 0) or a platform's
 * own entry (kernel/pv/pvhv_cpl3.c, CPL 3). Never returns.
 */
void boot_common(unsigned proto, unsigned long info_phys) __attribute__((__noreturn__));

/* The same two values, recorded by head.S for code that runs later. */
extern unsigned int boot_proto;
extern unsigned long boot_info_phys;

/*
 * boot_phys_to_virt - a kernel pointer to physical address @pa.
 * Valid for @pa below BOOT_MAP_SIZE (the early map); NULL otherwise.
 */
static inline void *boot_phys_to_virt(unsigned long pa)
{
	if (pa >= BOOT_MAP_SIZE)
		return (void *)0;
	return (void *)(pa + KERNEL_VMA);
}

#endif /* !__ASSEMBLER__ */

#endif /* PVK_BOOT_H */
