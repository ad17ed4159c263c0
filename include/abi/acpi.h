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

/* ---- FADT (5.2.9) and DSDT (5.2.11.1) ------------------------------------ */
#define ACPI_FADT_SIG          "FACP"
#define ACPI_FADT_REVISION     6           /* ACPI 6.x: the 276-byte layout */
#define ACPI_FADT_MINOR        5
#define ACPI_FADT_LEN          276
#define ACPI_DSDT_SIG          "DSDT"
#define ACPI_DSDT_REVISION     2           /* 64-bit AML integers */
/* FADT flags (Table 5.10) */
#define ACPI_FADT_WBINVD        (1u << 0)
#define ACPI_FADT_C1_SUPPORTED  (1u << 2)
#define ACPI_FADT_POWER_BUTTON  (1u << 4)  /* set: no fixed power button */
#define ACPI_FADT_SLEEP_BUTTON  (1u << 5)  /* set: no fixed sleep button */
#define ACPI_FADT_32BIT_TIMER   (1u << 8)  /* TMR_VAL_EXT */
#define ACPI_FADT_RESET_REGISTER (1u << 10)
/* IA-PC boot architecture flags (Table 5.11) */
#define ACPI_FADT_NO_VGA        (1u << 2)
#define ACPI_FADT_NO_MSI        (1u << 3)
/* C-state latencies that mean "not supported" */
#define ACPI_FADT_C2_NONE      101
#define ACPI_FADT_C3_NONE      1001
/* Generic Address Structure (5.2.3.2) */
#define ACPI_GAS_SYSTEM_IO     1
#define ACPI_GAS_ACCESS_BYTE   1

struct acpi_gas {
	uint8_t space_id, bit_width, bit_offset, access_size;
	uint64_t address;
} __attribute__((packed));

struct acpi_fadt {
	struct acpi_header h;
	uint32_t firmware_ctrl, dsdt;
	uint8_t reserved0, preferred_pm_profile;
	uint16_t sci_int;
	uint32_t smi_cmd;                    /* 0: always in ACPI mode */
	uint8_t acpi_enable, acpi_disable, s4bios_req, pstate_cnt;
	uint32_t pm1a_evt_blk, pm1b_evt_blk, pm1a_cnt_blk, pm1b_cnt_blk;
	uint32_t pm2_cnt_blk, pm_tmr_blk, gpe0_blk, gpe1_blk;
	uint8_t pm1_evt_len, pm1_cnt_len, pm2_cnt_len, pm_tmr_len;
	uint8_t gpe0_blk_len, gpe1_blk_len, gpe1_base, cst_cnt;
	uint16_t p_lvl2_lat, p_lvl3_lat, flush_size, flush_stride;
	uint8_t duty_offset, duty_width, day_alrm, mon_alrm, century;
	uint16_t iapc_boot_arch;
	uint8_t reserved1;
	uint32_t flags;
	struct acpi_gas reset_reg;
	uint8_t reset_value;
	uint16_t arm_boot_arch;
	uint8_t minor_version;
	uint64_t x_firmware_ctrl, x_dsdt;
	struct acpi_gas x_pm1a_evt_blk, x_pm1b_evt_blk, x_pm1a_cnt_blk, x_pm1b_cnt_blk;
	struct acpi_gas x_pm2_cnt_blk, x_pm_tmr_blk, x_gpe0_blk, x_gpe1_blk;
	struct acpi_gas sleep_control, sleep_status;
	uint64_t hypervisor_id;
} __attribute__((packed));

_Static_assert(sizeof(struct acpi_gas) == 12, "GAS is 12 bytes");
_Static_assert(sizeof(struct acpi_fadt) == ACPI_FADT_LEN, "FADT is 276 bytes");
_Static_assert(sizeof(struct acpi_rsdp) == ACPI_RSDP_V2_LEN, "RSDP is 36 bytes");
_Static_assert(sizeof(struct acpi_header) == ACPI_HEADER_LEN, "header is 36 bytes");
_Static_assert(sizeof(struct acpi_madt) == ACPI_MADT_LEN, "MADT head is 44 bytes");
_Static_assert(sizeof(struct acpi_madt_lapic) == ACPI_MADT_LAPIC_LEN, "LAPIC entry");
_Static_assert(sizeof(struct acpi_madt_ioapic) == ACPI_MADT_IOAPIC_LEN, "IO-APIC entry");
_Static_assert(sizeof(struct acpi_madt_iso) == ACPI_MADT_ISO_LEN, "ISO entry");

#endif /* ABI_ACPI_H */
