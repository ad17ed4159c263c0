/*
 * uart.c - a 16550 UART on COM1, polled. Every byte is an OUT (and every
 * poll of the line status an IN): under a hypervisor each is a VM exit,
 * which is why a hypervisor's own console op is worth having.
 */
#include <asm/uart.h>
#include <asm/x86.h>

#define COM1     0x3f8
#define UART_THR 0       /* transmit holding (DLAB=0) */
#define UART_DLL 0       /* divisor latch low (DLAB=1) */
#define UART_IER 1       /* interrupt enable (DLAB=0) */
#define UART_DLM 1       /* divisor latch high (DLAB=1) */
#define UART_FCR 2       /* FIFO control */
#define UART_LCR 3       /* line control */
#define UART_MCR 4       /* modem control */
#define UART_LSR 5       /* line status */

#define LCR_8N1   0x03
#define LCR_DLAB  0x80
#define FCR_ENABLE_CLEAR 0x07
#define MCR_DTR_RTS 0x03
#define LSR_THRE  0x20   /* transmit holding register empty */
#define BAUD_115200_DIVISOR 1

void uart_init(void)
{
	outb(COM1 + UART_IER, 0);
	outb(COM1 + UART_LCR, LCR_DLAB);
	outb(COM1 + UART_DLL, BAUD_115200_DIVISOR);
	outb(COM1 + UART_DLM, 0);
	outb(COM1 + UART_LCR, LCR_8N1);
	outb(COM1 + UART_FCR, FCR_ENABLE_CLEAR);
	outb(COM1 + UART_MCR, MCR_DTR_RTS);
}

static void put(char c)
{
	/* Bounded: a missing UART must not hang the kernel. */
	for (int i = 0; i < 100000 && !(inb(COM1 + UART_LSR) & LSR_THRE); i++)
		cpu_relax();
	outb(COM1 + UART_THR, (u8)c);
}

void uart_write(const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '\n')
			put('\r');
		put(buf[i]);
	}
}
