/*
 * abi/pvh.h - the PVH boot protocol (Xen docs/misc/pvh.pandoc,
 * xen/include/public/arch-x86/hvm/start_info.h), defined once for the
 * kernel that reads it (kernel/boot_info.c, head.S) and the hypervisor
 * that writes it (vmm/loader.c). Plain C with fixed-width types; the
 * constants are usable from .S too. The memory map's types are E820's
 * (abi/e820.h).
 */
#ifndef ABI_PVH_H
#define ABI_PVH_H

#define XEN_ELFNOTE_PHYS32_ENTRY 18          /* ELF note type of the 32-bit entry */
#define HVM_START_MAGIC          0x336ec578  /* hvm_start_info.magic */
#define HVM_START_VERSION        1           /* adds the memory map */

#ifndef __ASSEMBLER__
#include <stdint.h>

struct hvm_start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
	uint32_t memmap_entries, reserved;     /* version >= 1 */
};

struct hvm_modlist_entry {
	uint64_t paddr, size, cmdline_paddr, reserved;
};

struct hvm_memmap_entry {
	uint64_t addr, size;
	uint32_t type, reserved;               /* E820_* (abi/e820.h) */
};

_Static_assert(sizeof(struct hvm_start_info) == 56, "hvm_start_info is 56 bytes");
_Static_assert(sizeof(struct hvm_modlist_entry) == 32, "module entry is 32 bytes");
_Static_assert(sizeof(struct hvm_memmap_entry) == 24, "memory map entry is 24 bytes");
#endif

#endif /* ABI_PVH_H */
