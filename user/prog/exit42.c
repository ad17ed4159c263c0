/* exit42: ends at once with status 42, through SYS_exit itself (not by
 * returning from main), for the kernel's test of exit statuses. */
#include <ulib.h>

int main(void)
{
	sys_exit(42);
}
