/*
 * layout.h - where things are in pvk's address space.
 *
 *   KERNEL_VMA + pa, pa < 1 GiB   low physical memory, the kernel image
 *                                 among it (linked at KERNEL_VMA + 1 MiB)
 *   FIXMAP_BASE ..                single pages mapped on purpose: the local
 *                                 APIC, the self-tests' windows
 *   BENCH_PT_BASE .. + 1 GiB      bench=pt's window, below the kernel's map
 *                                 in the same top-level slot, so every
 *                                 address space shares what it maps
 *
 * kernel.ld repeats KERNEL_VMA (ld cannot include headers) and checks at
 * link time that the two agree.
 */
#ifndef ASM_LAYOUT_H
#define ASM_LAYOUT_H

#include <asm/x86_bits.h>

#define KERNEL_VMA       _AC(0xffffffff80000000, UL)
#define KERNEL_PHYS_BASE _AC(0x100000, UL)
#define DIRECT_MAP_SIZE  PUD_SIZE               /* 1 GiB */
#define FIXMAP_BASE      (KERNEL_VMA + DIRECT_MAP_SIZE)
#define BENCH_PT_BASE    (KERNEL_VMA - PUD_SIZE)
#define BENCH_PT_SIZE    PUD_SIZE

/* Fixmap slots, one page each. */
#define FIX_APIC   0
#define FIX_TEST0  1
#define FIX_TEST1  2
#define FIX_TRAMP  3      /* the AP trampoline's page, while it is written */
#define FIX_NR     4

/* The address of fixmap slot idx: a constant, so code can name it as an
 * absolute address (the xAPIC EOI template, apic_eoi.S, does). */
#define FIXMAP_ADDR(idx) (FIXMAP_BASE + (idx) * PAGE_SIZE)

#endif /* ASM_LAYOUT_H */
