/*
 * hypercall.c - the hypercall templates (pvops/hypercall.h) and the
 * choice between them by CPU vendor. Freestanding: no libc.
 */
#include <stddef.h>

#include <pvops/hypercall.h>
#include "tmpl_define.h"

#define PV_HCALL_DEFINE(op, insns, clob)                                   \
	PV_TMPL_DEFINE(op, pv_hcall_##op, insns, insns "; ret", clob)
PV_HCALL_LIST(PV_HCALL_DEFINE)

static int vendor_is(const char *v, const char *want)
{
	for (int i = 0; i < PV_CPU_VENDOR_LEN; i++)
		if (v[i] != want[i])
			return 0;
	return 1;
}

const struct pv_tmpl *pv_hypercall_tmpl(const char vendor[PV_CPU_VENDOR_LEN])
{
	if (!vendor)
		return NULL;
	if (vendor_is(vendor, "GenuineIntel"))
		return &pv_tmpl_vmcall;
	if (vendor_is(vendor, "AuthenticAMD") || vendor_is(vendor, "HygonGenuine"))
		return &pv_tmpl_vmmcall;
	return NULL;
}
