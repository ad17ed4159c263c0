/*
 * pvrun_child.c - start a hypervisor (QEMU, pvhv) and read its console
 * line by line, with a deadline.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pvrun.h"

double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

bool have_qemu(void)
{
	return system("command -v " QEMU " >/dev/null 2>&1") == 0;
}

/* Hand the line in buf[0..len) to on_line; true when it asks to stop. */
static bool deliver(char *buf, size_t len,
		    bool (*on_line)(void *, const char *), void *ctx)
{
	while (len && buf[len - 1] == '\r')
		len--;
	buf[len] = 0;
	return on_line(ctx, buf);
}

bool run_child(const char *const argv[], double timeout,
	       bool (*on_line)(void *ctx, const char *line),
	       bool (*watch)(void *ctx), void *ctx, struct child_end *end)
{
	int pfd[2];

	memset(end, 0, sizeof(*end));
	if (pipe2(pfd, O_CLOEXEC)) {
		perror("pvrun: pipe");
		return false;
	}
	double t0 = now();
	pid_t pid = fork();
	if (pid < 0) {
		perror("pvrun: fork");
		close(pfd[0]);
		close(pfd[1]);
		return false;
	}
	if (pid == 0) {
		int nul = open("/dev/null", O_RDONLY);
		dup2(nul, 0);
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		execvp(argv[0], (char *const *)argv);
		fprintf(stderr, "pvrun: exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(pfd[1]);

	char buf[4096], line[4096];
	size_t ll = 0;
	for (;;) {
		double left = timeout - (now() - t0);
		if (left <= 0) {
			end->timed_out = true;
			break;
		}
		if (watch && watch(ctx)) {
			end->stopped = true;
			break;
		}
		struct pollfd p = { pfd[0], POLLIN, 0 };
		int pr = poll(&p, 1, (int)((left < 1 ? left : 1) * 1000) + 1);
		if (pr <= 0)
			continue;            /* EINTR, a second, the deadline: look again */
		ssize_t n = read(pfd[0], buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n && !end->stopped; i++) {
			if (buf[i] != '\n' && ll < sizeof(line) - 1) {
				line[ll++] = buf[i];
				continue;
			}
			end->stopped = deliver(line, ll, on_line, ctx);
			ll = 0;
			if (buf[i] != '\n')
				line[ll++] = buf[i];     /* an overlong line goes on */
		}
		if (end->stopped)
			break;
	}
	if (ll && !end->stopped && !end->timed_out)
		deliver(line, ll, on_line, ctx);     /* a last line with no newline */
	if (end->timed_out || end->stopped)
		kill(pid, SIGKILL);
	int ws = 0;
	waitpid(pid, &ws, 0);
	close(pfd[0]);
	end->exit_code = WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
	end->secs = now() - t0;
	return true;
}
