/*
 * pvops/hosted.h - using the patch engine inside an ordinary Linux process.
 *
 * A hosted program declares its template and wrappers as the kernel does,
 * then patches its own text once, before it starts using the ops:
 *
 *     struct pv_patch_ctx ctx;
 *     pv_hosted_ctx_init(&ctx, &my_ops, sizeof(my_ops), natives, n);
 *     pv_patch(&ctx, &stats);
 *     pv_hosted_ctx_free(&ctx);
 *
 * The write callback makes the pages of one site writable with mprotect,
 * copies the bytes and makes them read-only and executable again.
 */
#ifndef PVOPS_HOSTED_H
#define PVOPS_HOSTED_H

#include <stddef.h>
#include <stdint.h>
#include <pvops/patch.h>

/* pv_hosted_sites - this executable's site records; *n may be 0. */
const struct pv_site *pv_hosted_sites(size_t *n);

/* pv_hosted_find_site - the record whose site starts at `addr`, or NULL. */
const struct pv_site *pv_hosted_find_site(uintptr_t addr);

/* pv_hosted_text - this executable's text: [*start, *start + *len). */
void pv_hosted_text(uintptr_t *start, size_t *len);

/*
 * pv_hosted_write - a pv_patch_ctx.write callback for live text: pages
 * made read-write-execute for the copy, then read-execute again.
 * Returns 0 or -errno from mprotect.
 */
int pv_hosted_write(void *opaque, uintptr_t site, const uint8_t *bytes,
		    size_t len);

/*
 * pv_hosted_ctx_init - fill ctx to patch every site of this executable
 * against the template `ops` (ops_size bytes) with the given natives.
 * Allocates the scratch; release it with pv_hosted_ctx_free.
 * Returns 0 or -ENOMEM.
 */
int pv_hosted_ctx_init(struct pv_patch_ctx *ctx, const void *ops,
		       size_t ops_size, const struct pv_native *natives,
		       size_t nr_natives);

/* pv_hosted_ctx_free - release what pv_hosted_ctx_init allocated. */
void pv_hosted_ctx_free(struct pv_patch_ctx *ctx);

#endif /* PVOPS_HOSTED_H */
