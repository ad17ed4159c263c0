/*
 * boot_info.c - read the PVH start info or the Multiboot2 information into
 * struct boot_info, trusting nothing in it.
 *
 * PVH: struct hvm_start_info and its module list and memory map, laid out
 * in abi/pvh.h; read field by field (the loader's memory may be unaligned).
 *
 * Multiboot2: u32 total_size, u32 reserved, then 8-byte aligned tags
 * (u32 type, u32 size) up to the end tag (type 0).
 */
#include <boot_info.h>
#include <abi/pvh.h>
#include <string.h>
#include <pvops/errno.h>

#define HVM_START_SIZE sizeof(struct hvm_start_info)
#define HVM_MODLIST_ENTRY sizeof(struct hvm_modlist_entry)
#define HVM_MEMMAP_ENTRY sizeof(struct hvm_memmap_entry)
#define SI(field) offsetof(struct hvm_start_info, field)
#define MOD(field) offsetof(struct hvm_modlist_entry, field)
#define MEM(field) offsetof(struct hvm_memmap_entry, field)

#define MB2_TAG_END 0
#define MB2_TAG_CMDLINE 1
#define MB2_TAG_MODULE 3
#define MB2_TAG_MMAP 6
#define MB2_TAG_ACPI_OLD 14
#define MB2_TAG_ACPI_NEW 15
#define MB2_INFO_MAX (1u << 20)

static u32 rd32(const void *p, size_t off)
{
	u32 v;
	memcpy(&v, (const u8 *)p + off, 4);
	return v;
}

static u64 rd64(const void *p, size_t off)
{
	u64 v;
	memcpy(&v, (const u8 *)p + off, 8);
	return v;
}

static int fail(const char **why, const char *msg, int err)
{
	*why = msg;
	return err;
}

/* Copy a NUL-terminated command line of at most CMDLINE_MAX-1 bytes. */
static int copy_cmdline(u64 pa, size_t avail, boot_map_fn map,
			struct boot_info *bi, const char **why)
{
	size_t n = avail < CMDLINE_MAX ? avail : CMDLINE_MAX;

	if (!n)
		return fail(why, "command line is empty (no terminator)", -EINVAL);
	/* byte by byte: the string may end before a mapping does */
	for (size_t i = 0; i < n; i++) {
		const char *c = map(pa + i, 1);

		if (!c)
			return fail(why, "command line outside accessible memory", -EFAULT);
		if ((u8)*c < ' ' && *c && *c != '\t' && *c != '\n')
			return fail(why, "command line has a control character", -EINVAL);
		bi->cmdline[i] = *c;
		if (*c == 0)
			return 0;
	}
	bi->cmdline[0] = 0;
	return fail(why, avail < CMDLINE_MAX ? "command line has no terminator"
		    : "command line longer than CMDLINE_MAX-1 bytes", -E2BIG);
}

static int add_mem(struct boot_info *bi, u64 base, u64 len, u32 type,
		   const char **why)
{
	if (len == 0)
		return 0;              /* microvm maps can hold empty entries */
	if (base + len < base)
		return fail(why, "memory map entry wraps around", -EINVAL);
	if (bi->nr_mem == BOOT_MAX_MEM)
		return fail(why, "memory map has more entries than BOOT_MAX_MEM", -E2BIG);
	bi->mem[bi->nr_mem++] = (struct mem_region){ base, len, type };
	return 0;
}

static int check_ram(struct boot_info *bi, const char **why)
{
	for (int i = 0; i < bi->nr_mem; i++)
		if (bi->mem[i].type == MEM_RAM)
			return 0;
	return fail(why, "memory map has no RAM", -EINVAL);
}

int boot_info_parse_pvh(u64 pa, boot_map_fn map, struct boot_info *bi,
			const char **why)
{
	const u8 *si = map(pa, HVM_START_SIZE);
	int r;

	memset(bi, 0, sizeof(*bi));
	bi->protocol = "PVH";
	bi->info_base = pa;
	bi->info_len = HVM_START_SIZE;
	if (!si)
		return fail(why, "hvm_start_info outside accessible memory", -EFAULT);
	if (rd32(si, SI(magic)) != HVM_START_MAGIC)
		return fail(why, "hvm_start_info has a bad magic", -EINVAL);

	u32 version = rd32(si, SI(version)), nr_mods = rd32(si, SI(nr_modules));
	u64 modlist = rd64(si, SI(modlist_paddr)), cmdline = rd64(si, SI(cmdline_paddr));
	u64 memmap = version >= HVM_START_VERSION ? rd64(si, SI(memmap_paddr)) : 0;
	u32 nr_mem = version >= HVM_START_VERSION ? rd32(si, SI(memmap_entries)) : 0;

	bi->rsdp = rd64(si, SI(rsdp_paddr));
	if (cmdline && (r = copy_cmdline(cmdline, CMDLINE_MAX, map, bi, why)))
		return r;

	if (nr_mods > BOOT_MAX_MODULES)
		return fail(why, "more modules than BOOT_MAX_MODULES", -E2BIG);
	if (nr_mods) {
		const u8 *m = map(modlist, (size_t)nr_mods * HVM_MODLIST_ENTRY);
		if (!m)
			return fail(why, "module list outside accessible memory", -EFAULT);
		for (u32 i = 0; i < nr_mods; i++) {
			u64 base = rd64(m, i * HVM_MODLIST_ENTRY + MOD(paddr));
			u64 len = rd64(m, i * HVM_MODLIST_ENTRY + MOD(size));
			if (base + len < base)
				return fail(why, "module wraps around", -EINVAL);
			bi->mods[bi->nr_mods++] = (struct boot_module){ base, len };
		}
	}

	if (!memmap || !nr_mem)
		return fail(why, "no memory map (hvm_start_info version 0 or no entries)",
			    -EINVAL);
	if (nr_mem > BOOT_MAX_MEM)
		return fail(why, "memory map has more entries than BOOT_MAX_MEM", -E2BIG);
	const u8 *mm = map(memmap, (size_t)nr_mem * HVM_MEMMAP_ENTRY);
	if (!mm)
		return fail(why, "memory map outside accessible memory", -EFAULT);
	for (u32 i = 0; i < nr_mem; i++) {
		const u8 *e = mm + i * HVM_MEMMAP_ENTRY;
		if ((r = add_mem(bi, rd64(e, MEM(addr)), rd64(e, MEM(size)),
				 rd32(e, MEM(type)), why)))
			return r;
	}
	return check_ram(bi, why);
}

int boot_info_parse_mb2(u64 pa, boot_map_fn map, struct boot_info *bi,
			const char **why)
{
	const u8 *hdr = map(pa, 8);
	int r;

	memset(bi, 0, sizeof(*bi));
	bi->protocol = "Multiboot2";
	if (!hdr)
		return fail(why, "Multiboot2 information outside accessible memory", -EFAULT);
	u32 total = rd32(hdr, 0);
	if (total < 16 || total > MB2_INFO_MAX || (pa & 7))
		return fail(why, "Multiboot2 information has a bad size or alignment",
			    -EINVAL);
	const u8 *info = map(pa, total);
	if (!info)
		return fail(why, "Multiboot2 information outside accessible memory", -EFAULT);
	bi->info_base = pa;
	bi->info_len = total;

	bool saw_mmap = false, saw_end = false;
	for (u32 off = 8; off + 8 <= total;) {
		u32 type = rd32(info, off), size = rd32(info, off + 4);

		if (size < 8 || size > total - off)
			return fail(why, "Multiboot2 tag size runs past the information",
				    -EINVAL);
		const u8 *t = info + off;
		switch (type) {
		case MB2_TAG_END:
			saw_end = true;
			break;
		case MB2_TAG_CMDLINE:
			if ((r = copy_cmdline(pa + off + 8, size - 8, map, bi, why)))
				return r;
			break;
		case MB2_TAG_MODULE:
			if (size < 16)
				return fail(why, "Multiboot2 module tag too short", -EINVAL);
			if (bi->nr_mods == BOOT_MAX_MODULES)
				return fail(why, "more modules than BOOT_MAX_MODULES", -E2BIG);
			u32 start = rd32(t, 8), end = rd32(t, 12);
			if (end < start)
				return fail(why, "Multiboot2 module ends before it starts", -EINVAL);
			bi->mods[bi->nr_mods++] = (struct boot_module){ start, end - start };
			break;
		case MB2_TAG_MMAP: {
			if (size < 16)
				return fail(why, "Multiboot2 memory map tag too short", -EINVAL);
			u32 esz = rd32(t, 8);
			if (esz < 24 || esz % 8)
				return fail(why, "Multiboot2 memory map entry size invalid", -EINVAL);
			for (u32 e = 16; e + esz <= size; e += esz)
				if ((r = add_mem(bi, rd64(t, e), rd64(t, e + 8),
						 rd32(t, e + 16), why)))
					return r;
			saw_mmap = true;
			break;
		}
		case MB2_TAG_ACPI_OLD:
		case MB2_TAG_ACPI_NEW:
			bi->rsdp = pa + off + 8;
			break;
		}
		if (saw_end)
			break;
		off += (size + 7) & ~7u;
	}
	if (!saw_end)
		return fail(why, "Multiboot2 information has no end tag", -EINVAL);
	if (!saw_mmap)
		return fail(why, "no memory map (Multiboot2 tag 6 missing)", -EINVAL);
	return check_ram(bi, why);
}
