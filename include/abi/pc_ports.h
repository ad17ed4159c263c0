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
#define UART_IER_THRI    0x02   /* interrupt when the transmit holding register empties */
#define UART_IER_MASK    0x0f   /* the 16550's four enable bits; the rest read 0 */
#define UART_IIR_THRI    0x02   /* the pending interrupt: THR empty */
#define UART_IIR_FIFO_ENABLED 0xc0  /* FIFOs on (a 16550A) */
#define UART_IRQ         4      /* COM1's ISA IRQ */
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

/* ---- the MC146818 RTC and its CMOS RAM (index 0x70, data 0x71) ---------- */
#define PORT_CMOS_INDEX  0x70   /* out: register index; bit 7 masks NMI */
#define CMOS_PORTS       2
#define CMOS_DATA        1      /* offset of the data port */
#define CMOS_NMI_DISABLE 0x80
#define CMOS_INDEX_MASK  0x7f
#define CMOS_SIZE        128
#define RTC_SECONDS      0x00
#define RTC_MINUTES      0x02
#define RTC_HOURS        0x04
#define RTC_DAY_OF_WEEK  0x06   /* 1 = Sunday */
#define RTC_DAY_OF_MONTH 0x07
#define RTC_MONTH        0x08
#define RTC_YEAR         0x09   /* two digits */
#define RTC_REG_A        0x0a
#define RTC_REG_B        0x0b
#define RTC_REG_C        0x0c
#define RTC_REG_D        0x0d
#define RTC_CENTURY      0x32   /* the FADT's century index points here */
#define RTC_UIP          0x80   /* A: update in progress */
#define RTC_REF_32KHZ    0x20   /* A: divider, the 32.768 kHz time base */
#define RTC_RATE_1024HZ  0x06   /* A: periodic rate */
#define RTC_SET          0x80   /* B: updates stopped while the guest sets */
#define RTC_DM_BINARY    0x04   /* B: binary, not BCD */
#define RTC_24H          0x02   /* B: 24-hour mode */
#define RTC_HOUR_PM      0x80   /* hours, 12-hour mode: PM */
#define RTC_VRT          0x80   /* D: valid RAM and time (the battery is fine) */

/* ---- ACPI's fixed hardware (PM1a event and control, PM timer) ------------ */
#define PORT_ACPI_PM     0x600  /* pvhv's PM block; the FADT points here */
#define ACPI_PM_PORTS    12
#define ACPI_PM1_STS     0x0    /* PM1a_EVT_BLK: status (16 bits) ... */
#define ACPI_PM1_EN      0x2    /* ... and enable (16 bits) */
#define ACPI_PM1_EVT_LEN 4
#define ACPI_PM1_CNT     0x4    /* PM1a_CNT_BLK (16 bits) */
#define ACPI_PM1_CNT_LEN 2
#define ACPI_PM_TMR      0x8    /* PM_TMR_BLK (32 bits with TMR_VAL_EXT) */
#define ACPI_PM_TMR_LEN  4
#define ACPI_PM1_SCI_EN  0x0001 /* PM1_CNT: ACPI mode (always, no SMI_CMD) */
#define ACPI_PM1_SLP_TYP_SHIFT 10
#define ACPI_PM1_SLP_TYP_MASK  0x7
#define ACPI_PM1_SLP_EN  0x2000 /* PM1_CNT: enter the sleep state in SLP_TYP */
#define ACPI_PM_TMR_HZ   3579545ull
#define ACPI_S5_SLP_TYP  5      /* what pvhv's DSDT's \_S5 says */
#define ACPI_SCI_IRQ     9

/* ---- PCI configuration mechanism 1, and the reset control register ------- */
#define PORT_PCI_CONF    0xcf8  /* CONFIG_ADDRESS at 0xcf8, CONFIG_DATA at 0xcfc */
#define PCI_CONF_PORTS   8
#define PCI_RST_CNT_OFF  1      /* 0xcf9: reset control, a byte register */
#define PORT_RST_CNT     (PORT_PCI_CONF + PCI_RST_CNT_OFF)
#define RST_CNT_SYS_RST  0x02
#define RST_CNT_RST_CPU  0x04   /* writing it resets the machine */
#define RST_CNT_RESET    (RST_CNT_SYS_RST | RST_CNT_RST_CPU)  /* the FADT's value */

#endif /* ABI_PC_PORTS_H */
