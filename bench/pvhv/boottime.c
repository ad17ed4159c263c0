/*
 * boottime.c - time one boot from the host's side.
 *
 *   build/pvhv-boottime TIMEOUT_S COMMAND [ARGS...]
 *
 * Starts COMMAND with stdout+stderr on a pipe and stdin on /dev/null,
 * and prints one line: the seconds from just before fork() to the
 * kernel's first line ("pvk: booting": the VMM's own start-up cost), to
 * the first line containing "pvk: ready", to the process's exit, and the
 * exit status ("booting_s ready_s exit_s status"; -1 for a line that
 * never came). Kills the command after TIMEOUT_S seconds (status -1).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BOOT_MARK  "pvk: booting"
#define READY_MARK "pvk: ready"
#define KEEP 256                    /* bytes kept across reads to match the mark */

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	int pfd[2];

	if (argc < 3) {
		fprintf(stderr, "usage: pvhv-boottime TIMEOUT_S COMMAND [ARGS...]\n");
		return 64;
	}
	double timeout = atof(argv[1]);
	if (pipe2(pfd, O_CLOEXEC))
		return perror("pipe"), 1;
	double t0 = now();
	pid_t pid = fork();
	if (pid == 0) {
		int nul = open("/dev/null", O_RDONLY);
		dup2(nul, 0);
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		execvp(argv[2], argv + 2);
		_exit(127);
	}
	close(pfd[1]);
	char buf[KEEP + 65536];
	size_t have = 0;
	double ready = -1, booting = -1;
	int killed = 0;
	for (;;) {
		double left = timeout - (now() - t0);
		if (left <= 0) {
			kill(pid, SIGKILL);
			killed = 1;
			break;
		}
		struct pollfd p = { pfd[0], POLLIN, 0 };
		if (poll(&p, 1, (int)(left * 1000) + 1) <= 0)
			continue;
		ssize_t n = read(pfd[0], buf + have, sizeof(buf) - have - 1);
		if (n <= 0)
			break;
		have += (size_t)n;
		buf[have] = 0;
		if (booting < 0 && memmem(buf, have, BOOT_MARK, strlen(BOOT_MARK)))
			booting = now() - t0;
		if (ready < 0 && memmem(buf, have, READY_MARK, strlen(READY_MARK)))
			ready = now() - t0;
		if (have > KEEP) {           /* keep the tail: the mark may straddle */
			memmove(buf, buf + have - KEEP, KEEP);
			have = KEEP;
		}
	}
	int ws;
	waitpid(pid, &ws, 0);
	double end = now() - t0;
	printf("%.6f %.6f %.6f %d\n", booting, ready, end, killed ? -1 : WIFEXITED(ws) ? WEXITSTATUS(ws) : -1);
	return 0;
}
