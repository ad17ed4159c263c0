/*
 * kallsyms.c - look an address up in the table kernel/gen-kallsyms.sh
 * generated from the first link's symbols.
 */
#include <kallsyms.h>

extern const u64 kallsyms_addr[];
extern const u32 kallsyms_size[], kallsyms_name[], kallsyms_num;
extern const char kallsyms_strings[];

const char *kallsyms_lookup(u64 addr, u64 *off, u64 *size)
{
	u32 lo = 0, hi = kallsyms_num;

	/* the last symbol starting at or below addr: lo ends one past it */
	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;

		if (kallsyms_addr[mid] <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || addr - kallsyms_addr[lo - 1] >= kallsyms_size[lo - 1])
		return NULL;
	if (off)
		*off = addr - kallsyms_addr[lo - 1];
	if (size)
		*size = kallsyms_size[lo - 1];
	return kallsyms_strings + kallsyms_name[lo - 1];
}
