/*
 * t_pvhv_cpl3_region.c - the monitor region of the deprivileged mode
 * (vmm/cpl3_region.c) read back the way the CPU reads it: GDT
 * descriptors, the TSS, IDT gates and the slot-510 page tables decoded
 * here field by field and compared with encodings worked out by hand
 * from the SDM (not with the builder's constants); the monitor's entry
 * stubs decoded byte by byte. Built into build/tests/pvhv-unit with ASan
 * and UBSan (vmm/vmm.mk).
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "cpl3_region.h"

#define MEM      (8u << 20)
#define BASE     (MEM - 0x10000u)          /* the top 64 KiB */
#define MON_VA   0xffffff0000000000ull
#define PHYS_VA  0xffffff4000000000ull
#define FILL     0xaa

static struct guest_mem gm;

static void setup(void)
{
	gm.size = MEM;
	gm.host = malloc(MEM);
	cr_assert(gm.host);
	memset(gm.host, FILL, MEM);
}

static void teardown(void)
{
	free(gm.host);
}

TestSuite(pvhv_cpl3_region, .init = setup, .fini = teardown);

static uint64_t rd64(uint64_t gpa)
{
	uint64_t v;

	cr_assert(gpa + 8 <= MEM, "gpa %#llx outside RAM", (unsigned long long)gpa);
	memcpy(&v, gm.host + gpa, 8);
	return v;
}

static uint16_t rd16(uint64_t gpa)
{
	uint16_t v;

	memcpy(&v, gm.host + gpa, 2);
	return v;
}

static uint64_t build(void)
{
	const char *why = NULL;
	uint64_t e = cpl3_region_build(&gm, BASE, MEM, &why);

	cr_assert(e, "refused: %s", why ? why : "(no reason)");
	return e;
}

Test(pvhv_cpl3_region, returns_the_supervisor_pml4_entry)
{
	/* PDPT at base + 0xa000, present + writable, U clear */
	cr_assert_eq(build(), (uint64_t)BASE + 0xa000 + 0x3);
}

Test(pvhv_cpl3_region, gdt_descriptors)
{
	build();
	uint64_t gdt = BASE + 0x8000;

	cr_assert_eq(rd64(gdt + 0 * 8), 0);
	cr_assert_eq(rd64(gdt + 1 * 8), 0x00af9b000000ffffull);   /* 0x08 code DPL 0, L */
	cr_assert_eq(rd64(gdt + 2 * 8), 0x00cf93000000ffffull);   /* 0x10 data DPL 0 */
	cr_assert_eq(rd64(gdt + 3 * 8), 0);
	cr_assert_eq(rd64(gdt + 4 * 8), 0x00cff3000000ffffull);   /* 0x23 data DPL 3 */
	cr_assert_eq(rd64(gdt + 5 * 8), 0x00affb000000ffffull);   /* 0x2b code DPL 3, L */
	/* 0x30: busy 64-bit TSS at 0xffffff0000008100, limit 0x67 */
	cr_assert_eq(rd64(gdt + 6 * 8), 0x00008b0081000067ull,
		     "TSS low %#llx", (unsigned long long)rd64(gdt + 6 * 8));
	cr_assert_eq(rd64(gdt + 7 * 8), 0xffffff00ull);
}

Test(pvhv_cpl3_region, gdt_fields_decoded)
{
	build();
	uint64_t d = rd64(BASE + 0x8000 + 5 * 8);

	cr_assert_eq((d >> 40) & 0xf, 0xb, "type");
	cr_assert_eq((d >> 44) & 1, 1, "S");
	cr_assert_eq((d >> 45) & 3, 3, "DPL");
	cr_assert_eq((d >> 47) & 1, 1, "P");
	cr_assert_eq((d >> 53) & 1, 1, "L");
	cr_assert_eq((d >> 54) & 1, 0, "D must be 0 with L");
	d = rd64(BASE + 0x8000 + 6 * 8);
	uint64_t base = ((d >> 16) & 0xffffff) | (((d >> 56) & 0xff) << 24) |
			(rd64(BASE + 0x8000 + 7 * 8) << 32);
	cr_assert_eq(base, MON_VA + 0x8100);
	cr_assert_eq(d & 0xffff, 103);
	cr_assert_eq((d >> 40) & 0xf, 0xb, "busy 64-bit TSS");
	cr_assert_eq((d >> 44) & 1, 0, "system descriptor");
}

Test(pvhv_cpl3_region, tss)
{
	build();
	uint64_t tss = BASE + 0x8100, rsp0, ist1;

	memcpy(&rsp0, gm.host + tss + 4, 8);
	memcpy(&ist1, gm.host + tss + 36, 8);
	cr_assert_eq(rsp0, MON_VA + 0x7000);
	cr_assert_eq(ist1, MON_VA + 0x8000);
	cr_assert_eq(rd16(tss + 102), 104, "I/O map base at the limit: no bitmap");
}

/* The expectations, listed here: the DPL 3 gates and the IST1 vectors. */
static bool user_gate(unsigned v) { return v >= 0xf8 && v <= 0xfc; }
static bool ist_vector(unsigned v) { return v == 2 || v == 8 || v == 18; }

Test(pvhv_cpl3_region, idt_gates_decoded)
{
	build();
	for (unsigned v = 0; v < 256; v++) {
		uint64_t lo = rd64(BASE + 0x9000 + v * 16), hi = rd64(BASE + 0x9000 + v * 16 + 8);
		uint64_t off = (lo & 0xffff) | (((lo >> 48) & 0xffff) << 16) | ((hi & 0xffffffff) << 32);

		cr_assert_eq(off, MON_VA + v * 16, "vector %u offset %#llx", v, (unsigned long long)off);
		cr_assert_eq((lo >> 16) & 0xffff, 0x08, "vector %u selector", v);
		cr_assert_eq((lo >> 32) & 7, ist_vector(v) ? 1u : 0u, "vector %u IST", v);
		cr_assert_eq((lo >> 40) & 0xf, 0xe, "vector %u: interrupt gate", v);
		cr_assert_eq((lo >> 45) & 3, user_gate(v) ? 3u : 0u, "vector %u DPL", v);
		cr_assert_eq((lo >> 47) & 1, 1, "vector %u present", v);
		cr_assert_eq(hi >> 32, 0, "vector %u reserved", v);
	}
}

Test(pvhv_cpl3_region, idt_literal_gates)
{
	build();
	cr_assert_eq(rd64(BASE + 0x9000 + 14 * 16), 0x00008e00000800e0ull);   /* #PF */
	cr_assert_eq(rd64(BASE + 0x9000 + 2 * 16), 0x00008e0100080020ull);    /* NMI, IST1 */
	cr_assert_eq(rd64(BASE + 0x9000 + 0xf8 * 16), 0x0000ee0000080f80ull); /* HCALL, DPL 3 */
	cr_assert_eq(rd64(BASE + 0x9000 + 0xf8 * 16 + 8), 0xffffff00ull);
}

Test(pvhv_cpl3_region, page_table_entries)
{
	build();
	const uint64_t nx = 1ull << 63;

	cr_assert_eq(rd64(BASE + 0xa000), (BASE + 0xb000) | 0x23);            /* P RW A */
	cr_assert_eq(rd64(BASE + 0xa000 + 256 * 8), (BASE + 0xd000) | 0x23);
	cr_assert_eq(rd64(BASE + 0xa000 + 8), 0);
	cr_assert_eq(rd64(BASE + 0xb000), (BASE + 0xc000) | 0x23);
	cr_assert_eq(rd64(BASE + 0xc000), BASE | 0x21);                       /* code: P A, RX */
	cr_assert_eq(rd64(BASE + 0xc000 + 8), (BASE + 0x1000) | 0x21);
	cr_assert_eq(rd64(BASE + 0xc000 + 2 * 8), (BASE + 0x2000) | 0x63 | nx); /* P RW A D NX */
	cr_assert_eq(rd64(BASE + 0xc000 + 15 * 8), (BASE + 0xf000) | 0x63 | nx);
	cr_assert_eq(rd64(BASE + 0xc000 + 16 * 8), 0);
	cr_assert_eq(rd64(BASE + 0xd000), 0xe3 | nx);                         /* 2 MiB, PS */
	cr_assert_eq(rd64(BASE + 0xd000 + 3 * 8), 0x600000 | 0xe3 | nx);
	cr_assert_eq(rd64(BASE + 0xd000 + 4 * 8), 0, "8 MiB of RAM: four 2 MiB pages");
	for (uint64_t i = 0; i < 16; i++)
		cr_assert_eq(rd64(BASE + 0xc000 + i * 8) & 0x104, 0, "page %llu: U or G set",
			     (unsigned long long)i);
}

/* A 4-level walk of `va` from the PML4 entry `e` (slot 510), as the CPU
 * does it; returns the gpa, or ~0 if some level is absent. */
static uint64_t walk(uint64_t e, uint64_t va)
{
	const uint64_t addr = 0x000ffffffffff000ull;
	int shift[] = { 30, 21, 12 };

	cr_assert_eq((va >> 39) & 511, 510);
	for (int l = 0; l < 3; l++) {
		if (!(e & 1))
			return ~0ull;
		e = rd64((e & addr) + ((va >> shift[l]) & 511) * 8);
		if (!(e & 1))
			return ~0ull;
		if (e & 0x80) {
			uint64_t m = (1ull << shift[l]) - 1;
			return ((e & addr) & ~m) | (va & m);
		}
	}
	return (e & addr) | (va & 0xfff);
}

Test(pvhv_cpl3_region, walks)
{
	uint64_t e = build();

	cr_assert_eq(walk(e, MON_VA + 0x3008), BASE + 0x3008, "MON_TRAPS");
	cr_assert_eq(walk(e, MON_VA + 0x9ff0), BASE + 0x9ff0, "the IDT");
	cr_assert_eq(walk(e, PHYS_VA + 0x123456), 0x123456, "the physmap");
	cr_assert_eq(walk(e, PHYS_VA + MEM - 8), MEM - 8);
	cr_assert_eq(walk(e, PHYS_VA + MEM), ~0ull, "beyond RAM: unmapped");
	cr_assert_eq(walk(e, MON_VA + 0x10000), ~0ull, "beyond the region");
}

Test(pvhv_cpl3_region, data_and_code)
{
	build();
	size_t len = (size_t)(cpl3_monitor_end - cpl3_monitor_start);

	cr_assert_eq(rd64(BASE + 0x2000), 0x4e4f4d33565650ull, "MOND_MAGIC");
	for (uint64_t off = 0x2008; off < 0x3000; off += 8)
		cr_assert_eq(rd64(BASE + off), 0, "struct cpl3_mon at %#llx", (unsigned long long)off);
	cr_assert_eq(rd64(BASE + 0x3000 + 14 * 8), 0, "no handlers yet");
	cr_assert(len > 4096 && len <= 0x2000, "monitor of %zu bytes", len);
	cr_assert_eq(memcmp(gm.host + BASE, cpl3_monitor_start, len), 0);
}

/* The entry stubs: "push $0" where the CPU pushes no error code, "push
 * $v", "jmp rel32" into the common code; a gate: only the jmp; the
 * spurious vector 0xff: iretq. */
static const unsigned errcode_vectors[] = { 8, 10, 11, 12, 13, 14, 17, 21, 29, 30 };

static bool has_errcode(unsigned v)
{
	for (size_t i = 0; i < sizeof(errcode_vectors) / sizeof(errcode_vectors[0]); i++)
		if (errcode_vectors[i] == v)
			return true;
	return false;
}

Test(pvhv_cpl3_region, stubs_decoded)
{
	const uint8_t *c = cpl3_monitor_start;
	size_t len = (size_t)(cpl3_monitor_end - cpl3_monitor_start);
	int32_t targets[3] = { 0, 0, 0 };       /* exception, interrupt: one each */

	for (unsigned v = 0; v < 256; v++) {
		const uint8_t *s = c + v * 16;
		size_t i = 0;
		int32_t rel;

		if (v == 0xff) {                 /* spurious: iretq, nothing else */
			cr_assert_eq(s[0], 0x48, "vector 255: REX.W");
			cr_assert_eq(s[1], 0xcf, "vector 255: iretq");
			continue;
		}
		if (!user_gate(v)) {
			if (v >= 32 || !has_errcode(v)) {
				cr_assert_eq(s[i], 0x6a, "vector %u: push $0", v);
				cr_assert_eq(s[i + 1], 0, "vector %u", v);
				i += 2;
			}
			cr_assert_eq(s[i], 0x6a, "vector %u: push $v", v);
			cr_assert_eq(s[i + 1], (uint8_t)v, "vector %u", v);
			i += 2;
		}
		cr_assert_eq(s[i], 0xe9, "vector %u: jmp rel32", v);
		memcpy(&rel, s + i + 1, 4);
		int64_t target = (int64_t)(v * 16 + i + 5) + rel;
		cr_assert(target >= 4096 && (size_t)target < len, "vector %u jumps to %lld", v,
			  (long long)target);
		int kind = user_gate(v) ? 2 : v < 32 ? 0 : 1;
		if (kind < 2) {
			if (!targets[kind])
				targets[kind] = (int32_t)target;
			cr_assert_eq(target, targets[kind], "vector %u: one common path", v);
		}
	}
	cr_assert_neq(targets[0], targets[1], "exceptions and interrupts differ");
}

Test(pvhv_cpl3_region, refusals_write_nothing)
{
	const char *why = NULL;
	struct { uint64_t base, ram; const char *what; } bad[] = {
		{ BASE + 0x1000, MEM, "unaligned" },
		{ MEM, MEM, "at the end of RAM" },
		{ BASE, MEM - 0x1000, "past RAM" },
		{ BASE, MEM + 0x10000, "RAM larger than memory" },
		{ BASE, (1ull << 30) + 0x200000, "more than 1 GiB" },
		{ ~0ull & ~0xffffull, MEM, "wraps" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		cr_assert_eq(cpl3_region_build(&gm, bad[i].base, bad[i].ram, &why), 0, "%s",
			     bad[i].what);
		cr_assert(why && *why, "%s: no reason", bad[i].what);
	}
	for (uint64_t off = 0; off < MEM; off += 4096)
		cr_assert_eq(gm.host[off], FILL, "written at %#llx", (unsigned long long)off);
}
