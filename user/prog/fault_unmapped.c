/* fault_unmapped: maps a page, unmaps it, reads it: the kernel must kill
 * it (#PF), not hand out a fresh page again. exit(99) after the read
 * shows a fault that did not come; exit(98) a setup call that failed. */
#include <ulib.h>

int main(void)
{
	s64 p = sys_mmap(PAGE_BYTES);
	u64 v;

	if (p <= 0 || sys_munmap(p, PAGE_BYTES) != 0) {
		printf("fault_unmapped: mmap/munmap failed (%ld)\n", (long)p);
		sys_exit(98);
	}
	print("fault_unmapped: reading an unmapped page\n");
	__asm__ volatile("mov (%1), %0" : "=r"(v) : "r"(p) : "memory");
	sys_exit(99);
}
