/*
 * tsc.c - the TSC frequency and the native sched_clock.
 *
 * The frequency comes from the platform's init() when the hypervisor
 * tells it, from CPUID leaf 0x15 (crystal ratio) or 0x16 (base MHz) where
 * the CPU gives them, else from counting TSC ticks across 10 ms of PIT
 * channel 2.
 */
#include <paravirt.h>
#include <printk.h>
#include <asm/apic.h>
#include <asm/x86.h>

u64 tsc_khz;
const char *tsc_source = "none";
static u64 tsc_base, ns_mult;       /* ns = (tsc - base) * mult >> 32 */

#define PIT_HZ          1193182
#define PIT_CH2_DATA    0x42
#define PIT_CMD         0x43
#define PIT_CMD_CH2_MODE0_LOHI 0xb0  /* channel 2, lobyte/hibyte, mode 0 */
#define PORT_SPEAKER    0x61
#define SPEAKER_GATE2   0x01         /* gate of channel 2 */
#define SPEAKER_DATA    0x02         /* speaker output: keep off */
#define SPEAKER_OUT2    0x20         /* channel 2 output (read) */
#define CALIBRATE_MS    10

/* The TSC ticks in 10 ms of PIT channel 2, or 0 when there is no PIT. */
static u64 pit_calibrate(void)
{
	u16 count = PIT_HZ * CALIBRATE_MS / 1000;
	u8 port = inb(PORT_SPEAKER);
	u8 gate = (port & ~SPEAKER_DATA) | SPEAKER_GATE2;

	if (port == 0xff)
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
		if (++polls > 10000000)
			return 0;                    /* no PIT */
	}
	return (native_rdtsc() - t0) / CALIBRATE_MS;
}

void tsc_init(void)
{
	u32 max, b, c, d, a;

	native_cpuid(0, 0, &max, &b, &c, &d);
	if (tsc_khz) {
		/* the platform told us (kvm.c) */
	} else if (max >= 0x15) {
		native_cpuid(0x15, 0, &a, &b, &c, &d);
		if (a && b && c) {
			tsc_khz = (u64)c * b / a / 1000;
			tsc_source = "CPUID 0x15";
		}
	}
	if (!tsc_khz && max >= 0x16) {
		native_cpuid(0x16, 0, &a, &b, &c, &d);
		if (a & 0xffff) {
			tsc_khz = (u64)(a & 0xffff) * 1000;
			tsc_source = "CPUID 0x16";
		}
	}
	if (!tsc_khz) {
		tsc_khz = pit_calibrate();
		tsc_source = "PIT calibration";
	}
	if (!tsc_khz)
		panic("tsc_init: no TSC frequency (no CPUID leaf, no PIT)");
	ns_mult = (1000000ull << 32) / tsc_khz;
	tsc_base = native_rdtsc();
}

u64 tsc_sched_clock(void)
{
	u64 d = native_rdtsc() - tsc_base;

	return (u64)(((unsigned __int128)d * ns_mult) >> 32);
}
