/*
 * loops.c - the measured loops, compiled once per variant.
 *
 * bench.mk builds this file once per kind with -DBENCH_KIND=<kind> and
 * -DBENCH_KIND_<kind> (see bench.h for the kinds). The loop text below is
 * the same for every kind; only OP_<op>() changes, and the object exports
 * its loops as bench_loops_<kind>[]. Each loop makes BENCH_UNROLL calls
 * per iteration and feeds every result into a chain the way real code
 * consumes it:
 *
 *   save_fl            acc += save_fl()
 *   restore_fl         restore_fl(flags | (acc & zero)); acc += that
 *   spin_unlock        p = lock + (acc & zero); spin_unlock(p); acc += *p
 *                      (a store, then a load of the same byte)
 *   vcpu_is_preempted  acc += vcpu_is_preempted(acc & zero)
 *   ident              acc = ident(acc) + 1
 *
 * `zero` comes from memory, so the compiler cannot fold the chain away.
 */
#include <stdbool.h>
#include <stdint.h>

#include <pvops/native.h>
#include "bench.h"

#ifndef BENCH_KIND
#error "build with -DBENCH_KIND=<kind> -DBENCH_KIND_<kind> (see bench.mk)"
#endif

#define __BENCH_CAT3(a, b, c) a##b##c
#define BENCH_CAT3(a, b, c) __BENCH_CAT3(a, b, c)
#define BENCH_THIS_KIND BENCH_CAT3(BENCH_K_, BENCH_KIND, )

/* --- pv_*: the framework's own wrappers, through this kind's template - */

#if defined(BENCH_KIND_pv_indirect) || defined(BENCH_KIND_pv_direct) ||  \
	defined(BENCH_KIND_pv_inline)

#if defined(BENCH_KIND_pv_indirect)
#define PV_OPS bench_ops_pv_indirect
#elif defined(BENCH_KIND_pv_direct)
#define PV_OPS bench_ops_pv_direct
#else
#define PV_OPS bench_ops_pv_inline
#endif

struct bench_ops PV_OPS;

#include <pvops/ops.h>

#define OP_save_fl()            PVOP_CALLEE0(unsigned long, save_fl)
#define OP_restore_fl(f)        PVOP_VCALLEE1(restore_fl, f)
#define OP_spin_unlock(p)       PVOP_VCALLEE1(spin_unlock, p)
#define OP_vcpu_is_preempted(c) PVOP_CALLEE1(bool, vcpu_is_preempted, c)
#define OP_ident(x)             PVOP_CALLEE1(unsigned long, ident, x)

/* --- plain_*, none: inline asm with the callee-save site's operands -- */

#elif defined(BENCH_KIND_plain_inline) || defined(BENCH_KIND_plain_direct) \
	|| defined(BENCH_KIND_none) || defined(BENCH_KIND_plain_inline_nop) \
	|| defined(BENCH_KIND_plain_direct_nop)                           \
	|| defined(BENCH_KIND_plain_direct_cs)

#include <pvops/site.h>

#define __BENCH_STR(x) #x
#define BENCH_STR(x) __BENCH_STR(x)

/*
 * The operands and clobbers of __PVOP_CALLEE in pvops/ops.h, minus the
 * site: rax out, rsp in/out, arguments in rdi, "memory" and "cc". Only the
 * instruction text differs from a site, so the comparison is the site's
 * padding (inline) or its form (direct), nothing the compiler does. The
 * record in BENCH_PLAIN_SECTION only lets main show and check the bytes.
 */
#define BENCH_ASM_REC(insns)                                               \
	"881:\n\t" insns "\n882:\n\t"                                       \
	".pushsection " BENCH_STR(BENCH_PLAIN_SECTION) ",\"a\"\n\t"         \
	".balign 4\n\t"                                                     \
	".long 881b - .\n\t"                                                \
	".byte 882b - 881b, %c[b_kind], %c[b_op], 0\n\t"                    \
	".popsection\n"

#define BENCH_ASM(op, ...)                                                 \
	({                                                                  \
		register unsigned long __b_sp __asm__("rsp");               \
		unsigned long __b_ret;                                      \
		__asm__ volatile(BENCH_ASM_REC(BODY(op))                    \
				 : "=a"(__b_ret), "+r"(__b_sp)              \
				 : [b_kind] "i"(BENCH_THIS_KIND),           \
				   [b_op] "i"(BENCH_OP_##op) __VA_ARGS__    \
				 : "memory", "cc");                         \
		__b_ret;                                                    \
	})

/* The same narrowing __PV_RET does. */
#define BENCH_RET(type, v)                                                 \
	((type)((v) & (((1ul << (4 * sizeof(type))) << (4 * sizeof(type))) - 1)))

#define INSN_save_fl           "pushf; pop %%rax"
#define INSN_restore_fl        "push %%rdi; popf"
#define INSN_spin_unlock       "movb $0,(%%rdi)"
#define INSN_vcpu_is_preempted "xor %%eax,%%eax"
#define INSN_ident             "mov %%rdi,%%rax"

#define FN_save_fl             "pv_native_save_fl"
#define FN_restore_fl          "pv_native_restore_fl"
#define FN_spin_unlock         "pv_native_spin_unlock"
#define FN_vcpu_is_preempted   "pv_native_vcpu_is_preempted"
#define FN_ident               "pv_native_ident_64"

/* The NOPs up to the length of a site, as the engine writes them. */
#define FILL_TO_SITE "\n\t.nops " BENCH_STR(PV_SITE_CALL_LEN) " - (. - 881b)"

#if defined(BENCH_KIND_plain_inline)
#define BODY(op) INSN_##op
#elif defined(BENCH_KIND_plain_inline_nop)
#define BODY(op) INSN_##op FILL_TO_SITE
#elif defined(BENCH_KIND_plain_direct)
#define BODY(op) "call " FN_##op
#elif defined(BENCH_KIND_plain_direct_nop)
#define BODY(op) "call " FN_##op "; nop"
#elif defined(BENCH_KIND_plain_direct_cs)
#define BODY(op) ".byte 0x2e; call " FN_##op
#else
#define BODY(op) ""
#endif

#define OP_save_fl()            BENCH_RET(unsigned long, BENCH_ASM(save_fl))
#define OP_restore_fl(f)        ((void)BENCH_ASM(restore_fl,               \
					 , "D"((unsigned long)(f))))
#define OP_spin_unlock(p)       ((void)BENCH_ASM(spin_unlock,              \
					 , "D"((unsigned long)(p))))
#define OP_vcpu_is_preempted(c) BENCH_RET(bool, BENCH_ASM(vcpu_is_preempted,\
					 , "D"((unsigned long)(c))))

#if defined(BENCH_KIND_none)
/* No op, but the value still flows: rax = the argument, as ident gives. */
#define OP_ident(x)                                                        \
	({                                                                  \
		register unsigned long __b_sp __asm__("rsp");               \
		unsigned long __b_x = (x), __b_ret;                         \
		__asm__ volatile(BENCH_ASM_REC("")                          \
				 : "=a"(__b_ret), "+r"(__b_sp)              \
				 : [b_kind] "i"(BENCH_THIS_KIND),           \
				   [b_op] "i"(BENCH_OP_ident),              \
				   "0"(__b_x), "D"(__b_x)                   \
				 : "memory", "cc");                         \
		__b_ret;                                                    \
	})
#else
#define OP_ident(x)             BENCH_RET(unsigned long, BENCH_ASM(ident,  \
					 , "D"((unsigned long)(x))))
#endif

/* --- c_*: C calls through function pointers -------------------------- */

#elif defined(BENCH_KIND_c_plain) || defined(BENCH_KIND_c_retpoline)

#define OP_save_fl()            bench_cfn_save_fl()
#define OP_restore_fl(f)        bench_cfn_restore_fl(f)
#define OP_spin_unlock(p)       bench_cfn_spin_unlock(p)
#define OP_vcpu_is_preempted(c) bench_cfn_vcpu_is_preempted(c)
#define OP_ident(x)             bench_cfn_ident(x)

#else
#error "unknown BENCH_KIND"
#endif

/* --- the loops: identical text for every kind ------------------------ */

#define BENCH_FN(op) BENCH_CAT3(bench_loop_, BENCH_KIND, _##op)

#define REP8(s) s s s s s s s s
_Static_assert(BENCH_UNROLL == 8, "REP8 is the unroll");

static unsigned long BENCH_FN(save_fl)(unsigned long iters,
					const struct bench_arg *a)
{
	unsigned long acc = 0;

	(void)a;
	for (unsigned long i = 0; i < iters; i++) {
		REP8(acc += OP_save_fl();)
	}
	return acc;
}

static unsigned long BENCH_FN(restore_fl)(unsigned long iters,
					   const struct bench_arg *a)
{
	unsigned long acc = 0, f = a->flags, z = a->zero;

	for (unsigned long i = 0; i < iters; i++) {
		REP8({
			unsigned long x = f | (acc & z);
			OP_restore_fl(x);
			acc += x;
		})
	}
	return acc;
}

static unsigned long BENCH_FN(spin_unlock)(unsigned long iters,
					    const struct bench_arg *a)
{
	unsigned long acc = 0, z = a->zero;
	uint8_t *lock = a->lock;

	for (unsigned long i = 0; i < iters; i++) {
		REP8({
			uint8_t *p = lock + (acc & z);
			OP_spin_unlock(p);
			acc += *p;
		})
	}
	return acc;
}

static unsigned long BENCH_FN(vcpu_is_preempted)(unsigned long iters,
						  const struct bench_arg *a)
{
	unsigned long acc = 0, z = a->zero;

	for (unsigned long i = 0; i < iters; i++) {
		REP8(acc += OP_vcpu_is_preempted((long)(acc & z));)
	}
	return acc;
}

static unsigned long BENCH_FN(ident)(unsigned long iters,
				      const struct bench_arg *a)
{
	unsigned long acc = a->zero;

	for (unsigned long i = 0; i < iters; i++) {
		REP8(acc = OP_ident(acc) + 1;)
	}
	return acc;
}

/* This kind's loops, for main. */
bench_loop_fn *const BENCH_CAT3(bench_loops_, BENCH_KIND, )[BENCH_NR_OPS] = {
#define X(op, tmpl) [BENCH_OP_##op] = BENCH_FN(op),
	BENCH_OPS(X)
#undef X
};
