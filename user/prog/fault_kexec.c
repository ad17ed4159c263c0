/* fault_kexec: calls into the kernel's text, mapped for the supervisor
 * only: the instruction fetch must fault (#PF) and the kernel kill it.
 * exit(99) after the call shows a fault that did not come. */
#include <ulib.h>

int main(void)
{
	print("fault_kexec: jumping into kernel text\n");
	__asm__ volatile("call *%0" : : "r"(KERNEL_TEXT_ADDR) : "memory");
	sys_exit(99);
}
