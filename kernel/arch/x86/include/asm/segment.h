/*
 * segment.h - the kernel's GDT: which entry is which. The descriptor bits
 * themselves are in x86_bits.h.
 */
#ifndef ASM_SEGMENT_H
#define ASM_SEGMENT_H

#include <asm/x86_bits.h>

/*
 * The order SYSCALL and SYSRET need (asm/x86_bits.h STAR_*): kernel data
 * right after kernel code (syscall's SS = CS + 8); the user entries from
 * a base sysret adds to: base (a 32-bit user code slot pvk leaves empty:
 * it runs no 32-bit programs), base + 8 user data, base + 16 user
 * 64-bit code.
 */
#define GDT_ENTRY_KERNEL_CS 1
#define GDT_ENTRY_KERNEL_DS 2
#define GDT_ENTRY_USER32_CS 3     /* empty: sysret's base */
#define GDT_ENTRY_USER_DS   4
#define GDT_ENTRY_USER_CS   5
#define GDT_ENTRY_TSS       6     /* 16 bytes each: CPU n's at 6 + 2n */
#define GDT_TSS_SLOTS       16    /* one per CPU: SMP_MAX_CPUS (smp.h) */
#define GDT_ENTRIES         (GDT_ENTRY_TSS + 2 * GDT_TSS_SLOTS)

#define KERNEL_CS GDT_SELECTOR(GDT_ENTRY_KERNEL_CS)
#define KERNEL_DS GDT_SELECTOR(GDT_ENTRY_KERNEL_DS)
#define TSS_SEL   GDT_SELECTOR(GDT_ENTRY_TSS)   /* the boot CPU's */
#define USER32_CS (GDT_SELECTOR(GDT_ENTRY_USER32_CS) | RPL_USER)
#define USER_DS   (GDT_SELECTOR(GDT_ENTRY_USER_DS) | RPL_USER)
#define USER_CS   (GDT_SELECTOR(GDT_ENTRY_USER_CS) | RPL_USER)
/* CPU n's TSS: each CPU its own descriptor, since LTR marks it busy. */
#define TSS_SEL_CPU(n) GDT_SELECTOR(GDT_ENTRY_TSS + 2 * (n))

/* A 64-bit TSS descriptor's type: available TSS (SDM 3A 7.2.3). */
#define DESC_TYPE_TSS_AVAIL (_AC(0x9, UL) << 40)

#endif /* ASM_SEGMENT_H */
