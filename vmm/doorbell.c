/*
 * doorbell.c - pvhv's two ports (docs/pvhv-abi.md, "The protocol"): a
 * 32-bit OUT of a frame number to PVHV_PORT_REGISTER registers the vCPU's
 * shared page (an IN reads the outcome); a 32-bit OUT of an operation
 * number to PVHV_PORT_DOORBELL runs it with the arguments in that page
 * (hypercall.c) and writes the result there. One device of the port
 * table (ioport.c), present unless --no-pv.
 */
#include <string.h>

#include "pvhv.h"

int pvhv_register_page(const struct hc_env *env, struct pvhv_cpu *cpu, uint32_t pfn)
{
	uint64_t gpa = (uint64_t)pfn << PVHV_PAGE_SHIFT;
	struct pvhv_vcpu_page *p;

	if (pfn == PVHV_PFN_NONE) {
		cpu->page_gpa = 0;
		return cpu->register_result = 0;
	}
	p = gm_ptr(env->mem, gpa, sizeof(*p));
	if (!p)
		return cpu->register_result = -PVHV_EFAULT;
	cpu->page_gpa = gpa;
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

	if (!cpu->page_gpa || !(p = gm_ptr(env->mem, cpu->page_gpa, sizeof(*p))))
		return -PVHV_EINVAL;              /* no page: nowhere to answer */
	memcpy(args, p->args, sizeof(args));  /* one consistent copy */
	int64_t r = hc_dispatch(env, cpu->index, op, args, st);
	p->ret = r;
	p->calls++;
	return r;
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
	} else if (!out) {
		*data = PORT_NONE;
	}
}
