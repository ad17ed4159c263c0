/* sleep_long: sleeps 50 s, then exits 0. The kernel's kill test ends it
 * while it sleeps: a kill must not wait for the sleep to run out. */
#include <ulib.h>

int main(void)
{
	CHECK_EQ(1, sys_sleep(50000), 0);
	return 0;
}
