/*
 * hosted.c - the patch engine's glue for a Linux process: where its
 * records and text are, and how to write to its text.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <pvops/hosted.h>

/* Provided by the linker; weak so a program with no sites still links. */
extern const struct pv_site __start_pv_sites[] __attribute__((weak));
extern const struct pv_site __stop_pv_sites[] __attribute__((weak));
extern const char __executable_start[];
extern const char etext[];

const struct pv_site *pv_hosted_sites(size_t *n)
{
	*n = __start_pv_sites ? (size_t)(__stop_pv_sites - __start_pv_sites) : 0;
	return __start_pv_sites;
}

const struct pv_site *pv_hosted_find_site(uintptr_t addr)
{
	size_t n;
	const struct pv_site *s = pv_hosted_sites(&n);

	for (size_t i = 0; i < n; i++)
		if (pv_site_addr(&s[i]) == addr)
			return &s[i];
	return NULL;
}

void pv_hosted_text(uintptr_t *start, size_t *len)
{
	*start = (uintptr_t)__executable_start;
	*len = (size_t)(etext - __executable_start);
}

int pv_hosted_write(void *opaque, uintptr_t site, const uint8_t *bytes,
		    size_t len)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t lo = site & ~(page - 1);
	size_t span = ((site + len + page - 1) & ~(page - 1)) - lo;

	(void)opaque;
	if (mprotect((void *)lo, span, PROT_READ | PROT_WRITE | PROT_EXEC))
		return -errno;
	memcpy((void *)site, bytes, len);
	if (mprotect((void *)lo, span, PROT_READ | PROT_EXEC))
		return -errno;
	return 0;
}

int pv_hosted_ctx_init(struct pv_patch_ctx *ctx, const void *ops,
		       size_t ops_size, const struct pv_native *natives,
		       size_t nr_natives)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->sites = pv_hosted_sites(&ctx->nr_sites);
	ctx->sites_addr = (uintptr_t)ctx->sites;
	pv_hosted_text(&ctx->text_addr, &ctx->text_len);
	ctx->text = (const uint8_t *)ctx->text_addr;
	ctx->slots = ops;
	ctx->nr_slots = ops_size / sizeof(uintptr_t);
	ctx->slots_addr = (uintptr_t)ops;
	ctx->natives = natives;
	ctx->nr_natives = nr_natives;
	ctx->scratch_len = PV_PATCH_SCRATCH_LEN(ctx->nr_sites, ctx->nr_slots);
	ctx->scratch = calloc(ctx->scratch_len ? ctx->scratch_len : 1,
			      sizeof(*ctx->scratch));
	if (!ctx->scratch)
		return -ENOMEM;
	ctx->write = pv_hosted_write;
	return 0;
}

void pv_hosted_ctx_free(struct pv_patch_ctx *ctx)
{
	free(ctx->scratch);
	ctx->scratch = NULL;
	ctx->scratch_len = 0;
}
