/* fault_kwrite: writes the kernel's text, mapped for the supervisor only:
 * the kernel must kill it (#PF). exit(99) after the write shows a fault
 * that did not come. */
#include <ulib.h>

int main(void)
{
	print("fault_kwrite: writing kernel memory\n");
	__asm__ volatile("movq $0, (%0)" : : "r"(KERNEL_TEXT_ADDR) : "memory");
	sys_exit(99);
}
