/*
 * uart.c - a 16550A on COM1: the transmitter is always empty (a byte
 * written is sent at once), there is no input, and the guest's bytes go
 * to pvhv's stdout a line at a time. A polled driver (pvk, Linux's
 * console) just writes; an interrupt-driven one (Linux's tty layer, for a
 * user program's writes) enables the THR-empty interrupt (IER bit 1) and
 * gets IRQ 4 as a 16550 gives it: pending whenever the THR is empty and
 * the interrupt is enabled, taken by a read of IIR or a write of THR, and
 * raised again at once after a write (the byte is gone), so the line
 * rises once per batch the driver writes (an edge for the IO-APIC). With
 * the FIFOs enabled IIR says so and the driver writes 16 bytes an
 * interrupt. One device of the port table (ioport.c); the registers are
 * offsets from COM1_BASE.
 */
#include "pvhv.h"

/* What pvhv's 16550 always says: ready to send, nothing pending, a peer. */
#define UART_LSR_IDLE    (UART_LSR_THRE | UART_LSR_TEMT)
#define UART_MSR_READY   (UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS)

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

/* Put the interrupt line where the pending interrupt says. */
static void uart_update_irq(struct io_ctx *c)
{
	struct uart *u = c->uart;
	bool want = (u->ier & UART_IER_THRI) && u->thri_pending;

	if (want == u->irq_level)
		return;
	u->irq_level = want;
	if (c->env && c->env->set_irq)
		c->env->set_irq(c->env->ctx, UART_IRQ, want);
}

static uint32_t uart_iir(struct io_ctx *c)
{
	struct uart *u = c->uart;
	uint32_t fifo = u->fifo ? UART_IIR_FIFO_ENABLED : 0;

	if ((u->ier & UART_IER_THRI) && u->thri_pending) {
		u->thri_pending = false;          /* reading IIR takes it */
		uart_update_irq(c);
		return UART_IIR_THRI | fifo;
	}
	return UART_IIR_NO_INT | fifo;
}

static uint32_t uart_in(struct io_ctx *c, uint16_t reg)
{
	struct uart *u = c->uart;
	bool dlab = u->lcr & UART_LCR_DLAB;

	switch (reg) {
	case UART_RX:          return dlab ? u->dll : 0;   /* no input */
	case UART_IER:         return dlab ? u->dlm : u->ier;
	case UART_IIR:         return uart_iir(c);
	case UART_LCR:         return u->lcr;
	case UART_MCR:         return u->mcr;
	case UART_LSR:         return UART_LSR_IDLE;
	case UART_MSR:         return UART_MSR_READY;
	default:               return u->scr;
	}
}

static void uart_out(struct io_ctx *c, uint16_t reg, uint8_t v)
{
	struct uart *u = c->uart;
	bool dlab = u->lcr & UART_LCR_DLAB;

	switch (reg) {
	case UART_TX:
		if (dlab) {
			u->dll = v;
		} else {
			u->thri_pending = false;      /* writing THR takes it ... */
			uart_update_irq(c);
			uart_put(u, c->out, v);
			c->st->count[PVHV_STAT_UART_BYTES]++;
			u->thri_pending = true;       /* ... and it is empty again */
			uart_update_irq(c);
		}
		break;
	case UART_IER:
		if (dlab) {
			u->dlm = v;
		} else {
			/* enabling it with the THR empty raises it (Linux's
			 * serial8250_startup checks exactly that) */
			if ((v & UART_IER_THRI) && !(u->ier & UART_IER_THRI))
				u->thri_pending = true;
			u->ier = v & UART_IER_MASK;
			uart_update_irq(c);
		}
		break;
	case UART_FCR: u->fifo = v & UART_FCR_ENABLE_FIFO; break;
	case UART_LCR: u->lcr = v; break;
	case UART_MCR: u->mcr = v; break;
	case UART_SCR: u->scr = v; break;
	default: break;                       /* LSR, MSR: nothing to keep */
	}
}

void uart_io(struct io_ctx *c, uint16_t reg, bool out, int size, uint32_t *data)
{
	(void)size;                           /* a byte register: the low byte */
	pthread_mutex_lock(c->uart_lock);
	if (out)
		uart_out(c, reg, (uint8_t)*data);
	else
		*data = uart_in(c, reg);
	pthread_mutex_unlock(c->uart_lock);
}
