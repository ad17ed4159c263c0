/*
 * pvops/regs.h - x86-64 general registers as clobber-mask bits.
 *
 * Every patch site records which registers it may clobber. The bits are
 * numbered in the hardware encoding order (the order ModRM uses), so the
 * same numbers serve the encoders, the records and the register-discipline
 * tests. The file is plain preprocessor definitions: it is included from C
 * and from .S files alike.
 */
#ifndef PVOPS_REGS_H
#define PVOPS_REGS_H

#define PV_REG_RAX 0
#define PV_REG_RCX 1
#define PV_REG_RDX 2
#define PV_REG_RBX 3
#define PV_REG_RSP 4
#define PV_REG_RBP 5
#define PV_REG_RSI 6
#define PV_REG_RDI 7
#define PV_REG_R8  8
#define PV_REG_R9  9
#define PV_REG_R10 10
#define PV_REG_R11 11
#define PV_REG_R12 12
#define PV_REG_R13 13
#define PV_REG_R14 14
#define PV_REG_R15 15
#define PV_NR_REGS 16

/* One register's bit in a clobber mask: PV_CLOB(RAX). */
#define PV_CLOB(reg) (1 << PV_REG_##reg)

/* A site that clobbers nothing but the flags. */
#define PV_CLOBBERS_NONE 0

/*
 * A callee-save site: only the return register may change. Hot ops use
 * this convention so the compiler keeps live values in the caller-saved
 * registers across the site.
 */
#define PV_CLOBBERS_CALLEE_SAVE PV_CLOB(RAX)

/*
 * A callee-save site with room for an MSR write: rax and the two other
 * registers WRMSR reads (ecx the MSR, edx:eax the value). The op in the
 * slot is still callee-save (it may change only rax); the site lets a
 * template such as x2APIC's EOI (mov $0x80b,%ecx; xor %eax,%eax;
 * xor %edx,%edx; wrmsr) change rcx and rdx as well.
 */
#define PV_CLOBBERS_MSR (PV_CLOB(RAX) | PV_CLOB(RCX) | PV_CLOB(RDX))

/* A plain C-ABI call: every caller-saved register may change. */
#define PV_CLOBBERS_C_ABI                                                   \
	(PV_CLOB(RAX) | PV_CLOB(RCX) | PV_CLOB(RDX) | PV_CLOB(RSI) |        \
	 PV_CLOB(RDI) | PV_CLOB(R8) | PV_CLOB(R9) | PV_CLOB(R10) |          \
	 PV_CLOB(R11))

#endif /* PVOPS_REGS_H */
