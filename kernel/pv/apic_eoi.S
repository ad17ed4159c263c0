/*
 * apic_eoi.S - the native platform's EOI for each APIC mode, twice: as the bytes a
 * patched apic.eoi site holds (the native platform hands them to the
 * engine as its backend template, pv/native.c) and as the op the slot
 * holds (the callable twin, for pv=nopatch and for KVM's PV EOI, which
 * falls back to it).
 *
 *   x2APIC  mov $0x80b,%ecx; xor %eax,%eax; xor %edx,%edx; wrmsr
 *           (WRMSR of 0 to the EOI register, MSR 0x800 + 0xb0/16):
 *           clobbers rax rcx rdx, which an apic.eoi site allows
 *           (PVOP_VCALLEE_MSR0). The twin is callee-save: it keeps rcx
 *           and rdx, so it is a valid struct pv_callee_save.
 *   xAPIC   movl $0, FIXMAP_ADDR(FIX_APIC) + 0xb0: a 32-bit store to the
 *           EOI register of the page apic_timer_init maps there, by its
 *           absolute (sign-extended disp32) address; clobbers nothing.
 *
 * Both are 11 bytes: APIC_EOI_SITE_LEN (paravirt.h) is that, so a patched
 * site is the instructions and no NOP. The struct pv_tmpl of each is in
 * native.c. (The APIC driver's own EOI, for PARAVIRT=0 and before the
 * platform runs, is C in arch/x86/apic.c.)
 */
#include <asm/layout.h>
#include <asm/x86_bits.h>

#define X2APIC_EOI_MSR (MSR_X2APIC_BASE + (APIC_EOI >> 4))
#define XAPIC_EOI_ADDR (FIXMAP_ADDR(FIX_APIC) + APIC_EOI)

.macro X2APIC_EOI
	mov $X2APIC_EOI_MSR, %ecx
	xor %eax, %eax
	xor %edx, %edx
	wrmsr
.endm

.macro XAPIC_EOI
	movl $0, XAPIC_EOI_ADDR
.endm

	.section .rodata
	.globl apic_x2apic_eoi_bytes, apic_x2apic_eoi_end
apic_x2apic_eoi_bytes:
	X2APIC_EOI
apic_x2apic_eoi_end:
	.globl apic_xapic_eoi_bytes, apic_xapic_eoi_end
apic_xapic_eoi_bytes:
	XAPIC_EOI
apic_xapic_eoi_end:

	.text
	.globl x2apic_eoi_cs
	.type x2apic_eoi_cs, @function
x2apic_eoi_cs:
	push %rcx
	push %rdx
	X2APIC_EOI
	pop %rdx
	pop %rcx
	ret
	.size x2apic_eoi_cs, . - x2apic_eoi_cs

	.globl xapic_eoi_cs
	.type xapic_eoi_cs, @function
xapic_eoi_cs:
	XAPIC_EOI
	ret
	.size xapic_eoi_cs, . - xapic_eoi_cs

	.section .note.GNU-stack, "", @progbits
