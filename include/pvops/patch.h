/*
 * pvops/patch.h - the boot-time patch engine.
 *
 * pv_patch() walks the site records once and, for each site, chooses
 * (in this order):
 *
 *   TRAP    the slot is NULL: ud2, then NOPs. Calling a missing op stops at
 *           the site instead of jumping to address 0.
 *   NOP     the slot holds pv_nop: all NOPs.
 *   INLINE  the slot holds an op with a template (the backend's first,
 *           then a native one) that fits the site and clobbers nothing
 *           the site does not allow: the instructions, then NOPs.
 *   DIRECT  anything else: call rel32 to the slot's target, then NOPs
 *           (a 6-byte site: cs call rel32, one instruction); at a jump
 *           site (PV_SITE_F_JMP) jmp rel32.
 *   LEFT    the target is beyond rel32's reach: the indirect call stays.
 *   REFUSED the record or the site is not what it should be (reason given):
 *           the site is left exactly as it was.
 *
 * Every record is checked before anything is written: known flags and
 * zero reserved field, length between a call and PV_SITE_MAX_LEN, the
 * whole site inside the text range, slot within the template, no overlap
 * with any other site, and the site still holding the original
 * `call *slot(%rip)` (a jump site: `jmp *slot(%rip)`) and its padding. A site is then written with one call
 * of ctx->write, all of it, and read back; a read-back that differs puts
 * the original bytes back (a second write) and refuses the site, its
 * reason saying whether that restore read back right.
 *
 * The engine is freestanding and works on addresses: the records, the text
 * and the template may be the live ones (the kernel, a hosted process) or
 * an image of them somewhere else (a tool reading an ELF file), through
 * the *_addr fields.
 */
#ifndef PVOPS_PATCH_H
#define PVOPS_PATCH_H

#include <stddef.h>
#include <stdint.h>
#include <pvops/site.h>
#include <pvops/native.h>

enum pv_outcome {
	PV_OUT_INLINE,
	PV_OUT_DIRECT,
	PV_OUT_NOP,
	PV_OUT_TRAP,
	PV_OUT_LEFT,
	PV_OUT_REFUSED,
	PV_OUT_COUNT
};

/* pv_outcome_name - "inline", "direct", ... for logs and tools. */
const char *pv_outcome_name(enum pv_outcome o);

/*
 * A slot whose native op has a template. PV_NATIVE(PV_SLOT(irq.save_fl),
 * save_fl) ties the slot to pv_native_save_fl and pv_tmpl_save_fl.
 */
struct pv_native {
	uint16_t slot;              /* PV_ANY_SLOT: any slot holding fn */
	uintptr_t fn;               /* run address of the native function */
	const struct pv_tmpl *tmpl;
};
#define PV_ANY_SLOT 0xffff
#define PV_NATIVE(slot_, op_)                                              \
	{ .slot = (slot_), .fn = (uintptr_t)pv_native_##op_,                \
	  .tmpl = &pv_tmpl_##op_ }

/* The two natives any program wants, whatever its slots: pv_nop becomes
 * NOPs and pv_ident_64 becomes mov %rdi,%rax wherever a slot holds them. */
#define PV_NATIVES_ANY_SLOT                                                \
	PV_NATIVE(PV_ANY_SLOT, nop), PV_NATIVE(PV_ANY_SLOT, ident_64)

/*
 * A backend's own template for one slot (what lguest's pv_init_ops.patch
 * did): PV_BACKEND_TMPL(PV_SLOT(kvm.hypercall), pv_hcall_vmmcall,
 * &pv_tmpl_vmmcall). It is used only for sites of `slot` whose slot holds
 * exactly `fn` at patch time, and then before any native template of that
 * slot; every rule a native template obeys applies (fits the site,
 * clobbers within the site's mask, written whole and read back).
 *
 * There is no "this slot, whatever it holds" form and no PV_ANY_SLOT
 * entry: a template stands for one function, so an op installed later
 * (another platform layered on top, a pvoff= fallback) is never replaced
 * by bytes that stand for a different one. `fn` is normally tmpl->fn, the
 * template's callable twin, so a site the template does not fit calls the
 * same instructions directly.
 */
struct pv_backend_tmpl {
	uint16_t slot;              /* a slot of the template, not PV_ANY_SLOT */
	uintptr_t fn;               /* run address of the op it stands for */
	const struct pv_tmpl *tmpl;
};
#define PV_BACKEND_TMPL(slot_, fn_, tmpl_)                                 	{ .slot = (slot_), .fn = (uintptr_t)(fn_), .tmpl = (tmpl_) }

/*
 * pv_backend_check - check a backend table before it is used: NULL when
 * every entry is sound, else the reason, and *bad (when non-NULL) the
 * index of the first bad entry. An entry is bad when its template is
 * NULL or has no bytes (bytes NULL, end before bytes), its slot is not
 * below nr_slots, its fn is 0, its template is longer than
 * PV_SITE_MAX_LEN (no site could hold it), or an earlier entry names the
 * same slot and fn. pv_patch runs the same check and refuses the whole
 * ctx on a bad entry; a caller that wants to go on without the table
 * calls this first, logs the reason and drops it.
 */
const char *pv_backend_check(const struct pv_backend_tmpl *t, size_t n,
			     size_t nr_slots, size_t *bad);

/* What the engine decided for one site; handed to ctx->report. */
struct pv_decision {
	uintptr_t site;             /* run address */
	uint16_t slot;
	uint8_t len;
	uint8_t flags;
	uint16_t clobbers;
	enum pv_outcome outcome;
	const char *reason;         /* why, in a few words; never NULL */
	uintptr_t target;           /* the slot's value at patch time */
	const struct pv_tmpl *tmpl; /* INLINE and NOP: the template used */
	uint8_t backend;            /* 1: tmpl (or the one that did not fit)
				     * came from ctx->backend */
	uint8_t before[PV_SITE_MAX_LEN];
	uint8_t after[PV_SITE_MAX_LEN];   /* == before unless written */
};

/* Per-slot counts; the caller supplies an array of nr_slots of them. */
struct pv_slot_count {
	uint32_t n[PV_OUT_COUNT];
};

struct pv_patch_stats {
	uint32_t sites;
	uint32_t n[PV_OUT_COUNT];
	/* pv_patch returned a negative errno: why, in a few words (else NULL) */
	const char *error;
	/* ... and when the reason is a bad backend entry, its index */
	uint32_t bad_backend;
};

/*
 * Scratch words pv_patch needs for n sites and s slots: the sites'
 * indices sorted by address, a bitmap of the records that passed the
 * record checks, one of the sites that overlap, and per slot the
 * backend or native entry that matches the slot's current value.
 */
#define PV_PATCH_SCRATCH_LEN(n, s) ((n) + 2 * (((n) + 31) / 32) + (s))

/* Flags for pv_patch_ctx.flags. */
#define PV_PATCH_DRY_RUN 0x1        /* decide and report, write nothing */

struct pv_patch_ctx {
	/* The records, readable at `sites`, linked at `sites_addr`. */
	const struct pv_site *sites;
	size_t nr_sites;
	uintptr_t sites_addr;

	/* The text the sites must lie in: [text_addr, text_addr + text_len),
	 * readable at `text`. */
	const uint8_t *text;
	uintptr_t text_addr;
	size_t text_len;

	/* The template: slot values, and the run address of slot 0. */
	const uintptr_t *slots;
	size_t nr_slots;
	uintptr_t slots_addr;
	const char *const *slot_names;    /* optional, nr_slots entries */

	/* Native ops with templates, per slot or PV_ANY_SLOT (at most 8). */
	const struct pv_native *natives;
	size_t nr_natives;

	/* Optional: the platform's own templates, consulted first (see
	 * struct pv_backend_tmpl). */
	const struct pv_backend_tmpl *backend;
	size_t nr_backend;

	/* Scratch: PV_PATCH_SCRATCH_LEN(nr_sites, nr_slots) words. */
	uint32_t *scratch;
	size_t scratch_len;

	/* Write `len` bytes at run address `site`; 0 or a negative errno. */
	int (*write)(void *opaque, uintptr_t site, const uint8_t *bytes,
		     size_t len);
	/* Optional: told every decision, in record order. */
	void (*report)(void *opaque, const struct pv_decision *d);
	void *opaque;

	/* Optional: per-slot counts, nr_slots entries, zeroed by pv_patch. */
	struct pv_slot_count *per_slot;

	unsigned flags;                   /* PV_PATCH_* */
};

/*
 * pv_patch - patch every site described by ctx (see the top of this file).
 * Fills *stats (zeroed first). Returns 0 when every site was patched or
 * left by design, the number of REFUSED sites when some were refused, or
 * a negative errno when ctx itself is unusable, in which case nothing was
 * written and stats->error says why: -EINVAL for a missing field, more
 * than 8 PV_ANY_SLOT natives or a bad backend entry (pv_backend_check;
 * stats->bad_backend is its index), -ENOSPC for a scratch shorter than
 * PV_PATCH_SCRATCH_LEN(nr_sites, nr_slots).
 */
int pv_patch(const struct pv_patch_ctx *ctx, struct pv_patch_stats *stats);

#endif /* PVOPS_PATCH_H */
