/* spin: a CPU-bound program that never ends: it makes no system call
 * after its one line, so only the timer takes the CPU from it, and only
 * the kernel (its preemption test) ends it. */
#include <ulib.h>

int main(void)
{
	printf("spin: pid %ld spinning\n", (long)sys_getpid());
	for (;;)
		__asm__ volatile("pause");
}
