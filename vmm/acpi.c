/*
 * acpi.c - the firmware tables of the machine pvhv builds: an RSDP
 * (revision 2) pointing at an XSDT that lists one MADT, which names a
 * local APIC per vCPU (APIC ID = vCPU index, as CPUID leaves 1 and 0xb
 * say in x86.c), KVM's in-kernel IO-APIC and the PIT's interrupt source
 * override, as QEMU's. Enough for a kernel to find every CPU and start
 * it with INIT-SIPI-SIPI (pvk, kernel/arch/x86/smp.c; Linux).
 *
 * Pure over struct guest_mem, like loader.c: the tables are built in a
 * local buffer, checksummed, and copied in through gm_ptr() only once
 * they all fit in [PVHV_ACPI_GPA, PVHV_ACPI_GPA + PVHV_ACPI_SIZE), the
 * region build_start_info() marks E820_ACPI.
 *
 * Source: ACPI 6.5, 5.2.5 (RSDP), 5.2.6, 5.2.8 (XSDT), 5.2.12 (MADT).
 */
#include <string.h>

#include <abi/acpi.h>

#include "pvhv.h"

#define OEM_ID          "PVHV  "     /* 6 bytes, space-padded */
#define OEM_REVISION    1
#define CREATOR_ID      "PVHV"
#define CREATOR_REV     1

/* Offsets of the three tables in the region (16-byte aligned). */
#define RSDP_OFF        0x0
#define XSDT_OFF        0x40
#define MADT_OFF        0x80
#define XSDT_LEN        (ACPI_HEADER_LEN + ACPI_XSDT_ENTRY_LEN)
#define MADT_MAX_LEN    (ACPI_MADT_LEN + PVHV_MAX_VCPUS * ACPI_MADT_LAPIC_LEN + \
			 ACPI_MADT_IOAPIC_LEN + ACPI_MADT_ISO_LEN)
#define TABLES_LEN      (MADT_OFF + MADT_MAX_LEN)

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

uint64_t build_acpi_tables(struct guest_mem *gm, int nr_vcpus, const char **why)
{
	uint8_t buf[TABLES_LEN];
	struct acpi_rsdp rsdp = {
		.revision = ACPI_RSDP_REVISION,
		.length = ACPI_RSDP_V2_LEN,
		.xsdt_address = PVHV_ACPI_GPA + XSDT_OFF,
	};
	struct acpi_header xsdt;
	uint64_t madt_gpa = PVHV_ACPI_GPA + MADT_OFF;

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
	memcpy(buf + XSDT_OFF + ACPI_HEADER_LEN, &madt_gpa, sizeof(madt_gpa));
	buf[XSDT_OFF + offsetof(struct acpi_header, checksum)] =
		acpi_checksum(buf + XSDT_OFF, XSDT_LEN);

	build_madt(buf + MADT_OFF, nr_vcpus);

	memcpy(dst, buf, sizeof(buf));
	return PVHV_ACPI_GPA + RSDP_OFF;
}
