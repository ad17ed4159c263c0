/* fault_ud2: executes ud2, the undefined instruction: the kernel must
 * kill it (#UD). exit(99) after it shows a fault that did not come. */
#include <ulib.h>

int main(void)
{
	print("fault_ud2: executing ud2\n");
	__asm__ volatile("ud2");
	sys_exit(99);
}
