/* wait_spin: spawns "spin" (which never ends) and waits for it. The
 * kernel's kill test ends it while it waits; spin is left an orphan.
 * Exits 1 + k when check k failed (it never should exit 0). */
#include <ulib.h>

int main(void)
{
	s64 pid = sys_spawn("spin");

	CHECK(1, pid > 0, pid);
	sys_wait(pid);
	return 2;
}
