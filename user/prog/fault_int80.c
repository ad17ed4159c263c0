/* fault_int80: int $0x80, the old Linux system call gate. pvk has none
 * open to ring 3 (system calls are `syscall`): #GP, and the kernel must
 * kill it. exit(99) after it shows a fault that did not come. */
#include <ulib.h>

int main(void)
{
	print("fault_int80: executing int $0x80\n");
	__asm__ volatile("int $0x80" : : : "memory");
	sys_exit(99);
}
