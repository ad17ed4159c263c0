/*
 * abi/acpi.h - the few ACPI tables pvhv writes for its guests (vmm/acpi.c)
 * and a PVH kernel reads: the RSDP (pointed at by hvm_start_info's
 * rsdp_paddr), the XSDT and the MADT. Layouts as ACPI 6.5: 5.2.5 (RSDP),
 * 5.2.6 (the common table header), 5.2.8 (XSDT), 5.2.12 (MADT). Every
 * multi-byte field is little-endian and unaligned, hence packed structs.
 * Plain C over <stdint.h>, like the rest of include/abi/.
 */
#ifndef ABI_ACPI_H
#define ABI_ACPI_H

#include <stdint.h>

/* ---- RSDP (5.2.5.3) ------------------------------------------------------ */
#define ACPI_RSDP_SIG          "RSD PTR "  /* 8 bytes, no NUL */
#define ACPI_RSDP_SIG_LEN      8
#define ACPI_RSDP_REVISION     2           /* ACPI 2.0+: has the XSDT */
#define ACPI_RSDP_V1_LEN       20          /* what 'checksum' covers */
#define ACPI_RSDP_V2_LEN       36          /* what 'ext_checksum' covers */
#define ACPI_RSDP_ALIGN        16

/* ---- the common table header (5.2.6) ------------------------------------ */
#define ACPI_SIG_LEN           4
#define ACPI_OEM_ID_LEN        6
#define ACPI_OEM_TABLE_ID_LEN  8
#define ACPI_HEADER_LEN        36

#define ACPI_XSDT_SIG          "XSDT"
#define ACPI_XSDT_REVISION     1
#define ACPI_XSDT_ENTRY_LEN    8           /* 64-bit table addresses */

/* ---- MADT (5.2.12) ------------------------------------------------------- */
#define ACPI_MADT_SIG          "APIC"
#define ACPI_MADT_REVISION     5           /* ACPI 6.x */
#define ACPI_MADT_LEN          44          /* header, LAPIC address, flags */
#define ACPI_MADT_PCAT_COMPAT  (1u << 0)   /* there are 8259s too */

/* Entries: type, length, then the type's fields. */
#define ACPI_MADT_LAPIC        0           /* Processor Local APIC */
#define ACPI_MADT_LAPIC_LEN    8
#define ACPI_MADT_IOAPIC       1           /* I/O APIC */
#define ACPI_MADT_IOAPIC_LEN   12
#define ACPI_MADT_ISO          2           /* Interrupt Source Override */
#define ACPI_MADT_ISO_LEN      10
#define ACPI_MADT_X2APIC       9           /* Processor Local x2APIC */
#define ACPI_MADT_X2APIC_LEN   16
#define ACPI_MADT_ENABLED      (1u << 0)   /* local (x2)APIC flags */
#define ACPI_MPS_INTI_CONFORMS 0           /* ISO flags: bus defaults */

/* Where a PC's interrupt controllers are (and KVM's in-kernel ones). */
#define ACPI_LAPIC_ADDR        0xfee00000u
#define ACPI_IOAPIC_ADDR       0xfec00000u
#define ACPI_ISA_BUS           0           /* ISO bus: ISA */
#define ACPI_PIT_IRQ           0           /* the PIT's ISA IRQ ... */
#define ACPI_PIT_GSI           2           /* ... is the IO-APIC's pin 2 */

struct acpi_rsdp {
	char signature[ACPI_RSDP_SIG_LEN];
	uint8_t checksum;                    /* bytes 0..19 sum to 0 */
	char oem_id[ACPI_OEM_ID_LEN];
	uint8_t revision;
	uint32_t rsdt_address;               /* 0: pvhv offers an XSDT only */
	uint32_t length;                     /* ACPI_RSDP_V2_LEN */
	uint64_t xsdt_address;
	uint8_t ext_checksum;                /* all 36 bytes sum to 0 */
	uint8_t reserved[3];
} __attribute__((packed));

struct acpi_header {
	char signature[ACPI_SIG_LEN];
	uint32_t length;                     /* of the whole table */
	uint8_t revision;
	uint8_t checksum;                    /* the whole table sums to 0 */
	char oem_id[ACPI_OEM_ID_LEN];
	char oem_table_id[ACPI_OEM_TABLE_ID_LEN];
	uint32_t oem_revision;
	char creator_id[ACPI_SIG_LEN];
	uint32_t creator_revision;
} __attribute__((packed));

struct acpi_madt {
	struct acpi_header h;
	uint32_t lapic_address;
	uint32_t flags;
} __attribute__((packed));

struct acpi_madt_lapic {
	uint8_t type, length;
	uint8_t processor_uid, apic_id;
	uint32_t flags;
} __attribute__((packed));

struct acpi_madt_ioapic {
	uint8_t type, length;
	uint8_t ioapic_id, reserved;
	uint32_t address;
	uint32_t gsi_base;
} __attribute__((packed));

struct acpi_madt_iso {
	uint8_t type, length;
	uint8_t bus, source;
	uint32_t gsi;
	uint16_t flags;
} __attribute__((packed));

_Static_assert(sizeof(struct acpi_rsdp) == ACPI_RSDP_V2_LEN, "RSDP is 36 bytes");
_Static_assert(sizeof(struct acpi_header) == ACPI_HEADER_LEN, "header is 36 bytes");
_Static_assert(sizeof(struct acpi_madt) == ACPI_MADT_LEN, "MADT head is 44 bytes");
_Static_assert(sizeof(struct acpi_madt_lapic) == ACPI_MADT_LAPIC_LEN, "LAPIC entry");
_Static_assert(sizeof(struct acpi_madt_ioapic) == ACPI_MADT_IOAPIC_LEN, "IO-APIC entry");
_Static_assert(sizeof(struct acpi_madt_iso) == ACPI_MADT_ISO_LEN, "ISO entry");

#endif /* ABI_ACPI_H */
