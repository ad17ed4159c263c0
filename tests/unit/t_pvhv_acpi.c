/*
 * t_pvhv_acpi.c - pvhv's ACPI tables (vmm/acpi.c) read back the way a
 * guest would: from the start info's rsdp_paddr, by signature, every
 * checksum summed here (not with acpi_checksum), every length checked.
 * Built into build/tests/pvhv-unit with ASan and UBSan (vmm/vmm.mk).
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "pvhv.h"
#include <abi/acpi.h>
#include <abi/e820.h>
#include <abi/pvh.h>

#define MEM (8u << 20)

static struct guest_mem gm;

static void setup(void)
{
	gm.size = MEM;
	gm.host = calloc(1, MEM);
	cr_assert(gm.host);
}

static void teardown(void)
{
	free(gm.host);
}

TestSuite(pvhv_acpi, .init = setup, .fini = teardown);

/* The test's own sum: a correct table sums to 0 mod 256. */
static unsigned sum8(const uint8_t *p, size_t len)
{
	unsigned s = 0;

	for (size_t i = 0; i < len; i++)
		s += p[i];
	return s & 0xff;
}

static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

/* [gpa, gpa+len) inside guest RAM, as a pointer; fails the test if not. */
static const uint8_t *at(uint64_t gpa, uint64_t len)
{
	const uint8_t *p = gm_ptr(&gm, gpa, len);

	cr_assert(p, "%#llx+%#llx is outside guest memory", (unsigned long long)gpa,
		  (unsigned long long)len);
	return p;
}

/* A checksummed table at gpa whose length fits; its length in *len. */
static const uint8_t *table(uint64_t gpa, uint32_t *len)
{
	const uint8_t *h = at(gpa, ACPI_HEADER_LEN);

	*len = rd32(h + 4);
	cr_assert_geq(*len, ACPI_HEADER_LEN);
	h = at(gpa, *len);
	cr_assert_eq(sum8(h, *len), 0, "table %.4s at %#llx sums to %#x", (const char *)h,
		     (unsigned long long)gpa, sum8(h, *len));
	return h;
}

/* The start info pvhv would hand over with these tables. */
static uint64_t boot(int n)
{
	const char *why;
	uint64_t rsdp = build_acpi_tables(&gm, n, &why);

	cr_assert_neq(rsdp, 0, "%s", why ? why : "");
	cr_assert_eq(build_start_info(&gm, "", rsdp, &why), PVHV_START_INFO_GPA, "%s",
		     why ? why : "");
	return PVHV_START_INFO_GPA;
}

/* [a, a+len) lies in one memory map entry of type ACPI or reserved, and in
 * no RAM entry. */
static void check_memmap(const struct hvm_start_info *si, uint64_t a, uint64_t len)
{
	const struct hvm_memmap_entry *map =
		(const void *)at(si->memmap_paddr, si->memmap_entries * sizeof(*map));
	bool covered = false;

	for (uint32_t i = 0; i < si->memmap_entries; i++) {
		const struct hvm_memmap_entry *e = &map[i];
		bool in = a >= e->addr && a + len <= e->addr + e->size;
		bool touches = a < e->addr + e->size && e->addr < a + len;

		if (e->type == E820_RAM)
			cr_assert(!touches, "ACPI tables %#llx+%#llx in RAM entry %u",
				  (unsigned long long)a, (unsigned long long)len, i);
		else if (in && (e->type == E820_ACPI || e->type == E820_RESERVED))
			covered = true;
	}
	cr_assert(covered, "the ACPI tables are in no ACPI/reserved memory map entry");
}

static void check_tables(int n)
{
	uint64_t si_pa = boot(n);
	struct hvm_start_info si;
	uint32_t xlen, mlen;

	memcpy(&si, at(si_pa, sizeof(si)), sizeof(si));
	cr_assert_neq(si.rsdp_paddr, 0);
	cr_assert_eq(si.rsdp_paddr % ACPI_RSDP_ALIGN, 0);

	/* RSDP: signature, revision 2, both checksums */
	const uint8_t *r = at(si.rsdp_paddr, ACPI_RSDP_V2_LEN);
	cr_assert_eq(memcmp(r, "RSD PTR ", 8), 0);
	cr_assert_eq(r[15], 2, "RSDP revision %u", r[15]);
	cr_assert_eq(rd32(r + 20), 36, "RSDP length");
	cr_assert_eq(sum8(r, 20), 0, "RSDP checksum (first 20 bytes) sums to %#x", sum8(r, 20));
	cr_assert_eq(sum8(r, 36), 0, "RSDP extended checksum sums to %#x", sum8(r, 36));

	/* XSDT -> MADT by signature */
	uint64_t xsdt_pa = rd64(r + 24);
	const uint8_t *x = table(xsdt_pa, &xlen);
	cr_assert_eq(memcmp(x, "XSDT", 4), 0);
	const uint8_t *m = NULL;
	uint64_t madt_pa = 0;
	for (uint32_t off = ACPI_HEADER_LEN; off + 8 <= xlen; off += 8) {
		uint64_t pa = rd64(x + off);
		uint32_t l;
		const uint8_t *t = table(pa, &l);

		if (!memcmp(t, "APIC", 4)) {
			m = t, mlen = l, madt_pa = pa;
		}
	}
	cr_assert(m, "no MADT in the XSDT");
	cr_assert_geq(mlen, 44);
	cr_assert_eq(rd32(m + 36), 0xfee00000u, "local APIC address");

	/* entries: N enabled local APICs with ids 0..N-1, one IO-APIC */
	int lapics = 0, ioapics = 0, isos = 0;
	bool seen[PVHV_MAX_VCPUS] = { false };
	for (uint32_t off = 44; off < mlen; ) {
		const uint8_t *e = m + off;

		cr_assert_leq(off + 2, mlen);
		cr_assert_geq(e[1], 2);
		cr_assert_leq(off + e[1], mlen, "entry at %u runs past the MADT", off);
		switch (e[0]) {
		case 0:
			cr_assert_eq(e[1], 8);
			cr_assert_lt(e[3], n, "APIC id %u with %d vCPUs", e[3], n);
			cr_assert(!seen[e[3]], "APIC id %u twice", e[3]);
			seen[e[3]] = true;
			cr_assert(rd32(e + 4) & 1, "APIC id %u not enabled", e[3]);
			lapics++;
			break;
		case 1:
			cr_assert_eq(e[1], 12);
			cr_assert_eq(e[2], n, "IO-APIC id");
			cr_assert_eq(rd32(e + 4), 0xfec00000u, "IO-APIC address");
			cr_assert_eq(rd32(e + 8), 0, "IO-APIC GSI base");
			ioapics++;
			break;
		case 2:
			cr_assert_eq(e[1], 10);
			cr_assert_eq(e[2], 0, "ISO bus");
			cr_assert_eq(e[3], 0, "ISO source: the PIT");
			cr_assert_eq(rd32(e + 4), 2, "the PIT's GSI");
			isos++;
			break;
		default:
			cr_assert_fail("unexpected MADT entry type %u", e[0]);
		}
		off += e[1];
	}
	cr_assert_eq(lapics, n);
	cr_assert_eq(ioapics, 1);
	cr_assert_eq(isos, 1);

	/* all three inside a region the memory map keeps from the guest */
	check_memmap(&si, si.rsdp_paddr, ACPI_RSDP_V2_LEN);
	check_memmap(&si, xsdt_pa, xlen);
	check_memmap(&si, madt_pa, mlen);
}

Test(pvhv_acpi, one_vcpu) { check_tables(1); }
Test(pvhv_acpi, two_vcpus) { check_tables(2); }
Test(pvhv_acpi, eight_vcpus) { check_tables(8); }
Test(pvhv_acpi, max_vcpus) { check_tables(PVHV_MAX_VCPUS); }

Test(pvhv_acpi, refusals_write_nothing)
{
	const char *why;
	struct guest_mem small = { gm.host, PVHV_ACPI_GPA + 0x10 };

	cr_assert_eq(build_acpi_tables(&gm, 0, &why), 0);
	cr_assert(why);
	cr_assert_eq(build_acpi_tables(&gm, PVHV_MAX_VCPUS + 1, &why), 0);
	cr_assert(why);
	cr_assert_eq(build_acpi_tables(&small, 1, &why), 0);
	cr_assert(why);
	for (uint64_t i = 0; i < PVHV_ACPI_SIZE; i++)
		cr_assert_eq(gm.host[PVHV_ACPI_GPA + i], 0, "byte %#llx written",
			     (unsigned long long)(PVHV_ACPI_GPA + i));
}

/* Without tables the start info says so (rsdp_paddr 0), and the map is
 * the same. */
Test(pvhv_acpi, no_rsdp)
{
	const char *why;
	struct hvm_start_info si;

	cr_assert_eq(build_start_info(&gm, "", 0, &why), PVHV_START_INFO_GPA);
	memcpy(&si, at(PVHV_START_INFO_GPA, sizeof(si)), sizeof(si));
	cr_assert_eq(si.rsdp_paddr, 0);
}
