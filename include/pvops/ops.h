/*
 * pvops/ops.h - declaring an ops template and calling its ops.
 *
 * A program (the kernel, a test, the demo) declares one template: a struct
 * made of one struct per area, every member pointer-sized. A slot's number
 * is its offset in the template divided by the pointer size, and that
 * number is a call site's type:
 *
 *     struct pv_irq_ops  { struct pv_callee_save save_fl; ... };
 *     struct pv_lock_ops { void (*kick)(int cpu); ... };
 *     struct pv_ops      { struct pv_irq_ops irq; struct pv_lock_ops lock; };
 *     extern struct pv_ops pv_ops;
 *     #define PV_OPS pv_ops            // before including this header
 *
 * Ops are then called only from static inline wrappers built with the
 * macros below, one header per program:
 *
 *   PV_CALL(op, args...)             simple indirect call (kind 1): a plain
 *                                    C call through the pointer, never patched.
 *   PVOP_CALLEEn / PVOP_VCALLEEn     patchable, callee-save (kind 2, hot ops):
 *                                    the site clobbers only rax; the slot must
 *                                    hold a callee-save function.
 *   PVOP_VCALLEE_MSR0(op, len)       patchable, callee-save op in a site of
 *                                    `len` bytes that may clobber rax, rcx
 *                                    and rdx (PV_CLOBBERS_MSR): room for a
 *                                    template that writes an MSR.
 *   PVOP_CALLn / PVOP_VCALLn         patchable, C ABI (kind 2): the site may
 *                                    clobber every caller-saved register.
 *   PVOP_HCALLn                      patchable, hypercall convention
 *                                    (pvops/hypercall.h): nr in rax, args
 *                                    in rbx rcx rdx rsi, result in rax, the
 *                                    site clobbers only rax; the slot must
 *                                    hold a struct pv_hcall.
 *
 * Each patchable macro emits `call *PV_OPS+off(%rip)`, pads it to the
 * site length with NOPs and writes a record (pvops/site.h). Code that calls
 * an op through a site must be built with -mno-red-zone (the call pushes
 * below the stack pointer) and ops reached through a site must not assume
 * a 16-byte aligned stack (the kernel builds with 8-byte alignment, hosted
 * programs with -mstackrealign).
 */
#ifndef PVOPS_OPS_H
#define PVOPS_OPS_H

#include <stddef.h>
#include <pvops/regs.h>
#include <pvops/site.h>
#include <pvops/callee_save.h>
#include <pvops/hypercall.h>

#define __PV_STR(x) #x
#define PV_STR(x) __PV_STR(x)

#ifndef PV_OPS
#error "define PV_OPS as the name of the program's ops template before including pvops/ops.h"
#endif

/* PV_SLOT - slot number of `op` (e.g. irq.save_fl) in the template. */
#define PV_SLOT(op) (offsetof(__typeof__(PV_OPS), op) / sizeof(void *))

/* PV_NR_SLOTS - number of slots in the template. */
#define PV_NR_SLOTS (sizeof(PV_OPS) / sizeof(void *))

/* Kind 1: a simple indirect call through the slot. */
#define PV_CALL(op, ...) (PV_OPS.op(__VA_ARGS__))

/*
 * The site itself. 771..772 is the call, 772..773 the padding, and the
 * record goes to PV_SITES_SECTION. The .S twin is PV_SITE in pvops/asm.h;
 * tests check that both produce identical records.
 */
#define __PV_SITE_ASM(len)                                                 \
	"771:\n\t"                                                          \
	"call *" PV_STR(PV_OPS) "+%c[pv_off](%%rip)\n"                      \
	"772:\n\t"                                                          \
	".fill " PV_STR(len) " - (772b - 771b), 1, 0x90\n"                  \
	"773:\n\t"                                                          \
	".pushsection " PV_STR(PV_SITES_SECTION) ",\"a\"\n\t"               \
	".balign 4\n\t"                                                     \
	".long 771b - .\n\t"                                                \
	".short %c[pv_slot]\n\t"                                            \
	".byte 773b - 771b\n\t"                                             \
	".byte %c[pv_flags]\n\t"                                            \
	".short %c[pv_clob]\n\t"                                            \
	".short 0\n\t"                                                      \
	".popsection\n"

#define __PV_SITE_OPERANDS(op, clob, flags)                                \
	[pv_off] "i"(PV_SLOT(op) * sizeof(void *)),                         \
	[pv_slot] "i"(PV_SLOT(op)), [pv_flags] "i"(flags),                  \
	[pv_clob] "i"(clob)

/*
 * No frame is forced around a site (Linux's ASM_CALL_CONSTRAINT, an "+r"
 * on rsp, would make every function holding one a non-leaf with a frame):
 * patched inline, a site must cost what the bare instruction costs. A site
 * that stays a call is still safe in a frameless function: everything that
 * holds sites builds with -mno-red-zone (nothing lives below rsp for the
 * call's push to overwrite) and no op assumes a 16-byte aligned stack
 * (-mgeneral-regs-only in the kernel, -mstackrealign hosted). The price:
 * a frame-pointer backtrace taken inside such a call skips the frameless
 * function's caller.
 */

/*
 * Callee-save sites. Arguments go in rdi/rsi and come back unchanged;
 * only rax and the flags change.
 */
#define __PVOP_CALLEE(len, flags, op, ...)                                 \
	({                                                                  \
		unsigned long __pv_ret;                                     \
		__asm__ volatile(__PV_SITE_ASM(len)                         \
				 : "=a"(__pv_ret)                           \
				 : __PV_SITE_OPERANDS(op,                   \
					PV_CLOBBERS_CALLEE_SAVE, flags)     \
				   __VA_ARGS__                              \
				 : "memory", "cc");                         \
		__pv_ret;                                                   \
	})

/*
 * The register holds more than the op returned when the type is narrower
 * (a C function returning bool sets only %al): keep the type's bytes.
 */
#define __PV_RET(type, v)                                                  \
	((type)((v) & (((1ul << (4 * sizeof(type))) << (4 * sizeof(type))) - 1)))

#define PVOP_CALLEE0(type, op)                                             \
	__PV_RET(type, __PVOP_CALLEE(PV_SITE_CALL_LEN, PV_SITE_F_RET, op))
#define PVOP_CALLEE1(type, op, a1)                                         \
	__PV_RET(type, __PVOP_CALLEE(PV_SITE_CALL_LEN, PV_SITE_F_RET, op,           \
			     , "D"((unsigned long)(a1))))
#define PVOP_CALLEE2(type, op, a1, a2)                                     \
	__PV_RET(type, __PVOP_CALLEE(PV_SITE_CALL_LEN, PV_SITE_F_RET, op,           \
			     , "D"((unsigned long)(a1)),                    \
			     "S"((unsigned long)(a2))))
#define PVOP_VCALLEE0(op)                                                  \
	((void)__PVOP_CALLEE(PV_SITE_CALL_LEN, 0, op))
#define PVOP_VCALLEE1(op, a1)                                              \
	((void)__PVOP_CALLEE(PV_SITE_CALL_LEN, 0, op,                       \
			     , "D"((unsigned long)(a1))))
#define PVOP_VCALLEE2(op, a1, a2)                                          \
	((void)__PVOP_CALLEE(PV_SITE_CALL_LEN, 0, op,                       \
			     , "D"((unsigned long)(a1)),                    \
			     "S"((unsigned long)(a2))))

/*
 * Callee-save sites with room for an MSR write: the slot holds a
 * callee-save op as above (a C op still goes through its thunk, and
 * calling it changes only rax), but the site declares rcx and rdx as
 * outputs too and records PV_CLOBBERS_MSR, so a template that loads ecx
 * and edx:eax for a WRMSR (x2APIC's EOI) may replace the call. `len`
 * must hold that template (at most PV_SITE_MAX_LEN). Only rax, rcx, rdx
 * are given up: the compiler keeps everything else live across the site.
 */
#define PVOP_VCALLEE_MSR0(op, len)                                         \
	({                                                                  \
		unsigned long __pv_ax, __pv_cx, __pv_dx;                    \
		__asm__ volatile(__PV_SITE_ASM(len)                         \
				 : "=a"(__pv_ax), "=c"(__pv_cx),            \
				   "=d"(__pv_dx)                            \
				 : __PV_SITE_OPERANDS(op, PV_CLOBBERS_MSR, 0)\
				 : "memory", "cc");                         \
		(void)__pv_ax, (void)__pv_cx, (void)__pv_dx;                \
	})

/*
 * C-ABI sites: the four argument registers are outputs (the callee may
 * change them) and only those that carry an argument are inputs too, as
 * Linux's PVOP_CALL_ARGS: an unused one is never loaded, so a site patched
 * to an instruction costs nothing around it. r8-r11 are clobbered.
 */
#define __PVOP_CALL(len, flags, op, ...)                                   \
	({                                                                  \
		unsigned long __pv_ret, __pv_di, __pv_si, __pv_dx, __pv_cx; \
		__asm__ volatile(__PV_SITE_ASM(len)                         \
				 : "=a"(__pv_ret), "=D"(__pv_di),           \
				   "=S"(__pv_si), "=d"(__pv_dx),            \
				   "=c"(__pv_cx)                            \
				 : __PV_SITE_OPERANDS(op, PV_CLOBBERS_C_ABI,\
						      flags)                \
				   __VA_ARGS__                              \
				 : "r8", "r9", "r10", "r11", "memory", "cc");\
		(void)__pv_di, (void)__pv_si, (void)__pv_dx, (void)__pv_cx; \
		__pv_ret;                                                   \
	})

#define __PV_U(x) ((unsigned long)(x))
#define __PV_A1(a1) , "D"(__PV_U(a1))
#define __PV_A2(a1, a2) __PV_A1(a1), "S"(__PV_U(a2))
#define __PV_A3(a1, a2, a3) __PV_A2(a1, a2), "d"(__PV_U(a3))
#define PVOP_CALL0(type, op)                                               \
	__PV_RET(type, __PVOP_CALL(PV_SITE_CALL_LEN, PV_SITE_F_RET, op, ))
#define PVOP_CALL1(type, op, a1)                                           \
	__PV_RET(type, __PVOP_CALL(PV_SITE_CALL_LEN, PV_SITE_F_RET, op, __PV_A1(a1)))
#define PVOP_CALL2(type, op, a1, a2)                                       \
	__PV_RET(type, __PVOP_CALL(PV_SITE_CALL_LEN, PV_SITE_F_RET, op,     \
				   __PV_A2(a1, a2)))
#define PVOP_CALL3(type, op, a1, a2, a3)                                   \
	__PV_RET(type, __PVOP_CALL(PV_SITE_CALL_LEN, PV_SITE_F_RET, op,     \
				   __PV_A3(a1, a2, a3)))
#define PVOP_VCALL0(op) ((void)__PVOP_CALL(PV_SITE_CALL_LEN, 0, op, ))
#define PVOP_VCALL1(op, a1)                                                \
	((void)__PVOP_CALL(PV_SITE_CALL_LEN, 0, op, __PV_A1(a1)))
#define PVOP_VCALL2(op, a1, a2)                                            \
	((void)__PVOP_CALL(PV_SITE_CALL_LEN, 0, op, __PV_A2(a1, a2)))
#define PVOP_VCALL3(op, a1, a2, a3)                                        \
	((void)__PVOP_CALL(PV_SITE_CALL_LEN, 0, op, __PV_A3(a1, a2, a3)))

/*
 * Hypercall-convention sites: the number goes in rax and the result comes
 * back there; the arguments go in rbx, rcx, rdx, rsi and come back
 * unchanged. The record says the site may clobber only rax
 * (PV_CLOBBERS_HCALL), so a template that is the bare hypercall
 * instruction fits, and a C op needs PV_HCALL_THUNK. "memory": a
 * hypercall may read or write guest memory it was given the address of.
 */
#define __PVOP_HCALL(op, nr, ...)                                          \
	({                                                                  \
		unsigned long __pv_ret = (nr);                              \
		__asm__ volatile(__PV_SITE_ASM(PV_SITE_CALL_LEN)            \
				 : "+a"(__pv_ret)                           \
				 : __PV_SITE_OPERANDS(op, PV_CLOBBERS_HCALL,\
						      PV_SITE_F_RET)        \
				   __VA_ARGS__                              \
				 : "memory", "cc");                         \
		__pv_ret;                                                   \
	})

#define PVOP_HCALL0(type, op, nr) __PV_RET(type, __PVOP_HCALL(op, nr, ))
#define PVOP_HCALL1(type, op, nr, a0)                                      \
	__PV_RET(type, __PVOP_HCALL(op, nr, , "b"(__PV_U(a0))))
#define PVOP_HCALL2(type, op, nr, a0, a1)                                  \
	__PV_RET(type, __PVOP_HCALL(op, nr, , "b"(__PV_U(a0)),              \
				    "c"(__PV_U(a1))))
#define PVOP_HCALL3(type, op, nr, a0, a1, a2)                              \
	__PV_RET(type, __PVOP_HCALL(op, nr, , "b"(__PV_U(a0)),              \
				    "c"(__PV_U(a1)), "d"(__PV_U(a2))))
#define PVOP_HCALL4(type, op, nr, a0, a1, a2, a3)                          \
	__PV_RET(type, __PVOP_HCALL(op, nr, , "b"(__PV_U(a0)),              \
				    "c"(__PV_U(a1)), "d"(__PV_U(a2)),       \
				    "S"(__PV_U(a3))))

#endif /* PVOPS_OPS_H */
