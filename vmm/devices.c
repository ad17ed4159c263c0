/*
 * devices.c - the port I/O pvhv handles in user space: a 16550 on COM1
 * (enough for a polled driver: the transmitter is always empty), QEMU's
 * isa-debug-exit at 0xf4 (a guest's power-off with a status), and pvhv's
 * two doorbell ports. The PIT, PIC and speaker port live in KVM.
 */
#include <string.h>

#include "pvhv.h"

/* 16550 registers, offsets from COM1_BASE. */
#define UART_RBR_THR_DLL 0
#define UART_IER_DLM     1
#define UART_IIR_FCR     2
#define UART_LCR         3
#define UART_MCR         4
#define UART_LSR         5
#define UART_MSR         6
#define UART_SCR         7
#define UART_LCR_DLAB    0x80
#define UART_LSR_IDLE    0x60    /* THRE | TEMT: always ready to send */
#define UART_IIR_NONE    0x01    /* no interrupt pending */
#define UART_MSR_READY   0xb0    /* DCD | DSR | CTS */
#define PORT_NONE        0xffffffffu  /* what an undecoded port reads */

void uart_flush(struct uart *u, FILE *out)
{
	if (u->out_len && out) {
		fwrite(u->out, 1, u->out_len, out);
		fflush(out);
	}
	u->out_len = 0;
}

static void uart_put(struct uart *u, FILE *out, uint8_t c)
{
	u->out[u->out_len++] = (char)c;
	if (c == '\n' || u->out_len == sizeof(u->out))
		uart_flush(u, out);
}

static uint32_t uart_in(struct uart *u, int reg)
{
	bool dlab = u->lcr & UART_LCR_DLAB;

	switch (reg) {
	case UART_RBR_THR_DLL: return dlab ? u->dll : 0;   /* no input */
	case UART_IER_DLM:     return dlab ? u->dlm : u->ier;
	case UART_IIR_FCR:     return UART_IIR_NONE;
	case UART_LCR:         return u->lcr;
	case UART_MCR:         return u->mcr;
	case UART_LSR:         return UART_LSR_IDLE;
	case UART_MSR:         return UART_MSR_READY;
	default:               return u->scr;
	}
}

static void uart_out(struct io_ctx *c, int reg, uint8_t v)
{
	struct uart *u = c->uart;
	bool dlab = u->lcr & UART_LCR_DLAB;

	switch (reg) {
	case UART_RBR_THR_DLL:
		if (dlab) {
			u->dll = v;
		} else {
			uart_put(u, c->out, v);
			c->st->count[PVHV_STAT_UART_BYTES]++;
		}
		break;
	case UART_IER_DLM:
		if (dlab)
			u->dlm = v;
		else
			u->ier = v;
		break;
	case UART_LCR: u->lcr = v; break;
	case UART_MCR: u->mcr = v; break;
	case UART_SCR: u->scr = v; break;
	default: break;                       /* FCR, LSR, MSR: nothing to keep */
	}
}

int pv_register_page(const struct hc_env *env, struct pv_cpu *cpu, uint32_t pfn)
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

int64_t pv_doorbell(const struct hc_env *env, struct pv_cpu *cpu, uint32_t op,
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

static void pv_port(struct io_ctx *c, uint16_t port, bool out, int size,
		    uint32_t *data)
{
	c->st->count[PVHV_STAT_IO_PVHV]++;
	if (size != sizeof(uint32_t)) {
		if (!out)
			*data = PORT_NONE;
		return;                           /* the ABI is 32-bit accesses */
	}
	if (port == PVHV_PORT_REGISTER) {
		if (out)
			pv_register_page(c->env, c->cpu, *data);
		else
			*data = (uint32_t)c->cpu->register_result;
	} else if (port == PVHV_PORT_DOORBELL && out) {
		pv_doorbell(c->env, c->cpu, *data, c->st);
	} else if (!out) {
		*data = PORT_NONE;
	}
}

void io_access(struct io_ctx *c, uint16_t port, bool out, int size,
	       uint32_t *data)
{
	c->st->count[PVHV_STAT_IO]++;
	if (port >= COM1_BASE && port < COM1_BASE + COM1_PORTS) {
		c->st->count[PVHV_STAT_IO_UART]++;
		pthread_mutex_lock(c->uart_lock);
		if (out)
			uart_out(c, port - COM1_BASE, (uint8_t)*data);
		else
			*data = uart_in(c->uart, port - COM1_BASE);
		pthread_mutex_unlock(c->uart_lock);
	} else if (port >= DEBUG_EXIT_PORT && port < DEBUG_EXIT_PORT + DEBUG_EXIT_PORTS) {
		c->st->count[PVHV_STAT_IO_DEBUG_EXIT]++;
		if (out && c->env->power)
			c->env->power(c->env->ctx, false,
				      *data > PVHV_STATUS_MAX ? PVHV_STATUS_MAX : (int)*data);
		else if (!out)
			*data = PORT_NONE;
	} else if (c->pv && port >= PVHV_PORT_BASE && port < PVHV_PORT_BASE + PVHV_PORT_COUNT) {
		pv_port(c, port, out, size, data);
	} else {
		c->st->count[PVHV_STAT_IO_OTHER]++;
		if (!out)
			*data = PORT_NONE;
	}
}
