/*
 * pvops/plan.h - what a platform puts in the ops template, as data in
 * the image: one record per slot a platform's init() writes, in the
 * section PV_PLAN_SECTION, and the init() writes the slot FROM the record
 * (pvk: PV_PLAN in pv/platform.h). A tool reading the image (pvsites)
 * replays the records of a platform's chain over the template's initial
 * value and runs the patch engine on the result: what it computes is
 * what the kernel runs, with no second copy of the choices to drift.
 *
 *   offset size  field
 *   0      8     platform  address of the name of the platform whose init()
 *                          writes the slot (its struct pv_platform's name)
 *   8      8     when      address of the condition under which it does,
 *                          or 0 (always, once the platform runs):
 *                          "FEATURE" a feature the host offers and pvoff=
 *                          did not turn off (a tool models every one on);
 *                          "KEY=VALUE" one of several alternatives chosen
 *                          at run time (vendor=intel|amd|other,
 *                          apic=x2apic|xapic|none): a tool picks one VALUE
 *                          per KEY
 *   16     8     fn        the slot's new word (a function, or a
 *                          callee-save or hcall op's .func)
 *   24     8     tmpl      address of a struct pv_tmpl the platform hands
 *                          the engine as its backend template for (slot,
 *                          fn), or 0
 *   32     2     slot      slot number in the template
 *   34     6     reserved  zero
 *
 * A platform's records for one slot are alternatives: in any one
 * configuration at most one of them applies (the section's order is the
 * compiler's, not the program's); a platform above it in the chain may
 * write the slot again, and its word wins, as its init() runs later.
 */
#ifndef PVOPS_PLAN_H
#define PVOPS_PLAN_H

#include <stdint.h>

#define PV_PLAN_SECTION pv_plan

struct pv_plan {
	uintptr_t platform;
	uintptr_t when;
	uintptr_t fn;
	uintptr_t tmpl;
	uint16_t slot;
	uint16_t reserved[3];
};

_Static_assert(sizeof(struct pv_plan) == 40, "pv_plan layout is an ABI");

#endif /* PVOPS_PLAN_H */
