/*
 * x86_bits.h - named bits of the x86-64 architecture.
 *
 * Every architectural magic number of pvk lives here, once, with its meaning
 * (or in include/abi/x86.h, which this includes, where pvhv needs it too).
 * The header is shared by assembler (.S, with __ASSEMBLER__ defined by
 * gcc's preprocessor) and C: constants are written through _AC() so that C
 * sees an unsigned long (1UL << 63 is fine) and the assembler, which has no
 * integer suffixes, sees the bare number. Nothing here emits code or data.
 *
 * Sources: Intel SDM vol. 3A (ch. 2 control registers, ch. 3 descriptors,
 * ch. 4 paging), AMD APM vol. 2.
 */
#ifndef ASM_X86_BITS_H
#define ASM_X86_BITS_H

/* The architecture's bits a hypervisor needs too (CR0, CR4, EFER, CPUID
 * leaf 1, page tables, _AC and X86_BIT) are shared with pvhv: */
#include <abi/x86.h>
#include <abi/pc_ports.h>   /* PORT_DEBUG_EXIT, the UART */

/* ---- EFLAGS ---------------------------------------------------------- */
#define X86_EFLAGS_TF X86_BIT(8)    /* trap after each instruction (#DB) */
#define X86_EFLAGS_IF X86_BIT(9)    /* interrupts enabled */
#define X86_EFLAGS_DF X86_BIT(10)   /* string instructions go downwards */

/* ---- CPUID ----------------------------------------------------------- */
#define CPUID_EXT_MAX      _AC(0x80000000, U)  /* EAX = highest extended leaf */
#define CPUID_EXT_FEATURES _AC(0x80000001, U)  /* EDX: bits below */
#define CPUID_EXT_EDX_NX   X86_BIT(20)         /* execute disable (EFER.NXE) */
#define CPUID_EXT_EDX_LM   X86_BIT(29)         /* long mode (x86-64) */

/* Flags of an entry that points at the next-level table. */
#define PTE_TABLE    (PTE_PRESENT | PTE_WRITE)
/* Flags of a 2 MiB leaf mapping ordinary kernel memory, read-write. */
#define PTE_LARGE_RW (PTE_PRESENT | PTE_WRITE | PTE_PS)

/* ---- Segment descriptors (SDM 3A 3.4.5), as 64-bit masks ------------- */
#define DESC_ACCESSED X86_BIT(40)  /* preset so the CPU never writes the GDT */
#define DESC_RW       X86_BIT(41)  /* code: readable; data: writable */
#define DESC_CODE     X86_BIT(43)  /* executable (code) segment */
#define DESC_S        X86_BIT(44)  /* code/data, not a system descriptor */
#define DESC_DPL3     (X86_BIT(45) | X86_BIT(46))
#define DESC_P        X86_BIT(47)  /* present */
#define DESC_L        X86_BIT(53)  /* 64-bit code segment */
#define DESC_DB       X86_BIT(54)  /* 32-bit default operand size (must be 0 with L) */
#define DESC_G        X86_BIT(55)  /* limit counts 4 KiB units */
/* Limit 0xfffff (bits 0-15 and 48-51): with DESC_G, the whole 4 GiB. */
#define DESC_LIMIT_MAX (_AC(0xffff, UL) | (_AC(0xf, UL) << 48))

/* Flat 64-bit ring-0 code and flat ring-0 data (base 0, 4 GiB). */
#define DESC_KERNEL_CODE64 (DESC_P | DESC_S | DESC_CODE | DESC_RW | DESC_ACCESSED | \
			    DESC_L | DESC_G | DESC_LIMIT_MAX)
#define DESC_KERNEL_DATA   (DESC_P | DESC_S | DESC_RW | DESC_ACCESSED | \
			    DESC_DB | DESC_G | DESC_LIMIT_MAX)

/* A selector: GDT index, table indicator 0 (GDT), requested privilege 0. */
#define GDT_SELECTOR(index) ((index) * 8)

/* ---- More EFLAGS ------------------------------------------------------ */
#define X86_EFLAGS_FIXED X86_BIT(1)   /* always reads as 1 */
#define X86_EFLAGS_AC    X86_BIT(18)  /* alignment check; with SMAP: ring 0 may touch user pages */
#define X86_EFLAGS_NT    X86_BIT(14)  /* nested task */

/* ---- SYSCALL/SYSRET (SDM 2B SYSCALL, SYSRET; APM 2 6.1.1) ------------- */
#define MSR_STAR           _AC(0xc0000081, U)  /* selectors: see STAR_* */
#define MSR_LSTAR          _AC(0xc0000082, U)  /* 64-bit syscall entry rip */
#define MSR_SYSCALL_MASK   _AC(0xc0000084, U)  /* rflags bits syscall clears */
#define MSR_KERNEL_GS_BASE _AC(0xc0000102, U)  /* what swapgs exchanges GS base with */
/* STAR[47:32]: syscall's CS (SS = it + 8); STAR[63:48]: sysret's base,
 * 64-bit CS = it + 16, SS = it + 8 (RPL forced to 3). */
#define STAR_SYSCALL_CS_SHIFT 32
#define STAR_SYSRET_BASE_SHIFT 48

/* ---- CR4 bits of user mode -------------------------------------------- */
#define CR4_PCIDE X86_BIT(17)   /* process-context identifiers in cr3[11:0] */
#define CR4_SMEP  X86_BIT(20)   /* ring 0 may not execute user pages */
#define CR4_SMAP  X86_BIT(21)   /* ring 0 may not touch user pages unless EFLAGS.AC */

/* ---- CPUID leaf 7 (structured extended features), subleaf 0 ----------- */
#define CPUID_LEAF_EXT_FEATURES 7
#define CPUID_7_EBX_SMEP   X86_BIT(7)
#define CPUID_7_EBX_SMAP   X86_BIT(20)
#define CPUID_1_ECX_PCID   X86_BIT(17)

/* ---- Privilege levels --------------------------------------------------- */
#define RPL_USER   3            /* a selector's requested privilege, ring 3 */
#define SEL_RPL_MASK 3

/* ---- MSRs -------------------------------------------------------------- */
#define MSR_APIC_BASE       _AC(0x1b, U)
#define APIC_BASE_BSP       X86_BIT(8)
#define APIC_BASE_X2APIC    X86_BIT(10)
#define APIC_BASE_ENABLE    X86_BIT(11)
#define APIC_BASE_ADDR_MASK _AC(0xfffff000, U)
#define MSR_X2APIC_BASE     _AC(0x800, U)   /* x2APIC register r: 0x800 + r/16 */

/* ---- Page-fault error code (SDM 3A 4.7) --------------------------------- */
#define PF_PRESENT X86_BIT(0)   /* protection violation, not a missing page */
#define PF_WRITE   X86_BIT(1)
#define PF_USER    X86_BIT(2)
#define PF_INSTR   X86_BIT(4)   /* an instruction fetch */

/* ---- Exception vectors -------------------------------------------------- */
#define X86_TRAP_DE  0
#define X86_TRAP_DB  1
#define X86_TRAP_NMI 2
#define X86_TRAP_BP  3
#define X86_TRAP_UD  6
#define X86_TRAP_DF  8
#define X86_TRAP_GP  13
#define X86_TRAP_PF  14
#define X86_TRAP_MC  18
#define X86_NR_EXCEPTIONS 32

/* ---- Local APIC registers (xAPIC offsets; SDM 3A 11.4.1) ---------------- */
#define APIC_ID             0x020
#define APIC_EOI            0x0b0
#define APIC_SVR            0x0f0
#define APIC_SVR_ENABLE     X86_BIT(8)
#define APIC_ICR            0x300
#define APIC_ICR2           0x310
#define APIC_LVT_TIMER      0x320
#define APIC_LVT_MASKED     X86_BIT(16)
#define APIC_TIMER_PERIODIC X86_BIT(17)
#define APIC_TIMER_INIT     0x380
#define APIC_TIMER_CUR      0x390
#define APIC_TIMER_DIV      0x3e0
#define APIC_TIMER_DIV_16   0x3

/* ---- Legacy I/O ports --------------------------------------------------- */
#define PORT_PIC1_DATA  0x21
#define PORT_PIC2_DATA  0xa1
#define PIC_MASK_ALL    0xff
#define PORT_IO_DELAY   0x80

/* ---- IDT gates (SDM 3A 6.14.1): type and present bits of the attr byte -- */
#define GATE_TYPE_INTERRUPT 0xe
#define GATE_PRESENT        0x80

#endif /* ASM_X86_BITS_H */
