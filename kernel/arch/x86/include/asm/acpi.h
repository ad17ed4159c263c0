/*
 * acpi.h - the little of ACPI pvk reads: the tables' directory (RSDP,
 * RSDT/XSDT) and, from the FADT, where the ACPI PM timer is.
 *
 * Source: ACPI Specification 6.5, 5.2.5 (RSDP), 5.2.6 (table header),
 * 5.2.9 (FADT), 4.8.3.3 (PM timer).
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

#endif /* ASM_ACPI_H */
