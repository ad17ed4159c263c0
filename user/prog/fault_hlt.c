/* fault_hlt: executes hlt, privileged: in ring 3 it raises #GP and the
 * kernel must kill it (not halt the CPU). exit(99) after it shows a
 * fault that did not come. */
#include <ulib.h>

int main(void)
{
	print("fault_hlt: executing hlt\n");
	__asm__ volatile("hlt");
	sys_exit(99);
}
