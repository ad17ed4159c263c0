/*
 * pvops/hypercall.h - the hypercall convention, its site form, and the
 * two hypercall instructions as templates a backend hands the engine.
 *
 * KVM's hypercall ABI (Documentation/virt/kvm/x86/hypercalls.rst): the
 * number in rax, arguments a0-a3 in rbx, rcx, rdx, rsi, the result in rax,
 * nothing else changed. A slot holding such an op has its own type,
 * struct pv_hcall, and is called through PVOP_HCALLn (pvops/ops.h), a site
 * that loads exactly those registers and lets only rax change
 * (PV_CLOBBERS_HCALL). The callee-save and C-ABI site forms cannot express
 * it: their arguments go in rdi/rsi (rdi, rsi, rdx, rcx), their rax is an
 * output only, and a C-ABI site clobbers the argument registers.
 *
 * On a KVM guest the op is one instruction, and which one depends on the
 * CPU: `vmcall` (0f 01 c1) on Intel's VMX, `vmmcall` (0f 01 d9) on AMD's
 * SVM. The wrong one makes KVM rewrite it in the guest's text (a page
 * fault on read-only text) or, with that quirk off, #UD. So the backend
 * picks at boot:
 *
 *     const struct pv_tmpl *t = pv_hypercall_tmpl(vendor);  // CPUID 0
 *     if (t) {
 *             pv_ops.kvm.hypercall = PV_IS_HCALL(t->fn);
 *             table[0] = (struct pv_backend_tmpl)
 *                     PV_BACKEND_TMPL(PV_SLOT(kvm.hypercall), t->fn, t);
 *     }
 *
 * and the engine puts the instruction itself into every hypercall site
 * (3 bytes, clobbers rax), or a direct call to its callable twin
 * (pv_hcall_vmcall: `vmcall; ret`) where it cannot.
 */
#ifndef PVOPS_HYPERCALL_H
#define PVOPS_HYPERCALL_H

#include <pvops/callee_save.h>
#include <pvops/regs.h>

/* A hypercall site may change rax (the result) and the flags. */
#define PV_CLOBBERS_HCALL PV_CLOB(RAX)

#ifndef __ASSEMBLER__
#include <pvops/native.h>

/* A slot holding an op of the hypercall convention. */
struct pv_hcall {
	void *func;
};

/*
 * PV_HCALL_THUNK - emit __pv_hc_<func>: the hypercall convention in front
 * of a C function
 *     unsigned long func(unsigned long nr, unsigned long a0,
 *                        unsigned long a1, unsigned long a2,
 *                        unsigned long a3);
 * It saves rcx, rdx, rsi, rdi and r8-r11, moves rax, rbx, rcx, rdx, rsi
 * into rdi, rsi, rdx, rcx, r8, calls func and restores them (rbx is
 * callee-saved in C). `func` must have external linkage or be marked
 * __attribute__((used)). This is how a backend whose "hypercall" is C
 * code (pvhv's doorbell, a hosted stand-in) fills the slot.
 */
#define PV_HCALL_THUNK(func)                                               \
	PV_HCALL_DECLARE(func);                                             \
	__asm__(".pushsection .text\n\t"                                    \
		".globl __pv_hc_" #func "\n\t"                              \
		".type __pv_hc_" #func ", @function\n"                      \
		"__pv_hc_" #func ":\n\t"                                    \
		PV_THUNK_SAVE                                               \
		"mov %rsi, %r8\n\t"                                         \
		"mov %rbx, %rsi\n\t"                                        \
		"mov %rdx, %r9\n\t"                                         \
		"mov %rcx, %rdx\n\t"                                        \
		"mov %r9, %rcx\n\t"                                         \
		"mov %rax, %rdi\n\t"                                        \
		"call " #func "\n\t"                                        \
		PV_THUNK_RESTORE                                            \
		"ret\n\t"                                                   \
		".size __pv_hc_" #func ", . - __pv_hc_" #func "\n\t"        \
		".popsection\n")

/* PV_HCALL_DECLARE - declare the thunk of `func` in a header. */
#define PV_HCALL_DECLARE(func) extern const char __pv_hc_##func[]

/* PV_HCALL - the slot value for a C function that has a thunk. */
#define PV_HCALL(fn_) ((struct pv_hcall){ .func = (void *)__pv_hc_##fn_ })

/* PV_IS_HCALL - the slot value for code that keeps the convention itself
 * (pv_hcall_vmcall, pv_hcall_vmmcall, an assembly function). */
#define PV_IS_HCALL(fn_) ((struct pv_hcall){ .func = (void *)(fn_) })

/*
 * The hypercall instructions, built like the natives (lib/native.c):
 * pv_tmpl_<op> the bytes, pv_hcall_<op> the same then ret. None is a
 * native op: bare metal has no hypervisor to call.
 *
 *   vmcall, vmmcall  KVM's hypercall (Intel, AMD); clobber rax, the
 *                    result. #UD on bare metal and in ring 3 outside KVM.
 *   out32_dx         a port-I/O doorbell: `outl %eax,(%dx)` sends nr to
 *                    the port in a2 (dx); rax comes back unchanged, the
 *                    result travels elsewhere (pvhv: its shared page).
 *                    Clobbers nothing; #GP in ring 3 without I/O rights.
 */
#define PV_HCALL_LIST(X)                                                   \
	X(vmcall,   "vmcall",          PV_CLOB(RAX))                        \
	X(vmmcall,  "vmmcall",         PV_CLOB(RAX))                        \
	X(out32_dx, "outl %eax,(%dx)", PV_CLOBBERS_NONE)

#define PV_HCALL_DECLARE_TMPL(op, insns, clob)                             \
	extern const struct pv_tmpl pv_tmpl_##op;                           \
	extern const char pv_hcall_##op[];
PV_HCALL_LIST(PV_HCALL_DECLARE_TMPL)
#undef PV_HCALL_DECLARE_TMPL

/* The length of a CPUID vendor string (leaf 0: ebx, edx, ecx). */
#define PV_CPU_VENDOR_LEN 12

/*
 * pv_hypercall_tmpl - the hypercall template for the CPU whose CPUID
 * vendor string (12 bytes, not NUL-terminated) is `vendor`:
 * "GenuineIntel" -> vmcall; "AuthenticAMD" and "HygonGenuine" (Hygon's
 * Dhyana is AMD's Zen with SVM) -> vmmcall. Any other vendor -> NULL: the
 * choice is the virtualization extension the host implements, known here
 * only for these three; a wrong guess faults in the guest (KVM's rewrite
 * of read-only text, or #UD), so the caller keeps the op it has (a C
 * path, or none) rather than guess. Linux chooses vmcall for every CPU
 * without X86_FEATURE_VMMCALL; a VMX vendor could be added here once
 * checked. Under KVM the vendor string is the host's, as KVM passes
 * CPUID 0 through.
 */
const struct pv_tmpl *pv_hypercall_tmpl(const char vendor[PV_CPU_VENDOR_LEN]);

#endif /* !__ASSEMBLER__ */
#endif /* PVOPS_HYPERCALL_H */
