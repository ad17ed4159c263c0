/*
 * pvsites - list pvk's patch sites, and show what each becomes on each
 * platform by running the patch engine (libpvops) over a copy of the
 * image's text, from what the image itself says:
 *
 *   sites      the pv_sites records (__start_pv_sites..__stop_pv_sites)
 *   slots      pv_ops: its initial words (what native starts with) and,
 *              from pv_slot_names, each slot's name
 *   natives    native_patch_table: the native templates
 *   platforms  the pv_platforms section: each one's name and base
 *   plan       the pv_plan section (pvops/plan.h): the words each
 *              platform's init() writes into pv_ops, under what
 *              condition, and the backend templates it hands the engine
 *
 * A platform is modelled with everything offered and on: every FEATURE
 * condition holds, and each KEY=VALUE choice takes one value (vendor:
 * --vendor, default the host's; others: --set KEY=VALUE, default the
 * first value the image names).
 *
 * Exit: 0 fine; 1 --check found a site that does not patch as intended;
 * 64 usage; 65 a malformed image (or one that is not pvk's); 66 a file
 * that cannot be read; 70 an internal error.
 */
#include <capstone/capstone.h>
#include <cpuid.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pvops/patch.h>
#include <pvops/plan.h>
#include <pvops/regs.h>
#include <pvops/site.h>

#include "elfimg.h"

#define EX_OK 0
#define EX_CHECK 1
#define EX_USAGE 64
#define EX_DATAERR 65
#define EX_NOINPUT 66
#define EX_SOFTWARE 70

_Static_assert(sizeof(void *) == 8, "pvsites reads an x86-64 image on an x86-64 host");

static const char *prog = "pvsites";

static void die(int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

/* --- the image --------------------------------------------------------- */

#define MAX_TMPLS 64
#define MAX_PLATFORMS 16
#define MAX_KEYS 8
#define MAX_VALUES 8

struct platform {
	const char *name, *base;
};

struct image {
	struct elfimg *elf;
	uint64_t text_addr;
	size_t text_len;
	const uint8_t *text;           /* the file's bytes */
	uint64_t sites_addr;
	size_t nr_sites;
	struct pv_site *sites;         /* a copy: the tests corrupt files, not memory */
	uint64_t slots_addr;
	size_t nr_slots;
	uintptr_t *slots0;             /* pv_ops as linked */
	const char **slot_names;
	struct pv_native natives[64];
	size_t nr_natives;
	struct platform plat[MAX_PLATFORMS];
	size_t nr_plat;
	struct pv_plan *plan;
	size_t nr_plan;
	/* templates the image holds, copied: address -> host struct */
	uint64_t tmpl_addr[MAX_TMPLS];
	struct pv_tmpl tmpl[MAX_TMPLS];
	size_t nr_tmpl;
	/* the KEY=VALUE choices the plan names */
	char keys[MAX_KEYS][32];
	char values[MAX_KEYS][MAX_VALUES][32];
	size_t nr_values[MAX_KEYS];
	size_t nr_keys;
};

static const struct elfimg *cur_elf;   /* for bad() */

static void bad(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: %s: ", prog, cur_elf ? cur_elf->path : "?");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EX_DATAERR);
}

static const Elf64_Sym *need_sym(const struct elfimg *e, const char *name)
{
	const Elf64_Sym *s = elfimg_sym(e, name);

	if (!s)
		bad("no symbol %s (not a pvk image?)", name);
	return s;
}

static const uint8_t *need_at(const struct elfimg *e, uint64_t addr, size_t len,
			      const char *what)
{
	const uint8_t *p = elfimg_at(e, addr, len);

	if (!p)
		bad("%s at %#llx (%zu bytes) is not in the file", what,
		    (unsigned long long)addr, len);
	return p;
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/* The host copy of the struct pv_tmpl at image address a. */
static const struct pv_tmpl *tmpl_at(struct image *im, uint64_t a)
{
	const uint8_t *p;
	uint64_t bytes, end;
	const char *name;

	for (size_t i = 0; i < im->nr_tmpl; i++)
		if (im->tmpl_addr[i] == a)
			return &im->tmpl[i];
	if (im->nr_tmpl == MAX_TMPLS)
		bad("more than %d templates", MAX_TMPLS);
	p = need_at(im->elf, a, sizeof(struct pv_tmpl), "a template");
	bytes = rd64(p + offsetof(struct pv_tmpl, bytes));
	end = rd64(p + offsetof(struct pv_tmpl, end));
	name = elfimg_str(im->elf, rd64(p + offsetof(struct pv_tmpl, name)));
	if (end < bytes || end - bytes > 64)
		bad("template at %#llx: bytes..end not a template", (unsigned long long)a);
	struct pv_tmpl *t = &im->tmpl[im->nr_tmpl];
	t->name = name ? name : "?";
	t->bytes = need_at(im->elf, bytes, end - bytes ? end - bytes : 0, "template bytes");
	t->end = t->bytes + (end - bytes);
	memcpy(&t->clobbers, p + offsetof(struct pv_tmpl, clobbers), sizeof(t->clobbers));
	t->fn = (const void *)(uintptr_t)rd64(p + offsetof(struct pv_tmpl, fn));
	im->tmpl_addr[im->nr_tmpl] = a;
	return &im->tmpl[im->nr_tmpl++];
}

static void add_choice(struct image *im, const char *when)
{
	const char *eq = strchr(when, '=');
	size_t k, klen = (size_t)(eq - when);

	if (klen >= sizeof(im->keys[0]) || strlen(eq + 1) >= sizeof(im->values[0][0]))
		bad("plan condition '%s' too long", when);
	for (k = 0; k < im->nr_keys; k++)
		if (strlen(im->keys[k]) == klen && !strncmp(im->keys[k], when, klen))
			break;
	if (k == im->nr_keys) {
		if (k == MAX_KEYS)
			bad("more than %d plan keys", MAX_KEYS);
		memcpy(im->keys[k], when, klen);
		im->keys[k][klen] = 0;
		im->nr_keys++;
	}
	for (size_t v = 0; v < im->nr_values[k]; v++)
		if (!strcmp(im->values[k][v], eq + 1))
			return;
	if (im->nr_values[k] == MAX_VALUES)
		bad("more than %d values of %s", MAX_VALUES, im->keys[k]);
	strcpy(im->values[k][im->nr_values[k]++], eq + 1);
}

static void load_image(struct image *im, const char *path)
{
	const char *why;
	int io;
	struct elfimg *e = elfimg_open(path, &why, &io);

	if (!e)
		die(io ? EX_NOINPUT : EX_DATAERR, "%s: %s", path, why);
	cur_elf = e;
	memset(im, 0, sizeof(*im));
	im->elf = e;

	im->text_addr = need_sym(e, "_text")->st_value;
	uint64_t etext = need_sym(e, "_etext")->st_value;
	if (etext < im->text_addr)
		bad("_etext below _text");
	im->text_len = etext - im->text_addr;
	im->text = need_at(e, im->text_addr, im->text_len, "the text");

	im->sites_addr = need_sym(e, "__start_pv_sites")->st_value;
	uint64_t stop = need_sym(e, "__stop_pv_sites")->st_value;
	if (stop < im->sites_addr || (stop - im->sites_addr) % sizeof(struct pv_site))
		bad("pv_sites is not a whole number of records");
	im->nr_sites = (stop - im->sites_addr) / sizeof(struct pv_site);
	im->sites = malloc(im->nr_sites * sizeof(struct pv_site) + 1);
	memcpy(im->sites, need_at(e, im->sites_addr, stop - im->sites_addr, "pv_sites"),
	       stop - im->sites_addr);

	const Elf64_Sym *ops = need_sym(e, "pv_ops");
	im->slots_addr = ops->st_value;
	im->nr_slots = ops->st_size / 8;
	if (!im->nr_slots || ops->st_size % 8 || im->nr_slots >= PV_ANY_SLOT)
		bad("pv_ops has size %llu: not a template of words",
		    (unsigned long long)ops->st_size);
	im->slots0 = malloc(im->nr_slots * sizeof(uintptr_t));
	memcpy(im->slots0, need_at(e, im->slots_addr, ops->st_size, "pv_ops"), ops->st_size);

	const Elf64_Sym *names = need_sym(e, "pv_slot_names");
	if (names->st_size != im->nr_slots * 8)
		bad("pv_slot_names has %llu entries, pv_ops %zu slots",
		    (unsigned long long)names->st_size / 8, im->nr_slots);
	const uint8_t *np = need_at(e, names->st_value, names->st_size, "pv_slot_names");
	im->slot_names = calloc(im->nr_slots, sizeof(char *));
	for (size_t i = 0; i < im->nr_slots; i++) {
		im->slot_names[i] = elfimg_str(e, rd64(np + 8 * i));
		if (!im->slot_names[i])
			bad("slot %zu's name is not a string in the image", i);
	}

	const Elf64_Sym *nt = need_sym(e, "native_patch_table");
	size_t nn = nt->st_size / sizeof(struct pv_native);
	if (nn > sizeof(im->natives) / sizeof(im->natives[0]) || nt->st_size % sizeof(struct pv_native))
		bad("native_patch_table: size %llu", (unsigned long long)nt->st_size);
	const uint8_t *tp = need_at(e, nt->st_value, nt->st_size, "native_patch_table");
	for (size_t i = 0; i < nn; i++) {
		const uint8_t *r = tp + i * sizeof(struct pv_native);
		struct pv_native *n = &im->natives[i];

		memcpy(&n->slot, r + offsetof(struct pv_native, slot), sizeof(n->slot));
		n->fn = rd64(r + offsetof(struct pv_native, fn));
		n->tmpl = tmpl_at(im, rd64(r + offsetof(struct pv_native, tmpl)));
	}
	im->nr_natives = nn;

	const Elf64_Shdr *ps = elfimg_section(e, "pv_platforms");
	if (!ps)
		bad("no pv_platforms section");
	for (size_t i = 0; i < e->nsym; i++) {
		const Elf64_Sym *s = &e->sym[i];

		if (ELF64_ST_TYPE(s->st_info) != STT_OBJECT || s->st_shndx != (size_t)(ps - e->sh))
			continue;
		if (im->nr_plat == MAX_PLATFORMS)
			bad("more than %d platforms", MAX_PLATFORMS);
		const uint8_t *p = need_at(e, s->st_value, 16, "a platform");
		struct platform *pl = &im->plat[im->nr_plat++];
		pl->name = elfimg_str(e, rd64(p));
		pl->base = rd64(p + 8) ? elfimg_str(e, rd64(p + 8)) : NULL;
		if (!pl->name || (rd64(p + 8) && !pl->base))
			bad("platform at %#llx: name or base not a string",
			    (unsigned long long)s->st_value);
	}
	if (!im->nr_plat)
		bad("no platform registered in pv_platforms");
	/* the root first, then by name: a stable order for --check */
	for (size_t i = 1; i < im->nr_plat; i++)
		for (size_t j = i; j > 0; j--) {
			struct platform *a = &im->plat[j - 1], *b = &im->plat[j], t;

			if ((a->base && !b->base) ||
			    (!!a->base == !!b->base && strcmp(a->name, b->name) > 0)) {
				t = *a, *a = *b, *b = t;
			}
		}

	const Elf64_Shdr *pp = elfimg_section(e, "pv_plan");
	if (!pp)
		bad("no pv_plan section (an image from before pvops/plan.h?)");
	if (pp->sh_size % sizeof(struct pv_plan))
		bad("pv_plan is not a whole number of records");
	im->nr_plan = pp->sh_size / sizeof(struct pv_plan);
	im->plan = malloc(pp->sh_size + 1);
	memcpy(im->plan, need_at(e, pp->sh_addr, pp->sh_size, "pv_plan"), pp->sh_size);
	for (size_t i = 0; i < im->nr_plan; i++) {
		const struct pv_plan *r = &im->plan[i];
		const char *w = r->when ? elfimg_str(e, r->when) : "";

		if (!elfimg_str(e, r->platform) || !w || r->slot >= im->nr_slots ||
		    r->reserved[0] || r->reserved[1] || r->reserved[2])
			bad("pv_plan record %zu is corrupt", i);
		if (r->tmpl)
			tmpl_at(im, r->tmpl);
		if (strchr(w, '='))
			add_choice(im, w);
	}
}

static const char *plan_platform(const struct image *im, const struct pv_plan *r)
{
	return elfimg_str(im->elf, r->platform);
}

static const char *plan_when(const struct image *im, const struct pv_plan *r)
{
	return r->when ? elfimg_str(im->elf, r->when) : NULL;
}

static const struct platform *find_platform(const struct image *im, const char *name)
{
	for (size_t i = 0; i < im->nr_plat; i++)
		if (!strcmp(im->plat[i].name, name))
			return &im->plat[i];
	return NULL;
}

/* --- one configuration: a platform and a value per key ------------------ */

struct config {
	const struct platform *p;
	const char *value[MAX_KEYS];       /* per image key */
};

static bool applies(const struct image *im, const struct config *c, const char *when)
{
	const char *eq;

	if (!when || !(eq = strchr(when, '=')))
		return true;               /* always, or a feature: modelled on */
	for (size_t k = 0; k < im->nr_keys; k++)
		if (strlen(im->keys[k]) == (size_t)(eq - when) &&
		    !strncmp(im->keys[k], when, (size_t)(eq - when)))
			return !strcmp(c->value[k], eq + 1);
	return false;
}

/* The chain base first: chain[0] the root, chain[n-1] c->p. */
static size_t chain_of(const struct image *im, const struct platform *p,
		       const struct platform **chain)
{
	const struct platform *tmp[MAX_PLATFORMS];
	size_t n = 0;

	for (; p; p = p->base ? find_platform(im, p->base) : NULL) {
		if (n == MAX_PLATFORMS)
			bad("platform %s builds on itself", p->name);
		if (p->base && !find_platform(im, p->base))
			bad("platform %s builds on %s, which is not registered", p->name, p->base);
		tmp[n++] = p;
	}
	for (size_t i = 0; i < n; i++)
		chain[i] = tmp[n - 1 - i];
	return n;
}

struct run {
	uintptr_t *slots;
	struct pv_backend_tmpl backend[MAX_TMPLS];
	size_t nr_backend;
	uint8_t *text;                     /* patched copy */
	struct pv_decision *d;             /* per record */
	struct pv_patch_stats st;
	int rc;
	const struct image *im;
};

static int write_copy(void *opaque, uintptr_t site, const uint8_t *bytes, size_t len)
{
	struct run *r = opaque;

	memcpy(r->text + (site - r->im->text_addr), bytes, len);
	return 0;
}

static size_t rec_index;
static void report(void *opaque, const struct pv_decision *d)
{
	struct run *r = opaque;

	r->d[rec_index++] = *d;
}

static void run_config(const struct image *im, const struct config *c, struct run *r)
{
	const struct platform *chain[MAX_PLATFORMS];
	size_t n = chain_of(im, c->p, chain);

	memset(r, 0, sizeof(*r));
	r->im = im;
	r->slots = malloc(im->nr_slots * sizeof(uintptr_t));
	memcpy(r->slots, im->slots0, im->nr_slots * sizeof(uintptr_t));
	/* init() of each, base first: an upper platform's word wins. Within
	 * one platform at most one record may apply to a slot (the section's
	 * order need not be the program's). */
	for (size_t k = 0; k < n; k++)
		for (size_t i = 0; i < im->nr_plan; i++) {
			const struct pv_plan *e = &im->plan[i];

			if (strcmp(plan_platform(im, e), chain[k]->name) ||
			    !applies(im, c, plan_when(im, e)))
				continue;
			for (size_t j = 0; j < i; j++) {
				const struct pv_plan *f = &im->plan[j];

				if (f->slot == e->slot && f->fn != e->fn &&
				    !strcmp(plan_platform(im, f), chain[k]->name) &&
				    applies(im, c, plan_when(im, f)))
					bad("pv_plan: two records of %s for %s apply at once",
					    chain[k]->name, im->slot_names[e->slot]);
			}
			r->slots[e->slot] = e->fn;
		}
	/* backend tables, the chosen platform first (pv_patch_kernel) */
	for (size_t k = n; k-- > 0;)
		for (size_t i = 0; i < im->nr_plan; i++) {
			const struct pv_plan *e = &im->plan[i];
			bool dup = false;

			if (!e->tmpl || strcmp(plan_platform(im, e), chain[k]->name) ||
			    !applies(im, c, plan_when(im, e)))
				continue;
			for (size_t j = 0; j < r->nr_backend; j++)
				dup |= r->backend[j].slot == e->slot && r->backend[j].fn == e->fn;
			if (dup)
				continue;
			r->backend[r->nr_backend++] = (struct pv_backend_tmpl){
				.slot = e->slot, .fn = e->fn,
				.tmpl = tmpl_at((struct image *)im, e->tmpl) };
		}

	r->text = malloc(im->text_len + 1);
	memcpy(r->text, im->text, im->text_len);
	r->d = calloc(im->nr_sites + 1, sizeof(*r->d));
	size_t scratch_len = PV_PATCH_SCRATCH_LEN(im->nr_sites, im->nr_slots);
	uint32_t *scratch = calloc(scratch_len, sizeof(uint32_t));
	struct pv_patch_ctx ctx = {
		.sites = im->sites, .nr_sites = im->nr_sites, .sites_addr = im->sites_addr,
		.text = r->text, .text_addr = im->text_addr, .text_len = im->text_len,
		.slots = r->slots, .nr_slots = im->nr_slots, .slots_addr = im->slots_addr,
		.slot_names = im->slot_names,
		.natives = im->natives, .nr_natives = im->nr_natives,
		.backend = r->backend, .nr_backend = r->nr_backend,
		.scratch = scratch, .scratch_len = scratch_len,
		.write = write_copy, .report = report, .opaque = r,
	};
	rec_index = 0;
	r->rc = pv_patch(&ctx, &r->st);
	free(scratch);
}

static void free_run(struct run *r)
{
	free(r->slots);
	free(r->text);
	free(r->d);
}

/* Is this decision not what was intended? The reason, or NULL. */
static const char *not_intended(const struct pv_decision *d)
{
	switch (d->outcome) {
	case PV_OUT_REFUSED:
	case PV_OUT_LEFT:
		return d->reason;
	case PV_OUT_TRAP:
		return "slot is NULL: the site would be ud2";
	case PV_OUT_DIRECT:
		return strcmp(d->reason, "not native") ? d->reason : NULL;
	default:
		return NULL;
	}
}

/* --- output -------------------------------------------------------------- */

static csh cs;
static bool json;

static const char *const reg_names[PV_NR_REGS] = {
	"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};

static void clobbers_str(uint16_t c, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = 0;
	if (c == 0xffff) {
		snprintf(buf, size, "all");
		return;
	}
	for (int i = 0; i < PV_NR_REGS; i++)
		if (c & (1u << i))
			n += (size_t)snprintf(buf + n, size - n, "%s%s", n ? "," : "", reg_names[i]);
	if (!n)
		snprintf(buf, size, "none");
}

static void hex(const uint8_t *b, size_t len, char *out)
{
	for (size_t i = 0; i < len; i++)
		sprintf(out + 3 * i, "%02x%s", b[i], i + 1 < len ? " " : "");
	if (!len)
		out[0] = 0;
}

/* The instructions of b, "; "-separated; nops folded into "nop*N". */
static void disasm(const uint8_t *b, size_t len, uint64_t addr, char *out, size_t size)
{
	cs_insn *insn;
	size_t n = cs_disasm(cs, b, len, addr, 0, &insn), o = 0, used = 0;
	int nops = 0;

	out[0] = 0;
	for (size_t i = 0; i <= n; i++) {
		bool nop = i < n && insn[i].id == X86_INS_NOP;

		if (nops && !nop) {
			o += (size_t)snprintf(out + o, size - o, "%s%s", o ? "; " : "",
					      nops > 1 ? "nops" : "nop");
			nops = 0;
		}
		if (i == n)
			break;
		used += insn[i].size;
		if (nop) {
			nops++;
			continue;
		}
		o += (size_t)snprintf(out + o, size - o, "%s%s%s%s", o ? "; " : "",
				      insn[i].mnemonic, insn[i].op_str[0] ? " " : "",
				      insn[i].op_str);
		if (o >= size)
			o = size - 1;
	}
	if (used < len)
		snprintf(out + o, size - o, "%s(bad)", o ? "; " : "");
	if (n)
		cs_free(insn, n);
}

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

static const char *site_kind(uint8_t flags)
{
	return flags & PV_SITE_F_ASM ? "asm" : "C";
}

static void config_str(const struct image *im, const struct config *c, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = 0;
	for (size_t k = 0; k < im->nr_keys; k++)
		n += (size_t)snprintf(buf + n, size - n, "%s%s=%s", n ? " " : "",
				      im->keys[k], c->value[k]);
}

static void chain_str(const struct image *im, const struct platform *p, char *buf, size_t size)
{
	const struct platform *chain[MAX_PLATFORMS];
	size_t n = chain_of(im, p, chain), o = 0;

	buf[0] = 0;
	for (size_t i = 0; i < n; i++)
		o += (size_t)snprintf(buf + o, size - o, "%s%s", i ? " > " : "", chain[i]->name);
}

static void func_of(const struct image *im, uint64_t a, char *buf, size_t size)
{
	uint64_t off = 0;
	const Elf64_Sym *s = elfimg_func_at(im->elf, a, &off);

	if (s)
		snprintf(buf, size, "%s+%#llx", elfimg_sym_name(im->elf, s), (unsigned long long)off);
	else
		snprintf(buf, size, "?");
}

/* Print every site; with r, what the run decided for each. */
static void print_sites(const struct image *im, const struct config *c, const struct run *r)
{
	char fn[128], clob[96], cfg[128], ch[128];

	if (json) {
		printf("{\"image\":");
		json_str(im->elf->path);
		printf(",\"text\":[\"%#llx\",\"%#llx\"],\"nr_sites\":%zu,\"nr_slots\":%zu",
		       (unsigned long long)im->text_addr,
		       (unsigned long long)(im->text_addr + im->text_len), im->nr_sites,
		       im->nr_slots);
		if (r) {
			config_str(im, c, cfg, sizeof(cfg));
			chain_str(im, c->p, ch, sizeof(ch));
			printf(",\"platform\":");
			json_str(c->p->name);
			printf(",\"chain\":");
			json_str(ch);
			printf(",\"model\":\"every feature offered and on\",\"config\":{");
			for (size_t k = 0; k < im->nr_keys; k++) {
				printf("%s", k ? "," : "");
				json_str(im->keys[k]);
				putchar(':');
				json_str(c->value[k]);
			}
			printf("},\"counts\":{");
			for (int o = 0; o < PV_OUT_COUNT; o++)
				printf("%s\"%s\":%u", o ? "," : "", pv_outcome_name(o), r->st.n[o]);
			printf("}");
		}
		printf(",\"sites\":[");
	} else {
		printf("# %s: %zu sites, %zu slots, text %#llx-%#llx\n", im->elf->path,
		       im->nr_sites, im->nr_slots, (unsigned long long)im->text_addr,
		       (unsigned long long)(im->text_addr + im->text_len));
		if (r) {
			config_str(im, c, cfg, sizeof(cfg));
			chain_str(im, c->p, ch, sizeof(ch));
			printf("# platform %s (%s), every feature offered and on%s%s\n",
			       c->p->name, ch, cfg[0] ? "; " : "", cfg);
			printf("# inline %u, direct %u, nop %u, trap %u, left %u, refused %u\n",
			       r->st.n[PV_OUT_INLINE], r->st.n[PV_OUT_DIRECT], r->st.n[PV_OUT_NOP],
			       r->st.n[PV_OUT_TRAP], r->st.n[PV_OUT_LEFT], r->st.n[PV_OUT_REFUSED]);
		}
		printf("%-18s %-36s %-26s %-4s %3s %s\n", "ADDRESS", "FUNCTION", "OP",
		       "KIND", "LEN", "CLOBBERS");
	}
	for (size_t i = 0; i < im->nr_sites; i++) {
		const struct pv_site *s = &im->sites[i];
		uint64_t a = im->sites_addr + i * sizeof(*s) + (int64_t)s->addr_rel;
		const char *op = s->slot < im->nr_slots ? im->slot_names[s->slot] : "?";

		func_of(im, a, fn, sizeof(fn));
		clobbers_str(s->clobbers, clob, sizeof(clob));
		if (json) {
			printf("%s{\"addr\":\"%#llx\",\"function\":", i ? "," : "",
			       (unsigned long long)a);
			json_str(fn);
			printf(",\"op\":");
			json_str(op);
			printf(",\"slot\":%u,\"kind\":\"%s\",\"len\":%u,\"flags\":%u,\"clobbers\":\"%s\"",
			       s->slot, site_kind(s->flags), s->len, s->flags, clob);
		} else {
			printf("%#-18llx %-36s %-26s %-4s %3u %s\n", (unsigned long long)a, fn, op,
			       site_kind(s->flags), s->len, clob);
		}
		if (r) {
			const struct pv_decision *d = &r->d[i];
			size_t len = d->len <= PV_SITE_MAX_LEN ? d->len : PV_SITE_MAX_LEN;
			char hb[64], ha[64], db[256], da[256];

			hex(d->before, len, hb);
			hex(d->after, len, ha);
			disasm(d->before, len, a, db, sizeof(db));
			disasm(d->after, len, a, da, sizeof(da));
			if (json) {
				printf(",\"outcome\":\"%s\",\"reason\":", pv_outcome_name(d->outcome));
				json_str(d->reason);
				printf(",\"backend\":%s,\"before\":\"%s\",\"before_asm\":", d->backend ? "true" : "false", hb);
				json_str(db);
				printf(",\"after\":\"%s\",\"after_asm\":", ha);
				json_str(da);
			} else {
				printf("    %s (%s)\n    before: %-47s %s\n    after:  %-47s %s\n",
				       pv_outcome_name(d->outcome), d->reason, hb, db, ha, da);
			}
		}
		if (json)
			printf("}");
	}
	if (json)
		printf("]}\n");
}

/* --- --check ------------------------------------------------------------- */

/* Every platform, every combination of the keys' values. */
static int check_all(const struct image *im)
{
	size_t combos = 1, fails = 0, runs = 0;
	uint64_t *seen = calloc(im->nr_sites + 1, sizeof(uint64_t));

	for (size_t k = 0; k < im->nr_keys; k++)
		combos *= im->nr_values[k];
	for (size_t p = 0; p < im->nr_plat; p++)
		for (size_t m = 0; m < combos; m++) {
			struct config c = { .p = &im->plat[p] };
			struct run r;
			char cfg[128], fn[128];
			size_t x = m;

			for (size_t k = 0; k < im->nr_keys; k++) {
				c.value[k] = im->values[k][x % im->nr_values[k]];
				x /= im->nr_values[k];
			}
			run_config(im, &c, &r);
			runs++;
			config_str(im, &c, cfg, sizeof(cfg));
			if (r.rc < 0) {
				fprintf(stderr, "%s: check: %s (%s): the engine refused the whole image: %s\n",
					prog, c.p->name, cfg, r.st.error);
				fails++;
			}
			for (size_t i = 0; r.rc >= 0 && i < im->nr_sites; i++) {
				const struct pv_decision *d = &r.d[i];
				const char *why = not_intended(d);

				if (!why)
					continue;
				fails++;
				if (seen[i]++)
					continue;   /* one line per site: the first configuration */
				func_of(im, d->site, fn, sizeof(fn));
				fprintf(stderr, "%s: check: site %#llx in %s (%s): %s on %s (%s): %s\n",
					prog, (unsigned long long)d->site, fn,
					d->slot < im->nr_slots ? im->slot_names[d->slot] : "?",
					pv_outcome_name(d->outcome), c.p->name, cfg, why);
			}
			free_run(&r);
		}
	free(seen);
	if (fails) {
		fprintf(stderr, "%s: check: %s: %zu site decisions not as intended over %zu configurations\n",
			prog, im->elf->path, fails, runs);
		return EX_CHECK;
	}
	printf("pvsites: check: %s: %zu sites patch as intended on %zu platforms, %zu configurations\n",
	       im->elf->path, im->nr_sites, im->nr_plat, runs);
	return EX_OK;
}

/* --- --compare ----------------------------------------------------------- */

struct stream {
	cs_insn *insn;
	size_t n;
	size_t *keep;       /* indices of the non-NOP instructions */
	size_t nkeep;
};

static void decode(const uint8_t *b, size_t len, uint64_t addr, struct stream *s)
{
	s->n = cs_disasm(cs, b, len, addr, 0, &s->insn);
	s->keep = calloc(s->n + 1, sizeof(size_t));
	s->nkeep = 0;
	for (size_t i = 0; i < s->n; i++)
		if (s->insn[i].id != X86_INS_NOP)
			s->keep[s->nkeep++] = i;
}

static void free_stream(struct stream *s)
{
	if (s->n)
		cs_free(s->insn, s->n);
	free(s->keep);
}

/* The name of the function at a call's target in im, or NULL. */
static const char *call_target(const struct elfimg *e, const cs_insn *in)
{
	const cs_x86 *x = &in->detail->x86;
	uint64_t off;
	const Elf64_Sym *s;

	if (in->id != X86_INS_CALL || x->op_count != 1 || x->operands[0].type != X86_OP_IMM)
		return NULL;
	s = elfimg_func_at(e, (uint64_t)x->operands[0].imm, &off);
	return s && !off ? elfimg_sym_name(e, s) : NULL;
}

/*
 * For each site of the native run: the site's instructions (NOPs left
 * out) against the function of the same name in the no-paravirt image,
 * both decoded whole with Capstone, NOPs dropped: an inline site matches
 * when its bytes occur as consecutive instructions there (the k-th such
 * site of the function against the k-th occurrence), or else, weaker,
 * its mnemonics ("sameops": the compiler chose other registers); a
 * direct call when
 * the no-paravirt function calls the same-named function as often. NOP
 * sites have nothing to compare. Limits: bytes, not meaning (an
 * instruction with a different rip-relative displacement differs), and
 * order within a function, not position.
 */
static int compare(const struct image *im, const struct run *r, const char *nopv_path)
{
	const char *why;
	int io;
	struct elfimg *nv = elfimg_open(nopv_path, &why, &io);
	size_t same = 0, sameops = 0, differ = 0, missing = 0, nothing = 0;

	if (!nv)
		die(io ? EX_NOINPUT : EX_DATAERR, "%s: %s", nopv_path, why);
	if (json)
		printf("{\"compare\":");
	else
		printf("# compare: patched native %s against no-paravirt %s\n"
		       "%-18s %-36s %-26s %-8s %s\n", im->elf->path, nopv_path, "ADDRESS",
		       "FUNCTION", "OP", "RESULT", "SITE (NOPs dropped)");
	if (json)
		json_str(nopv_path);
	if (json)
		printf(",\"sites\":[");
	for (size_t i = 0; i < im->nr_sites; i++) {
		const struct pv_decision *d = &r->d[i];
		uint64_t off;
		const Elf64_Sym *f = elfimg_func_at(im->elf, d->site, &off);
		const char *fname = f ? elfimg_sym_name(im->elf, f) : NULL;
		const Elf64_Sym *g = fname ? elfimg_sym(nv, fname) : NULL;
		struct stream site = { 0 };
		const char *result;
		char sd[256], fn[128];

		decode(d->after, d->len, d->site, &site);
		disasm(d->after, d->len, d->site, sd, sizeof(sd));
		func_of(im, d->site, fn, sizeof(fn));
		if (!site.nkeep) {
			result = "nothing";     /* all NOPs: nothing in either build */
			nothing++;
		} else if (!g || ELF64_ST_TYPE(g->st_info) != STT_FUNC || !g->st_size ||
			   !elfimg_at(nv, g->st_value, g->st_size) ||
			   !elfimg_at(im->elf, f->st_value, f->st_size)) {
			result = "nofunc";
			missing++;
		} else {
			/* k: how many earlier sites of this function have the
			 * same instructions (the same call target for calls) */
			struct stream pv = { 0 }, np = { 0 };
			const char *tgt = call_target(im->elf, &site.insn[site.keep[0]]);
			size_t k = 0, hits = 0;
			bool found = false;
			int mnem = 0;

			for (size_t j = 0; j < i; j++) {
				const struct pv_decision *e = &r->d[j];

				if (e->site < f->st_value || e->site - f->st_value >= f->st_size ||
				    e->outcome != d->outcome || e->len != d->len)
					continue;
				if (d->outcome == PV_OUT_DIRECT ? e->target == d->target
				    : !memcmp(e->after, d->after, d->len))
					k++;
			}
			decode(elfimg_at(nv, g->st_value, g->st_size), g->st_size, g->st_value, &np);
			/* pass 0: the same bytes; pass 1: the same mnemonics
			 * (other registers or displacements) */
			for (int pass = 0; pass < 2 && !found && !tgt; pass++) {
				hits = 0;
				for (size_t a = 0; a < np.nkeep && !found; a++) {
					bool m = true;

					for (size_t b = 0; b < site.nkeep && m; b++) {
						const cs_insn *x = &site.insn[site.keep[b]];
						const cs_insn *y = a + b < np.nkeep ? &np.insn[np.keep[a + b]] : NULL;

						m = y && (pass ? x->id == y->id
							  : x->size == y->size &&
							    !memcmp(x->bytes, y->bytes, x->size));
					}
					if (m && hits++ == k)
						found = true;
				}
				if (found)
					mnem = pass;
			}
			for (size_t a = 0; tgt && a < np.nkeep && !found; a++) {
				const char *t2 = call_target(nv, &np.insn[np.keep[a]]);

				if (t2 && !strcmp(t2, tgt) && hits++ == k)
					found = true;
			}
			result = !found ? "differs" : mnem ? "sameops" : "same";
			!found ? differ++ : mnem ? sameops++ : same++;
			free_stream(&pv);
			free_stream(&np);
		}
		if (json) {
			printf("%s{\"addr\":\"%#llx\",\"function\":", i ? "," : "",
			       (unsigned long long)d->site);
			json_str(fn);
			printf(",\"op\":");
			json_str(im->slot_names[d->slot]);
			printf(",\"result\":\"%s\",\"site_asm\":", result);
			json_str(sd);
			printf("}");
		} else {
			printf("%#-18llx %-36s %-26s %-8s %s\n", (unsigned long long)d->site, fn,
			       im->slot_names[d->slot], result, sd);
		}
		free_stream(&site);
	}
	if (json)
		printf("],\"same\":%zu,\"sameops\":%zu,\"differs\":%zu,\"nofunc\":%zu,\"nothing\":%zu}\n",
		       same, sameops, differ, missing, nothing);
	else
		printf("# same %zu (bytes), sameops %zu (mnemonics; other registers or "
		       "displacements), differs %zu, nofunc %zu (function not in the "
		       "no-paravirt image), nothing %zu (all NOPs)\n", same, sameops,
		       differ, missing, nothing);
	elfimg_close(nv);
	return differ || missing ? EX_CHECK : EX_OK;
}

/* --- main ---------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
"usage: pvsites [--platform P] [--vendor intel|amd] [--set KEY=VALUE]...\n"
"               [--check] [--json] [--compare NOPV.elf] PVK.elf\n"
"List pvk's patch sites: address, function, op, kind (C or asm), length,\n"
"clobbers. With --platform, each site's bytes and instructions before and\n"
"after patching for that platform, computed by libpvops's patch engine over\n"
"a copy of the image's text, from the ops and templates the image records\n"
"(pv_ops, native_patch_table, the pv_plan section). A platform is modelled\n"
"with every feature offered and on.\n"
"\n"
"  --platform P      native, kvm, pvhv, ... (the image's pv_platforms)\n"
"  --vendor V        intel or amd: the CPU vendor modelled (KVM's vmcall or\n"
"                    vmmcall); default the host's\n"
"  --set KEY=VALUE   any other run-time choice the image names, e.g.\n"
"                    apic=xapic (default: the first value the image names)\n"
"  --check           patch for every platform and every choice; exit 1, with\n"
"                    the reasons, if any site is refused, left, trapped (its\n"
"                    slot NULL) or a direct call because a template did not fit\n"
"  --json            machine-readable output\n"
"  --compare NOPV    the patched native sites against the no-paravirt build's\n"
"                    functions of the same names (exit 1 if any differs)\n"
"  --help            this text\n"
"\n"
"Exit: 0 fine, 1 a check or comparison failed, 64 usage, 65 a malformed or\n"
"non-pvk image, 66 a file that cannot be read.\n");
}

static const char *host_vendor(void)
{
	unsigned a, b, c, d;
	char v[13];

	if (!__get_cpuid(0, &a, &b, &c, &d))
		return "intel";
	memcpy(v, &b, 4);
	memcpy(v + 4, &d, 4);
	memcpy(v + 8, &c, 4);
	v[12] = 0;
	return !strcmp(v, "AuthenticAMD") || !strcmp(v, "HygonGenuine") ? "amd" : "intel";
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "platform", required_argument, NULL, 'p' },
		{ "vendor", required_argument, NULL, 'v' },
		{ "set", required_argument, NULL, 's' },
		{ "check", no_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "compare", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *platform = NULL, *nopv = NULL, *sets[MAX_KEYS * 2];
	size_t nsets = 0;
	bool check = false;
	int o;

	while ((o = getopt_long(argc, argv, "p:v:s:cjC:h", opts, NULL)) != -1) {
		switch (o) {
		case 'p': platform = optarg; break;
		case 'v':
			if (strcmp(optarg, "intel") && strcmp(optarg, "amd"))
				die(EX_USAGE, "--vendor: intel or amd, not '%s'", optarg);
			/* fallthrough */
		case 's':
			if (nsets == sizeof(sets) / sizeof(sets[0]))
				die(EX_USAGE, "too many --set");
			if (o == 'v') {
				char *kv = malloc(strlen(optarg) + 8);
				sprintf(kv, "vendor=%s", optarg);
				sets[nsets++] = kv;
			} else {
				if (!strchr(optarg, '='))
					die(EX_USAGE, "--set: KEY=VALUE, not '%s'", optarg);
				sets[nsets++] = optarg;
			}
			break;
		case 'c': check = true; break;
		case 'j': json = true; break;
		case 'C': nopv = optarg; break;
		case 'h': usage(stdout); return EX_OK;
		default: usage(stderr); return EX_USAGE;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return EX_USAGE;
	}
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK)
		die(EX_SOFTWARE, "capstone: cannot open an x86-64 disassembler");
	cs_option(cs, CS_OPT_SYNTAX, CS_OPT_SYNTAX_ATT);
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);

	static struct image im;
	load_image(&im, argv[optind]);

	/* the configuration: the platform, and a value per key */
	struct config c = { .p = NULL };
	if (platform && !(c.p = find_platform(&im, platform)))
		die(EX_USAGE, "--platform %s: the image registers no such platform", platform);
	/* defaults: the host's vendor, x2APIC (what every environment here
	 * offers), the kernel's default spinlock slow path, else the first
	 * value the image names */
	for (size_t k = 0; k < im.nr_keys; k++) {
		const char *pref = !strcmp(im.keys[k], "vendor") ? host_vendor()
				   : !strcmp(im.keys[k], "apic") ? "x2apic"
				   : !strcmp(im.keys[k], "qspinlock") ? "native" : NULL;

		c.value[k] = im.values[k][0];
		for (size_t v = 0; pref && v < im.nr_values[k]; v++)
			if (!strcmp(im.values[k][v], pref))
				c.value[k] = im.values[k][v];
	}
	for (size_t i = 0; i < nsets; i++) {
		const char *eq = strchr(sets[i], '=');
		size_t k, v;

		for (k = 0; k < im.nr_keys; k++)
			if (strlen(im.keys[k]) == (size_t)(eq - sets[i]) &&
			    !strncmp(im.keys[k], sets[i], (size_t)(eq - sets[i])))
				break;
		if (k == im.nr_keys)
			die(EX_USAGE, "%s: the image names no choice %.*s", sets[i],
			    (int)(eq - sets[i]), sets[i]);
		for (v = 0; v < im.nr_values[k]; v++)
			if (!strcmp(im.values[k][v], eq + 1))
				break;
		if (v == im.nr_values[k])
			die(EX_USAGE, "%s: the image names no such value of %s", sets[i], im.keys[k]);
		c.value[k] = im.values[k][v];
	}

	int rc = EX_OK;
	if (check) {
		rc = check_all(&im);
		if (!platform && !nopv)
			return rc;
	}
	if (nopv) {
		struct run r;
		int rc2;

		struct config cn = c;

		cn.p = NULL;              /* native: the root, whatever --platform says */
		for (size_t i = 0; i < im.nr_plat && !cn.p; i++)
			if (!im.plat[i].base)
				cn.p = &im.plat[i];
		if (!cn.p)
			die(EX_DATAERR, "%s: no root platform", im.elf->path);
		run_config(&im, &cn, &r);
		rc2 = compare(&im, &r, nopv);
		free_run(&r);
		return rc ? rc : rc2;
	}
	if (c.p) {
		struct run r;

		run_config(&im, &c, &r);
		if (r.rc < 0)
			die(EX_DATAERR, "%s: the engine refused the image: %s", im.elf->path, r.st.error);
		print_sites(&im, &c, &r);
		free_run(&r);
	} else {
		print_sites(&im, &c, NULL);
	}
	return rc;
}
