/*
 * kallsyms.h - the kernel's own symbol table, for fault reports.
 *
 * kernel/kernel.mk links pvk twice: the first link's text symbols
 * (nm) become a table (kernel/gen-kallsyms.sh) in .rodata, after .text,
 * so the second link leaves every function where the table says it is;
 * the build checks that it did.
 */
#ifndef PVK_KALLSYMS_H
#define PVK_KALLSYMS_H

#include <types.h>

/*
 * kallsyms_lookup - the function containing `addr`: its name, and in
 * *off the distance from its start and in *size its length (either may
 * be NULL). NULL when `addr` is in no function of the kernel text.
 */
const char *kallsyms_lookup(u64 addr, u64 *off, u64 *size);

#endif /* PVK_KALLSYMS_H */
