/*
 * acpi.h - the little of ACPI pvk reads: the tables' directory (RSDP,
 * RSDT/XSDT), from the FADT where the ACPI PM timer is, and from the
 * MADT which CPUs there are.
 *
 * Source: ACPI Specification 6.5, 5.2.5 (RSDP), 5.2.6 (table header),
 * 5.2.9 (FADT), 5.2.12 (MADT), 4.8.3.3 (PM timer).
 */
#ifndef ASM_ACPI_H
#define ASM_ACPI_H

#include <types.h>

/* The PM timer counts at 3.579545 MHz, whatever the machine. */
#define ACPI_PM_TIMER_HZ 3579545

struct acpi_pm_timer {
	u16 port;          /* 0: none */
	u32 mask;          /* of the counter's bits */
	int bits;          /* 24 or 32 */
};

/*
 * acpi_find_pm_timer - the PM timer's I/O port and width from the FADT,
 * found from the RSDP at physical address `rsdp` (0: search the BIOS
 * areas for it, as the spec allows on PC-compatible machines). Every
 * structure's signature, length and checksum is checked; tables must lie
 * in the direct map (below MM_MAP_LIMIT). Returns false, with *t zeroed,
 * when there is none (no tables, a hardware-reduced platform, a timer in
 * memory space).
 */
bool acpi_find_pm_timer(u64 rsdp, struct acpi_pm_timer *t);

/*
 * acpi_madt_cpus - the enabled CPUs of the MADT (found from `rsdp` as
 * acpi_find_pm_timer finds the FADT): their APIC ids, in the table's
 * order, the first `max` of them into ids[]. Processor Local APIC and
 * Local x2APIC entries count; disabled ones do not. Returns how many
 * there are (possibly more than max), or -1 when there is no MADT.
 * Tables must lie in the direct map, as above.
 */
int acpi_madt_cpus(u64 rsdp, u32 *ids, int max);

#endif /* ASM_ACPI_H */
