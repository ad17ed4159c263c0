/* fault_null: reads address 0, which no process maps: the kernel must
 * kill it (#PF). exit(99) after the read shows a fault that did not come. */
#include <ulib.h>

int main(void)
{
	u64 v;

	print("fault_null: reading address 0\n");
	/* In asm: to the compiler a NULL read is undefined, and it may
	 * replace it with a trap of its own. */
	__asm__ volatile("mov (%1), %0" : "=r"(v) : "r"(0ul) : "memory");
	sys_exit(99);
}
