/*
 * cpl3_region.c - the monitor region of the deprivileged mode
 * (vmm/cpl3_monitor.h's layout): the monitor's code, its data page, the
 * GDT, TSS and IDT the kernel runs on at CPL 3, and the page tables of
 * PML4 slot PVHV_CPL3_MONITOR_SLOT (the region itself and the physmap of
 * RAM). Pure over guest memory: tests/unit/t_pvhv_cpl3_region.c reads it
 * all back under ASan.
 *
 * Sources: SDM 3A 3.4.5 (segment descriptors), 7.2.3 (the 64-bit TSS
 * descriptor), 8.7 (the 64-bit TSS), 6.14.1 (64-bit IDT gates), 4.5
 * (4-level paging).
 */
#include <string.h>

#include <abi/x86.h>

#include "cpl3_region.h"

/* A code or data segment descriptor (SDM 3A 3.4.5): base 0, limit
 * 0xfffff in 4 KiB units, present, S = 1 (code/data). */
#define DESC_LIMIT_LOW       0xffffull              /* limit 15:0 */
#define DESC_LIMIT_HIGH      (0xfull << 48)         /* limit 19:16 */
#define DESC_TYPE_SHIFT      40
#define DESC_S               (1ull << 44)
#define DESC_DPL_SHIFT       45
#define DESC_P               (1ull << 47)
#define DESC_L               (1ull << 53)           /* 64-bit code */
#define DESC_DB              (1ull << 54)           /* 32-bit default size */
#define DESC_G               (1ull << 55)           /* limit in 4 KiB units */
#define DESC_BASE_LOW_MASK   0xffffffull            /* base 23:0 ... */
#define DESC_BASE_LOW_SHIFT  16                     /* ... at bits 39:16 */
#define DESC_BASE_MID_BITS   24                     /* base 31:24 ... */
#define DESC_BASE_MID_MASK   0xffull
#define DESC_BASE_MID_SHIFT  56                     /* ... at bits 63:56 */
#define DESC_BASE_HIGH_SHIFT 32                     /* base 63:32: the TSS's second entry */
#define SEG_CODE_XRA         0xbull                 /* execute/read, accessed */
#define SEG_DATA_RWA         0x3ull                 /* read/write, accessed */
#define SEG_TSS_BUSY         0xbull                 /* 64-bit TSS, busy: TR holds it */
#define DPL_KERNEL           0ull
#define DPL_USER             3ull

/* The 64-bit TSS (SDM 3A 8.7): 104 bytes; rsp0 at 4, IST1 at 36, the I/O
 * map base at 102. A map base at the limit or beyond: no bitmap, so every
 * port is #GP at CPL 3 (IOPL 0). */
#define TSS_SIZE             104
#define TSS_LIMIT            (TSS_SIZE - 1)
#define TSS_RSP0             4
#define TSS_IST1             36
#define TSS_IOMAP_BASE       102
#define TSS_NO_IOMAP         TSS_SIZE
#define GDT_ENTRY            8

/* A 64-bit interrupt gate (SDM 3A 6.14.1): 16 bytes. */
#define GATE_SIZE            16
#define GATE_SEL_SHIFT       16
#define GATE_IST_SHIFT       32
#define GATE_TYPE_SHIFT      40
#define GATE_TYPE_INTR       0xeull                 /* IF cleared on entry */
#define GATE_DPL_SHIFT       45
#define GATE_P               (1ull << 47)
#define GATE_OFF_LOW_MASK    0xffffull
#define GATE_OFF_MID_SHIFT   32                     /* offset 31:16 -> bits 63:48 */
#define GATE_OFF_MID_MASK    (0xffffull << 48)
#define GATE_OFF_HIGH_SHIFT  32

/* The monitor's tables: supervisor (no PTE_USER), no PTE_GLOBAL; A and D
 * set already so that no walk writes them. */
#define MON_TABLE_FLAGS      (PTE_PRESENT | PTE_WRITE | PTE_ACCESSED)
#define MON_CODE_FLAGS       (PTE_PRESENT | PTE_ACCESSED)
#define MON_DATA_FLAGS       (PTE_PRESENT | PTE_WRITE | PTE_ACCESSED | PTE_DIRTY | PTE_NX)
#define MON_PHYS_FLAGS       (MON_DATA_FLAGS | PTE_PS)
#define MON_PML4E_FLAGS      (PTE_PRESENT | PTE_WRITE)  /* U = 0: CPL 3 never reaches the slot */
#define MON_PHYS_PDPT_INDEX  PUD_INDEX(PVHV_CPL3_PHYSMAP)   /* 256 */
#define MON_PAGES            (MON_SIZE / PAGE_SIZE)
#define MON_CODE_PAGES       (MON_CODE_SIZE / PAGE_SIZE)
#define MON_MAX_RAM          ((uint64_t)PVHV_CPL3_MAX_MEM_MB * PVHV_MIB)

_Static_assert(PGD_INDEX(PVHV_CPL3_MONITOR_BASE) == PVHV_CPL3_MONITOR_SLOT &&
	       PGD_INDEX(PVHV_CPL3_PHYSMAP) == PVHV_CPL3_MONITOR_SLOT,
	       "the monitor and its physmap share PML4 slot 510");
_Static_assert(PUD_INDEX(PVHV_CPL3_MONITOR_BASE) == 0 && PMD_INDEX(PVHV_CPL3_MONITOR_BASE) == 0,
	       "the region is mapped through entry 0 of MON_PDPT and MON_PD");
_Static_assert(MON_MAX_RAM <= PTRS_PER_TABLE * PMD_SIZE, "the physmap is one PD");
_Static_assert(MON_STUBS_END <= MON_CODE_SIZE, "the stubs fit in the code pages");

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, sizeof(v));
}

static uint64_t seg_desc(uint64_t type, uint64_t dpl, uint64_t size_bits)
{
	return DESC_LIMIT_LOW | DESC_LIMIT_HIGH | (type << DESC_TYPE_SHIFT) | DESC_S |
	       (dpl << DESC_DPL_SHIFT) | DESC_P | DESC_G | size_bits;
}

/* The TSS descriptor: two entries, the base's bits 63:32 in the second. */
static void tss_desc(uint8_t *gdt, uint64_t base)
{
	uint64_t low = (TSS_LIMIT & DESC_LIMIT_LOW) |
		       ((base & DESC_BASE_LOW_MASK) << DESC_BASE_LOW_SHIFT) |
		       (SEG_TSS_BUSY << DESC_TYPE_SHIFT) | DESC_P |
		       (((base >> DESC_BASE_MID_BITS) & DESC_BASE_MID_MASK) << DESC_BASE_MID_SHIFT);

	put64(gdt + MON_GDT_TSS * GDT_ENTRY, low);
	put64(gdt + (MON_GDT_TSS + 1) * GDT_ENTRY, base >> DESC_BASE_HIGH_SHIFT);
}

static void build_gdt(uint8_t *r)
{
	uint8_t *gdt = r + MON_GDT;

	put64(gdt + MON_GDT_CS * GDT_ENTRY, seg_desc(SEG_CODE_XRA, DPL_KERNEL, DESC_L));
	put64(gdt + MON_GDT_DS * GDT_ENTRY, seg_desc(SEG_DATA_RWA, DPL_KERNEL, DESC_DB));
	put64(gdt + MON_GDT_KDS * GDT_ENTRY, seg_desc(SEG_DATA_RWA, DPL_USER, DESC_DB));
	put64(gdt + MON_GDT_KCS * GDT_ENTRY, seg_desc(SEG_CODE_XRA, DPL_USER, DESC_L));
	tss_desc(gdt, PVHV_CPL3_MONITOR_BASE + MON_TSS);
}

static void build_tss(uint8_t *r)
{
	uint8_t *tss = r + MON_TSS;
	uint16_t iomap = TSS_NO_IOMAP;

	put64(tss + TSS_RSP0, PVHV_CPL3_MONITOR_BASE + MON_STACK_TOP);
	put64(tss + TSS_IST1, PVHV_CPL3_MONITOR_BASE + MON_IST_TOP);
	memcpy(tss + TSS_IOMAP_BASE, &iomap, sizeof(iomap));
}

static bool is_gate(unsigned v)
{
	return v == PVHV_CPL3_VEC_HCALL || v == PVHV_CPL3_VEC_REGISTER ||
	       v == PVHV_CPL3_VEC_EVENTS || v == PVHV_CPL3_VEC_HALT ||
	       v == PVHV_CPL3_VEC_FLUSH;
}

static bool on_ist(unsigned v)
{
	return v == MON_VEC_NMI || v == MON_VEC_DF || v == MON_VEC_MC;
}

static void build_idt(uint8_t *r)
{
	for (unsigned v = 0; v < MON_VECTORS; v++) {
		uint64_t off = PVHV_CPL3_MONITOR_BASE + MON_CODE + (uint64_t)v * MON_STUB_SIZE;
		uint64_t dpl = is_gate(v) ? DPL_USER : DPL_KERNEL;
		uint64_t ist = on_ist(v) ? MON_IST_INDEX : 0;
		uint64_t low = (off & GATE_OFF_LOW_MASK) | ((uint64_t)MON_SEL_CS << GATE_SEL_SHIFT) |
			       (ist << GATE_IST_SHIFT) | (GATE_TYPE_INTR << GATE_TYPE_SHIFT) |
			       (dpl << GATE_DPL_SHIFT) | GATE_P |
			       ((off << GATE_OFF_MID_SHIFT) & GATE_OFF_MID_MASK);

		put64(r + MON_IDT + v * GATE_SIZE, low);
		put64(r + MON_IDT + v * GATE_SIZE + 8, off >> GATE_OFF_HIGH_SHIFT);
	}
}

/* Slot 510: MON_PDPT[0] -> MON_PD[0] -> MON_PT (the region's pages);
 * MON_PDPT[256] -> MON_PHYS_PD (RAM from gpa 0 in 2 MiB pages). */
static void build_tables(uint8_t *r, uint64_t base, uint64_t ram_bytes)
{
	uint8_t *pdpt = r + MON_PDPT, *pd = r + MON_PD, *pt = r + MON_PT;
	uint8_t *phys = r + MON_PHYS_PD;

	put64(pdpt, (base + MON_PD) | MON_TABLE_FLAGS);
	put64(pdpt + MON_PHYS_PDPT_INDEX * 8, (base + MON_PHYS_PD) | MON_TABLE_FLAGS);
	put64(pd, (base + MON_PT) | MON_TABLE_FLAGS);
	for (uint64_t i = 0; i < MON_PAGES; i++)
		put64(pt + i * 8, (base + i * PAGE_SIZE) |
		      (i < MON_CODE_PAGES ? MON_CODE_FLAGS : MON_DATA_FLAGS));
	for (uint64_t i = 0; i * PMD_SIZE < ram_bytes; i++)
		put64(phys + i * 8, (i * PMD_SIZE) | MON_PHYS_FLAGS);
}

/* What is wrong with the arguments, or NULL. */
static const char *region_refusal(const struct guest_mem *gm, uint64_t base, uint64_t ram)
{
	if ((size_t)(cpl3_monitor_end - cpl3_monitor_start) > MON_CODE_SIZE)
		return "the monitor's code is larger than MON_CODE_SIZE";
	if (ram > MON_MAX_RAM)
		return "RAM beyond PVHV_CPL3_MAX_MEM_MB: the physmap maps 1 GiB";
	if (ram > gm->size)
		return "RAM larger than guest memory";
	if (base % MON_SIZE)
		return "the region's gpa is not MON_SIZE aligned";
	if (base > ram || ram - base < MON_SIZE)
		return "the region does not fit in RAM";
	return NULL;
}

uint64_t cpl3_region_build(struct guest_mem *gm, uint64_t base_gpa, uint64_t ram_bytes,
			   const char **why)
{
	const char *no = region_refusal(gm, base_gpa, ram_bytes);
	uint8_t *r = no ? NULL : gm_ptr(gm, base_gpa, MON_SIZE);
	uint64_t magic = MON_MAGIC;

	if (!r) {
		*why = no ? no : "the region is outside guest memory";
		return 0;
	}
	memset(r, 0, MON_SIZE);
	memcpy(r + MON_CODE, cpl3_monitor_start,
	       (size_t)(cpl3_monitor_end - cpl3_monitor_start));
	put64(r + MON_DATA + MOND_MAGIC, magic);
	build_gdt(r);
	build_tss(r);
	build_idt(r);
	build_tables(r, base_gpa, ram_bytes);
	return (base_gpa + MON_PDPT) | MON_PML4E_FLAGS;
}
