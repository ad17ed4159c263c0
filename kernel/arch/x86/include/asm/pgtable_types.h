/*
 * pgtable_types.h - x86-64 4-level paging: entry types and bits, defined
 * once (Intel SDM Vol. 3A, 4.5).
 */
#ifndef ASM_PGTABLE_TYPES_H
#define ASM_PGTABLE_TYPES_H

#include <asm/x86_bits.h>

#ifndef __ASSEMBLER__
#include <types.h>

/* One type per level, so a PTE cannot be stored where a PMD belongs. */
typedef struct { u64 v; } pte_t;
typedef struct { u64 v; } pmd_t;
typedef struct { u64 v; } pud_t;
typedef struct { u64 v; } p4d_t;

static inline phys_addr_t pt_entry_addr(u64 e) { return e & PTE_ADDR_MASK; }
#endif

#endif /* ASM_PGTABLE_TYPES_H */
