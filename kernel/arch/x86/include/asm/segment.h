/*
 * segment.h - the kernel's GDT: which entry is which. The descriptor bits
 * themselves are in x86_bits.h.
 */
#ifndef ASM_SEGMENT_H
#define ASM_SEGMENT_H

#include <asm/x86_bits.h>

#define GDT_ENTRY_KERNEL_CS 1
#define GDT_ENTRY_KERNEL_DS 2
#define GDT_ENTRY_TSS       3     /* 16 bytes: entries 3 and 4 */
#define GDT_ENTRIES         5

#define KERNEL_CS GDT_SELECTOR(GDT_ENTRY_KERNEL_CS)
#define KERNEL_DS GDT_SELECTOR(GDT_ENTRY_KERNEL_DS)
#define TSS_SEL   GDT_SELECTOR(GDT_ENTRY_TSS)

/* A 64-bit TSS descriptor's type: available TSS (SDM 3A 7.2.3). */
#define DESC_TYPE_TSS_AVAIL (_AC(0x9, UL) << 40)

#endif /* ASM_SEGMENT_H */
