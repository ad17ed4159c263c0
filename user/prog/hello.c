/* hello: the first user program. Writes one line naming its pid and
 * exits 0: the kernel's test looks for the line and the status. */
#include <ulib.h>

int main(void)
{
	printf("hello from user mode, pid %ld\n", (long)sys_getpid());
	return 0;
}
