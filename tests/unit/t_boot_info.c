/*
 * t_boot_info.c - the kernel's boot-information parsers (kernel/boot_info.c,
 * built hosted) against good and hostile loader structures.
 */
#include <criterion/criterion.h>
#include <string.h>

#include <boot_info.h>
#include <abi/pvh.h>

/* "Physical memory": 64 KiB; anything outside is not accessible. */
#define MEM_SIZE 0x10000
static uint8_t mem[MEM_SIZE] __attribute__((aligned(8)));

static const void *map(uint64_t pa, size_t len)
{
	if (pa >= MEM_SIZE || len > MEM_SIZE - pa)
		return NULL;
	return mem + pa;
}

static void w32(uint64_t pa, uint32_t v) { memcpy(mem + pa, &v, 4); }
static void w64(uint64_t pa, uint64_t v) { memcpy(mem + pa, &v, 8); }

/* A good PVH start info at 0x100, memory map at 0x400, cmdline at 0x800. */
#define SI 0x100
#define MM 0x400
#define CL 0x800
#define ML 0xc00
static void good_pvh(int nr_mem)
{
	memset(mem, 0, sizeof(mem));
	w32(SI + 0, HVM_START_MAGIC);
	w32(SI + 4, 1);
	w64(SI + 24, CL);
	w64(SI + 40, MM);
	w32(SI + 48, nr_mem);
	strcpy((char *)mem + CL, "pv=nopatch tests=off");
	for (int i = 0; i < nr_mem; i++) {
		w64(MM + i * 24, i ? 0x100000 : 0);
		w64(MM + i * 24 + 8, i ? 0x7f00000 : 0x9fc00);
		w32(MM + i * 24 + 16, 1);
	}
}

static struct boot_info bi;
static const char *why;

Test(boot_info, pvh_good)
{
	good_pvh(2);
	cr_assert_eq(boot_info_parse_pvh(SI, map, &bi, &why), 0, "%s", why);
	cr_assert_str_eq(bi.cmdline, "pv=nopatch tests=off");
	cr_assert_eq(bi.nr_mem, 2);
	cr_assert_eq(bi.mem[1].base, 0x100000);
	cr_assert_eq(bi.mem[1].type, MEM_RAM);
	cr_assert_str_eq(bi.protocol, "PVH");
}

Test(boot_info, pvh_zero_size_entries_skipped)
{
	good_pvh(3);
	w64(MM + 24 + 8, 0);   /* microvm can hand out empty entries */
	cr_assert_eq(boot_info_parse_pvh(SI, map, &bi, &why), 0, "%s", why);
	cr_assert_eq(bi.nr_mem, 2);
}

static void expect_error(int r, const char *needle)
{
	cr_assert_lt(r, 0);
	cr_assert_not_null(strstr(why, needle), "message '%s' lacks '%s'", why, needle);
}

Test(boot_info, pvh_no_memory_map)
{
	good_pvh(2);
	w32(SI + 4, 0);        /* version 0: no memmap fields */
	expect_error(boot_info_parse_pvh(SI, map, &bi, &why), "no memory map");
	good_pvh(0);
	expect_error(boot_info_parse_pvh(SI, map, &bi, &why), "no memory map");
}

Test(boot_info, pvh_memory_map_without_ram)
{
	good_pvh(2);
	w32(MM + 16, 2);
	w32(MM + 24 + 16, 2);
	expect_error(boot_info_parse_pvh(SI, map, &bi, &why), "no RAM");
}

Test(boot_info, pvh_too_many_memory_entries)
{
	good_pvh(2);
	w32(SI + 48, BOOT_MAX_MEM + 1);
	expect_error(boot_info_parse_pvh(SI, map, &bi, &why), "more entries");
	w32(SI + 48, 0xffffffff);
	expect_error(boot_info_parse_pvh(SI, map, &bi, &why), "more entries");
}

Test(boot_info, pvh_memory_map_outside_memory)
{
	good_pvh(2);
	w64(SI + 40, MEM_SIZE - 10);
	expect_error(boot_info_parse_pvh(SI, map, &bi, &why), "outside accessible");
}

Test(boot_info, pvh_wrapping_entry)
{
	good_pvh(2);
	w64(MM + 24, 0xfffffffffffff000ull);
	w64(MM + 24 + 8, 0x2000);
	expect_error(boot_info_parse_pvh(SI, map, &bi, &why), "wraps");
}

Test(boot_info, pvh_bad_magic_or_address)
{
	good_pvh(2);
	w32(SI, 0x12345678);
	expect_error(boot_info_parse_pvh(SI, map, &bi, &why), "bad magic");
	expect_error(boot_info_parse_pvh(MEM_SIZE - 8, map, &bi, &why), "outside accessible");
}

Test(boot_info, pvh_cmdline_too_long)
{
	good_pvh(2);
	memset(mem + CL, 'a', CMDLINE_MAX + 10);
	expect_error(boot_info_parse_pvh(SI, map, &bi, &why), "longer than");
	cr_assert_eq(bi.cmdline[0], 0, "nothing half-copied is used");
}

Test(boot_info, pvh_cmdline_longest_accepted)
{
	good_pvh(2);
	memset(mem + CL, 'a', CMDLINE_MAX - 1);
	mem[CL + CMDLINE_MAX - 1] = 0;
	cr_assert_eq(boot_info_parse_pvh(SI, map, &bi, &why), 0, "%s", why);
	cr_assert_eq(strlen(bi.cmdline), CMDLINE_MAX - 1);
}

Test(boot_info, pvh_cmdline_runs_off_memory)
{
	good_pvh(2);
	memset(mem + MEM_SIZE - 16, 'a', 16);
	w64(SI + 24, MEM_SIZE - 16);
	expect_error(boot_info_parse_pvh(SI, map, &bi, &why), "outside accessible");
}

Test(boot_info, pvh_cmdline_control_character)
{
	good_pvh(2);
	mem[CL + 3] = 0x1b;
	expect_error(boot_info_parse_pvh(SI, map, &bi, &why), "control character");
}

Test(boot_info, pvh_module_count_that_does_not_fit)
{
	good_pvh(2);
	w32(SI + 12, BOOT_MAX_MODULES + 1);
	w64(SI + 16, ML);
	expect_error(boot_info_parse_pvh(SI, map, &bi, &why), "more modules");
	w32(SI + 12, 0x7fffffff);
	expect_error(boot_info_parse_pvh(SI, map, &bi, &why), "more modules");
}

Test(boot_info, pvh_module_list_outside_memory)
{
	good_pvh(2);
	w32(SI + 12, 2);
	w64(SI + 16, MEM_SIZE - 32);
	expect_error(boot_info_parse_pvh(SI, map, &bi, &why), "module list outside");
}

/* --- Multiboot2 ------------------------------------------------------- */

#define MBI 0x1000
static uint32_t mb2_off;

static void mb2_begin(void)
{
	memset(mem, 0, sizeof(mem));
	mb2_off = MBI + 8;
}

static uint64_t mb2_tag(uint32_t type, uint32_t size)
{
	uint64_t at = mb2_off;
	w32(at, type);
	w32(at + 4, size);
	mb2_off += (size + 7) & ~7u;
	return at;
}

static void mb2_end(void)
{
	mb2_tag(0, 8);
	w32(MBI, mb2_off - MBI);
}

static void mb2_mmap(int n)
{
	uint64_t t = mb2_tag(6, 16 + 24 * n);
	w32(t + 8, 24);
	for (int i = 0; i < n; i++) {
		w64(t + 16 + 24 * i, 0x100000 * (i + 1));
		w64(t + 16 + 24 * i + 8, 0x100000);
		w32(t + 16 + 24 * i + 16, 1);
	}
}

Test(boot_info, mb2_good)
{
	mb2_begin();
	uint64_t c = mb2_tag(1, 8 + 12);
	strcpy((char *)mem + c + 8, "tests=off");
	mb2_mmap(3);
	uint64_t m = mb2_tag(3, 16 + 4);
	w32(m + 8, 0x200000);
	w32(m + 12, 0x201000);
	mb2_end();
	cr_assert_eq(boot_info_parse_mb2(MBI, map, &bi, &why), 0, "%s", why);
	cr_assert_str_eq(bi.cmdline, "tests=off");
	cr_assert_eq(bi.nr_mem, 3);
	cr_assert_eq(bi.nr_mods, 1);
	cr_assert_eq(bi.mods[0].len, 0x1000);
	cr_assert_eq(bi.info_base, MBI);
}

Test(boot_info, mb2_no_memory_map)
{
	mb2_begin();
	mb2_end();
	expect_error(boot_info_parse_mb2(MBI, map, &bi, &why), "no memory map");
}

Test(boot_info, mb2_tag_runs_past_the_end)
{
	mb2_begin();
	mb2_mmap(1);
	mb2_end();
	w32(MBI + 8 + 4, 0x100000);   /* the mmap tag claims 1 MiB */
	expect_error(boot_info_parse_mb2(MBI, map, &bi, &why), "runs past");
}

Test(boot_info, mb2_no_end_tag)
{
	mb2_begin();
	mb2_mmap(1);
	w32(MBI, mb2_off - MBI);
	expect_error(boot_info_parse_mb2(MBI, map, &bi, &why), "no end tag");
}

Test(boot_info, mb2_bad_total_size)
{
	mb2_begin();
	w32(MBI, 4);
	expect_error(boot_info_parse_mb2(MBI, map, &bi, &why), "bad size");
	w32(MBI, MEM_SIZE * 2);
	cr_assert_lt(boot_info_parse_mb2(MBI, map, &bi, &why), 0);
}

Test(boot_info, mb2_module_count_that_does_not_fit)
{
	mb2_begin();
	mb2_mmap(1);
	for (int i = 0; i < BOOT_MAX_MODULES + 1; i++)
		mb2_tag(3, 16);
	mb2_end();
	expect_error(boot_info_parse_mb2(MBI, map, &bi, &why), "more modules");
}

Test(boot_info, mb2_module_ends_before_start)
{
	mb2_begin();
	mb2_mmap(1);
	uint64_t m = mb2_tag(3, 16);
	w32(m + 8, 0x5000);
	w32(m + 12, 0x4000);
	mb2_end();
	expect_error(boot_info_parse_mb2(MBI, map, &bi, &why), "ends before");
}

Test(boot_info, mb2_bad_mmap_entry_size)
{
	mb2_begin();
	uint64_t t = mb2_tag(6, 16 + 24);
	w32(t + 8, 3);
	mb2_end();
	expect_error(boot_info_parse_mb2(MBI, map, &bi, &why), "entry size");
}
