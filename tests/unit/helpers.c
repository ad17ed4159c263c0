/*
 * helpers.c - the test template, its ops, one function per C site, and
 * the patching and disassembly helpers the tests share.
 */
#define _GNU_SOURCE
#include <capstone/capstone.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <pvops/errno.h>
#include <pvops/x86_insn.h>

#include "helpers.h"

struct t_ops t_ops;

/* --- ops ------------------------------------------------------------- */

int tick_count, notify_count;

unsigned long tick_as_c(void)
{
	return ++tick_count;
}
PV_CALLEE_SAVE_THUNK(tick_as_c);

static void notify_c(void)
{
	notify_count++;
}

static unsigned long add3_c(unsigned long a, unsigned long b, unsigned long c)
{
	return a + b + c;
}

/* Sets every caller-saved register but rax to -1, as a C function may. */
unsigned long trash_regs(void)
{
	__asm__ volatile("mov $-1, %%rcx\n\tmov $-1, %%rdx\n\t"
			 "mov $-1, %%rsi\n\tmov $-1, %%rdi\n\t"
			 "mov $-1, %%r8\n\tmov $-1, %%r9\n\t"
			 "mov $-1, %%r10\n\tmov $-1, %%r11"
			 ::: "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10",
			   "r11");
	return TRASH_RET;
}
PV_CALLEE_SAVE_THUNK(trash_regs);

/* A 10-byte template, longer than a plain site: movabs $imm64, %rax. */
extern const uint8_t movabs_bytes[], movabs_end[];
__asm__(".pushsection .rodata\n"
	"movabs_bytes: movabs $0x1122334455667788, %rax\n"
	"movabs_end:\n\t"
	".popsection\n\t"
	".pushsection .text\n\t"
	".globl long_native\n"
	"long_native: movabs $0x1122334455667788, %rax\n\tret\n\t"
	".popsection\n");
const struct pv_tmpl tmpl_movabs = {
	.name = "movabs $imm64,%rax",
	.bytes = movabs_bytes,
	.end = movabs_end,
	.clobbers = PV_CLOB(RAX),
	.fn = long_native,
};

unsigned long hcall_standin(unsigned long nr, unsigned long a0,
			    unsigned long a1, unsigned long a2,
			    unsigned long a3)
{
	return HCALL_STANDIN(nr, a0, a1, a2, a3);
}
PV_HCALL_THUNK(hcall_standin);

extern const uint8_t add_rbx_bytes[], add_rbx_end[];
__asm__(".pushsection .rodata\n"
	"add_rbx_bytes: add %rbx, %rax\n"
	"add_rbx_end:\n\t"
	".popsection\n\t"
	".pushsection .text\n\t"
	".globl add_rbx_fn\n"
	"add_rbx_fn: add %rbx, %rax\n\tret\n\t"
	".popsection\n");
const struct pv_tmpl tmpl_add_rbx = {
	.name = "add %rbx,%rax",
	.bytes = add_rbx_bytes,
	.end = add_rbx_end,
	.clobbers = PV_CLOB(RAX),
	.fn = add_rbx_fn,
};

const struct pv_backend_tmpl *test_backend;
size_t nr_test_backend;

void set_test_ops_default(void)
{
	t_ops.irq.save_fl = PV_IS_CALLEE_SAVE(pv_native_save_fl);
	t_ops.irq.restore_fl = PV_IS_CALLEE_SAVE(pv_native_restore_fl);
	t_ops.irq.irq_disable = PV_IS_CALLEE_SAVE(pv_native_irq_disable);
	t_ops.irq.irq_enable = PV_IS_CALLEE_SAVE(pv_native_irq_enable);
	t_ops.mmu.read_cr2 = PV_IS_CALLEE_SAVE(pv_native_read_cr2);
	t_ops.mmu.read_cr3 = (unsigned long (*)(void))pv_native_read_cr3;
	t_ops.mmu.write_cr3 = (void (*)(unsigned long))pv_native_write_cr3;
	t_ops.lock.spin_unlock = PV_IS_CALLEE_SAVE(pv_native_spin_unlock);
	t_ops.lock.vcpu_is_preempted =
		PV_IS_CALLEE_SAVE(pv_native_vcpu_is_preempted);
	t_ops.misc.ident = PV_IS_CALLEE_SAVE(pv_ident_64);
	t_ops.misc.tick = PV_CALLEE_SAVE(tick_as_c);
	t_ops.misc.regs = PV_CALLEE_SAVE(trash_regs);
	t_ops.misc.far = PV_IS_CALLEE_SAVE(NULL);
	t_ops.misc.long_tmpl = PV_IS_CALLEE_SAVE(long_native);
	t_ops.misc.add3 = add3_c;
	t_ops.misc.notify = notify_c;
	t_ops.misc.trash = trash_regs;
	t_ops.misc.hcall = PV_HCALL(hcall_standin);
	tick_count = notify_count = 0;
}

const struct pv_native test_natives[] = {
	PV_NATIVES_ANY_SLOT,
	PV_NATIVE(PV_SLOT(irq.save_fl), save_fl),
	PV_NATIVE(PV_SLOT(irq.restore_fl), restore_fl),
	PV_NATIVE(PV_SLOT(irq.irq_disable), irq_disable),
	PV_NATIVE(PV_SLOT(irq.irq_enable), irq_enable),
	PV_NATIVE(PV_SLOT(mmu.read_cr2), read_cr2),
	PV_NATIVE(PV_SLOT(mmu.read_cr3), read_cr3),
	PV_NATIVE(PV_SLOT(mmu.write_cr3), write_cr3),
	PV_NATIVE(PV_SLOT(lock.spin_unlock), spin_unlock),
	PV_NATIVE(PV_SLOT(lock.vcpu_is_preempted), vcpu_is_preempted),
	{ PV_SLOT(misc.long_tmpl), (uintptr_t)long_native, &tmpl_movabs },
};
const size_t nr_test_natives = sizeof(test_natives) / sizeof(test_natives[0]);

/* --- one site per function ------------------------------------------- */

#define SITE_FN __attribute__((noinline))
SITE_FN unsigned long call_save_fl(void) { return t_save_fl(); }
SITE_FN void call_restore_fl(unsigned long f) { t_restore_fl(f); }
SITE_FN void call_irq_disable(void) { t_irq_disable(); }
SITE_FN void call_irq_enable(void) { t_irq_enable(); }
SITE_FN unsigned long call_read_cr2(void) { return t_read_cr2(); }
SITE_FN unsigned long call_read_cr3(void) { return t_read_cr3(); }
SITE_FN void call_write_cr3(unsigned long v) { t_write_cr3(v); }
SITE_FN void call_spin_unlock(uint8_t *l) { t_spin_unlock(l); }
SITE_FN bool call_vcpu_is_preempted(long cpu) { return t_vcpu_is_preempted(cpu); }
SITE_FN unsigned long call_ident(unsigned long v) { return t_ident(v); }
SITE_FN void call_tick(void) { t_tick(); }
SITE_FN unsigned long call_far(void) { return t_far(); }
SITE_FN unsigned long call_long_tmpl(void) { return t_long_tmpl(); }
SITE_FN unsigned long call_add3(unsigned long a, unsigned long b, unsigned long c)
{
	return t_add3(a, b, c);
}
SITE_FN void call_notify(void) { t_notify(); }
SITE_FN unsigned long call_hcall(unsigned long nr, unsigned long a0,
				 unsigned long a1, unsigned long a2,
				 unsigned long a3)
{
	return t_hcall(nr, a0, a1, a2, a3);
}

/* --- patching -------------------------------------------------------- */

const struct pv_site *site_of(const void *fn)
{
	size_t n;
	const struct pv_site *s = pv_hosted_sites(&n), *best = NULL;
	uintptr_t f = (uintptr_t)fn;

	for (size_t i = 0; i < n; i++) {
		uintptr_t a = pv_site_addr(&s[i]);

		if (a >= f && a < f + 64 && (!best || a < pv_site_addr(best)))
			best = &s[i];
	}
	return best;
}

static void keep_last(void *opaque, const struct pv_decision *d)
{
	if (opaque)
		*(struct pv_decision *)opaque = *d;
}

/* Decisions arrive in record order: keep each in the next entry. */
struct keep_all {
	struct pv_decision *ds;
	size_t n, max;
};

static void keep_each(void *opaque, const struct pv_decision *d)
{
	struct keep_all *k = opaque;

	if (k->n < k->max)
		k->ds[k->n] = *d;
	k->n++;
}

static int run_patch(const struct pv_site *recs, size_t n,
		     void (*report)(void *, const struct pv_decision *),
		     void *opaque, struct pv_patch_stats *st, unsigned flags,
		     pv_write_fn write)
{
	struct pv_patch_ctx ctx;
	struct pv_patch_stats local;
	int r;

	if (pv_hosted_ctx_init(&ctx, &t_ops, sizeof(t_ops), test_natives,
			       nr_test_natives))
		return -ENOMEM;
	ctx.backend = test_backend;
	ctx.nr_backend = nr_test_backend;
	ctx.sites = recs;
	ctx.nr_sites = n;
	ctx.sites_addr = (uintptr_t)recs;
	ctx.report = report;
	ctx.opaque = opaque;
	ctx.flags = flags;
	ctx.write = write;
	free(ctx.scratch);
	ctx.scratch_len = PV_PATCH_SCRATCH_LEN(n, ctx.nr_slots);
	ctx.scratch = calloc(ctx.scratch_len + 1, sizeof(uint32_t));
	r = pv_patch(&ctx, st ? st : &local);
	pv_hosted_ctx_free(&ctx);
	return r;
}

int patch_sites(const struct pv_site *recs, size_t n, struct pv_decision *d,
		struct pv_patch_stats *st, unsigned flags)
{
	return patch_sites_with(recs, n, d, st, flags, pv_hosted_write);
}

int patch_sites_with(const struct pv_site *recs, size_t n,
		     struct pv_decision *d, struct pv_patch_stats *st,
		     unsigned flags, pv_write_fn write)
{
	return run_patch(recs, n, keep_last, d, st, flags, write);
}

int patch_sites_each(const struct pv_site *recs, size_t n,
		     struct pv_decision *ds, struct pv_patch_stats *st,
		     unsigned flags, pv_write_fn write)
{
	struct keep_all k = { ds, 0, n };
	int r = run_patch(recs, n, keep_each, &k, st, flags, write);

	return r >= 0 && k.n != n ? -999 : r;
}

int patch_fn(const void *fn, struct pv_decision *d)
{
	const struct pv_site *s = site_of(fn);

	if (!s)
		return -999;
	return patch_sites(s, 1, d, NULL, 0);
}

/* --- disassembly ----------------------------------------------------- */

const char *check_insns(const uint8_t *p, size_t len, uintptr_t at,
			const char *const *expect)
{
	static char why[512];
	size_t want = 0, n, i, covered = 0, fill = 0, nops = 0;
	cs_insn *insn;
	csh h;

	while (expect[want])
		want++;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK)
		return "cs_open failed";
	cs_option(h, CS_OPT_SYNTAX, CS_OPT_SYNTAX_ATT);
	n = cs_disasm(h, p, len, at, 0, &insn);
	why[0] = 0;
	for (i = 0; i < n && !why[0]; i++) {
		char text[256];

		snprintf(text, sizeof(text), "%s%s%s", insn[i].mnemonic,
			 insn[i].op_str[0] ? " " : "", insn[i].op_str);
		if (i < want && strcmp(text, expect[i]))
			snprintf(why, sizeof(why), "insn %zu is '%s', expected '%s'",
				 i, text, expect[i]);
		if (i >= want && insn[i].id != X86_INS_NOP)
			snprintf(why, sizeof(why), "insn %zu is '%s', expected a NOP",
				 i, text);
		if (i >= want) {
			nops++;
			fill += insn[i].size;
		}
		covered += insn[i].size;
	}
	if (!why[0] && n < want)
		snprintf(why, sizeof(why), "%zu instructions, expected %zu", n, want);
	else if (!why[0] && covered != len)
		snprintf(why, sizeof(why), "instructions cover %zu of %zu bytes",
			 covered, len);
	else if (!why[0] && nops != (fill + X86_NOP_MAX_LEN - 1) / X86_NOP_MAX_LEN)
		snprintf(why, sizeof(why), "%zu NOPs fill %zu bytes: not the fewest",
			 nops, fill);
	if (n)
		cs_free(insn, n);
	cs_close(&h);
	return why[0] ? why : NULL;
}

/* --- far code -------------------------------------------------------- */

void *far_code(void)
{
	static const uint8_t code[] = { 0xb8, FAR_RET, 0, 0, 0, 0xc3 };
	uintptr_t text;
	size_t len;

	pv_hosted_text(&text, &len);
	for (int gib = 8; gib <= 64; gib *= 2) {
		for (int sign = -1; sign <= 1; sign += 2) {
			uintptr_t want = (text & ~(uintptr_t)0xfff) +
					 (uintptr_t)((intptr_t)sign * ((intptr_t)gib << 30));
			void *m = mmap((void *)want, 4096,
				       PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
				       -1, 0);
			if (m == MAP_FAILED)
				continue;
			memcpy(m, code, sizeof(code));
			mprotect(m, 4096, PROT_READ | PROT_EXEC);
			return m;
		}
	}
	return NULL;
}
