/*
 * t_pvhv_pc.c - the PC devices of vmm/pc.c as a guest drives them: the
 * RTC (BCD and binary, 24- and 12-hour, update-in-progress never set),
 * CMOS RAM, ACPI's PM1a block and PM timer (S5 powers off), and the PCI
 * configuration ports with the reset register 0xcf9; and the FADT/DSDT
 * that point a guest at them (vmm/acpi.c). Clocks are fixed by the test.
 * Built into build/tests/pvhv-unit, with ASan and UBSan (vmm/vmm.mk).
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include <abi/acpi.h>
#include "pvhv.h"

static int powers, power_status;
static bool power_reboot;
static struct pcdev pc;
static struct pvhv_cpu cpu;
static struct vcpu_stats st;
static struct uart uart;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int64_t wall_now;
static uint64_t mono_now;

static void r_power(void *c, bool reboot, int status)
{
	(void)c;
	powers++, power_status = status, power_reboot = reboot;
}

static int irq_level = 0, irq_rises = 0, irq_calls = 0;
static void r_set_irq(void *c, uint32_t irq, int level)
{
	(void)c;
	cr_assert_eq(irq, UART_IRQ);
	irq_calls++;
	irq_rises += level && !irq_level;
	irq_level = level;
}

static int64_t t_wall(void) { return wall_now; }
static uint64_t t_mono(void) { return mono_now; }

static struct hc_env env = { .nr_vcpus = 1, .power = r_power, .set_irq = r_set_irq };
static struct io_ctx ctx = { .env = &env, .pv = true, .uart = &uart, .uart_lock = &lock,
			     .pc = &pc, .cpu = &cpu, .st = &st };

static void setup(void)
{
	pc.wall = t_wall;
	pc.mono_ns = t_mono;
	pcdev_init(&pc);
	powers = 0;
	power_reboot = false;
	wall_now = 1798761599;          /* 2026-12-31 23:59:59 UTC, a Thursday */
	mono_now = 0;
	memset(&uart, 0, sizeof(uart));
	irq_level = irq_rises = irq_calls = 0;
	ctx.out = NULL;
}

static uint32_t in(uint16_t port, int size)
{
	uint32_t v = 0x12345678;
	io_access(&ctx, port, false, size, &v);
	return v;
}

static void outp(uint16_t port, int size, uint32_t v)
{
	io_access(&ctx, port, true, size, &v);
}

static uint8_t cmos(uint8_t reg)
{
	outp(0x70, 1, reg | CMOS_NMI_DISABLE);    /* Linux sets the NMI bit too */
	return (uint8_t)in(0x71, 1);
}

TestSuite(pvhv_pc, .init = setup);

Test(pvhv_pc, rtc_reads_the_host_clock_in_bcd_24h)
{
	cr_assert_eq(cmos(RTC_SECONDS), 0x59);
	cr_assert_eq(cmos(RTC_MINUTES), 0x59);
	cr_assert_eq(cmos(RTC_HOURS), 0x23);
	cr_assert_eq(cmos(RTC_DAY_OF_WEEK), 5);   /* Thursday; Sunday is 1 */
	cr_assert_eq(cmos(RTC_DAY_OF_MONTH), 0x31);
	cr_assert_eq(cmos(RTC_MONTH), 0x12);
	cr_assert_eq(cmos(RTC_YEAR), 0x26);
	cr_assert_eq(cmos(RTC_CENTURY), 0x20);
	wall_now++;                                /* the clock moves */
	cr_assert_eq(cmos(RTC_SECONDS), 0x00);
	cr_assert_eq(cmos(RTC_YEAR), 0x27);
	cr_assert_eq(cmos(RTC_MONTH), 0x01);
}

Test(pvhv_pc, rtc_status_registers_never_make_a_reader_wait)
{
	cr_assert_eq(cmos(RTC_REG_A) & RTC_UIP, 0);
	cr_assert_eq(cmos(RTC_REG_A), RTC_REF_32KHZ | RTC_RATE_1024HZ);
	cr_assert_eq(cmos(RTC_REG_B), RTC_24H);
	cr_assert_eq(cmos(RTC_REG_C), 0);
	cr_assert_eq(cmos(RTC_REG_D), RTC_VRT);
	outp(0x70, 1, RTC_REG_A);
	outp(0x71, 1, 0xff);                       /* UIP is read-only */
	cr_assert_eq(cmos(RTC_REG_A) & RTC_UIP, 0);
	outp(0x70, 1, RTC_REG_D);
	outp(0x71, 1, 0);                          /* D is read-only */
	cr_assert_eq(cmos(RTC_REG_D), RTC_VRT);
	cr_assert_eq(in(0x70, 1), 0xffffffffu);    /* the index port is write-only */
}

Test(pvhv_pc, rtc_binary_and_12_hour_modes)
{
	outp(0x70, 1, RTC_REG_B);
	outp(0x71, 1, RTC_DM_BINARY | RTC_24H);
	cr_assert_eq(cmos(RTC_HOURS), 23);
	cr_assert_eq(cmos(RTC_YEAR), 26);
	outp(0x70, 1, RTC_REG_B);
	outp(0x71, 1, RTC_DM_BINARY);              /* 12-hour */
	cr_assert_eq(cmos(RTC_HOURS), 11 | RTC_HOUR_PM);
	wall_now = 1798675200;                     /* 2026-12-31 00:00:00: 12 AM */
	cr_assert_eq(cmos(RTC_HOURS), 12);
	outp(0x70, 1, RTC_REG_B);
	outp(0x71, 1, 0);                          /* BCD, 12-hour */
	wall_now = 1798675200 + 13 * 3600;         /* 1 PM */
	cr_assert_eq(cmos(RTC_HOURS), 0x01 | RTC_HOUR_PM);
}

Test(pvhv_pc, cmos_ram_keeps_bytes_but_not_the_time)
{
	outp(0x70, 1, 0x40);
	outp(0x71, 1, 0xa5);
	outp(0x70, 1, RTC_SECONDS);
	outp(0x71, 1, 0x12);                       /* the host's clock rules */
	cr_assert_eq(cmos(0x40), 0xa5);
	cr_assert_eq(cmos(RTC_SECONDS), 0x59);
	outp(0x70, 1, 0xff);                       /* index masked to 7 bits */
	outp(0x71, 1, 0x5a);
	cr_assert_eq(cmos(0x7f), 0x5a);
}

Test(pvhv_pc, pm_timer_counts_at_3579545_hz_in_32_bits)
{
	uint16_t tmr = PORT_ACPI_PM + ACPI_PM_TMR;

	cr_assert_eq(in(tmr, 4), 0);
	mono_now = 1000000000ull;                  /* one second */
	cr_assert_eq(in(tmr, 4), 3579545);
	mono_now = 1000000ull;                     /* a millisecond */
	cr_assert_eq(in(tmr, 4), 3579);
	/* 2^32 ticks (about 1200 s) wrap, without overflow in between */
	mono_now = 3600ull * 1000000000ull;
	cr_assert_eq(in(tmr, 4), (uint32_t)(3600ull * 3579545));
	mono_now = 400ull * 365 * 86400 * 1000000000ull;   /* a long-running host */
	uint64_t secs = mono_now / 1000000000ull;
	cr_assert_eq(in(tmr, 4), (uint32_t)(secs * 3579545));
}

Test(pvhv_pc, pm1_control_is_in_acpi_mode_and_s5_powers_off)
{
	uint16_t cnt = PORT_ACPI_PM + ACPI_PM1_CNT, sts = PORT_ACPI_PM + ACPI_PM1_STS;

	cr_assert_eq(in(cnt, 2) & ACPI_PM1_SCI_EN, ACPI_PM1_SCI_EN);
	cr_assert_eq(in(sts, 2), 0);               /* no event, ever */
	outp(PORT_ACPI_PM + ACPI_PM1_EN, 2, 0x0100);
	cr_assert_eq(in(PORT_ACPI_PM + ACPI_PM1_EN, 2), 0x0100);
	cr_assert_eq(in(sts, 4), 0x01000000);      /* status and enable as one dword */
	/* SLP_TYP alone (ACPICA writes it first), another state: nothing */
	outp(cnt, 2, ACPI_S5_SLP_TYP << ACPI_PM1_SLP_TYP_SHIFT);
	outp(cnt, 2, (1 << ACPI_PM1_SLP_TYP_SHIFT) | ACPI_PM1_SLP_EN);
	cr_assert_eq(powers, 0);
	cr_assert_eq(in(cnt, 2) & ACPI_PM1_SLP_EN, 0, "SLP_EN is write-only");
	outp(cnt, 2, (ACPI_S5_SLP_TYP << ACPI_PM1_SLP_TYP_SHIFT) | ACPI_PM1_SLP_EN);
	cr_assert_eq(powers, 1);
	cr_assert(!power_reboot);
	cr_assert_eq(power_status, PVHV_EXIT_POWER_OFF);
}

Test(pvhv_pc, pci_config_is_absent_and_0xcf9_resets)
{
	outp(0xcf8, 4, 0x80000000u);
	cr_assert_eq(in(0xcf8, 4), 0xffffffffu, "CONFIG_ADDRESS must not read back");
	cr_assert_eq(in(0xcfc, 4), 0xffffffffu);
	cr_assert_eq(in(0xcfe, 2) & 0xffff, 0xffffu);
	outp(0xcfc, 4, 0);
	outp(0xcf8, 4, 0x06);                      /* a dword at 0xcf8 is not 0xcf9 */
	cr_assert_eq(powers, 0);
	outp(0xcf9, 1, RST_CNT_SYS_RST);           /* SYS_RST alone: no reset yet */
	cr_assert_eq(powers, 0);
	cr_assert_eq(in(0xcf9, 1), RST_CNT_SYS_RST);
	outp(0xcf9, 1, RST_CNT_RESET);
	cr_assert_eq(powers, 1);
	cr_assert(power_reboot);
	cr_assert_eq(power_status, PVHV_EXIT_RESET);
}

/* The FADT as ACPICA reads it: found through the XSDT, its PM block and
 * reset register where pc.c answers, and a DSDT whose \_S5 names the
 * SLP_TYP pc.c powers off on. */
Test(pvhv_pc, fadt_and_dsdt_point_at_the_devices)
{
	struct guest_mem gm = { calloc(1, 2u << 20), 2u << 20 };
	const char *why;
	uint64_t rsdp = build_acpi_tables(&gm, 2, &why);
	struct acpi_rsdp r;
	struct acpi_header x;
	struct acpi_fadt f;

	cr_assert_neq(rsdp, 0, "%s", why);
	memcpy(&r, gm.host + rsdp, sizeof(r));
	memcpy(&x, gm.host + r.xsdt_address, sizeof(x));
	uint64_t fadt = 0;
	for (uint32_t off = ACPI_HEADER_LEN; off + 8 <= x.length; off += 8) {
		uint64_t pa;
		memcpy(&pa, gm.host + r.xsdt_address + off, 8);
		if (!memcmp(gm.host + pa, "FACP", 4))
			fadt = pa;
	}
	cr_assert_neq(fadt, 0, "no FADT in the XSDT");
	memcpy(&f, gm.host + fadt, sizeof(f));
	cr_assert_eq(f.h.length, 276);
	cr_assert_eq(acpi_checksum(gm.host + fadt, f.h.length), 0);
	cr_assert_eq(f.pm1a_cnt_blk, 0x604);
	cr_assert_eq(f.pm1a_evt_blk, 0x600);
	cr_assert_eq(f.pm_tmr_blk, 0x608);
	cr_assert_eq(f.pm1_evt_len, 4);
	cr_assert_eq(f.pm1_cnt_len, 2);
	cr_assert_eq(f.pm_tmr_len, 4);
	cr_assert_eq(f.x_pm1a_cnt_blk.address, 0x604);
	cr_assert(f.flags & ACPI_FADT_32BIT_TIMER);
	cr_assert(f.flags & ACPI_FADT_RESET_REGISTER);
	cr_assert_eq(f.reset_reg.space_id, ACPI_GAS_SYSTEM_IO);
	cr_assert_eq(f.reset_reg.address, 0xcf9);
	cr_assert_eq(f.reset_reg.bit_width, 8);
	cr_assert_eq(f.reset_value, RST_CNT_RESET);
	cr_assert_eq(f.smi_cmd, 0);
	cr_assert_eq(f.century, RTC_CENTURY);
	cr_assert_eq(f.dsdt, f.x_dsdt);

	/* the DSDT: checksummed, and Name(_S5, Package(4){5, 5, 0, 0}) */
	struct acpi_header d;
	memcpy(&d, gm.host + f.x_dsdt, sizeof(d));
	cr_assert_eq(memcmp(d.signature, "DSDT", 4), 0);
	cr_assert_eq(acpi_checksum(gm.host + f.x_dsdt, d.length), 0);
	static const uint8_t s5[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x08, 0x04,
				      0x0a, ACPI_S5_SLP_TYP, 0x0a, ACPI_S5_SLP_TYP, 0, 0 };
	cr_assert_eq(d.length, ACPI_HEADER_LEN + sizeof(s5));
	cr_assert_eq(memcmp(gm.host + f.x_dsdt + ACPI_HEADER_LEN, s5, sizeof(s5)), 0);
	/* every table inside the E820_ACPI region */
	cr_assert(fadt >= PVHV_ACPI_GPA && fadt + f.h.length <= PVHV_ACPI_GPA + PVHV_ACPI_SIZE);
	cr_assert(f.x_dsdt >= PVHV_ACPI_GPA &&
		  f.x_dsdt + d.length <= PVHV_ACPI_GPA + PVHV_ACPI_SIZE);
	free(gm.host);
}

/* The THR-empty interrupt as Linux's 8250 driver uses it: enabling it
 * with the THR empty raises IRQ 4; reading IIR takes it (the line
 * drops); each write of THR takes it and raises it again, one edge per
 * write; disabling it drops the line; the FIFOs show in IIR. */
Test(pvhv_pc, uart_thr_empty_interrupt)
{
	cr_assert_eq(in(0x3fa, 1) & 0x0f, UART_IIR_NO_INT);
	outp(0x3fa, 1, UART_FCR_ENABLE_FIFO);
	cr_assert_eq(in(0x3fa, 1), UART_IIR_NO_INT | UART_IIR_FIFO_ENABLED);
	cr_assert_eq(irq_calls, 0, "no interrupt while it is disabled");
	outp(0x3f9, 1, UART_IER_THRI);
	cr_assert_eq(irq_level, 1);
	cr_assert_eq(irq_rises, 1);
	cr_assert_eq(in(0x3fa, 1), UART_IIR_THRI | UART_IIR_FIFO_ENABLED);
	cr_assert_eq(irq_level, 0, "reading IIR takes the interrupt");
	cr_assert_eq(in(0x3fa, 1) & 0x0f, UART_IIR_NO_INT, "taken once");
	for (int i = 0; i < 3; i++)
		outp(0x3f8, 1, 'a');
	cr_assert_eq(irq_rises, 4, "one edge per byte written");
	cr_assert_eq(irq_level, 1);
	outp(0x3f9, 1, 0);
	cr_assert_eq(irq_level, 0, "disabled: the line drops");
	cr_assert_eq(in(0x3fa, 1) & 0x0f, UART_IIR_NO_INT);
	/* only the 16550's four enable bits exist (Linux tests bit 6 for an XScale) */
	outp(0x3f9, 1, 0x40);
	cr_assert_eq(in(0x3f9, 1), 0);
	cr_assert_eq(uart.out_len, 3);
}
