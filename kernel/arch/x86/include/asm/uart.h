/* uart.h - the 16550 on COM1, polled: pvk's native console. */
#ifndef ASM_UART_H
#define ASM_UART_H

#include <types.h>

/* uart_init - 115200 8N1, FIFOs on, interrupts off. */
void uart_init(void);

/* uart_write - write len bytes, "\n" as "\r\n"; the native console_write. */
void uart_write(const char *buf, size_t len);

#endif /* ASM_UART_H */
