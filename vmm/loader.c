/*
 * loader.c - put a PVH kernel into guest memory: the ELF64 image's PT_LOAD
 * segments at their physical addresses, the entry point from its
 * XEN_ELFNOTE_PHYS32_ENTRY note, and the hvm_start_info that tells the
 * kernel its memory map and command line.
 *
 * Pure over struct guest_mem: nothing here needs /dev/kvm, and every
 * field of the image is checked before it is used (the host tests feed it
 * truncated, foreign and overlapping images).
 *
 * Sources: the ELF-64 Object File Format; Xen docs/misc/pvh.pandoc and
 * xen/include/public/arch-x86/hvm/start_info.h.
 */
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include <abi/e820.h>
#include <abi/pvh.h>
#include <abi/pvhv_cpl3.h>

#include "pvhv.h"

#define XEN_NOTE_NAME            "Xen"
#define XEN_NOTE_NAMESZ          4            /* "Xen" and its NUL */
#define PVHV_NOTE_NAMESZ         5            /* "PVHV" and its NUL */
#define CPL3_VIRT_ALIGN          (1ull << 30) /* virt_base: one PUD entry */
#define CPL3_VIRT_MIN            0xffffff8000000000ull /* PML4 slot 511 */
#define NOTE_ALIGN               4
#define MAX_PHDRS                64
#define FOUR_GIB                 0x100000000ull

#define PVHV_MEMMAP_BASE         4            /* the map of every guest */
#define PVHV_MEMMAP_ENTRIES      (PVHV_MEMMAP_BASE + PVHV_TOP_RESERVED_MAX) /* room */

_Static_assert(PVHV_LOW_RAM_END < PVHV_ACPI_GPA &&
	       PVHV_ACPI_GPA + PVHV_ACPI_SIZE == PVHV_HIGH_RAM_START,
	       "the ACPI region lies in the hole below 1 MiB");
_Static_assert(PVHV_START_INFO_GPA + sizeof(struct hvm_start_info) +
	       PVHV_MEMMAP_ENTRIES * sizeof(struct hvm_memmap_entry) +
	       PVHV_MAX_MODULES * sizeof(struct hvm_modlist_entry) <= PVHV_CMDLINE_GPA,
	       "the start info, memory map and module list end below the command line");
_Static_assert(PVHV_START_INFO_GPA + sizeof(struct hvm_start_info) +
	       PVHV_MEMMAP_ENTRIES * sizeof(struct hvm_memmap_entry) +
	       PVHV_MAX_MODULES * sizeof(struct hvm_modlist_entry) <= PVHV_CPL3_START_GPA,
	       "the start info, memory map and module list end below the CPL-3 start record");
static int fail(const char **why, const char *msg, int err)
{
	*why = msg;
	return err;
}


/*
 * check_entry - the guest starts at physical `entry` (`what` names it in
 * messages), so it must be a byte the loader writes from the file (not a
 * zero-filled tail, not a gap between segments) in a segment the image
 * marks executable.
 */
static int check_entry(const Elf64_Phdr *ph, int n, const struct kernel_image *ki,
		       uint64_t entry, const char *what, const char **why)
{
	unsigned long long e = entry;

	for (int i = 0; i < n; i++) {
		const Elf64_Phdr *p = &ph[i];

		/* all PT_LOADs were checked: paddr + memsz does not wrap */
		if (p->p_type != PT_LOAD || p->p_memsz == 0 ||
		    entry < p->p_paddr || entry - p->p_paddr >= p->p_memsz)
			continue;
		if (entry - p->p_paddr >= p->p_filesz)
			return pvhv_why(why, -EINVAL, "%s %#llx is in the "
				     "zero-filled tail of PT_LOAD segment %d (its file bytes end "
				     "at %#llx, its memory at %#llx): the guest would run zeros",
				     what, e, i, (unsigned long long)(p->p_paddr + p->p_filesz),
				     (unsigned long long)(p->p_paddr + p->p_memsz));
		if (!(p->p_flags & PF_X))
			return pvhv_why(why, -EINVAL, "%s %#llx is in PT_LOAD "
				     "segment %d, which is not executable (p_flags %#x, no PF_X)",
				     what, e, i, (unsigned)p->p_flags);
		return 0;
	}
	return pvhv_why(why, -EINVAL, "%s %#llx is in no PT_LOAD segment "
		     "(they lie between %#llx and %#llx)", what, e,
		     (unsigned long long)ki->lowest, (unsigned long long)ki->highest);
}

/* [a, a+alen) and [b, b+blen) share a byte (no wrap: checked before). */
static int overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/*
 * segment_in_ram - segment `i` must fit in guest RAM. When it does not,
 * say whether a larger --mem would hold it (and which), or whether it
 * lies beyond anything pvhv maps (PVHV_MAX_MEM_MIB, below the MMIO hole).
 */
static int segment_in_ram(const struct guest_mem *gm, int i, const Elf64_Phdr *p,
			  const char **why)
{
	unsigned long long pa = p->p_paddr, msz = p->p_memsz;
	const uint64_t max_ram = PVHV_MAX_MEM_MIB * PVHV_MIB;

	if (gm_ptr(gm, p->p_paddr, p->p_memsz))
		return 0;
	if (p->p_memsz > UINT64_MAX - p->p_paddr)
		return pvhv_why(why, -ENOMEM, "PT_LOAD segment %d: p_paddr %#llx + p_memsz %#llx "
			     "wraps around the address space", i, pa, msz);
	uint64_t end = p->p_paddr + p->p_memsz;
	if (end > max_ram)
		return pvhv_why(why, -ENOMEM, "PT_LOAD segment %d (%#llx..%#llx) is outside "
			     "what pvhv can map: guest RAM ends at %#llx at most (%llu MiB)",
			     i, pa, (unsigned long long)end, (unsigned long long)max_ram,
			     PVHV_MAX_MEM_MIB);
	return pvhv_why(why, -ENOMEM, "PT_LOAD segment %d (%#llx..%#llx) is outside the %llu "
		     "MiB of guest RAM: --mem %llu would hold it", i, pa,
		     (unsigned long long)end, (unsigned long long)(gm->size / PVHV_MIB),
		     (unsigned long long)((end + PVHV_MIB - 1) / PVHV_MIB));
}

/* The notes load_elf_kernel looks for; the first of each kind counts. */
struct notes {
	bool have_pvh, have_cpl3;
	uint64_t entry;
	struct pvhv_cpl3_note cpl3;
};

static bool note_is(const Elf64_Nhdr *nh, const uint8_t *name, uint32_t type,
		    const char *want, uint32_t namesz)
{
	return nh->n_type == type && nh->n_namesz == namesz && !memcmp(name, want, namesz);
}

/* The PVH entry note's payload: a 4- or 8-byte physical address. */
static int take_pvh_note(const Elf64_Nhdr *nh, const uint8_t *desc, struct notes *f,
			 const char **why)
{
	if (nh->n_descsz == sizeof(uint32_t)) {
		uint32_t e;
		memcpy(&e, desc, sizeof(e));
		f->entry = e;
	} else if (nh->n_descsz == sizeof(uint64_t)) {
		memcpy(&f->entry, desc, sizeof(f->entry));
	} else {
		return pvhv_why(why, -EINVAL, "the PVH entry note's payload is %u bytes "
			     "(n_descsz), expected 4 or 8", nh->n_descsz);
	}
	f->have_pvh = true;
	return 0;
}

/* The PVHV note's payload: struct pvhv_cpl3_note; virt_base checked here,
 * the entry once the segments are known (check_cpl3_entry). */
static int take_cpl3_note(const Elf64_Nhdr *nh, const uint8_t *desc, struct notes *f,
			  const char **why)
{
	struct pvhv_cpl3_note n;

	if (nh->n_descsz != sizeof(n))
		return pvhv_why(why, -EINVAL, "the PVHV note's payload is %u bytes (n_descsz), "
			     "expected %zu (entry, virt_base)", nh->n_descsz, sizeof(n));
	memcpy(&n, desc, sizeof(n));
	if (n.virt_base < CPL3_VIRT_MIN)
		return pvhv_why(why, -EINVAL, "the PVHV note's virt_base %#llx is not in PML4 "
			     "slot 511 (at or above %#llx): pvhv maps RAM only there",
			     (unsigned long long)n.virt_base, CPL3_VIRT_MIN);
	if (n.virt_base & (CPL3_VIRT_ALIGN - 1))
		return pvhv_why(why, -EINVAL, "the PVHV note's virt_base %#llx is not 1 GiB "
			     "aligned", (unsigned long long)n.virt_base);
	if (n.entry < n.virt_base)
		return pvhv_why(why, -EINVAL, "the PVHV note's entry %#llx is below its "
			     "virt_base %#llx: it maps no RAM", (unsigned long long)n.entry,
			     (unsigned long long)n.virt_base);
	f->cpl3 = n;
	f->have_cpl3 = true;
	return 0;
}

/* Walk the notes of one PT_NOTE segment for the PVH and PVHV notes. 0, or
 * a negative errno for a malformed note. */
static int find_notes(const uint8_t *img, int seg, uint64_t off, uint64_t size,
		      struct notes *f, const char **why)
{
	uint64_t pos = 0;

	while (size - pos >= sizeof(Elf64_Nhdr)) {
		Elf64_Nhdr nh;

		memcpy(&nh, img + off + pos, sizeof(nh));
		pos += sizeof(nh);
		uint64_t name_len = align_up(nh.n_namesz, NOTE_ALIGN);
		uint64_t desc_len = align_up(nh.n_descsz, NOTE_ALIGN);
		if (name_len > size - pos || desc_len > size - pos - name_len)
			return pvhv_why(why, -EINVAL, "a note in PT_NOTE segment %d (at offset %#llx, "
				     "n_namesz %u, n_descsz %u) runs past the segment's %#llx bytes",
				     seg, (unsigned long long)(pos - sizeof(nh)), nh.n_namesz,
				     nh.n_descsz, (unsigned long long)size);
		const uint8_t *name = img + off + pos, *desc = name + name_len;
		int r = 0;
		if (!f->have_pvh && note_is(&nh, name, XEN_ELFNOTE_PHYS32_ENTRY, XEN_NOTE_NAME,
					    XEN_NOTE_NAMESZ))
			r = take_pvh_note(&nh, desc, f, why);
		else if (!f->have_cpl3 && note_is(&nh, name, PVHV_ELFNOTE_CPL3,
						  PVHV_ELFNOTE_NAME, PVHV_NOTE_NAMESZ))
			r = take_cpl3_note(&nh, desc, f, why);
		if (r < 0)
			return r;
		pos += name_len + desc_len;
	}
	return 0;
}

/* Both entries, now that the segments are checked; fills ki. */
static int check_entries(const Elf64_Phdr *ph, int n, struct kernel_image *ki,
			 const struct notes *f, const char **why)
{
	if (!f->have_pvh && !f->have_cpl3)
		return fail(why, "no PVH entry note (Xen note type 18, XEN_ELFNOTE_PHYS32_ENTRY): not a PVH kernel", -ENOEXEC);
	if (f->have_pvh) {
		if (f->entry >= FOUR_GIB)
			return pvhv_why(why, -EINVAL, "the PVH entry point %#llx is above 4 GiB "
				     "(it is a 32-bit physical address)",
				     (unsigned long long)f->entry);
		int r = check_entry(ph, n, ki, f->entry, "the PVH entry point", why);
		if (r < 0)
			return r;
		ki->has_pvh = true;
		ki->entry = f->entry;
	}
	if (f->have_cpl3) {
		int r = check_entry(ph, n, ki, f->cpl3.entry - f->cpl3.virt_base,
				    "the PVHV note's entry, at physical", why);
		if (r < 0)
			return r;
		if (ki->nr_exec > PVHV_MAX_EXEC_SEGMENTS)
			return pvhv_why(why, -E2BIG, "%d executable PT_LOAD segments: pvhv maps "
				     "at most %d executable in deprivileged mode", ki->nr_exec,
				     PVHV_MAX_EXEC_SEGMENTS);
		ki->has_cpl3 = true;
		ki->cpl3 = f->cpl3;
	}
	return 0;
}

/* Remember an executable segment (deprivileged mode maps it executable). */
static void note_exec(struct kernel_image *ki, const Elf64_Phdr *p)
{
	if (!(p->p_flags & PF_X))
		return;
	if (ki->nr_exec < PVHV_MAX_EXEC_SEGMENTS) {
		ki->exec[ki->nr_exec].start = p->p_paddr;
		ki->exec[ki->nr_exec].end = p->p_paddr + p->p_memsz;
	}
	ki->nr_exec++;
}

int load_elf_kernel(struct guest_mem *gm, const void *image, size_t len,
		    struct kernel_image *ki, const char **why)
{
	const uint8_t *img = image;
	Elf64_Ehdr eh;
	Elf64_Phdr ph[MAX_PHDRS];
	struct notes notes = { 0 };

	memset(ki, 0, sizeof(*ki));
	*why = NULL;
	if (!img)
		return fail(why, "no image", -ENOEXEC);
	if (len < EI_NIDENT)
		return pvhv_why(why, -ENOEXEC, "not an ELF file: %zu bytes, shorter than the "
			     "%d-byte ELF identification", len, EI_NIDENT);
	if (memcmp(img, ELFMAG, SELFMAG))
		return pvhv_why(why, -ENOEXEC, "not an ELF file: it starts %02x %02x %02x %02x, "
			     "not 7f 45 4c 46 (\\x7fELF)", img[0], img[1], img[2], img[3]);
	if (img[EI_CLASS] != ELFCLASS64)
		return pvhv_why(why, -ENOEXEC, "not ELF64: EI_CLASS %u, expected %u (a 32-bit "
			     "ELF? build the kernel as ELF64)", img[EI_CLASS], ELFCLASS64);
	if (len < sizeof(eh))
		return pvhv_why(why, -ENOEXEC, "truncated: %zu bytes, shorter than the %zu-byte "
			     "ELF64 header", len, sizeof(eh));
	memcpy(&eh, img, sizeof(eh));
	if (img[EI_DATA] != ELFDATA2LSB)
		return pvhv_why(why, -ENOEXEC, "not a little-endian x86-64 ELF: EI_DATA %u, "
			     "expected %u (little-endian)", img[EI_DATA], ELFDATA2LSB);
	if (eh.e_machine != EM_X86_64)
		return pvhv_why(why, -ENOEXEC, "not an x86-64 ELF: e_machine %u, expected %u",
			     eh.e_machine, EM_X86_64);
	if (eh.e_phnum == 0)
		return fail(why, "no program headers (e_phnum 0)", -ENOEXEC);
	if (eh.e_phentsize != sizeof(Elf64_Phdr))
		return pvhv_why(why, -ENOEXEC, "e_phentsize %u, expected %zu (the size of an "
			     "Elf64_Phdr)", eh.e_phentsize, sizeof(Elf64_Phdr));
	if (eh.e_phnum > MAX_PHDRS)
		return pvhv_why(why, -E2BIG, "e_phnum %u: more program headers than pvhv reads "
			     "(%d)", eh.e_phnum, MAX_PHDRS);
	if (eh.e_phoff > len || (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr) > len - eh.e_phoff)
		return pvhv_why(why, -ENOEXEC, "truncated: %u program headers at e_phoff %#llx "
			     "run past the end of the %zu-byte file", eh.e_phnum,
			     (unsigned long long)eh.e_phoff, len);
	memcpy(ph, img + eh.e_phoff, eh.e_phnum * sizeof(Elf64_Phdr));

	/* Check everything before writing anything. */
	ki->lowest = UINT64_MAX;
	for (int i = 0; i < eh.e_phnum; i++) {
		const Elf64_Phdr *p = &ph[i];

		if (p->p_type == PT_NOTE) {
			if (p->p_offset > len || p->p_filesz > len - p->p_offset)
				return pvhv_why(why, -ENOEXEC, "truncated: PT_NOTE segment %d (p_offset "
					     "%#llx, p_filesz %#llx) runs past the end of the "
					     "%zu-byte file", i, (unsigned long long)p->p_offset,
					     (unsigned long long)p->p_filesz, len);
			int r = find_notes(img, i, p->p_offset, p->p_filesz, &notes, why);
			if (r < 0)
				return r;
			continue;
		}
		if (p->p_type != PT_LOAD || p->p_memsz == 0)
			continue;
		unsigned long long pa = p->p_paddr, msz = p->p_memsz;
		if (p->p_filesz > p->p_memsz)
			return pvhv_why(why, -ENOEXEC, "PT_LOAD segment %d: p_filesz %#llx > p_memsz "
				     "%#llx", i, (unsigned long long)p->p_filesz, msz);
		if (p->p_offset > len || p->p_filesz > len - p->p_offset)
			return pvhv_why(why, -ENOEXEC, "truncated: PT_LOAD segment %d (p_offset %#llx, "
				     "p_filesz %#llx) runs past the end of the %zu-byte file", i,
				     (unsigned long long)p->p_offset,
				     (unsigned long long)p->p_filesz, len);
		if (p->p_paddr < PVHV_KERNEL_MIN_GPA)
			return pvhv_why(why, -EINVAL, "PT_LOAD segment %d: p_paddr %#llx is below "
				     "1 MiB (PVH kernels load at or above %#llx)", i, pa,
				     PVHV_KERNEL_MIN_GPA);
		int r = segment_in_ram(gm, i, p, why);
		if (r < 0)
			return r;
		for (int j = 0; j < i; j++)
			if (ph[j].p_type == PT_LOAD && ph[j].p_memsz &&
			    overlaps(p->p_paddr, p->p_memsz, ph[j].p_paddr, ph[j].p_memsz))
				return pvhv_why(why, -EINVAL, "PT_LOAD segments %d (%#llx..%#llx) and "
					     "%d (%#llx..%#llx) overlap in physical memory", j,
					     (unsigned long long)ph[j].p_paddr,
					     (unsigned long long)(ph[j].p_paddr + ph[j].p_memsz),
					     i, pa, pa + msz);
		if (p->p_paddr < ki->lowest)
			ki->lowest = p->p_paddr;
		if (p->p_paddr + p->p_memsz > ki->highest)
			ki->highest = p->p_paddr + p->p_memsz;
		ki->nr_segments++;
		note_exec(ki, p);
	}
	if (!ki->nr_segments)
		return fail(why, "no PT_LOAD segment to load (none with p_memsz > 0)", -ENOEXEC);
	int r = check_entries(ph, eh.e_phnum, ki, &notes, why);
	if (r < 0)
		return r;

	for (int i = 0; i < eh.e_phnum; i++) {
		const Elf64_Phdr *p = &ph[i];

		if (p->p_type != PT_LOAD || p->p_memsz == 0)
			continue;
		uint8_t *dst = gm_ptr(gm, p->p_paddr, p->p_memsz);
		memcpy(dst, img + p->p_offset, p->p_filesz);
		memset(dst + p->p_filesz, 0, p->p_memsz - p->p_filesz);
	}
	return 0;
}

/* The top ranges must be ascending, contiguous, page aligned, above 1 MiB
 * and end at the end of RAM. */
static bool top_ok(const struct guest_mem *gm, const struct pvhv_range *top, int nr,
		   const char **why)
{
	if (nr < 0 || nr > PVHV_TOP_RESERVED_MAX || (nr && !top)) {
		pvhv_why(why, 0, "%d reserved ranges at the top of RAM, at most %d", nr,
		      PVHV_TOP_RESERVED_MAX);
		return false;
	}
	for (int i = 0; i < nr; i++) {
		uint64_t end = i + 1 < nr ? top[i + 1].base : gm->size;
		if (top[i].base <= PVHV_HIGH_RAM_START || (top[i].base & (PVHV_PAGE_SIZE - 1)) ||
		    !top[i].len || top[i].len > end || top[i].base != end - top[i].len) {
			pvhv_why(why, 0, "reserved range %d (%#llx, %#llx bytes) is not a page-aligned "
			      "piece of the top of RAM (it should end at %#llx)", i,
			      (unsigned long long)top[i].base, (unsigned long long)top[i].len,
			      (unsigned long long)end);
			return false;
		}
	}
	return true;
}

uint64_t build_start_info_top(struct guest_mem *gm, const char *cmdline, uint64_t rsdp,
			      const struct pvhv_range *top, int nr_top, const char **why)
{
	uint64_t map_gpa = PVHV_START_INFO_GPA + sizeof(struct hvm_start_info);
	size_t cl = strlen(cmdline) + 1;
	struct hvm_memmap_entry map[PVHV_MEMMAP_ENTRIES] = {
		{ 0, PVHV_LOW_RAM_END, E820_RAM, 0 },
		{ PVHV_LOW_RAM_END, PVHV_ACPI_GPA - PVHV_LOW_RAM_END, E820_RESERVED, 0 },
		{ PVHV_ACPI_GPA, PVHV_ACPI_SIZE, E820_ACPI, 0 },
		{ PVHV_HIGH_RAM_START, 0, E820_RAM, 0 },
	};
	struct hvm_start_info si = {
		.magic = HVM_START_MAGIC,
		.version = HVM_START_VERSION,
		.cmdline_paddr = PVHV_CMDLINE_GPA,
		.rsdp_paddr = rsdp,
		.memmap_paddr = map_gpa,
		.memmap_entries = PVHV_MEMMAP_BASE + (uint32_t)(nr_top > 0 ? nr_top : 0),
	};

	*why = NULL;
	if (cl > PVHV_CMDLINE_MAX) {
		pvhv_why(why, 0, "the command line is %zu bytes, at most %d", cl - 1,
		      PVHV_CMDLINE_MAX - 1);
		return 0;
	}
	if (gm->size <= PVHV_HIGH_RAM_START) {
		pvhv_why(why, 0, "guest memory (%#llx bytes) ends at or below 1 MiB",
		      (unsigned long long)gm->size);
		return 0;
	}
	if (!top_ok(gm, top, nr_top, why))
		return 0;
	uint64_t ram_end = nr_top ? top[0].base : gm->size;
	map[PVHV_MEMMAP_BASE - 1].size = ram_end - PVHV_HIGH_RAM_START;
	for (int i = 0; i < nr_top; i++)
		map[PVHV_MEMMAP_BASE + i] = (struct hvm_memmap_entry){
			top[i].base, top[i].len, E820_RESERVED, 0 };
	void *si_p = gm_ptr(gm, PVHV_START_INFO_GPA, sizeof(si));
	void *map_p = gm_ptr(gm, map_gpa, sizeof(map));
	void *cl_p = gm_ptr(gm, PVHV_CMDLINE_GPA, cl);
	if (!si_p || !map_p || !cl_p) {
		*why = "guest memory too small for the start info";
		return 0;
	}
	memcpy(si_p, &si, sizeof(si));
	memcpy(map_p, map, sizeof(map));
	memcpy(cl_p, cmdline, cl);
	return PVHV_START_INFO_GPA;
}

uint64_t build_start_info(struct guest_mem *gm, const char *cmdline,
			  uint64_t rsdp, const char **why)
{
	return build_start_info_top(gm, cmdline, rsdp, NULL, 0, why);
}

int place_module(struct guest_mem *gm, const struct kernel_image *ki, const void *data,
		 size_t len, uint64_t *gpa, const char **why)
{
	return place_module_below(gm, ki, gm->size, data, len, gpa, why);
}

int place_module_below(struct guest_mem *gm, const struct kernel_image *ki, uint64_t limit,
		       const void *data, size_t len, uint64_t *gpa, const char **why)
{
	uint64_t above = align_up(ki->highest > PVHV_HIGH_RAM_START ? ki->highest
								    : PVHV_HIGH_RAM_START,
				  PVHV_MODULE_ALIGN);
	uint64_t top = (limit < gm->size ? limit : gm->size) & ~(PVHV_MODULE_ALIGN - 1);
	uint64_t room = top > above ? top - above : 0;

	*why = NULL;
	*gpa = 0;
	if (!data && len)
		return fail(why, "no module data", -EINVAL);
	if (len == 0)
		return fail(why, "the module is empty (0 bytes): nothing to hand the guest",
			    -EINVAL);
	uint64_t need = align_up(len, PVHV_MODULE_ALIGN);
	if (need < len || need > room)
		return pvhv_why(why, -E2BIG, "the module is %zu bytes, but guest RAM above the "
			     "kernel (%#llx..%#llx) holds %llu: --mem %llu would hold it",
			     len, (unsigned long long)above, (unsigned long long)top,
			     (unsigned long long)room,
			     (unsigned long long)((above + need + PVHV_MIB - 1) / PVHV_MIB));
	uint64_t at = top - need;
	void *dst = gm_ptr(gm, at, len);
	if (!dst)
		return fail(why, "the module's place is outside guest RAM", -EFAULT);
	memcpy(dst, data, len);
	*gpa = at;
	return 0;
}

int add_start_info_module(struct guest_mem *gm, uint64_t si_gpa, uint64_t paddr,
			  uint64_t size, const char **why)
{
	struct hvm_start_info *si = gm_ptr(gm, si_gpa, sizeof(*si));

	*why = NULL;
	if (!si || si->magic != HVM_START_MAGIC)
		return fail(why, "no start info to add a module to", -EINVAL);
	if (si->nr_modules >= PVHV_MAX_MODULES)
		return pvhv_why(why, -E2BIG, "more than %d modules", PVHV_MAX_MODULES);
	if (!gm_ptr(gm, paddr, size))
		return fail(why, "the module is outside guest RAM", -EFAULT);
	uint64_t list = si_gpa + sizeof(*si) + PVHV_MEMMAP_ENTRIES *
			sizeof(struct hvm_memmap_entry);
	struct hvm_modlist_entry e = { .paddr = paddr, .size = size };
	void *slot = gm_ptr(gm, list + si->nr_modules * sizeof(e), sizeof(e));
	if (!slot)
		return fail(why, "guest memory too small for the module list", -EFAULT);
	memcpy(slot, &e, sizeof(e));
	si->modlist_paddr = list;
	si->nr_modules++;
	return 0;
}

int break_start_info(struct guest_mem *gm, uint64_t si_gpa, const char *kind)
{
	struct hvm_start_info *si = gm_ptr(gm, si_gpa, sizeof(*si));
	char *cl;

	if (!si)
		return -1;
	if (!strcmp(kind, "no-memmap")) {
		si->memmap_entries = 0;
	} else if (!strcmp(kind, "modules")) {
		si->nr_modules = 1000;
		si->modlist_paddr = PVHV_CMDLINE_GPA + PVHV_CMDLINE_MAX;
	} else if (!strcmp(kind, "cmdline")) {
		cl = gm_ptr(gm, si->cmdline_paddr, PVHV_CMDLINE_MAX);
		if (!cl)
			return -1;
		memset(cl, 'x', PVHV_CMDLINE_MAX);
	} else {
		return -1;
	}
	return 0;
}
