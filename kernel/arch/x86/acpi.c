/*
 * acpi.c - find the ACPI PM timer: RSDP, then RSDT or XSDT, then the
 * FADT. Firmware tables are trusted no further than their checksums and
 * lengths, and read only inside the direct map.
 */
#include <mm.h>
#include <stddef.h>
#include <string.h>
#include <abi/acpi.h>          /* the layouts pvhv writes (vmm/acpi.c) */
#include <asm/acpi.h>

#define RSDP_SIG            ACPI_RSDP_SIG
#define RSDP_SIG_LEN        ACPI_RSDP_SIG_LEN
#define RSDP_V1_LEN         ACPI_RSDP_V1_LEN  /* checksum covers these in ACPI 1.0 */
#define RSDP_REVISION       offsetof(struct acpi_rsdp, revision)   /* offsets */
#define RSDP_RSDT           offsetof(struct acpi_rsdp, rsdt_address)
#define RSDP_LENGTH         offsetof(struct acpi_rsdp, length)
#define RSDP_XSDT           offsetof(struct acpi_rsdp, xsdt_address)
#define RSDP_V2_LEN         ACPI_RSDP_V2_LEN
#define RSDP_ALIGN          ACPI_RSDP_ALIGN

#define SDT_HEADER_LEN      ACPI_HEADER_LEN
#define SDT_LENGTH          offsetof(struct acpi_header, length)
#define SIG_LEN             ACPI_SIG_LEN
#define FADT_SIG            "FACP"
#define FADT_PM_TMR_BLK     76        /* u32 I/O port */
#define FADT_PM_TMR_LEN     91        /* u8: 4 when the timer is there */
#define FADT_FLAGS          112       /* u32 */
#define FADT_MIN_LEN        (FADT_FLAGS + 4)
#define FADT_X_PM_TMR_BLK   208       /* generic address structure */
#define FADT_X_PM_TMR_END   (FADT_X_PM_TMR_BLK + 12)
#define GAS_SPACE           0         /* offsets in the GAS */
#define GAS_ADDRESS         4
#define GAS_SPACE_IO        1
#define FADT_F_TMR_VAL_EXT  (1u << 8)  /* 32-bit counter, else 24 */
#define FADT_F_HW_REDUCED   (1u << 20) /* no fixed hardware: no PM timer */
#define PM_TMR_LEN          4
#define PM_TMR_BITS         24
#define PM_TMR_BITS_EXT     32
#define IO_PORT_MAX         0xffff

/* Where a PC's BIOS may put the RSDP: the first KiB of the EBDA, whose
 * segment is at 0x40e, and the BIOS ROM area. */
#define BDA_EBDA_SEGMENT    0x40e
#define EBDA_SEARCH_LEN     1024
#define BIOS_ROM_START      0xe0000
#define BIOS_ROM_END        0x100000

/* [pa, pa+len) through the direct map, or NULL when not all inside it. */
static const u8 *map(u64 pa, u64 len)
{
	if (!pa || pa >= MM_MAP_LIMIT || len > MM_MAP_LIMIT - pa)
		return NULL;
	return __va(pa);
}

static u32 rd32(const u8 *p) { u32 v; memcpy(&v, p, 4); return v; }
static u64 rd64(const u8 *p) { u64 v; memcpy(&v, p, 8); return v; }

static bool sum_ok(const u8 *p, u64 len)
{
	u8 s = 0;

	while (len--)
		s += *p++;
	return s == 0;
}

/* A whole, checksummed RSDP at pa? */
static bool rsdp_ok(u64 pa)
{
	const u8 *r = map(pa, RSDP_V2_LEN);

	if (!r || memcmp(r, RSDP_SIG, RSDP_SIG_LEN) || !sum_ok(r, RSDP_V1_LEN))
		return false;
	return r[RSDP_REVISION] < 2 ||
	       (rd32(r + RSDP_LENGTH) >= RSDP_V2_LEN &&
		sum_ok(r, RSDP_V2_LEN));
}

static u64 scan_rsdp(u64 start, u64 end)
{
	for (u64 pa = start; pa + RSDP_V2_LEN <= end; pa += RSDP_ALIGN)
		if (rsdp_ok(pa))
			return pa;
	return 0;
}

/* A whole, checksummed table at pa, or NULL; *len gets its length. */
static const u8 *table(u64 pa, u32 *len)
{
	const u8 *h = map(pa, SDT_HEADER_LEN);

	if (!h || (*len = rd32(h + SDT_LENGTH)) < SDT_HEADER_LEN)
		return NULL;
	h = map(pa, *len);
	return h && sum_ok(h, *len) ? h : NULL;
}

/* The table called sig from the RSDT (4-byte entries) or XSDT (8-byte
 * ones), or NULL; *tlen gets its length. */
static const u8 *find_table(u64 rsdp, const char *sig, u32 *tlen)
{
	const u8 *r = map(rsdp, RSDP_V2_LEN);
	bool x = r[RSDP_REVISION] >= 2 && rd64(r + RSDP_XSDT);
	u64 dir = x ? rd64(r + RSDP_XSDT) : rd32(r + RSDP_RSDT);
	unsigned entry = x ? 8 : 4;
	u32 len;
	const u8 *d = table(dir, &len);

	if (!d)
		return NULL;
	for (u32 off = SDT_HEADER_LEN; off + entry <= len; off += entry) {
		u64 pa = x ? rd64(d + off) : rd32(d + off);
		const u8 *t = table(pa, tlen);

		if (t && !memcmp(t, sig, SIG_LEN))
			return t;
	}
	return NULL;
}

/* The loader's RSDP when it is one, else the BIOS areas' (0: none). */
static u64 find_rsdp(u64 rsdp)
{
	const u8 *bda = map(BDA_EBDA_SEGMENT, 2);

	if (!rsdp_ok(rsdp)) {
		u64 ebda = bda ? (u64)(bda[0] | bda[1] << 8) << 4 : 0;

		rsdp = ebda ? scan_rsdp(ebda, ebda + EBDA_SEARCH_LEN) : 0;
		if (!rsdp)
			rsdp = scan_rsdp(BIOS_ROM_START, BIOS_ROM_END);
	}
	return rsdp;
}

bool acpi_find_pm_timer(u64 rsdp, struct acpi_pm_timer *t)
{
	const u8 *f;
	u32 len, flags, port = 0;

	t->port = 0;
	t->mask = 0;
	t->bits = 0;
	rsdp = find_rsdp(rsdp);
	if (!rsdp || !(f = find_table(rsdp, FADT_SIG, &len)) || len < FADT_MIN_LEN)
		return false;
	flags = rd32(f + FADT_FLAGS);
	if (flags & FADT_F_HW_REDUCED)
		return false;
	if (len >= FADT_X_PM_TMR_END && f[FADT_X_PM_TMR_BLK + GAS_SPACE] == GAS_SPACE_IO)
		port = (u32)rd64(f + FADT_X_PM_TMR_BLK + GAS_ADDRESS);
	if (!port && f[FADT_PM_TMR_LEN] == PM_TMR_LEN)
		port = rd32(f + FADT_PM_TMR_BLK);
	if (!port || port > IO_PORT_MAX)
		return false;
	t->port = (u16)port;
	t->bits = flags & FADT_F_TMR_VAL_EXT ? PM_TMR_BITS_EXT : PM_TMR_BITS;
	t->mask = (u32)((1ull << t->bits) - 1);
	return true;
}

/* The MADT (ACPI 6.5, 5.2.12): after the header, the local APIC address
 * and flags, then entries of (type, length, ...). */
#define MADT_SIG            ACPI_MADT_SIG
#define MADT_ENTRIES        ACPI_MADT_LEN
#define MADT_E_TYPE         0
#define MADT_E_LEN          1
#define MADT_LAPIC          ACPI_MADT_LAPIC   /* Processor Local APIC, 8 bytes */
#define MADT_LAPIC_ID       offsetof(struct acpi_madt_lapic, apic_id)   /* u8 */
#define MADT_LAPIC_FLAGS    offsetof(struct acpi_madt_lapic, flags)     /* u32 */
#define MADT_LAPIC_LEN      ACPI_MADT_LAPIC_LEN
#define MADT_X2APIC         ACPI_MADT_X2APIC  /* Processor Local x2APIC, 16 bytes */
#define MADT_X2APIC_ID      4         /* u32 */
#define MADT_X2APIC_FLAGS   8         /* u32 */
#define MADT_X2APIC_LEN     ACPI_MADT_X2APIC_LEN
#define MADT_F_ENABLED      ACPI_MADT_ENABLED

int acpi_madt_cpus(u64 rsdp, u32 *ids, int max)
{
	const u8 *m;
	u32 len;
	int n = 0;

	rsdp = find_rsdp(rsdp);
	if (!rsdp || !(m = find_table(rsdp, MADT_SIG, &len)) || len < MADT_ENTRIES)
		return -1;
	for (u32 off = MADT_ENTRIES; off + 2 <= len; off += m[off + MADT_E_LEN]) {
		const u8 *e = m + off;
		u32 id, flags;

		if (e[MADT_E_LEN] < 2 || off + e[MADT_E_LEN] > len)
			break;                /* malformed: stop at what is sound */
		if (e[MADT_E_TYPE] == MADT_LAPIC && e[MADT_E_LEN] >= MADT_LAPIC_LEN) {
			id = e[MADT_LAPIC_ID];
			flags = rd32(e + MADT_LAPIC_FLAGS);
		} else if (e[MADT_E_TYPE] == MADT_X2APIC && e[MADT_E_LEN] >= MADT_X2APIC_LEN) {
			id = rd32(e + MADT_X2APIC_ID);
			flags = rd32(e + MADT_X2APIC_FLAGS);
		} else {
			continue;
		}
		if (!(flags & MADT_F_ENABLED))
			continue;
		if (n < max)
			ids[n] = id;
		n++;
	}
	return n;
}
