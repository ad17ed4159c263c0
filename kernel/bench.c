/*
 * bench.c - benchmark workloads (bench=NAME). Generic code: the console
 * and the clock only through the pv_ops wrappers, so the same workload
 * measures whatever the platform put behind them (the UART, pvhv's
 * console hypercall, ...). The host side counts the exits.
 */
#include <bench.h>
#include <paravirt.h>
#include <printk.h>
#include <string.h>

#define CONSOLE_BYTES (64 * 1024)
#define LINE_BYTES    64            /* a printk-sized write */

/* 64 KiB as 1024 writes of one 64-byte line each, as printk would. */
static void bench_console(void)
{
	static const char digits[] = "0123456789abcdef";
	char line[LINE_BYTES];
	u64 t0 = sched_clock();

	for (int n = 0; n < CONSOLE_BYTES / LINE_BYTES; n++) {
		memset(line, '.', LINE_BYTES - 1);
		memcpy(line, "bench console line ", 19);
		for (int d = 0; d < 4; d++)
			line[19 + d] = digits[(n >> (4 * (3 - d))) & 0xf];
		line[LINE_BYTES - 1] = '\n';
		console_write(line, LINE_BYTES);
	}
	u64 t1 = sched_clock();
	printk("bench: console: %d bytes in %d writes of %d in %llu us\n",
	       CONSOLE_BYTES, CONSOLE_BYTES / LINE_BYTES, LINE_BYTES,
	       (unsigned long long)((t1 - t0) / 1000));
}

void bench_run(const char *name)
{
	if (!strcmp(name, "console"))
		bench_console();
	else
		printk("bench: unknown workload '%s' (console)\n", name);
}
