/*
 * uart.c - a 16550 on COM1, enough for a polled driver: the transmitter
 * is always empty, there is no input, and the guest's bytes go to
 * pvhv's stdout a line at a time. One device of the port table
 * (ioport.c); the registers are offsets from COM1_BASE.
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

static uint32_t uart_in(struct uart *u, uint16_t reg)
{
	bool dlab = u->lcr & UART_LCR_DLAB;

	switch (reg) {
	case UART_RX:          return dlab ? u->dll : 0;   /* no input */
	case UART_IER:         return dlab ? u->dlm : u->ier;
	case UART_IIR:         return UART_IIR_NO_INT;
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
			uart_put(u, c->out, v);
			c->st->count[PVHV_STAT_UART_BYTES]++;
		}
		break;
	case UART_IER:
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

void uart_io(struct io_ctx *c, uint16_t reg, bool out, int size, uint32_t *data)
{
	(void)size;                           /* a byte register: the low byte */
	pthread_mutex_lock(c->uart_lock);
	if (out)
		uart_out(c, reg, (uint8_t)*data);
	else
		*data = uart_in(c->uart, reg);
	pthread_mutex_unlock(c->uart_lock);
}
