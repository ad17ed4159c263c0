/* sleepy: sleeps 20 ms and exits 7, silently: spawner starts many of
 * them and waits for each. A failed sleep exits 1 + 1 instead. */
#include <ulib.h>

int main(void)
{
	CHECK_EQ(1, sys_sleep(20), 0);
	return 7;
}
