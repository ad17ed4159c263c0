/*
 * guest_mem.c - guest RAM seen from pvhv: one host mapping of guest
 * physical [0, size). Every address a guest hands us goes through here.
 */
#include "pvhv.h"

void *gm_ptr(const struct guest_mem *gm, uint64_t gpa, uint64_t len)
{
	if (!gm || !gm->host)
		return NULL;
	/* gpa + len may wrap: compare against what is left after gpa */
	if (gpa > gm->size || len > gm->size - gpa)
		return NULL;
	return gm->host + gpa;
}
