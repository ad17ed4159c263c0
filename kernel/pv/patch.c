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
#define NAME_SUB(P, tag, name, LIST) LIST(NAME_OP, NAME_CS, NAME_SUB, P.name)
#define NAME_AREA(tag, name, LIST) LIST(NAME_OP, NAME_CS, NAME_SUB, name)
const char *const pv_slot_names[PV_NR_SLOTS] = { PV_OPS_AREAS(NAME_AREA) };

/* Every slot of struct pv_ops came from a list, so every slot has a name. */
#define COUNT_OP(P, ret, name, params) + 1
#define COUNT_CS(P, name) + 1
#define COUNT_SUB(P, tag, name, LIST) LIST(COUNT_OP, COUNT_CS, COUNT_SUB, P)
#define COUNT_AREA(tag, name, LIST) LIST(COUNT_OP, COUNT_CS, COUNT_SUB, name)
_Static_assert(0 PV_OPS_AREAS(COUNT_AREA) == PV_NR_SLOTS,
	       "struct pv_ops has a slot outside the lists of pv_ops.h");

/* pv_patch's scratch; it refuses to start without enough. */
#define MAX_SITES 2048
static u32 scratch[PV_PATCH_SCRATCH_LEN(MAX_SITES, PV_NR_SLOTS)];
static struct pv_slot_count per_slot[PV_NR_SLOTS];

/* The backend templates the platforms' init() added (pv_backend_add). */
#define MAX_BACKEND 8
struct pv_backend_tmpl pv_backend_tmpls[MAX_BACKEND];
size_t pv_nr_backend_tmpls;

void pv_backend_add(const struct pv_backend_tmpl *t)
{
	BUG_ON(pv_nr_backend_tmpls == MAX_BACKEND);
	pv_backend_tmpls[pv_nr_backend_tmpls++] = *t;
}

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

static void report_refused(void *opaque, const struct pv_decision *d)
{
	(void)opaque;
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
		.backend = pv_backend_tmpls,
		.nr_backend = pv_nr_backend_tmpls,
		.scratch = scratch,
		.scratch_len = ARRAY_SIZE(scratch),
		.write = write_text,
		.report = report_refused,
		.per_slot = per_slot,
	};

	BUG_ON(arch_local_save_flags() & X86_EFLAGS_IF);
	if (boot_params.pv_mode == PV_MODE_NOPATCH) {
		ctx.flags |= PV_PATCH_DRY_RUN;
		ctx.report = NULL;
	}
	u64 t0 = native_rdtsc();
	int r = pv_patch(&ctx, &pv_patch_stats);
	pv_patch_tsc_cycles = native_rdtsc() - t0;
	if (r < 0)
		panic("pv_patch_kernel: pv_patch failed (%d): %zu sites", r,
		      ctx.nr_sites);
	pv_patched = !(ctx.flags & PV_PATCH_DRY_RUN);
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
