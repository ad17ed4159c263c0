/*
 * patch.c - patch every kernel call site once, early, for the platform
 * pv_platform_setup() chose.
 */
#include <cmdline.h>
#include <paravirt.h>
#include <printk.h>
#include <string.h>
#include <pv/platform.h>
#include <asm/x86.h>

extern const struct pv_site __start_pv_sites[], __stop_pv_sites[];
extern const char _text[], _etext[];

/* The slot names, expanded from the template's lists (pv_ops.h):
 * [PV_SLOT(cpu.cpuid)] = "cpu.cpuid", and so on. */
#define NAME_OP(P, ret, name, params) [PV_SLOT(P.name)] = #P "." #name,
#define NAME_CS(P, name) [PV_SLOT(P.name)] = #P "." #name,
#define NAME_SUB(P, tag, name, LIST) LIST(NAME_OP, NAME_CS, NAME_CS, NAME_SUB, P.name)
#define NAME_AREA(tag, name, LIST) LIST(NAME_OP, NAME_CS, NAME_CS, NAME_SUB, name)
const char *const pv_slot_names[PV_NR_SLOTS] = { PV_OPS_AREAS(NAME_AREA) };

/* Every slot of struct pv_ops came from a list, so every slot has a name. */
#define COUNT_OP(P, ret, name, params) + 1
#define COUNT_CS(P, name) + 1
#define COUNT_SUB(P, tag, name, LIST) LIST(COUNT_OP, COUNT_CS, COUNT_CS, COUNT_SUB, P)
#define COUNT_AREA(tag, name, LIST) LIST(COUNT_OP, COUNT_CS, COUNT_CS, COUNT_SUB, name)
_Static_assert(0 PV_OPS_AREAS(COUNT_AREA) == PV_NR_SLOTS,
	       "struct pv_ops has a slot outside the lists of pv_ops.h");

/* pv_patch's scratch; it refuses to start without enough. */
#define MAX_SITES 2048
static u32 scratch[PV_PATCH_SCRATCH_LEN(MAX_SITES, PV_NR_SLOTS)];
static struct pv_slot_count per_slot[PV_NR_SLOTS];

struct pv_patch_stats pv_patch_stats;
u64 pv_patch_tsc_cycles;
bool pv_patched;

/* Text is still mapped writable by the boot page tables. */
static int write_text(void *opaque, uintptr_t site, const u8 *bytes, size_t len)
{
	(void)opaque;
	memcpy((void *)site, bytes, len);
	return 0;
}

/*
 * The backend templates of the platforms whose init() ran (each fills its
 * table there: a platform that is not here has none), the chosen one
 * first: where two give the same slot and op, the upper one's template
 * wins. Each table is checked alone first, so a bad one is named and
 * dropped, and the boot patches without it.
 */
#define MAX_BACKEND 16
static struct pv_backend_tmpl backend[MAX_BACKEND];
static const struct pv_platform *backend_from[MAX_BACKEND];
static u32 backend_inline[MAX_BACKEND], backend_direct[MAX_BACKEND];
const struct pv_backend_tmpl *pv_backend_used = backend;
size_t pv_backend_used_nr;

static bool backend_has(const struct pv_backend_tmpl *e)
{
	for (size_t i = 0; i < pv_backend_used_nr; i++)
		if (backend[i].slot == e->slot && backend[i].fn == e->fn)
			return true;
	return false;
}

static void collect_backend(void)
{
	pv_backend_used_nr = 0;
	for (const struct pv_platform *p = pv_platform; p;
	     p = p->base ? pv_platform_find(p->base) : NULL) {
		const struct pv_platform_backend *b = p->backend;
		const char *why;
		size_t bad = 0;

		if (!b || !b->nr)
			continue;
		why = pv_backend_check(b->tmpls, b->nr, PV_NR_SLOTS, &bad);
		if (!why && pv_backend_used_nr + b->nr > MAX_BACKEND)
			why = "more templates than pv_patch_kernel keeps", bad = 0;
		if (why) {
			printk("pv: %s: backend template %zu refused (%s)\n",
			       p->name, bad, why);
			continue;
		}
		for (size_t i = 0; i < b->nr; i++) {
			if (backend_has(&b->tmpls[i]))
				continue;
			backend_from[pv_backend_used_nr] = p;
			backend[pv_backend_used_nr++] = b->tmpls[i];
		}
	}
}

/* Count, per backend template, the sites it made inline or, not fitting,
 * a direct call. */
static void count_backend(const struct pv_decision *d)
{
	if (!d->backend)
		return;
	for (size_t i = 0; i < pv_backend_used_nr; i++)
		if (backend[i].slot == d->slot && backend[i].fn == d->target) {
			backend_inline[i] += d->outcome == PV_OUT_INLINE;
			backend_direct[i] += d->outcome == PV_OUT_DIRECT;
		}
}

static bool dry_run;

static void report_decision(void *opaque, const struct pv_decision *d)
{
	(void)opaque;
	count_backend(d);
	if (dry_run)
		return;
	if (d->outcome == PV_OUT_REFUSED || d->outcome == PV_OUT_LEFT)
		printk("pv: site %p (%s) %s: %s\n", (void *)d->site,
		       d->slot < PV_NR_SLOTS ? pv_slot_names[d->slot] : "?",
		       pv_outcome_name(d->outcome), d->reason);
}

void pv_patch_kernel(void)
{
	struct pv_patch_ctx ctx = {
		.sites = __start_pv_sites,
		.nr_sites = (size_t)(__stop_pv_sites - __start_pv_sites),
		.sites_addr = (uintptr_t)__start_pv_sites,
		.text = (const u8 *)_text,
		.text_addr = (uintptr_t)_text,
		.text_len = (size_t)(_etext - _text),
		.slots = (const uintptr_t *)&pv_ops,
		.nr_slots = PV_NR_SLOTS,
		.slots_addr = (uintptr_t)&pv_ops,
		.slot_names = pv_slot_names,
		.natives = native_patch_table,
		.nr_natives = native_patch_table_len,
		.scratch = scratch,
		.scratch_len = ARRAY_SIZE(scratch),
		.write = write_text,
		.report = report_decision,
		.per_slot = per_slot,
	};

	BUG_ON(arch_local_save_flags() & X86_EFLAGS_IF);
	collect_backend();
	ctx.backend = backend;
	ctx.nr_backend = pv_backend_used_nr;
	dry_run = boot_params.pv_mode == PV_MODE_NOPATCH;
	if (dry_run)
		ctx.flags |= PV_PATCH_DRY_RUN;  /* decides and counts, prints nothing */
	u64 t0 = native_rdtsc();
	int r = pv_patch(&ctx, &pv_patch_stats);
	pv_patch_tsc_cycles = native_rdtsc() - t0;
	if (r < 0)
		panic("pv_patch_kernel: pv_patch failed (%d): %zu sites", r,
		      ctx.nr_sites);
	pv_patched = !(ctx.flags & PV_PATCH_DRY_RUN);
	/* one line per backend template: which op, what its sites became */
	for (size_t i = 0; i < pv_backend_used_nr; i++)
		printk("pv: %s: %s %s: inline %u, direct %u%s\n", backend_from[i]->name,
		       pv_slot_names[backend[i].slot], backend[i].tmpl->name,
		       backend_inline[i], backend_direct[i],
		       pv_patched ? "" : " (pv=nopatch: would be)");
}

const char *pv_build_mode(void)
{
	return pv_patched ? "patched" : "nopatch";
}

/* pv_patch_report - the counts, overall and per op, for the boot log. */
void pv_patch_report(u64 khz)
{
	const struct pv_patch_stats *s = &pv_patch_stats;

	printk("pv: %s %u sites in %llu us: inline %u, direct %u, nop %u, "
	       "trap %u, left %u, refused %u\n",
	       pv_patched ? "patched" : "pv=nopatch: left (would patch)",
	       s->sites,
	       khz ? (unsigned long long)(pv_patch_tsc_cycles * 1000 / khz) : 0ull,
	       s->n[PV_OUT_INLINE], s->n[PV_OUT_DIRECT], s->n[PV_OUT_NOP],
	       s->n[PV_OUT_TRAP], s->n[PV_OUT_LEFT], s->n[PV_OUT_REFUSED]);
	for (size_t i = 0; i < PV_NR_SLOTS; i++) {
		const struct pv_slot_count *c = &per_slot[i];
		char line[96];
		int n = 0;

		/* one printk a line: under a hypervisor each is a console exit */
		for (int o = 0; o < PV_OUT_COUNT; o++)
			if (c->n[o] && n < (int)sizeof(line))
				n += snprintf(line + n, sizeof(line) - n, " %s %u",
					      pv_outcome_name(o), c->n[o]);
		if (n)
			printk("pv:   %-24s%s\n", pv_slot_names[i], line);
	}
}
