/* fault_nx: writes a `ret` into an mmap'd page (RW, NX) and calls it:
 * the fetch must fault (#PF) and the kernel kill it. If NX is not
 * enforced the ret comes back and exit(99) shows it; exit(98) a setup
 * call that failed. */
#include <ulib.h>

#define OPCODE_RET 0xc3

int main(void)
{
	s64 p = sys_mmap(PAGE_BYTES);

	if (p <= 0) {
		printf("fault_nx: mmap failed (%ld)\n", (long)p);
		sys_exit(98);
	}
	*(volatile u8 *)p = OPCODE_RET;
	print("fault_nx: calling into a no-execute page\n");
	__asm__ volatile("call *%0" : : "r"(p) : "memory");
	sys_exit(99);
}
