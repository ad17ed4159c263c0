/*
 * error.c - the one way pvhv reports a failed call (kvmtool's pr_err and
 * die_perror): name the call, give errno's number and its text. Every
 * failing ioctl, mmap, allocation and thread creation goes through here.
 * And the one way a pure checker says why it refused (pvhv_why).
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "pvhv.h"

/* The message a refusal's *why points at: one per thread. */
#define WHY_MAX 256
static __thread char why_buf[WHY_MAX];

int pvhv_why(const char **why, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why_buf, sizeof(why_buf), fmt, ap);
	va_end(ap);
	*why = why_buf;
	return err;
}

int pvhv_err_num(const char *call, int err)
{
	fprintf(stderr, "pvhv: %s failed: errno %d (%s)\n", call, err, strerror(err));
	return -1;
}

void *pvhv_zalloc(size_t size, const char *what)
{
	void *p = calloc(1, size ? size : 1);

	if (!p) {
		char call[128];

		snprintf(call, sizeof(call), "calloc of %zu bytes for %s", size, what);
		pvhv_err(call);
	}
	return p;
}
