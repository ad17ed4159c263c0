/*
 * pc.c - the rest of the PC a stock kernel (Debian's Linux) looks for, as
 * port devices of the table in ioport.c:
 *
 *   the RTC and CMOS RAM (0x70/0x71): the host's wall clock (UTC), BCD
 *     and 24-hour unless the guest sets register B otherwise; update in
 *     progress never set, so a reader never polls; register D says the
 *     time is valid. Writes of the time are ignored (the host's clock
 *     rules); the other CMOS bytes are RAM.
 *   ACPI's fixed hardware (0x600..0x60b, named by the FADT, acpi.c): PM1a
 *     status/enable, PM1a control (always in ACPI mode; SLP_EN with
 *     SLP_TYP = \_S5's value powers off), and the 3.579545 MHz PM timer
 *     (32 bits), which a guest without kvmclock can calibrate its TSC on.
 *   the PCI configuration ports (0xcf8..0xcff): no PCI at all. Reads are
 *     all ones, so CONFIG_ADDRESS does not read back and a kernel finds no
 *     configuration mechanism; writes are ignored. A byte write of
 *     RST_CPU to 0xcf9 (the reset control register, also the FADT's reset
 *     register) resets: pvhv ends with PVHV_EXIT_RESET.
 *
 * Sources: the MC146818A data sheet (registers A-D); ACPI 6.5 4.8
 * (fixed hardware registers), 5.2.9 (FADT); Intel ICH9 datasheet 13.7.5
 * (RST_CNT, 0xcf9); PCI Local Bus 3.0, 3.2.2.3.2 (mechanism 1).
 */
#include <string.h>
#include <time.h>

#include "pvhv.h"

#define NSEC_PER_SEC     1000000000ull
#define YEARS_PER_CENTURY 100
#define TM_YEAR_BASE     1900
#define HOURS_HALF_DAY   12

static uint8_t to_bcd(unsigned v)
{
	return (uint8_t)(((v / 10) << 4) | (v % 10));
}

static int64_t default_wall(void)
{
	return (int64_t)time(NULL);
}

static uint64_t default_mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * NSEC_PER_SEC + (uint64_t)t.tv_nsec;
}

/* The time register `reg` now, in the format register B asks for. */
static uint8_t rtc_time_reg(const struct pcdev *d, uint8_t reg)
{
	time_t now = (time_t)(d->wall ? d->wall() : default_wall());
	struct tm tm;
	unsigned v;
	uint8_t pm = 0;

	gmtime_r(&now, &tm);
	switch (reg) {
	case RTC_SECONDS:      v = (unsigned)tm.tm_sec; break;
	case RTC_MINUTES:      v = (unsigned)tm.tm_min; break;
	case RTC_HOURS:
		v = (unsigned)tm.tm_hour;
		if (!(d->cmos[RTC_REG_B] & RTC_24H)) {
			pm = v >= HOURS_HALF_DAY ? RTC_HOUR_PM : 0;
			v %= HOURS_HALF_DAY;
			if (v == 0)
				v = HOURS_HALF_DAY;
		}
		break;
	case RTC_DAY_OF_WEEK:  v = (unsigned)tm.tm_wday + 1; break;
	case RTC_DAY_OF_MONTH: v = (unsigned)tm.tm_mday; break;
	case RTC_MONTH:        v = (unsigned)tm.tm_mon + 1; break;
	case RTC_YEAR:         v = (unsigned)(tm.tm_year + TM_YEAR_BASE) % YEARS_PER_CENTURY; break;
	default:               v = (unsigned)(tm.tm_year + TM_YEAR_BASE) / YEARS_PER_CENTURY; break;
	}
	return (uint8_t)((d->cmos[RTC_REG_B] & RTC_DM_BINARY ? v : to_bcd(v)) | pm);
}

static bool is_time_reg(uint8_t reg)
{
	return reg == RTC_SECONDS || reg == RTC_MINUTES || reg == RTC_HOURS ||
	       reg == RTC_DAY_OF_WEEK || reg == RTC_DAY_OF_MONTH || reg == RTC_MONTH ||
	       reg == RTC_YEAR || reg == RTC_CENTURY;
}

void pcdev_init(struct pcdev *d)
{
	pthread_mutex_init(&d->lock, NULL);
	memset(d->cmos, 0, sizeof(d->cmos));
	d->cmos[RTC_REG_A] = RTC_REF_32KHZ | RTC_RATE_1024HZ;
	d->cmos[RTC_REG_B] = RTC_24H;
	d->cmos[RTC_REG_D] = RTC_VRT;
	d->index = 0;
	d->pm1_en = 0;
	d->pm1_cnt = ACPI_PM1_SCI_EN;
	d->rst_cnt = 0;
}

void cmos_io(struct io_ctx *c, uint16_t off, bool out, int size, uint32_t *data)
{
	struct pcdev *d = c->pc;

	(void)size;                           /* byte registers: the low byte */
	pthread_mutex_lock(&d->lock);
	if (off != CMOS_DATA) {               /* the index port */
		if (out)
			d->index = (uint8_t)(*data & CMOS_INDEX_MASK);
		else
			*data = PORT_NONE;            /* write-only on a PC */
	} else if (out) {
		uint8_t v = (uint8_t)*data;

		switch (d->index) {
		case RTC_REG_A: d->cmos[RTC_REG_A] = v & (uint8_t)~RTC_UIP; break;
		case RTC_REG_C: case RTC_REG_D: break;       /* read-only */
		default:
			if (!is_time_reg(d->index))   /* the time: the host's */
				d->cmos[d->index] = v;
		}
	} else {
		switch (d->index) {
		case RTC_REG_C: *data = 0; break;          /* no interrupt pending */
		default:
			*data = is_time_reg(d->index) ? rtc_time_reg(d, d->index)
						      : d->cmos[d->index];
		}
	}
	pthread_mutex_unlock(&d->lock);
}

/* The PM timer's count now: 3.579545 MHz from the monotonic clock. */
static uint32_t pm_timer(const struct pcdev *d)
{
	uint64_t ns = d->mono_ns ? d->mono_ns() : default_mono_ns();
	uint64_t ticks = ns / NSEC_PER_SEC * ACPI_PM_TMR_HZ +
			 ns % NSEC_PER_SEC * ACPI_PM_TMR_HZ / NSEC_PER_SEC;

	return (uint32_t)ticks;               /* 32 bits (TMR_VAL_EXT), wraps */
}

/* The bytes [off, off+size) of a little-endian register at `base` of
 * `len` bytes with value `reg`, or all ones outside it. */
static uint32_t reg_read(uint16_t off, int size, uint16_t base, int len, uint32_t reg)
{
	uint32_t v = 0;

	for (int i = size - 1; i >= 0; i--) {
		int o = off + i - base;
		v = (v << 8) | (o >= 0 && o < len ? (reg >> (8 * o)) & 0xff : 0xff);
	}
	return v;
}

void acpi_pm_io(struct io_ctx *c, uint16_t off, bool out, int size, uint32_t *data)
{
	struct pcdev *d = c->pc;
	bool off_now = false;

	pthread_mutex_lock(&d->lock);
	if (!out) {
		if (off >= ACPI_PM_TMR)
			*data = reg_read(off, size, ACPI_PM_TMR, ACPI_PM_TMR_LEN, pm_timer(d));
		else if (off >= ACPI_PM1_CNT)
			*data = reg_read(off, size, ACPI_PM1_CNT, ACPI_PM1_CNT_LEN, d->pm1_cnt);
		else   /* status: no event ever; enable as written */
			*data = reg_read(off, size, ACPI_PM1_STS, ACPI_PM1_EVT_LEN,
					 (uint32_t)d->pm1_en << 16);
	} else if (off == ACPI_PM1_EN && size == 2) {
		d->pm1_en = (uint16_t)*data;
	} else if (off == ACPI_PM1_CNT && size == 2) {
		uint16_t v = (uint16_t)*data;
		unsigned typ = (v >> ACPI_PM1_SLP_TYP_SHIFT) & ACPI_PM1_SLP_TYP_MASK;

		/* SLP_EN is write-only; SCI_EN stays: there is no legacy mode */
		d->pm1_cnt = (uint16_t)((v & ~ACPI_PM1_SLP_EN) | ACPI_PM1_SCI_EN);
		off_now = (v & ACPI_PM1_SLP_EN) && typ == ACPI_S5_SLP_TYP;
	}                                     /* other writes: status bits stay 0 */
	pthread_mutex_unlock(&d->lock);
	if (off_now && c->env->power)
		c->env->power(c->env->ctx, false, PVHV_EXIT_POWER_OFF);
}

void pci_conf_io(struct io_ctx *c, uint16_t off, bool out, int size, uint32_t *data)
{
	struct pcdev *d = c->pc;
	bool reset = false;

	if (off == PCI_RST_CNT_OFF && size == 1) {
		pthread_mutex_lock(&d->lock);
		if (out) {
			d->rst_cnt = (uint8_t)(*data & RST_CNT_SYS_RST);
			reset = *data & RST_CNT_RST_CPU;
		} else {
			*data = d->rst_cnt;
		}
		pthread_mutex_unlock(&d->lock);
	} else if (!out) {
		*data = PORT_NONE;                /* no host bridge, no device */
	}
	if (reset && c->env->power)
		c->env->power(c->env->ctx, true, PVHV_EXIT_RESET);
}
