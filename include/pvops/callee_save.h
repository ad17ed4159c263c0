/*
 * pvops/callee_save.h - the callee-save convention for hot ops.
 *
 * A hot op's site promises the compiler that only rax (and the flags)
 * change, so no caller-saved register has to be spilled around it. An op
 * written in plain C does not keep that promise by itself; its thunk does:
 *
 *     static unsigned long my_save_fl(void) { ... }      // plain C
 *     PV_CALLEE_SAVE_THUNK(my_save_fl);                  // at file scope
 *     pv_ops.irq.save_fl = PV_CALLEE_SAVE(my_save_fl);   // in init()
 *
 * The thunk saves rcx, rdx, rsi, rdi and r8-r11, calls the function and
 * restores them. A function written in assembly that already clobbers
 * only rax is wrapped without a thunk: PV_IS_CALLEE_SAVE(fn).
 *
 * A callee-save slot has its own type, struct pv_callee_save, so a plain
 * C function cannot be stored in it by accident.
 */
#ifndef PVOPS_CALLEE_SAVE_H
#define PVOPS_CALLEE_SAVE_H

#ifndef __ASSEMBLER__

struct pv_callee_save {
	void *func;
};

/* What a thunk keeps for its caller: every register C may clobber but
 * rax (the result), pushed on entry and popped before ret. */
#define PV_THUNK_SAVE                                                      \
	"push %rcx\n\tpush %rdx\n\tpush %rsi\n\tpush %rdi\n\t"              \
	"push %r8\n\tpush %r9\n\tpush %r10\n\tpush %r11\n\t"
#define PV_THUNK_RESTORE                                                   \
	"pop %r11\n\tpop %r10\n\tpop %r9\n\tpop %r8\n\t"                     \
	"pop %rdi\n\tpop %rsi\n\tpop %rdx\n\tpop %rcx\n\t"

/*
 * PV_CALLEE_SAVE_THUNK - emit __pv_cs_<func>, the callee-save thunk of
 * `func`. `func` must have external linkage or be marked
 * __attribute__((used)), since only assembly refers to it.
 */
#define PV_CALLEE_SAVE_THUNK(func)                                         \
	PV_CALLEE_SAVE_DECLARE(func);                                       \
	__asm__(".pushsection .text\n\t"                                    \
		".globl __pv_cs_" #func "\n\t"                              \
		".type __pv_cs_" #func ", @function\n"                      \
		"__pv_cs_" #func ":\n\t"                                    \
		PV_THUNK_SAVE                                               \
		"call " #func "\n\t"                                        \
		PV_THUNK_RESTORE                                            \
		"ret\n\t"                                                   \
		".size __pv_cs_" #func ", . - __pv_cs_" #func "\n\t"        \
		".popsection\n")

/* PV_CALLEE_SAVE_DECLARE - declare the thunk of `func` in a header. */
#define PV_CALLEE_SAVE_DECLARE(func) extern const char __pv_cs_##func[]

/* PV_CALLEE_SAVE - the slot value for a function that has a thunk. */
#define PV_CALLEE_SAVE(fn_)                                                \
	((struct pv_callee_save){ .func = (void *)__pv_cs_##fn_ })

/* PV_IS_CALLEE_SAVE - the slot value for a function that needs none. */
#define PV_IS_CALLEE_SAVE(fn_)                                             \
	((struct pv_callee_save){ .func = (void *)(fn_) })

#endif /* !__ASSEMBLER__ */
#endif /* PVOPS_CALLEE_SAVE_H */
