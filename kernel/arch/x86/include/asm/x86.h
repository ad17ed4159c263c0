/*
 * x86.h - every privileged instruction the kernel executes natively, as a
 * tiny inline function (as xv6's x86.h does).
 *
 * Only the platforms (kernel/pv/), the arch drivers that are native by
 * nature (the 16550 UART, the local APIC, the PIT and the TSC) and boot
 * code include this file; generic code reaches these instructions through
 * pv_ops (paravirt.h). tests/static/check-sensitive.sh keeps it that way.
 */
#ifndef ASM_X86_H
#define ASM_X86_H

#include <types.h>
#include <asm/desc.h>
#include <asm/processor.h>   /* cpu_relax, for the code that has it from here */

static inline void native_cpuid(u32 leaf, u32 sub, u32 *a, u32 *b, u32 *c,
				u32 *d)
{
	__asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d)
			 : "a"(leaf), "c"(sub));
}

static inline u64 native_rdmsr(u32 msr)
{
	u32 lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((u64)hi << 32) | lo;
}

static inline void native_wrmsr(u32 msr, u64 v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((u32)v), "d"((u32)(v >> 32))
			 : "memory");
}

static inline unsigned long native_read_cr4(void)
{
	unsigned long v;
	__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

static inline void native_write_cr4(unsigned long v)
{
	__asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory");
}

static inline unsigned long native_read_cr3_inline(void)
{
	unsigned long v;
	__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}

static inline void native_write_cr3_inline(unsigned long v)
{
	__asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}

static inline void native_lidt(const struct desc_ptr *d)
{
	__asm__ volatile("lidt %0" : : "m"(*d));
}

static inline void native_lgdt(const struct desc_ptr *d)
{
	__asm__ volatile("lgdt %0" : : "m"(*d));
}

static inline void native_ltr(u16 sel)
{
	__asm__ volatile("ltr %0" : : "r"(sel));
}

static inline void outb(u16 port, u8 v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(u16 port, u32 v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline u8 inb(u16 port)
{
	u8 v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline u32 inl(u16 port)
{
	u32 v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void native_cli_hlt(void)
{
	__asm__ volatile("cli; hlt" : : : "memory");
}

/* rdtsc is not privileged, but it is what pv time ops replace. */
static inline u64 native_rdtsc(void)
{
	u32 lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((u64)hi << 32) | lo;
}

/*
 * The hot ops' instructions, one each, as the native templates hold them
 * (pvops/native.h): what the PARAVIRT=0 build's paravirt.h
 * (kernel/arch/x86/nopv/include/) compiles every op to, and what bench=ops
 * compares the patched sites with.
 */
static inline unsigned long native_save_fl(void)
{
	unsigned long f;

	__asm__ volatile("pushf; pop %0" : "=rm"(f) : : "memory");
	return f;
}

static inline void native_restore_fl(unsigned long f)
{
	__asm__ volatile("push %0; popf" : : "g"(f) : "memory", "cc");
}

static inline void native_irq_disable(void)
{
	__asm__ volatile("cli" : : : "memory");
}

static inline void native_irq_enable(void)
{
	__asm__ volatile("sti" : : : "memory");
}

static inline void native_safe_halt(void)
{
	__asm__ volatile("sti; hlt" : : : "memory");
}

static inline void native_halt(void)
{
	__asm__ volatile("hlt" : : : "memory");
}

static inline unsigned long native_read_cr0(void)
{
	unsigned long v;
	__asm__ volatile("mov %%cr0, %0" : "=r"(v));
	return v;
}

static inline void native_write_cr0(unsigned long v)
{
	__asm__ volatile("mov %0, %%cr0" : : "r"(v) : "memory");
}

static inline unsigned long native_read_cr2(void)
{
	unsigned long v;
	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

static inline void native_wbinvd(void)
{
	__asm__ volatile("wbinvd" : : : "memory");
}

/* An OUT to the POST port: the PC's traditional I/O delay. */
static inline void native_io_delay(void)
{
	__asm__ volatile("outb %%al, $0x80" : : : "memory");
}

/* SMAP's pair: let ring 0 touch user pages (EFLAGS.AC), and stop it. */
static inline void native_stac(void)
{
	__asm__ volatile("stac" : : : "memory", "cc");
}

static inline void native_clac(void)
{
	__asm__ volatile("clac" : : : "memory", "cc");
}

static inline void native_invlpg(unsigned long va)
{
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

/* native_rdtsc_ordered - the TSC once every earlier instruction has
 * completed (lfence first, as Linux's rdtsc_ordered on both vendors),
 * for timing a few instructions. */
static inline u64 native_rdtsc_ordered(void)
{
	u32 lo, hi;

	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
	return ((u64)hi << 32) | lo;
}

#endif /* ASM_X86_H */
