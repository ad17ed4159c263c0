/*
 * doorbell.c - pvhv's two ports (docs/pvhv-abi.md, "The protocol"): a
 * 32-bit OUT of a frame number to PVHV_PORT_REGISTER registers the vCPU's
 * shared page (an IN reads the outcome); a 32-bit OUT of an operation
 * number to PVHV_PORT_DOORBELL runs it with the arguments in that page
 * (hypercall.c) and writes the result there. In deprivileged mode the
 * monitor reports what it cannot handle with a 32-bit OUT of a reason to
 * MON_PORT (cpl3_monitor.h). One device of the port table (ioport.c),
 * present unless --no-pv.
 */
#include <string.h>

#include "cpl3.h"

/* The vCPU page pvhv writes: in RAM, and in deprivileged mode neither the
 * monitor's nor a pinned table (cpl3_guest_span). NULL and *err if not. */
static struct pvhv_vcpu_page *page_at(const struct hc_env *env, uint64_t gpa, int *err)
{
	void *p = gm_ptr(env->mem, gpa, sizeof(struct pvhv_vcpu_page));

	*err = p ? 0 : -PVHV_EFAULT;
	if (p && env->cpl3)
		*err = cpl3_guest_span(env->cpl3, gpa, sizeof(struct pvhv_vcpu_page), true, &p);
	return *err ? NULL : p;
}

int pvhv_register_page(const struct hc_env *env, struct pvhv_cpu *cpu, uint32_t pfn)
{
	uint64_t gpa = (uint64_t)pfn << PVHV_PAGE_SHIFT;
	struct pvhv_vcpu_page *p;
	int err;

	if (pfn == PVHV_PFN_NONE) {
		cpu->page_gpa = 0;
		if (env->cpl3)
			cpl3_page_registered(env->cpl3, 0);
		return cpu->register_result = 0;
	}
	p = page_at(env, gpa, &err);
	if (!p)
		return cpu->register_result = err;
	cpu->page_gpa = gpa;
	if (env->cpl3)
		cpl3_page_registered(env->cpl3, gpa);
	p->magic = PVHV_PAGE_MAGIC;
	p->abi_version = PVHV_ABI_VERSION;
	p->vcpu = cpu->index;
	p->apic_id = cpu->apic_id;
	p->ret = 0;
	p->calls = 0;
	return cpu->register_result = 0;
}

int64_t pvhv_doorbell(const struct hc_env *env, struct pvhv_cpu *cpu, uint32_t op,
		      struct vcpu_stats *st)
{
	struct pvhv_vcpu_page *p;
	uint64_t args[PVHV_HC_ARGS];
	int err;

	if (!cpu->page_gpa || !(p = page_at(env, cpu->page_gpa, &err)))
		return -PVHV_EINVAL;              /* no page: nowhere to answer */
	memcpy(args, p->args, sizeof(args));  /* one consistent copy */
	int64_t r = hc_dispatch(env, cpu->index, op, args, st);
	memcpy(p->args, args, sizeof(args));  /* results in args (RDMSR) */
	p->ret = r;
	p->calls++;
	return r;
}

_Static_assert(MON_PORT >= PVHV_PORT_BASE && MON_PORT < PVHV_PORT_BASE + PVHV_PORT_COUNT,
	       "the monitor's report port is one of pvhv's");
#define MON_REPORT_MAX 192

/* The monitor's report (deprivileged mode): it could not handle an event;
 * the VM ends (exit 70) with its words and the registers. */
static void monitor_report(struct io_ctx *c, uint32_t reason)
{
	char what[MON_REPORT_MAX];

	cpl3_fail_text(c->env->cpl3, reason, what, sizeof(what));
	if (c->env->fatal)
		c->env->fatal(c->env->ctx, c->cpu->index, what);
}

void pvhv_port_io(struct io_ctx *c, uint16_t off, bool out, int size, uint32_t *data)
{
	if (size != sizeof(uint32_t)) {
		if (!out)
			*data = PORT_NONE;
		return;                           /* the ABI is 32-bit accesses */
	}
	if (off == PVHV_PORT_REGISTER - PVHV_PORT_BASE) {
		if (out)
			pvhv_register_page(c->env, c->cpu, *data);
		else
			*data = (uint32_t)c->cpu->register_result;
	} else if (off == PVHV_PORT_DOORBELL - PVHV_PORT_BASE && out) {
		pvhv_doorbell(c->env, c->cpu, *data, c->st);
	} else if (off == MON_PORT - PVHV_PORT_BASE && out && c->env->cpl3) {
		monitor_report(c, *data);
	} else if (!out) {
		*data = PORT_NONE;
	}
}
