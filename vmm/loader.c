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

#include "pvhv.h"
#include <pvh.h>   /* the PVH start info, shared with the kernel */

#define XEN_NOTE_NAME            "Xen"
#define XEN_NOTE_NAMESZ          4            /* "Xen" and its NUL */
#define NOTE_ALIGN               4
#define MAX_PHDRS                64
#define FOUR_GIB                 0x100000000ull

#define E820_RAM                 1u
#define E820_RESERVED            2u
#define PVHV_MEMMAP_ENTRIES      3
#define WHY_MAX                  256

/* The message *why points at: one per thread, rewritten by each refusal. */
static __thread char why_buf[WHY_MAX];

static int fail(const char **why, const char *msg, int err)
{
	*why = msg;
	return err;
}

/* fail() with the bad values in the message. */
__attribute__((format(printf, 3, 4)))
static int failf(const char **why, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why_buf, sizeof(why_buf), fmt, ap);
	va_end(ap);
	*why = why_buf;
	return err;
}

/*
 * check_entry - the guest starts at `entry` with paging off, so it must be
 * a byte the loader writes from the file (not a zero-filled tail, not a
 * gap between segments) in a segment the image marks executable.
 */
static int check_entry(const Elf64_Phdr *ph, int n, const struct kernel_image *ki,
		       uint64_t entry, const char **why)
{
	unsigned long long e = entry;

	if (entry >= FOUR_GIB)
		return failf(why, -EINVAL, "the PVH entry point %#llx is above 4 GiB "
			     "(it is a 32-bit physical address)", e);
	for (int i = 0; i < n; i++) {
		const Elf64_Phdr *p = &ph[i];

		/* all PT_LOADs were checked: paddr + memsz does not wrap */
		if (p->p_type != PT_LOAD || p->p_memsz == 0 ||
		    entry < p->p_paddr || entry - p->p_paddr >= p->p_memsz)
			continue;
		if (entry - p->p_paddr >= p->p_filesz)
			return failf(why, -EINVAL, "the PVH entry point %#llx is in the "
				     "zero-filled tail of PT_LOAD segment %d (its file bytes end "
				     "at %#llx, its memory at %#llx): the guest would run zeros",
				     e, i, (unsigned long long)(p->p_paddr + p->p_filesz),
				     (unsigned long long)(p->p_paddr + p->p_memsz));
		if (!(p->p_flags & PF_X))
			return failf(why, -EINVAL, "the PVH entry point %#llx is in PT_LOAD "
				     "segment %d, which is not executable (p_flags %#x, no PF_X)",
				     e, i, (unsigned)p->p_flags);
		return 0;
	}
	return failf(why, -EINVAL, "the PVH entry point %#llx is in no PT_LOAD segment "
		     "(they lie between %#llx and %#llx)", e,
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

/* Walk the notes of one PT_NOTE segment for the PVH entry. 1 found, 0 not,
 * negative errno for a malformed note. */
static int find_pvh_note(const uint8_t *img, uint64_t off, uint64_t size,
			 uint64_t *entry, const char **why)
{
	uint64_t pos = 0;

	while (size - pos >= sizeof(Elf64_Nhdr)) {
		Elf64_Nhdr nh;

		memcpy(&nh, img + off + pos, sizeof(nh));
		pos += sizeof(nh);
		uint64_t name_len = align_up(nh.n_namesz, NOTE_ALIGN);
		uint64_t desc_len = align_up(nh.n_descsz, NOTE_ALIGN);
		if (name_len > size - pos || desc_len > size - pos - name_len)
			return fail(why, "a note runs past the end of its PT_NOTE segment", -EINVAL);
		const uint8_t *name = img + off + pos, *desc = name + name_len;
		if (nh.n_type == XEN_ELFNOTE_PHYS32_ENTRY && nh.n_namesz == XEN_NOTE_NAMESZ &&
		    !memcmp(name, XEN_NOTE_NAME, XEN_NOTE_NAMESZ)) {
			if (nh.n_descsz == sizeof(uint32_t)) {
				uint32_t e;
				memcpy(&e, desc, sizeof(e));
				*entry = e;
			} else if (nh.n_descsz == sizeof(uint64_t)) {
				memcpy(entry, desc, sizeof(*entry));
			} else {
				return fail(why, "the PVH entry note's payload is not 4 or 8 bytes", -EINVAL);
			}
			return 1;
		}
		pos += name_len + desc_len;
	}
	return 0;
}

int load_elf_kernel(struct guest_mem *gm, const void *image, size_t len,
		    struct kernel_image *ki, const char **why)
{
	const uint8_t *img = image;
	Elf64_Ehdr eh;
	Elf64_Phdr ph[MAX_PHDRS];
	uint64_t entry = 0;
	int have_entry = 0;

	memset(ki, 0, sizeof(*ki));
	*why = NULL;
	if (!img || len < EI_NIDENT || memcmp(img, ELFMAG, SELFMAG))
		return fail(why, "not an ELF file (bad magic or shorter than an ELF header)", -ENOEXEC);
	if (img[EI_CLASS] != ELFCLASS64)
		return fail(why, "not ELF64 (a 32-bit ELF? build the kernel as ELF64)", -ENOEXEC);
	if (len < sizeof(eh))
		return fail(why, "truncated: shorter than the ELF64 header", -ENOEXEC);
	memcpy(&eh, img, sizeof(eh));
	if (img[EI_DATA] != ELFDATA2LSB || eh.e_machine != EM_X86_64)
		return fail(why, "not a little-endian x86-64 ELF", -ENOEXEC);
	if (eh.e_phnum == 0 || eh.e_phentsize != sizeof(Elf64_Phdr))
		return fail(why, "no program headers (or an unknown program header size)", -ENOEXEC);
	if (eh.e_phnum > MAX_PHDRS)
		return fail(why, "too many program headers", -E2BIG);
	if (eh.e_phoff > len || (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr) > len - eh.e_phoff)
		return fail(why, "truncated: the program headers run past the end of the file", -ENOEXEC);
	memcpy(ph, img + eh.e_phoff, eh.e_phnum * sizeof(Elf64_Phdr));

	/* Check everything before writing anything. */
	ki->lowest = UINT64_MAX;
	for (int i = 0; i < eh.e_phnum; i++) {
		const Elf64_Phdr *p = &ph[i];

		if (p->p_type == PT_NOTE) {
			if (p->p_offset > len || p->p_filesz > len - p->p_offset)
				return fail(why, "truncated: a PT_NOTE segment runs past the end of the file", -ENOEXEC);
			if (!have_entry) {
				int r = find_pvh_note(img, p->p_offset, p->p_filesz, &entry, why);
				if (r < 0)
					return r;
				have_entry = r;
			}
			continue;
		}
		if (p->p_type != PT_LOAD || p->p_memsz == 0)
			continue;
		if (p->p_filesz > p->p_memsz)
			return fail(why, "a PT_LOAD segment has filesz > memsz", -ENOEXEC);
		if (p->p_offset > len || p->p_filesz > len - p->p_offset)
			return fail(why, "truncated: a PT_LOAD segment runs past the end of the file", -ENOEXEC);
		if (p->p_paddr < PVHV_KERNEL_MIN_GPA)
			return fail(why, "a PT_LOAD segment is below 1 MiB (PVH kernels load at or above 1 MiB)", -EINVAL);
		if (!gm_ptr(gm, p->p_paddr, p->p_memsz))
			return fail(why, "a PT_LOAD segment lies outside guest memory (more --mem?)", -ENOMEM);
		for (int j = 0; j < i; j++)
			if (ph[j].p_type == PT_LOAD && ph[j].p_memsz &&
			    overlaps(p->p_paddr, p->p_memsz, ph[j].p_paddr, ph[j].p_memsz))
				return fail(why, "two PT_LOAD segments overlap in physical memory", -EINVAL);
		if (p->p_paddr < ki->lowest)
			ki->lowest = p->p_paddr;
		if (p->p_paddr + p->p_memsz > ki->highest)
			ki->highest = p->p_paddr + p->p_memsz;
		ki->nr_segments++;
	}
	if (!ki->nr_segments)
		return fail(why, "no PT_LOAD segment to load", -ENOEXEC);
	if (!have_entry)
		return fail(why, "no PVH entry note (Xen note type 18, XEN_ELFNOTE_PHYS32_ENTRY): not a PVH kernel", -ENOEXEC);
	int r = check_entry(ph, eh.e_phnum, ki, entry, why);
	if (r < 0)
		return r;
	ki->entry = entry;

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

uint64_t build_start_info(struct guest_mem *gm, const char *cmdline,
			  const char **why)
{
	uint64_t map_gpa = PVHV_START_INFO_GPA + sizeof(struct hvm_start_info);
	size_t cl = strlen(cmdline) + 1;
	struct hvm_memmap_entry map[PVHV_MEMMAP_ENTRIES] = {
		{ 0, PVHV_LOW_RAM_END, E820_RAM, 0 },
		{ PVHV_LOW_RAM_END, PVHV_HIGH_RAM_START - PVHV_LOW_RAM_END, E820_RESERVED, 0 },
		{ PVHV_HIGH_RAM_START, 0, E820_RAM, 0 },
	};
	struct hvm_start_info si = {
		.magic = HVM_START_MAGIC,
		.version = HVM_START_VERSION,
		.cmdline_paddr = PVHV_CMDLINE_GPA,
		.memmap_paddr = map_gpa,
		.memmap_entries = PVHV_MEMMAP_ENTRIES,
	};

	*why = NULL;
	if (cl > PVHV_CMDLINE_MAX) {
		*why = "the command line is longer than 4095 bytes";
		return 0;
	}
	if (gm->size <= PVHV_HIGH_RAM_START) {
		*why = "guest memory ends below 1 MiB";
		return 0;
	}
	map[2].size = gm->size - PVHV_HIGH_RAM_START;
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
