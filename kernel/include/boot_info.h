/*
 * boot_info.h - what the loader told us, in one form whichever protocol
 * (PVH or Multiboot2) it used.
 *
 * The parsers are pure: they read loader memory only through the `map`
 * callback, which returns NULL for a range that is not accessible, and
 * they check every count, size and offset before using it. The host tests
 * (tests/unit/t_boot_info.c) feed them hostile input.
 */
#ifndef PVK_BOOT_INFO_H
#define PVK_BOOT_INFO_H

#include <types.h>
#include <cmdline.h>
#include <abi/e820.h>

#define BOOT_MAX_MEM 64
#define BOOT_MAX_MODULES 8

/* A region's type: E820's numbers, which PVH and Multiboot2 both use. */
enum mem_type { MEM_RAM = E820_RAM, MEM_RESERVED = E820_RESERVED, MEM_ACPI = E820_ACPI,
		MEM_NVS = E820_NVS, MEM_UNUSABLE = E820_UNUSABLE, MEM_PMEM = E820_PMEM };

struct mem_region {
	u64 base, len;
	u32 type;
};

struct boot_module {
	u64 base, len;
};

struct boot_info {
	const char *protocol;          /* "PVH" or "Multiboot2" */
	char cmdline[CMDLINE_MAX];
	struct mem_region mem[BOOT_MAX_MEM];
	int nr_mem;
	struct boot_module mods[BOOT_MAX_MODULES];
	int nr_mods;
	u64 rsdp;                      /* 0: none given */
	u64 info_base, info_len;       /* the loader's own structures */
};

/* Returns a pointer to [pa, pa+len) or NULL if it is not accessible. */
typedef const void *(*boot_map_fn)(u64 pa, size_t len);

/*
 * boot_info_parse_pvh / _mb2 - fill *bi from the loader's structure at
 * physical address `pa`. Return 0, or a negative errno with *why set to
 * a message naming what was wrong (no memory map, a command line without
 * its terminator or longer than CMDLINE_MAX-1, a module count that does
 * not fit, a structure outside accessible memory, ...).
 */
int boot_info_parse_pvh(u64 pa, boot_map_fn map, struct boot_info *bi,
			const char **why);
int boot_info_parse_mb2(u64 pa, boot_map_fn map, struct boot_info *bi,
			const char **why);

#endif /* PVK_BOOT_INFO_H */
