/*
 * abi/pc_ports.h - the PC's port-I/O devices both sides drive: pvk writes
 * them (kernel/arch/x86/uart.c, the native power-off), pvhv emulates them
 * (vmm/uart.c, vmm/ioport.c). The 16550's registers and bits have Linux's
 * uapi linux/serial_reg.h names; isa-debug-exit is QEMU's.
 */
#ifndef ABI_PC_PORTS_H
#define ABI_PC_PORTS_H

/* ---- a 16550 UART: registers are offsets from its base ------------------ */
#define COM1_BASE        0x3f8
#define UART_PORTS       8
#define UART_RX          0      /* in: receive buffer (DLAB=0) */
#define UART_TX          0      /* out: transmit holding (DLAB=0) */
#define UART_DLL         0      /* divisor latch low (DLAB=1) */
#define UART_IER         1      /* interrupt enable (DLAB=0) */
#define UART_DLM         1      /* divisor latch high (DLAB=1) */
#define UART_IIR         2      /* in: interrupt identification */
#define UART_FCR         2      /* out: FIFO control */
#define UART_LCR         3      /* line control */
#define UART_MCR         4      /* modem control */
#define UART_LSR         5      /* line status */
#define UART_MSR         6      /* modem status */
#define UART_SCR         7      /* scratch */

#define UART_LCR_WLEN8   0x03   /* 8 data bits (with no parity, 1 stop bit: 8N1) */
#define UART_LCR_DLAB    0x80   /* the divisor latch at DLL/DLM */
#define UART_FCR_ENABLE_FIFO 0x01
#define UART_FCR_CLEAR_RCVR  0x02
#define UART_FCR_CLEAR_XMIT  0x04
#define UART_MCR_DTR     0x01
#define UART_MCR_RTS     0x02
#define UART_LSR_THRE    0x20   /* transmit holding register empty */
#define UART_LSR_TEMT    0x40   /* transmitter empty */
#define UART_IIR_NO_INT  0x01   /* no interrupt pending */
#define UART_MSR_CTS     0x10   /* clear to send */
#define UART_MSR_DSR     0x20   /* data set ready */
#define UART_MSR_DCD     0x80   /* data carrier detect */

/* ---- QEMU's isa-debug-exit ---------------------------------------------- */
/* An OUT of v ends the machine: QEMU exits with (v << 1) | 1, pvhv with v. */
#define PORT_DEBUG_EXIT  0xf4
#define DEBUG_EXIT_PORTS 4

#endif /* ABI_PC_PORTS_H */
