/* fault_kread: reads the kernel's text, mapped for the supervisor only:
 * the kernel must kill it (#PF). exit(99) after the read shows a fault
 * that did not come. */
#include <ulib.h>

int main(void)
{
	u64 v;

	print("fault_kread: reading kernel memory\n");
	__asm__ volatile("mov (%1), %0" : "=r"(v) : "r"(KERNEL_TEXT_ADDR) : "memory");
	sys_exit(99);
}
