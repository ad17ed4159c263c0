/*
 * bench.h - the hosted libpvops benchmark: what every part of it shares.
 *
 * One loop source (loops.c) is compiled once per variant ("kind"); each
 * object defines bench_loop_<kind>_<op>() for every op, from the same loop
 * text, so the variants differ only in how the op itself is reached:
 *
 *   pv_indirect       PVOP_CALLEE site left unpatched: call *slot(%rip)
 *   pv_direct         PVOP_CALLEE site patched to call rel32 (no natives)
 *   pv_inline         PVOP_CALLEE site patched to the native template
 *   plain_inline      the same instructions as inline asm, no framework
 *   plain_direct      `call pv_native_<op>` in inline asm, the site's
 *                     operands and clobbers
 *   c_plain           C call through a function pointer (C ABI)
 *   c_retpoline       the same C, built with -mindirect-branch=thunk
 *   none              the same loop with no op at all: the overhead
 *
 * and three probes that take the framework out of the patched sites'
 * bytes, to tell the cost of the padding from anything else:
 *
 *   plain_inline_nop  plain_inline + the NOP fill a 6-byte site gets
 *                     (byte for byte what pv_inline's sites hold)
 *   plain_direct_nop  plain_direct + one 0x90 (what pv_direct's sites hold)
 *   plain_direct_cs   `cs call pv_native_<op>`: 6 bytes, one instruction
 *
 * The three pv_* kinds each own a template (bench_ops_<kind>), so each
 * object's sites call through their own slots and main can patch the
 * records of one kind without touching the others.
 */
#ifndef BENCH_HOST_BENCH_H
#define BENCH_HOST_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <pvops/callee_save.h>

/* Every op measured: X(op, native template name). */
#define BENCH_OPS(X)                                                       \
	X(save_fl, save_fl)                                                 \
	X(restore_fl, restore_fl)                                           \
	X(spin_unlock, spin_unlock)                                         \
	X(vcpu_is_preempted, vcpu_is_preempted)                             \
	X(ident, ident_64)

/* Every variant: X(kind, label). The first nine are the main table. */
#define BENCH_KINDS(X)                                                     \
	X(pv_indirect, "indirect")                                          \
	X(pv_direct, "patched direct")                                      \
	X(pv_inline, "patched inline")                                      \
	X(plain_inline, "plain inline")                                     \
	X(plain_direct, "plain direct")                                     \
	X(c_plain, "C indirect")                                            \
	X(c_retpoline, "C indirect, retpoline")                             \
	X(none, "loop overhead")                                            \
	X(plain_inline_nop, "plain inline + NOP fill")                      \
	X(plain_direct_nop, "plain direct + 1-byte NOP")                    \
	X(plain_direct_cs, "cs call (6 bytes)")

enum bench_op {
#define X(op, tmpl) BENCH_OP_##op,
	BENCH_OPS(X)
#undef X
	BENCH_NR_OPS
};

enum bench_kind {
#define X(kind, label) BENCH_K_##kind,
	BENCH_KINDS(X)
#undef X
	BENCH_NR_KINDS
};

/* The kinds of the main table: all up to and including `none`. */
#define BENCH_NR_MAIN_KINDS (BENCH_K_none + 1)

/* The template every pv_* kind declares one of: one slot per op. */
struct bench_ops {
#define X(op, tmpl) struct pv_callee_save op;
	BENCH_OPS(X)
#undef X
};

#define BENCH_SLOT(op) (offsetof(struct bench_ops, op) / sizeof(void *))
#define BENCH_NR_SLOTS (sizeof(struct bench_ops) / sizeof(void *))

extern struct bench_ops bench_ops_pv_indirect;
extern struct bench_ops bench_ops_pv_direct;
extern struct bench_ops bench_ops_pv_inline;

/* What a loop needs besides its iteration count. */
struct bench_arg {
	unsigned long zero;     /* 0, but the compiler cannot know it */
	unsigned long flags;    /* the process's rflags, for restore_fl */
	uint8_t *lock;          /* the byte spin_unlock stores to */
};

/* The calls a loop makes per iteration. */
#define BENCH_UNROLL 8

/* A loop: `iters` iterations of BENCH_UNROLL calls; returns the chain. */
typedef unsigned long bench_loop_fn(unsigned long iters,
				    const struct bench_arg *a);

/* Each loops-<kind>.o: its loops, indexed by enum bench_op. */
#define X(kind, label)                                                     \
	extern bench_loop_fn *const bench_loops_##kind[BENCH_NR_OPS];
BENCH_KINDS(X)
#undef X

/* The C-ABI function pointers of the c_* kinds (set up by main). */
extern unsigned long (*bench_cfn_save_fl)(void);
extern void (*bench_cfn_restore_fl)(unsigned long);
extern void (*bench_cfn_spin_unlock)(uint8_t *);
extern _Bool (*bench_cfn_vcpu_is_preempted)(long);
extern unsigned long (*bench_cfn_ident)(unsigned long);

/*
 * The plain_* kinds record where their asm is, like a pv site does, in
 * section bench_plain, so the benchmark can show and check their bytes.
 */
#define BENCH_PLAIN_SECTION bench_plain
struct bench_plain_site {
	int32_t addr_rel;       /* code address minus this field's address */
	uint8_t len;
	uint8_t kind;           /* enum bench_kind */
	uint8_t op;             /* enum bench_op */
	uint8_t zero;
};

/* --- sites.c: patching the pv_* kinds and checking the result -------- */

/* One site's bytes, for the report. */
struct bench_site {
	uintptr_t addr;
	uint8_t len;
	uint8_t bytes[16];
	char what[80];          /* e.g. "call pv_native_save_fl + 1-byte NOP" */
};

/* Per (kind, op): how many sites, and the first one. */
struct bench_sites {
	unsigned count[BENCH_NR_KINDS][BENCH_NR_OPS];
	struct bench_site first[BENCH_NR_KINDS][BENCH_NR_OPS];
};

/*
 * bench_patch_sites - patch the pv_direct records to DIRECT and the
 * pv_inline records to INLINE, leave the pv_indirect ones alone, then
 * read every pv and plain site back and check it. Returns 0, or -1 after
 * printing why.
 */
int bench_patch_sites(struct bench_sites *out, int verbose);

/* --- output.c: the markdown table and the JSON ----------------------- */

struct bench_stat {
	double med, p10, p25, p75, p90;
};

struct bench_results {
	/* Net cycles per call (loop overhead subtracted per repetition). */
	struct bench_stat net[BENCH_NR_OPS][BENCH_NR_KINDS];
	/* Gross cycles per call: the whole loop divided by the calls. */
	struct bench_stat gross[BENCH_NR_OPS][BENCH_NR_KINDS];
	struct bench_stat core_per_tsc;  /* from a chain of dependent adds */
	unsigned reps;
	unsigned long calls;             /* calls per sample */
	double tsc_ghz;
	unsigned long tsc_step;          /* ticks the TSC advances by */
	double seconds;
	int cpu;
	char cpu_model[128];
	int cpu_family, cpu_modelno;
	char kernel[160];
	char spectre_v2[160];
	char date[40];
	int quick;
};

extern const char *const bench_op_names[BENCH_NR_OPS];
extern const char *const bench_kind_names[BENCH_NR_KINDS];
extern const char *const bench_kind_labels[BENCH_NR_KINDS];

/* Target ratios. */
#define BENCH_TARGET_INLINE 1.02
#define BENCH_TARGET_DIRECT 1.05
/*
 * Below this many net TSC cycles per call the plain op is lost in the
 * loop (it adds nothing to the chain): a ratio of two such figures is
 * noise over noise, so the targets compare whole-loop times instead.
 */
#define BENCH_MIN_NET 0.10

int bench_write_markdown(FILE *f, const struct bench_results *r,
			 const struct bench_sites *s);
int bench_write_json(FILE *f, const struct bench_results *r,
		     const struct bench_sites *s);

#endif /* BENCH_HOST_BENCH_H */
