/*
 * t_pvhv_loader.c - pvhv's kernel loader and start info (vmm/loader.c)
 * against hostile images. Built into build/tests/pvhv-unit, with ASan
 * and UBSan (vmm/vmm.mk).
 */
#include <criterion/criterion.h>
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pvhv.h"
#include <abi/pvh.h>

#define MEM (8u << 20)
#define SEG_PA 0x100000u
#define SEG2_PA 0x200000u
#define FILESZ 64u
#define MEMSZ 256u
#define ENTRY (SEG_PA + 16)

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

/* An image: header, 3 phdrs (2 PT_LOAD, PT_NOTE), the note, the data. */
struct img {
	Elf64_Ehdr eh;
	Elf64_Phdr ph[3];
	Elf64_Nhdr nh;
	char name[4];
	uint64_t entry;
	uint8_t data[FILESZ];
	uint8_t data2[FILESZ];
};

static void make(struct img *m)
{
	memset(m, 0, sizeof(*m));
	memcpy(m->eh.e_ident, ELFMAG, SELFMAG);
	m->eh.e_ident[EI_CLASS] = ELFCLASS64;
	m->eh.e_ident[EI_DATA] = ELFDATA2LSB;
	m->eh.e_machine = EM_X86_64;
	m->eh.e_phoff = offsetof(struct img, ph);
	m->eh.e_phentsize = sizeof(Elf64_Phdr);
	m->eh.e_phnum = 3;
	m->ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = offsetof(struct img, data),
				 .p_paddr = SEG_PA, .p_filesz = FILESZ, .p_memsz = MEMSZ,
				 .p_flags = PF_R | PF_X };
	m->ph[1] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = offsetof(struct img, data2),
				 .p_paddr = SEG2_PA, .p_filesz = FILESZ, .p_memsz = FILESZ,
				 .p_flags = PF_R | PF_W };
	m->ph[2] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = offsetof(struct img, nh),
				 .p_filesz = sizeof(Elf64_Nhdr) + 4 + 8 };
	m->nh = (Elf64_Nhdr){ .n_namesz = 4, .n_descsz = 8, .n_type = 18 };
	memcpy(m->name, "Xen", 4);
	m->entry = ENTRY;
	memset(m->data, 0xab, FILESZ);
	memset(m->data2, 0xcd, FILESZ);
}

static int load(struct img *m, size_t len, const char **why)
{
	struct kernel_image ki;

	return load_elf_kernel(&gm, m, len, &ki, why);
}

TestSuite(pvhv_loader, .init = setup, .fini = teardown);

Test(pvhv_loader, good_image_loads_and_zeroes_the_tail)
{
	struct img m;
	struct kernel_image ki;
	const char *why;

	make(&m);
	memset(gm.host + SEG_PA, 0x77, MEMSZ);  /* stale bytes to be zeroed */
	cr_assert_eq(load_elf_kernel(&gm, &m, sizeof(m), &ki, &why), 0, "%s", why);
	cr_assert_eq(ki.entry, ENTRY);
	cr_assert_eq(ki.nr_segments, 2);
	cr_assert_eq(ki.lowest, SEG_PA);
	cr_assert_eq(ki.highest, SEG2_PA + FILESZ);
	cr_assert_eq(gm.host[SEG_PA], 0xab);
	cr_assert_eq(gm.host[SEG_PA + FILESZ - 1], 0xab);
	for (unsigned i = FILESZ; i < MEMSZ; i++)
		cr_assert_eq(gm.host[SEG_PA + i], 0, "tail byte %u", i);
	cr_assert_eq(gm.host[SEG2_PA], 0xcd);
}

Test(pvhv_loader, four_byte_entry_note)
{
	struct img m;
	const char *why;

	make(&m);
	m.nh.n_descsz = 4;
	cr_assert_eq(load(&m, sizeof(m), &why), 0, "%s", why);
}

Test(pvhv_loader, every_truncation_is_refused)
{
	struct img m;
	const char *why;

	make(&m);
	for (size_t len = 0; len < sizeof(m); len++) {
		/* a fresh heap copy of exactly len bytes: ASan sees any overread */
		uint8_t *copy = malloc(len ? len : 1);
		memcpy(copy, &m, len);
		cr_assert_lt(load((struct img *)copy, len, &why), 0, "len %zu loaded", len);
		cr_assert(why && *why);
		free(copy);
	}
}

Test(pvhv_loader, foreign_files_are_refused)
{
	struct img m;
	const char *why;

	make(&m);
	m.eh.e_ident[EI_MAG1] = 'X';
	cr_assert_lt(load(&m, sizeof(m), &why), 0);
	cr_assert(strstr(why, "not an ELF"));
	make(&m);
	m.eh.e_ident[EI_CLASS] = ELFCLASS32;
	cr_assert_lt(load(&m, sizeof(m), &why), 0);
	cr_assert(strstr(why, "ELF64"));
	make(&m);
	m.eh.e_ident[EI_DATA] = ELFDATA2MSB;
	cr_assert_lt(load(&m, sizeof(m), &why), 0);
	make(&m);
	m.eh.e_machine = EM_AARCH64;
	cr_assert_lt(load(&m, sizeof(m), &why), 0);
	cr_assert(strstr(why, "x86-64"));
	cr_assert_lt(load_elf_kernel(&gm, NULL, 0, &(struct kernel_image){ 0 }, &why), 0);
}

Test(pvhv_loader, hostile_program_headers)
{
	struct img m;
	const char *why;

	make(&m);
	m.eh.e_phoff = ~0ull - 8;
	cr_assert_lt(load(&m, sizeof(m), &why), 0);
	make(&m);
	m.eh.e_phnum = 0xffff;
	cr_assert_lt(load(&m, sizeof(m), &why), 0);
	make(&m);
	m.eh.e_phnum = 0;
	cr_assert_lt(load(&m, sizeof(m), &why), 0);
	make(&m);
	m.eh.e_phentsize = 1;
	cr_assert_lt(load(&m, sizeof(m), &why), 0);
	make(&m);
	m.ph[0].p_offset = ~0ull - 4;
	cr_assert_lt(load(&m, sizeof(m), &why), 0);
	cr_assert(strstr(why, "truncated"));
	make(&m);
	m.ph[0].p_filesz = MEMSZ + 1;
	cr_assert_lt(load(&m, sizeof(m), &why), 0);
}

Test(pvhv_loader, segments_outside_memory)
{
	struct img m;
	const char *why;

	make(&m);
	m.ph[0].p_paddr = MEM - MEMSZ + 1;
	cr_assert_lt(load(&m, sizeof(m), &why), 0);
	cr_assert(strstr(why, "outside the 8 MiB of guest RAM"), "%s", why);
	make(&m);
	m.ph[0].p_paddr = ~0ull - 16;                 /* paddr + memsz wraps */
	cr_assert_lt(load(&m, sizeof(m), &why), 0);
	make(&m);
	m.ph[0].p_memsz = ~0ull;
	cr_assert_lt(load(&m, sizeof(m), &why), 0);
	make(&m);
	m.ph[0].p_paddr = 0x1000;
	cr_assert_lt(load(&m, sizeof(m), &why), 0);
	cr_assert(strstr(why, "below 1 MiB"));
}

/* Refusals name the bad value and what was expected. */
Test(pvhv_loader, header_refusals_name_the_value)
{
	struct img m;
	const char *why;

	make(&m);
	m.eh.e_phentsize = 48;
	cr_assert_eq(load(&m, sizeof(m), &why), -ENOEXEC);
	cr_assert_str_eq(why, "e_phentsize 48, expected 56 (the size of an Elf64_Phdr)");
	make(&m);
	m.eh.e_machine = 183;                        /* EM_AARCH64 */
	cr_assert_lt(load(&m, sizeof(m), &why), 0);
	cr_assert(strstr(why, "e_machine 183, expected 62"), "%s", why);
	make(&m);
	m.eh.e_ident[EI_CLASS] = 1;
	cr_assert_lt(load(&m, sizeof(m), &why), 0);
	cr_assert(strstr(why, "EI_CLASS 1, expected 2"), "%s", why);
	make(&m);
	m.eh.e_ident[EI_DATA] = 2;
	cr_assert_lt(load(&m, sizeof(m), &why), 0);
	cr_assert(strstr(why, "EI_DATA 2, expected 1"), "%s", why);
	make(&m);
	m.eh.e_phnum = 65;
	cr_assert_eq(load(&m, sizeof(m), &why), -E2BIG);
	cr_assert(strstr(why, "e_phnum 65"), "%s", why);
	make(&m);
	memcpy(m.eh.e_ident, "MZ\x90\x00", 4);
	cr_assert_lt(load(&m, sizeof(m), &why), 0);
	cr_assert(strstr(why, "starts 4d 5a 90 00"), "%s", why);
	cr_assert_lt(load(&m, 15, &why), 0);
	cr_assert(strstr(why, "15 bytes"), "%s", why);
	make(&m);
	m.eh.e_phoff = 0x1000;
	cr_assert_lt(load(&m, sizeof(m), &why), 0);
	cr_assert(strstr(why, "e_phoff 0x1000"), "%s", why);
}

Test(pvhv_loader, segment_refusals_name_the_value)
{
	struct img m;
	const char *why;

	make(&m);
	m.ph[0].p_filesz = 0x101;
	cr_assert_lt(load(&m, sizeof(m), &why), 0);
	cr_assert(strstr(why, "segment 0: p_filesz 0x101 > p_memsz 0x100"), "%s", why);
	make(&m);
	m.ph[1].p_paddr = 0xff000;
	cr_assert_lt(load(&m, sizeof(m), &why), 0);
	cr_assert(strstr(why, "segment 1: p_paddr 0xff000 is below 1 MiB"), "%s", why);
	make(&m);
	m.ph[1].p_paddr = 0x1000ff;
	cr_assert_lt(load(&m, sizeof(m), &why), 0);
	cr_assert(strstr(why, "segments 0 (0x100000..0x100100) and 1 (0x1000ff..0x10013f) "
			 "overlap"), "%s", why);
	make(&m);
	m.ph[1].p_offset = 0x10000;
	cr_assert_lt(load(&m, sizeof(m), &why), 0);
	cr_assert(strstr(why, "PT_LOAD segment 1 (p_offset 0x10000, p_filesz 0x40)"), "%s", why);
	make(&m);
	m.nh.n_descsz = 2;
	cr_assert_lt(load(&m, sizeof(m), &why), 0);
	cr_assert(strstr(why, "payload is 2 bytes"), "%s", why);
}

/* Guest RAM here is 8 MiB; pvhv's --mem goes up to 3072 MiB (0xc0000000). */
Test(pvhv_loader, segment_beyond_ram_says_which_mem_would_hold_it)
{
	struct img m;
	const char *why;

	make(&m);
	m.ph[1].p_paddr = 0x7fffc1;                  /* ends at 0x800001 */
	cr_assert_eq(load(&m, sizeof(m), &why), -ENOMEM);
	cr_assert(strstr(why, "segment 1 (0x7fffc1..0x800001) is outside the 8 MiB of "
			 "guest RAM: --mem 9 would hold it"), "%s", why);
	make(&m);
	m.ph[1].p_paddr = 0xbfffffc0;                /* ends exactly at 3 GiB */
	cr_assert_eq(load(&m, sizeof(m), &why), -ENOMEM);
	cr_assert(strstr(why, "--mem 3072 would hold it"), "%s", why);
}

Test(pvhv_loader, segment_beyond_any_mem_does_not_suggest_mem)
{
	struct img m;
	const char *why;

	make(&m);
	m.ph[1].p_paddr = 0xbfffffc1;                /* ends one byte past 3 GiB */
	cr_assert_eq(load(&m, sizeof(m), &why), -ENOMEM);
	cr_assert(strstr(why, "segment 1 (0xbfffffc1..0xc0000001) is outside what pvhv can "
			 "map: guest RAM ends at 0xc0000000 at most (3072 MiB)"), "%s", why);
	cr_assert_null(strstr(why, "--mem"), "%s", why);
	make(&m);
	m.ph[1].p_paddr = 0xfee00000;                /* the local APIC */
	cr_assert_eq(load(&m, sizeof(m), &why), -ENOMEM);
	cr_assert(strstr(why, "outside what pvhv can map"), "%s", why);
	cr_assert_null(strstr(why, "--mem"), "%s", why);
	make(&m);
	m.ph[1].p_paddr = 0xffffffffffffffe0;        /* + 0x40 wraps */
	cr_assert_eq(load(&m, sizeof(m), &why), -ENOMEM);
	cr_assert(strstr(why, "p_paddr 0xffffffffffffffe0 + p_memsz 0x40 wraps"), "%s", why);
	cr_assert_null(strstr(why, "--mem"), "%s", why);
}

Test(pvhv_loader, overlapping_segments)
{
	struct img m;
	const char *why;

	make(&m);
	m.ph[1].p_paddr = SEG_PA + MEMSZ - 1;         /* one byte in common */
	cr_assert_lt(load(&m, sizeof(m), &why), 0);
	cr_assert(strstr(why, "overlap"));
	make(&m);
	m.ph[1].p_paddr = SEG_PA + MEMSZ;             /* adjacent is fine */
	cr_assert_eq(load(&m, sizeof(m), &why), 0, "%s", why);
}

Test(pvhv_loader, notes)
{
	struct img m;
	const char *why;

	make(&m);
	m.nh.n_type = 17;
	cr_assert_lt(load(&m, sizeof(m), &why), 0);
	cr_assert(strstr(why, "PVH entry note"));
	make(&m);
	memcpy(m.name, "Xyz", 4);
	cr_assert_lt(load(&m, sizeof(m), &why), 0);
	make(&m);
	m.nh.n_descsz = 2;
	cr_assert_lt(load(&m, sizeof(m), &why), 0);
	make(&m);
	m.nh.n_namesz = 0xffffffffu;
	cr_assert_lt(load(&m, sizeof(m), &why), 0);
	make(&m);
	m.nh.n_descsz = 0xfffffff0u;
	cr_assert_lt(load(&m, sizeof(m), &why), 0);
	make(&m);
	m.ph[2].p_filesz = ~0ull;
	cr_assert_lt(load(&m, sizeof(m), &why), 0);
	make(&m);
	m.entry = SEG2_PA + FILESZ;                  /* just past the end */
	cr_assert_lt(load(&m, sizeof(m), &why), 0);
	cr_assert(strstr(why, "entry point"));
	make(&m);
	m.entry = 1ull << 40;
	cr_assert_lt(load(&m, sizeof(m), &why), 0);
}

/*
 * The entry must be a byte the loader copies from the file, in a segment
 * marked executable. The image: segment 0 file bytes 0x100000..0x10003f,
 * zero tail 0x100040..0x1000ff, R X; gap 0x100100..0x1fffff; segment 1
 * 0x200000..0x20003f, R W.
 */
Test(pvhv_loader, entry_at_the_last_file_byte_is_accepted)
{
	struct img m;
	struct kernel_image ki;
	const char *why;

	make(&m);
	m.entry = 0x10003f;
	cr_assert_eq(load_elf_kernel(&gm, &m, sizeof(m), &ki, &why), 0, "%s", why);
	cr_assert_eq(ki.entry, 0x10003f);
	make(&m);
	m.entry = 0x100000;                          /* and at the first */
	cr_assert_eq(load(&m, sizeof(m), &why), 0, "%s", why);
}

Test(pvhv_loader, entry_one_past_the_file_bytes_is_refused)
{
	struct img m;
	const char *why;

	make(&m);
	m.entry = 0x100040;
	cr_assert_eq(load(&m, sizeof(m), &why), -EINVAL);
	cr_assert(strstr(why, "0x100040"), "%s", why);
	cr_assert(strstr(why, "zero-filled tail of PT_LOAD segment 0"), "%s", why);
}

Test(pvhv_loader, entry_in_the_zero_filled_tail_is_refused)
{
	struct img m;
	const char *why;

	make(&m);
	m.entry = 0x1000ff;                          /* the last byte of memsz */
	cr_assert_eq(load(&m, sizeof(m), &why), -EINVAL);
	cr_assert(strstr(why, "0x1000ff"), "%s", why);
	cr_assert(strstr(why, "zero-filled tail"), "%s", why);
	/* nothing was written: the guest never sees a refused image */
	cr_assert_eq(gm.host[0x100000], 0);
	cr_assert_eq(gm.host[0x200000], 0);
}

Test(pvhv_loader, entry_in_a_gap_between_segments_is_refused)
{
	struct img m;
	const char *why;

	make(&m);
	m.entry = 0x100100;                          /* just past segment 0 */
	cr_assert_eq(load(&m, sizeof(m), &why), -EINVAL);
	cr_assert(strstr(why, "0x100100 is in no PT_LOAD segment"), "%s", why);
	make(&m);
	m.entry = 0x1fffff;                          /* just before segment 1 */
	cr_assert_eq(load(&m, sizeof(m), &why), -EINVAL);
	cr_assert(strstr(why, "0x1fffff is in no PT_LOAD segment"), "%s", why);
}

Test(pvhv_loader, entry_in_a_non_executable_segment_is_refused)
{
	struct img m;
	const char *why;

	make(&m);
	m.entry = 0x200000;                          /* segment 1: R W */
	cr_assert_eq(load(&m, sizeof(m), &why), -EINVAL);
	cr_assert(strstr(why, "0x200000"), "%s", why);
	cr_assert(strstr(why, "segment 1, which is not executable (p_flags 0x6"), "%s", why);
	make(&m);
	m.ph[1].p_flags = PF_X;                      /* execute-only will do */
	cr_assert_eq(load(&m, sizeof(m), &why), 0, "%s", why);
}

Test(pvhv_loader, random_corruption_never_crashes)
{
	struct img m, bad;
	const char *why;

	make(&m);
	srand(4);
	for (int i = 0; i < 20000; i++) {
		bad = m;
		for (int k = 0; k < 4; k++)
			((uint8_t *)&bad)[rand() % sizeof(bad)] = (uint8_t)rand();
		if (load(&bad, sizeof(bad), &why) < 0)
			cr_assert(why);
	}
}

Test(pvhv_loader, the_real_kernel)
{
	FILE *f = fopen("build/pvk.elf", "rb");
	struct kernel_image ki;
	const char *why;

	if (!f)
		cr_skip_test("build/pvk.elf not built");
	static uint8_t buf[8 << 20];
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	cr_assert_eq(load_elf_kernel(&gm, buf, n, &ki, &why), 0, "%s", why);
	cr_assert_geq(ki.lowest, SEG_PA);
	cr_assert(ki.entry >= ki.lowest && ki.entry < ki.highest);
}

Test(pvhv_loader, start_info)
{
	const char *why;
	uint64_t pa = build_start_info(&gm, "tests=off pv=pvhv", 0, &why);
	uint32_t w[2];
	uint64_t q[6];

	cr_assert_eq(pa, PVHV_START_INFO_GPA, "%s", why);
	memcpy(w, gm.host + pa, sizeof(w));
	cr_assert_eq(w[0], (uint32_t)HVM_START_MAGIC);
	cr_assert_eq(w[1], 1);
	memcpy(q, gm.host + pa + 16, sizeof(q));  /* modlist, cmdline, rsdp, memmap, n */
	cr_assert_eq(q[1], PVHV_CMDLINE_GPA);
	cr_assert_eq(q[2], 0);
	cr_assert_str_eq((char *)gm.host + q[1], "tests=off pv=pvhv");
	uint32_t n = (uint32_t)q[4];
	uint64_t ram = 0;
	cr_assert_eq(n, 4);
	for (uint32_t i = 0; i < n; i++) {
		uint64_t e[3];
		memcpy(e, gm.host + q[3] + 24 * i, sizeof(e));
		if ((uint32_t)e[2] == 1)
			ram += e[1];
	}
	cr_assert_eq(ram, MEM - (0x100000 - 0x9fc00));
}

Test(pvhv_loader, start_info_refusals)
{
	const char *why;
	char *big = malloc(PVHV_CMDLINE_MAX + 1);

	memset(big, 'a', PVHV_CMDLINE_MAX);
	big[PVHV_CMDLINE_MAX] = 0;
	cr_assert_eq(build_start_info(&gm, big, 0, &why), 0);
	cr_assert(strstr(why, "command line is 4096 bytes, at most 4095"), "%s", why);
	free(big);
	struct guest_mem tiny = { gm.host, 0x100000 };
	cr_assert_eq(build_start_info(&tiny, "", 0, &why), 0);
	cr_assert(why);
}

/* --initrd: the module goes to the top of RAM, page aligned, above the
 * kernel, and the start info's module list names it, as a guest reads it. */
Test(pvhv_loader, initrd_at_the_top_of_ram_in_the_module_list)
{
	struct img m;
	struct kernel_image ki;
	const char *why;
	uint8_t data[5000];
	uint64_t gpa;

	make(&m);
	cr_assert_eq(load_elf_kernel(&gm, &m, sizeof(m), &ki, &why), 0, "%s", why);
	uint64_t si = build_start_info(&gm, "", 0, &why);
	cr_assert_eq(si, PVHV_START_INFO_GPA, "%s", why);
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 1);
	cr_assert_eq(place_module(&gm, &ki, data, sizeof(data), &gpa, &why), 0, "%s", why);
	cr_assert_eq(gpa % 4096, 0);
	cr_assert_geq(gpa, ki.highest);
	cr_assert_leq(gpa + sizeof(data), MEM);
	cr_assert_gt(gpa + sizeof(data), MEM - 4096, "not at the top: %#llx",
		     (unsigned long long)gpa);
	cr_assert_eq(memcmp(gm.host + gpa, data, sizeof(data)), 0);
	cr_assert_eq(add_start_info_module(&gm, si, gpa, sizeof(data), &why), 0, "%s", why);

	struct hvm_start_info s;
	struct hvm_modlist_entry e;
	memcpy(&s, gm.host + si, sizeof(s));
	cr_assert_eq(s.nr_modules, 1);
	cr_assert(s.modlist_paddr >= si + sizeof(s) && s.modlist_paddr + sizeof(e) <= PVHV_CMDLINE_GPA);
	/* clear of the memory map it follows */
	cr_assert_geq(s.modlist_paddr, s.memmap_paddr + s.memmap_entries * 24ull);
	memcpy(&e, gm.host + s.modlist_paddr, sizeof(e));
	cr_assert_eq(e.paddr, gpa);
	cr_assert_eq(e.size, sizeof(data));
	cr_assert_eq(e.cmdline_paddr, 0);
	/* the module lies in an E820_RAM entry (the guest reserves it itself) */
	bool in_ram = false;
	for (uint32_t i = 0; i < s.memmap_entries; i++) {
		struct hvm_memmap_entry me;
		memcpy(&me, gm.host + s.memmap_paddr + i * sizeof(me), sizeof(me));
		if (me.type == 1 && gpa >= me.addr && gpa + sizeof(data) <= me.addr + me.size)
			in_ram = true;
	}
	cr_assert(in_ram);
}

Test(pvhv_loader, initrd_refusals_name_the_problem)
{
	struct img m;
	struct kernel_image ki;
	const char *why;
	uint64_t gpa = 1;
	static uint8_t big[MEM];

	make(&m);
	cr_assert_eq(load_elf_kernel(&gm, &m, sizeof(m), &ki, &why), 0, "%s", why);
	cr_assert_eq(place_module(&gm, &ki, big, 0, &gpa, &why), -EINVAL);
	cr_assert(strstr(why, "empty"), "%s", why);
	cr_assert_eq(gpa, 0);
	/* all of RAM: more than lies above the kernel */
	cr_assert_eq(place_module(&gm, &ki, big, sizeof(big), &gpa, &why), -E2BIG);
	cr_assert(strstr(why, "--mem 11 would hold it"), "%s", why);
	/* exactly what fits above the kernel fits; a byte more does not */
	uint64_t above = (ki.highest + 4095) & ~4095ull;
	cr_assert_eq(place_module(&gm, &ki, big, MEM - above, &gpa, &why), 0, "%s", why);
	cr_assert_eq(gpa, above);
	cr_assert_eq(place_module(&gm, &ki, big, MEM - above + 1, &gpa, &why), -E2BIG);
	/* a hostile length that would wrap when aligned */
	cr_assert_eq(place_module(&gm, &ki, big, SIZE_MAX, &gpa, &why), -E2BIG);

	/* the module list: a start info first, at most PVHV_MAX_MODULES, in RAM */
	memset(gm.host + PVHV_START_INFO_GPA, 0, sizeof(struct hvm_start_info));
	cr_assert_eq(add_start_info_module(&gm, PVHV_START_INFO_GPA, above, 1, &why), -EINVAL);
	cr_assert_eq(build_start_info(&gm, "", 0, &why), PVHV_START_INFO_GPA);
	cr_assert_eq(add_start_info_module(&gm, PVHV_START_INFO_GPA, MEM - 1, 2, &why), -EFAULT);
	for (int i = 0; i < PVHV_MAX_MODULES; i++)
		cr_assert_eq(add_start_info_module(&gm, PVHV_START_INFO_GPA, above, 1, &why), 0);
	cr_assert_eq(add_start_info_module(&gm, PVHV_START_INFO_GPA, above, 1, &why), -E2BIG);
}

/* ---- the PVHV note (deprivileged mode) ---------------------------------- */

#define VBASE      0xffffff8000000000ull   /* PML4 slot 511, 1 GiB aligned */
#define VENTRY     (VBASE + ENTRY)

/* An image with both notes in one PT_NOTE segment. */
struct img3 {
	Elf64_Ehdr eh;
	Elf64_Phdr ph[3];
	Elf64_Nhdr nh;
	char name[4];
	uint64_t entry;
	Elf64_Nhdr nh3;
	char name3[8];                         /* "PVHV\0" padded to 4 */
	uint32_t desc[4];                      /* entry, virt_base: 4-aligned */
	uint8_t data[FILESZ];
	uint8_t data2[FILESZ];
};

static void set_note(struct img3 *m, uint64_t entry, uint64_t virt_base)
{
	uint64_t n[2] = { entry, virt_base };

	memcpy(m->desc, n, sizeof(n));
}

static void make3(struct img3 *m)
{
	struct img base;

	make(&base);
	memset(m, 0, sizeof(*m));
	m->eh = base.eh;
	m->eh.e_phoff = offsetof(struct img3, ph);
	memcpy(m->ph, base.ph, sizeof(m->ph));
	m->ph[0].p_offset = offsetof(struct img3, data);
	m->ph[1].p_offset = offsetof(struct img3, data2);
	m->ph[2].p_offset = offsetof(struct img3, nh);
	m->ph[2].p_filesz = offsetof(struct img3, data) - offsetof(struct img3, nh);
	m->nh = base.nh;
	memcpy(m->name, "Xen", 4);
	m->entry = ENTRY;
	m->nh3 = (Elf64_Nhdr){ .n_namesz = 5, .n_descsz = 16, .n_type = 1 };
	memcpy(m->name3, "PVHV", 5);
	set_note(m, VENTRY, VBASE);
	memset(m->data, 0xab, FILESZ);
	memset(m->data2, 0xcd, FILESZ);
}

/* Load m and expect a refusal whose text has `want`; nothing written. */
static void refused3(struct img3 *m, const char *want)
{
	struct kernel_image ki;
	const char *why;

	cr_assert_lt(load_elf_kernel(&gm, m, sizeof(*m), &ki, &why), 0, "accepted: want %s", want);
	cr_assert(why && strstr(why, want), "'%s' lacks '%s'", why, want);
	cr_assert_eq(gm.host[SEG_PA], 0, "a refused image wrote guest memory");
}

Test(pvhv_loader, pvhv_note_is_read_with_the_pvh_note)
{
	struct img3 m;
	struct kernel_image ki;
	const char *why;

	make3(&m);
	cr_assert_eq(load_elf_kernel(&gm, &m, sizeof(m), &ki, &why), 0, "%s", why);
	cr_assert(ki.has_pvh && ki.has_cpl3);
	cr_assert_eq(ki.entry, ENTRY);
	cr_assert_eq(ki.cpl3.entry, 0xffffff8000100010ull);
	cr_assert_eq(ki.cpl3.virt_base, 0xffffff8000000000ull);
	/* the PF_X segment, as deprivileged mode maps it executable */
	cr_assert_eq(ki.nr_exec, 1);
	cr_assert_eq(ki.exec[0].start, 0x100000);
	cr_assert_eq(ki.exec[0].end, 0x100100);
}

Test(pvhv_loader, pvhv_note_alone_loads_without_a_pvh_entry)
{
	struct img3 m;
	struct kernel_image ki;
	const char *why;

	make3(&m);
	m.nh.n_type = 17;                      /* some other Xen note */
	cr_assert_eq(load_elf_kernel(&gm, &m, sizeof(m), &ki, &why), 0, "%s", why);
	cr_assert(!ki.has_pvh && ki.has_cpl3);
	/* neither: no PVH kernel at all */
	memset(gm.host + SEG_PA, 0, MEMSZ);
	m.nh3.n_type = 2;
	refused3(&m, "no PVH entry note");
}

Test(pvhv_loader, pvhv_note_with_a_foreign_name_is_not_ours)
{
	struct img3 m;
	struct kernel_image ki;
	const char *why;

	make3(&m);
	m.nh3.n_namesz = 4;                    /* "PVHV" without its NUL */
	set_note(&m, VENTRY, 0x1234);  /* would be refused were it ours */
	cr_assert_eq(load_elf_kernel(&gm, &m, sizeof(m), &ki, &why), 0, "%s", why);
	cr_assert(!ki.has_cpl3);
}

Test(pvhv_loader, hostile_pvhv_notes_are_refused)
{
	struct img3 m;

	make3(&m);
	m.nh3.n_descsz = 8;                    /* entry only */
	refused3(&m, "PVHV note's payload is 8 bytes");
	make3(&m);
	m.nh3.n_descsz = 0x1000;               /* past the segment */
	refused3(&m, "runs past the segment");
	make3(&m);
	set_note(&m, 0xffffff0000000000ull + ENTRY, 0xffffff0000000000ull);  /* slot 510: the monitor's */
	refused3(&m, "not in PML4 slot 511");
	make3(&m);
	set_note(&m, 0xffff800000000000ull + ENTRY, 0xffff800000000000ull);  /* canonical but slot 256 */
	refused3(&m, "not in PML4 slot 511");
	make3(&m);
	set_note(&m, 0x0000800000000000ull + ENTRY, 0x0000800000000000ull);  /* not canonical */
	refused3(&m, "not in PML4 slot 511");
	make3(&m);
	set_note(&m, VBASE + 0x200000 + ENTRY, VBASE + 0x200000);  /* 2 MiB, not 1 GiB, aligned */
	refused3(&m, "not 1 GiB aligned");
	make3(&m);
	set_note(&m, VBASE - 1, VBASE);  /* below virt_base */
	refused3(&m, "below its virt_base");
	make3(&m);
	set_note(&m, VBASE + SEG_PA + FILESZ, VBASE);  /* the zero-filled tail */
	refused3(&m, "zero-filled tail");
	make3(&m);
	set_note(&m, VBASE + SEG2_PA, VBASE);  /* a segment without PF_X */
	refused3(&m, "not executable");
	make3(&m);
	set_note(&m, UINT64_MAX, VBASE);  /* physical 0x7fffffffff: nothing */
	refused3(&m, "in no PT_LOAD segment");
}

Test(pvhv_loader, a_malformed_pvhv_note_is_refused_even_with_a_good_pvh_note)
{
	struct img3 m;

	make3(&m);
	cr_assert_eq(m.entry, ENTRY);  /* the PVH note is fine */
	set_note(&m, VENTRY, 0x40000000);  /* low half */
	refused3(&m, "PVHV note's virt_base 0x40000000");
}

Test(pvhv_loader, start_info_reserves_the_top_of_ram)
{
	const char *why;
	/* as deprivileged mode lays out the top of RAM: a 64 KiB monitor
	 * region, the initial tables just below it (11 pages here) */
	struct pvhv_range top[2] = { { 0x7e5000, 0xb000 }, { 0x7f0000, 0x10000 } };
	struct hvm_start_info s;
	struct hvm_memmap_entry e[6];

	cr_assert_eq(build_start_info_top(&gm, "", 0, top, 2, &why), PVHV_START_INFO_GPA, "%s",
		     why);
	memcpy(&s, gm.host + PVHV_START_INFO_GPA, sizeof(s));
	cr_assert_eq(s.memmap_entries, 6);
	memcpy(e, gm.host + s.memmap_paddr, sizeof(e));
	cr_assert_eq(e[3].addr, 0x100000);
	cr_assert_eq(e[3].size, 0x7e5000 - 0x100000);
	cr_assert_eq(e[3].type, 1);
	cr_assert_eq(e[4].addr, 0x7e5000);
	cr_assert_eq(e[4].size, 0xb000);
	cr_assert_eq(e[4].type, 2);
	cr_assert_eq(e[5].addr, 0x7f0000);
	cr_assert_eq(e[5].size, 0x10000);
	cr_assert_eq(e[5].type, 2);
	/* the module list still lies past the largest map */
	cr_assert_eq(add_start_info_module(&gm, PVHV_START_INFO_GPA, 0x200000, 1, &why), 0);
	memcpy(&s, gm.host + PVHV_START_INFO_GPA, sizeof(s));
	cr_assert_geq(s.modlist_paddr, s.memmap_paddr + 6 * sizeof(e[0]));
}

Test(pvhv_loader, start_info_refuses_top_ranges_that_are_not_the_top)
{
	const char *why;
	struct pvhv_range gap[2] = { { 0x7e5000, 0xa000 }, { 0x7f0000, 0x10000 } };
	struct pvhv_range short_end[1] = { { 0x7f0000, 0xf000 } };
	struct pvhv_range unaligned[1] = { { 0x7f0800, 0xf800 } };
	struct pvhv_range huge[1] = { { 0x800000 - 0x900000, 0x900000 } };

	cr_assert_eq(build_start_info_top(&gm, "", 0, gap, 2, &why), 0);
	cr_assert(strstr(why, "reserved range 0"), "%s", why);
	cr_assert_eq(build_start_info_top(&gm, "", 0, short_end, 1, &why), 0);
	cr_assert_eq(build_start_info_top(&gm, "", 0, unaligned, 1, &why), 0);
	cr_assert_eq(build_start_info_top(&gm, "", 0, huge, 1, &why), 0);
	cr_assert_eq(build_start_info_top(&gm, "", 0, gap, 3, &why), 0);
	cr_assert(strstr(why, "at most 2"), "%s", why);
}

Test(pvhv_loader, module_below_a_limit)
{
	struct img m;
	struct kernel_image ki;
	const char *why;
	uint64_t gpa;
	static uint8_t data[0x3000];

	make(&m);
	cr_assert_eq(load_elf_kernel(&gm, &m, sizeof(m), &ki, &why), 0, "%s", why);
	cr_assert_eq(place_module_below(&gm, &ki, 0x7e5000, data, sizeof(data), &gpa, &why), 0,
		     "%s", why);
	cr_assert_eq(gpa, 0x7e2000);
	/* a limit beyond RAM is the end of RAM */
	cr_assert_eq(place_module_below(&gm, &ki, UINT64_MAX, data, 1, &gpa, &why), 0);
	cr_assert_eq(gpa, MEM - 0x1000);
}
