/* desc.h - descriptor-table pointer (lgdt/lidt operand). */
#ifndef ASM_DESC_H
#define ASM_DESC_H

#include <types.h>

struct desc_ptr {
	u16 limit;
	u64 base;
} __attribute__((packed));

#endif /* ASM_DESC_H */
