/*
 * tsc.c - the TSC frequency and the native sched_clock.
 *
 * The frequency comes, first that works, from:
 *   1. the platform's init(), when the hypervisor tells it (tsc_set_khz);
 *   2. CPUID leaf 0x15 (crystal ratio) or 0x16 (base MHz);
 *   3. TSC ticks across 10 ms of PIT channel 2;
 *   4. TSC ticks across 10 ms of the ACPI PM timer (3.579545 MHz, found
 *      through the FADT), where there is no PIT;
 *   5. a nominal frequency, with a warning: a kernel does not die for want
 *      of a clock to calibrate against; its times are then off by the
 *      ratio of the real frequency to the nominal one.
 * tsc=nopit and tsc=nopit,nopmtimer skip 3 (and 4), so a machine that has
 * them exercises the fallbacks.
 */
#include <boot_info.h>
#include <cmdline.h>
#include <paravirt.h>
#include <printk.h>
#include <asm/acpi.h>
#include <asm/tsc.h>
#include <asm/x86.h>

static u64 khz;                     /* the frequency, once known */
static const char *source = "none";   /* where it came from */
static u64 tsc_base, ns_mult;       /* ns = (tsc - base) * mult >> 32 */

#define PIT_HZ          1193182
#define PIT_CH2_DATA    0x42
#define PIT_CMD         0x43
#define PIT_CMD_CH2_MODE0_LOHI 0xb0  /* channel 2, lobyte/hibyte, mode 0 */
#define PORT_SPEAKER    0x61
#define PORT_NONE       0xff         /* what reading an undecoded port gives */
#define SPEAKER_GATE2   0x01         /* gate of channel 2 */
#define SPEAKER_DATA    0x02         /* speaker output: keep off */
#define SPEAKER_OUT2    0x20         /* channel 2 output (read) */
#define CALIBRATE_MS    10
#define MS_PER_S        1000
#define PIT_MAX_POLLS   10000000
/* The PM timer ticks every 279 ns, a port read takes longer: this many
 * reads without a change mean no timer there. */
#define PM_STUCK_POLLS  100000
#define TSC_NOMINAL_KHZ 1000000      /* 1 GHz: a guess, and said to be one */

#define CPUID_FREQ_LEAF 0x16         /* EAX base MHz (bits 15:0) */
#define CPUID_FREQ_MHZ_MASK 0xffff

/* The TSC ticks in 10 ms of PIT channel 2, or 0 when there is no PIT. */
static u64 pit_calibrate(void)
{
	u16 count = PIT_HZ * CALIBRATE_MS / MS_PER_S;
	u8 port = inb(PORT_SPEAKER);
	u8 gate = (port & ~SPEAKER_DATA) | SPEAKER_GATE2;

	if (port == PORT_NONE)
		return 0;                            /* nothing decodes port 0x61 */
	outb(PORT_SPEAKER, gate & ~SPEAKER_GATE2);
	outb(PIT_CMD, PIT_CMD_CH2_MODE0_LOHI);
	outb(PIT_CH2_DATA, count & 0xff);
	outb(PIT_CH2_DATA, count >> 8);
	if (inb(PORT_SPEAKER) & SPEAKER_OUT2)
		return 0;                            /* mode 0 starts with OUT low */
	u64 t0 = native_rdtsc();
	outb(PORT_SPEAKER, gate);            /* start counting */
	u64 polls = 0;
	while (!(inb(PORT_SPEAKER) & SPEAKER_OUT2)) {
		if (++polls > PIT_MAX_POLLS)
			return 0;                    /* no PIT */
	}
	return (native_rdtsc() - t0) / CALIBRATE_MS;
}

/* TSC kHz across 10 ms of the ACPI PM timer, or 0 when it does not count. */
static u64 pm_timer_calibrate(const struct acpi_pm_timer *pm)
{
	u32 want = (u32)((u64)ACPI_PM_TIMER_HZ * CALIBRATE_MS / MS_PER_S);
	u32 start = inl(pm->port) & pm->mask, last = start, ticks = 0;
	u64 t0 = native_rdtsc(), stuck = 0;

	while (ticks < want) {
		u32 now = inl(pm->port) & pm->mask;

		if (now == last && ++stuck > PM_STUCK_POLLS)
			return 0;
		if (now != last)
			stuck = 0;
		last = now;
		ticks = (now - start) & pm->mask;    /* wraps at 24 or 32 bits */
	}
	u64 cycles = native_rdtsc() - t0;

	/* kHz = cycles / (ticks / HZ) / 1000 */
	return cycles * ACPI_PM_TIMER_HZ / ((u64)ticks * MS_PER_S);
}

/* No PIT (or tsc=nopit): the PM timer, else the nominal frequency. */
static void calibrate_without_pit(const struct boot_info *bi)
{
	struct acpi_pm_timer pm;
	const char *why = boot_params.tsc_skip & TSC_SKIP_PIT ? "skipped, tsc=nopit"
							       : "none";

	if (boot_params.tsc_skip & TSC_SKIP_PMTIMER) {
		printk("tsc: PIT %s; ACPI PM timer skipped, tsc=nopmtimer\n", why);
	} else if (!acpi_find_pm_timer(bi->rsdp, &pm)) {
		printk("tsc: PIT %s; no ACPI PM timer\n", why);
	} else {
		khz = pm_timer_calibrate(&pm);
		printk("tsc: PIT %s; ACPI PM timer at port %#x, %d-bit%s\n", why,
		       pm.port, pm.bits,
		       khz ? "" : ", not counting");
		source = "ACPI PM timer calibration";
	}
	if (!khz) {
		khz = TSC_NOMINAL_KHZ;
		source = "NOMINAL, not calibrated";
		printk("tsc: WARNING: nothing to calibrate the TSC against; assuming "
		       "%llu kHz, times are off by the ratio to the real rate\n",
		       (unsigned long long)khz);
	}
}

void tsc_set_khz(u64 platform_khz, const char *platform_source)
{
	if (!platform_khz)
		return;
	khz = platform_khz;
	source = platform_source;
}

void tsc_init(const struct boot_info *bi)
{
	u32 max, b, c, d, a;

	native_cpuid(0, 0, &max, &b, &c, &d);
	if (khz) {
		/* a platform told us (tsc_set_khz) */
	} else if (max >= CPUID_TSC_LEAF) {
		native_cpuid(CPUID_TSC_LEAF, 0, &a, &b, &c, &d);
		if (a && b && c) {
			khz = (u64)c * b / a / MS_PER_S;
			source = "CPUID 0x15";
		}
	}
	if (!khz && max >= CPUID_FREQ_LEAF) {
		native_cpuid(CPUID_FREQ_LEAF, 0, &a, &b, &c, &d);
		if (a & CPUID_FREQ_MHZ_MASK) {
			khz = (u64)(a & CPUID_FREQ_MHZ_MASK) * MS_PER_S;
			source = "CPUID 0x16";
		}
	}
	if (!khz && !(boot_params.tsc_skip & TSC_SKIP_PIT)) {
		khz = pit_calibrate();
		source = "PIT calibration";
	}
	if (!khz)
		calibrate_without_pit(bi);
	ns_mult = (1000000ull << 32) / khz;
	tsc_base = native_rdtsc();
}

u64 tsc_khz(void)
{
	return khz;
}

const char *tsc_source(void)
{
	return source;
}

u64 tsc_sched_clock(void)
{
	u64 d = native_rdtsc() - tsc_base;

	return (u64)(((unsigned __int128)d * ns_mult) >> 32);
}
