/*
 * acpi.c - the firmware tables of the machine pvhv builds: an RSDP
 * (revision 2) pointing at an XSDT that lists one MADT, which names a
 * local APIC per vCPU (APIC ID = vCPU index, as CPUID leaves 1 and 0xb
 * say in x86.c), KVM's in-kernel IO-APIC and the PIT's interrupt source
 * override, as QEMU's. Enough for a kernel to find every CPU and start
 * it with INIT-SIPI-SIPI (pvk, kernel/arch/x86/smp.c; Linux). The XSDT
 * also lists a FADT naming pc.c's ACPI PM block (PM1a, PM timer) and
 * reset register, and a DSDT whose only object is \_S5, so that Linux
 * powers off and resets through ACPI by default.
 *
 * Pure over struct guest_mem, like loader.c: the tables are built in a
 * local buffer, checksummed, and copied in through gm_ptr() only once
 * they all fit in [PVHV_ACPI_GPA, PVHV_ACPI_GPA + PVHV_ACPI_SIZE), the
 * region build_start_info() marks E820_ACPI.
 *
 * Source: ACPI 6.5, 5.2.5 (RSDP), 5.2.6, 5.2.8 (XSDT), 5.2.9 (FADT),
 * 5.2.11.1 (DSDT), 5.2.12 (MADT), 20.2 (AML encoding).
 */
#include <string.h>

#include <abi/acpi.h>
#include <abi/pc_ports.h>

#include "pvhv.h"

#define OEM_ID          "PVHV  "     /* 6 bytes, space-padded */
#define OEM_REVISION    1
#define CREATOR_ID      "PVHV"
#define CREATOR_REV     1

/* Offsets of the three tables in the region (16-byte aligned). */
#define RSDP_OFF        0x0
#define XSDT_OFF        0x40
#define MADT_OFF        0x80
#define XSDT_ENTRIES    2            /* the MADT, the FADT */
#define XSDT_LEN        (ACPI_HEADER_LEN + XSDT_ENTRIES * ACPI_XSDT_ENTRY_LEN)
#define MADT_MAX_LEN    (ACPI_MADT_LEN + PVHV_MAX_VCPUS * ACPI_MADT_LAPIC_LEN + \
			 ACPI_MADT_IOAPIC_LEN + ACPI_MADT_ISO_LEN)
#define FADT_OFF        0x300
#define DSDT_OFF        0x440
#define TABLES_LEN      (DSDT_OFF + DSDT_LEN)

/*
 * The DSDT's whole AML body: Name (_S5, Package (4) { 5, 5, 0, 0 }), the
 * SLP_TYP values for S5 (soft off) that a guest writes to PM1a_CNT with
 * SLP_EN (pc.c powers off on it). ACPI 6.5 20.2.5 (term objects):
 * NameOp 0x08, NameSeg "_S5_", PackageOp 0x12, PkgLength (one byte,
 * counting itself: 8), NumElements 4, BytePrefix 0x0a + value, ZeroOp.
 */
#define AML_NAME_OP     0x08
#define AML_PACKAGE_OP  0x12
#define AML_BYTE_PREFIX 0x0a
#define AML_ZERO_OP     0x00
static const uint8_t dsdt_aml[] = {
	AML_NAME_OP, '_', 'S', '5', '_',
	AML_PACKAGE_OP, 8, 4,
	AML_BYTE_PREFIX, ACPI_S5_SLP_TYP, AML_BYTE_PREFIX, ACPI_S5_SLP_TYP,
	AML_ZERO_OP, AML_ZERO_OP,
};
#define DSDT_LEN        (ACPI_HEADER_LEN + sizeof(dsdt_aml))

_Static_assert(FADT_OFF >= MADT_OFF + MADT_MAX_LEN, "MADT and FADT overlap");
_Static_assert(DSDT_OFF >= FADT_OFF + ACPI_FADT_LEN, "FADT and DSDT overlap");

_Static_assert(XSDT_OFF >= RSDP_OFF + ACPI_RSDP_V2_LEN, "RSDP and XSDT overlap");
_Static_assert(MADT_OFF >= XSDT_OFF + XSDT_LEN, "XSDT and MADT overlap");
_Static_assert(TABLES_LEN <= PVHV_ACPI_SIZE, "the tables fit their region");
_Static_assert(PVHV_MAX_VCPUS <= 255, "xAPIC IDs and the IO-APIC's ID are 8 bits");

uint8_t acpi_checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t s = 0;

	while (len--)
		s += *b++;
	return (uint8_t)-s;
}

static void header(struct acpi_header *h, const char *sig, uint32_t len,
		   uint8_t revision, const char *table_id)
{
	memcpy(h->signature, sig, ACPI_SIG_LEN);
	h->length = len;
	h->revision = revision;
	memcpy(h->oem_id, OEM_ID, ACPI_OEM_ID_LEN);
	memcpy(h->oem_table_id, table_id, ACPI_OEM_TABLE_ID_LEN);
	h->oem_revision = OEM_REVISION;
	memcpy(h->creator_id, CREATOR_ID, ACPI_SIG_LEN);
	h->creator_revision = CREATOR_REV;
	/* checksum last, over the whole table, by the caller */
}

/* The MADT at `m` (room for MADT_MAX_LEN); returns its length. */
static uint32_t build_madt(uint8_t *m, int nr_vcpus)
{
	struct acpi_madt head = {
		.lapic_address = ACPI_LAPIC_ADDR,
		.flags = ACPI_MADT_PCAT_COMPAT,
	};
	uint32_t off = ACPI_MADT_LEN;

	for (int i = 0; i < nr_vcpus; i++) {
		struct acpi_madt_lapic l = {
			.type = ACPI_MADT_LAPIC, .length = ACPI_MADT_LAPIC_LEN,
			.processor_uid = (uint8_t)i, .apic_id = (uint8_t)i,
			.flags = ACPI_MADT_ENABLED,
		};
		memcpy(m + off, &l, sizeof(l));
		off += sizeof(l);
	}
	struct acpi_madt_ioapic io = {
		.type = ACPI_MADT_IOAPIC, .length = ACPI_MADT_IOAPIC_LEN,
		.ioapic_id = (uint8_t)nr_vcpus,     /* after the local APICs */
		.address = ACPI_IOAPIC_ADDR, .gsi_base = 0,
	};
	memcpy(m + off, &io, sizeof(io));
	off += sizeof(io);
	struct acpi_madt_iso iso = {
		.type = ACPI_MADT_ISO, .length = ACPI_MADT_ISO_LEN,
		.bus = ACPI_ISA_BUS, .source = ACPI_PIT_IRQ, .gsi = ACPI_PIT_GSI,
		.flags = ACPI_MPS_INTI_CONFORMS,
	};
	memcpy(m + off, &iso, sizeof(iso));
	off += sizeof(iso);

	header(&head.h, ACPI_MADT_SIG, off, ACPI_MADT_REVISION, "PVHVMADT");
	memcpy(m, &head, sizeof(head));
	m[offsetof(struct acpi_header, checksum)] = acpi_checksum(m, off);
	return off;
}

static struct acpi_gas io_gas(uint16_t port, int bytes)
{
	return (struct acpi_gas){ .space_id = ACPI_GAS_SYSTEM_IO, .bit_width = (uint8_t)(8 * bytes),
				  .access_size = (uint8_t)(bytes), .address = port };
}

/* The FADT at `f`: pc.c's PM block (PM1a event and control, the 32-bit PM
 * timer), no SMI port (always in ACPI mode), SCI on IRQ 9 (never raised),
 * the RTC's century register, no 8042 and no VGA, the reset register at
 * 0xcf9, and the DSDT at dsdt_gpa. */
static void build_fadt(uint8_t *f, uint64_t dsdt_gpa)
{
	struct acpi_fadt t = {
		.dsdt = (uint32_t)dsdt_gpa, .x_dsdt = dsdt_gpa,
		.sci_int = ACPI_SCI_IRQ,
		.pm1a_evt_blk = PORT_ACPI_PM + ACPI_PM1_STS,
		.pm1a_cnt_blk = PORT_ACPI_PM + ACPI_PM1_CNT,
		.pm_tmr_blk = PORT_ACPI_PM + ACPI_PM_TMR,
		.pm1_evt_len = ACPI_PM1_EVT_LEN, .pm1_cnt_len = ACPI_PM1_CNT_LEN,
		.pm_tmr_len = ACPI_PM_TMR_LEN,
		.x_pm1a_evt_blk = io_gas(PORT_ACPI_PM + ACPI_PM1_STS, ACPI_PM1_EVT_LEN),
		.x_pm1a_cnt_blk = io_gas(PORT_ACPI_PM + ACPI_PM1_CNT, ACPI_PM1_CNT_LEN),
		.x_pm_tmr_blk = io_gas(PORT_ACPI_PM + ACPI_PM_TMR, ACPI_PM_TMR_LEN),
		.p_lvl2_lat = ACPI_FADT_C2_NONE, .p_lvl3_lat = ACPI_FADT_C3_NONE,
		.century = RTC_CENTURY,
		.iapc_boot_arch = ACPI_FADT_NO_VGA | ACPI_FADT_NO_MSI,
		.flags = ACPI_FADT_WBINVD | ACPI_FADT_C1_SUPPORTED | ACPI_FADT_POWER_BUTTON |
			 ACPI_FADT_SLEEP_BUTTON | ACPI_FADT_32BIT_TIMER |
			 ACPI_FADT_RESET_REGISTER,
		.reset_reg = io_gas(PORT_RST_CNT, 1),
		.reset_value = RST_CNT_RESET,
		.minor_version = ACPI_FADT_MINOR,
	};
	/* the PM1 event block is two 16-bit registers: its GAS says words */
	t.x_pm1a_evt_blk.bit_width = 8 * ACPI_PM1_EVT_LEN;
	t.x_pm1a_evt_blk.access_size = 2;
	t.x_pm1a_cnt_blk.access_size = 2;
	t.x_pm_tmr_blk.access_size = 3;      /* dword */
	header(&t.h, ACPI_FADT_SIG, ACPI_FADT_LEN, ACPI_FADT_REVISION, "PVHVFACP");
	memcpy(f, &t, sizeof(t));
	f[offsetof(struct acpi_header, checksum)] = acpi_checksum(f, ACPI_FADT_LEN);
}

static void build_dsdt(uint8_t *d)
{
	struct acpi_header h;

	memset(&h, 0, sizeof(h));
	header(&h, ACPI_DSDT_SIG, DSDT_LEN, ACPI_DSDT_REVISION, "PVHVDSDT");
	memcpy(d, &h, sizeof(h));
	memcpy(d + ACPI_HEADER_LEN, dsdt_aml, sizeof(dsdt_aml));
	d[offsetof(struct acpi_header, checksum)] = acpi_checksum(d, DSDT_LEN);
}

uint64_t build_acpi_tables(struct guest_mem *gm, int nr_vcpus, const char **why)
{
	uint8_t buf[TABLES_LEN];
	struct acpi_rsdp rsdp = {
		.revision = ACPI_RSDP_REVISION,
		.length = ACPI_RSDP_V2_LEN,
		.xsdt_address = PVHV_ACPI_GPA + XSDT_OFF,
	};
	struct acpi_header xsdt;
	uint64_t xsdt_entries[XSDT_ENTRIES] = { PVHV_ACPI_GPA + MADT_OFF, PVHV_ACPI_GPA + FADT_OFF };

	*why = NULL;
	if (nr_vcpus < 1 || nr_vcpus > PVHV_MAX_VCPUS) {
		*why = "ACPI tables: the number of vCPUs is out of range";
		return 0;
	}
	uint8_t *dst = gm_ptr(gm, PVHV_ACPI_GPA, TABLES_LEN);
	if (!dst) {
		*why = "guest memory too small for the ACPI tables";
		return 0;
	}
	memset(buf, 0, sizeof(buf));

	memcpy(rsdp.signature, ACPI_RSDP_SIG, ACPI_RSDP_SIG_LEN);
	memcpy(rsdp.oem_id, OEM_ID, ACPI_OEM_ID_LEN);
	rsdp.checksum = acpi_checksum(&rsdp, ACPI_RSDP_V1_LEN);
	rsdp.ext_checksum = acpi_checksum(&rsdp, ACPI_RSDP_V2_LEN);
	memcpy(buf + RSDP_OFF, &rsdp, sizeof(rsdp));

	memset(&xsdt, 0, sizeof(xsdt));
	header(&xsdt, ACPI_XSDT_SIG, XSDT_LEN, ACPI_XSDT_REVISION, "PVHVXSDT");
	memcpy(buf + XSDT_OFF, &xsdt, sizeof(xsdt));
	memcpy(buf + XSDT_OFF + ACPI_HEADER_LEN, xsdt_entries, sizeof(xsdt_entries));
	buf[XSDT_OFF + offsetof(struct acpi_header, checksum)] =
		acpi_checksum(buf + XSDT_OFF, XSDT_LEN);

	build_madt(buf + MADT_OFF, nr_vcpus);
	build_fadt(buf + FADT_OFF, PVHV_ACPI_GPA + DSDT_OFF);
	build_dsdt(buf + DSDT_OFF);

	memcpy(dst, buf, sizeof(buf));
	return PVHV_ACPI_GPA + RSDP_OFF;
}
