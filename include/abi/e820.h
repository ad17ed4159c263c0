/*
 * abi/e820.h - the memory types of a BIOS E820 map, which the PVH memory
 * map (abi/pvh.h, struct hvm_memmap_entry.type) and Multiboot2's memory
 * map use as well: pvhv writes them (vmm/loader.c), pvk reads them
 * (kernel/boot_info.c). As Linux's uapi asm/e820.h; ACPI 6.5 table 15.1.
 */
#ifndef ABI_E820_H
#define ABI_E820_H

#define E820_RAM        1   /* usable RAM */
#define E820_RESERVED   2   /* in use or reserved by the system */
#define E820_ACPI       3   /* ACPI tables, reclaimable once read */
#define E820_NVS        4   /* ACPI non-volatile storage */
#define E820_UNUSABLE   5   /* bad memory */
#define E820_PMEM       7   /* persistent memory */

#endif /* ABI_E820_H */
