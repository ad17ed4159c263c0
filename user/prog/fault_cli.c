/* fault_cli: executes cli, which needs IOPL 3: ring 3 gets #GP and the
 * kernel must kill it (interrupts stay on). exit(99) after it shows a
 * fault that did not come. */
#include <ulib.h>

int main(void)
{
	print("fault_cli: executing cli\n");
	__asm__ volatile("cli");
	sys_exit(99);
}
