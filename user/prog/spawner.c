/*
 * spawner: a bounded fork bomb. Spawns "sleepy" (20 ms, exit 7) without
 * waiting until the kernel's process limit answers -SYS_EAGAIN, at most
 * SPAWN_TRIES times, then waits for every child (each must end with 7)
 * and, the slots free again, spawns one more. Exits 0, or 1 + k when
 * check k failed.
 */
#include <ulib.h>

#define SPAWN_TRIES 1000
#define SLEEPY_STATUS 7

static s64 children[SPAWN_TRIES];

int main(void)
{
	int n = 0;
	s64 pid;

	for (int tries = 0;; tries++) {
		/* a limit that has not come in SPAWN_TRIES is no limit */
		CHECK(2, tries < SPAWN_TRIES, tries);
		pid = sys_spawn("sleepy");
		if (pid == -SYS_EAGAIN)
			break;
		CHECK(1, pid > 0, pid);
		children[n++] = pid;
	}
	CHECK(3, n > 0, n);     /* the limit must leave room for one */
	for (int i = 0; i < n; i++)
		CHECK_EQ(4, sys_wait(children[i]), SLEEPY_STATUS);
	printf("spawner: spawned %d before -EAGAIN\n", n);

	pid = sys_spawn("sleepy");
	CHECK(5, pid > 0, pid);
	CHECK_EQ(6, sys_wait(pid), SLEEPY_STATUS);
	return 0;
}
