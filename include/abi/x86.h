/*
 * abi/x86.h - the x86-64 architecture's bits that both sides need: pvk
 * (through kernel/arch/x86/include/asm/x86_bits.h) runs on them, pvhv
 * (vmm/x86.c) sets a vCPU's entry state with them, builds its CPUID and
 * walks a guest's page tables for the register dump. As Linux's uapi
 * asm/processor-flags.h: defined once, usable from C and assembler.
 *
 * The header is shared by assembler (.S, with __ASSEMBLER__ defined by
 * gcc's preprocessor) and C: constants are written through _AC() so that C
 * sees an unsigned long (1UL << 63 is fine) and the assembler, which has no
 * integer suffixes, sees the bare number. Nothing here emits code or data.
 *
 * Sources: Intel SDM vol. 3A (ch. 2 control registers, ch. 4 paging),
 * vol. 2A (CPUID), AMD APM vol. 2.
 */
#ifndef ABI_X86_H
#define ABI_X86_H

#ifdef __ASSEMBLER__
#define _AC(x, suffix) x
#else
#define _AC(x, suffix) x##suffix
#endif

/* Bit n as an unsigned long (C) or a plain number (assembler). */
#define X86_BIT(n) (_AC(1, UL) << (n))

/* ---- CR0 (SDM 3A 2.5) ----------------------------------------------- */
#define CR0_PE X86_BIT(0)   /* protected mode enable */
#define CR0_MP X86_BIT(1)   /* monitor coprocessor (WAIT honours TS) */
#define CR0_EM X86_BIT(2)   /* emulate x87: trap FPU instructions */
#define CR0_TS X86_BIT(3)   /* task switched: lazy FPU trap */
#define CR0_ET X86_BIT(4)   /* extension type, hard-wired 1 on modern CPUs */
#define CR0_NE X86_BIT(5)   /* native x87 error reporting (#MF, not IRQ13) */
#define CR0_WP X86_BIT(16)  /* ring 0 honours read-only pages */
#define CR0_AM X86_BIT(18)  /* alignment check allowed (with EFLAGS.AC) */
#define CR0_NW X86_BIT(29)  /* not write-through (with CD) */
#define CR0_CD X86_BIT(30)  /* cache disable */
#define CR0_PG X86_BIT(31)  /* paging enable */

/* ---- CR4 (SDM 3A 2.5) ----------------------------------------------- */
#define CR4_PSE        X86_BIT(4)   /* 4 MiB pages in 32-bit paging */
#define CR4_PAE        X86_BIT(5)   /* physical address extension: required for long mode */
#define CR4_PGE        X86_BIT(7)   /* global pages */
#define CR4_OSFXSR     X86_BIT(9)   /* OS supports FXSAVE/FXRSTOR (SSE) */
#define CR4_OSXMMEXCPT X86_BIT(10)  /* OS handles #XM */

/* ---- EFER, the extended feature enable MSR (SDM 3A 2.2.1) ------------ */
#define MSR_EFER  _AC(0xc0000080, U)
#define MSR_GS_BASE _AC(0xc0000101, U)  /* the GS segment base (per-CPU data) */
#define EFER_SCE  X86_BIT(0)   /* SYSCALL/SYSRET enable */
#define EFER_LME  X86_BIT(8)   /* long mode enable (takes effect with CR0.PG) */
#define EFER_LMA  X86_BIT(10)  /* long mode active (read-only, set by the CPU) */
#define EFER_NXE  X86_BIT(11)  /* no-execute bit (PTE_NX) is honoured */

/* ---- Page-table entries, 4-level paging (SDM 3A 4.5) ------------------ */
#define PTE_PRESENT  X86_BIT(0)    /* the entry is valid */
#define PTE_WRITE    X86_BIT(1)    /* writable */
#define PTE_USER     X86_BIT(2)    /* reachable from ring 3 */
#define PTE_PWT      X86_BIT(3)    /* write-through */
#define PTE_PCD      X86_BIT(4)    /* cache disable */
#define PTE_ACCESSED X86_BIT(5)    /* set by the CPU on use */
#define PTE_DIRTY    X86_BIT(6)    /* set by the CPU on write (leaf entries) */
#define PTE_PS       X86_BIT(7)    /* in a PDPT/PD entry: a 1 GiB/2 MiB leaf */
#define PTE_GLOBAL   X86_BIT(8)    /* not flushed on CR3 write (with CR4.PGE) */
#define PTE_NX       X86_BIT(63)   /* no execute (with EFER.NXE) */

/* 4 KiB pages, four levels of 512 entries: PML4 (PGD), PDPT (PUD), PD (PMD), PT. */
#define PAGE_SHIFT       12
#define PAGE_SIZE        (_AC(1, UL) << PAGE_SHIFT)          /* 4 KiB */
#define PMD_SHIFT        21
#define PMD_SIZE         (_AC(1, UL) << PMD_SHIFT)           /* 2 MiB: one PD entry */
#define PUD_SHIFT        30
#define PUD_SIZE         (_AC(1, UL) << PUD_SHIFT)           /* 1 GiB: one PDPT entry */
#define PGD_SHIFT        39                                  /* 512 GiB: one PML4 entry */
#define PTRS_PER_TABLE   512                                 /* 8-byte entries per 4 KiB table */
#define PT_INDEX_MASK    (PTRS_PER_TABLE - 1)
#define PGD_INDEX(va)    (((va) >> PGD_SHIFT) & PT_INDEX_MASK)  /* PML4 slot of va */
#define PUD_INDEX(va)    (((va) >> PUD_SHIFT) & PT_INDEX_MASK)  /* PDPT slot of va */
#define PMD_INDEX(va)    (((va) >> PMD_SHIFT) & PT_INDEX_MASK)  /* PD slot of va */
#define PTE_INDEX(va)    (((va) >> PAGE_SHIFT) & PT_INDEX_MASK) /* PT slot of va */
#define PTE_ADDR_MASK    _AC(0x000ffffffffff000, UL)

/* ---- CPUID leaf 1 -------------------------------------------------------- */
#define CPUID_1_EDX_APIC       X86_BIT(9)
#define CPUID_1_ECX_X2APIC     X86_BIT(21)
#define CPUID_1_ECX_HYPERVISOR X86_BIT(31)

/* ---- CPUID: the TSC leaf and the hypervisor range ----------------------- */
#define CPUID_TSC_LEAF   0x15   /* EAX denominator, EBX numerator, ECX crystal Hz */
/* Hypervisors put their CPUID leaves in 0x40000000..0x4000ff00, one
 * block of 0x100 each, a 12-byte signature in EBX:ECX:EDX of the first;
 * the whole range 0x40000000..0x4fffffff is reserved for them. */
#define CPUID_HV_BASE    _AC(0x40000000, U)
#define CPUID_HV_LAST    _AC(0x4000ff00, U)
#define CPUID_HV_STEP    _AC(0x100, U)
#define CPUID_HV_END     _AC(0x4fffffff, U)   /* last leaf of the reserved range */

#endif /* ABI_X86_H */
