/*
 * uart.c - a 16550 UART on COM1, polled. Every byte is an OUT (and every
 * poll of the line status an IN): under a hypervisor each is a VM exit,
 * which is why a hypervisor's own console op is worth having.
 */
#include <asm/uart.h>
#include <asm/x86.h>
#include <abi/pc_ports.h>

#define BAUD_115200_DIVISOR 1

void uart_init(void)
{
	outb(COM1_BASE + UART_IER, 0);
	outb(COM1_BASE + UART_LCR, UART_LCR_DLAB);
	outb(COM1_BASE + UART_DLL, BAUD_115200_DIVISOR);
	outb(COM1_BASE + UART_DLM, 0);
	outb(COM1_BASE + UART_LCR, UART_LCR_WLEN8);
	outb(COM1_BASE + UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR_CLEAR_RCVR |
	     UART_FCR_CLEAR_XMIT);
	outb(COM1_BASE + UART_MCR, UART_MCR_DTR | UART_MCR_RTS);
}

static void put(char c)
{
	/* Bounded: a missing UART must not hang the kernel. */
	for (int i = 0; i < 100000 && !(inb(COM1_BASE + UART_LSR) & UART_LSR_THRE); i++)
		cpu_relax();
	outb(COM1_BASE + UART_TX, (u8)c);
}

void uart_write(const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '\n')
			put('\r');
		put(buf[i]);
	}
}
