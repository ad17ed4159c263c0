/*
 * demo.c - paravirt_ops in one small process.
 *
 * The program declares a few ops the way the kernel does, fills them from
 * one of two backends, patches its own call sites with the same engine the
 * kernel uses, runs them, and prints what happened to every site.
 *
 *   build/demo [native|hyper|nopatch]
 *
 *   native   ops are the bare instructions; the engine copies them into the
 *            sites (pushf; pop %rax, movb $0,(%rdi), xor %eax,%eax...).
 *   hyper    a pretend hypervisor: interrupt flag and preemption state live
 *            in memory it shares with us, so its ops are C functions and the
 *            engine turns every site into a direct call.
 *   nopatch  native ops, sites left as indirect calls (the measuring twin).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pvops/callee_save.h>

/* --- the template: one struct per area ------------------------------- */

struct demo_irq_ops {
	struct pv_callee_save save_fl;           /* unsigned long (void) */
	struct pv_callee_save restore_fl;        /* void (unsigned long) */
};

struct demo_lock_ops {
	struct pv_callee_save spin_unlock;       /* void (uint8_t *) */
	struct pv_callee_save vcpu_is_preempted; /* bool (long cpu) */
};

struct demo_time_ops {
	unsigned long (*sched_clock)(void);      /* C ABI */
};

struct demo_misc_ops {
	void (*banner)(const char *backend);     /* simple indirect call */
};

struct demo_ops {
	struct demo_irq_ops irq;
	struct demo_lock_ops lock;
	struct demo_time_ops time;
	struct demo_misc_ops misc;
};

struct demo_ops demo_ops;
#define PV_OPS demo_ops

#include <pvops/hosted.h>
#include <pvops/ops.h>

static const char *const slot_names[PV_NR_SLOTS] = {
	[PV_SLOT(irq.save_fl)] = "irq.save_fl",
	[PV_SLOT(irq.restore_fl)] = "irq.restore_fl",
	[PV_SLOT(lock.spin_unlock)] = "lock.spin_unlock",
	[PV_SLOT(lock.vcpu_is_preempted)] = "lock.vcpu_is_preempted",
	[PV_SLOT(time.sched_clock)] = "time.sched_clock",
	[PV_SLOT(misc.banner)] = "misc.banner",
};

/* --- the wrappers: the only way the program reaches an op ------------ */

static inline unsigned long save_fl(void)
{
	return PVOP_CALLEE0(unsigned long, irq.save_fl);
}
static inline void restore_fl(unsigned long f) { PVOP_VCALLEE1(irq.restore_fl, f); }
static inline void spin_unlock(uint8_t *l) { PVOP_VCALLEE1(lock.spin_unlock, l); }
static inline bool vcpu_is_preempted(long cpu)
{
	return PVOP_CALLEE1(bool, lock.vcpu_is_preempted, cpu);
}
static inline unsigned long sched_clock(void)
{
	return PVOP_CALL0(unsigned long, time.sched_clock);
}
static inline void banner(const char *b) { PV_CALL(misc.banner, b); }

/* --- native backend -------------------------------------------------- */

static unsigned long native_sched_clock(void)
{
	unsigned lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((unsigned long)hi << 32) | lo;
}

static void native_banner(const char *b)
{
	printf("demo: backend %s, the bare instructions\n", b);
}

static void native_init(void)
{
	demo_ops.irq.save_fl = PV_IS_CALLEE_SAVE(pv_native_save_fl);
	demo_ops.irq.restore_fl = PV_IS_CALLEE_SAVE(pv_native_restore_fl);
	demo_ops.lock.spin_unlock = PV_IS_CALLEE_SAVE(pv_native_spin_unlock);
	demo_ops.lock.vcpu_is_preempted = PV_IS_CALLEE_SAVE(pv_native_vcpu_is_preempted);
	demo_ops.time.sched_clock = native_sched_clock;
	demo_ops.misc.banner = native_banner;
}

/* --- "hyper" backend: state shared with a pretend hypervisor ---------- */

/* What the hypervisor and the guest share: a virtual IF and steal state. */
static struct {
	unsigned long virtual_if;   /* X86_EFLAGS_IF or 0 */
	bool preempted[4];
	unsigned long clock;
} shared = { .virtual_if = 0x200, .preempted = { false, true } };

/* Replaces pushf; pop %rax: the guest's IF is a word in shared memory,
 * so reading it needs no trap into the hypervisor. */
unsigned long hyper_save_fl(void)
{
	return shared.virtual_if;
}
PV_CALLEE_SAVE_THUNK(hyper_save_fl);

/* Replaces push %rdi; popf: a store to the shared word instead of a popf
 * the hypervisor would have to emulate. */
void hyper_restore_fl(unsigned long f)
{
	shared.virtual_if = f & 0x200;
}
PV_CALLEE_SAVE_THUNK(hyper_restore_fl);

/* Replaces xor %eax,%eax: only the hypervisor knows whether a vCPU is
 * running; it tells us through the shared page. */
bool hyper_vcpu_is_preempted(long cpu)
{
	return cpu >= 0 && cpu < 4 && shared.preempted[cpu];
}
PV_CALLEE_SAVE_THUNK(hyper_vcpu_is_preempted);

/* Replaces rdtsc: a clock the hypervisor keeps steady across migration. */
static unsigned long hyper_sched_clock(void)
{
	return shared.clock += 1000;
}

static void hyper_banner(const char *b)
{
	printf("demo: backend %s, state shared with a pretend hypervisor\n", b);
}

static void hyper_init(void)
{
	native_init();
	demo_ops.irq.save_fl = PV_CALLEE_SAVE(hyper_save_fl);
	demo_ops.irq.restore_fl = PV_CALLEE_SAVE(hyper_restore_fl);
	demo_ops.lock.vcpu_is_preempted = PV_CALLEE_SAVE(hyper_vcpu_is_preempted);
	demo_ops.time.sched_clock = hyper_sched_clock;
	demo_ops.misc.banner = hyper_banner;
}

/* --- patching and the report ----------------------------------------- */

static const struct pv_native natives[] = {
	PV_NATIVES_ANY_SLOT,
	PV_NATIVE(PV_SLOT(irq.save_fl), save_fl),
	PV_NATIVE(PV_SLOT(irq.restore_fl), restore_fl),
	PV_NATIVE(PV_SLOT(lock.spin_unlock), spin_unlock),
	PV_NATIVE(PV_SLOT(lock.vcpu_is_preempted), vcpu_is_preempted),
};

static void hex(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%02x%s", b[i], i + 1 < n ? " " : "");
	for (size_t i = n; i < 8; i++)
		printf("   ");
}

static void report(void *opaque, const struct pv_decision *d)
{
	(void)opaque;
	printf("  %-24s %-8s ", slot_names[d->slot] ? slot_names[d->slot] : "?",
	       pv_outcome_name(d->outcome));
	hex(d->before, d->len);
	printf(" -> ");
	hex(d->after, d->len);
	printf("  %s%s%s\n", d->tmpl ? d->tmpl->name : "",
	       d->tmpl ? ": " : "", d->reason);
}

static int patch_all(const char *backend)
{
	struct pv_patch_ctx ctx;
	struct pv_patch_stats st;
	int r;

	if (pv_hosted_ctx_init(&ctx, &demo_ops, sizeof(demo_ops), natives,
			       sizeof(natives) / sizeof(natives[0])))
		return -1;
	ctx.slot_names = slot_names;
	ctx.report = report;
	if (!strcmp(backend, "nopatch"))
		ctx.flags |= PV_PATCH_DRY_RUN;
	printf("demo: %s %zu sites:\n", ctx.flags & PV_PATCH_DRY_RUN
	       ? "would patch (pv=nopatch leaves them as they are)" : "patching",
	       ctx.nr_sites);
	r = pv_patch(&ctx, &st);
	pv_hosted_ctx_free(&ctx);
	if (r < 0) {
		fprintf(stderr, "demo: pv_patch: error %d\n", r);
		return -1;
	}
	printf("demo: %u inline, %u direct, %u nop, %u trap, %u left, %u refused\n",
	       st.n[PV_OUT_INLINE], st.n[PV_OUT_DIRECT], st.n[PV_OUT_NOP],
	       st.n[PV_OUT_TRAP], st.n[PV_OUT_LEFT], st.n[PV_OUT_REFUSED]);
	return r ? -1 : 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: demo [native|hyper|nopatch]\n"
		   "  Declares a few pv ops, fills them from a backend, patches\n"
		   "  this program's call sites and runs them. Default: native.\n");
}

int main(int argc, char **argv)
{
	const char *backend = argc > 1 ? argv[1] : "native";

	if (argc > 2 || !strcmp(backend, "--help") || !strcmp(backend, "-h")) {
		usage(argc > 2 ? stderr : stdout);
		return argc > 2 ? 2 : 0;
	}
	if (!strcmp(backend, "native") || !strcmp(backend, "nopatch")) {
		native_init();
	} else if (!strcmp(backend, "hyper")) {
		hyper_init();
	} else {
		fprintf(stderr, "demo: unknown backend '%s'\n", backend);
		usage(stderr);
		return 2;
	}

	banner(backend);
	if (patch_all(backend))
		return 1;

	unsigned long f = save_fl();
	restore_fl(f);
	uint8_t lock = 1;
	spin_unlock(&lock);
	unsigned long t0 = sched_clock(), t1 = sched_clock();

	printf("demo: ran them: save_fl = %#lx (IF %s), spin_unlock -> %u, "
	       "vcpu 1 preempted: %s, sched_clock advanced: %s\n",
	       f, f & 0x200 ? "on" : "off", lock,
	       vcpu_is_preempted(1) ? "yes" : "no", t1 > t0 ? "yes" : "no");
	return 0;
}
